//! `hvm_op`: HVM parameters, for PVH and Arm guests (a PV guest has none).

use crate::abi::hvm::{HvmOpCmd, HvmParam, XenHvmParam};
use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::{Error, Result};
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

    /// `HVMOP_set_param`, for the parameters whose value names no memory:
    /// `CALLBACK_IRQ` (a GSI, PCI INTx, vector or PPI), `STORE_EVTCHN`,
    /// `CONSOLE_EVTCHN` (event-channel ports). Any other parameter is
    /// refused with [`Error::NamesMemory`](crate::Error::NamesMemory)
    /// before Xen is called: many hold a guest frame (`STORE_PFN`,
    /// `CONSOLE_PFN`, `IOREQ_PFN`, ...) that Xen or a backend then writes;
    /// set those with [`hvm_set_param_unchecked`](Self::hvm_set_param_unchecked).
    ///
    /// ```
    /// use xencall::abi::{hvm::HvmParam, memory::DOMID_SELF};
    /// use xencall::{mock::MockBackend, Error, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// assert_eq!(xc.hvm_set_param(DOMID_SELF, HvmParam::STORE_PFN, 0x1234), Err(Error::NamesMemory));
    /// assert_eq!(xc.backend().calls(), 0); // refused before Xen
    /// ```
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
        match param {
            HvmParam::CALLBACK_IRQ | HvmParam::STORE_EVTCHN | HvmParam::CONSOLE_EVTCHN => {
                // SAFETY: these parameters hold an interrupt or a port,
                // never an address or frame.
                unsafe { self.hvm_set_param_unchecked(domid, param, value) }
            }
            _ => Err(Error::NamesMemory),
        }
    }

    /// `HVMOP_set_param` for any parameter.
    ///
    /// # Safety
    /// A parameter that names memory (a frame such as `STORE_PFN`,
    /// `IOREQ_PFN`, an address) must name memory that the caller owns and
    /// gives to that use, in the domain `domid`: Xen, or the backend the
    /// parameter is for, writes it from then on. (Xen refuses most such
    /// parameters from a domain for itself, but not all, and not from the
    /// toolstack for another domain.)
    ///
    /// ```no_run
    /// use xencall::abi::hvm::HvmParam;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let (domu, ring_gfn) = (3u16, 0xfeffcu64);
    /// // A toolstack tells a new domU where its xenstore ring is.
    /// // SAFETY: the frame is the domU's own ring page, set up for xenstored.
    /// unsafe { xc.hvm_set_param_unchecked(domu, HvmParam::STORE_PFN, ring_gfn)? };
    /// # Ok(()) }
    /// ```
    pub unsafe fn hvm_set_param_unchecked(
        &self,
        domid: u16,
        param: HvmParam,
        value: u64,
    ) -> Result<()> {
        self.hvm_param(HvmOpCmd::SET_PARAM, domid, param, value)
            .map(drop)
    }
}
