//! The crate's error type: either Xen refused a hypercall, or the library
//! refused a request before reaching Xen.

use core::fmt;

use crate::abi::grant_table::GrantStatus;
use crate::abi::XenErrno;

/// `Result` with the crate's [`Error`].
///
/// ```
/// use xencall::abi::sched::ShutdownReason;
///
/// // Application code can use the alias for its own functions too.
/// fn power_off<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
///     xc.sched_shutdown(ShutdownReason::POWEROFF)
/// }
/// # let _ = power_off::<xencall::mock::MockBackend>;
/// ```
pub type Result<T, E = Error> = core::result::Result<T, E>;

/// Why a buffer pointer was refused. Every refusal leaves the allocator
/// unchanged.
///
/// ```
/// use xencall::{mock::MockBackend, Error, InvalidBuffer, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// let mut on_stack = [0u8; 4096];
/// // SAFETY: refused before anything is freed.
/// let r = unsafe { xc.free_buffer(on_stack.as_mut_ptr()) };
/// assert_eq!(r, Err(Error::InvalidBuffer(InvalidBuffer::Foreign)));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InvalidBuffer {
    /// The pointer is null.
    Null,
    /// The pointer is not inside any buffer arena.
    Foreign,
    /// The pointer is inside an arena but not at the start of a page.
    Misaligned,
    /// The pointer is page-aligned but no live allocation starts there
    /// (already freed, never allocated, or inside a larger buffer).
    NotAllocated,
    /// The page count given to `free_buffer_pages` differs from the one the
    /// buffer was allocated with.
    WrongPageCount {
        /// Pages recorded when the buffer was allocated.
        allocated: usize,
        /// Pages the caller passed.
        given: usize,
    },
}

/// A failed hypercall or a refused library request.
///
/// ```
/// use xencall::{abi::XenErrno, mock::MockBackend, Error, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// xc.backend().set_responder(&|_, _| -1i64 as u64); // -EPERM, as for a domU
/// match xc.console_write(b"hello\n") {
///     Ok(()) => {}
///     // Release builds of Xen keep their console to dom0: not a bug here.
///     Err(Error::Xen(XenErrno::EPERM)) => {}
///     Err(e) => panic!("console_io: {e}"),
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Xen ran the hypercall and returned `-errno`.
    Xen(XenErrno),
    /// The grant-table hypercall ran but this operation's own status is an
    /// error (`GNTST_*`).
    Grant(GrantStatus),
    /// No Xen hypervisor was found (CPUID signature absent, or no hypercall
    /// mechanism available).
    NoHypervisor,
    /// A size or page count of zero, or one whose byte size overflows.
    InvalidSize,
    /// The buffer arena has no free run of the requested length.
    OutOfBufferMemory,
    /// A buffer pointer was refused.
    InvalidBuffer(InvalidBuffer),
    /// A buffer operation entered a handle opened with
    /// [`OpenFlags::NON_REENTRANT`](crate::OpenFlags) while another was in
    /// progress on it.
    Reentered,
    /// The hypercall-page installation did not take: Xen left the page as
    /// the crate poisoned it.
    HypercallPageNotInstalled,
    /// The arena or region handed over is unusable (too small, or the
    /// built-in arena was already in use).
    BadRegion,
    /// No frame number is known for this address: outside the guest's
    /// pages (PV: at or past `start_info.nr_pages`), or the
    /// [`Frames`](crate::Frames) source cannot vouch for it (a
    /// `rt::BootInfo` the runtime did not fill).
    NoFrame,
    /// An offset and length that do not lie inside their buffer, or that
    /// cross a page where one operation reaches one page only.
    BadRange,
    /// The operation needs a translated guest (PVH, HVM, Arm): Xen keeps
    /// its physical map. A PV guest keeps its own p2m list and page tables
    /// and must use the `unsafe` calls.
    NotTranslated,
    /// Xen ran the call but did none of it (took no page, backed no frame).
    Declined,
    /// A safe function refused a value that names guest memory (an HVM
    /// parameter holding a frame number); the `unsafe` variant takes it.
    NamesMemory,
    /// Ending a grant was refused: the grantee still maps the page, or
    /// copies from or to it (`GTF_reading`/`GTF_writing` set).
    GrantInUse,
    /// Every grant reference the table hands out is in use.
    NoGrantRef,
    /// Another [`GrantTable`](crate::grant_table::GrantTable) of this
    /// domain is alive: both would hand out the same references.
    GrantTableTaken,
    /// A reserved domain id (`DOMID_FIRST_RESERVED` and up, `DOMID_SELF`
    /// among them) where a real domain is needed.
    ReservedDomid,
    /// A typed sysctl or domctl wrapper found a Xen release whose interface
    /// versions the crate does not know
    /// ([`abi::release::KNOWN_RELEASES`](crate::abi::release::KNOWN_RELEASES));
    /// nothing was sent to it. The raw `sysctl`/`domctl` take an explicit
    /// version for such a Xen.
    UnknownXenRelease {
        /// `XENVER_version`'s major number.
        major: u16,
        /// Its minor number.
        minor: u16,
    },
}

