//! The xenstore message codec, apart from any transport so that it can be
//! tested on its own: [`Request`] encodes a request (checking its input
//! first), [`Decoder`] cuts a byte stream, however it arrives, into
//! [`Message`]s.
//!
//! Payloads as `docs/misc/xenstore.txt` gives them (`|` is a NUL):
//! `READ <path>|`, `WRITE <path>|<value>`, `MKDIR`/`RM`/`DIRECTORY`/
//! `GET_PERMS <path>|`, `DIRECTORY_PART <path>|<offset>|`,
//! `SET_PERMS <path>|<perm>|+`, `WATCH`/`UNWATCH <path>|<token>|`,
//! `TRANSACTION_START |`, `TRANSACTION_END T|` or `F|`,
//! `GET_DOMAIN_PATH <domid>|`, `RESET_WATCHES |`.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt::Write;

use zerocopy::{FromBytes, IntoBytes};

use super::error::{Invalid, Protocol, XsError};
use super::path::{check_path, check_string};
use super::permissions::Permission;
use crate::abi::xenstore::{XsdSockmsg, XsdSockmsgType, XENSTORE_PAYLOAD_MAX};

/// A request, before encoding.
///
/// ```
/// use xencall::xenstore::Request;
///
/// let bytes = Request::Write { path: "data/x", value: b"42" }.encode(9, 0)?;
/// // Header: XS_WRITE (11), req_id 9, tx_id 0, 9 payload bytes.
/// assert_eq!(&bytes[..16], [11u32, 9, 0, 9].map(u32::to_ne_bytes).concat());
/// assert_eq!(&bytes[16..], b"data/x\x0042");
/// # Ok::<(), xencall::xenstore::XsError>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Request<'a> {
    /// `XS_READ`: a node's value.
    Read {
        /// The node.
        path: &'a str,
    },
    /// `XS_WRITE`: set a node's value (creating it and missing parents).
    Write {
        /// The node.
        path: &'a str,
        /// Its new value (any bytes).
        value: &'a [u8],
    },
    /// `XS_MKDIR`: make sure a node exists.
    Mkdir {
        /// The node.
        path: &'a str,
    },
    /// `XS_RM`: remove a node and its children.
    Rm {
        /// The node.
        path: &'a str,
    },
    /// `XS_DIRECTORY`: a node's children's names.
    Directory {
        /// The node.
        path: &'a str,
    },
    /// `XS_DIRECTORY_PART`: part of a long children list, from a byte
    /// offset into it.
    DirectoryPart {
        /// The node.
        path: &'a str,
        /// Byte offset into the list.
        offset: u32,
    },
    /// `XS_GET_PERMS`: a node's permission list.
    GetPerms {
        /// The node.
        path: &'a str,
    },
    /// `XS_SET_PERMS`: replace a node's permission list (owner first).
    SetPerms {
        /// The node.
        path: &'a str,
        /// The new list, at least one entry.
        perms: &'a [Permission],
    },
    /// `XS_WATCH`: report changes under a path, tagged with a token.
    Watch {
        /// The watched path (or `@introduceDomain`, `@releaseDomain`).
        path: &'a str,
        /// Returned in every event of this watch.
        token: &'a str,
    },
    /// `XS_UNWATCH`: remove a watch.
    Unwatch {
        /// The watched path.
        path: &'a str,
        /// The watch's token.
        token: &'a str,
    },
    /// `XS_TRANSACTION_START`: a new transaction's id.
    TransactionStart,
    /// `XS_TRANSACTION_END`: commit (`T`) or abandon (`F`) the header's
    /// transaction.
    TransactionEnd {
        /// Commit rather than abandon.
        commit: bool,
    },
    /// `XS_GET_DOMAIN_PATH`: a domain's home path.
    GetDomainPath {
        /// The domain.
        domid: u16,
    },
    /// `XS_RESET_WATCHES`: drop all of this connection's watches and
    /// transactions.
    ResetWatches,
}

