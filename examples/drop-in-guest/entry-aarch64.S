/*
 * arm64 entry of the drop-in guest: an Image that Xen enters at offset 0,
 * EL1, MMU off, wherever it loaded it. Enable FP/SIMD (the library's Rust
 * code uses it), install vectors that fail the run, apply the
 * identity-map the first 4 GiB (GiB 0 devices, the rest Normal write-back,
 * as Xen's ABI wants memory shared with it) and turn the MMU on, apply the
 * R_AARCH64_RELATIVE relocations (linked at 0 as a static PIE), zero .bss
 * and call guest_main. (Under QEMU, which models no caches, the table
 * written with the MMU off needs no cache maintenance.)
 */
    .section .text.head, "ax"
    .globl _start
_start:
    b       start                       /* code0 */
    .long   0
    .quad   0                           /* text_offset */
    .quad   __image_size                /* image_size */
    .quad   0xa                         /* flags: LE, 4K, anywhere */
    .quad   0, 0, 0
    .ascii  "ARM\x64"
    .long   0

    .text
start:
    mov     x1, #(3 << 20)              /* CPACR_EL1.FPEN */
    msr     cpacr_el1, x1
    adrp    x1, vectors
    add     x1, x1, :lo12:vectors
    msr     vbar_el1, x1
    adrp    x1, stack_top
    add     x1, x1, :lo12:stack_top
    mov     sp, x1
    isb

    /* Level-1 table, 1 GiB blocks. */
    adrp    x1, l1
    add     x1, x1, :lo12:l1
    ldr     x2, =0x0060000000000405     /* GiB 0: Device-nGnRnE, AF, XN */
    str     x2, [x1]
    ldr     x4, =0x0000000000000701     /* Normal WB, inner shareable, AF */
    mov     x3, #1
3:  lsl     x2, x3, #30
    orr     x2, x2, x4
    str     x2, [x1, x3, lsl #3]
    add     x3, x3, #1
    cmp     x3, #4
    b.lo    3b
    dsb     sy
    mov     x2, #0xff                   /* MAIR: attr0 Normal WB, attr1 Device */
    msr     mair_el1, x2
    ldr     x2, =0x0000000000803519     /* TCR: 39-bit, WB WA, inner, 4K, EPD1 */
    msr     tcr_el1, x2
    msr     ttbr0_el1, x1
    isb
    tlbi    vmalle1
    dsb     nsh
    ic      iallu
    isb
    mrs     x2, sctlr_el1
    orr     x2, x2, #(1 << 0)           /* M */
    orr     x2, x2, #(1 << 2)           /* C */
    orr     x2, x2, #(1 << 12)          /* I */
    bic     x2, x2, #(1 << 19)          /* WXN */
    msr     sctlr_el1, x2
    isb

    /* Relocate (caches on): linked at 0, loaded at __image_start. */
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
    cmp     x4, #1027                   /* R_AARCH64_RELATIVE */
    b.ne    fail
    add     x5, x5, x20
    str     x5, [x20, x3]
    b       1b
2:  adrp    x1, __bss_start
    add     x1, x1, :lo12:__bss_start
    adrp    x2, __bss_end
    add     x2, x2, :lo12:__bss_end
4:  cmp     x1, x2
    b.hs    5f
    str     xzr, [x1], #8
    b       4b
5:  bl      guest_main
fail:
    mov     w0, #1
    /* fall through */

    /* Semihosting SYS_EXIT: status (code << 1) | 1, 33 pass, 35 fail. */
    .globl guest_exit
guest_exit:
    cmp     w0, #0
    mov     x1, #33
    mov     x2, #35
    csel    x1, x1, x2, eq
    adrp    x2, exit_block
    add     x2, x2, :lo12:exit_block
    ldr     x3, =0x20026                /* ADP_Stopped_ApplicationExit */
    stp     x3, x1, [x2]
    mov     x1, x2
    mov     x0, #0x18                   /* SYS_EXIT */
    hlt     #0xf000
6:  wfi
    b       6b
    .ltorg

    /* Any exception ends the run as a failure. */
    .balign 2048
vectors:
    .rept 16
    .balign 0x80
    mov     w0, #1
    b       guest_exit
    .endr

    .bss
    .balign 16
exit_block: .skip 16

    /* Not .bss: in use while .bss is zeroed. */
    .section .pgtable_stack, "aw", @nobits
    .balign 4096
l1: .skip 4096
    .skip 64 * 1024
stack_top:
