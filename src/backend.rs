//! The hypercall mechanism behind a [`Xencall`](crate::Xencall) handle.

/// Something that can issue a hypercall with 0 to 5 arguments and return
/// Xen's raw result (a negative value in `-4095..=-1` is `-errno`).
///
/// One method per argument count, so that the native backends emit exactly
/// the register moves the call needs and nothing more.
///
/// The architecture backends live in [`arch`](crate::arch); tests provide
/// their own.
///
/// ```
/// use xencall::{abi::XenErrno, Backend, Error, OpenFlags, Xencall};
///
/// /// A Xen that implements nothing: every call fails with -ENOSYS.
/// struct NothingImplemented;
/// const ENOSYS: u64 = -38i64 as u64;
/// impl Backend for NothingImplemented {
///     unsafe fn call0(&self, _: u64) -> u64 { ENOSYS }
///     unsafe fn call1(&self, _: u64, _: u64) -> u64 { ENOSYS }
///     unsafe fn call2(&self, _: u64, _: u64, _: u64) -> u64 { ENOSYS }
///     unsafe fn call3(&self, _: u64, _: u64, _: u64, _: u64) -> u64 { ENOSYS }
///     unsafe fn call4(&self, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 { ENOSYS }
///     unsafe fn call5(&self, _: u64, _: u64, _: u64, _: u64, _: u64, _: u64) -> u64 { ENOSYS }
/// }
///
/// // Every helper of the handle works over it, errors decoded.
/// let xc = Xencall::with_backend(NothingImplemented, None, OpenFlags::empty());
/// assert_eq!(xc.sched_yield(), Err(Error::Xen(XenErrno::ENOSYS)));
/// assert_eq!(xc.xen_version(), Err(Error::Xen(XenErrno::ENOSYS)));
/// ```
pub trait Backend {
    /// Issue hypercall `op` with no arguments.
    ///
    /// # Safety
    /// The hypercall must be valid to make from this context; Xen may act on
    /// the calling domain (shut it down, change its memory).
    unsafe fn call0(&self, op: u64) -> u64;
    /// Issue hypercall `op` with one argument.
    ///
    /// # Safety
    /// As [`call0`](Self::call0); pointer arguments must be valid for what
    /// Xen reads and writes through them.
    unsafe fn call1(&self, op: u64, a1: u64) -> u64;
    /// Issue hypercall `op` with two arguments.
    ///
    /// # Safety
    /// As [`call1`](Self::call1).
    unsafe fn call2(&self, op: u64, a1: u64, a2: u64) -> u64;
    /// Issue hypercall `op` with three arguments.
    ///
    /// # Safety
    /// As [`call1`](Self::call1).
    unsafe fn call3(&self, op: u64, a1: u64, a2: u64, a3: u64) -> u64;
    /// Issue hypercall `op` with four arguments.
    ///
    /// # Safety
    /// As [`call1`](Self::call1).
    unsafe fn call4(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> u64;
    /// Issue hypercall `op` with five arguments.
    ///
    /// # Safety
    /// As [`call1`](Self::call1).
    unsafe fn call5(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64;
}

impl<B: Backend + ?Sized> Backend for &B {
    #[inline(always)]
    unsafe fn call0(&self, op: u64) -> u64 {
        // SAFETY: forwarded; the caller upholds `call0`'s contract.
        unsafe { (**self).call0(op) }
    }
    #[inline(always)]
    unsafe fn call1(&self, op: u64, a1: u64) -> u64 {
        // SAFETY: forwarded; the caller upholds `call1`'s contract.
        unsafe { (**self).call1(op, a1) }
    }
    #[inline(always)]
    unsafe fn call2(&self, op: u64, a1: u64, a2: u64) -> u64 {
        // SAFETY: forwarded; the caller upholds `call2`'s contract.
        unsafe { (**self).call2(op, a1, a2) }
    }
    #[inline(always)]
    unsafe fn call3(&self, op: u64, a1: u64, a2: u64, a3: u64) -> u64 {
        // SAFETY: forwarded; the caller upholds `call3`'s contract.
        unsafe { (**self).call3(op, a1, a2, a3) }
    }
    #[inline(always)]
    unsafe fn call4(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> u64 {
        // SAFETY: forwarded; the caller upholds `call4`'s contract.
        unsafe { (**self).call4(op, a1, a2, a3, a4) }
    }
    #[inline(always)]
    unsafe fn call5(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64 {
        // SAFETY: forwarded; the caller upholds `call5`'s contract.
        unsafe { (**self).call5(op, a1, a2, a3, a4, a5) }
    }
}