impl Request<'_> {
    /// The message type.
    ///
    /// ```
    /// use xencall::abi::xenstore::XsdSockmsgType;
    /// use xencall::xenstore::Request;
    ///
    /// assert_eq!(Request::TransactionStart.kind(), XsdSockmsgType::TRANSACTION_START);
    /// ```
    pub fn kind(&self) -> XsdSockmsgType {
        match self {
            Request::Read { .. } => XsdSockmsgType::READ,
            Request::Write { .. } => XsdSockmsgType::WRITE,
            Request::Mkdir { .. } => XsdSockmsgType::MKDIR,
            Request::Rm { .. } => XsdSockmsgType::RM,
            Request::Directory { .. } => XsdSockmsgType::DIRECTORY,
            Request::DirectoryPart { .. } => XsdSockmsgType::DIRECTORY_PART,
            Request::GetPerms { .. } => XsdSockmsgType::GET_PERMS,
            Request::SetPerms { .. } => XsdSockmsgType::SET_PERMS,
            Request::Watch { .. } => XsdSockmsgType::WATCH,
            Request::Unwatch { .. } => XsdSockmsgType::UNWATCH,
            Request::TransactionStart => XsdSockmsgType::TRANSACTION_START,
            Request::TransactionEnd { .. } => XsdSockmsgType::TRANSACTION_END,
            Request::GetDomainPath { .. } => XsdSockmsgType::GET_DOMAIN_PATH,
            Request::ResetWatches => XsdSockmsgType::RESET_WATCHES,
        }
    }

    /// Check the input (see [`check_path`]) and build the payload.
    fn payload(&self) -> Result<Vec<u8>, Invalid> {
        /// A NUL-terminated string.
        fn string(p: &mut Vec<u8>, s: &[u8]) {
            p.extend_from_slice(s);
            p.push(0);
        }
        let mut p = Vec::new();
        match *self {
            Request::Read { path }
            | Request::Mkdir { path }
            | Request::Rm { path }
            | Request::Directory { path }
            | Request::GetPerms { path } => {
                check_path(path, false)?;
                string(&mut p, path.as_bytes());
            }
            Request::Write { path, value } => {
                check_path(path, false)?;
                string(&mut p, path.as_bytes());
                p.extend_from_slice(value); // not NUL-terminated
            }
            Request::DirectoryPart { path, offset } => {
                check_path(path, false)?;
                string(&mut p, path.as_bytes());
                let mut digits = String::new();
                let _ = write!(digits, "{offset}");
                string(&mut p, digits.as_bytes());
            }
            Request::SetPerms { path, perms } => {
                check_path(path, false)?;
                if perms.is_empty() {
                    return Err(Invalid::NoPermissions);
                }
                string(&mut p, path.as_bytes());
                for perm in perms {
                    let mut entry = String::new();
                    let _ = write!(entry, "{perm}");
                    string(&mut p, entry.as_bytes());
                }
            }
            Request::Watch { path, token } | Request::Unwatch { path, token } => {
                check_path(path, true)?;
                check_string(token)?;
                string(&mut p, path.as_bytes());
                string(&mut p, token.as_bytes());
            }
            Request::TransactionStart | Request::ResetWatches => string(&mut p, b""),
            Request::TransactionEnd { commit } => string(&mut p, if commit { b"T" } else { b"F" }),
            Request::GetDomainPath { domid } => {
                let mut digits = String::new();
                let _ = write!(digits, "{domid}");
                string(&mut p, digits.as_bytes());
            }
        }
        if p.len() > XENSTORE_PAYLOAD_MAX {
            return Err(Invalid::PayloadTooLong { len: p.len() });
        }
        Ok(p)
    }

    /// The whole message (header and payload) for request `req_id` in
    /// transaction `tx_id` (0: none), or why the input is refused.
    ///
    /// ```
    /// use xencall::xenstore::{Invalid, Request, XsError};
    ///
    /// let msg = Request::TransactionEnd { commit: true }.encode(4, 17)?;
    /// assert_eq!(&msg[..16], [7u32, 4, 17, 2].map(u32::to_ne_bytes).concat());
    /// assert_eq!(&msg[16..], b"T\0");
    /// // A value that would push the payload past XENSTORE_PAYLOAD_MAX.
    /// let big = vec![b'x'; 4096];
    /// assert_eq!(
    ///     Request::Write { path: "data/big", value: &big }.encode(5, 0),
    ///     Err(XsError::Invalid(Invalid::PayloadTooLong { len: 4105 }))
    /// );
    /// # Ok::<(), XsError>(())
    /// ```
    pub fn encode(&self, req_id: u32, tx_id: u32) -> Result<Vec<u8>, XsError> {
        let payload = self.payload()?;
        let header = XsdSockmsg {
            r#type: self.kind().0,
            req_id,
            tx_id,
            len: payload.len() as u32,
        };
        let mut msg = Vec::with_capacity(16 + payload.len());
        msg.extend_from_slice(header.as_bytes());
        msg.extend_from_slice(&payload);
        Ok(msg)
    }
}

/// One message from the daemon: a reply, an error or a watch event.
///
/// ```
/// use xencall::abi::xenstore::{XsdSockmsg, XsdSockmsgType};
/// use xencall::xenstore::Message;
///
/// let m = Message {
///     header: XsdSockmsg { r#type: XsdSockmsgType::READ.0, req_id: 1, tx_id: 0, len: 1 },
///     payload: b"7".to_vec(),
/// };
/// assert_eq!(m.kind(), XsdSockmsgType::READ);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// The header as received.
    pub header: XsdSockmsg,
    /// `header.len` payload bytes.
    pub payload: Vec<u8>,
}

