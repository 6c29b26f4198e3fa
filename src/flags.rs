//! Flags for [`Xencall::open`](crate::Xencall::open), as in `xencall.h`.

bitflags::bitflags! {
    /// `XENCALL_OPENFLAG_*`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct OpenFlags: u32 {
        /// `XENCALL_OPENFLAG_NON_REENTRANT`: the caller promises never to use
        /// the handle from two contexts at once (another vCPU, or an
        /// interrupt handler that runs while a call is in progress). The
        /// crate checks the promise: a call that enters a handle already in
        /// use fails with [`Error::Reentered`](crate::Error::Reentered)
        /// instead of running.
        const NON_REENTRANT = 1 << 0;
    }
}
