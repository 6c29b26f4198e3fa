//! The xenstore wire protocol (`public/io/xs_wire.h`): message types, the
//! message header, the error-name table, the protocol's limits, and the
//! shared ring page (`struct xenstore_domain_interface`) over which a domU
//! talks to `xenstored`.
//!
//! A message is an [`XsdSockmsg`] header followed by `len` payload bytes,
//! mostly NUL-terminated strings. The guest writes requests into `req`, the
//! daemon writes replies and watch events into `rsp`; both rings use
//! free-running 32-bit counters masked by [`XENSTORE_RING_SIZE`]. The
//! client over this is [`xenstore`](crate::xenstore) (feature `alloc`).
//!
//! ```
//! use xencall::abi::xenstore::{XsdSockmsg, XsdSockmsgType};
//! use zerocopy::IntoBytes;
//!
//! // XS_READ of "domid" as request 7, outside any transaction.
//! let header = XsdSockmsg { r#type: XsdSockmsgType::READ.0, req_id: 7, tx_id: 0, len: 6 };
//! let mut msg = header.as_bytes().to_vec();
//! msg.extend_from_slice(b"domid\0");
//! assert_eq!(&msg[..4], &2u32.to_ne_bytes()); // XS_READ
//! assert_eq!(msg.len(), 16 + 6);
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::XenErrno;

xen_code! {
    /// A message type (`enum xsd_sockmsg_type`, `XS_*`).
    ///
    /// ```
    /// use xencall::abi::xenstore::XsdSockmsgType;
    ///
    /// assert_eq!(XsdSockmsgType::WATCH_EVENT.0, 15);
    /// assert_eq!(format!("{:?}", XsdSockmsgType(16)), "ERROR");
    /// // XS_DEBUG is the old name of XS_CONTROL.
    /// assert_eq!(XsdSockmsgType::DEBUG, XsdSockmsgType::CONTROL);
    /// ```
    pub struct XsdSockmsgType(u32);
    CONTROL = 0;
    /// Alias of `CONTROL`.
    DEBUG = 0;
    DIRECTORY = 1;
    READ = 2;
    GET_PERMS = 3;
    WATCH = 4;
    UNWATCH = 5;
    TRANSACTION_START = 6;
    TRANSACTION_END = 7;
    INTRODUCE = 8;
    RELEASE = 9;
    GET_DOMAIN_PATH = 10;
    WRITE = 11;
    MKDIR = 12;
    RM = 13;
    SET_PERMS = 14;
    WATCH_EVENT = 15;
    ERROR = 16;
    IS_DOMAIN_INTRODUCED = 17;
    RESUME = 18;
    SET_TARGET = 19;
    RESET_WATCHES = 21;
    DIRECTORY_PART = 22;
    /// Guaranteed never to be a valid type.
    INVALID = 0xffff;
}

/// `struct xsd_sockmsg`: the header in front of every message.
///
/// ```
/// use xencall::abi::xenstore::{XsdSockmsg, XsdSockmsgType};
/// use zerocopy::FromBytes;
///
/// // An error reply to request 3, as the daemon sends it: "ENOENT\0".
/// let mut bytes = [0u8; 16];
/// bytes[0..4].copy_from_slice(&16u32.to_ne_bytes());
/// bytes[4..8].copy_from_slice(&3u32.to_ne_bytes());
/// bytes[12..16].copy_from_slice(&7u32.to_ne_bytes());
/// let header = XsdSockmsg::read_from_bytes(&bytes[..]).unwrap();
/// assert_eq!(XsdSockmsgType(header.r#type), XsdSockmsgType::ERROR);
/// assert_eq!((header.req_id, header.tx_id, header.len), (3, 0, 7));
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XsdSockmsg {
    /// An [`XsdSockmsgType`] value.
    pub r#type: u32,
    /// Request identifier, echoed in the daemon's reply (0 in watch events).
    pub req_id: u32,
    /// Transaction id, 0 outside a transaction.
    pub tx_id: u32,
    /// Payload bytes following the header.
    pub len: u32,
}

abi_layout! {
    XSD_SOCKMSG = struct XsdSockmsg as "struct xsd_sockmsg", size 16, align 4 {
        r#type @ 0,
        req_id @ 4,
        tx_id @ 8,
        len @ 12,
    }
}

/// `XS_WATCH_PATH`: index of the path in a watch event's payload.
pub const XS_WATCH_PATH: u32 = 0;
/// `XS_WATCH_TOKEN`: index of the token in a watch event's payload.
pub const XS_WATCH_TOKEN: u32 = 1;

/// `XENSTORE_RING_SIZE`: bytes in each of the two rings.
pub const XENSTORE_RING_SIZE: usize = 1024;
/// `XENSTORE_PAYLOAD_MAX`: longest payload of one message, either way.
pub const XENSTORE_PAYLOAD_MAX: usize = 4096;
/// `XENSTORE_ABS_PATH_MAX`: longest absolute path the daemon accepts.
pub const XENSTORE_ABS_PATH_MAX: usize = 3072;
/// `XENSTORE_REL_PATH_MAX`: longest relative path (and longest part of an
/// absolute path below `/local/domain/<domid>/`) the daemon accepts.
pub const XENSTORE_REL_PATH_MAX: usize = 2048;

