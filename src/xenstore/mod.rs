//! A xenstore client (feature `alloc`): read, write, mkdir, rm, directory,
//! permissions, transactions and watches over any [`Transport`], in a domU
//! the shared page and event channel ([`RingTransport`]).
//!
//! The parts are kept apart so each can be tested alone: [`codec`]'s
//! [`Request`] and [`Decoder`] know the wire format and nothing else, the
//! [`Transport`] moves bytes, and [`Xenstore`] matches replies to requests
//! and queues the watch events that arrive between them.
//!
//! * One request at a time: each call sends one request and reads until
//!   the reply with its `req_id` arrives. Watch events read meanwhile go
//!   to a queue ([`Xenstore::next_event`]), never dropped; a reply with
//!   another id (left over from an earlier request) is skipped.
//! * Bad input is refused before anything is sent ([`Invalid`]); the
//!   daemon's refusals come back as [`XsError::Store`] with the error's
//!   name from xs_wire.h's table.
//! * Why a heap: replies reach 4096 bytes, directory listings have no
//!   fixed length (see [`Xenstore::directory`]), and the watch-event queue
//!   must grow to whatever arrives, since dropping an event breaks the
//!   protocol's promise. Fixed buffers would either cost 4 KiB per reply in
//!   a small stack or bound the queue; `alloc` (the boot runtime's heap)
//!   does neither.
//!
//! ```
//! use xencall::xenstore::{MockXenstored, Xenstore};
//!
//! // Against the in-memory daemon the crate's tests use.
//! let mut xs = Xenstore::new(MockXenstored::new(7, "fake-domu"));
//! xs.write("data/greeting", b"hello")?;
//! assert_eq!(xs.read("data/greeting")?, b"hello");
//! assert_eq!(xs.directory("data")?, ["greeting"]);
//! # Ok::<(), xencall::xenstore::XsError>(())
//! ```

pub mod codec;
mod error;
mod mock;
mod path;
mod permissions;
mod transport;

pub use codec::{Decoder, Message, Request};
pub use error::{Invalid, Protocol, XsError};
pub use mock::MockXenstored;
pub use path::{check_path, check_string};
pub use permissions::{Access, Permission};
pub use transport::{RingTransport, Transport};

use alloc::collections::VecDeque;
use alloc::string::String;
use alloc::vec::Vec;

use crate::abi::xenstore::XsdSockmsgType;
use crate::abi::XenErrno;

/// How often [`Xenstore::transaction`] runs its body before giving up on a
/// transaction that keeps conflicting (`EAGAIN` at commit).
pub const TRANSACTION_ATTEMPTS: usize = 16;

/// A watch firing: the path that changed and the watch's token.
///
/// ```
/// use xencall::xenstore::WatchEvent;
///
/// let e = WatchEvent { path: "control/shutdown".into(), token: "ctl".into() };
/// assert!(e.path.starts_with("control/"));
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WatchEvent {
    /// The changed path (relative if the watch's path was).
    pub path: String,
    /// The token given to [`Xenstore::watch`].
    pub token: String,
}

/// A xenstore connection.
///
/// ```
/// use xencall::xenstore::{MockXenstored, Xenstore};
///
/// let mut xs = Xenstore::new(MockXenstored::new(7, "fake-domu"));
/// // A stub domain's first steps: who am I, where is my configuration.
/// let domid: u16 = xs.read_string("domid")?.parse().unwrap();
/// assert_eq!(xs.domain_path(domid)?, format!("/local/domain/{domid}"));
/// # Ok::<(), xencall::xenstore::XsError>(())
/// ```
pub struct Xenstore<T> {
    transport: T,
    decoder: Decoder,
    next_req_id: u32,
    events: VecDeque<WatchEvent>,
    skipped_replies: usize,
}

impl<T: Transport> Xenstore<T> {
    /// A client over `transport`.
    ///
    /// ```
    /// let xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// assert_eq!(xs.pending_events(), 0);
    /// ```
    pub fn new(transport: T) -> Xenstore<T> {
        Xenstore {
            transport,
            decoder: Decoder::new(),
            next_req_id: 1,
            events: VecDeque::new(),
            skipped_replies: 0,
        }
    }

