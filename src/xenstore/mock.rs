//! [`MockXenstored`]: an in-memory xenstore daemon behind the
//! [`Transport`] trait, for testing code that uses the client on the host
//! (as [`mock::MockBackend`](crate::mock::MockBackend) plays Xen). It keeps
//! a tree of nodes with values and permissions, watches, transactions that
//! conflict as xenstored's do, and `XS_DIRECTORY_PART`; and it can be told
//! to misbehave: deliver its bytes in small pieces, fire watch events
//! between a request and its reply, fail commits, send stale replies.
//!
//! It does not check permissions, quotas or path syntax (the client's
//! checks are what tests exercise); it answers as the daemon does
//! otherwise, by `docs/misc/xenstore.txt` and cxenstored's behaviour.

use alloc::collections::{BTreeMap, VecDeque};
use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;

use zerocopy::IntoBytes;

use super::codec::{Decoder, Message};
use super::error::XsError;
use super::permissions::{Access, Permission};
use super::transport::Transport;
use crate::abi::xenstore::{XsdSockmsg, XsdSockmsgType, XENSTORE_PAYLOAD_MAX};

/// The store: absolute path to (value, permissions).
type Tree = BTreeMap<String, (Vec<u8>, Vec<Permission>)>;

/// A xenstore daemon in memory: a tree of nodes with values and
/// permissions, watches, transactions that conflict as xenstored's do, and
/// `XS_DIRECTORY_PART`; it can deliver its bytes in small pieces, fire watch
/// events between a request and its reply, fail commits and send stale
/// replies. It checks no permissions, quotas or path syntax.
///
/// ```
/// use xencall::xenstore::{MockXenstored, Xenstore};
///
/// let mut daemon = MockXenstored::new(7, "guest");
/// // Replies trickle out 3 bytes per read, with a watch event in front.
/// daemon.set_chunk(3);
/// daemon.fire_before_next_reply("data/x", "tok");
/// let mut xs = Xenstore::new(daemon);
/// assert_eq!(xs.read_string("name")?, "guest");
/// assert_eq!(xs.next_event()?.token, "tok"); // queued, not lost
/// assert_eq!(xs.transport().requests(), 1);
/// # Ok::<(), xencall::xenstore::XsError>(())
/// ```
pub struct MockXenstored {
    domid: u16,
    tree: Tree,
    generation: u64,
    watches: Vec<(String, String)>,
    transactions: BTreeMap<u32, (Tree, u64)>,
    next_tx: u32,
    decoder: Decoder,
    out: VecDeque<u8>,
    chunk: usize,
    early_events: Vec<(String, String)>,
    failing_commits: usize,
    requests: usize,
    last: Option<Message>,
}

impl MockXenstored {
    /// A daemon serving domain `domid`: its home `/local/domain/<domid>`
    /// holds `domid`, `name`, and empty `data` and `control` nodes.
    ///
    /// ```
    /// use xencall::xenstore::{MockXenstored, Xenstore};
    ///
    /// let mut xs = Xenstore::new(MockXenstored::new(3, "web"));
    /// assert_eq!(xs.read_string("/local/domain/3/name")?, "web");
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn new(domid: u16, name: &str) -> MockXenstored {
        let mut d = MockXenstored {
            domid,
            tree: Tree::new(),
            generation: 1,
            watches: Vec::new(),
            transactions: BTreeMap::new(),
            next_tx: 1,
            decoder: Decoder::new(),
            out: VecDeque::new(),
            chunk: usize::MAX,
            early_events: Vec::new(),
            failing_commits: 0,
            requests: 0,
            last: None,
        };
        let root = [Permission {
            domid: 0,
            access: Access::None,
        }];
        d.tree.insert("/".into(), (Vec::new(), root.to_vec()));
        let home = d.home();
        let mine = [Permission {
            domid,
            access: Access::None,
        }];
        let mut tree = core::mem::take(&mut d.tree);
        for (path, value) in [
            (format!("{home}/domid"), domid.to_string()),
            (format!("{home}/name"), name.to_string()),
            (format!("{home}/data"), String::new()),
            (format!("{home}/control"), String::new()),
        ] {
            write_node(&mut tree, &path, value.as_bytes(), &mine);
        }
        d.tree = tree;
        d
    }

