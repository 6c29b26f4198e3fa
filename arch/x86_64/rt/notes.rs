//! The Xen ELF notes (`public/elfnote.h`) that make the image bootable as
//! both a PVH and a 64-bit PV guest, and as dom0. They sit in `.note.xen`,
//! which the linker script places in a PT_NOTE program header.

core::arch::global_asm!(
    r#"
    .pushsection .note.xen, "a", @note

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

    xencall_note 6,  .asciz "xencall"                /* GUEST_OS */
    xencall_note 5,  .asciz "xen-3.0"                /* XEN_VERSION */
    xencall_note 8,  .asciz "generic"                /* LOADER */
    xencall_note 3,  .quad 0                         /* VIRT_BASE: virtual = physical */
    xencall_note 4,  .quad 0                         /* PADDR_OFFSET */
    xencall_note 1,  .quad xencall_pv_start          /* ENTRY (PV) */
    xencall_note 2,  .quad xencall_hypercall_page    /* HYPERCALL_PAGE (PV) */
    xencall_note 18, .long xencall_pvh_start         /* PHYS32_ENTRY (PVH) */
    xencall_note 17, .long (1 << 11)                 /* SUPPORTED_FEATURES: XENFEAT_dom0 */

    .balign 4
    .popsection
    "#,
    options(att_syntax)
);
