//! An event channel as a ring's [`Doorbell`]: `EVTCHNOP_send` to notify
//! the peer, `SCHEDOP_poll` on the port to wait for it. Polling works with
//! event delivery off (no upcall handler needed), so the console can use it
//! from the first line to a crash report.
//!
//! Waiting without losing a wake-up: Xen marks the port pending in shared
//! info's `evtchn_pending` when the peer notifies, and `SCHEDOP_poll`
//! returns at once if the port is pending already. [`wait`] first clears
//! the pending bit, returning at once if it was set (the caller then checks
//! its ring again), and only polls if it was clear; a notification that
//! comes after the caller found its ring full or empty either set the bit
//! before the clear (an early return) or sets it during the poll (which
//! ends it). Xen leaves the bit set when the poll ends, so [`wait`] clears
//! it once more: the notification that woke it is consumed, and the next
//! `wait` blocks until a new one instead of returning at once (the caller
//! looks at its ring after every `wait`, so what that notification
//! announced is seen).
//!
//! [`wait`]: EventChannelDoorbell::wait

use core::sync::atomic::{AtomicU64, Ordering};

use super::BootInfo;
use crate::abi::event_channel::{EvtchnOpCmd, EvtchnPort};
use crate::abi::sched::{SchedOpCmd, SchedPoll};
use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::Result;
use crate::shared_ring::Doorbell;

/// One event channel port, as a doorbell.
///
/// ```no_run
/// use xencall::rt::{event_doorbell::EventChannelDoorbell, BootInfo};
/// use xencall::shared_ring::Doorbell;
/// # fn demo(boot: &BootInfo) -> xencall::Result<()> {
/// // The xenstore port of a domU: tell xenstored a request is in the ring.
/// if let Some(store) = boot.xenstore_ring {
///     let bell = EventChannelDoorbell::new(boot, store.event_channel)?;
///     bell.notify();
/// }
/// # Ok(()) }
/// ```
pub struct EventChannelDoorbell {
    port: u32,
    /// The `evtchn_pending` word holding the port's bit.
    pending: &'static AtomicU64,
    bit: u64,
}

impl EventChannelDoorbell {
    /// The doorbell of `port`; maps the shared-info page (once per boot)
    /// for its pending bit.
    ///
    /// ```no_run
    /// use xencall::rt::{event_doorbell::EventChannelDoorbell, BootInfo};
    /// # fn demo(boot: &BootInfo) -> xencall::Result<()> {
    /// let console = boot.console_ring.expect("a domU's console");
    /// let bell = EventChannelDoorbell::new(boot, console.event_channel)?;
    /// assert_eq!(bell.port(), console.event_channel);
    /// # Ok(()) }
    /// ```
    pub fn new(boot: &BootInfo, port: u32) -> Result<EventChannelDoorbell> {
        let shared = super::shared_info::map(boot)?.as_ptr();
        let word = (port / 64) as usize;
        if word >= 64 {
            // Beyond the 2-level ABI's 4096 ports.
            return Err(crate::Error::Xen(crate::abi::XenErrno::EINVAL));
        }
        // SAFETY: the shared-info page stays mapped for the rest of the
        // boot; `evtchn_pending` words are aligned 64-bit words that Xen
        // changes with atomic operations, so an atomic view is right.
        let pending =
            unsafe { AtomicU64::from_ptr(core::ptr::addr_of_mut!((*shared).evtchn_pending[word])) };
        Ok(EventChannelDoorbell {
            port,
            pending,
            bit: 1 << (port % 64),
        })
    }

    /// The port.
    ///
    /// ```no_run
    /// use xencall::rt::{event_doorbell::EventChannelDoorbell, BootInfo};
    /// # fn demo(boot: &BootInfo) -> xencall::Result<()> {
    /// let bell = EventChannelDoorbell::new(boot, 2)?;
    /// assert_eq!(bell.port(), 2);
    /// # Ok(()) }
    /// ```
    pub fn port(&self) -> u32 {
        self.port
    }
}

impl Doorbell for EventChannelDoorbell {
    /// `EVTCHNOP_send`. Made directly with the argument on the stack (no
    /// hypercall buffer, no lock), so a crash report can notify too.
    fn notify(&self) {
        let Some(native) = crate::arch::registered_native() else {
            return;
        };
        let arg = EvtchnPort { port: self.port };
        // SAFETY: EVTCHNOP_send reads the 4-byte structure; a stack slot is
        // mapped guest memory in every mode.
        unsafe {
            native.call2(
                HypercallOp::EVENT_CHANNEL_OP.0.into(),
                EvtchnOpCmd::SEND.0.into(),
                &arg as *const EvtchnPort as u64,
            )
        };
    }

    /// Clear the port's pending bit; if it was clear, `SCHEDOP_poll` until
    /// the port is pending, then clear the bit again (see the module
    /// documentation).
    fn wait(&self) {
        if self.pending.fetch_and(!self.bit, Ordering::AcqRel) & self.bit != 0 {
            return;
        }
        let Some(native) = crate::arch::registered_native() else {
            return;
        };
        let ports = [self.port];
        let arg = SchedPoll {
            ports: ports.as_ptr() as u64,
            nr_ports: 1,
            _pad0: 0,
            timeout: 0,
        };
        // SAFETY: SCHEDOP_poll reads the structure and the one-port list,
        // both on this stack frame, alive for the whole call.
        unsafe {
            native.call2(
                HypercallOp::SCHED_OP.0.into(),
                SchedOpCmd::POLL.0.into(),
                &arg as *const SchedPoll as u64,
            )
        };
        // Consume the notification that ended the poll.
        self.pending.fetch_and(!self.bit, Ordering::AcqRel);
    }
}
