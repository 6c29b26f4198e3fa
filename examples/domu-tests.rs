//! In-guest cases for a domU started by the real toolstack (`xl create`,
//! x86_64 PVH and PV, arm64 PVH): the runtime found its console and
//! xenstore pages, prints over the PV console, and talks to xenstored.
//! Each case prints one result line (see `xencall::rt::testing`); the guest
//! powers off (`SCHEDOP_shutdown`, poweroff) when all pass, crashes
//! otherwise, so `xl` reports the verdict too.
//!
//! Cases checked from dom0's side as well run when the command line says
//! dom0 takes part (`cargo qemu test` does, with the script and program
//! of `qemu-tests/src/dom0/`), and are skipped otherwise:
//! * `domu-tests-dom0=script`: dom0's script compares what the guest read
//!   (its domid and name) with the domain's, writes a key the guest's
//!   watch must see, reads back the guest's answer under `data/`, and
//!   types a line into the guest's console;
//! * `domu-tests-dom0=peer`: the script and `domu-peer`, a dom0 program on
//!   libxenevtchn, libxengnttab and libxenstore: an event channel used in
//!   both directions, a transaction it makes conflict, and the
//!   split-driver handshake over a granted page.
//!
//! The two sides meet in xenstore under the guest's `data/`; every wait
//! for dom0 is a wait for an event or a watch, never a timed guess.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod guest {
    extern crate alloc;

    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;

    use xencall::abi::grant_table::{GTF_READING, GTF_WRITING};
    use xencall::abi::memory::DOMID_SELF;
    use xencall::abi::XenErrno;
    use xencall::buffers::{Page, PAGE_SIZE};
    use xencall::grant_table::{GrantAccess, GrantTable};
    use xencall::rt::event_doorbell::EventChannelDoorbell;
    use xencall::rt::testing::{run, TestCase, TestResult};
    use xencall::rt::{pv_console, xenstore, BootInfo, DomainRole, GuestMode};
    use xencall::shared_ring::Doorbell;
    use xencall::xenstore::{Access, Invalid, Permission, XsError};
    use xencall::{ensure, ensure_eq, println, skip, Error, OpenFlags, Xencall};

    xencall::entry!(main);

    fn main(boot: &BootInfo) {
        run(
            boot,
            &[
                TestCase {
                    name: "domu_role_and_rings_found",
                    run: role_and_rings_found,
                },
                TestCase {
                    name: "domu_pv_console_prints",
                    run: pv_console_prints,
                },
                TestCase {
                    name: "domu_pv_rings_where_the_builder_mapped_them",
                    run: pv_rings_where_the_builder_mapped_them,
                },
                TestCase {
                    name: "domu_reads_domid_and_name",
                    run: reads_domid_and_name,
                },
                TestCase {
                    name: "domu_writes_under_data",
                    run: writes_under_data,
                },
                TestCase {
                    name: "domu_permissions_round_trip",
                    run: permissions_round_trip,
                },
                TestCase {
                    name: "domu_watch_fires",
                    run: watch_fires,
                },
                TestCase {
                    name: "domu_transaction_commits",
                    run: transaction_commits,
                },
                TestCase {
                    name: "domu_transaction_conflict_is_eagain",
                    run: transaction_conflict_is_eagain,
                },
                TestCase {
                    name: "domu_bad_input_refused",
                    run: bad_input_refused,
                },
                TestCase {
                    name: "domu_console_read_does_not_block",
                    run: console_read_does_not_block,
                },
                TestCase {
                    name: "domu_long_output_is_not_lost",
                    run: long_output_is_not_lost,
                },
                TestCase {
                    name: "domu_watch_fires_on_dom0_write",
                    run: watch_fires_on_dom0_write,
                },
                TestCase {
                    name: "domu_answers_dom0_under_data",
                    run: answers_dom0_under_data,
                },
                TestCase {
                    name: "domu_console_reads_a_typed_line",
                    run: console_reads_a_typed_line,
                },
                TestCase {
                    name: "domu_event_channel_both_ways",
                    run: event_channel_both_ways,
                },
                TestCase {
                    name: "domu_conflicting_transaction_is_retried",
                    run: conflicting_transaction_is_retried,
                },
                TestCase {
                    name: "domu_grant_handshake_with_dom0",
                    run: grant_handshake_with_dom0,
                },
            ],
        );
    }

    /// Whether dom0 takes part at `level` (see the module documentation):
    /// `peer` includes `script`.
    fn dom0_side(boot: &BootInfo, level: &str) -> bool {
        match boot.option("domu-tests-dom0") {
            Some("peer") => true,
            Some("script") => level == "script",
            _ => false,
        }
    }

    macro_rules! need_dom0 {
        ($boot:expr, $level:literal) => {
            if !dom0_side($boot, $level) {
                skip!(
                    "dom0 does not take part (needs domu-tests-dom0={} on the command line)",
                    $level
                );
            }
        };
    }

    /// Wait (on a watch, not a timer) until `path` exists; its value.
    fn wait_for_key(path: &str) -> Result<String, xencall::rt::testing::Failure> {
        xs(|xs| {
            xs.watch(path, "domu-wait")?;
            let value = loop {
                match xs.read_string(path) {
                    Ok(v) => break v,
                    Err(e) if e.is(XenErrno::ENOENT) => {
                        // The watch fires at once when set, then on each
                        // change: read again after each event.
                        xs.next_event()?;
                    }
                    Err(e) => return Err(e),
                }
            };
            xs.unwatch(path, "domu-wait")?;
            Ok(value)
        })
    }

    /// The challenge dom0 wrote, as the guest's watch saw it.
    static CHALLENGE: spin::Mutex<Option<String>> = spin::Mutex::new(None);

    /// dom0 writes a key only after the guest says it watches it
    /// (`data/poke-ready`): a read that succeeds is one an event led to.
    fn watch_fires_on_dom0_write(boot: &BootInfo) -> TestResult {
        need_dom0!(boot, "script");
        let (value, events) = xs(|xs| {
            xs.watch("data/dom0-poke", "dom0-poke")?;
            xs.write("data/poke-ready", b"1")?;
            let mut events = 0;
            let value = loop {
                let e = xs.next_event()?;
                events += 1;
                if e.path != "data/dom0-poke" || e.token != "dom0-poke" {
                    continue;
                }
                match xs.read_string("data/dom0-poke") {
                    Ok(v) => break v,
                    Err(e) if e.is(XenErrno::ENOENT) => continue, // the initial event
                    Err(e) => return Err(e),
                }
            };
            xs.unwatch("data/dom0-poke", "dom0-poke")?;
            Ok((value, events))
        })?;
        println!("domu-tests: dom0 wrote data/dom0-poke = {value:?} ({events} watch events)");
        ensure!(
            value.starts_with("challenge-"),
            "unexpected value {value:?}"
        );
        *CHALLENGE.lock() = Some(value);
        Ok(())
    }

    /// The answer dom0 checks with `xenstore-read`: derived from its own
    /// random challenge, so it cannot be there by accident.
    fn answers_dom0_under_data(boot: &BootInfo) -> TestResult {
        need_dom0!(boot, "script");
        let challenge = CHALLENGE.lock().clone();
        let challenge = challenge.ok_or_else(|| fail(format_args!("no challenge seen")))?;
        let answer = format!("answer-{challenge}");
        let back = xs(|xs| {
            xs.write("data/response", answer.as_bytes())?;
            xs.read_string("data/response")
        })?;
        ensure_eq!(back, answer);
        println!("domu-tests: wrote data/response = {answer:?}");
        Ok(())
    }

    /// dom0 types a line into the console's pty once the guest says it
    /// reads; the guest hands back what it read for dom0 to compare.
    fn console_reads_a_typed_line(boot: &BootInfo) -> TestResult {
        need_dom0!(boot, "script");
        println!("domu-tests: waiting for a line typed on the console");
        xs(|xs| xs.write("data/console-ready", b"1"))?;
        let mut line = [0u8; 128];
        let mut len = 0;
        while len < line.len() {
            let n = pv_console::read(&mut line[len..]);
            ensure!(n > 0, "no PV console to read");
            len += n;
            if line[..len].iter().any(|&b| b == b'\n' || b == b'\r') {
                break;
            }
        }
        let end = line[..len]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .unwrap_or(len);
        let typed = core::str::from_utf8(&line[..end])
            .map_err(|_| fail(format_args!("typed bytes not UTF-8: {:?}", &line[..len])))?;
        println!("domu-tests: read {typed:?} from the console");
        xs(|xs| xs.write("data/console-line", typed.as_bytes()))?;
        ensure!(typed.starts_with("typed-"), "read {typed:?}");
        Ok(())
    }

    /// An event channel to dom0's peer program: the guest allocates the
    /// port, publishes it under `prefix`, and waits for the peer to say it
    /// bound it.
    struct PeerChannel {
        prefix: &'static str,
        bell: EventChannelDoorbell,
    }

    impl PeerChannel {
        fn open(
            boot: &BootInfo,
            prefix: &'static str,
        ) -> Result<PeerChannel, xencall::rt::testing::Failure> {
            let xc = Xencall::open(None, OpenFlags::empty())?;
            let port = xc.evtchn_alloc_unbound(DOMID_SELF, 0)?;
            let bell = EventChannelDoorbell::new(boot, port)?;
            xs(|xs| xs.write(&format!("{prefix}/port"), format!("{port}").as_bytes()))?;
            let bound = wait_for_key(&format!("{prefix}/bound"))?;
            println!("domu-tests: {prefix}: port {port}, dom0 bound it as its port {bound}");
            Ok(PeerChannel { prefix, bell })
        }

        /// One exchange: `ping = step`, notify; then wait for events until
        /// the peer's `pong` answers `step:<result>`; the result.
        fn round(&self, step: &str) -> Result<String, xencall::rt::testing::Failure> {
            let (ping, pong) = (
                format!("{}/ping", self.prefix),
                format!("{}/pong", self.prefix),
            );
            xs(|xs| xs.write(&ping, step.as_bytes()))?;
            self.bell.notify();
            let answered = format!("{step}:");
            loop {
                // At least one event per round: the guest cannot go on
                // without the peer's notification.
                self.bell.wait();
                let got = xs(|xs| match xs.read_string(&pong) {
                    Err(e) if e.is(XenErrno::ENOENT) => Ok(String::new()),
                    other => other,
                })?;
                if let Some(result) = got.strip_prefix(&answered) {
                    return Ok(result.into());
                }
            }
        }
    }

    /// The channel of `domu_event_channel_both_ways`, for the transaction case.
    static EVENTS: spin::Mutex<Option<PeerChannel>> = spin::Mutex::new(None);

    /// Three round trips: each the guest's notification, which the peer
    /// waits for (blocked in libxenevtchn), then the peer's, which the
    /// guest waits for (`SCHEDOP_poll`).
    fn event_channel_both_ways(boot: &BootInfo) -> TestResult {
        need_dom0!(boot, "peer");
        let channel = PeerChannel::open(boot, "data/peer/evtchn")?;
        for i in 1..=3 {
            let step = format!("ping{i}");
            let result = channel.round(&step)?;
            ensure_eq!(result, format!("pong{i}"));
        }
        println!("domu-tests: 3 event round trips with dom0");
        *EVENTS.lock() = Some(channel);
        Ok(())
    }

    /// Inside the first attempt of `Xenstore::transaction`, after the body
    /// read and wrote the key, the peer changes it outside any
    /// transaction; the commit is refused (`EAGAIN`), the body runs again
    /// on the peer's value, and commits.
    fn conflicting_transaction_is_retried(boot: &BootInfo) -> TestResult {
        need_dom0!(boot, "peer");
        let guard = EVENTS.lock();
        let channel = guard
            .as_ref()
            .ok_or_else(|| fail(format_args!("no event channel to dom0 (previous case)")))?;
        let key = "data/peer/tx/value";
        xs(|xs| {
            xs.write(key, b"start")?;
            // Told before the transaction: the body cannot write outside it.
            xs.write(&format!("{}/ping", channel.prefix), b"tx")
        })?;
        let mut attempts = 0;
        let mut seen = Vec::new();
        let committed = xs(|xs| {
            xs.transaction(|tx| {
                attempts += 1;
                let value = tx.read_string(key)?;
                seen.push(value.clone());
                tx.write(key, format!("{value}+guest").as_bytes())?;
                if attempts == 1 {
                    // The peer changes the key now, then notifies.
                    channel.bell.notify();
                    channel.bell.wait();
                }
                Ok(value)
            })
        })?;
        let after = xs(|xs| {
            let after = xs.read_string(key)?;
            xs.write("data/peer/tx/done", b"1")?;
            Ok(after)
        })?;
        println!("domu-tests: transaction attempts {attempts}, values seen {seen:?}, committed {after:?}");
        ensure_eq!(attempts, 2);
        ensure_eq!(seen, ["start", "dom0"]);
        ensure_eq!(committed.as_str(), "dom0");
        ensure_eq!(after.as_str(), "dom0+guest");
        Ok(())
    }

    /// The split-driver handshake: grant a page to dom0, publish the grant
    /// reference and an unbound port; the peer maps the page, checks the
    /// guest's bytes, writes a reply and notifies; ending the grant is
    /// refused while the peer maps it, accepted once it unmapped, after
    /// which the peer's new mapping is refused.
    fn grant_handshake_with_dom0(boot: &BootInfo) -> TestResult {
        need_dom0!(boot, "peer");
        let xc = Xencall::open(None, OpenFlags::empty())?;
        let domid = xs(|xs| xs.read_string("domid"))?;
        let table = GrantTable::map(&xc, boot, xc.buffer::<Page>([0; PAGE_SIZE])?)?;
        let mut page = xc.buffer::<Page>([0; PAGE_SIZE])?;
        for (i, b) in page.iter_mut().enumerate() {
            *b = (i % 251) as u8;
        }
        let hello = format!("grant from domain {domid}");
        page[..hello.len()].copy_from_slice(hello.as_bytes());
        let grant = table
            .grant(boot, 0, page, GrantAccess::ReadWrite)
            .map_err(|refused| refused.error)?;
        let gref = grant.gref();
        xs(|xs| xs.write("data/peer/grant/gref", format!("{gref}").as_bytes()))?;
        let channel = PeerChannel::open(boot, "data/peer/grant")?;

        let checked = channel.round("check")?;
        ensure_eq!(checked.as_str(), "mapped");
        let mut reply = [0u8; 64];
        grant.read(2048, &mut reply)?;
        let want = format!("reply from dom0 to domain {domid}");
        let len = reply.iter().position(|&b| b == 0).unwrap_or(reply.len());
        ensure_eq!(&reply[..len], want.as_bytes());

        let still = match grant.end_access() {
            Ok(_) => return Err(fail(format_args!("the grant ended while dom0 maps it"))),
            Err(still) => still,
        };
        ensure_eq!(still.error, Error::GrantInUse);
        ensure!(
            still.flags & (GTF_READING | GTF_WRITING) == GTF_READING | GTF_WRITING,
            "flags {:#x}",
            still.flags
        );
        let grant = still.grant;
        let unmapped = channel.round("unmap")?;
        ensure_eq!(unmapped.as_str(), "unmapped");
        let page = grant
            .end_access()
            .map_err(|still| fail(format_args!("refused after dom0 unmapped: {still:?}")))?;
        ensure_eq!(&page[2048..2048 + len], want.as_bytes());
        ensure_eq!(&page[..hello.len()], hello.as_bytes());
        ensure_eq!(table.entry_of(gref).map(|e| e.flags), Some(0));
        let remap = channel.round("revoked")?;
        println!(
            "domu-tests: grant {gref}: mapped and answered by dom0, revoke refused while mapped \
             (flags {:#x}), accepted after; dom0's map after that: {remap}",
            still.flags
        );
        ensure_eq!(remap.as_str(), "refused");
        Ok(())
    }

    /// Run `f` on the guest's xenstore client, failing the case if there
    /// is none.
    fn xs<R>(
        f: impl FnOnce(&mut xenstore::RtXenstore) -> Result<R, XsError>,
    ) -> Result<R, xencall::rt::testing::Failure> {
        match xenstore::with(f) {
            Some(r) => Ok(r?),
            None => Err(xencall::rt::testing::Failure::Fail(
                xencall::rt::testing::Message::new(format_args!("no xenstore client")),
            )),
        }
    }

    fn role_and_rings_found(boot: &BootInfo) -> TestResult {
        ensure_eq!(boot.domain_role, DomainRole::DomU);
        let console = boot.console_ring;
        let store = boot.xenstore_ring;
        println!(
            "domu-tests: {} domU, domain id at boot {:?}, console {:x?}, xenstore {:x?}",
            boot.guest_mode, boot.domain_id, console, store
        );
        ensure!(console.is_some(), "no console page");
        ensure!(store.is_some(), "no xenstore page");
        if boot.guest_mode == GuestMode::Pvh {
            ensure!(boot.domain_id.is_some(), "PVH: CPUID gave no domain id");
        }
        Ok(())
    }

    fn pv_console_prints(_: &BootInfo) -> TestResult {
        ensure!(pv_console::is_active(), "the console is not the PV console");
        println!("domu-tests: this line went through the PV console ring");
        Ok(())
    }

    /// PV: libxc also maps the two pages in the initial page tables, at
    /// the pseudo-physical address the `mfn_list` gives their frames. Check
    /// it (the runtime maps them itself and does not rely on it): a byte
    /// written through the runtime's mapping, past the end of the ring
    /// structure, reads back through the builder's.
    fn pv_rings_where_the_builder_mapped_them(boot: &BootInfo) -> TestResult {
        use xencall::abi::start_info::StartInfo;
        use xencall::rt::RawBootInfo;
        let RawBootInfo::StartInfo(start_info) = boot.raw else {
            skip!("PV only: {} guests get guest frames", boot.guest_mode);
        };
        // SAFETY: Xen maps start_info for a PV guest for good.
        let info = unsafe { (start_info as *const StartInfo).read() };
        // Everything up to the end of the bootstrap page tables is mapped
        // at virtual = pseudo-physical (VIRT_BASE 0).
        let mapped_end = info.pt_base + info.nr_pt_frames * 4096;
        let mut report = String::new();
        for (what, ring, offset) in [
            ("console", boot.console_ring, 4000usize),
            ("xenstore", boot.xenstore_ring, 4000usize),
        ] {
            let ring = ring.ok_or_else(|| fail(format_args!("no {what} page")))?;
            // SAFETY: the mfn_list has one entry per page of the domain.
            let pfn = (0..info.nr_pages).find(|&pfn| unsafe {
                (info.mfn_list as *const u64).add(pfn as usize).read() == ring.frame
            });
            let pfn = pfn.ok_or_else(|| fail(format_args!("{what} frame not in mfn_list")))?;
            ensure!(
                (pfn << 12) < mapped_end,
                "{what} pfn {pfn:#x} beyond the bootstrap mapping"
            );
            let ours = (ring.address as *mut u8).wrapping_add(offset);
            let builders = ((pfn << 12) as *const u8).wrapping_add(offset);
            // SAFETY: both are the same frame (if the builder mapped it
            // where the mfn_list says), past the ring structure, which
            // neither side uses; the builder's address is inside the
            // bootstrap mapping (checked above).
            let seen = unsafe {
                ours.write_volatile(0xa5);
                let a = builders.read_volatile();
                ours.write_volatile(0x5a);
                let b = builders.read_volatile();
                ours.write_volatile(0);
                (a, b)
            };
            ensure_eq!(seen, (0xa5, 0x5a));
            report.push_str(&format!(" {what} mfn {:#x} = pfn {pfn:#x};", ring.frame));
        }
        println!("domu-tests: builder's mapping:{report}");
        Ok(())
    }

    fn fail(args: core::fmt::Arguments<'_>) -> xencall::rt::testing::Failure {
        xencall::rt::testing::Failure::Fail(xencall::rt::testing::Message::new(args))
    }

    fn reads_domid_and_name(boot: &BootInfo) -> TestResult {
        let (domid, name, home) = xs(|xs| {
            let domid = xs.read_string("domid")?;
            let name = xs.read_string("name")?;
            let home = match domid.parse::<u16>() {
                Ok(id) => xs.domain_path(id)?,
                Err(_) => String::new(),
            };
            Ok((domid, name, home))
        })?;
        println!("domu-tests: xenstore says domid {domid}, name {name:?}, home {home}");
        // For dom0's script, which compares them with the domain's own.
        xs(|xs| {
            xs.write("data/seen/domid", domid.as_bytes())?;
            xs.write("data/seen/name", name.as_bytes())
        })?;
        let id: u16 = domid
            .parse()
            .map_err(|_| fail(format_args!("domid {domid:?}")))?;
        ensure!(id != 0, "a domU is not domain 0");
        if let Some(boot_id) = boot.domain_id {
            ensure_eq!(boot_id, id);
        }
        ensure!(!name.is_empty());
        ensure_eq!(home, format!("/local/domain/{id}"));
        Ok(())
    }

    fn writes_under_data(_: &BootInfo) -> TestResult {
        let (value, children) = xs(|xs| {
            xs.write("data/domu-tests", b"written-by-the-guest")?;
            let value = xs.read("data/domu-tests")?;
            let children = xs.directory("data")?;
            Ok((value, children))
        })?;
        ensure_eq!(&value[..], b"written-by-the-guest");
        ensure!(
            children.iter().any(|c| c == "domu-tests"),
            "data/ lists {children:?}"
        );
        let gone = xs(|xs| {
            xs.write("data/scratch/x", b"1")?;
            xs.rm("data/scratch")?;
            Ok(xs.read("data/scratch/x"))
        })?;
        ensure_eq!(gone, Err(XsError::Store(XenErrno::ENOENT)));
        Ok(())
    }

    fn permissions_round_trip(_: &BootInfo) -> TestResult {
        let (before, after, domid) = xs(|xs| {
            let domid: u16 = xs.read_string("domid")?.parse().unwrap_or(0);
            xs.write("data/perm-test", b"p")?;
            let before = xs.get_permissions("data/perm-test")?;
            let perms = [
                Permission {
                    domid,
                    access: Access::None,
                },
                Permission {
                    domid: 0,
                    access: Access::Read,
                },
            ];
            xs.set_permissions("data/perm-test", &perms)?;
            Ok((before, xs.get_permissions("data/perm-test")?, domid))
        })?;
        ensure_eq!(before.first().map(|p| p.domid), Some(domid));
        ensure_eq!(after.len(), 2);
        ensure_eq!(
            after[1],
            Permission {
                domid: 0,
                access: Access::Read
            }
        );
        Ok(())
    }

    fn watch_fires(_: &BootInfo) -> TestResult {
        let events = xs(|xs| {
            xs.watch("data/watched", "domu-token")?;
            let initial = xs.next_event()?;
            xs.write("data/watched", b"changed")?;
            let change = xs.next_event()?;
            xs.unwatch("data/watched", "domu-token")?;
            Ok([initial, change])
        })?;
        for e in &events {
            ensure_eq!(e.path.as_str(), "data/watched");
            ensure_eq!(e.token.as_str(), "domu-token");
        }
        Ok(())
    }

    fn transaction_commits(_: &BootInfo) -> TestResult {
        let value = xs(|xs| {
            xs.write("data/counter", b"41")?;
            xs.transaction(|tx| {
                let n: u32 = tx.read_string("data/counter")?.parse().unwrap_or(0);
                tx.write("data/counter", format!("{}", n + 1).as_bytes())?;
                tx.write("data/counter-note", b"same transaction")
            })?;
            xs.read_string("data/counter")
        })?;
        ensure_eq!(value.as_str(), "42");
        Ok(())
    }

    /// A change outside a transaction to a node the transaction read
    /// makes xenstored refuse its commit with EAGAIN (what
    /// `Xenstore::transaction` retries on).
    fn transaction_conflict_is_eagain(_: &BootInfo) -> TestResult {
        let (end, after) = xs(|xs| {
            xs.write("data/contended", b"0")?;
            let tx = xs.transaction_start()?;
            // Read and write in the transaction, then change it outside.
            xs.in_transaction(tx).read("data/contended")?;
            xs.in_transaction(tx).write("data/contended", b"inside")?;
            xs.write("data/contended", b"outside")?;
            let end = xs.transaction_end(tx, true);
            Ok((end, xs.read_string("data/contended")?))
        })?;
        ensure_eq!(end, Err(XsError::Store(XenErrno::EAGAIN)));
        ensure_eq!(after.as_str(), "outside");
        Ok(())
    }

    fn bad_input_refused(_: &BootInfo) -> TestResult {
        let results: Vec<Result<Vec<u8>, XsError>> = xs(|xs| {
            Ok(alloc::vec![
                xs.read("data/has\0nul"),
                xs.read(&"x".repeat(2049)),
                xs.read("data/still-works-after").or_else(|e| {
                    if e.is(XenErrno::ENOENT) {
                        Ok(Vec::new())
                    } else {
                        Err(e)
                    }
                }),
            ])
        })?;
        ensure_eq!(results[0], Err(XsError::Invalid(Invalid::Nul)));
        ensure_eq!(
            results[1],
            Err(XsError::Invalid(Invalid::PathTooLong {
                len: 2049,
                max: 2048
            }))
        );
        ensure!(results[2].is_ok(), "the connection broke: {:?}", results[2]);
        Ok(())
    }

    fn console_read_does_not_block(_: &BootInfo) -> TestResult {
        let mut buf = [0u8; 16];
        let n = pv_console::try_read(&mut buf);
        println!("domu-tests: console input waiting: {n} bytes");
        Ok(())
    }

    /// More than the 2 KiB output ring in one go: the writer waits for
    /// xenconsoled instead of dropping; the lines' numbers show gaps if not.
    fn long_output_is_not_lost(_: &BootInfo) -> TestResult {
        for i in 0..64 {
            println!("domu-tests: line {i:02} of 64 ........................................................");
        }
        Ok(())
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("domu-tests is a Xen guest: boot it as a domU with `xl create`");
}
