//! The arm64 Image header and the entry code, up to the first Rust code.
//!
//! Xen enters at offset 0 at EL1 with the MMU off and `x0` = device tree.
//! Before any Rust runs: FP/SIMD on (Rust's aarch64 code uses NEON),
//! exception vectors installed (a fault without them hangs silently), our
//! own relocations applied (the load address moves with the memory size),
//! `.bss` zeroed (Xen copies the file only), and the MMU turned on with an
//! identity map: RAM Normal write-back inner-shareable, as Xen's Arm ABI
//! requires for memory shared with it (with the MMU off, real hardware
//! would treat hypercall buffers as Device memory), the first GiB (where
//! QEMU's `virt` board and most SoCs put their devices) Device-nGnRnE.
//! Everything runs from the identity map, so no jump is needed.

core::arch::global_asm!(
    r#"
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
    mov     x19, x0                     /* device tree */

    mov     x1, #(3 << 20)              /* CPACR_EL1.FPEN: no FP/SIMD traps */
    msr     cpacr_el1, x1
    adrp    x1, xencall_vectors
    add     x1, x1, :lo12:xencall_vectors
    msr     vbar_el1, x1
    isb

    /* Relocate: linked at 0, so every R_AARCH64_RELATIVE slot gets the
       load address added to its addend. */
    adrp    x20, __image_start
    add     x20, x20, :lo12:__image_start
    adrp    x1, __rela_start
    add     x1, x1, :lo12:__rela_start
    adrp    x2, __rela_end
    add     x2, x2, :lo12:__rela_end
1:  cmp     x1, x2
    b.hs    2f
    ldp     x3, x4, [x1], #16           /* r_offset, r_info */
    ldr     x5, [x1], #8                /* r_addend */
    cmp     w4, #1027                   /* R_AARCH64_RELATIVE */
    b.ne    1b
    add     x5, x5, x20
    str     x5, [x20, x3]
    b       1b
2:
    /* Zero .bss (page tables and stack live there). */
    adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
3:  cmp     x1, x2
    b.hs    4f
    str     xzr, [x1], #8
    b       3b
4:
    /* Level-1 table, 1 GiB blocks: [0] Device-nGnRnE (AttrIndx 1, XN),
       [1..4) Normal WB inner-shareable (AttrIndx 0). */
    adrp    x1, xencall_l1_table
    add     x1, x1, :lo12:xencall_l1_table
    ldr     x2, =0x0060000000000405     /* block, AttrIndx 1, AF, PXN|UXN */
    str     x2, [x1]
    mov     x3, #1
5:  lsl     x2, x3, #30
    ldr     x4, =0x0000000000000701     /* block, AttrIndx 0, SH inner, AF */
    orr     x2, x2, x4
    str     x2, [x1, x3, lsl #3]
    add     x3, x3, #1
    cmp     x3, #4
    b.lo    5b

    ldr     x2, =0x00ff                 /* MAIR: attr0 Normal WB RWA, attr1 Device-nGnRnE */
    msr     mair_el1, x2
    /* TCR: T0SZ=25 (39-bit), IRGN0/ORGN0 WB WA, SH0 inner, TG0 4K,
       EPD1 (no TTBR1 walks), IPS 40-bit. */
    ldr     x2, =0x0000000200803519
    msr     tcr_el1, x2
    msr     ttbr0_el1, x1
    isb
    tlbi    vmalle1
    dsb     ish
    isb
    mrs     x2, sctlr_el1
    orr     x2, x2, #(1 << 0)           /* M */
    orr     x2, x2, #(1 << 2)           /* C */
    orr     x2, x2, #(1 << 12)          /* I */
    msr     sctlr_el1, x2
    isb

    adrp    x1, xencall_arm_stack_top
    add     x1, x1, :lo12:xencall_arm_stack_top
    mov     sp, x1
    mov     x0, x19
    bl      xencall_arm_main
6:  wfi
    b       6b
    .ltorg
    .popsection

    .pushsection .bss.xencall_boot, "aw", @nobits
    .balign 4096
xencall_l1_table:
    .skip   4096
    .balign 16
xencall_arm_stack:
    .skip   128 * 1024
xencall_arm_stack_top:
    .popsection
    "#
);
