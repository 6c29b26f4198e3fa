//! Event delivery for PVH: Xen injects an interrupt vector (registered
//! through `HVM_PARAM_CALLBACK_IRQ`) while events are pending for a vCPU
//! and its interrupts are enabled. The handler clears the vCPU's
//! upcall-pending flag (else Xen would inject again at once) and its
//! pending-selector word (Xen raises an upcall only when it sets a selector
//! bit that was clear), and counts; which ports are pending stays in
//! shared info's `evtchn_pending` for the caller to read and clear.
//!
//! This is what lets `SCHEDOP_block` return: Xen wakes a blocked HVM vCPU
//! for an event only when it can deliver it.
//!
//! PV guests have no interrupt vectors for events: Xen enters the callback
//! registered with `CALLBACKOP_register` on the guest's stack, with
//! `rcx` and `r11` pushed above an `iret` frame and events masked in the
//! `vcpu_info`. A PV kernel cannot `iretq` to itself (it runs in ring 3),
//! so the stub leaves through `HYPERVISOR_iret`, which also restores the
//! event mask from the frame's interrupt flag.

use core::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// The vector Xen injects for events (above the exceptions, below the
/// range local APIC timers and IPIs would use).
pub(crate) const UPCALL_VECTOR: u8 = 0xf3;

/// Upcalls taken so far.
#[export_name = "xencall_upcall_count"]
static UPCALL_COUNT: AtomicU64 = AtomicU64::new(0);

/// Address of the boot vCPU's `vcpu_info` (0: none): the pending flag is
/// its first byte, the selector word at offset 8.
#[export_name = "xencall_upcall_pending_flag"]
static PENDING_FLAG: AtomicUsize = AtomicUsize::new(0);

core::arch::global_asm!(
    r#"
    .pushsection .text.xencall_upcall, "ax"
    .globl xencall_upcall_stub
xencall_upcall_stub:
    push %rax
    lock incq xencall_upcall_count(%rip)
    mov xencall_upcall_pending_flag(%rip), %rax
    test %rax, %rax
    jz 1f
    movb $0, (%rax)
    lock andq $0, 8(%rax)
1:  pop %rax
    iretq

    // PV: Xen's frame is rcx, r11, rip, cs, rflags, rsp, ss.
    .globl xencall_pv_upcall_stub
xencall_pv_upcall_stub:
    pop %rcx
    pop %r11
    push %rax
    lock incq xencall_upcall_count(%rip)
    mov xencall_upcall_pending_flag(%rip), %rax
    test %rax, %rax
    jnz 2f
    // No vcpu_info to clear: return with the frame's interrupt flag clear,
    // so that HYPERVISOR_iret leaves events masked instead of re-entering
    // here for the same pending event forever.
    andq $~0x200, 24(%rsp)
    jmp 3f
2:  movb $0, (%rax)
    lock andq $0, 8(%rax)
3:  pop %rax
    // HYPERVISOR_iret's stub pushes rcx, r11 and rax (the values to
    // restore) above this flags word; 0: not returning from a syscall.
    push $0
    jmp xencall_hypercall_page + 23 * 32
    .popsection
    "#,
    options(att_syntax)
);

extern "C" {
    fn xencall_upcall_stub();
    fn xencall_pv_upcall_stub();
}

/// The handler's address, for the IDT.
pub(super) fn stub_address() -> u64 {
    xencall_upcall_stub as *const () as u64
}

/// The PV event callback's address, for `CALLBACKOP_register`.
pub(super) fn pv_stub_address() -> u64 {
    xencall_pv_upcall_stub as *const () as u64
}

/// The `vcpu_info` the handler clears (null: none).
pub(crate) fn pending_flag() -> *mut u8 {
    PENDING_FLAG.load(Ordering::Acquire) as *mut u8
}

/// Send upcalls to the handler, which clears the flag and selector of the
/// `vcpu_info` at `pending`.
pub(crate) fn set_pending_flag(pending: *mut u8) {
    PENDING_FLAG.store(pending as usize, Ordering::Release);
}

/// Upcalls taken so far.
pub(crate) fn count() -> u64 {
    UPCALL_COUNT.load(Ordering::Acquire)
}
