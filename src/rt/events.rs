//! Waiting for events. `SCHEDOP_block` returns only for an event Xen can
//! deliver to the vCPU, so blocking needs event delivery set up first:
//! [`enable_upcall`] registers the runtime's upcall handler, which clears
//! the vCPU's upcall-pending flag and pending-selector word each time Xen
//! injects it; [`block`] then sleeps until the next event. Which ports
//! fired stays in shared info's `evtchn_pending`: clear a port's bit once
//! handled, or Xen raises nothing for its next event. [`shared_info::map`]
//! maps the page in every mode.
//!
//! [`shared_info::map`]: super::shared_info::map
//!
//! Delivery per mode: x86_64 PVH takes an interrupt vector registered
//! through `HVM_PARAM_CALLBACK_IRQ`; x86_64 PV registers an event callback
//! (`CALLBACKOP_register`) that returns through `HYPERVISOR_iret`;
//! aarch64 enables the event interrupt (the PPI the
//! device tree's `/hypervisor` node names, 16 for dom0 on Xen 4.17) in the
//! GICv3 and takes it in the IRQ vector. Arm has no one-shot timer
//! hypercall: `arm_timer` (in aarch64 builds) is the virtual timer, as a
//! wake-up source.
//! [`block`] before [`enable_upcall`] answers `EINVAL` instead of sleeping
//! for good.

use super::BootInfo;
use crate::abi::shared_info::VcpuInfo;
use crate::error::Result;

/// Deliver the boot vCPU's events as upcalls to the runtime's handler.
///
/// ```no_run
/// use core::ptr::addr_of_mut;
/// use xencall::rt::{events, shared_info, BootInfo};
/// # fn demo(boot: &BootInfo) -> xencall::Result<()> {
/// let shared = shared_info::map(boot)?.as_ptr();
/// // SAFETY: vCPU 0's vcpu_info, in the page mapped for the rest of the boot.
/// unsafe { events::enable_upcall(boot, addr_of_mut!((*shared).vcpu_info[0]))? };
/// # Ok(()) }
/// ```
///
/// # Safety
/// `vcpu_info` must be the boot vCPU's `vcpu_info` (in the shared-info
/// page the caller mapped), valid for as long as upcalls are enabled: the
/// handler writes its `evtchn_upcall_pending` byte.
pub unsafe fn enable_upcall(boot: &BootInfo, vcpu_info: *mut VcpuInfo) -> Result<()> {
    crate::arch::rt::enable_upcall(boot, vcpu_info.cast::<u8>())
}

/// Stop delivering upcalls (the handler no longer writes anything).
///
/// ```no_run
/// use xencall::rt::events;
/// // Before the shared-info page goes away: nothing writes to it afterwards,
/// // and `block` answers EINVAL again.
/// events::disable_upcall()?;
/// assert_eq!(events::block(), Err(xencall::Error::Xen(xencall::abi::XenErrno::EINVAL)));
/// # Ok::<(), xencall::Error>(())
/// ```
pub fn disable_upcall() -> Result<()> {
    crate::arch::rt::disable_upcall()
}

/// Sleep until an event arrives, taking its upcall; an event already
/// pending ends it at once. PV and aarch64 sleep in `SCHEDOP_block`, x86_64
/// PVH in `sti; hlt` (Xen blocks the vCPU in `SCHEDOP_block` for it),
/// since interrupts must be unmasked by the instruction directly before
/// the one that sleeps. Call only after [`enable_upcall`]: without
/// delivery Xen never wakes the vCPU, so before it this answers `EINVAL`.
/// Only the boot vCPU's events are delivered: on any other vCPU this
/// answers `EOPNOTSUPP` (on x86_64 the vCPU is told by the runtime stack
/// it runs on, so a stack of the caller's own is refused too).
///
/// ```no_run
/// use xencall::abi::event_channel::Virq;
/// use xencall::rt::events;
/// # fn demo(xc: &xencall::Xencall, now_ns: u64) -> xencall::Result<()> {
/// // After enable_upcall: wake in 10 ms (x86: a one-shot timer's VIRQ).
/// let port = xc.evtchn_bind_virq(Virq::TIMER, 0)?;
/// xc.vcpu_set_singleshot_timer(0, now_ns + 10_000_000, 0)?;
/// events::block()?;
/// xc.evtchn_close(port)?;
/// # Ok(()) }
/// ```
pub fn block() -> Result<()> {
    crate::arch::rt::block_with_upcalls()
}

/// Upcalls the handler has taken since boot.
///
/// ```no_run
/// use xencall::rt::events;
/// let before = events::upcalls();
/// events::block()?;
/// // The event that ended the block was delivered, not just left pending.
/// assert!(events::upcalls() > before);
/// # Ok::<(), xencall::Error>(())
/// ```
pub fn upcalls() -> u64 {
    crate::arch::rt::upcall_count()
}

/// Arm's virtual timer (aarch64 only), the wake-up source for [`block`]
/// on Arm, where Xen has no one-shot timer hypercall: program a deadline
/// in counter ticks; its interrupt (taken by the runtime, which disarms the
/// timer) wakes a vCPU blocked in `SCHEDOP_block`.
///
/// ```no_run
/// use xencall::rt::events::{self, arm_timer};
/// // Sleep about 20 ms (events must be enabled: see `enable_upcall`).
/// let deadline = arm_timer::now() + arm_timer::frequency() / 50;
/// arm_timer::arm(deadline)?;
/// events::block()?;
/// assert!(arm_timer::now() >= deadline);
/// # Ok::<(), xencall::Error>(())
/// ```
#[cfg(target_arch = "aarch64")]
pub mod arm_timer {
    pub use crate::arch::rt::timer::*;
}
