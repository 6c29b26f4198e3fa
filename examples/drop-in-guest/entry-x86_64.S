/*
 * x86_64 PVH entry of the drop-in guest: Xen enters at xencall_dropin_pvh
 * in 32-bit protected mode, paging off. Identity-map the first GiB with
 * 2 MiB pages (the library assumes virtual = physical for its hypercall
 * page), enter long mode and call guest_main.
 */
    .section .note.xen, "a", @note
    .macro note type, desc:vararg
    .balign 4
    .long 4
    .long 2f - 1f
    .long \type
    .asciz "Xen"
    .balign 4
1:  \desc
2:
    .endm
    note 6,  .asciz "drop-in-guest"      /* GUEST_OS */
    note 5,  .asciz "xen-3.0"            /* XEN_VERSION */
    note 8,  .asciz "generic"            /* LOADER */
    note 18, .long xencall_dropin_pvh    /* PHYS32_ENTRY */
    note 17, .long (1 << 11)             /* SUPPORTED_FEATURES: dom0 */
    .balign 4

    .text
    .code32
    .globl xencall_dropin_pvh
xencall_dropin_pvh:
    cli
    cld
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    mov $pdpt + 3, %eax
    mov %eax, pml4
    mov $pd + 3, %eax
    mov %eax, pdpt
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax                  /* present, writable, 2 MiB */
    mov %eax, pd(,%ecx,8)
    inc %ecx
    cmp $512, %ecx
    jb 1b
    lgdt gdt_pointer
    mov %cr4, %eax
    or $0x20, %eax                  /* PAE */
    mov %eax, %cr4
    mov $pml4, %eax
    mov %eax, %cr3
    mov $0xc0000080, %ecx           /* EFER.LME */
    rdmsr
    or $0x100, %eax
    wrmsr
    mov %cr0, %eax
    or $0x80000001, %eax            /* PG, PE */
    mov %eax, %cr0
    ljmp $0x08, $long_mode

    .code64
long_mode:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov $stack_top, %rsp
    call guest_main
    ud2

    /* isa-debug-exit: QEMU exits with (byte << 1) | 1: 33 pass, 35 fail. */
    .globl guest_exit
guest_exit:
    mov $0x10, %eax
    test %edi, %edi
    jz 1f
    mov $0x11, %eax
1:  outb %al, $0xf4
2:  hlt
    jmp 2b

    .data
    .balign 16
gdt:
    .quad 0
    .quad 0x00af9a000000ffff        /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff        /* 0x10: data */
gdt_end:
gdt_pointer:
    .word gdt_end - gdt - 1
    .quad gdt

    .bss
    .balign 4096
pml4: .skip 4096
pdpt: .skip 4096
pd:   .skip 4096
    .balign 16
    .skip 64 * 1024
stack_top:
