//! `hvm_op`: HVM parameters, for PVH and Arm guests (a PV guest has none).

use crate::abi::hvm::{HvmOpCmd, HvmParam, XenHvmParam};
use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::Result;
use crate::handle::Xencall;

impl<B: Backend> Xencall<B> {
    fn hvm_param(&self, cmd: HvmOpCmd, domid: u16, param: HvmParam, value: u64) -> Result<u64> {
        let arg = self.buffer(XenHvmParam {
            domid,
            pad: 0,
            index: param.0,
            value,
        })?;
        // SAFETY: Xen reads (and for get writes) the structure.
        unsafe { self.call2(HypercallOp::HVM_OP, cmd.0.into(), arg.addr())? };
        Ok(arg.read().value)
    }

    /// `HVMOP_get_param`.
    pub fn hvm_get_param(&self, domid: u16, param: HvmParam) -> Result<u64> {
        self.hvm_param(HvmOpCmd::GET_PARAM, domid, param, 0)
    }

    /// `HVMOP_set_param`.
    pub fn hvm_set_param(&self, domid: u16, param: HvmParam, value: u64) -> Result<()> {
        self.hvm_param(HvmOpCmd::SET_PARAM, domid, param, value)
            .map(drop)
    }
}
