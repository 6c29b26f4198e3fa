//! Waiting for events. `SCHEDOP_block` returns only for an event Xen can
//! deliver to the vCPU, so blocking needs event delivery set up first:
//! [`enable_upcall`] registers the runtime's upcall handler, which clears
//! the vCPU's upcall-pending flag and pending-selector word each time Xen
//! injects it; [`block`] then sleeps until the next event. Which ports
//! fired stays in shared info's `evtchn_pending`: clear a port's bit once
//! handled, or Xen raises nothing for its next event.
//!
//! Delivery per mode: x86_64 PVH takes an interrupt vector registered
//! through `HVM_PARAM_CALLBACK_IRQ`; x86_64 PV registers an event callback
//! (`CALLBACKOP_register`) that returns through `HYPERVISOR_iret`, and
//! reads shared info through a page the caller maps with
//! `update_va_mapping`. aarch64 answers `EOPNOTSUPP` for now.
//! [`block`] before [`enable_upcall`] answers `EINVAL` instead of sleeping
//! for good.

use super::BootInfo;
use crate::abi::shared_info::VcpuInfo;
use crate::error::Result;

/// Deliver the boot vCPU's events as upcalls to the runtime's handler.
///
/// # Safety
/// `vcpu_info` must be the boot vCPU's `vcpu_info` (in the shared-info
/// page the caller mapped), valid for as long as upcalls are enabled: the
/// handler writes its `evtchn_upcall_pending` byte.
pub unsafe fn enable_upcall(boot: &BootInfo, vcpu_info: *mut VcpuInfo) -> Result<()> {
    crate::arch::rt::enable_upcall(boot, vcpu_info.cast::<u8>())
}

/// Stop delivering upcalls (the handler no longer writes anything).
pub fn disable_upcall() -> Result<()> {
    crate::arch::rt::disable_upcall()
}

/// Sleep in `SCHEDOP_block` until an event arrives, taking its upcall.
/// Call only after [`enable_upcall`]: without delivery Xen never wakes the
/// vCPU.
pub fn block() -> Result<()> {
    crate::arch::rt::block_with_upcalls()
}

/// Upcalls the handler has taken since boot.
pub fn upcalls() -> u64 {
    crate::arch::rt::upcall_count()
}
