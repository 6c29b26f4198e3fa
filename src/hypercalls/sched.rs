//! `sched_op`: giving up the CPU, waiting for events, shutting down.

use crate::abi::sched::{SchedOpCmd, SchedPoll, SchedShutdown, ShutdownReason};
use crate::abi::{HypercallOp, XenErrno};
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::handle::Xencall;

/// `Ok` where `SCHEDOP_block` may be made: anywhere but on a PV kernel
/// with no event callback, whose pending event Xen would deliver by
/// jumping to address 0 once the block unmasks events.
fn block_allowed(pv_kernel: bool, event_callback_registered: bool) -> Result<()> {
    if pv_kernel && !event_callback_registered {
        Err(Error::Xen(XenErrno::EINVAL))
    } else {
        Ok(())
    }
}

/// Most ports one `SCHEDOP_poll` may wait on.
///
/// ```
/// use xencall::hypercalls::MAX_POLL_PORTS;
/// use xencall::{abi::XenErrno, mock::MockBackend, Error, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// let too_many = [1u32; MAX_POLL_PORTS + 1];
/// // Refused before the hypercall, with the error Xen itself would give.
/// assert_eq!(xc.sched_poll(&too_many, None), Err(Error::Xen(XenErrno::EINVAL)));
/// assert_eq!(xc.backend().calls(), 0);
/// ```
pub const MAX_POLL_PORTS: usize = 128;

impl<B: Backend> Xencall<B> {
    /// `SCHEDOP_yield`: let another vCPU run.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // In a spin-wait, so the vCPU holding the lock gets to run.
    /// xc.sched_yield()?;
    /// assert_eq!(xc.backend().last(), Some((29, 2, [0, 0, 0, 0, 0]))); // sched_op, SCHEDOP_yield
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn sched_yield(&self) -> Result<()> {
        // SAFETY: SCHEDOP_yield takes no argument.
        unsafe { self.call2(HypercallOp::SCHED_OP, SchedOpCmd::YIELD.0.into(), 0)? };
        Ok(())
    }

    /// `SCHEDOP_block`: sleep until an event is pending for this vCPU. Xen
    /// first enables event delivery: on PV it clears the `vcpu_info`'s
    /// event mask, on Arm the guest's PSTATE.I (IRQs are unmasked on
    /// return, measured on Xen 4.17). With no event source bound it never
    /// returns.
    ///
    /// On a PV kernel it is refused with `EINVAL` until an event callback
    /// was registered through [`callback_register`](Self::callback_register)
    /// (as `rt::events::enable_upcall` does): Xen would deliver a pending
    /// event by jumping to the callback, address 0 when none is set.
    ///
    /// ```no_run
    /// use xencall::abi::event_channel::Virq;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let now_ns = 0u64;
    /// // Xen wakes the vCPU only for an event it can deliver: bind one (and
    /// // install the upcall vector or callback) first, or it sleeps for good.
    /// let port = xc.evtchn_bind_virq(Virq::TIMER, 0)?;
    /// xc.vcpu_set_singleshot_timer(0, now_ns + 10_000_000, 0)?;
    /// xc.sched_block()?; // returns once the timer event is pending
    /// # let _ = port;
    /// # Ok(()) }
    /// ```
    pub fn sched_block(&self) -> Result<()> {
        block_allowed(
            crate::arch::pv_kernel(),
            super::callback::event_callback_registered(),
        )?;
        // SAFETY: SCHEDOP_block takes no argument; on a PV kernel an event
        // callback is registered for the events it unmasks.
        unsafe { self.call2(HypercallOp::SCHED_OP, SchedOpCmd::BLOCK.0.into(), 0)? };
        Ok(())
    }

    /// `SCHEDOP_poll`: sleep until one of `ports` is pending or the
    /// absolute Xen system time `timeout_ns` passes (`None`: no timeout).
    /// More than [`MAX_POLL_PORTS`] ports is refused here with `EINVAL`,
    /// as Xen would.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let (port, now_ns) = (5u32, 0u64);
    /// // Wait at most 100 ms for `port` alone: unlike `sched_block` this works
    /// // with event delivery masked, and other ports' events do not end it.
    /// xc.sched_poll(&[port], Some(now_ns + 100_000_000))?;
    /// # Ok(()) }
    /// ```
    pub fn sched_poll(&self, ports: &[u32], timeout_ns: Option<u64>) -> Result<()> {
        if ports.len() > MAX_POLL_PORTS {
            return Err(Error::Xen(XenErrno::EINVAL));
        }
        // An empty slice still needs a valid handle: one spare port.
        let list = self.buffer_from_slice(if ports.is_empty() { &[0] } else { ports })?;
        let arg = self.buffer(SchedPoll {
            ports: list.addr(),
            nr_ports: ports.len() as u32,
            _pad0: 0,
            timeout: timeout_ns.unwrap_or(0),
        })?;
        // SAFETY: Xen reads the structure and the port list, both buffers
        // alive until after the call.
        unsafe { self.call2(HypercallOp::SCHED_OP, SchedOpCmd::POLL.0.into(), arg.addr())? };
        Ok(())
    }

