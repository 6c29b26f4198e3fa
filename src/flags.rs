//! Flags for [`Xencall::open`](crate::Xencall::open), as in `xencall.h`.

bitflags::bitflags! {
    /// `XENCALL_OPENFLAG_*`.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// // No flags: the handle may be used from any context, as with libxencall.
    /// let shared = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// assert!(shared.flags().is_empty());
    /// // The C value of each flag is its bit.
    /// assert_eq!(OpenFlags::NON_REENTRANT.bits(), 1);
    /// ```
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct OpenFlags: u32 {
        /// `XENCALL_OPENFLAG_NON_REENTRANT`: the caller promises never to use
        /// the handle from two contexts at once (another vCPU, or an
        /// interrupt handler that runs while a call is in progress). The
        /// crate checks the promise: a call that enters a handle already in
        /// use fails with [`Error::Reentered`](crate::Error::Reentered)
        /// instead of running.
        ///
        /// ```
        /// use xencall::{abi::HypercallOp, mock::MockBackend, Error, OpenFlags, Xencall};
        ///
        /// let flags = OpenFlags::NON_REENTRANT;
        /// let xc = Box::leak(Box::new(Xencall::with_backend(MockBackend::new(), None, flags)));
        /// let xc: &'static Xencall<MockBackend> = xc;
        /// // Stand in for an interrupt handler that fires mid-call and uses the handle.
        /// xc.backend().set_responder(Box::leak(Box::new(move |_, _| {
        ///     // SAFETY: the mock makes no real hypercall.
        ///     let nested = unsafe { xc.call0(HypercallOp::ARCH_1) };
        ///     u64::from(nested == Err(Error::Reentered))
        /// })));
        /// // SAFETY: as above.
        /// assert_eq!(unsafe { xc.call0(HypercallOp::ARCH_0) }, Ok(1));
        /// ```
        const NON_REENTRANT = 1 << 0;
    }
}