    /// Hand out at most `bytes` per `receive`, so replies arrive split
    /// across reads (at least 1).
    ///
    /// ```
    /// use xencall::xenstore::{MockXenstored, Transport};
    ///
    /// let mut d = MockXenstored::new(1, "x");
    /// d.set_chunk(5);
    /// d.send(&xencall::xenstore::Request::Read { path: "name" }.encode(1, 0)?)?;
    /// assert_eq!(d.receive(&mut [0; 64], true)?, 5);
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn set_chunk(&mut self, bytes: usize) {
        self.chunk = bytes.max(1);
    }

    /// Send a watch event for `path` with `token` right away (it reaches
    /// the client between requests, whether or not it watches).
    ///
    /// ```
    /// use xencall::xenstore::{MockXenstored, Xenstore};
    ///
    /// let mut d = MockXenstored::new(1, "x");
    /// d.fire_now("control/shutdown", "ctl");
    /// let mut xs = Xenstore::new(d);
    /// assert_eq!(xs.try_next_event()?.map(|e| e.path), Some("control/shutdown".into()));
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn fire_now(&mut self, path: &str, token: &str) {
        self.push_event(path, token);
    }

    /// Send a watch event for `path` with `token` in front of the next
    /// reply, between the client's request and its answer.
    ///
    /// ```
    /// use xencall::xenstore::{MockXenstored, Xenstore};
    ///
    /// let mut d = MockXenstored::new(1, "x");
    /// d.fire_before_next_reply("data/a", "t");
    /// let mut xs = Xenstore::new(d);
    /// xs.read("domid")?;
    /// assert_eq!(xs.pending_events(), 1);
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn fire_before_next_reply(&mut self, path: &str, token: &str) {
        self.early_events.push((path.into(), token.into()));
    }

    /// Answer the next `n` commits with `EAGAIN`, as when another domain
    /// changed the store during each of those transactions.
    ///
    /// ```
    /// use xencall::xenstore::{MockXenstored, Xenstore};
    ///
    /// let mut d = MockXenstored::new(1, "x");
    /// d.fail_commits(2);
    /// let mut xs = Xenstore::new(d);
    /// let mut runs = 0;
    /// xs.transaction(|tx| { runs += 1; tx.write("data/v", b"1") })?;
    /// assert_eq!(runs, 3); // two conflicts, then the commit
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn fail_commits(&mut self, n: usize) {
        self.failing_commits = n;
    }

    /// Send a reply to a request the client is not waiting for (as one
    /// left over from an earlier, abandoned request).
    ///
    /// ```
    /// use xencall::abi::xenstore::XsdSockmsgType;
    /// use xencall::xenstore::{MockXenstored, Xenstore};
    ///
    /// let mut d = MockXenstored::new(1, "x");
    /// d.send_stale_reply(99, XsdSockmsgType::READ, b"old");
    /// let mut xs = Xenstore::new(d);
    /// assert_eq!(xs.read("domid")?, b"1"); // the right reply, matched by id
    /// assert_eq!(xs.skipped_replies(), 1);
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn send_stale_reply(&mut self, req_id: u32, kind: XsdSockmsgType, payload: &[u8]) {
        self.push_message(kind, req_id, 0, payload);
    }

    /// Change a node as another domain would (outside any transaction of
    /// the client's): watches fire, open transactions will conflict.
    ///
    /// ```
    /// use xencall::xenstore::{MockXenstored, Xenstore};
    ///
    /// let mut d = MockXenstored::new(1, "x");
    /// d.write_as_other_domain("/local/domain/1/data/from-dom0", b"hi");
    /// let mut xs = Xenstore::new(d);
    /// assert_eq!(xs.read("data/from-dom0")?, b"hi");
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn write_as_other_domain(&mut self, path: &str, value: &[u8]) {
        let path = self.canonical(path);
        let perms = self.inherited(&path);
        write_node(&mut self.tree, &path, value, &perms);
        self.generation += 1;
        self.fire_watches(&path);
    }

    /// Requests handled so far.
    ///
    /// ```
    /// use xencall::xenstore::{MockXenstored, Xenstore};
    ///
    /// let mut xs = Xenstore::new(MockXenstored::new(1, "x"));
    /// assert!(xs.read("bad\0path").is_err()); // refused by the client
    /// assert_eq!(xs.transport().requests(), 0); // nothing reached the daemon
    /// ```
    pub fn requests(&self) -> usize {
        self.requests
    }