impl Error {
    /// Decode a raw hypercall return value: `-4095..=-1` is `-errno`, as on
    /// Linux; anything else is a successful result at full width.
    ///
    /// ```
    /// use xencall::{abi::XenErrno, Error};
    ///
    /// assert_eq!(Error::from_hypercall(-22i64 as u64), Err(Error::Xen(XenErrno::EINVAL)));
    /// // A large value is data (an address, a page count), not an error.
    /// assert_eq!(Error::from_hypercall(0xffff_8000_0000_0000), Ok(0xffff_8000_0000_0000));
    /// ```
    #[inline(always)]
    pub const fn from_hypercall(ret: u64) -> Result<u64> {
        let signed = ret as i64;
        if signed < 0 && signed >= -4095 {
            Err(Error::Xen(XenErrno(-signed as i32)))
        } else {
            Ok(ret)
        }
    }

    /// The POSIX `errno` that libxencall would leave for this error.
    ///
    /// ```
    /// use xencall::abi::{grant_table::GrantStatus, XenErrno};
    /// use xencall::Error;
    ///
    /// // For a C caller: Xen's numbers are Linux's, library refusals get the nearest one.
    /// assert_eq!(Error::Xen(XenErrno::EACCES).to_errno(), 13);
    /// assert_eq!(Error::OutOfBufferMemory.to_errno(), 12); // ENOMEM
    /// assert_eq!(Error::Grant(GrantStatus::BAD_DOMAIN).to_errno(), 3); // ESRCH
    /// ```
    pub const fn to_errno(self) -> i32 {
        match self {
            Error::Xen(code) => code.to_posix(),
            // As Linux's grant-table driver maps them.
            Error::Grant(status) => match status {
                GrantStatus::BAD_DOMAIN => XenErrno::ESRCH.0,
                GrantStatus::PERMISSION_DENIED => XenErrno::EPERM.0,
                GrantStatus::NO_SPACE | GrantStatus::NO_DEVICE_SPACE => XenErrno::ENOSPC.0,
                GrantStatus::EAGAIN => XenErrno::EAGAIN.0,
                GrantStatus::BAD_COPY_ARG | GrantStatus::BAD_GNTREF | GrantStatus::BAD_HANDLE => {
                    XenErrno::EINVAL.0
                }
                _ => XenErrno::EIO.0,
            },
            Error::NoHypervisor => XenErrno::ENODEV.0,
            Error::InvalidSize => XenErrno::EINVAL.0,
            Error::OutOfBufferMemory => XenErrno::ENOMEM.0,
            Error::InvalidBuffer(_) => XenErrno::EINVAL.0,
            Error::Reentered => XenErrno::EBUSY.0,
            Error::HypercallPageNotInstalled => XenErrno::ENOSYS.0,
            Error::BadRegion => XenErrno::EINVAL.0,
            Error::NoFrame => XenErrno::EFAULT.0,
            Error::BadRange => XenErrno::EINVAL.0,
            Error::NotTranslated => XenErrno::EOPNOTSUPP.0,
            Error::Declined => XenErrno::EBUSY.0,
            Error::NamesMemory => XenErrno::EPERM.0,
            Error::GrantInUse => XenErrno::EBUSY.0,
            Error::NoGrantRef => XenErrno::ENOSPC.0,
            Error::GrantTableTaken => XenErrno::EBUSY.0,
            Error::ReservedDomid => XenErrno::EINVAL.0,
            Error::UnknownXenRelease { .. } => XenErrno::EOPNOTSUPP.0,
        }
    }

    /// `true` when Xen itself returned the error (the hypercall ran).
    ///
    /// ```
    /// use xencall::{abi::XenErrno, Error};
    ///
    /// // Only a refusal by Xen means the call reached it (and may have had effects).
    /// assert!(Error::Xen(XenErrno::EFAULT).is_hypervisor_error());
    /// assert!(!Error::OutOfBufferMemory.is_hypervisor_error());
    /// ```
    pub const fn is_hypervisor_error(self) -> bool {
        matches!(self, Error::Xen(_) | Error::Grant(_) | Error::Declined)
    }