/// `XENSTORE_SERVER_FEATURE_RECONNECTION`: the daemon can reconnect a ring.
pub const XENSTORE_SERVER_FEATURE_RECONNECTION: u32 = 1;
/// `XENSTORE_SERVER_FEATURE_ERROR`: the page's `error` field is in use.
pub const XENSTORE_SERVER_FEATURE_ERROR: u32 = 2;
/// `XENSTORE_CONNECTED`: the `connection` field's steady state.
pub const XENSTORE_CONNECTED: u32 = 0;
/// `XENSTORE_RECONNECT`: a reconnection is in progress.
pub const XENSTORE_RECONNECT: u32 = 1;
/// `XENSTORE_ERROR_NONE`.
pub const XENSTORE_ERROR_NONE: u32 = 0;
/// `XENSTORE_ERROR_COMM`: a communication problem.
pub const XENSTORE_ERROR_COMM: u32 = 1;
/// `XENSTORE_ERROR_RINGIDX`: an invalid ring index.
pub const XENSTORE_ERROR_RINGIDX: u32 = 2;
/// `XENSTORE_ERROR_PROTO`: a protocol violation (payload too long).
pub const XENSTORE_ERROR_PROTO: u32 = 3;

/// `XENSTORE_RING_IDX`: a free-running ring counter.
///
/// ```
/// use xencall::abi::xenstore::{XenstoreRingIdx, XENSTORE_RING_SIZE};
///
/// // MASK_XENSTORE_IDX: a counter's array index.
/// let idx: XenstoreRingIdx = 1030;
/// assert_eq!(idx as usize & (XENSTORE_RING_SIZE - 1), 6);
/// ```
pub type XenstoreRingIdx = u32;

/// `struct xenstore_domain_interface`: the xenstore page's layout.
///
/// ```
/// use xencall::abi::xenstore::{XenstoreDomainInterface, XENSTORE_SERVER_FEATURE_ERROR};
/// use zerocopy::FromBytes;
///
/// // A daemon that reports ring errors: server_features follows the two
/// // 1 KiB rings and their four counters.
/// let mut page = [0u8; 4096];
/// page[2064..2068].copy_from_slice(&XENSTORE_SERVER_FEATURE_ERROR.to_ne_bytes());
/// let (ring, _) = XenstoreDomainInterface::ref_from_prefix(&page[..]).unwrap();
/// assert_ne!(ring.server_features & XENSTORE_SERVER_FEATURE_ERROR, 0);
/// ```
#[derive(Clone, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct XenstoreDomainInterface {
    /// Requests to the daemon.
    pub req: [u8; XENSTORE_RING_SIZE],
    /// Replies and watch events from the daemon.
    pub rsp: [u8; XENSTORE_RING_SIZE],
    /// Requests consumed by the daemon.
    pub req_cons: XenstoreRingIdx,
    /// Requests produced by the guest.
    pub req_prod: XenstoreRingIdx,
    /// Replies consumed by the guest.
    pub rsp_cons: XenstoreRingIdx,
    /// Replies produced by the daemon.
    pub rsp_prod: XenstoreRingIdx,
    /// `XENSTORE_SERVER_FEATURE_*` bits.
    pub server_features: u32,
    /// `XENSTORE_CONNECTED` or `XENSTORE_RECONNECT`.
    pub connection: u32,
    /// `XENSTORE_ERROR_*` (with [`XENSTORE_SERVER_FEATURE_ERROR`]).
    pub error: u32,
}

abi_layout! {
    XENSTORE_DOMAIN_INTERFACE = struct XenstoreDomainInterface as "struct xenstore_domain_interface", size 2076, align 4 {
        req @ 0,
        rsp @ 1024,
        req_cons @ 2048,
        req_prod @ 2052,
        rsp_cons @ 2056,
        rsp_prod @ 2060,
        server_features @ 2064,
        connection @ 2068,
        error @ 2072,
    }
}

/// The error table (`xsd_errors`) and its conformance entries: index,
/// name, number, in the header's order.
macro_rules! xsd_errors {
    ($($index:literal => $name:ident),* $(,)?) => {
        /// `xsd_errors`: the daemon reports errors by name (an `XS_ERROR`
        /// reply whose payload is, say, `"ENOENT\0"`); this is the header's
        /// table of those names with their numbers, in its order.
        pub const XSD_ERRORS: &[(&str, XenErrno)] = &[$((stringify!($name), XenErrno::$name)),*];

        /// The table against the header's own: the entry count, then each
        /// entry's number and name.
        pub(crate) const XSD_ERRORS_TABLE: &[super::conformance::AbiItem] = &[
            super::conformance::AbiItem {
                rust: "XSD_ERRORS",
                c: "sizeof(xsd_errors) / sizeof(xsd_errors[0])",
                value: XSD_ERRORS.len() as u64,
            },
            $(
                super::conformance::AbiItem {
                    rust: concat!("XSD_ERRORS[", $index, "]"),
                    c: concat!("xsd_errors[", $index, "].errnum"),
                    value: XenErrno::$name.0 as u64,
                },
                super::conformance::AbiItem {
                    rust: concat!("XSD_ERRORS[", $index, "]"),
                    c: concat!("strcmp(xsd_errors[", $index, "].errstring, \"", stringify!($name), "\") == 0"),
                    value: 1,
                },
            )*
        ];
    };
}

xsd_errors! {
    0 => EINVAL,
    1 => EACCES,
    2 => EEXIST,
    3 => EISDIR,
    4 => ENOENT,
    5 => ENOMEM,
    6 => ENOSPC,
    7 => EIO,
    8 => ENOTEMPTY,
    9 => ENOSYS,
    10 => EROFS,
    11 => EBUSY,
    12 => EAGAIN,
    13 => EISCONN,
    14 => E2BIG,
    15 => EPERM,
}