    /// The last request received, as decoded.
    ///
    /// ```
    /// use xencall::abi::xenstore::XsdSockmsgType;
    /// use xencall::xenstore::{MockXenstored, Xenstore};
    ///
    /// let mut xs = Xenstore::new(MockXenstored::new(1, "x"));
    /// xs.mkdir("data/m")?;
    /// let last = xs.transport().last_request().unwrap();
    /// assert_eq!((last.kind(), &last.payload[..]), (XsdSockmsgType::MKDIR, &b"data/m\0"[..]));
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn last_request(&self) -> Option<&Message> {
        self.last.as_ref()
    }

    /// The value of a node (absolute or relative path), as the daemon
    /// holds it outside any transaction.
    ///
    /// ```
    /// use xencall::xenstore::{MockXenstored, Xenstore};
    ///
    /// let mut xs = Xenstore::new(MockXenstored::new(1, "x"));
    /// xs.write("data/out", b"42")?;
    /// assert_eq!(xs.transport().value("/local/domain/1/data/out"), Some(&b"42"[..]));
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    pub fn value(&self, path: &str) -> Option<&[u8]> {
        self.tree.get(&self.canonical(path)).map(|(v, _)| &v[..])
    }

    fn home(&self) -> String {
        format!("/local/domain/{}", self.domid)
    }

    fn canonical(&self, path: &str) -> String {
        if path.starts_with('/') || path.starts_with('@') {
            path.into()
        } else {
            format!("{}/{path}", self.home())
        }
    }

    /// The permissions a new node under `path`'s nearest existing parent
    /// gets: that parent's.
    fn inherited(&self, path: &str) -> Vec<Permission> {
        let mut p = path;
        while let Some(parent) = parent_of(p) {
            if let Some((_, perms)) = self.tree.get(parent) {
                return perms.clone();
            }
            p = parent;
        }
        Vec::new()
    }

    fn push_message(&mut self, kind: XsdSockmsgType, req_id: u32, tx_id: u32, payload: &[u8]) {
        let header = XsdSockmsg {
            r#type: kind.0,
            req_id,
            tx_id,
            len: payload.len() as u32,
        };
        self.out.extend(header.as_bytes());
        self.out.extend(payload);
    }

    fn push_event(&mut self, path: &str, token: &str) {
        let payload = [path.as_bytes(), &[0], token.as_bytes(), &[0]].concat();
        self.push_message(XsdSockmsgType::WATCH_EVENT, 0, 0, &payload);
    }

    /// Watch events for a change of the absolute `path`.
    fn fire_watches(&mut self, path: &str) {
        let home = self.home();
        let mut events = Vec::new();
        for (wpath, token) in &self.watches {
            let watched = self.canonical(wpath);
            let under = path == watched
                || watched == "/"
                || path
                    .strip_prefix(watched.as_str())
                    .is_some_and(|r| r.starts_with('/'));
            if !under || watched.starts_with('@') {
                continue;
            }
            // A relative watch reports relative paths.
            let shown = if wpath.starts_with('/') {
                path.to_string()
            } else {
                path.strip_prefix(&format!("{home}/"))
                    .unwrap_or(path)
                    .to_string()
            };
            events.push((shown, token.clone()));
        }
        for (p, t) in events {
            self.push_event(&p, &t);
        }
    }

    /// Answer one request.
    fn handle(&mut self, m: Message) {
        self.requests += 1;
        for (p, t) in core::mem::take(&mut self.early_events) {
            self.push_event(&p, &t);
        }
        let (kind, req_id, tx) = (m.kind(), m.header.req_id, m.header.tx_id);
        let args: Vec<&[u8]> = m.payload.split(|&b| b == 0).collect();
        let arg =
            |i: usize| core::str::from_utf8(args.get(i).copied().unwrap_or(b"")).unwrap_or("");
        let result = self.answer(kind, tx, &m.payload, arg(0), arg(1), &args);
        match result {
            Ok(payload) => self.push_message(kind, req_id, tx, &payload),
            Err(name) => {
                let payload = [name.as_bytes(), &[0]].concat();
                self.push_message(XsdSockmsgType::ERROR, req_id, tx, &payload)
            }
        }
        if kind == XsdSockmsgType::WATCH {
            // Every new watch fires once, straight away.
            self.push_event(arg(0), arg(1));
        }
        self.last = Some(m);
    }

