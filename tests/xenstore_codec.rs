//! The xenstore codec and client on the host, without any ring: every
//! request's bytes as `xs_wire.h` and `docs/misc/xenstore.txt` lay them out
//! (header `type, req_id, tx_id, len`, four native-endian `uint32_t`, then
//! the payload), replies split across reads, watch events between a
//! request and its reply, error names to typed errors, and bad input
//! refused before anything is sent.

use std::collections::VecDeque;

use xencall::abi::xenstore::{XsdSockmsgType, XSD_ERRORS};
use xencall::abi::XenErrno;
use xencall::xenstore::{
    Access, Decoder, Invalid, MockXenstored, Permission, Protocol, Request, Transport, Xenstore,
    XsError, TRANSACTION_ATTEMPTS,
};

/// Header bytes: the four fields of `struct xsd_sockmsg` in order.
fn header(kind: u32, req_id: u32, tx_id: u32, len: u32) -> Vec<u8> {
    [kind, req_id, tx_id, len]
        .iter()
        .flat_map(|v| v.to_ne_bytes())
        .collect()
}

#[test]
fn every_request_type_is_encoded_as_the_protocol_says() {
    let perms = [
        Permission {
            domid: 5,
            access: Access::None,
        },
        Permission {
            domid: 0,
            access: Access::ReadWrite,
        },
    ];
    // (request, xs_wire.h's number for its type, payload)
    let cases: Vec<(Request, u32, &[u8])> = vec![
        (Request::Directory { path: "/local" }, 1, b"/local\0"),
        (Request::Read { path: "name" }, 2, b"name\0"),
        (Request::GetPerms { path: "data" }, 3, b"data\0"),
        (
            Request::Watch {
                path: "@releaseDomain",
                token: "t 1",
            },
            4,
            b"@releaseDomain\0t 1\0",
        ),
        (
            Request::Unwatch {
                path: "data/x",
                token: "tok",
            },
            5,
            b"data/x\0tok\0",
        ),
        (Request::TransactionStart, 6, b"\0"),
        (Request::TransactionEnd { commit: true }, 7, b"T\0"),
        (Request::TransactionEnd { commit: false }, 7, b"F\0"),
        (Request::GetDomainPath { domid: 65 }, 10, b"65\0"),
        (
            Request::Write {
                path: "data/v",
                value: b"a\0b",
            },
            11,
            b"data/v\0a\0b", // the value is binary and not terminated
        ),
        (Request::Mkdir { path: "data/d" }, 12, b"data/d\0"),
        (Request::Rm { path: "/local/x" }, 13, b"/local/x\0"),
        (
            Request::SetPerms {
                path: "data/p",
                perms: &perms,
            },
            14,
            b"data/p\0n5\0b0\0",
        ),
        (Request::ResetWatches, 21, b"\0"),
        (
            Request::DirectoryPart {
                path: "/local/domain",
                offset: 4000,
            },
            22,
            b"/local/domain\x004000\0",
        ),
    ];
    for (i, (request, kind, payload)) in cases.into_iter().enumerate() {
        let (req_id, tx_id) = (100 + i as u32, if i % 2 == 0 { 0 } else { 42 });
        let bytes = request.encode(req_id, tx_id).unwrap();
        let mut expected = header(kind, req_id, tx_id, payload.len() as u32);
        expected.extend_from_slice(payload);
        assert_eq!(bytes, expected, "{request:?}");
        assert_eq!(request.kind(), XsdSockmsgType(kind));
    }
}