    /// The transport.
    ///
    /// ```
    /// let xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// assert_eq!(xs.transport().requests(), 0);
    /// ```
    pub fn transport(&self) -> &T {
        &self.transport
    }

    /// The transport, mutable (a test's mock daemon, say).
    ///
    /// ```
    /// use xencall::xenstore::{MockXenstored, Xenstore};
    ///
    /// let mut xs = Xenstore::new(MockXenstored::new(7, "fake-domu"));
    /// // Another domain changes a node behind the client's back.
    /// xs.transport_mut().write_as_other_domain("data/x", b"theirs");
    /// assert_eq!(xs.read("data/x")?, b"theirs");
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Replies skipped so far because their `req_id` matched no request
    /// waiting (left over from an earlier request that failed midway).
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.read("domid")?;
    /// assert_eq!(xs.skipped_replies(), 0);
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn skipped_replies(&self) -> usize {
        self.skipped_replies
    }

    /// Read one message from the transport (blocking or not).
    fn receive_message(&mut self, block: bool) -> Result<Option<Message>, XsError> {
        let mut buf = [0u8; 256];
        loop {
            if let Some(m) = self.decoder.next_message()? {
                return Ok(Some(m));
            }
            let n = self.transport.receive(&mut buf, block)?;
            if n == 0 {
                return Ok(None);
            }
            self.decoder.feed(&buf[..n]);
        }
    }

    /// Queue a watch event.
    fn queue_event(&mut self, m: &Message) -> Result<(), XsError> {
        let mut parts = codec::strings(&m.payload)?.into_iter();
        let (Some(path), Some(token)) = (parts.next(), parts.next()) else {
            return Err(Protocol::Malformed("watch event without path and token").into());
        };
        self.events.push_back(WatchEvent { path, token });
        Ok(())
    }

    /// Send `request` in transaction `tx` and return its reply's payload.
    fn call(&mut self, request: Request<'_>, tx: u32) -> Result<Vec<u8>, XsError> {
        let req_id = self.next_req_id;
        // Watch events carry req_id 0: never use it for a request.
        self.next_req_id = self.next_req_id.wrapping_add(1).max(1);
        let bytes = request.encode(req_id, tx)?;
        self.transport.send(&bytes)?;
        loop {
            let Some(m) = self.receive_message(true)? else {
                continue;
            };
            if m.kind() == XsdSockmsgType::WATCH_EVENT {
                self.queue_event(&m)?;
                continue;
            }
            if m.header.req_id != req_id {
                self.skipped_replies += 1;
                continue;
            }
            if m.kind() == XsdSockmsgType::ERROR {
                return Err(XsError::from_error_name(&m.payload));
            }
            if m.kind() != request.kind() {
                return Err(Protocol::UnexpectedReply {
                    request: request.kind().0,
                    reply: m.header.r#type,
                }
                .into());
            }
            return Ok(m.payload);
        }
    }

    /// A reply that must be `OK`.
    fn call_ok(&mut self, request: Request<'_>, tx: u32) -> Result<(), XsError> {
        let reply = self.call(request, tx)?;
        if reply.strip_suffix(&[0]).unwrap_or(&reply) != b"OK" {
            return Err(Protocol::Malformed("expected OK").into());
        }
        Ok(())
    }

    /// The value of the node at `path` (absolute, or relative to the
    /// domain's home `/local/domain/<domid>`).
    ///
    /// ```
    /// use xencall::{abi::XenErrno, xenstore::{MockXenstored, Xenstore, XsError}};
    ///
    /// let mut xs = Xenstore::new(MockXenstored::new(7, "fake-domu"));
    /// assert_eq!(xs.read("name")?, b"fake-domu");
    /// assert_eq!(xs.read("data/missing"), Err(XsError::Store(XenErrno::ENOENT)));
    /// # Ok::<(), XsError>(())
    /// ```
    pub fn read(&mut self, path: &str) -> Result<Vec<u8>, XsError> {
        self.call(Request::Read { path }, 0)
    }