impl Message {
    /// The message type.
    ///
    /// ```
    /// use xencall::abi::xenstore::{XsdSockmsg, XsdSockmsgType};
    /// use xencall::xenstore::Message;
    ///
    /// let header = XsdSockmsg { r#type: 15, req_id: 0, tx_id: 0, len: 0 };
    /// let event = Message { header, payload: Vec::new() };
    /// assert_eq!(event.kind(), XsdSockmsgType::WATCH_EVENT);
    /// ```
    pub fn kind(&self) -> XsdSockmsgType {
        XsdSockmsgType(self.header.r#type)
    }
}

/// Cuts the daemon's byte stream into messages, whatever pieces it arrives
/// in: feed it bytes, take the complete messages out.
///
/// ```
/// use xencall::xenstore::{Decoder, Request};
///
/// // The daemon's reply arriving one byte at a time still gives one message.
/// let reply = Request::Read { path: "42" }.encode(3, 0)?; // any well-formed message
/// let mut d = Decoder::new();
/// for (i, b) in reply.iter().enumerate() {
///     assert_eq!(d.next_message()?, None, "complete before byte {i}");
///     d.feed(&[*b]);
/// }
/// let m = d.next_message()?.expect("the whole message has arrived");
/// assert_eq!((m.header.req_id, &m.payload[..]), (3, &b"42\0"[..]));
/// assert_eq!(d.next_message()?, None);
/// # Ok::<(), xencall::xenstore::XsError>(())
/// ```
#[derive(Debug, Default)]
pub struct Decoder {
    buffered: Vec<u8>,
    broken: bool,
}

impl Decoder {
    /// An empty decoder.
    ///
    /// ```
    /// let mut d = xencall::xenstore::Decoder::new();
    /// assert_eq!(d.next_message(), Ok(None));
    /// ```
    pub fn new() -> Decoder {
        Decoder::default()
    }

    /// Add bytes received from the daemon.
    ///
    /// ```
    /// use xencall::xenstore::Decoder;
    ///
    /// let mut d = Decoder::new();
    /// d.feed(&[0; 10]); // part of a header
    /// assert_eq!(d.next_message(), Ok(None));
    /// ```
    pub fn feed(&mut self, bytes: &[u8]) {
        self.buffered.extend_from_slice(bytes);
    }

    /// The next complete message, if one has arrived. A header announcing
    /// more than `XENSTORE_PAYLOAD_MAX` bytes breaks the stream for good.
    ///
    /// ```
    /// use xencall::xenstore::{Decoder, Protocol, XsError};
    ///
    /// let mut d = Decoder::new();
    /// // XS_READ reply announcing 5000 payload bytes: not allowed.
    /// d.feed(&[2u32, 1, 0, 5000].map(u32::to_ne_bytes).concat());
    /// assert_eq!(d.next_message(), Err(XsError::Protocol(Protocol::PayloadTooLong { len: 5000 })));
    /// assert_eq!(d.next_message(), Err(XsError::Protocol(Protocol::Broken)));
    /// ```
    pub fn next_message(&mut self) -> Result<Option<Message>, XsError> {
        if self.broken {
            return Err(Protocol::Broken.into());
        }
        let Ok((header, _)) = XsdSockmsg::read_from_prefix(&self.buffered) else {
            return Ok(None);
        };
        let len = header.len as usize;
        if len > XENSTORE_PAYLOAD_MAX {
            self.broken = true;
            return Err(Protocol::PayloadTooLong { len: header.len }.into());
        }
        let size = core::mem::size_of::<XsdSockmsg>();
        if self.buffered.len() < size + len {
            return Ok(None);
        }
        let payload = self.buffered[size..size + len].to_vec();
        self.buffered.drain(..size + len);
        Ok(Some(Message { header, payload }))
    }
}

/// The NUL-terminated strings of a payload (`<string>|*`), as text.
pub(super) fn strings(payload: &[u8]) -> Result<Vec<String>, Protocol> {
    if payload.is_empty() {
        return Ok(Vec::new());
    }
    let body = payload
        .strip_suffix(&[0])
        .ok_or(Protocol::Malformed("string list without its final NUL"))?;
    body.split(|&b| b == 0)
        .map(|s| {
            core::str::from_utf8(s)
                .map(String::from)
                .map_err(|_| Protocol::Malformed("string not UTF-8"))
        })
        .collect()
}