#[test]
fn every_client_operation_sends_its_request_type() {
    let mut xs = Xenstore::new(MockXenstored::new(7, "guest"));
    let last = |xs: &Xenstore<MockXenstored>| xs.transport().last_request().unwrap().kind();
    xs.write("data/a", b"1").unwrap();
    assert_eq!(last(&xs), XsdSockmsgType::WRITE);
    xs.read("data/a").unwrap();
    assert_eq!(last(&xs), XsdSockmsgType::READ);
    xs.mkdir("data/b").unwrap();
    assert_eq!(last(&xs), XsdSockmsgType::MKDIR);
    xs.directory("data").unwrap();
    assert_eq!(last(&xs), XsdSockmsgType::DIRECTORY);
    xs.get_permissions("data/a").unwrap();
    assert_eq!(last(&xs), XsdSockmsgType::GET_PERMS);
    let owner = [Permission {
        domid: 7,
        access: Access::Read,
    }];
    xs.set_permissions("data/a", &owner).unwrap();
    assert_eq!(last(&xs), XsdSockmsgType::SET_PERMS);
    xs.rm("data/b").unwrap();
    assert_eq!(last(&xs), XsdSockmsgType::RM);
    xs.watch("data", "w").unwrap();
    assert_eq!(last(&xs), XsdSockmsgType::WATCH);
    xs.unwatch("data", "w").unwrap();
    assert_eq!(last(&xs), XsdSockmsgType::UNWATCH);
    let tx = xs.transaction_start().unwrap();
    assert_eq!(last(&xs), XsdSockmsgType::TRANSACTION_START);
    xs.transaction_end(tx, true).unwrap();
    let end = xs.transport().last_request().unwrap();
    assert_eq!(
        (end.kind(), end.header.tx_id),
        (XsdSockmsgType::TRANSACTION_END, tx)
    );
    xs.domain_path(7).unwrap();
    assert_eq!(last(&xs), XsdSockmsgType::GET_DOMAIN_PATH);
    xs.reset_watches().unwrap();
    assert_eq!(last(&xs), XsdSockmsgType::RESET_WATCHES);
}

/// Wraps a transport and keeps every request sent, decoded.
struct Recorder<T> {
    inner: T,
    decoder: Decoder,
    sent: Vec<xencall::xenstore::Message>,
}

impl<T: Transport> Recorder<T> {
    fn new(inner: T) -> Self {
        Recorder {
            inner,
            decoder: Decoder::new(),
            sent: Vec::new(),
        }
    }
}

impl<T: Transport> Transport for Recorder<T> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), XsError> {
        self.decoder.feed(bytes);
        while let Some(m) = self.decoder.next_message()? {
            self.sent.push(m);
        }
        self.inner.send(bytes)
    }
    fn receive(&mut self, buf: &mut [u8], block: bool) -> Result<usize, XsError> {
        self.inner.receive(buf, block)
    }
}

#[test]
fn operations_in_a_transaction_carry_its_id_and_others_do_not() {
    let mut xs = Xenstore::new(Recorder::new(MockXenstored::new(7, "guest")));
    let id = xs
        .transaction(|tx| {
            tx.write("data/t", b"v")?;
            tx.read("data/t")?;
            Ok(tx.id())
        })
        .unwrap();
    xs.read("data/t").unwrap();
    let kinds: Vec<(XsdSockmsgType, u32)> = xs
        .transport()
        .sent
        .iter()
        .map(|m| (m.kind(), m.header.tx_id))
        .collect();
    assert_eq!(
        kinds,
        [
            (XsdSockmsgType::TRANSACTION_START, 0),
            (XsdSockmsgType::WRITE, id),
            (XsdSockmsgType::READ, id),
            (XsdSockmsgType::TRANSACTION_END, id),
            (XsdSockmsgType::READ, 0),
        ]
    );
    // Request ids are distinct and never 0 (the id of watch events).
    let ids: Vec<u32> = xs
        .transport()
        .sent
        .iter()
        .map(|m| m.header.req_id)
        .collect();
    assert!(!ids.contains(&0));
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(unique, ids);
}

#[test]
fn a_reply_split_across_many_reads_is_reassembled() {
    for chunk in [1, 3, 7, 16, 17] {
        let mut daemon = MockXenstored::new(7, "a-guest-name");
        daemon.set_chunk(chunk);
        let mut xs = Xenstore::new(daemon);
        let big = vec![b'v'; 4000];
        xs.write("data/big", &big).unwrap();
        assert_eq!(xs.read("data/big").unwrap(), big, "chunk {chunk}");
        assert_eq!(xs.read_string("name").unwrap(), "a-guest-name");
    }
}

