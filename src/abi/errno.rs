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
        Some(match self.0 {
            1 => "operation not permitted",
            2 => "no such entry",
            3 => "no such domain or process",
            4 => "interrupted",
            5 => "input/output error",
            6 => "no such device or address",
            7 => "argument list too long",
            8 => "executable format error",
            9 => "bad handle or file number",
            10 => "no child",
            11 => "resource temporarily unavailable",
            12 => "out of memory",
            13 => "permission denied",
            14 => "bad address",
            16 => "resource busy",
            17 => "already exists",
            18 => "cross-device operation",
            19 => "no such device",
            20 => "not a directory",
            21 => "is a directory",
            22 => "invalid argument",
            23 => "too many open files in system",
            24 => "too many open files",
            28 => "no space left",
            30 => "read-only",
            31 => "too many links",
            33 => "argument out of domain",
            34 => "result out of range",
            35 => "deadlock would occur",
            36 => "name too long",
            37 => "no locks available",
            38 => "function not implemented",
            39 => "not empty",
            61 => "no data available",
            62 => "timer expired",
            74 => "bad message",
            75 => "value too large",
            84 => "illegal byte sequence",
            85 => "interrupted, should be restarted",
            88 => "not a socket",
            90 => "message too large",
            95 => "operation not supported",
            98 => "address in use",
            99 => "address not available",
            105 => "no buffer space available",
            106 => "already connected",
            107 => "not connected",
            110 => "timed out",
            111 => "connection refused",
            _ => return None,
        })
    }
}

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
