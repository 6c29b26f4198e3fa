//! The arm64 Image header and the entry code, up to the first Rust code.
//!
//! Xen enters at offset 0 at EL1h with the MMU and caches off and `x0` =
//! device tree, wherever dom0's memory layout put the Image (0x70000000
//! with 1 GiB of host RAM, 0x58000000 with 2 GiB, ...).
//!
//! Position independence: the Image is linked at 0 as a static PIE (see
//! `linker/xencall-aarch64.ld`). Code reaches its own symbols with
//! `adrp`/`add` (PC-relative), so it runs anywhere; data holding addresses
//! (vtables, `&'static` in statics, the GOT) is fixed up here from
//! `.rela.dyn`, whose only entries in a static PIE are
//! `R_AARCH64_RELATIVE` (`*(base + offset) = base + addend`), and from
//! `.relr.dyn`, the same relocations packed (a link with
//! `--pack-dyn-relocs=relr`, as this repository's config does: about 3 KiB
//! less for a small guest). Any other type is a link problem and stops the
//! boot (`udf`, reported by the vectors) rather than running with a wrong
//! pointer.
//!
//! Order, and why:
//! 1. FP/SIMD on (Rust's aarch64 code uses NEON), exception vectors
//!    installed (a fault without them hangs silently), stacks set: the
//!    vectors run on `SP_EL1` with their own stack, everything else on
//!    `SP_EL0` (`SPSel` = 0), so a fault from a broken or overflowed stack
//!    still gets reported.
//! 2. With the MMU off (all data accesses Device, non-cacheable), only the
//!    page tables are written, bracketed by invalidations to the point of
//!    coherency, as Linux does: the first drops dirty lines Xen may have
//!    left that would later be evicted over our writes, the second drops
//!    lines fetched meanwhile. The rest of `.bss` is not covered by the
//!    boot protocol's "image cleaned to PoC" (Xen copies only the file), so
//!    it is written only once the caches are on.
//! 3. MMU on with an identity map (so no jump is needed): the first GiB
//!    (QEMU `virt` and most SoCs put devices there) Device-nGnRnE and
//!    execute-never; 1..4 GiB, the GiB holding the device tree and the one
//!    holding the Image Normal write-back inner-shareable, which Xen's Arm
//!    ABI requires of memory shared with it (with the MMU off, real
//!    hardware would treat hypercall buffers as Device memory; QEMU models
//!    no caches and hides the difference). The Image's GiB is mapped with
//!    2 MiB and 4 KiB entries so that the page below the main stack is
//!    unmapped: a stack overflow faults (and is reported) instead of
//!    silently overwriting memory. RAM the device tree lists beyond these
//!    is mapped from Rust (`map_ram`).
//! 4. With caches on: relocations applied, `.bss` zeroed, then Rust.

use core::sync::atomic::{compiler_fence, Ordering};

