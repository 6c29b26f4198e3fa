//! `physdev_op`: the I/O privilege of a PV guest.

use crate::abi::physdev::{PhysdevOpCmd, PhysdevSetIopl};
use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::Result;
use crate::handle::Xencall;

impl<B: Backend> Xencall<B> {
    /// `PHYSDEVOP_set_iopl`: a PV guest's virtual I/O privilege level
    /// (0..=3); with 1 or more its `in`/`out` instructions reach the ports
    /// Xen allows.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // A PV driver domain about to drive a legacy device's I/O ports: without
    /// // this (or an I/O bitmap) Xen turns each `in`/`out` into a #GP.
    /// xc.physdev_set_iopl(1)?;
    /// # Ok(()) }
    /// ```
    pub fn physdev_set_iopl(&self, iopl: u32) -> Result<()> {
        let arg = self.buffer(PhysdevSetIopl { iopl })?;
        // SAFETY: Xen reads the structure.
        unsafe {
            self.call2(
                HypercallOp::PHYSDEV_OP,
                PhysdevOpCmd::SET_IOPL.0.into(),
                arg.addr(),
            )?
        };
        Ok(())
    }
}
