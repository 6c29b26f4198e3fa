//! The two entry points, up to the first Rust code.
//!
//! PVH: Xen (or QEMU's PVH loader) starts us in 32-bit protected mode,
//! paging off, `ebx` = `hvm_start_info`. We zero `.bss` (it holds the page
//! tables and stack), identity-map the first 4 GiB with 2 MiB pages, load
//! our own GDT, enable PAE, SSE, long mode and paging, and jump to 64-bit
//! code. The hypercall page is installed later, from Rust, in long mode:
//! Xen latches the guest's 32/64-bit ABI from the CPU mode at the MSR write.
//!
//! PV: Xen starts us in 64-bit mode on its page tables with `rsi` =
//! `start_info`; SSE is already enabled for PV guests.
//!
//! Both run on the boot stack in `.bss`, with a guard page below it that
//! the Rust entry unmaps first thing (`stack_guard`).

core::arch::global_asm!(
    r#"
    .pushsection .text.xencall_entry, "ax"

    .code32
    .globl xencall_pvh_start
xencall_pvh_start:
    cli
    cld
    mov %ebx, %esi
    /* Boot profile (rt/boot_profile.rs): the hand-off, kept in ebx:ebp
       until .bss, where the stamps live, is zero. */
    rdtsc
    mov %eax, %ebp
    mov %edx, %ebx

    /* Zero .bss: page tables and stack live there. */
    mov $__bss_start, %edi
    mov $__bss_end, %ecx
    sub %edi, %ecx
    xor %eax, %eax
    rep stosb
    mov %ebp, xencall_boot_stamps
    mov %ebx, xencall_boot_stamps + 4
    rdtsc
    mov %eax, xencall_boot_stamps + 8       /* .bss zeroed */
    mov %edx, xencall_boot_stamps + 12

    /* PML4[0] -> PDPT; PDPT[0..4] -> PD[0..4]; PD: 2048 2 MiB pages. */
    mov $xencall_pdpt + 3, %eax
    mov %eax, xencall_pml4
    xor %ecx, %ecx
1:  mov %ecx, %eax
    shl $12, %eax
    add $xencall_pd + 3, %eax
    mov %eax, xencall_pdpt(,%ecx,8)
    inc %ecx
    cmp $4, %ecx
    jb 1b
    xor %ecx, %ecx
2:  mov %ecx, %eax
    shl $21, %eax
    or $0x83, %eax
    mov %eax, xencall_pd(,%ecx,8)
    mov %ecx, %eax
    shr $11, %eax
    mov %eax, xencall_pd + 4(,%ecx,8)
    inc %ecx
    cmp $2048, %ecx
    jb 2b
    rdtsc
    mov %eax, xencall_boot_stamps + 16      /* page tables built */
    mov %edx, xencall_boot_stamps + 20

    lgdt xencall_gdt_ptr

    /* CR4: PAE, OSFXSR, OSXMMEXCPT (SSE for Rust code). */
    mov %cr4, %eax
    or $0x620, %eax
    mov %eax, %cr4
    mov $xencall_pml4, %eax
    mov %eax, %cr3
    /* EFER.LME */
    mov $0xc0000080, %ecx
    rdmsr
    or $0x100, %eax
    wrmsr
    /* CR0: PG, MP, PE on; EM off (SSE would fault). */
    mov %cr0, %eax
    and $0xfffffffb, %eax
    or $0x80000003, %eax
    mov %eax, %cr0
    ljmp $0x08, $xencall_pvh_long

    .code64
xencall_pvh_long:
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
    mov $xencall_stack_top, %rsp
    rdtsc
    mov %eax, xencall_boot_stamps + 24      /* long mode, paging on */
    mov %edx, xencall_boot_stamps + 28
    mov %esi, %edi
    call xencall_pvh_main
    ud2

    .globl xencall_pv_start
xencall_pv_start:
    cld
    mov %rsi, %r12
    /* Boot profile: the hand-off, in r13 until .bss is zero. */
    rdtsc
    shl $32, %rdx
    or %rdx, %rax
    mov %rax, %r13
    lea __bss_start(%rip), %rdi
    lea __bss_end(%rip), %rcx
    sub %rdi, %rcx
    xor %eax, %eax
    rep stosb
    mov %r13, xencall_boot_stamps(%rip)
    rdtsc
    mov %eax, xencall_boot_stamps + 8(%rip)     /* .bss zeroed */
    mov %edx, xencall_boot_stamps + 12(%rip)
    lea xencall_stack_top(%rip), %rsp
    mov %r12, %rdi
    call xencall_pv_main
    ud2

    .popsection

    .pushsection .data.xencall_gdt, "aw"
    .balign 16
xencall_gdt:
    .quad 0
    .quad 0x00af9a000000ffff    /* 0x08: 64-bit code */
    .quad 0x00cf92000000ffff    /* 0x10: flat data */
    .quad 0x00cf9a000000ffff    /* 0x18: 32-bit code */
    /* 0x20 + 16 * n: vCPU n's TSS (PVH), written by `tss::load`. */
    .globl xencall_gdt_tss
xencall_gdt_tss:
    .skip 16 * {vcpus}
xencall_gdt_end:
    .balign 8
    .globl xencall_gdt_ptr
xencall_gdt_ptr:
    .word xencall_gdt_end - xencall_gdt - 1
    .quad xencall_gdt
    .popsection

    .pushsection .bss.xencall_boot, "aw", @nobits
    .balign 4096
xencall_pml4:
    .skip 4096
xencall_pdpt:
    .skip 4096
    .globl xencall_pd
xencall_pd:
    .skip 4 * 4096
    /* Page tables that split a 2 MiB page of the PVH identity map into
       4 KiB pages, one per guard page (see `page_tables`). */
    .globl xencall_split_tables
xencall_split_tables:
    .skip {vcpus} * 4096
    /* Unmapped from Rust at entry (`stack_guard`): an overflow of the
       stack above it faults instead of overwriting what lies below. */
    .globl xencall_stack_guard
xencall_stack_guard:
    .skip 4096
xencall_stack:
    .skip 128 * 1024
    .globl xencall_stack_top
xencall_stack_top:
    .popsection
    "#,
    vcpus = const super::VCPUS,
    options(att_syntax)
);
