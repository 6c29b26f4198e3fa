//! Xen's error numbers (`public/errno.h`).
//!
//! Xen uses the Linux x86 numbering on every architecture, so a value here is
//! also the POSIX `errno` a Linux C library would report.
//!
//! ```
//! use xencall::{abi::XenErrno, Error};
//!
//! // A hypercall returns -errno on failure: -1 is what a domU gets for a
//! // control-domain operation.
//! assert_eq!(Error::from_hypercall(-1i64 as u64), Err(Error::Xen(XenErrno::EPERM)));
//! assert_eq!(Error::from_hypercall(0x0004_0011), Ok(0x0004_0011));
//! ```

xen_code! {
    /// A Xen error number: hypercalls return its negation.
    ///
    /// ```
    /// use xencall::abi::XenErrno;
    ///
    /// assert_eq!(format!("{:?}", XenErrno::ENOSYS), "ENOSYS");
    /// assert_eq!(XenErrno::ENOSYS.0, 38);
    /// // An alias prints as the name declared first for its value.
    /// assert_eq!(format!("{:?}", XenErrno::EWOULDBLOCK), "EAGAIN");
    /// assert_eq!(format!("{:?}", XenErrno(1000)), "XenErrno(1000)");
    /// ```
    pub struct XenErrno(i32);
    EPERM = 1;
    ENOENT = 2;
    ESRCH = 3;
    EINTR = 4;
    EIO = 5;
    ENXIO = 6;
    E2BIG = 7;
    ENOEXEC = 8;
    EBADF = 9;
    ECHILD = 10;
    EAGAIN = 11;
    /// Alias of `EAGAIN`.
    EWOULDBLOCK = 11;
    ENOMEM = 12;
    EACCES = 13;
    EFAULT = 14;
    EBUSY = 16;
    EEXIST = 17;
    EXDEV = 18;
    ENODEV = 19;
    ENOTDIR = 20;
    EISDIR = 21;
    EINVAL = 22;
    ENFILE = 23;
    EMFILE = 24;
    ENOSPC = 28;
    EROFS = 30;
    EMLINK = 31;
    EDOM = 33;
    ERANGE = 34;
    EDEADLK = 35;
    /// Alias of `EDEADLK`.
    EDEADLOCK = 35;
    ENAMETOOLONG = 36;
    ENOLCK = 37;
    ENOSYS = 38;
    ENOTEMPTY = 39;
    ENODATA = 61;
    ETIME = 62;
    EBADMSG = 74;
    EOVERFLOW = 75;
    EILSEQ = 84;
    ERESTART = 85;
    ENOTSOCK = 88;
    EMSGSIZE = 90;
    EOPNOTSUPP = 95;
    EADDRINUSE = 98;
    EADDRNOTAVAIL = 99;
    ENOBUFS = 105;
    EISCONN = 106;
    ENOTCONN = 107;
    ETIMEDOUT = 110;
    ECONNREFUSED = 111;
}

impl XenErrno {
    /// The POSIX `errno` value for this error. Xen's numbering is Linux's,
    /// so this is the identity; it exists so callers say what they mean.
    ///
    /// ```
    /// use std::io::{Error, ErrorKind};
    /// use xencall::abi::XenErrno;
    ///
    /// // Hand Xen's refusal to code that speaks errno.
    /// let io = Error::from_raw_os_error(XenErrno::EACCES.to_posix());
    /// assert_eq!(io.kind(), ErrorKind::PermissionDenied);
    /// ```
    pub const fn to_posix(self) -> i32 {
        self.0
    }

    /// A short human-readable description, or `None` for an unknown number.
    ///
    /// ```
    /// use xencall::abi::XenErrno;
    ///
    /// assert_eq!(XenErrno::ESRCH.description(), Some("no such domain or process"));
    /// assert_eq!(XenErrno(1000).description(), None);
    /// // `Display` puts the name and the description together.
    /// assert_eq!(XenErrno::ESRCH.to_string(), "ESRCH (no such domain or process)");
    /// ```
    pub const fn description(self) -> Option<&'static str> {
        let mut i = 0;
        while i < DESCRIBED.len() {
            if DESCRIBED[i] == self.0 {
                return Some(crate::code::nth_entry(DESCRIPTIONS, i));
            }
            i += 1;
        }
        None
    }
}

/// The numbers [`XenErrno::description`] knows, in the order of
/// `DESCRIPTIONS` (one string rather than a table of pointers: smaller).
const DESCRIBED: [i32; 49] = [
    1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 16, 17, 18, 19, 20, 21, 22, 23, 24, 28, 30, 31,
    33, 34, 35, 36, 37, 38, 39, 61, 62, 74, 75, 84, 85, 88, 90, 95, 98, 99, 105, 106, 107, 110,
    111,
];

/// The descriptions of `DESCRIBED`, each followed by a NUL.
const DESCRIPTIONS: &str = concat!(
    "operation not permitted\0",
    "no such entry\0",
    "no such domain or process\0",
    "interrupted\0",
    "input/output error\0",
    "no such device or address\0",
    "argument list too long\0",
    "executable format error\0",
    "bad handle or file number\0",
    "no child\0",
    "resource temporarily unavailable\0",
    "out of memory\0",
    "permission denied\0",
    "bad address\0",
    "resource busy\0",
    "already exists\0",
    "cross-device operation\0",
    "no such device\0",
    "not a directory\0",
    "is a directory\0",
    "invalid argument\0",
    "too many open files in system\0",
    "too many open files\0",
    "no space left\0",
    "read-only\0",
    "too many links\0",
    "argument out of domain\0",
    "result out of range\0",
    "deadlock would occur\0",
    "name too long\0",
    "no locks available\0",
    "function not implemented\0",
    "not empty\0",
    "no data available\0",
    "timer expired\0",
    "bad message\0",
    "value too large\0",
    "illegal byte sequence\0",
    "interrupted, should be restarted\0",
    "not a socket\0",
    "message too large\0",
    "operation not supported\0",
    "address in use\0",
    "address not available\0",
    "no buffer space available\0",
    "already connected\0",
    "not connected\0",
    "timed out\0",
    "connection refused\0",
);

impl core::fmt::Display for XenErrno {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match (self.name(), self.description()) {
            (Some(name), Some(text)) => write!(f, "{name} ({text})"),
            _ => write!(f, "Xen error {}", self.0),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::XenErrno;

    #[test]
    fn debug_prints_the_name_and_unknown_numbers_raw() {
        assert_eq!(format!("{:?}", XenErrno::ENOSYS), "ENOSYS");
        assert_eq!(format!("{:?}", XenErrno(11)), "EAGAIN");
        assert_eq!(format!("{:?}", XenErrno(1000)), "XenErrno(1000)");
    }

    #[test]
    fn every_code_has_a_description() {
        for (name, code) in XenErrno::ALL {
            assert!(code.description().is_some(), "{name} has no description");
        }
        assert_eq!(XenErrno::EACCES.to_string(), "EACCES (permission denied)");
    }
}
