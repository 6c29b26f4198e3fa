//! The Xen ELF notes (`public/elfnote.h`) that make the image bootable as
//! both a PVH and a 64-bit PV guest, and as dom0. They sit in `.note.xen`,
//! which the linker script places in a PT_NOTE program header.

use crate::abi::elfnote::{ElfNote, XENFEAT_DOM0};

core::arch::global_asm!(
    r#"
    .pushsection .note.xen, "a", @note
    /* Nothing references the notes: the linker script names this symbol
     * in EXTERN so the linker pulls this object out of the rlib. */
    .globl xencall_xen_notes
xencall_xen_notes:

    /* One note: name "Xen", the given type, the descriptor between 1: and 2:. */
    .macro xencall_note type, desc:vararg
    .balign 4
    .long 4
    .long 2f - 1f
    .long \type
    .asciz "Xen"
    .balign 4
1:  \desc
2:
    .endm

    xencall_note {guest_os},       .asciz "xencall"
    xencall_note {xen_version},    .asciz "xen-3.0"
    xencall_note {loader},         .asciz "generic"
    /* Virtual = physical: the image runs where it is loaded. */
    xencall_note {virt_base},      .quad 0
    xencall_note {paddr_offset},   .quad 0
    xencall_note {entry},          .quad xencall_pv_start
    xencall_note {hypercall_page}, .quad xencall_hypercall_page
    xencall_note {phys32_entry},   .long xencall_pvh_start
    /* Xen refuses a dom0 kernel whose note lacks XENFEAT_dom0. */
    xencall_note {features},       .long (1 << {dom0})

    .balign 4
    .popsection
    "#,
    guest_os = const ElfNote::GUEST_OS.0,
    xen_version = const ElfNote::XEN_VERSION.0,
    loader = const ElfNote::LOADER.0,
    virt_base = const ElfNote::VIRT_BASE.0,
    paddr_offset = const ElfNote::PADDR_OFFSET.0,
    entry = const ElfNote::ENTRY.0,
    hypercall_page = const ElfNote::HYPERCALL_PAGE.0,
    phys32_entry = const ElfNote::PHYS32_ENTRY.0,
    features = const ElfNote::SUPPORTED_FEATURES.0,
    dom0 = const XENFEAT_DOM0,
    options(att_syntax)
);
