//! In-guest test cases, booted under Xen by `cargo qemu test` in every mode
//! (x86_64 PVH with the hypercall page and with direct calls, x86_64 PV,
//! aarch64). Each case prints one result line; see `xencall::rt::testing`.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod guest {
    use xencall::abi::xen_version::XenVersionCmd;
    use xencall::abi::{HypercallOp, XenErrno};
    use xencall::arch::HypercallMode;
    use xencall::bounce::Direction;
    use xencall::buffers::{Page, PAGE_SIZE};
    use xencall::rt::testing::{run, TestCase, TestResult};
    use xencall::rt::{BootInfo, GuestMode};
    use xencall::{ensure, ensure_eq, skip, Error, Frames, InvalidBuffer, OpenFlags, Xencall};

    xencall::entry!(main);

    fn main(boot: &BootInfo) {
        run(
            boot,
            &[
                TestCase {
                    name: "xen_detected",
                    run: xen_detected,
                },
                TestCase {
                    name: "hypercall_page_installed",
                    run: hypercall_page_installed,
                },
                TestCase {
                    name: "direct_mode",
                    run: direct_mode,
                },
                TestCase {
                    name: "call0_reaches_xen",
                    run: call0_reaches_xen,
                },
                TestCase {
                    name: "call1_to_call5_reach_xen",
                    run: call1_to_call5_reach_xen,
                },
                TestCase {
                    name: "call3_console_write",
                    run: call3_console_write,
                },
                TestCase {
                    name: "call5_argument_positions",
                    run: call5_argument_positions,
                },
                TestCase {
                    name: "typed_buffer_argument",
                    run: typed_buffer_argument,
                },
                TestCase {
                    name: "raw_buffer_argument",
                    run: raw_buffer_argument,
                },
                TestCase {
                    name: "freed_pages_come_back_zeroed",
                    run: freed_pages_come_back_zeroed,
                },
                TestCase {
                    name: "bounce_out",
                    run: bounce_out,
                },
                TestCase {
                    name: "unknown_op_is_enosys",
                    run: unknown_op_is_enosys,
                },
                TestCase {
                    name: "invalid_subcommand_is_refused",
                    run: invalid_subcommand_is_refused,
                },
                TestCase {
                    name: "bad_pointer_is_efault",
                    run: bad_pointer_is_efault,
                },
                TestCase {
                    name: "wrong_sysctl_version_is_eacces",
                    run: wrong_sysctl_version_is_eacces,
                },
                TestCase {
                    name: "buffer_misuse_is_refused",
                    run: buffer_misuse_is_refused,
                },
                TestCase {
                    name: "boot_info",
                    run: boot_info,
                },
                TestCase {
                    name: "family_xen_version",
                    run: family_xen_version,
                },
                TestCase {
                    name: "family_console_io",
                    run: family_console_io,
                },
                TestCase {
                    name: "family_sched_op",
                    run: family_sched_op,
                },
                TestCase {
                    name: "pv_block_without_an_event_callback_is_refused",
                    run: pv_block_without_an_event_callback_is_refused,
                },
                TestCase {
                    name: "event_channel_round_trip",
                    run: event_channel_round_trip,
                },
                TestCase {
                    name: "grant_table_copy_to_self",
                    run: grant_table_copy_to_self,
                },
                TestCase {
                    name: "multicall_per_entry_results",
                    run: multicall_per_entry_results,
                },
                TestCase {
                    name: "family_vcpu_op",
                    run: family_vcpu_op,
                },
                TestCase {
                    name: "family_hvm_op",
                    run: family_hvm_op,
                },
                TestCase {
                    name: "family_physdev_op",
                    run: family_physdev_op,
                },
                TestCase {
                    name: "sysctl_physinfo_and_readconsole",
                    run: sysctl_physinfo_and_readconsole,
                },
                TestCase {
                    name: "domctl_and_domain_list",
                    run: domctl_and_domain_list,
                },
                TestCase {
                    name: "family_memory_op",
                    run: family_memory_op,
                },
                TestCase {
                    name: "shared_info_pending_bit",
                    run: shared_info_pending_bit,
                },
                TestCase {
                    name: "sched_block_sleeps_until_a_timer_event",
                    run: sched_block_sleeps_until_a_timer_event,
                },
                TestCase {
                    name: "block_returns_for_an_event_already_pending",
                    run: block_returns_for_an_event_already_pending,
                },
                TestCase {
                    name: "memory_give_back_and_repopulate",
                    run: memory_give_back_and_repopulate,
                },
                TestCase {
                    name: "memory_increase_reservation",
                    run: memory_increase_reservation,
                },
                TestCase {
                    name: "frames_are_bounded_and_vouched_for",
                    run: frames_are_bounded_and_vouched_for,
                },
                TestCase {
                    name: "map_xen_page_grant_frame",
                    run: map_xen_page_grant_frame,
                },
            ],
        )
    }

    fn open() -> Result<Xencall, Error> {
        Xencall::open(None, OpenFlags::empty())
    }

    fn version(xc: &Xencall) -> Result<u64, Error> {
        // SAFETY: XENVER_version takes no buffer.
        unsafe { xc.call2(HypercallOp::XEN_VERSION, XenVersionCmd::VERSION.0.into(), 0) }
    }

    fn c_str(bytes: &[u8]) -> &str {
        let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        core::str::from_utf8(&bytes[..len]).unwrap_or("<not UTF-8>")
    }

    fn xen_detected(boot: &BootInfo) -> TestResult {
        let xc = open()?;
        let v = version(&xc)?;
        ensure_eq!(v >> 16, 4);
        ensure!(
            (v & 0xffff) >= 17,
            "Xen 4.{} is older than 4.17",
            v & 0xffff
        );
        match boot.guest_mode {
            #[cfg(target_arch = "x86_64")]
            GuestMode::Pvh => {
                let cpuid = xencall::arch::XenCpuid::detect();
                ensure!(cpuid.is_some(), "no XenVMMXenVMM signature in CPUID");
                ensure_eq!(cpuid.map(|c| c.version()), Some((4, (v & 0xffff) as u16)));
            }
            #[cfg(target_arch = "aarch64")]
            GuestMode::Arm => {
                // Without the device tree, as the C drop-in must: Xen's
                // SMCCC UID (before: always NoHypervisor on Arm).
                let found = xencall::arch::Native::detect_direct();
                ensure_eq!(found, Ok(*xencall::arch::native()?));
            }
            #[cfg(target_arch = "x86_64")]
            GuestMode::Pv => {
                // Xen built this domain: its start_info begins with Xen's
                // magic, and the page Xen placed is the backend in use
                // (a plain CPUID shows no Xen leaf in ring 3 here: QEMU's
                // TCG has no CPUID faulting).
                use xencall::abi::start_info::StartInfo;
                let xencall::rt::RawBootInfo::StartInfo(si) = boot.raw else {
                    ensure!(false, "a PV boot without start_info: {:?}", boot.raw);
                    return Ok(());
                };
                // SAFETY: Xen maps start_info for a PV guest for good.
                let magic =
                    unsafe { core::ptr::addr_of!((*(si as *const StartInfo)).magic).read() };
                ensure!(
                    magic.starts_with(b"xen-3.0-x86_64"),
                    "start_info magic {:?}",
                    c_str(&magic)
                );
                ensure_eq!(boot.hypercall_mode, Some(HypercallMode::Page));
                ensure_eq!(xencall::arch::native()?.name(), "page");
            }
            other => ensure!(false, "guest mode {other} on this architecture"),
        }
        Ok(())
    }

    fn hypercall_page_installed(boot: &BootInfo) -> TestResult {
        #[cfg(target_arch = "x86_64")]
        {
            use xencall::arch::{Native, HYPERCALL_PAGE_STORAGE};
            let Native::Page(page) = *xencall::arch::native()? else {
                skip!("this boot uses direct hypercalls");
            };
            ensure_eq!(page.as_ptr(), HYPERCALL_PAGE_STORAGE.as_ptr() as *const u8);
            // SAFETY: the page is mapped and readable for the program's life.
            let stub = unsafe { core::slice::from_raw_parts(page.as_ptr().add(17 * 32), 32) };
            // Xen's stubs load the op with `mov $op, %eax` (b8 11 00 00
            // 00): first for HVM/PVH, after `push %rcx; push %r11` for PV.
            // The poison was `ret` (c3).
            let mov = [0xb8, 17, 0, 0, 0];
            ensure!(
                stub.windows(5).take(4).any(|w| w == mov),
                "stub 17: {:02x?}",
                &stub[..8]
            );
            let _ = boot;
            Ok(())
        }
        #[cfg(target_arch = "aarch64")]
        {
            let _ = boot;
            skip!("Arm has no hypercall page: hvc is issued directly");
        }
    }

    fn direct_mode(boot: &BootInfo) -> TestResult {
        match boot.guest_mode {
            #[cfg(target_arch = "x86_64")]
            GuestMode::Pvh => {
                // The backend every handle uses is the one the command
                // line asked for (the runner also checks its name).
                let asked = boot.option("xencall-hypercall") == Some("direct");
                let registered = xencall::arch::native()?;
                ensure_eq!(registered.mode() == HypercallMode::Direct, asked);
                ensure_eq!(boot.hypercall_mode, Some(registered.mode()));
                let direct = xencall::arch::Native::detect_direct()?;
                ensure_eq!(direct.mode(), HypercallMode::Direct);
                let xc = Xencall::with_backend(direct, None, OpenFlags::empty());
                let via_direct = version(&xc)?;
                ensure_eq!(via_direct, version(&open()?)?);
                Ok(())
            }
            GuestMode::Pv => {
                skip!("PV guests trap with syscall through the page; vmcall is for HVM/PVH")
            }
            _ => {
                ensure_eq!(boot.hypercall_mode, Some(HypercallMode::Direct));
                Ok(())
            }
        }
    }

    fn call0_reaches_xen(_: &BootInfo) -> TestResult {
        let xc = open()?;
        // No Xen hypercall takes zero arguments; an unused number below the
        // page's 128 stubs reaches Xen, which answers ENOSYS.
        // SAFETY: an unused hypercall number does nothing.
        let r = unsafe { xc.call0(HypercallOp(63)) };
        ensure_eq!(r, Err(Error::Xen(XenErrno::ENOSYS)));
        Ok(())
    }

    fn call1_to_call5_reach_xen(_: &BootInfo) -> TestResult {
        let xc = open()?;
        let expected = version(&xc)?;
        let cmd = XenVersionCmd::VERSION.0 as u64;
        // XENVER_version ignores everything after the command, so every
        // arity must give the same answer.
        // SAFETY: XENVER_version takes no buffer; extra arguments are unused.
        unsafe {
            ensure_eq!(xc.call1(HypercallOp::XEN_VERSION, cmd)?, expected);
            ensure_eq!(xc.call3(HypercallOp::XEN_VERSION, cmd, 0, 3)?, expected);
            ensure_eq!(xc.call4(HypercallOp::XEN_VERSION, cmd, 0, 3, 4)?, expected);
            ensure_eq!(
                xc.call5(HypercallOp::XEN_VERSION, cmd, 0, 3, 4, 5)?,
                expected
            );
        }
        Ok(())
    }

    fn call3_console_write(_: &BootInfo) -> TestResult {
        let xc = open()?;
        let text = b"boot-tests: written by a 3-argument console_io call\n";
        let buf = xc.buffer_from_slice(text)?;
        // SAFETY: CONSOLEIO_write reads `len` bytes of the buffer.
        unsafe { xc.call3(HypercallOp::CONSOLE_IO, 0, buf.len() as u64, buf.addr())? };
        Ok(())
    }

    fn call5_argument_positions(_: &BootInfo) -> TestResult {
        let xc = open()?;
        // XEN_HYPFS_OP_get_version (0) insists its four further arguments
        // are zero: a 1 in any one position, and only there, must reach
        // Xen as EINVAL, so each argument register is checked in place.
        let op = HypercallOp::HYPFS_OP;
        // SAFETY: get_version reads and writes no memory.
        let version = unsafe { xc.call5(op, 0, 0, 0, 0, 0) };
        match version {
            Err(Error::Xen(XenErrno::ENOSYS)) => skip!("this Xen is built without hypfs"),
            Err(e) => Err(e)?,
            Ok(v) => ensure!(v >= 1, "hypfs version {v}"),
        }
        let einval = Err(Error::Xen(XenErrno::EINVAL));
        // SAFETY: as above; Xen refuses before touching any address.
        unsafe {
            ensure_eq!(xc.call5(op, 0, 1, 0, 0, 0), einval);
            ensure_eq!(xc.call5(op, 0, 0, 1, 0, 0), einval);
            ensure_eq!(xc.call5(op, 0, 0, 0, 1, 0), einval);
            ensure_eq!(xc.call5(op, 0, 0, 0, 0, 1), einval);
            ensure_eq!(xc.call4(op, 0, 0, 0, 1), einval);
            ensure_eq!(xc.call2(op, 0, 1), einval);
        }
        Ok(())
    }

    fn typed_buffer_argument(_: &BootInfo) -> TestResult {
        let xc = open()?;
        let extra = xc.buffer([0xffu8; 16])?;
        // SAFETY: XENVER_extraversion writes 16 bytes into the buffer.
        unsafe {
            xc.call2(
                HypercallOp::XEN_VERSION,
                XenVersionCmd::EXTRAVERSION.0.into(),
                extra.addr(),
            )?
        };
        let bytes = extra.read();
        let text = c_str(&bytes);
        ensure!(text.starts_with('.'), "extraversion {text:?}");
        Ok(())
    }

    fn raw_buffer_argument(_: &BootInfo) -> TestResult {
        let xc = open()?;
        let p = xc.alloc_buffer_pages(2)?;
        // XENVER_compile_info: four NUL-padded strings, the compiler first.
        // SAFETY: the 2-page buffer holds the 144-byte structure.
        unsafe {
            xc.call2(
                HypercallOp::XEN_VERSION,
                XenVersionCmd::COMPILE_INFO.0.into(),
                p.as_ptr() as u64,
            )?
        };
        // SAFETY: the buffer is live and 8 KiB long.
        let compiler = c_str(unsafe { core::slice::from_raw_parts(p.as_ptr(), 64) });
        let ok = compiler.contains("gcc") || compiler.contains("clang");
        let shown = compiler.len().min(40);
        let mut first = [0u8; 40];
        first[..shown].copy_from_slice(&compiler.as_bytes()[..shown]);
        // SAFETY: not used after this.
        unsafe { xc.free_buffer_pages(p.as_ptr(), 2)? };
        ensure!(ok, "compiler {:?}", c_str(&first));
        Ok(())
    }

    /// The pool scrubs a buffer when it is freed (on aarch64 with `dc
    /// zva`): the same pages handed out again are all zero.
    fn freed_pages_come_back_zeroed(_: &BootInfo) -> TestResult {
        const PAGES: usize = 3;
        let xc = open()?;
        let p = xc.alloc_buffer_pages(PAGES)?;
        // SAFETY: the buffer is live and PAGES pages long.
        unsafe { core::ptr::write_bytes(p.as_ptr(), 0xa5, PAGES * PAGE_SIZE) };
        // SAFETY: not used after this.
        unsafe { xc.free_buffer_pages(p.as_ptr(), PAGES)? };
        let q = xc.alloc_buffer_pages(PAGES)?;
        // SAFETY: the buffer is live and PAGES pages long.
        let bytes = unsafe { core::slice::from_raw_parts(q.as_ptr(), PAGES * PAGE_SIZE) };
        let dirty = bytes.iter().position(|&b| b != 0);
        let same = q == p;
        // SAFETY: not used after this.
        unsafe { xc.free_buffer_pages(q.as_ptr(), PAGES)? };
        // Reused at once (the pool's per-size reuse list): otherwise this
        // would not be looking at scrubbed pages.
        ensure!(same, "the freed pages were not handed out again");
        ensure!(
            dirty.is_none(),
            "byte {dirty:?} of the reused pages is not zero"
        );
        Ok(())
    }

    fn bounce_out(boot: &BootInfo) -> TestResult {
        let xc = open()?;
        let mut caps = [0u8; 1024];
        xc.bounce(&mut caps, Direction::Out, |addr| {
            // SAFETY: XENVER_capabilities writes 1024 bytes at `addr`.
            unsafe {
                xc.call2(
                    HypercallOp::XEN_VERSION,
                    XenVersionCmd::CAPABILITIES.0.into(),
                    addr,
                )
            }
        })?;
        let caps = c_str(&caps);
        let want = match boot.guest_mode {
            GuestMode::Arm => "xen-3.0-aarch64",
            GuestMode::Pv => "xen-3.0-x86_64",
            GuestMode::Pvh => "hvm-3.0-x86_64",
        };
        ensure!(caps.contains(want), "capabilities {caps:?} lack {want}");
        Ok(())
    }

    fn unknown_op_is_enosys(_: &BootInfo) -> TestResult {
        let xc = open()?;
        // SAFETY: unused hypercall numbers do nothing.
        unsafe {
            ensure_eq!(
                xc.call1(HypercallOp(60), 0),
                Err(Error::Xen(XenErrno::ENOSYS))
            );
            // Past the hypercall page: refused by the crate in page mode,
            // by Xen in direct mode; ENOSYS either way.
            ensure_eq!(
                xc.call1(HypercallOp(1000), 0),
                Err(Error::Xen(XenErrno::ENOSYS))
            );
        }
        Ok(())
    }

    fn invalid_subcommand_is_refused(_: &BootInfo) -> TestResult {
        let xc = open()?;
        // Sub-command 999 exists in no family; Xen refuses it without
        // reading the (null) argument, with ENOSYS or EINVAL as the family
        // decides, and the crate passes that on as `Error::Xen`.
        for op in [
            HypercallOp::XEN_VERSION,
            HypercallOp::MEMORY_OP,
            HypercallOp::SCHED_OP,
            HypercallOp::EVENT_CHANNEL_OP,
            HypercallOp::GRANT_TABLE_OP,
            HypercallOp::VCPU_OP,
        ] {
            // SAFETY: an unknown sub-command is refused before any access.
            let r = unsafe { xc.call3(op, 999, 0, 0) };
            ensure!(
                matches!(r, Err(Error::Xen(XenErrno::ENOSYS | XenErrno::EINVAL))),
                "{op:?} sub-command 999: {r:?}"
            );
        }
        Ok(())
    }

    fn bad_pointer_is_efault(_: &BootInfo) -> TestResult {
        let xc = open()?;
        // 128 TiB: canonical, but mapped in no mode (PVH maps 4 GiB, Arm
        // its RAM, PV what Xen built).
        let bad = 0x0000_7fff_ffff_0000u64;
        // SAFETY: Xen validates the address and refuses it.
        let r = unsafe {
            xc.call2(
                HypercallOp::XEN_VERSION,
                XenVersionCmd::EXTRAVERSION.0.into(),
                bad,
            )
        };
        ensure_eq!(r, Err(Error::Xen(XenErrno::EFAULT)));
        Ok(())
    }

    fn wrong_sysctl_version_is_eacces(_: &BootInfo) -> TestResult {
        let xc = open()?;
        // struct xen_sysctl: cmd, interface_version, then a 128-byte union.
        // XEN_SYSCTL_physinfo (3) with interface version 0x14 (4.17 wants
        // 0x15): Xen refuses before looking further.
        let mut sysctl = [0u32; 2 + 32];
        sysctl[0] = 3;
        sysctl[1] = 0x14;
        let buf = xc.buffer(sysctl)?;
        // SAFETY: Xen reads (and would write) the structure in the buffer.
        let r = unsafe { xc.call1(HypercallOp::SYSCTL, buf.addr()) };
        ensure_eq!(r, Err(Error::Xen(XenErrno::EACCES)));
        Ok(())
    }

    fn buffer_misuse_is_refused(_: &BootInfo) -> TestResult {
        let xc = open()?;
        let p = xc.alloc_buffer(100)?;
        let mut local = 0u8;
        // SAFETY: refused pointers are not freed; `p` is freed once.
        unsafe {
            ensure_eq!(
                xc.free_buffer(&mut local),
                Err(Error::InvalidBuffer(InvalidBuffer::Foreign))
            );
            ensure_eq!(
                xc.free_buffer(p.as_ptr().add(8)),
                Err(Error::InvalidBuffer(InvalidBuffer::Misaligned))
            );
            ensure_eq!(xc.free_buffer(p.as_ptr()), Ok(()));
            ensure_eq!(
                xc.free_buffer(p.as_ptr()),
                Err(Error::InvalidBuffer(InvalidBuffer::NotAllocated))
            );
        }
        ensure_eq!(xc.alloc_buffer(0), Err(Error::InvalidSize));
        ensure_eq!(xc.alloc_buffer_pages(usize::MAX), Err(Error::InvalidSize));
        Ok(())
    }

    fn family_xen_version(boot: &BootInfo) -> TestResult {
        use xencall::hypercalls::XenFeatures;
        let xc = open()?;
        let v = xc.xen_version()?;
        ensure!(v.major == 4 && v.minor >= 17, "version {v}");
        let extra = xc.xen_extraversion()?;
        ensure!(extra.as_str().starts_with('.'), "extraversion {extra:?}");
        let info = xc.xen_compile_info()?;
        ensure!(
            !info.compiler.as_str().is_empty(),
            "no compiler in {info:?}"
        );
        // Debian builds from a tarball: the changeset may be empty.
        xc.xen_changeset()?;
        let caps = xc.xen_capabilities()?;
        let arch = if cfg!(target_arch = "aarch64") {
            "aarch64"
        } else {
            "x86_64"
        };
        ensure!(caps.as_str().contains(arch), "capabilities {caps:?}");
        ensure_eq!(xc.xen_pagesize()?, 4096);
        let features = xc.xen_features()?;
        ensure!(
            features.contains(XenFeatures::DOM0),
            "dom0 without XENFEAT_dom0: {features:?}"
        );
        let translated = features.contains(XenFeatures::AUTO_TRANSLATED_PHYSMAP);
        ensure_eq!(translated, boot.guest_mode != GuestMode::Pv);
        let params = xc.xen_platform_parameters()?;
        if boot.guest_mode == GuestMode::Pv {
            // Xen keeps its own range in every 64-bit PV address space.
            ensure!(
                params.virt_start >= 0xffff_8000_0000_0000,
                "virt_start {:#x}",
                params.virt_start
            );
        }
        xc.xen_guest_handle()?;
        Ok(())
    }

    fn family_console_io(_: &BootInfo) -> TestResult {
        let xc = open()?;
        xc.console_write(b"boot-tests: console_write through a bounce buffer\n")?;
        // Nobody types into the serial line during the test: no input.
        let mut buf = [0u8; 64];
        let n = xc.console_read(&mut buf)?;
        ensure!(n <= buf.len(), "read {n} bytes into 64");
        Ok(())
    }

    fn family_sched_op(_: &BootInfo) -> TestResult {
        use xencall::abi::sched::ShutdownReason;
        let xc = open()?;
        xc.sched_yield()?;
        // A timeout already in the past (1 ns after boot): Xen wakes the
        // vCPU at once, so this proves the call without waiting.
        xc.sched_poll(&[], Some(1))?;
        // Recording a shutdown code does not shut down.
        xc.sched_shutdown_code(ShutdownReason::POWEROFF)?;
        ensure_eq!(
            xc.sched_poll(&[0; 129], None),
            Err(Error::Xen(XenErrno::EINVAL))
        );
        Ok(())
    }

    fn family_memory_op(boot: &BootInfo) -> TestResult {
        use xencall::abi::memory::{E820Entry, DOMID_SELF};
        let xc = open()?;
        let current = xc.current_reservation(DOMID_SELF)?;
        let maximum = xc.maximum_reservation(DOMID_SELF)?;
        ensure!(
            current > 0 && current <= maximum,
            "reservation {current} of {maximum}"
        );
        let max_gpfn = xc.maximum_gpfn(DOMID_SELF)?;
        // A PV guest's pseudo-physical space is its own business: Xen
        // answers 0 until the guest registers a p2m.
        ensure!(
            max_gpfn > 0 || boot.guest_mode == GuestMode::Pv,
            "maximum gpfn {max_gpfn}"
        );
        ensure!(xc.maximum_ram_page()? > 0);
        let mut map = [E820Entry::default(); 32];
        match (boot.guest_mode, xc.memory_map(&mut map)) {
            // Arm describes memory in the device tree only, and a PV dom0
            // has no map unless a toolstack set one: Xen says ENOSYS.
            (GuestMode::Arm | GuestMode::Pv, Err(Error::Xen(XenErrno::ENOSYS))) => {}
            (GuestMode::Arm, r) => ensure!(false, "Arm memory_map: {r:?}"),
            (_, Ok(n)) => {
                let ram: u64 = map[..n]
                    .iter()
                    .filter(|e| { e.kind } == 1)
                    .map(|e| e.size)
                    .sum();
                ensure!(ram >= 16 << 20, "{n} entries, {ram} bytes of RAM");
            }
            (_, Err(e)) => Err(e)?,
        }
        Ok(())
    }

    /// `XENMEM_increase_reservation` answers differently per mode
    /// (measured on Xen 4.17), and each answer is asserted: a PV guest gets
    /// the machine frame and can give it back; a translated PVH guest gets
    /// the page but no frame number (it is the domain's, outside its
    /// physical map: translated guests use `populate_physmap`, so this one
    /// page stays allocated for the rest of the boot); a direct-mapped Arm
    /// dom0 gets nothing.
    fn memory_increase_reservation(boot: &BootInfo) -> TestResult {
        use xencall::abi::memory::DOMID_SELF;
        let xc = open()?;
        let before = xc.current_reservation(DOMID_SELF)?;
        let mut frames = [0u64; 1];
        let taken = xc.increase_reservation(DOMID_SELF, &mut frames, 0)?;
        let after = xc.current_reservation(DOMID_SELF)?;
        match boot.guest_mode {
            GuestMode::Pv => {
                ensure_eq!(taken, 1);
                ensure!(frames[0] != 0, "no machine frame written back");
                ensure_eq!(after, before + 1);
                // SAFETY: the machine frame Xen just gave, which nothing
                // maps or uses.
                let taken = unsafe { xc.decrease_reservation(DOMID_SELF, &frames, 0)? };
                ensure_eq!(taken, 1);
                ensure_eq!(xc.current_reservation(DOMID_SELF)?, before);
            }
            GuestMode::Pvh => {
                ensure_eq!(taken, 1);
                ensure_eq!(frames[0], 0);
                ensure_eq!(after, before + 1);
            }
            GuestMode::Arm => {
                ensure_eq!(taken, 0);
                ensure_eq!(after, before);
            }
        }
        Ok(())
    }

    fn memory_give_back_and_repopulate(boot: &BootInfo) -> TestResult {
        use xencall::abi::memory::DOMID_SELF;
        #[cfg(not(target_arch = "x86_64"))]
        let _ = boot;
        #[cfg(target_arch = "x86_64")]
        if let xencall::rt::RawBootInfo::StartInfo(start_info) = boot.raw {
            return pv_give_back_and_repopulate(boot, start_info);
        }
        let xc = open()?;
        // A direct-mapped (1:1) dom0, as on Arm: measured on Xen 4.17, the
        // frame leaves the p2m and comes back at the same address, but the
        // pages stay the domain's, so the reservation does not move.
        let direct_mapped = xc
            .xen_features()?
            .contains(xencall::hypercalls::XenFeatures::DIRECT_MAPPED);
        let given_back = if direct_mapped { 0 } else { 1 };
        // The safe path: a buffer page is given, its frame taken from the
        // runtime's `BootInfo`, and it comes back only through populate.
        let page = xc.buffer::<Page>([0xa5; PAGE_SIZE])?;
        let gpfn = boot.frame_of(page.addr() as usize)?;
        ensure_eq!(gpfn, page.addr() >> 12);
        let before = xc.current_reservation(DOMID_SELF)?;
        let free = xc.pool().free_page_count();
        let lent = xc.give_back_page(boot, page)?;
        ensure_eq!(lent.frame(), gpfn);
        ensure_eq!(xc.current_reservation(DOMID_SELF)?, before - given_back);
        // Lent, the page is not the pool's to hand out.
        ensure_eq!(xc.pool().free_page_count(), free);
        let mut page = xc.populate_page(lent).map_err(Error::from)?;
        ensure_eq!(page.addr() >> 12, gpfn);
        ensure_eq!(xc.current_reservation(DOMID_SELF)?, before);
        // Backed again: write and read it back.
        page[7] = 0x5a;
        ensure_eq!(page[7], 0x5a);
        drop(page);
        ensure_eq!(xc.pool().free_page_count(), free + 1);
        Ok(())
    }

    /// The PV round trip: the guest owns its physical-to-machine list and
    /// its page tables, so it unmaps the page, gives its machine frame
    /// back, repopulates the pseudo-physical frame (Xen picks a new
    /// machine frame and records it in its machine-to-physical table),
    /// enters the new frame in the p2m list and maps it again.
    #[cfg(target_arch = "x86_64")]
    fn pv_give_back_and_repopulate(boot: &BootInfo, start_info: u64) -> TestResult {
        use xencall::abi::callback::UVMF_INVLPG;
        use xencall::abi::memory::DOMID_SELF;
        use xencall::abi::start_info::StartInfo;
        let xc = open()?;
        // The safe path is for translated guests: a PV guest keeps its own
        // p2m list and page tables, so it is refused before Xen is asked.
        let page = xc.buffer::<Page>([0; PAGE_SIZE])?;
        ensure_eq!(
            xc.give_back_page(boot, page).err(),
            Some(Error::NotTranslated)
        );
        let page = xc.alloc_buffer_pages(1)?;
        let va = page.as_ptr() as u64;
        let pfn = va >> 12;
        let old_mfn = boot.frame_of(va as usize)?;
        // SAFETY: Xen maps start_info and the p2m list it names (one
        // writable entry per page of the domain) for a PV guest for good.
        let p2m = unsafe {
            core::ptr::addr_of!((*(start_info as *const StartInfo)).mfn_list).read() as *mut u64
        };
        let before = xc.current_reservation(DOMID_SELF)?;
        // SAFETY: the buffer is ours and nothing reads it until it is
        // mapped again below; a PTE of 0 just unmaps it.
        unsafe { xc.update_va_mapping(va, 0, UVMF_INVLPG)? };
        // SAFETY: the page is unmapped, and nothing uses it until it is
        // repopulated, entered in the p2m list and mapped again below.
        let taken = unsafe { xc.decrease_reservation(DOMID_SELF, &[old_mfn], 0)? };
        ensure_eq!(taken, 1);
        ensure_eq!(xc.current_reservation(DOMID_SELF)?, before - 1);
        let mut frames = [pfn];
        // SAFETY: the pseudo-physical frame has no machine frame now.
        let populated = unsafe { xc.populate_physmap(DOMID_SELF, &mut frames, 0) };
        ensure_eq!(populated, Ok(1));
        let new_mfn = frames[0];
        ensure!(
            new_mfn != pfn && new_mfn != 0,
            "populate_physmap gave no machine frame ({new_mfn:#x})"
        );
        ensure_eq!(xc.current_reservation(DOMID_SELF)?, before);
        // SAFETY: entry `pfn` of the p2m list is this page's; the guest
        // keeps the list.
        unsafe { p2m.add(pfn as usize).write_volatile(new_mfn) };
        ensure_eq!(boot.frame_of(va as usize), Ok(new_mfn));
        // SAFETY: the new frame is ours (Xen just gave it); map it where
        // the buffer was, present, writable, user, accessed, dirty.
        unsafe { xc.update_va_mapping(va, (new_mfn << 12) | 0x67, UVMF_INVLPG)? };
        // SAFETY: mapped again; write and read it back, then free it.
        unsafe {
            page.as_ptr().write_volatile(0x5a);
            ensure_eq!(page.as_ptr().read_volatile(), 0x5a);
            xc.free_buffer_pages(page.as_ptr(), 1)?;
        }
        Ok(())
    }

    /// On PV, `SCHEDOP_block` unmasks events and Xen delivers a pending
    /// one by jumping to the registered event callback: address 0 when
    /// none is registered yet (seen before the refusal: a crash at rip 0).
    /// Runs before any case enables upcalls.
    fn pv_block_without_an_event_callback_is_refused(boot: &BootInfo) -> TestResult {
        use xencall::abi::memory::DOMID_SELF;
        if boot.guest_mode != GuestMode::Pv {
            skip!("only PV guests take events at a callback address");
        }
        let xc = open()?;
        let a = xc.evtchn_alloc_unbound(DOMID_SELF, DOMID_SELF)?;
        let b = xc.evtchn_bind_interdomain(DOMID_SELF, a)?;
        // Pending: what the block would deliver at once.
        xc.evtchn_send(b)?;
        let blocked = xc.sched_block();
        for port in [a, b] {
            xc.evtchn_close(port)?;
        }
        ensure_eq!(blocked, Err(Error::Xen(XenErrno::EINVAL)));
        Ok(())
    }

    /// The frame numbers the safe calls give Xen: the runtime's `BootInfo`
    /// gives one for a page of ours (PV: from the p2m list, and nothing at
    /// or past `nr_pages`, where the list ends); a `BootInfo` made up from
    /// the same public fields vouches for nothing, so the runtime's calls
    /// that trust it refuse it too.
    fn frames_are_bounded_and_vouched_for(boot: &BootInfo) -> TestResult {
        let xc = open()?;
        let page = xc.buffer::<Page>([0; PAGE_SIZE])?;
        let frame = boot.frame_of(page.addr() as usize)?;
        match boot.raw {
            xencall::rt::RawBootInfo::StartInfo(start_info) => {
                use xencall::abi::start_info::StartInfo;
                ensure!(frame != 0, "no machine frame for a buffer page");
                // SAFETY: Xen maps start_info for a PV guest for good.
                let pages = unsafe {
                    core::ptr::addr_of!((*(start_info as *const StartInfo)).nr_pages).read()
                } as usize;
                ensure!(boot.frame_of((pages - 1) * PAGE_SIZE).is_ok());
                // Where the p2m list ends: refused, not read past.
                ensure_eq!(boot.frame_of(pages * PAGE_SIZE), Err(Error::NoFrame));
                ensure_eq!(boot.frame_of(usize::MAX), Err(Error::NoFrame));
            }
            _ => ensure_eq!(frame, page.addr() >> 12),
        }
        let made_up = BootInfo::new(boot.guest_mode, boot.raw);
        ensure_eq!(made_up.frame_of(page.addr() as usize), Err(Error::NoFrame));
        ensure_eq!(
            xencall::rt::shared_info::map(&made_up).err(),
            Some(Error::NoFrame)
        );
        Ok(())
    }

    /// `map_xen_page`: Xen's grant-table frame 0 replaces a buffer page,
    /// which leaves the pool for good (translated guests; PV is refused).
    fn map_xen_page_grant_frame(boot: &BootInfo) -> TestResult {
        use xencall::buffers::XenPageKind;
        let xc = open()?;
        let page = xc.buffer::<Page>([0xa5; PAGE_SIZE])?;
        let free = xc.pool().free_page_count();
        let mapped = xc.map_xen_page(boot, XenPageKind::GrantTable(0), page);
        if boot.guest_mode == GuestMode::Pv {
            ensure_eq!(mapped.err(), Some(Error::NotTranslated));
            ensure_eq!(xc.pool().free_page_count(), free + 1);
            return Ok(());
        }
        let table = mapped?;
        // Xen's frame shows where our 0xa5 bytes were: no entry of dom0's
        // grant table is in use, so its first words are zero.
        // SAFETY: the mapped page is 4096 bytes; Xen writes it, hence
        // volatile reads of plain integers.
        let first = unsafe { table.as_ptr().cast::<u64>().read_volatile() };
        ensure_eq!(first, 0);
        // Out of the pool for good, whether the `XenPage` lives or not.
        ensure_eq!(xc.pool().free_page_count(), free);
        Ok(())
    }

    fn event_channel_round_trip(boot: &BootInfo) -> TestResult {
        use core::ptr::addr_of;
        use xencall::abi::event_channel::Virq;
        use xencall::abi::memory::DOMID_SELF;
        use xencall::hypercalls::ChannelState;
        let xc = open()?;
        let page = xencall::rt::shared_info::map(boot)?.as_ptr();
        // The port's bit in shared info's pending array, as Xen sets it.
        // SAFETY: the page is mapped for the rest of the boot and Xen
        // writes it concurrently, hence volatile reads; the word index is
        // below 64 for ports < 4096.
        let pending = |port: u32| unsafe {
            addr_of!((*page).evtchn_pending[(port / usize::BITS) as usize]).read_volatile() as usize
                & (1 << (port % usize::BITS))
                != 0
        };
        // A channel to ourselves: an unbound port, then a second port
        // bound to it.
        let a = xc.evtchn_alloc_unbound(DOMID_SELF, DOMID_SELF)?;
        let (state, _) = xc.evtchn_status(DOMID_SELF, a)?;
        ensure!(matches!(state, ChannelState::Unbound { .. }), "{state:?}");
        let b = xc.evtchn_bind_interdomain(DOMID_SELF, a)?;
        let (state, vcpu) = xc.evtchn_status(DOMID_SELF, b)?;
        ensure!(
            matches!(state, ChannelState::Interdomain { remote_port, .. } if remote_port == a),
            "{state:?}"
        );
        ensure_eq!(vcpu, 0);
        // Send on one end: the other end's bit goes up in shared info, and
        // SCHEDOP_poll on it returns (no timeout: were it never pending,
        // this boot would hang and the runner's timeout would fail it).
        ensure!(!pending(a), "port {a} pending before the send");
        xc.evtchn_send(b)?;
        ensure!(
            pending(a),
            "port {a} not pending in shared info after the send"
        );
        xc.sched_poll(&[a], None)?;
        ensure!(pending(a), "port {a} no longer pending after the poll");
        xc.evtchn_unmask(a)?;
        let virq = xc.evtchn_bind_virq(Virq::DEBUG, 0)?;
        let (state, _) = xc.evtchn_status(DOMID_SELF, virq)?;
        ensure_eq!(state, ChannelState::Virq(Virq::DEBUG));
        for port in [a, b, virq] {
            xc.evtchn_close(port)?;
        }
        let (state, _) = xc.evtchn_status(DOMID_SELF, a)?;
        ensure_eq!(state, ChannelState::Closed);
        ensure_eq!(xc.evtchn_send(a), Err(Error::Xen(XenErrno::EINVAL)));
        Ok(())
    }

    fn shared_info_pending_bit(boot: &BootInfo) -> TestResult {
        use core::ptr::addr_of;
        use xencall::abi::memory::DOMID_SELF;
        let xc = open()?;
        let page = xencall::rt::shared_info::map(boot)?.as_ptr();
        // Xen's page, not ours, now sits at that address: its wall clock
        // has been set, where our zeroed page had nothing.
        // SAFETY: the page is mapped and Xen writes it concurrently, hence
        // volatile reads of plain integers.
        let wc = unsafe { addr_of!((*page).wc_version).read_volatile() };
        // SAFETY: as above.
        let wc_sec = unsafe { addr_of!((*page).wc_sec).read_volatile() };
        ensure!(wc != 0 || wc_sec != 0, "shared info looks empty");

        // A channel to ourselves; the send must show as the pending bit.
        let a = xc.evtchn_alloc_unbound(DOMID_SELF, DOMID_SELF)?;
        let b = xc.evtchn_bind_interdomain(DOMID_SELF, a)?;
        let bits = usize::BITS;
        let word = (a / bits) as usize;
        let bit = 1usize << (a % bits);
        // SAFETY: as above; the array index is below 64 for ports < 4096.
        let pending = || unsafe { addr_of!((*page).evtchn_pending[word]).read_volatile() } as usize;
        ensure!(pending() & bit == 0, "port {a} pending before the send");
        xc.evtchn_send(b)?;
        ensure!(
            pending() & bit != 0,
            "port {a} not pending in shared info after the send"
        );
        // SAFETY: as above.
        let upcall =
            unsafe { addr_of!((*page).vcpu_info[0].evtchn_upcall_pending).read_volatile() };
        ensure_eq!(upcall, 1);
        for port in [a, b] {
            xc.evtchn_close(port)?;
        }
        Ok(())
    }

    /// Xen system time now, from the boot vCPU's time info and the TSC
    /// (x86 only: the pvclock formula).
    #[cfg(target_arch = "x86_64")]
    fn xen_now_ns(time: *const xencall::abi::shared_info::VcpuTimeInfo) -> u64 {
        use core::ptr::addr_of;
        loop {
            // SAFETY: `time` points into the mapped shared-info page; Xen
            // updates it under the version protocol, hence volatile reads.
            let (v1, ts, sys, mul, shift) = unsafe {
                (
                    addr_of!((*time).version).read_volatile(),
                    addr_of!((*time).tsc_timestamp).read_volatile(),
                    addr_of!((*time).system_time).read_volatile(),
                    addr_of!((*time).tsc_to_system_mul).read_volatile(),
                    addr_of!((*time).tsc_shift).read_volatile(),
                )
            };
            // SAFETY: RDTSC has no memory effects.
            let tsc = unsafe { core::arch::x86_64::_rdtsc() };
            // SAFETY: as above.
            let v2 = unsafe { addr_of!((*time).version).read_volatile() };
            if v1 != v2 || v1 % 2 == 1 {
                continue;
            }
            let mut delta = tsc.wrapping_sub(ts);
            if shift >= 0 {
                delta <<= shift;
            } else {
                delta >>= -shift;
            }
            return sys + ((u128::from(delta) * u128::from(mul)) >> 32) as u64;
        }
    }

    fn sched_block_sleeps_until_a_timer_event(boot: &BootInfo) -> TestResult {
        #[cfg(target_arch = "x86_64")]
        {
            use core::ptr::{addr_of, addr_of_mut};
            use xencall::abi::event_channel::Virq;
            use xencall::rt::events;
            // Refused before delivery is set up, rather than a block that
            // would never return.
            ensure_eq!(events::block(), Err(Error::Xen(XenErrno::EINVAL)));
            let xc = open()?;
            let page = xencall::rt::shared_info::map(boot)?.as_ptr();
            // SAFETY: vCPU 0's vcpu_info in the shared-info page mapped
            // just above, which stays mapped for the rest of the boot.
            unsafe { events::enable_upcall(boot, addr_of_mut!((*page).vcpu_info[0]))? };
            let port = xc.evtchn_bind_virq(Virq::TIMER, 0)?;
            // SAFETY: as above.
            let time = unsafe { addr_of!((*page).vcpu_info[0].time) };
            // Events earlier cases left pending would keep Xen from raising
            // a new upcall: start from a clear flag and selector.
            // SAFETY: as above; these words are the guest's to clear.
            unsafe {
                addr_of_mut!((*page).vcpu_info[0].evtchn_pending_sel).write_volatile(0);
                addr_of_mut!((*page).vcpu_info[0].evtchn_upcall_pending).write_volatile(0);
            }
            let upcalls = events::upcalls();
            // A one-shot timer 20 ms ahead: SCHEDOP_block must sleep until
            // it fires, then return with its event delivered.
            let deadline = xen_now_ns(time) + 20_000_000;
            xc.vcpu_set_singleshot_timer(0, deadline, xencall::abi::vcpu::VCPU_SSHOTTMR_FUTURE)?;
            events::block()?;
            let woke = xen_now_ns(time);
            let taken = events::upcalls() - upcalls;
            let word = (port / usize::BITS) as usize;
            // SAFETY: as above; the port number is far below 4096.
            let pending =
                unsafe { addr_of!((*page).evtchn_pending[word]).read_volatile() } as usize;
            events::disable_upcall()?;
            xc.evtchn_close(port)?;
            ensure!(
                woke >= deadline,
                "woke at {woke} ns, before the timer's {deadline} ns"
            );
            ensure!(taken >= 1, "no upcall taken");
            ensure!(
                pending & (1 << (port % usize::BITS)) != 0,
                "timer port {port} not pending"
            );
            Ok(())
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            use core::ptr::{addr_of, addr_of_mut};
            use core::sync::atomic::{AtomicU64, Ordering};
            use xencall::abi::memory::DOMID_SELF;
            use xencall::rt::events::{self, arm_timer};
            // Measured on Xen 4.17: Arm has no set_timer_op (ENOSYS), and
            // its vcpu_op has no timer commands, so the wake-up source is
            // the virtual timer the guest programs itself.
            // SAFETY: set_timer_op(0) would only cancel a timer.
            let set_timer = unsafe { open()?.call1(HypercallOp::SET_TIMER_OP, 0) };
            ensure_eq!(set_timer, Err(Error::Xen(XenErrno::ENOSYS)));

            let xc = open()?;
            let page = xencall::rt::shared_info::map(boot)?.as_ptr();
            // SAFETY: vCPU 0's vcpu_info in the shared-info page mapped
            // by the runtime, which stays mapped for the rest of the
            // boot.
            let info: *mut xencall::abi::shared_info::VcpuInfo =
                unsafe { addr_of_mut!((*page).vcpu_info[0]) };
            // Events earlier cases left pending would keep Xen from raising
            // a new upcall: start from a clear flag and selector.
            // SAFETY: as above; these words are the guest's to clear.
            unsafe {
                addr_of_mut!((*info).evtchn_pending_sel).write_volatile(0);
                addr_of_mut!((*info).evtchn_upcall_pending).write_volatile(0);
            }
            // Refused before delivery is set up, rather than a block
            // that would never return.
            ensure_eq!(events::block(), Err(Error::Xen(XenErrno::EINVAL)));
            // SAFETY: as above.
            unsafe { events::enable_upcall(boot, info)? };

            // 1. An event on a channel to ourselves is delivered: sent
            // with IRQs masked, it is still pending when block() is
            // called, so the block returns at once and the upcall is taken.
            let a = xc.evtchn_alloc_unbound(DOMID_SELF, DOMID_SELF)?;
            let b = xc.evtchn_bind_interdomain(DOMID_SELF, a)?;
            let word = (a / u64::BITS) as usize;
            let bit = 1u64 << (a % u64::BITS);
            // SAFETY: as above; Xen sets bits of this word atomically, so
            // the guest reads and clears it atomically too. The index is
            // below 64 for ports < 4096.
            let pending =
                unsafe { AtomicU64::from_ptr(addr_of_mut!((*page).evtchn_pending[word])) };
            // 0. Xen's SCHEDOP_block enables event delivery on Arm by
            // clearing PSTATE.I: it returns with IRQs unmasked, and the
            // event's interrupt is taken as soon as the hvc returns.
            let upcalls = events::upcalls();
            xc.evtchn_send(b)?;
            xc.sched_block()?;
            let daif: u64;
            // SAFETY: reads DAIF, then masks IRQs again as the runtime
            // expects; no memory touched.
            unsafe {
                core::arch::asm!("mrs {}, daif", "msr daifset, #2", out(reg) daif, options(nomem, nostack))
            };
            let taken = events::upcalls() - upcalls;
            pending.fetch_and(!bit, Ordering::SeqCst);
            ensure!(
                daif & (1 << 7) == 0,
                "Xen returned from SCHEDOP_block with IRQs masked (DAIF {daif:#x})"
            );
            ensure!(taken >= 1, "no upcall taken on return from SCHEDOP_block");

            let upcalls = events::upcalls();
            xc.evtchn_send(b)?;
            events::block()?;
            let taken = events::upcalls() - upcalls;
            let fired = pending.fetch_and(!bit, Ordering::SeqCst) & bit != 0;
            for port in [a, b] {
                xc.evtchn_close(port)?;
            }
            ensure!(taken >= 1, "no upcall taken for an event sent to port {a}");
            ensure!(fired, "port {a} not pending after its upcall");

            // 2. SCHEDOP_block sleeps until the virtual timer fires 20 ms
            // ahead, and its interrupt is taken.
            let ticks = arm_timer::frequency() / 50;
            let timer_irqs = arm_timer::interrupts();
            let deadline = arm_timer::now() + ticks;
            arm_timer::arm(deadline)?;
            events::block()?;
            let woke = arm_timer::now();
            let timer_taken = arm_timer::interrupts() - timer_irqs;
            arm_timer::disarm()?;
            events::disable_upcall()?;
            // SAFETY: as above.
            let flag = unsafe { addr_of!((*info).evtchn_upcall_pending).read_volatile() };
            xencall::println!(
                "boot-tests: block: woke {} ticks after arming ({} ticks = 20 ms), \
                 timer interrupts {timer_taken}, upcalls in this case {}, upcall flag {flag}",
                woke - (deadline - ticks),
                ticks,
                events::upcalls() - upcalls,
            );
            ensure!(
                woke >= deadline,
                "woke at count {woke}, before the timer's {deadline}"
            );
            ensure!(timer_taken >= 1, "no virtual-timer interrupt taken");
            Ok(())
        }
    }

    /// An event that became pending before `events::block` (here: a
    /// timer that fired 1 ms in while the vCPU spun for 10 ms, events
    /// masked) must end the block at once. A window between unmasking and
    /// the instruction that sleeps lets the upcall consume it first; the
    /// block then sleeps until an event that never comes (seen: PVH hung
    /// to the runner's timeout, before the `sti; hlt` change).
    fn block_returns_for_an_event_already_pending(boot: &BootInfo) -> TestResult {
        #[cfg(target_arch = "x86_64")]
        {
            use core::ptr::{addr_of, addr_of_mut};
            use xencall::abi::event_channel::Virq;
            use xencall::rt::events;
            let xc = open()?;
            let page = xencall::rt::shared_info::map(boot)?.as_ptr();
            // SAFETY: vCPU 0's vcpu_info in the shared-info page, mapped
            // for the rest of the boot.
            unsafe { events::enable_upcall(boot, addr_of_mut!((*page).vcpu_info[0]))? };
            let port = xc.evtchn_bind_virq(Virq::TIMER, 0)?;
            // SAFETY: as above.
            let time = unsafe { addr_of!((*page).vcpu_info[0].time) };
            let start = xen_now_ns(time);
            xc.vcpu_set_singleshot_timer(0, start + 1_000_000, 0)?;
            while xen_now_ns(time) < start + 10_000_000 {
                core::hint::spin_loop();
            }
            let upcalls = events::upcalls();
            let blocked = events::block();
            let woke = xen_now_ns(time);
            let taken = events::upcalls() - upcalls;
            let word = (port / u64::BITS) as usize;
            // SAFETY: as above; Xen sets bits of this word atomically, so
            // it is cleared atomically too. The port is far below 4096.
            let pending = unsafe {
                core::sync::atomic::AtomicU64::from_ptr(addr_of_mut!((*page).evtchn_pending[word]))
            };
            let bit = 1u64 << (port % u64::BITS);
            let fired = pending.fetch_and(!bit, core::sync::atomic::Ordering::SeqCst) & bit != 0;
            events::disable_upcall()?;
            xc.evtchn_close(port)?;
            blocked?;
            ensure!(fired, "timer port {port} not pending");
            ensure!(taken >= 1, "no upcall taken");
            // It returned for the pending event, not for a later one.
            ensure!(
                woke - start < 1_000_000_000,
                "block returned {} ms after the timer fired",
                (woke - start) / 1_000_000
            );
            Ok(())
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            use core::ptr::addr_of_mut;
            use xencall::rt::events::{self, arm_timer};
            let page = xencall::rt::shared_info::map(boot)?.as_ptr();
            // SAFETY: vCPU 0's vcpu_info in the shared-info page, mapped
            // for the rest of the boot.
            unsafe { events::enable_upcall(boot, addr_of_mut!((*page).vcpu_info[0]))? };
            let ms = arm_timer::frequency() / 1000;
            let start = arm_timer::now();
            let timer_irqs = arm_timer::interrupts();
            arm_timer::arm(start + ms)?;
            while arm_timer::now() < start + 10 * ms {
                core::hint::spin_loop();
            }
            let blocked = events::block();
            let woke = arm_timer::now();
            let taken = arm_timer::interrupts() - timer_irqs;
            arm_timer::disarm()?;
            events::disable_upcall()?;
            blocked?;
            ensure!(taken >= 1, "no virtual-timer interrupt taken");
            ensure!(
                woke - start < 1000 * ms,
                "block returned {} ms after the timer fired",
                (woke - start) / ms
            );
            Ok(())
        }
    }

    fn grant_table_copy_to_self(boot: &BootInfo) -> TestResult {
        use xencall::abi::grant_table::{GnttabCopy, GnttabCopyPtr, GrantStatus};
        use xencall::abi::memory::DOMID_SELF;
        use xencall::hypercalls::{CopyDest, CopySource, GrantCopy};
        let xc = open()?;
        let (frames, max) = xc.gnttab_query_size(DOMID_SELF)?;
        ensure!(
            frames <= max && max >= 1,
            "grant table {frames} of {max} frames"
        );
        ensure_eq!(xc.gnttab_get_version(DOMID_SELF)?, 1);
        ensure_eq!(xc.gnttab_set_version(1)?, 1);
        let mut table = [0u64; 1];
        xc.gnttab_setup_table(DOMID_SELF, &mut table)?;
        if boot.guest_mode == GuestMode::Pv {
            ensure!(table[0] != 0, "no frame for the PV grant table");
        }

        // Copy 100 bytes between two of our own pages by frame number,
        // and check every byte of the destination page. The safe path:
        // the ends are lent slices, their frames from the runtime's
        // `BootInfo`.
        let mut src = xc.buffer_array(4096, 0u8)?;
        let mut dst = xc.buffer_array(4096, 0u8)?;
        for (i, b) in src.iter_mut().enumerate() {
            *b = (i % 251) as u8 + 1;
        }
        let mut ops = [GrantCopy::new(
            boot,
            CopySource::Local(&src[10..110]),
            CopyDest::Local(&mut dst[20..120]),
            100,
        )?];
        xc.gnttab_copy(&mut ops)?;
        ensure_eq!(ops[0].status(), GrantStatus::OKAY);
        for (i, &b) in dst.iter().enumerate() {
            let want = if (20..120).contains(&i) {
                src[i - 10]
            } else {
                0
            };
            ensure!(b == want, "byte {i}: {b:#x}, want {want:#x}");
        }
        // A local end past its slice is refused before Xen is called.
        ensure_eq!(
            GrantCopy::new(
                boot,
                CopySource::Local(&src[..]),
                CopyDest::Local(&mut dst[4090..]),
                100
            )
            .err(),
            Some(Error::BadRange)
        );
        // By raw frame number, a copy running off the end of its page is
        // refused by Xen, per operation.
        let end = |frame: u64, offset: u16| GnttabCopyPtr {
            u: frame,
            domid: DOMID_SELF,
            offset,
            _pad0: 0,
        };
        let mut raw = [GnttabCopy {
            source: end(boot.frame_of(src.addr() as usize)?, 10),
            dest: end(boot.frame_of(dst.addr() as usize)?, 4090),
            len: 100,
            ..Default::default()
        }];
        // SAFETY: both frames are our live buffers', and Xen refuses the
        // range (4090 + 100 > 4096) before reading or writing either.
        let refused = unsafe { xc.gnttab_copy_raw(&mut raw) };
        ensure_eq!(refused, Err(Error::Grant(GrantStatus::BAD_COPY_ARG)));
        Ok(())
    }

    fn multicall_per_entry_results(_: &BootInfo) -> TestResult {
        use xencall::abi::multicall::MulticallEntry;
        use xencall::hypercalls::entry_result;
        let xc = open()?;
        let call = |op: HypercallOp, args: [u64; 2]| MulticallEntry {
            op: op.0.into(),
            result: 0xdead,
            args: [args[0], args[1], 0, 0, 0, 0],
        };
        let mut batch = [
            call(
                HypercallOp::XEN_VERSION,
                [XenVersionCmd::VERSION.0.into(), 0],
            ),
            call(
                HypercallOp::XEN_VERSION,
                [XenVersionCmd::PAGESIZE.0.into(), 0],
            ),
            call(HypercallOp(63), [0, 0]),
        ];
        // SAFETY: two buffer-less xen_version queries and an unused op.
        unsafe { xc.multicall(&mut batch)? };
        ensure_eq!(entry_result(&batch[0]), Ok(version(&xc)?));
        ensure_eq!(entry_result(&batch[1]), Ok(4096));
        ensure_eq!(entry_result(&batch[2]), Err(Error::Xen(XenErrno::ENOSYS)));
        Ok(())
    }

    fn family_vcpu_op(boot: &BootInfo) -> TestResult {
        use xencall::abi::vcpu::Runstate;
        let xc = open()?;
        if boot.guest_mode == GuestMode::Arm {
            // Xen on Arm offers only register_vcpu_info and
            // register_runstate_memory_area through vcpu_op.
            ensure_eq!(xc.vcpu_is_up(0), Err(Error::Xen(XenErrno::EINVAL)));
            skip!("Arm's vcpu_op has only the registration commands (is_up: EINVAL)");
        }
        ensure!(xc.vcpu_is_up(0)?, "vCPU 0 is not up");
        let info = xc.vcpu_runstate_info(0)?;
        ensure_eq!(Runstate(info.state), Runstate::RUNNING);
        ensure!(info.time[0] > 0, "no running time in {info:?}");
        // Already in the past: fires at once; then stopped again.
        xc.vcpu_set_singleshot_timer(0, 1, 0)?;
        xc.vcpu_stop_singleshot_timer(0)?;
        xc.vcpu_stop_periodic_timer(0)?;
        Ok(())
    }

    fn family_hvm_op(boot: &BootInfo) -> TestResult {
        use xencall::abi::hvm::HvmParam;
        use xencall::abi::memory::DOMID_SELF;
        let xc = open()?;
        // A parameter holding a frame is refused by the safe call, in every
        // mode, before Xen is asked.
        ensure_eq!(
            xc.hvm_set_param(DOMID_SELF, HvmParam::STORE_PFN, 0x1234),
            Err(Error::NamesMemory)
        );
        if boot.guest_mode == GuestMode::Pv {
            // A PV guest has no HVM parameters: Xen refuses with EINVAL
            // (`hvmop_get_param`: not an HVM domain).
            ensure_eq!(
                xc.hvm_get_param(DOMID_SELF, HvmParam::CALLBACK_IRQ),
                Err(Error::Xen(XenErrno::EINVAL))
            );
            skip!("HVM parameters exist for PVH and Arm guests, not PV");
        }
        // dom0 has no xenstore or console ring from a toolstack.
        let store = xc.hvm_get_param(DOMID_SELF, HvmParam::STORE_EVTCHN);
        let console = xc.hvm_get_param(DOMID_SELF, HvmParam::CONSOLE_EVTCHN);
        ensure!(
            store == Ok(0) && console == Ok(0),
            "store {store:?}, console {console:?}"
        );
        if boot.guest_mode == GuestMode::Pvh {
            // x86 only: Arm delivers events on a fixed interrupt.
            xc.hvm_set_param(DOMID_SELF, HvmParam::CALLBACK_IRQ, 0)?;
            ensure_eq!(xc.hvm_get_param(DOMID_SELF, HvmParam::CALLBACK_IRQ)?, 0);
        }
        Ok(())
    }

    fn family_physdev_op(boot: &BootInfo) -> TestResult {
        let xc = open()?;
        if boot.guest_mode != GuestMode::Pv {
            skip!("PHYSDEVOP_set_iopl is for PV guests; PVH and Arm do port I/O natively or not at all");
        }
        xc.physdev_set_iopl(1)?;
        Ok(())
    }

    fn sysctl_physinfo_and_readconsole(_: &BootInfo) -> TestResult {
        let xc = open()?;
        let p = xc.sysctl_physinfo()?;
        ensure!(p.nr_cpus >= 1 && p.threads_per_core >= 1, "{p:?}");
        ensure!(
            p.total_pages >= p.free_pages && p.total_pages > 4096,
            "{p:?}"
        );
        // Xen's console ring holds its own boot log: find the banner.
        let mut ring = xc.buffer_array(64 * 1024, 0u8)?;
        let (n, _) = xc.sysctl_readconsole(&mut ring, None, false)?;
        ensure!(n > 0, "empty console ring");
        let text = &ring[..n];
        let banner = b"Xen version 4.";
        ensure!(
            text.windows(banner.len()).any(|w| w == banner),
            "no banner in {n} bytes of Xen's console ring"
        );
        Ok(())
    }

    fn domctl_and_domain_list(_: &BootInfo) -> TestResult {
        use xencall::abi::domctl::{DomctlCmd, XenDomctlGetdomaininfo};
        use xencall::abi::memory::DOMID_SELF;
        let xc = open()?;
        let info = xc.domctl_getdomaininfo(0)?;
        ensure_eq!(info.domain, 0);
        // One vCPU because of how the runner boots this guest (one QEMU
        // CPU, no `dom0_max_vcpus=`), not a property of the crate.
        ensure!(
            info.nr_online_vcpus == 1,
            "dom0 has {} vCPUs online; the runner boots boot-tests with one",
            info.nr_online_vcpus
        );
        ensure_eq!(info.tot_pages, xc.current_reservation(DOMID_SELF)?);
        let mut list = [XenDomctlGetdomaininfo::default(); 4];
        let n = xc.sysctl_getdomaininfolist(0, &mut list)?;
        ensure!(
            n >= 1 && list[0].domain == 0,
            "{n} domains, first {}",
            list[0].domain
        );
        ensure_eq!(list[0].tot_pages, info.tot_pages);
        // 4.16's version: refused before anything is looked at.
        // SAFETY: getdomaininfo's payload holds no guest handle.
        let old = unsafe {
            xc.domctl(
                DomctlCmd::GETDOMAININFO,
                0x14,
                0,
                XenDomctlGetdomaininfo::default(),
            )
        };
        ensure_eq!(old.err(), Some(Error::Xen(XenErrno::EACCES)));
        Ok(())
    }

    fn boot_info(boot: &BootInfo) -> TestResult {
        ensure!(
            boot.option("xencall-exit") == Some("qemu"),
            "cmdline {:?}",
            boot.cmdline
        );
        ensure!(
            boot.ram_bytes() >= 16 << 20,
            "only {} bytes of RAM in the memory map",
            boot.ram_bytes()
        );
        // Booted by Xen itself: dom0, whose console stays Xen's.
        ensure_eq!(boot.domain_role, xencall::rt::DomainRole::Dom0);
        ensure_eq!(boot.domain_id, Some(0));
        ensure_eq!((boot.console_ring, boot.xenstore_ring), (None, None));
        ensure!(!xencall::rt::pv_console::is_active());
        Ok(())
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("boot-tests is a Xen guest: run it with `cargo qemu test`");
}