core::arch::global_asm!(
    r#"
    /* Invalidate [\start, \end) to the point of coherency, by D-cache line. */
    .macro xencall_inval_poc start, end, tmp, line
    mrs     \line, ctr_el0
    ubfx    \line, \line, #16, #4       /* DminLine: log2(words) */
    mov     \tmp, #4
    lsl     \line, \tmp, \line
    sub     \tmp, \line, #1
    bic     \tmp, \start, \tmp
1:  dc      ivac, \tmp
    add     \tmp, \tmp, \line
    cmp     \tmp, \end
    b.lo    1b
    dsb     sy
    .endm

    /* \reg = runtime address of \sym (PC-relative, so valid before
       relocation). */
    .macro xencall_addr reg, sym
    adrp    \reg, \sym
    add     \reg, \reg, :lo12:\sym
    .endm

    .pushsection .text.xencall_head, "ax"
    .globl xencall_arm_header
xencall_arm_header:
    b       xencall_arm_start           /* code0 */
    .long   0                           /* code1 */
    .quad   0                           /* text_offset */
    .quad   __xencall_image_size        /* image_size, with .bss */
    .quad   0xa                         /* flags: LE, 4K pages, anywhere in RAM */
    .quad   0, 0, 0                     /* res2..res4 */
    .ascii  "ARM\x64"                   /* magic */
    .long   0                           /* res5 */

xencall_arm_start:
    mov     x19, x0                     /* device tree, kept for Rust */
    /* Boot profile (rt/boot_profile.rs): stamps in x24..x28 until .bss,
       where they live, is zero. x24: the hand-off. */
    isb
    mrs     x24, cntvct_el0

    /* 1. FP/SIMD, vectors, stacks. */
    mov     x1, #(3 << 20)              /* CPACR_EL1.FPEN: no FP/SIMD traps */
    msr     cpacr_el1, x1
    xencall_addr x1, xencall_vectors
    msr     vbar_el1, x1
    xencall_addr x1, xencall_arm_exception_stack_top
    mov     sp, x1                      /* SP_EL1: exceptions only */
    xencall_addr x1, xencall_arm_stack_top
    msr     sp_el0, x1
    msr     spsel, #0                   /* sp is SP_EL0 from here on */
    isb

    /* 2. Page tables, MMU off. x20 = L1, x21 = L2, x22 = L3. */
    xencall_addr x20, __xencall_pgtables_start
    xencall_addr x23, __xencall_pgtables_end
    xencall_inval_poc x20, x23, x1, x2
    add     x21, x20, #4096
    add     x22, x20, #8192
    mov     x1, x20                     /* zero all three tables */
2:  stp     xzr, xzr, [x1], #16
    cmp     x1, x23
    b.lo    2b

    ldr     x4, =0x0000000000000701     /* Normal block: AttrIndx 0, SH inner, AF */
    ldr     x2, =0x0060000000000405     /* Device block: AttrIndx 1, AF, PXN|UXN */
    str     x2, [x20]                   /* GiB 0: devices */
    mov     x3, #1                      /* GiB 1..3: Normal */
3:  lsl     x2, x3, #30
    orr     x2, x2, x4
    str     x2, [x20, x3, lsl #3]
    add     x3, x3, #1
    cmp     x3, #4
    b.lo    3b

    lsr     x3, x19, #30                /* the device tree's GiB, if in RAM range */
    cbz     x3, 4f
    cmp     x3, #512
    b.hs    4f
    lsl     x2, x3, #30
    orr     x2, x2, x4
    str     x2, [x20, x3, lsl #3]
4:
    /* The Image's GiB (the one holding the stack guard page) through L2
       (2 MiB blocks) and, for the guard's 2 MiB, L3 (4 KiB pages). */
    xencall_addr x5, xencall_arm_stack_guard
    lsr     x3, x5, #30
    cmp     x3, #512
    b.hs    9f                          /* beyond the 39-bit space: give up */
    orr     x2, x21, #3                 /* table descriptor -> L2 */
    str     x2, [x20, x3, lsl #3]
    lsl     x6, x3, #30                 /* GiB base */
    mov     x3, #0
5:  add     x2, x6, x3, lsl #21
    orr     x2, x2, x4
    str     x2, [x21, x3, lsl #3]
    add     x3, x3, #1
    cmp     x3, #512
    b.lo    5b
    ubfx    x3, x5, #21, #9
    orr     x2, x22, #3                 /* table descriptor -> L3 */
    str     x2, [x21, x3, lsl #3]
    lsr     x6, x5, #21                 /* 2 MiB base */
    lsl     x6, x6, #21
    orr     x4, x4, #2                  /* page descriptor: 0x703 */
    mov     x3, #0
6:  add     x2, x6, x3, lsl #12
    orr     x2, x2, x4
    str     x2, [x22, x3, lsl #3]
    add     x3, x3, #1
    cmp     x3, #512
    b.lo    6b
    ubfx    x3, x5, #12, #9
    str     xzr, [x22, x3, lsl #3]      /* the guard page: unmapped */

    dmb     sy
    xencall_inval_poc x20, x23, x1, x2
    isb
    mrs     x25, cntvct_el0             /* page tables built */

    /* 3. MMU on. MAIR: attr0 Normal WB RW-allocate, attr1 Device-nGnRnE. */
    mov     x2, #0xff
    msr     mair_el1, x2
    /* TCR: T0SZ=25 (39-bit, walks start at level 1), IRGN0/ORGN0 WB WA,
       SH0 inner, TG0 4K, EPD1 (no TTBR1 walks), IPS = the CPU's PARange
       (capped at 48 bits: 52 needs FEAT_LPA). */
    ldr     x2, =0x0000000000803519
    mrs     x1, id_aa64mmfr0_el1
    and     x1, x1, #7
    cmp     x1, #5
    mov     x3, #5
    csel    x1, x1, x3, ls
    bfi     x2, x1, #32, #3
    msr     tcr_el1, x2
    msr     ttbr0_el1, x20
    isb
    tlbi    vmalle1
    dsb     nsh
    ic      iallu
    dsb     nsh
    isb
    mrs     x2, sctlr_el1
    orr     x2, x2, #(1 << 0)           /* M: MMU */
    orr     x2, x2, #(1 << 2)           /* C: data cache */
    orr     x2, x2, #(1 << 12)          /* I: instruction cache */
    bic     x2, x2, #(1 << 1)           /* A: no alignment faults */
    bic     x2, x2, #(1 << 19)          /* WXN: the Image is mapped RWX */
    msr     sctlr_el1, x2
    isb
    mrs     x26, cntvct_el0             /* MMU and caches on */

    /* 4. Relocate: linked at 0, so the load address is __image_start. */
    xencall_addr x20, __image_start
    xencall_addr x1, __rela_start
    xencall_addr x2, __rela_end
7:  cmp     x1, x2
    b.hs    8f
    ldp     x3, x4, [x1], #16           /* r_offset, r_info */
    ldr     x5, [x1], #8                /* r_addend */
    cmp     x4, #1027                   /* R_AARCH64_RELATIVE, symbol 0 */
    b.ne    9f
    add     x5, x5, x20
    str     x5, [x20, x3]
    b       7b
8:
    /* The same relocations packed as RELR (`--pack-dyn-relocs=relr`, 8
       bytes for up to 63 pointers instead of 24 each; empty without it):
       an even entry is the offset of a pointer to relocate, and the next
       pointer's offset is kept in x6; an odd entry is a bitmap whose bits
       1..63 say which of the 63 pointers from x6 on to relocate, after
       which x6 moves past them. The pointer holds its link-time address,
       so relocating adds the load address. */
    xencall_addr x1, __relr_start
    xencall_addr x2, __relr_end
    mov     x6, #0
12: cmp     x1, x2
    b.hs    16f
    ldr     x3, [x1], #8
    tbnz    x3, #0, 13f
    ldr     x4, [x20, x3]               /* an address entry */
    add     x4, x4, x20
    str     x4, [x20, x3]
    add     x6, x3, #8
    b       12b
13: lsr     x3, x3, #1                  /* a bitmap entry */
    mov     x7, x6
14: tbz     x3, #0, 15f
    ldr     x4, [x20, x7]
    add     x4, x4, x20
    str     x4, [x20, x7]
15: add     x7, x7, #8
    lsr     x3, x3, #1
    cbnz    x3, 14b
    add     x6, x6, #(63 * 8)
    b       12b
16:
    isb
    mrs     x27, cntvct_el0             /* relocated */
    /* Zero .bss (16-byte aligned at both ends, by the linker script). */
    xencall_addr x1, __bss_start
    xencall_addr x2, __bss_end
10: cmp     x1, x2
    b.hs    11f
    stp     xzr, xzr, [x1], #16
    b       10b
11:
    isb
    mrs     x28, cntvct_el0             /* .bss zeroed */
    xencall_addr x1, xencall_boot_stamps
    stp     x24, x28, [x1]              /* slots: entry, bss, */
    stp     x25, x26, [x1, #16]         /* page tables, paging, */
    str     x27, [x1, #32]              /* relocated */
    mov     x0, x19
    bl      xencall_arm_main
9:  udf     #0xea1                      /* unreachable, or a bad relocation */
    .ltorg
    .popsection

    /* Not .bss: written with the MMU off, before .bss is zeroed. */
    .pushsection .xencall_pgtables, "aw", @nobits
    .balign 4096
    .globl xencall_l1_table
xencall_l1_table:
    .skip   3 * 4096                    /* L1, L2, L3 */
    .popsection

    .pushsection .xencall_stack, "aw", @nobits
    .balign 4096
    .globl xencall_arm_stack_guard
xencall_arm_stack_guard:
    .skip   4096                        /* unmapped: overflow faults */
    .skip   256 * 1024
xencall_arm_stack_top:
    .skip   16 * 1024
xencall_arm_exception_stack_top:
    .popsection
    "#
);

extern "C" {
    /// The level-1 table the entry code built (512 entries, 1 GiB each).
    static mut xencall_l1_table: [u64; 512];
}

/// Map the 1 GiB blocks overlapping `[start, start + len)` as Normal
/// write-back memory if they are not mapped yet: RAM the device tree lists
/// outside what the entry code mapped (above 4 GiB). Mapped blocks are left
/// alone, and so is anything beyond the 39-bit address space.
pub(super) fn map_ram(start: u64, len: u64) {
    /// Block descriptor: Normal (AttrIndx 0), inner shareable, accessed.
    const NORMAL_BLOCK: u64 = 0x701;
    let Some(end) = start.checked_add(len) else {
        return;
    };
    if len == 0 {
        return;
    }
    let first = start >> 30;
    let last = ((end - 1) >> 30).min(511);
    for gib in first..=last {
        // SAFETY: the table is ours, static, and only ever written from
        // here and the entry code, on one vCPU; entries are written whole
        // with volatile stores so the table walker never sees a torn one.
        unsafe {
            let entry = core::ptr::addr_of_mut!(xencall_l1_table[gib as usize]);
            if entry.read_volatile() & 1 == 0 {
                entry.write_volatile((gib << 30) | NORMAL_BLOCK);
            }
        }
    }
    compiler_fence(Ordering::SeqCst);
    // An invalid entry is never held in a TLB, so making it valid needs no
    // TLB invalidation: only the store's completion before later accesses.
    aarch64_cpu::asm::barrier::dsb(aarch64_cpu::asm::barrier::ISHST);
    aarch64_cpu::asm::barrier::isb(aarch64_cpu::asm::barrier::SY);
}
