//! Guard pages below every stack the runtime runs on: the boot stack
//! (`entry`) and each started vCPU's `Stack`. A guard page is unmapped,
//! so a stack overflow faults at the guard instead of silently writing
//! whatever lies below the stack.
//!
//! What happens then differs per mode:
//! * PVH: pushing the page fault's frame onto the overflowed stack faults
//!   again, which makes it a double fault; the IDT sends that to an IST
//!   stack of its own (`tss`), where the handler finds CR2 inside a guard
//!   page and reports a stack overflow.
//! * PV: Xen delivers a PV guest's exceptions by writing the frame onto the
//!   guest's current stack itself (`create_bounce_frame`). That write
//!   faults in Xen, which then prints the page walk of the address it
//!   could not write and crashes the domain ("domain_crash_sync called
//!   from entry.S"): no guest code runs again. The guard turns silent
//!   corruption into that clean crash, and the test runner names the stack
//!   overflow from Xen's lines (the address is in the image and unmapped:
//!   only guard pages are).
//!
//! The registry also tells which vCPU a stack pointer belongs to.

use core::sync::atomic::{AtomicUsize, Ordering};

use crate::error::Result;

/// A guard page's size.
pub(crate) const GUARD_SIZE: usize = 4096;

extern "C" {
    /// The boot stack's guard page and the stack's top (`entry`).
    static xencall_stack_guard: u8;
    static xencall_stack_top: u8;
}

/// Per vCPU: its stack's guard page (0: none yet) and the stack's top.
static GUARDS: [AtomicUsize; super::VCPUS] = [const { AtomicUsize::new(0) }; super::VCPUS];
static TOPS: [AtomicUsize; super::VCPUS] = [const { AtomicUsize::new(0) }; super::VCPUS];

/// Unmap the boot stack's guard page: the first thing either entry does
/// in Rust, on the boot stack's top (far from the guard).
pub(super) fn protect_boot_stack() {
    let guard = core::ptr::addr_of!(xencall_stack_guard) as usize;
    let top = core::ptr::addr_of!(xencall_stack_top) as usize;
    // Without it an overflow would go unnoticed, as before; the boot goes
    // on (nothing else depends on the guard), and says so.
    if let Err(e) = protect(0, guard, top) {
        crate::println!("xencall: no guard page below the boot stack: {e}");
    }
}

/// Unmap `guard`, the page below vCPU `vcpu`'s stack ending at `top`, and
/// remember both.
pub(super) fn protect(vcpu: u32, guard: usize, top: usize) -> Result<()> {
    // Recorded first: the stack is the vCPU's even if the unmap fails.
    let slot = vcpu as usize;
    TOPS[slot].store(top, Ordering::Release);
    GUARDS[slot].store(guard, Ordering::Release);
    super::page_tables::unmap_page(guard)
}

/// The vCPU whose guard page holds `addr`, if any.
pub(super) fn guard_owner(addr: u64) -> Option<u32> {
    (0..super::VCPUS).find_map(|v| {
        let guard = GUARDS[v].load(Ordering::Acquire) as u64;
        (guard != 0 && (guard..guard + GUARD_SIZE as u64).contains(&addr)).then_some(v as u32)
    })
}

/// The vCPU whose stack holds `sp`, if any: the runtime's stacks are the
/// only ones its code runs on.
pub(super) fn stack_owner(sp: usize) -> Option<u32> {
    (0..super::VCPUS).find_map(|v| {
        let guard = GUARDS[v].load(Ordering::Acquire);
        let top = TOPS[v].load(Ordering::Acquire);
        (guard != 0 && sp > guard + GUARD_SIZE && sp <= top).then_some(v as u32)
    })
}