    /// The tree a request in transaction `tx` works on.
    fn tree_for(&mut self, tx: u32) -> Result<&mut Tree, &'static str> {
        if tx == 0 {
            return Ok(&mut self.tree);
        }
        self.transactions
            .get_mut(&tx)
            .map(|(tree, _)| tree)
            .ok_or("ENOENT")
    }

    fn answer(
        &mut self,
        kind: XsdSockmsgType,
        tx: u32,
        payload: &[u8],
        arg0: &str,
        arg1: &str,
        args: &[&[u8]],
    ) -> Result<Vec<u8>, &'static str> {
        const OK: &[u8] = b"OK\0";
        let path = self.canonical(arg0);
        let changed = |d: &mut MockXenstored, path: &str| {
            if tx == 0 {
                d.generation += 1;
                d.fire_watches(path);
            }
        };
        match kind {
            XsdSockmsgType::READ => {
                let tree = self.tree_for(tx)?;
                tree.get(&path).map(|(v, _)| v.clone()).ok_or("ENOENT")
            }
            XsdSockmsgType::WRITE => {
                let value = payload.get(arg0.len() + 1..).unwrap_or(&[]);
                let perms = self.inherited(&path);
                write_node(self.tree_for(tx)?, &path, value, &perms);
                changed(self, &path);
                Ok(OK.to_vec())
            }
            XsdSockmsgType::MKDIR => {
                let perms = self.inherited(&path);
                let tree = self.tree_for(tx)?;
                if !tree.contains_key(&path) {
                    write_node(tree, &path, b"", &perms);
                }
                changed(self, &path);
                Ok(OK.to_vec())
            }
            XsdSockmsgType::RM => {
                let tree = self.tree_for(tx)?;
                if !tree.contains_key(&path) {
                    let parent_exists = parent_of(&path).is_some_and(|p| tree.contains_key(p));
                    return if parent_exists {
                        Ok(OK.to_vec())
                    } else {
                        Err("ENOENT")
                    };
                }
                let below = format!("{path}/");
                tree.retain(|k, _| *k != path && !k.starts_with(&below));
                changed(self, &path);
                Ok(OK.to_vec())
            }
            XsdSockmsgType::DIRECTORY | XsdSockmsgType::DIRECTORY_PART => {
                let generation = self.generation;
                let tree = self.tree_for(tx)?;
                if !tree.contains_key(&path) {
                    return Err("ENOENT");
                }
                let children = children_of(tree, &path);
                if kind == XsdSockmsgType::DIRECTORY {
                    if children.len() > XENSTORE_PAYLOAD_MAX {
                        return Err("E2BIG");
                    }
                    return Ok(children);
                }
                Ok(directory_part(
                    &children,
                    generation,
                    arg1.parse().unwrap_or(0),
                ))
            }
            XsdSockmsgType::GET_PERMS => {
                let tree = self.tree_for(tx)?;
                let (_, perms) = tree.get(&path).ok_or("ENOENT")?;
                Ok(perms
                    .iter()
                    .flat_map(|p| format!("{p}\0").into_bytes())
                    .collect())
            }
            XsdSockmsgType::SET_PERMS => {
                let mut perms = Vec::new();
                for entry in args[1..].iter().filter(|e| !e.is_empty()) {
                    let access = Access::from_letter(entry[0]).ok_or("EINVAL")?;
                    let domid = core::str::from_utf8(&entry[1..])
                        .ok()
                        .and_then(|d| d.parse().ok())
                        .ok_or("EINVAL")?;
                    perms.push(Permission { domid, access });
                }
                let tree = self.tree_for(tx)?;
                let node = tree.get_mut(&path).ok_or("ENOENT")?;
                node.1 = perms;
                changed(self, &path);
                Ok(OK.to_vec())
            }
            XsdSockmsgType::WATCH => {
                self.watches.push((arg0.into(), arg1.into()));
                Ok(OK.to_vec())
            }
            XsdSockmsgType::UNWATCH => {
                let before = self.watches.len();
                self.watches.retain(|(p, t)| !(p == arg0 && t == arg1));
                if self.watches.len() == before {
                    return Err("ENOENT");
                }
                Ok(OK.to_vec())
            }
            XsdSockmsgType::RESET_WATCHES => {
                self.watches.clear();
                self.transactions.clear();
                Ok(OK.to_vec())
            }
            XsdSockmsgType::TRANSACTION_START => {
                let id = self.next_tx;
                self.next_tx += 1;
                self.transactions
                    .insert(id, (self.tree.clone(), self.generation));
                Ok(format!("{id}\0").into_bytes())
            }
            XsdSockmsgType::TRANSACTION_END => {
                let (tree, base) = self.transactions.remove(&tx).ok_or("ENOENT")?;
                if arg0 != "T" {
                    return Ok(OK.to_vec());
                }
                if self.failing_commits > 0 {
                    self.failing_commits -= 1;
                    return Err("EAGAIN");
                }
                if base != self.generation {
                    return Err("EAGAIN");
                }
                let touched: Vec<String> = tree
                    .iter()
                    .filter(|(k, v)| self.tree.get(*k) != Some(v))
                    .map(|(k, _)| k.clone())
                    .collect();
                self.tree = tree;
                self.generation += 1;
                for path in touched {
                    self.fire_watches(&path);
                }
                Ok(OK.to_vec())
            }
            XsdSockmsgType::GET_DOMAIN_PATH => Ok(format!("/local/domain/{arg0}\0").into_bytes()),
            _ => Err("EINVAL"),
        }
    }
}