    /// `SCHEDOP_shutdown`: stop this domain for `reason`. Returns only if
    /// Xen refuses (or, for `SUSPEND`, when the domain is resumed).
    ///
    /// ```no_run
    /// use xencall::abi::sched::ShutdownReason;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // The unikernel's work is done: `xl` sees a clean power-off.
    /// xc.sched_shutdown(ShutdownReason::POWEROFF)?;
    /// unreachable!("Xen accepted the shutdown, so this vCPU never runs again");
    /// # }
    /// ```
    pub fn sched_shutdown(&self, reason: ShutdownReason) -> Result<()> {
        self.shutdown_op(SchedOpCmd::SHUTDOWN, reason)
    }

    /// `SCHEDOP_shutdown_code`: record the reason a later shutdown (or
    /// crash) reports, without shutting down now.
    ///
    /// ```
    /// use xencall::abi::sched::ShutdownReason;
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // Ask for a reboot should the guest later die without saying why.
    /// xc.sched_shutdown_code(ShutdownReason::REBOOT)?;
    /// let (op, _, args) = xc.backend().last().unwrap();
    /// assert_eq!((op, args[0]), (29, 5)); // sched_op, SCHEDOP_shutdown_code
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn sched_shutdown_code(&self, reason: ShutdownReason) -> Result<()> {
        self.shutdown_op(SchedOpCmd::SHUTDOWN_CODE, reason)
    }

    fn shutdown_op(&self, cmd: SchedOpCmd, reason: ShutdownReason) -> Result<()> {
        let arg = self.buffer(SchedShutdown { reason: reason.0 })?;
        // SAFETY: Xen reads the structure in the buffer.
        unsafe { self.call2(HypercallOp::SCHED_OP, cmd.0.into(), arg.addr())? };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::MockBackend;

    fn handle() -> Xencall<MockBackend> {
        crate::mock::mock_handle(4)
    }

    #[test]
    fn a_pv_kernel_blocks_only_with_an_event_callback() {
        assert_eq!(
            block_allowed(true, false),
            Err(Error::Xen(XenErrno::EINVAL))
        );
        assert_eq!(block_allowed(true, true), Ok(()));
        // HVM, PVH and Arm deliver events through an interrupt, not a
        // callback address.
        assert_eq!(block_allowed(false, false), Ok(()));
    }

    #[test]
    fn arguments_reach_xen_as_the_abi_says() {
        let xc = handle();
        xc.backend().respond(|op, a| {
            assert_eq!(op, 29);
            match a[0] {
                0 | 1 => assert_eq!(a[1], 0),
                2 | 5 => {
                    // SAFETY: a sched_shutdown buffer.
                    let s = unsafe { *(a[1] as *const SchedShutdown) };
                    assert_eq!(s.reason, 3);
                }
                3 => {
                    // SAFETY: a sched_poll buffer and its port list.
                    let p = unsafe { *(a[1] as *const SchedPoll) };
                    assert_eq!((p.nr_ports, p.timeout), (2, 99));
                    // SAFETY: as above.
                    let ports = unsafe { std::slice::from_raw_parts(p.ports as *const u32, 2) };
                    assert_eq!(ports, [5, 7]);
                }
                _ => unreachable!(),
            }
            0
        });
        xc.sched_yield().unwrap();
        xc.sched_block().unwrap();
        xc.sched_poll(&[5, 7], Some(99)).unwrap();
        xc.sched_shutdown_code(ShutdownReason::CRASH).unwrap();
        xc.sched_shutdown(ShutdownReason::CRASH).unwrap();
        assert_eq!(
            xc.sched_poll(&[0; 129], None),
            Err(Error::Xen(XenErrno::EINVAL))
        );
        assert_eq!(xc.backend().calls(), 5);
        assert_eq!(xc.pool().free_page_count(), 4);
    }
}