    /// [`read`](Self::read), as UTF-8 text.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// assert_eq!(xs.read_string("name")?, "fake-domu");
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn read_string(&mut self, path: &str) -> Result<String, XsError> {
        text(self.read(path)?)
    }

    /// Set the node at `path` to `value`, creating it and its parents.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.write("data/a/b", b"1")?;
    /// assert_eq!(xs.read("data/a")?, b""); // the parent, created empty
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn write(&mut self, path: &str, value: &[u8]) -> Result<(), XsError> {
        self.call_ok(Request::Write { path, value }, 0)
    }

    /// Make sure the node at `path` exists (values left as they are).
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.mkdir("data/dir")?;
    /// assert!(xs.directory("data")?.contains(&"dir".to_string()));
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn mkdir(&mut self, path: &str) -> Result<(), XsError> {
        self.call_ok(Request::Mkdir { path }, 0)
    }

    /// Remove the node at `path` and everything below it.
    ///
    /// ```
    /// use xencall::abi::XenErrno;
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.write("data/x/y", b"1")?;
    /// xs.rm("data/x")?;
    /// assert!(xs.read("data/x/y").unwrap_err().is(XenErrno::ENOENT));
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn rm(&mut self, path: &str) -> Result<(), XsError> {
        self.call_ok(Request::Rm { path }, 0)
    }

    /// The names of the children of `path`. A list too long for one reply
    /// (the daemon's `E2BIG`) is read in parts with `XS_DIRECTORY_PART`,
    /// starting over if the node changes meanwhile.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.write("data/one", b"1")?;
    /// xs.write("data/two", b"2")?;
    /// let mut names = xs.directory("data")?;
    /// names.sort();
    /// assert_eq!(names, ["one", "two"]);
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn directory(&mut self, path: &str) -> Result<Vec<String>, XsError> {
        self.directory_in(path, 0)
    }

    fn directory_in(&mut self, path: &str, tx: u32) -> Result<Vec<String>, XsError> {
        match self.call(Request::Directory { path }, tx) {
            Err(e) if e.is(XenErrno::E2BIG) => self.directory_parts(path, tx),
            other => Ok(codec::strings(&other?)?),
        }
    }