#[test]
fn the_decoder_takes_any_split_of_a_stream_of_messages() {
    let mut stream = Vec::new();
    for i in 1..=5u32 {
        stream.extend(Request::Read { path: "x" }.encode(i, 0).unwrap());
    }
    for split in 1..stream.len() {
        let mut d = Decoder::new();
        let mut got = Vec::new();
        for piece in stream.chunks(split) {
            d.feed(piece);
            while let Some(m) = d.next_message().unwrap() {
                got.push(m.header.req_id);
            }
        }
        assert_eq!(got, [1, 2, 3, 4, 5], "pieces of {split}");
    }
}

#[test]
fn a_watch_event_between_a_request_and_its_reply_is_queued() {
    let mut daemon = MockXenstored::new(7, "guest");
    daemon.set_chunk(5); // and split across reads
    daemon.fire_before_next_reply("data/first", "a");
    daemon.fire_before_next_reply("data/second", "b");
    let mut xs = Xenstore::new(daemon);
    assert_eq!(xs.read_string("domid").unwrap(), "7");
    assert_eq!(xs.pending_events(), 2);
    let first = xs.next_event().unwrap();
    let second = xs.try_next_event().unwrap().unwrap();
    assert_eq!(
        (first.path.as_str(), first.token.as_str()),
        ("data/first", "a")
    );
    assert_eq!(
        (second.path.as_str(), second.token.as_str()),
        ("data/second", "b")
    );
    assert_eq!(xs.try_next_event().unwrap(), None);
}

#[test]
fn a_watch_event_between_requests_is_queued_until_taken() {
    let mut xs = Xenstore::new(MockXenstored::new(7, "guest"));
    xs.watch("data", "d").unwrap();
    xs.transport_mut()
        .write_as_other_domain("/local/domain/7/data/from-dom0", b"1");
    // Two more requests before the guest looks at its events.
    xs.read("domid").unwrap();
    xs.write("data/mine", b"2").unwrap(); // fires the watch too
    let paths: Vec<String> = std::iter::from_fn(|| xs.try_next_event().unwrap())
        .map(|e| e.path)
        .collect();
    assert_eq!(paths, ["data", "data/from-dom0", "data/mine"]);
}

#[test]
fn a_stale_reply_is_skipped_and_the_right_one_taken() {
    let mut daemon = MockXenstored::new(7, "guest");
    daemon.send_stale_reply(1000, XsdSockmsgType::READ, b"not yours");
    let mut xs = Xenstore::new(daemon);
    assert_eq!(xs.read("domid").unwrap(), b"7");
    assert_eq!(xs.skipped_replies(), 1);
}

/// Answers every request with scripted messages (header fields filled from
/// the request, so req_id matches), in order.
struct Scripted {
    replies: VecDeque<(XsdSockmsgType, Vec<u8>)>,
    out: VecDeque<u8>,
    decoder: Decoder,
}

impl Scripted {
    fn new(replies: Vec<(XsdSockmsgType, &[u8])>) -> Self {
        Scripted {
            replies: replies.into_iter().map(|(k, p)| (k, p.to_vec())).collect(),
            out: VecDeque::new(),
            decoder: Decoder::new(),
        }
    }
}

impl Transport for Scripted {
    fn send(&mut self, bytes: &[u8]) -> Result<(), XsError> {
        self.decoder.feed(bytes);
        while let Some(m) = self.decoder.next_message()? {
            let (kind, payload) = self.replies.pop_front().expect("a scripted reply");
            self.out.extend(header(
                kind.0,
                m.header.req_id,
                m.header.tx_id,
                payload.len() as u32,
            ));
            self.out.extend(payload);
        }
        Ok(())
    }
    fn receive(&mut self, buf: &mut [u8], _block: bool) -> Result<usize, XsError> {
        let n = buf.len().min(self.out.len());
        for (slot, b) in buf.iter_mut().zip(self.out.drain(..n)) {
            *slot = b;
        }
        Ok(n)
    }
}