    /// The Xen error number, when Xen returned one.
    ///
    /// ```
    /// use xencall::{abi::XenErrno, mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// xc.backend().set_responder(&|_, _| -38i64 as u64);
    /// let err = xc.sched_yield().unwrap_err();
    /// // ENOSYS: this Xen lacks the operation, so fall back rather than fail.
    /// assert_eq!(err.xen_errno(), Some(XenErrno::ENOSYS));
    /// assert_eq!(xencall::Error::NoHypervisor.xen_errno(), None);
    /// ```
    pub const fn xen_errno(self) -> Option<XenErrno> {
        match self {
            Error::Xen(code) => Some(code),
            _ => None,
        }
    }
}

impl From<XenErrno> for Error {
    fn from(code: XenErrno) -> Self {
        Error::Xen(code)
    }
}

impl fmt::Display for InvalidBuffer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            InvalidBuffer::Null => f.write_str("null buffer pointer"),
            InvalidBuffer::Foreign => f.write_str("pointer is not in a hypercall-buffer arena"),
            InvalidBuffer::Misaligned => f.write_str("pointer is not page-aligned"),
            InvalidBuffer::NotAllocated => {
                f.write_str("no live buffer starts here (double free or never allocated)")
            }
            InvalidBuffer::WrongPageCount { allocated, given } => write!(
                f,
                "buffer has {allocated} page(s) but {given} were given to free"
            ),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Xen(code) => write!(f, "hypervisor error: {code}"),
            Error::Grant(status) => write!(f, "grant operation failed: {status:?}"),
            Error::NoHypervisor => f.write_str("not running on Xen: no hypervisor found"),
            Error::InvalidSize => f.write_str("invalid size: zero or overflowing"),
            Error::OutOfBufferMemory => f.write_str("out of hypercall-buffer memory"),
            Error::InvalidBuffer(why) => write!(f, "invalid buffer: {why}"),
            Error::Reentered => f.write_str("non-reentrant handle used concurrently"),
            Error::HypercallPageNotInstalled => f.write_str("Xen did not fill the hypercall page"),
            Error::BadRegion => f.write_str("unusable buffer region"),
            Error::NoFrame => f.write_str("no frame number is known for this address"),
            Error::BadRange => f.write_str("range outside its buffer or across a page"),
            Error::NotTranslated => f.write_str("needs a translated guest (PVH, HVM, Arm), not PV"),
            Error::Declined => f.write_str("Xen ran the call but did none of it"),
            Error::NamesMemory => {
                f.write_str("value names guest memory: refused by the safe function")
            }
            Error::GrantInUse => f.write_str("the grantee still maps or copies the granted page"),
            Error::NoGrantRef => f.write_str("no free grant reference"),
            Error::GrantTableTaken => f.write_str("this domain's grant table is already in use"),
            Error::ReservedDomid => f.write_str("a reserved domain id, not a real domain"),
            Error::UnknownXenRelease { major, minor } => write!(
                f,
                "Xen {major}.{minor} is a release this crate does not know the sysctl/domctl \
                 interface versions of: use the raw sysctl/domctl with its version"
            ),
        }
    }
}

impl core::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_negative_results_are_errors_and_the_rest_keep_full_width() {
        assert_eq!(
            Error::from_hypercall(-38i64 as u64),
            Err(Error::Xen(XenErrno::ENOSYS))
        );
        assert_eq!(
            Error::from_hypercall(-4095i64 as u64),
            Err(Error::Xen(XenErrno(4095)))
        );
        assert_eq!(Error::from_hypercall(-4096i64 as u64), Ok(-4096i64 as u64));
        assert_eq!(Error::from_hypercall(0x1_0000_0000), Ok(0x1_0000_0000));
        assert_eq!(Error::from_hypercall(0), Ok(0));
    }

    #[test]
    fn library_and_hypervisor_errors_are_told_apart() {
        assert!(Error::Xen(XenErrno::EFAULT).is_hypervisor_error());
        assert!(!Error::OutOfBufferMemory.is_hypervisor_error());
        assert_eq!(Error::OutOfBufferMemory.to_errno(), 12);
        assert_eq!(Error::Xen(XenErrno::EACCES).to_errno(), 13);
        assert_eq!(
            Error::InvalidBuffer(InvalidBuffer::NotAllocated).to_errno(),
            22
        );
        assert_eq!(
            Error::NoHypervisor.to_string(),
            "not running on Xen: no hypervisor found"
        );
    }
}