    /// `XS_DIRECTORY_PART` until the part that ends the list (its child
    /// list ends in an empty name).
    fn directory_parts(&mut self, path: &str, tx: u32) -> Result<Vec<String>, XsError> {
        let malformed = Protocol::Malformed("directory part");
        'again: loop {
            let mut names = Vec::new();
            let mut generation: Option<Vec<u8>> = None;
            let mut offset = 0u32;
            loop {
                let reply = self.call(Request::DirectoryPart { path, offset }, tx)?;
                let nul = reply
                    .iter()
                    .position(|&b| b == 0)
                    .ok_or(malformed.clone())?;
                let (gen, body) = (&reply[..nul], &reply[nul + 1..]);
                match &generation {
                    None => generation = Some(gen.to_vec()),
                    Some(g) if g != gen => continue 'again, // changed: start over
                    Some(_) => {}
                }
                let (body, last) = match body.strip_suffix(&[0, 0]) {
                    Some(rest) => (&body[..rest.len() + 1], true),
                    None if body == [0] => (&body[..0], true),
                    None => (body, false),
                };
                if body.is_empty() && !last {
                    return Err(malformed.into());
                }
                offset += body.len() as u32;
                names.extend(codec::strings(body)?);
                if last {
                    return Ok(names);
                }
            }
        }
    }

    /// The permission list of `path`: owner first.
    ///
    /// ```
    /// use xencall::xenstore::{Access, Permission};
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.write("data/p", b"")?;
    /// assert_eq!(xs.get_permissions("data/p")?[0].access, Access::None);
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn get_permissions(&mut self, path: &str) -> Result<Vec<Permission>, XsError> {
        self.get_permissions_in(path, 0)
    }

    fn get_permissions_in(&mut self, path: &str, tx: u32) -> Result<Vec<Permission>, XsError> {
        Ok(permissions::parse(
            &self.call(Request::GetPerms { path }, tx)?,
        )?)
    }

    /// Replace the permission list of `path` (owner first).
    ///
    /// ```
    /// use xencall::xenstore::{Access, Permission};
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.write("data/shared", b"x")?;
    /// // Ours; dom0 may read it.
    /// let perms = [
    ///     Permission { domid: 7, access: Access::None },
    ///     Permission { domid: 0, access: Access::Read },
    /// ];
    /// xs.set_permissions("data/shared", &perms)?;
    /// assert_eq!(xs.get_permissions("data/shared")?, perms);
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn set_permissions(&mut self, path: &str, perms: &[Permission]) -> Result<(), XsError> {
        self.call_ok(Request::SetPerms { path, perms }, 0)
    }

    /// The home path of domain `domid` (`/local/domain/<domid>`).
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// assert_eq!(xs.domain_path(3)?, "/local/domain/3");
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn domain_path(&mut self, domid: u16) -> Result<String, XsError> {
        let reply = self.call(Request::GetDomainPath { domid }, 0)?;
        text(reply.strip_suffix(&[0]).unwrap_or(&reply).to_vec())
    }

    /// Report changes under `path` as [`WatchEvent`]s tagged `token`. The
    /// daemon fires every new watch once straight away.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.watch("control", "ctl")?;
    /// assert_eq!(xs.next_event()?.path, "control"); // the initial firing
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn watch(&mut self, path: &str, token: &str) -> Result<(), XsError> {
        self.call_ok(Request::Watch { path, token }, 0)
    }

    /// Remove the watch on `path` with `token`. Events it fired already
    /// stay queued.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.watch("data", "d")?;
    /// xs.unwatch("data", "d")?;
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn unwatch(&mut self, path: &str, token: &str) -> Result<(), XsError> {
        self.call_ok(Request::Unwatch { path, token }, 0)
    }

    /// Drop every watch and transaction of this connection (as after a
    /// restart, when the daemon may still hold the old ones).
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.reset_watches()?;
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn reset_watches(&mut self) -> Result<(), XsError> {
        self.call_ok(Request::ResetWatches, 0)
    }

    /// Watch events received and not yet taken.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.watch("data", "d")?;
    /// xs.read("domid")?; // by now the initial event has arrived too
    /// assert_eq!(xs.pending_events(), 1);
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn pending_events(&self) -> usize {
        self.events.len()
    }

    /// The next watch event, waiting for one if none is queued.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.watch("data/x", "x")?;
    /// xs.next_event()?; // initial
    /// xs.write("data/x", b"1")?;
    /// let e = xs.next_event()?;
    /// assert_eq!((e.path.as_str(), e.token.as_str()), ("data/x", "x"));
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn next_event(&mut self) -> Result<WatchEvent, XsError> {
        loop {
            if let Some(e) = self.try_next_event()? {
                return Ok(e);
            }
            if let Some(m) = self.receive_message(true)? {
                self.file_unrequested(&m)?;
            }
        }
    }

    /// The next watch event if one has arrived, without waiting.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// assert_eq!(xs.try_next_event()?, None);
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn try_next_event(&mut self) -> Result<Option<WatchEvent>, XsError> {
        while self.events.is_empty() {
            match self.receive_message(false)? {
                Some(m) => self.file_unrequested(&m)?,
                None => break,
            }
        }
        Ok(self.events.pop_front())
    }

    /// A message read while no request waits: queue events, skip replies.
    fn file_unrequested(&mut self, m: &Message) -> Result<(), XsError> {
        if m.kind() == XsdSockmsgType::WATCH_EVENT {
            self.queue_event(m)
        } else {
            self.skipped_replies += 1;
            Ok(())
        }
    }

    /// `XS_TRANSACTION_START`: a new transaction's id. Prefer
    /// [`transaction`](Self::transaction), which also ends it and retries.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// let tx = xs.transaction_start()?;
    /// assert_ne!(tx, 0);
    /// xs.transaction_end(tx, false)?; // abandoned
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn transaction_start(&mut self) -> Result<u32, XsError> {
        let reply = self.call(Request::TransactionStart, 0)?;
        let digits = reply.strip_suffix(&[0]).unwrap_or(&reply);
        core::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse::<u32>().ok())
            .filter(|&id| id != 0)
            .ok_or(Protocol::Malformed("transaction id").into())
    }

    /// `XS_TRANSACTION_END`: commit (`commit`) or abandon transaction
    /// `tx`. A commit that conflicts with another change fails with
    /// `EAGAIN`.
    ///
    /// ```
    /// use xencall::xenstore::Request;
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// let tx = xs.transaction_start()?;
    /// xs.transaction_end(tx, true)?;
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn transaction_end(&mut self, tx: u32, commit: bool) -> Result<(), XsError> {
        self.call_ok(Request::TransactionEnd { commit }, tx)
    }

    /// Operations in transaction `tx`, started with
    /// [`transaction_start`](Self::transaction_start) and ended with
    /// [`transaction_end`](Self::transaction_end) by the caller.
    ///
    /// ```
    /// use xencall::{abi::XenErrno, xenstore::{MockXenstored, Xenstore, XsError}};
    ///
    /// let mut xs = Xenstore::new(MockXenstored::new(7, "fake-domu"));
    /// let tx = xs.transaction_start()?;
    /// xs.in_transaction(tx).write("data/pending", b"1")?;
    /// // Not visible outside the transaction until it commits.
    /// assert_eq!(xs.read("data/pending"), Err(XsError::Store(XenErrno::ENOENT)));
    /// xs.transaction_end(tx, true)?;
    /// assert_eq!(xs.read("data/pending")?, b"1");
    /// # Ok::<(), XsError>(())
    /// ```
    pub fn in_transaction(&mut self, tx: u32) -> Transaction<'_, T> {
        Transaction { xs: self, id: tx }
    }

    /// Run `body` in a transaction and commit it; when the commit
    /// conflicts (`EAGAIN`, another domain changed what it touched), run
    /// `body` again in a new transaction, up to [`TRANSACTION_ATTEMPTS`]
    /// times. An error from `body` abandons the transaction (an `EAGAIN`
    /// from `body` retries too) and is returned.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.write("data/counter", b"41")?;
    /// // Read-modify-write, atomic against other writers of the counter.
    /// let new = xs.transaction(|tx| {
    ///     let n: u32 = tx.read_string("data/counter")?.parse().unwrap();
    ///     tx.write("data/counter", (n + 1).to_string().as_bytes())?;
    ///     Ok(n + 1)
    /// })?;
    /// assert_eq!(new, 42);
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn transaction<R>(
        &mut self,
        mut body: impl FnMut(&mut Transaction<'_, T>) -> Result<R, XsError>,
    ) -> Result<R, XsError> {
        let mut attempt = 0;
        loop {
            attempt += 1;
            let id = self.transaction_start()?;
            let result = body(&mut Transaction { xs: self, id });
            let ended = match &result {
                Ok(_) => self.transaction_end(id, true),
                Err(_) => self.transaction_end(id, false),
            };
            let retry = |e: &XsError| e.is(XenErrno::EAGAIN) && attempt < TRANSACTION_ATTEMPTS;
            match (result, ended) {
                (Ok(value), Ok(())) => return Ok(value),
                (Ok(_), Err(e)) | (Err(e), _) if retry(&e) => continue,
                (Ok(_), Err(e)) | (Err(e), _) => return Err(e),
            }
        }
    }
}