#[test]
fn every_error_name_in_the_header_table_becomes_its_typed_error() {
    assert_eq!(XSD_ERRORS.len(), 16);
    for &(name, errno) in XSD_ERRORS {
        let payload = [name.as_bytes(), b"\0"].concat();
        let mut xs = Xenstore::new(Scripted::new(vec![(XsdSockmsgType::ERROR, &payload)]));
        assert_eq!(xs.read("x"), Err(XsError::Store(errno)), "{name}");
    }
    let mut xs = Xenstore::new(Scripted::new(vec![(XsdSockmsgType::ERROR, b"EWHATEVER\0")]));
    assert_eq!(
        xs.read("x"),
        Err(XsError::UnknownStoreError("EWHATEVER".into()))
    );
    // Real refusals from the daemon, typed.
    let mut xs = Xenstore::new(MockXenstored::new(7, "guest"));
    assert_eq!(xs.read("data/none"), Err(XsError::Store(XenErrno::ENOENT)));
    assert_eq!(
        xs.unwatch("data", "never-set"),
        Err(XsError::Store(XenErrno::ENOENT))
    );
}

#[test]
fn a_broken_reply_is_a_protocol_error() {
    // A reply of another type than the request's.
    let mut xs = Xenstore::new(Scripted::new(vec![(XsdSockmsgType::WRITE, b"OK\0")]));
    assert_eq!(
        xs.read("x"),
        Err(XsError::Protocol(Protocol::UnexpectedReply {
            request: 2,
            reply: 11
        }))
    );
    // A header announcing more than XENSTORE_PAYLOAD_MAX: the connection
    // is given up for good.
    struct Oversized(bool);
    impl Transport for Oversized {
        fn send(&mut self, _: &[u8]) -> Result<(), XsError> {
            Ok(())
        }
        fn receive(&mut self, buf: &mut [u8], _: bool) -> Result<usize, XsError> {
            let h = header(2, 1, 0, 4097);
            if std::mem::replace(&mut self.0, true) {
                return Ok(0);
            }
            buf[..16].copy_from_slice(&h);
            Ok(16)
        }
    }
    let mut xs = Xenstore::new(Oversized(false));
    assert_eq!(
        xs.read("x"),
        Err(XsError::Protocol(Protocol::PayloadTooLong { len: 4097 }))
    );
    assert_eq!(xs.read("x"), Err(XsError::Protocol(Protocol::Broken)));
    // A transaction id that is not a number.
    let mut xs = Xenstore::new(Scripted::new(vec![(
        XsdSockmsgType::TRANSACTION_START,
        b"twelve\0",
    )]));
    assert!(matches!(
        xs.transaction_start(),
        Err(XsError::Protocol(Protocol::Malformed(_)))
    ));
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let mut xs = Xenstore::new(MockXenstored::new(7, "guest"));
    let abs_too_long = format!("/{}", "a".repeat(3072)); // 3073 bytes
    let rel_too_long = "a".repeat(2049);
    let value_too_long = vec![b'x'; 4096 - "data/v".len()]; // path + NUL + this = 4097
    let cases: Vec<(Result<(), XsError>, Invalid)> = vec![
        (xs.write("data\0x", b"1"), Invalid::Nul),
        (xs.read("data/a\0").map(drop), Invalid::Nul),
        (xs.watch("data", "to\0ken"), Invalid::Nul),
        (
            xs.read(&abs_too_long).map(drop),
            Invalid::PathTooLong {
                len: 3073,
                max: 3072,
            },
        ),
        (
            xs.mkdir(&rel_too_long),
            Invalid::PathTooLong {
                len: 2049,
                max: 2048,
            },
        ),
        (
            xs.write("data/v", &value_too_long),
            Invalid::PayloadTooLong { len: 4097 },
        ),
        (xs.read("").map(drop), Invalid::EmptyPath),
        (xs.rm("data//x"), Invalid::DoubleSlash),
        (xs.rm("data/x/"), Invalid::TrailingSlash),
        (xs.read("data/a b").map(drop), Invalid::PathChar(' ')),
        (xs.read("dätä").map(drop), Invalid::PathChar('ä')),
        (xs.write("@introduceDomain", b""), Invalid::SpecialPath),
        (xs.set_permissions("data", &[]), Invalid::NoPermissions),
    ];
    for (i, (result, why)) in cases.into_iter().enumerate() {
        assert_eq!(result, Err(XsError::Invalid(why)), "case {i}");
    }
    assert_eq!(
        xs.transport().requests(),
        0,
        "a refused request reached the daemon"
    );
    // The limits themselves are allowed.
    let abs_max = format!("/{}", "a".repeat(3071));
    assert_eq!(xs.read(&abs_max), Err(XsError::Store(XenErrno::ENOENT)));
    let value_max = vec![b'x'; 4096 - "data/v".len() - 1];
    xs.write("data/v", &value_max).unwrap();
    assert_eq!(xs.read("data/v").unwrap(), value_max);
    xs.watch("@releaseDomain", "r").unwrap();
    assert_eq!(xs.transport().requests(), 4);
}

