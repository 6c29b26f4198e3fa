//! In-guest cases for a domU started by the real toolstack (`xl create`,
//! x86_64 PVH and PV, arm64 PVH): the runtime found its console and
//! xenstore pages, prints over the PV console, and talks to xenstored.
//! Each case prints one result line (see `xencall::rt::testing`); the guest
//! powers off (`SCHEDOP_shutdown`, poweroff) when all pass, crashes
//! otherwise, so `xl` reports the verdict too.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod guest {
    extern crate alloc;

    use alloc::format;
    use alloc::string::String;
    use alloc::vec::Vec;

    use xencall::abi::XenErrno;
    use xencall::rt::testing::{run, TestCase, TestResult};
    use xencall::rt::{pv_console, xenstore, BootInfo, DomainRole, GuestMode};
    use xencall::xenstore::{Access, Invalid, Permission, XsError};
    use xencall::{ensure, ensure_eq, println, skip};

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
            ],
        );
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