/// Operations inside a transaction (see [`Xenstore::transaction`]): they
/// see the store as it was when the transaction started, plus their own
/// changes, and take effect together at commit.
///
/// ```
/// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
/// xs.transaction(|tx| {
///     tx.write("data/a", b"1")?;
///     tx.write("data/b", b"2") // both or neither
/// })?;
/// assert_eq!(xs.read("data/b")?, b"2");
/// # Ok::<(), xencall::xenstore::XsError>(())
/// ```
pub struct Transaction<'x, T> {
    xs: &'x mut Xenstore<T>,
    id: u32,
}

impl<T: Transport> Transaction<'_, T> {
    /// The transaction's id (the header's `tx_id`).
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.transaction(|tx| { assert_ne!(tx.id(), 0); Ok(()) })?;
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn id(&self) -> u32 {
        self.id
    }

    /// [`Xenstore::read`] in the transaction.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// let name = xs.transaction(|tx| tx.read("name"))?;
    /// assert_eq!(name, b"fake-domu");
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn read(&mut self, path: &str) -> Result<Vec<u8>, XsError> {
        self.xs.call(Request::Read { path }, self.id)
    }

    /// [`Xenstore::read_string`] in the transaction.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// assert_eq!(xs.transaction(|tx| tx.read_string("name"))?, "fake-domu");
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn read_string(&mut self, path: &str) -> Result<String, XsError> {
        text(self.read(path)?)
    }

    /// [`Xenstore::write`] in the transaction.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.transaction(|tx| tx.write("data/t", b"in tx"))?;
    /// assert_eq!(xs.read("data/t")?, b"in tx");
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn write(&mut self, path: &str, value: &[u8]) -> Result<(), XsError> {
        self.xs.call_ok(Request::Write { path, value }, self.id)
    }

    /// [`Xenstore::mkdir`] in the transaction.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.transaction(|tx| tx.mkdir("data/d"))?;
    /// assert_eq!(xs.read("data/d")?, b"");
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn mkdir(&mut self, path: &str) -> Result<(), XsError> {
        self.xs.call_ok(Request::Mkdir { path }, self.id)
    }

    /// [`Xenstore::rm`] in the transaction.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.write("data/old", b"x")?;
    /// xs.transaction(|tx| tx.rm("data/old"))?;
    /// assert!(xs.read("data/old").is_err());
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn rm(&mut self, path: &str) -> Result<(), XsError> {
        self.xs.call_ok(Request::Rm { path }, self.id)
    }

    /// [`Xenstore::directory`] in the transaction.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.write("data/k", b"v")?;
    /// assert_eq!(xs.transaction(|tx| tx.directory("data"))?, ["k"]);
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn directory(&mut self, path: &str) -> Result<Vec<String>, XsError> {
        self.xs.directory_in(path, self.id)
    }

    /// [`Xenstore::get_permissions`] in the transaction.
    ///
    /// ```
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.write("data/q", b"")?;
    /// assert_eq!(xs.transaction(|tx| tx.get_permissions("data/q"))?.len(), 1);
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn get_permissions(&mut self, path: &str) -> Result<Vec<Permission>, XsError> {
        self.xs.get_permissions_in(path, self.id)
    }

    /// [`Xenstore::set_permissions`] in the transaction.
    ///
    /// ```
    /// use xencall::xenstore::{Access, Permission};
    /// let mut xs = xencall::xenstore::Xenstore::new(xencall::xenstore::MockXenstored::new(7, "fake-domu"));
    /// xs.write("data/r", b"")?;
    /// let everyone_reads = [Permission { domid: 7, access: Access::Read }];
    /// xs.transaction(|tx| tx.set_permissions("data/r", &everyone_reads))?;
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn set_permissions(&mut self, path: &str, perms: &[Permission]) -> Result<(), XsError> {
        self.xs.call_ok(Request::SetPerms { path, perms }, self.id)
    }
}

/// A value as UTF-8 text.
fn text(bytes: Vec<u8>) -> Result<String, XsError> {
    String::from_utf8(bytes).map_err(|_| Protocol::Malformed("value not UTF-8").into())
}