#[test]
fn a_conflicting_transaction_is_retried_until_it_commits() {
    let mut daemon = MockXenstored::new(7, "guest");
    daemon.fail_commits(3);
    let mut xs = Xenstore::new(daemon);
    xs.write("data/n", b"1").unwrap();
    let mut runs = 0;
    xs.transaction(|tx| {
        runs += 1;
        let n: u32 = tx.read_string("data/n")?.parse().unwrap();
        tx.write("data/n", (n + 1).to_string().as_bytes())
    })
    .unwrap();
    assert_eq!(runs, 4);
    assert_eq!(xs.read("data/n").unwrap(), b"2"); // once, not four times
}

#[test]
fn a_real_conflict_fails_the_commit_with_eagain() {
    let mut xs = Xenstore::new(MockXenstored::new(7, "guest"));
    let id = xs.transaction_start().unwrap();
    xs.transport_mut()
        .write_as_other_domain("/local/domain/7/data/other", b"x");
    assert_eq!(
        xs.transaction_end(id, true),
        Err(XsError::Store(XenErrno::EAGAIN))
    );
}

#[test]
fn a_transaction_that_keeps_conflicting_gives_up_with_eagain() {
    let mut daemon = MockXenstored::new(7, "guest");
    daemon.fail_commits(1000);
    let mut xs = Xenstore::new(daemon);
    let mut runs = 0;
    let r = xs.transaction(|tx| {
        runs += 1;
        tx.write("data/n", b"1")
    });
    assert_eq!(r, Err(XsError::Store(XenErrno::EAGAIN)));
    assert_eq!(runs, TRANSACTION_ATTEMPTS);
}

#[test]
fn an_error_in_the_body_abandons_the_transaction() {
    let mut xs = Xenstore::new(MockXenstored::new(7, "guest"));
    let r: Result<(), XsError> = xs.transaction(|tx| {
        tx.write("data/half", b"1")?;
        tx.read("data/missing").map(drop)
    });
    assert_eq!(r, Err(XsError::Store(XenErrno::ENOENT)));
    assert_eq!(xs.read("data/half"), Err(XsError::Store(XenErrno::ENOENT)));
}

#[test]
fn a_long_directory_is_read_in_parts() {
    let mut xs = Xenstore::new(MockXenstored::new(7, "guest"));
    let names: Vec<String> = (0..400)
        .map(|i| format!("child-with-a-long-name-{i:04}"))
        .collect();
    for n in &names {
        xs.transport_mut()
            .write_as_other_domain(&format!("/local/domain/7/data/{n}"), b"");
    }
    // 400 names of 28 bytes: 11200 bytes, too many for one reply.
    let got = xs.directory("data").unwrap();
    assert_eq!(got, names);
    let parts = xs.transport().requests() - 1;
    assert!(parts >= 3, "{parts} DIRECTORY_PART requests");
}

#[test]
fn permissions_round_trip() {
    let mut xs = Xenstore::new(MockXenstored::new(7, "guest"));
    xs.write("data/p", b"").unwrap();
    let perms = [
        Permission {
            domid: 7,
            access: Access::Write,
        },
        Permission {
            domid: 0,
            access: Access::ReadWrite,
        },
        Permission {
            domid: 3,
            access: Access::Read,
        },
    ];
    xs.set_permissions("data/p", &perms).unwrap();
    assert_eq!(xs.get_permissions("data/p").unwrap(), perms);
}
