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
        /// `XENCALL_OPENFLAG_NON_REENTRANT`: the caller promises never to
        /// allocate or free buffers through the handle from two contexts at
        /// once (another vCPU, or an interrupt handler or logger that runs
        /// while a buffer operation is in progress). As in libxencall, the
        /// flag concerns buffers only (libxencall skips its buffer-cache
        /// lock): hypercalls nest on every handle and cost the same. This
        /// crate keeps its pool's lock and checks the promise instead: a
        /// buffer operation that enters a handle already in one fails with
        /// [`Error::Reentered`](crate::Error::Reentered) and changes nothing.
        ///
        /// ```
        /// use xencall::{mock::MockBackend, Error, OpenFlags, Xencall};
        ///
        /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::NON_REENTRANT);
        /// // One context at a time: allocation and free work as on any handle.
        /// let p = xc.alloc_buffer_pages(1)?;
        /// // SAFETY: `p` is not used again.
        /// unsafe { xc.free_buffer_pages(p.as_ptr(), 1)? };
        /// # Ok::<(), xencall::Error>(())
        /// ```
        const NON_REENTRANT = 1 << 0;
    }
}