impl Transport for MockXenstored {
    fn send(&mut self, bytes: &[u8]) -> Result<(), XsError> {
        self.decoder.feed(bytes);
        while let Some(m) = self.decoder.next_message()? {
            self.handle(m);
        }
        Ok(())
    }

    /// Panics on a blocking receive with nothing to send: the client would
    /// wait for ever, which in a test is a bug to report, not to hang on.
    fn receive(&mut self, buf: &mut [u8], block: bool) -> Result<usize, XsError> {
        if self.out.is_empty() {
            assert!(
                !block,
                "MockXenstored: the client waits for a message that will never come"
            );
            return Ok(0);
        }
        let n = buf.len().min(self.chunk).min(self.out.len());
        for (slot, b) in buf.iter_mut().zip(self.out.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }
}

fn parent_of(path: &str) -> Option<&str> {
    match path.rfind('/') {
        None => None,
        Some(0) if path.len() > 1 => Some("/"),
        Some(0) => None,
        Some(i) => Some(&path[..i]),
    }
}

/// Set a node, creating missing parents with empty values.
fn write_node(tree: &mut Tree, path: &str, value: &[u8], perms: &[Permission]) {
    let mut p = path;
    while let Some(parent) = parent_of(p) {
        tree.entry(parent.into())
            .or_insert_with(|| (Vec::new(), perms.to_vec()));
        p = parent;
    }
    let node = tree
        .entry(path.into())
        .or_insert_with(|| (Vec::new(), perms.to_vec()));
    node.0 = value.to_vec();
}

/// The children's names of `path`, each NUL-terminated.
fn children_of(tree: &Tree, path: &str) -> Vec<u8> {
    let prefix = if path == "/" {
        "/".to_string()
    } else {
        format!("{path}/")
    };
    tree.keys()
        .filter_map(|k| k.strip_prefix(&prefix))
        .filter(|rest| !rest.is_empty() && !rest.contains('/'))
        .flat_map(|name| [name.as_bytes(), &[0]].concat())
        .collect()
}

/// cxenstored's `XS_DIRECTORY_PART` reply: the generation, then whole
/// names from `offset` while they fit, and an empty name after the last.
fn directory_part(children: &[u8], generation: u64, offset: usize) -> Vec<u8> {
    let gen = format!("{generation}\0").into_bytes();
    if offset >= children.len() {
        return [&gen[..], &[0]].concat();
    }
    let max = XENSTORE_PAYLOAD_MAX - gen.len() - 1;
    let mut len = 0;
    for name in children[offset..].split_inclusive(|&b| b == 0) {
        if len + name.len() > max {
            break;
        }
        len += name.len();
    }
    let mut reply = [&gen[..], &children[offset..offset + len]].concat();
    if offset + len == children.len() {
        reply.push(0);
    }
    reply
}
