//! `vcpu_op`: vCPU state and timers.

use crate::abi::vcpu::{VcpuOpCmd, VcpuRunstateInfo, VcpuSetPeriodicTimer, VcpuSetSingleshotTimer};
use zerocopy::{FromBytes, IntoBytes};

use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::Result;
use crate::handle::Xencall;

impl<B: Backend> Xencall<B> {
    /// `vcpu_op(cmd, vcpu, arg)` with `arg` in a buffer when given.
    fn vcpu_op<T: Copy + FromBytes + IntoBytes>(
        &self,
        cmd: VcpuOpCmd,
        vcpu: u32,
        arg: Option<T>,
    ) -> Result<(u64, Option<T>)> {
        match arg {
            None => {
                // SAFETY: these commands take no argument.
                let r = unsafe { self.call3(HypercallOp::VCPU_OP, cmd.0.into(), vcpu.into(), 0)? };
                Ok((r, None))
            }
            Some(value) => {
                let buffer = self.buffer(value)?;
                // SAFETY: Xen reads and writes the structure in the buffer.
                let r = unsafe {
                    self.call3(
                        HypercallOp::VCPU_OP,
                        cmd.0.into(),
                        vcpu.into(),
                        buffer.addr(),
                    )?
                };
                Ok((r, Some(buffer.read())))
            }
        }
    }

    /// `VCPUOP_is_up`.
    ///
    /// ```no_run
    /// use xencall::{abi::XenErrno, Error};
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // vCPU IDs are dense: the first one Xen does not know (ENOENT) ends the list.
    /// let mut online = 0;
    /// for id in 0.. {
    ///     match xc.vcpu_is_up(id) {
    ///         Ok(up) => online += u32::from(up),
    ///         Err(Error::Xen(XenErrno::ENOENT)) => break,
    ///         Err(e) => return Err(e),
    ///     }
    /// }
    /// # let _ = online;
    /// # Ok(()) }
    /// ```
    pub fn vcpu_is_up(&self, vcpu: u32) -> Result<bool> {
        Ok(self.vcpu_op::<u8>(VcpuOpCmd::IS_UP, vcpu, None)?.0 != 0)
    }

    /// `VCPUOP_get_runstate_info`.
    ///
    /// ```no_run
    /// use xencall::abi::vcpu::Runstate;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let info = xc.vcpu_runstate_info(0)?;
    /// // Time spent ready to run but not running is time another guest took.
    /// let stolen_ns = info.time[Runstate::RUNNABLE.0 as usize] + info.time[Runstate::OFFLINE.0 as usize];
    /// # let _ = stolen_ns;
    /// # Ok(()) }
    /// ```
    pub fn vcpu_runstate_info(&self, vcpu: u32) -> Result<VcpuRunstateInfo> {
        let (_, info) = self.vcpu_op(
            VcpuOpCmd::GET_RUNSTATE_INFO,
            vcpu,
            Some(VcpuRunstateInfo::default()),
        )?;
        Ok(info.unwrap_or_default())
    }

    /// `VCPUOP_set_singleshot_timer`: fire `VIRQ_TIMER` at the absolute
    /// Xen system time `timeout_abs_ns` (x86).
    ///
    /// ```no_run
    /// use xencall::abi::{vcpu::VCPU_SSHOTTMR_FUTURE, XenErrno};
    /// use xencall::Error;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let now_ns = 0u64;
    /// let deadline = now_ns + 1_000_000; // 1 ms from now
    /// match xc.vcpu_set_singleshot_timer(0, deadline, VCPU_SSHOTTMR_FUTURE) {
    ///     Ok(()) => {} // VIRQ_TIMER arrives at `deadline`
    ///     // Already past: run the expired work now instead of taking an event.
    ///     Err(Error::Xen(XenErrno::ETIME)) => {}
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn vcpu_set_singleshot_timer(
        &self,
        vcpu: u32,
        timeout_abs_ns: u64,
        flags: u32,
    ) -> Result<()> {
        let arg = VcpuSetSingleshotTimer {
            timeout_abs_ns,
            flags,
            _pad0: 0,
        };
        self.vcpu_op(VcpuOpCmd::SET_SINGLESHOT_TIMER, vcpu, Some(arg))
            .map(drop)
    }

