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
    ///
    /// ```no_run
    /// use xencall::abi::{hvm::HvmParam, memory::DOMID_SELF};
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // All a PVH guest needs to reach xenstored: its ring page and event channel.
    /// let ring_gfn = xc.hvm_get_param(DOMID_SELF, HvmParam::STORE_PFN)?;
    /// let port = xc.hvm_get_param(DOMID_SELF, HvmParam::STORE_EVTCHN)? as u32;
    /// # let _ = (ring_gfn, port);
    /// # Ok(()) }
    /// ```
    pub fn hvm_get_param(&self, domid: u16, param: HvmParam) -> Result<u64> {
        self.hvm_param(HvmOpCmd::GET_PARAM, domid, param, 0)
    }

    /// `HVMOP_set_param`.
    ///
    /// ```no_run
    /// use xencall::abi::{hvm::HvmParam, memory::DOMID_SELF};
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let vector = 0xf3u8;
    /// // Type 2 in the top byte: deliver events as interrupt `vector` on the
    /// // vCPU they target (needs XENFEAT_hvm_callback_vector).
    /// let via = (2u64 << 56) | u64::from(vector);
    /// xc.hvm_set_param(DOMID_SELF, HvmParam::CALLBACK_IRQ, via)?;
    /// # Ok(()) }
    /// ```
    pub fn hvm_set_param(&self, domid: u16, param: HvmParam, value: u64) -> Result<()> {
        self.hvm_param(HvmOpCmd::SET_PARAM, domid, param, value)
            .map(drop)
    }
}
