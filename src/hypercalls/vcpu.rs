//! `vcpu_op`: vCPU state and timers.

use crate::abi::vcpu::{VcpuOpCmd, VcpuRunstateInfo, VcpuSetPeriodicTimer, VcpuSetSingleshotTimer};
use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::Result;
use crate::handle::Xencall;

impl<B: Backend> Xencall<B> {
    /// `vcpu_op(cmd, vcpu, arg)` with `arg` in a buffer when given.
    fn vcpu_op<T: Copy>(
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
    pub fn vcpu_is_up(&self, vcpu: u32) -> Result<bool> {
        Ok(self.vcpu_op::<u8>(VcpuOpCmd::IS_UP, vcpu, None)?.0 != 0)
    }

    /// `VCPUOP_get_runstate_info`.
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
    pub fn vcpu_set_singleshot_timer(
        &self,
        vcpu: u32,
        timeout_abs_ns: u64,
        flags: u32,
    ) -> Result<()> {
        let arg = VcpuSetSingleshotTimer {
            timeout_abs_ns,
            flags,
        };
        self.vcpu_op(VcpuOpCmd::SET_SINGLESHOT_TIMER, vcpu, Some(arg))
            .map(drop)
    }

    /// `VCPUOP_stop_singleshot_timer`.
    pub fn vcpu_stop_singleshot_timer(&self, vcpu: u32) -> Result<()> {
        self.vcpu_op::<u8>(VcpuOpCmd::STOP_SINGLESHOT_TIMER, vcpu, None)
            .map(drop)
    }

    /// `VCPUOP_set_periodic_timer` (x86).
    pub fn vcpu_set_periodic_timer(&self, vcpu: u32, period_ns: u64) -> Result<()> {
        let arg = VcpuSetPeriodicTimer { period_ns };
        self.vcpu_op(VcpuOpCmd::SET_PERIODIC_TIMER, vcpu, Some(arg))
            .map(drop)
    }

    /// `VCPUOP_stop_periodic_timer`.
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