    /// `VCPUOP_stop_singleshot_timer`.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // The awaited event came first: cancel the timeout on vCPU 1.
    /// xc.vcpu_stop_singleshot_timer(1)?;
    /// // vcpu_op, STOP_SINGLESHOT_TIMER, vCPU 1, and no argument buffer.
    /// assert_eq!(xc.backend().last(), Some((24, 3, [9, 1, 0, 0, 0])));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn vcpu_stop_singleshot_timer(&self, vcpu: u32) -> Result<()> {
        self.vcpu_op::<u8>(VcpuOpCmd::STOP_SINGLESHOT_TIMER, vcpu, None)
            .map(drop)
    }

    /// `VCPUOP_set_periodic_timer` (x86).
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // A 250 Hz tick on vCPU 0, delivered as VIRQ_TIMER.
    /// xc.vcpu_set_periodic_timer(0, 4_000_000)?;
    /// # Ok(()) }
    /// ```
    pub fn vcpu_set_periodic_timer(&self, vcpu: u32, period_ns: u64) -> Result<()> {
        let arg = VcpuSetPeriodicTimer { period_ns };
        self.vcpu_op(VcpuOpCmd::SET_PERIODIC_TIMER, vcpu, Some(arg))
            .map(drop)
    }

    /// `VCPUOP_stop_periodic_timer`.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // A PV vCPU starts with a periodic tick; a tickless kernel turns it off
    /// // and arms one-shot timers only when it has something to wait for.
    /// xc.vcpu_stop_periodic_timer(0)?;
    /// # Ok(()) }
    /// ```
    pub fn vcpu_stop_periodic_timer(&self, vcpu: u32) -> Result<()> {
        self.vcpu_op::<u8>(VcpuOpCmd::STOP_PERIODIC_TIMER, vcpu, None)
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use crate::abi::hvm::{HvmParam, XenHvmParam};
    use crate::abi::physdev::PhysdevSetIopl;
    use crate::abi::vcpu::{VcpuRunstateInfo, VcpuSetSingleshotTimer};

    #[test]
    fn vcpu_hvm_and_physdev_arguments_cross_as_the_abi_says() {
        let xc = crate::mock::mock_handle(2);
        xc.backend().respond(|op, a| {
            // SAFETY: each command's structure, in a hypercall buffer.
            unsafe {
                match (op, a[0]) {
                    (24, 3) => return u64::from(a[1] == 0),
                    (24, 4) => (*(a[2] as *mut VcpuRunstateInfo)).time[0] = 5,
                    (24, 8) => {
                        assert_eq!((*(a[2] as *const VcpuSetSingleshotTimer)).timeout_abs_ns, 9)
                    }
                    (24, 9) => assert_eq!(a[2], 0),
                    (34, 1) => {
                        let p = &mut *(a[1] as *mut XenHvmParam);
                        assert_eq!((p.domid, p.index), (0x7ff0, 2));
                        p.value = 11;
                    }
                    (33, 6) => assert_eq!((*(a[1] as *const PhysdevSetIopl)).iopl, 1),
                    other => panic!("unexpected {other:?}"),
                }
            }
            0
        });
        assert_eq!(xc.vcpu_is_up(0), Ok(true));
        assert_eq!(xc.vcpu_is_up(1), Ok(false));
        assert_eq!(xc.vcpu_runstate_info(0).map(|i| i.time[0]), Ok(5));
        xc.vcpu_set_singleshot_timer(0, 9, 0).unwrap();
        xc.vcpu_stop_singleshot_timer(0).unwrap();
        assert_eq!(xc.hvm_get_param(0x7ff0, HvmParam::STORE_EVTCHN), Ok(11));
        xc.physdev_set_iopl(1).unwrap();
        assert_eq!(xc.pool().free_page_count(), 2);
    }
}
