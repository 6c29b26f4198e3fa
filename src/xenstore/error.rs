//! What can go wrong talking to xenstore, by who said no: the daemon (an
//! `XS_ERROR` reply, by name), the client before sending (bad input), the
//! daemon's bytes (a broken message), or the ring itself.

use alloc::string::String;
use core::fmt;

use crate::abi::xenstore::XSD_ERRORS;
use crate::abi::XenErrno;
use crate::shared_ring::RingCorrupt;

/// Input the client refuses before anything is sent.
///
/// ```
/// use xencall::xenstore::{Invalid, XsError};
///
/// let e = XsError::Invalid(Invalid::PathTooLong { len: 3100, max: 3072 });
/// assert_eq!(e.to_string(), "refused before sending: path of 3100 bytes, at most 3072 allowed");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Invalid {
    /// The empty path.
    EmptyPath,
    /// A NUL byte in a path, token or other string: it would end it early.
    Nul,
    /// A character xenstore paths may not contain (only ASCII letters,
    /// digits and `-/_@`).
    PathChar(char),
    /// `//` in a path.
    DoubleSlash,
    /// A path ending in `/` (other than the root).
    TrailingSlash,
    /// A path starting with `@` where only watches accept one.
    SpecialPath,
    /// Longer than `XENSTORE_ABS_PATH_MAX` (absolute) or
    /// `XENSTORE_REL_PATH_MAX` (relative).
    PathTooLong {
        /// The path's length.
        len: usize,
        /// The limit for its kind.
        max: usize,
    },
    /// The request's payload would exceed `XENSTORE_PAYLOAD_MAX`.
    PayloadTooLong {
        /// The payload's length.
        len: usize,
    },
    /// `set_permissions` needs at least the owner's entry.
    NoPermissions,
}

/// A message from the daemon that breaks the protocol.
///
/// ```
/// use xencall::xenstore::{Protocol, XsError};
///
/// let e = XsError::Protocol(Protocol::PayloadTooLong { len: 70000 });
/// assert!(e.to_string().contains("70000"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Protocol {
    /// A header announcing more than `XENSTORE_PAYLOAD_MAX` bytes: the
    /// stream cannot be followed any more, so the connection is given up.
    PayloadTooLong {
        /// The announced length.
        len: u32,
    },
    /// A reply to our request of another type than the request's.
    UnexpectedReply {
        /// The request's type.
        request: u32,
        /// The reply's type.
        reply: u32,
    },
    /// A reply whose payload is not what its type promises.
    Malformed(&'static str),
    /// The connection was given up after an earlier violation.
    Broken,
}

/// A xenstore operation's failure.
///
/// ```
/// use xencall::abi::XenErrno;
/// use xencall::xenstore::XsError;
///
/// // The daemon answers a read of a missing node with "ENOENT".
/// let e = XsError::from_error_name(b"ENOENT");
/// assert_eq!(e, XsError::Store(XenErrno::ENOENT));
/// assert!(e.is(XenErrno::ENOENT));
/// assert_eq!(e.to_string(), "xenstore: ENOENT");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum XsError {
    /// The daemon refused, with one of the names of xs_wire.h's table.
    Store(XenErrno),
    /// The daemon refused with a name not in that table.
    UnknownStoreError(String),
    /// The client refused the input; nothing was sent.
    Invalid(Invalid),
    /// The daemon's message broke the protocol.
    Protocol(Protocol),
    /// The ring's counters are corrupt.
    RingCorrupt(RingCorrupt),
    /// The daemon reported a ring error in the page's `error` field
    /// (`XENSTORE_ERROR_*`).
    RingError(u32),
}

impl XsError {
    /// The typed error for an `XS_ERROR` payload (the name, with or without
    /// its NUL).
    ///
    /// ```
    /// use xencall::abi::XenErrno;
    /// use xencall::xenstore::XsError;
    ///
    /// assert_eq!(XsError::from_error_name(b"EAGAIN\0"), XsError::Store(XenErrno::EAGAIN));
    /// assert_eq!(XsError::from_error_name(b"EWHAT"), XsError::UnknownStoreError("EWHAT".into()));
    /// ```
    pub fn from_error_name(payload: &[u8]) -> XsError {
        let name = payload.strip_suffix(&[0]).unwrap_or(payload);
        match XSD_ERRORS.iter().find(|(n, _)| n.as_bytes() == name) {
            Some(&(_, errno)) => XsError::Store(errno),
            None => XsError::UnknownStoreError(String::from_utf8_lossy(name).into_owned()),
        }
    }

    /// Whether this is the daemon's refusal `errno`.
    ///
    /// ```
    /// use xencall::abi::XenErrno;
    /// use xencall::xenstore::XsError;
    ///
    /// // A missing key is often not an error for the caller.
    /// let missing = XsError::Store(XenErrno::ENOENT);
    /// let value = if missing.is(XenErrno::ENOENT) { None } else { Some(1) };
    /// assert_eq!(value, None);
    /// ```
    pub fn is(&self, errno: XenErrno) -> bool {
        *self == XsError::Store(errno)
    }
}

impl From<Invalid> for XsError {
    fn from(e: Invalid) -> XsError {
        XsError::Invalid(e)
    }
}

impl From<Protocol> for XsError {
    fn from(e: Protocol) -> XsError {
        XsError::Protocol(e)
    }
}

impl From<RingCorrupt> for XsError {
    fn from(e: RingCorrupt) -> XsError {
        XsError::RingCorrupt(e)
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Invalid::EmptyPath => f.write_str("empty path"),
            Invalid::Nul => f.write_str("NUL byte in a string"),
            Invalid::PathChar(c) => write!(f, "character {c:?} not allowed in a path"),
            Invalid::DoubleSlash => f.write_str("`//` in a path"),
            Invalid::TrailingSlash => f.write_str("path ends in `/`"),
            Invalid::SpecialPath => f.write_str("`@` paths are for watches only"),
            Invalid::PathTooLong { len, max } => {
                write!(f, "path of {len} bytes, at most {max} allowed")
            }
            Invalid::PayloadTooLong { len } => write!(
                f,
                "request payload of {len} bytes, at most {} allowed",
                crate::abi::xenstore::XENSTORE_PAYLOAD_MAX
            ),
            Invalid::NoPermissions => f.write_str("no permission entries"),
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Protocol::PayloadTooLong { len } => {
                write!(f, "message announces {len} payload bytes")
            }
            Protocol::UnexpectedReply { request, reply } => {
                write!(f, "reply of type {reply} to a request of type {request}")
            }
            Protocol::Malformed(what) => write!(f, "malformed reply: {what}"),
            Protocol::Broken => f.write_str("connection given up after a protocol violation"),
        }
    }
}

impl fmt::Display for XsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            XsError::Store(errno) => write!(f, "xenstore: {errno:?}"),
            XsError::UnknownStoreError(name) => write!(f, "xenstore: unknown error {name:?}"),
            XsError::Invalid(e) => write!(f, "refused before sending: {e}"),
            XsError::Protocol(e) => write!(f, "xenstore protocol violation: {e}"),
            XsError::RingCorrupt(e) => write!(f, "xenstore: {e}"),
            XsError::RingError(code) => write!(f, "xenstore ring error {code}"),
        }
    }
}

#[cfg(feature = "rt")]
impl From<XsError> for crate::rt::testing::Failure {
    fn from(e: XsError) -> Self {
        crate::rt::testing::Failure::Fail(crate::rt::testing::Message::new(format_args!("{e}")))
    }
}
