//! In-guest hypercall benchmark, booted by `cargo qemu bench` in every
//! mode: the cost of a null-ish hypercall (`xen_version(XENVER_version)`)
//! made through the crate's API and through a hand-written inline-asm
//! baseline, interleaved so that drift in the host's speed hits both.
//!
//! Time is the CPU's own counter (TSC on x86_64, `CNTVCT_EL0` on Arm).
//! Under QEMU's `-icount shift=0,sleep=off` that counter advances with
//! the guest's instructions, so figures repeat run to run.
//!
//! Output, one line per figure (read by `cargo qemu bench`):
//!
//! ```text
//! xencall-bench: hypercall mode=pvh-page backend=page calls=10000 crate=5123.4 baseline=5110.2 ratio=1.0026 ticks_per_us=1000.0 rate_from=cpuid rounds_ratio_min=... rounds_ratio_max=...
//! xencall-bench: op=xencall2 batches=31 per_batch=64 median=5120.0 min=5101.3 mean=5150.2 ticks_per_us=1000.000
//! xencall-bench: done
//! ```
//!
//! The `op=` lines are the operations `cargo qemu bench` sets against
//! libxencall in a Linux dom0 (`qemu-tests/src/dom0/libxencall-bench.c`
//! runs the same loops and prints the same line with its own prefix):
//! `xencall2` (XENVER_version), `alloc-free-page` (one page allocated and
//! freed), `multicall-kK` (a multicall of K XENVER_version entries, per
//! hypercall in it). Each figure is ticks per operation in a batch,
//! median (and minimum) over the batches: a batch that an interrupt or
//! another domain ran into stands out instead of moving the figure.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod guest {
    use xencall::abi::xen_version::XenVersionCmd;
    use xencall::abi::HypercallOp;
    use xencall::rt::BootInfo;
    use xencall::{println, OpenFlags, Xencall};

    xencall::entry!(main);

    /// Rounds of interleaved batches; each round times one batch through
    /// the crate and one through the baseline, alternating which goes
    /// first.
    const ROUNDS: usize = 40;
    /// Calls per batch.
    const BATCH: usize = 250;

    fn main(boot: &BootInfo) {
        let xc = match Xencall::open(None, OpenFlags::empty()) {
            Ok(xc) => xc,
            Err(e) => {
                println!("bench: cannot open xencall: {e}");
                xencall::rt::exit(xencall::rt::ExitStatus::Failure);
            }
        };
        let mode = match boot.hypercall_mode {
            Some(m) => m,
            None => {
                println!("bench: no hypercall mode");
                xencall::rt::exit(xencall::rt::ExitStatus::Failure);
            }
        };
        let cmd = u64::from(XenVersionCmd::VERSION.0);
        let through_crate = || {
            // SAFETY: XENVER_version reads and writes no guest memory.
            let r = unsafe { xc.call2(HypercallOp::XEN_VERSION, cmd, 0) };
            core::hint::black_box(r.is_ok())
        };
        // Chosen once, as the crate chooses its backend once.
        let trap = baseline::Trap::for_mode(mode);
        let through_baseline =
            || core::hint::black_box(baseline::xen_version(trap, cmd) >> 16 == 4);

        // The two must agree before their cost means anything.
        let expected = through_crate();
        let raw = baseline::xen_version(trap, cmd);
        if !expected || raw >> 16 != 4 {
            println!("bench: the baseline answered {raw:#x}: not Xen 4.x");
            xencall::rt::exit(xencall::rt::ExitStatus::Failure);
        }
        // Warm caches and TLBs (and QEMU's translation blocks).
        for _ in 0..BATCH {
            through_crate();
            through_baseline();
        }

        let (mut crate_total, mut baseline_total) = (0u64, 0u64);
        let (mut ratio_min, mut ratio_max) = (f64::MAX, 0f64);
        for round in 0..ROUNDS {
            let time = |f: &dyn Fn() -> bool| {
                let t0 = counter::now();
                for _ in 0..BATCH {
                    f();
                }
                counter::now().wrapping_sub(t0)
            };
            let (c, b) = if round % 2 == 0 {
                let c = time(&through_crate);
                (c, time(&through_baseline))
            } else {
                let b = time(&through_baseline);
                (time(&through_crate), b)
            };
            crate_total += c;
            baseline_total += b;
            let r = c as f64 / b.max(1) as f64;
            ratio_min = ratio_min.min(r);
            ratio_max = ratio_max.max(r);
        }
        let calls = (ROUNDS * BATCH) as f64;
        let (ticks_per_us, rate_from) = counter::ticks_per_us(boot);
        println!(
            "xencall-bench: hypercall mode={} backend={} calls={} crate={:.1} baseline={:.1} \
             ratio={:.4} ticks_per_us={:.3} rate_from={rate_from} rounds_ratio_min={:.4} \
             rounds_ratio_max={:.4}",
            mode_name(boot, mode),
            xencall::arch::native().map_or("none", |n| n.name()),
            ROUNDS * BATCH,
            crate_total as f64 / calls,
            baseline_total as f64 / calls,
            crate_total as f64 / baseline_total.max(1) as f64,
            ticks_per_us.unwrap_or(0.0),
            ratio_min,
            ratio_max,
        );
        ops::run(&xc, ticks_per_us.unwrap_or(0.0));
        println!("xencall-bench: done");
    }

    /// Cost per operation of the calls a libxencall user makes, batch by
    /// batch; the same loops as `libxencall-bench.c`.
    mod ops {
        use super::counter;
        use xencall::abi::multicall::MulticallEntry;
        use xencall::abi::xen_version::XenVersionCmd;
        use xencall::abi::HypercallOp;
        use xencall::hypercalls::entry_result;
        use xencall::{println, Xencall};

        /// Batches per figure (odd: the median is one batch).
        const BATCHES: usize = 31;
        /// Hypercalls per batch: a multicall of K entries runs 64 / K
        /// times, so every batch makes 64 hypercalls' worth of work.
        const PER_BATCH: usize = 64;
        /// Multicall sizes measured for the batching guidance.
        pub const KS: [usize; 6] = [1, 2, 4, 8, 16, 64];

        fn fail(what: &str, e: xencall::Error) -> ! {
            println!("bench: {what}: {e}");
            xencall::rt::exit(xencall::rt::ExitStatus::Failure);
        }

        /// Time `BATCHES` batches of `reps` calls of `f`, each doing
        /// `per_call` operations, and print the per-operation figures.
        fn measure(
            name: &dyn core::fmt::Display,
            reps: usize,
            per_call: usize,
            rate: f64,
            f: &mut dyn FnMut(),
        ) {
            // Warm caches, TLBs and QEMU's translation blocks.
            for _ in 0..reps {
                f();
            }
            let mut batches = [0u64; BATCHES];
            for b in batches.iter_mut() {
                let t0 = counter::now();
                for _ in 0..reps {
                    f();
                }
                *b = counter::now().wrapping_sub(t0);
            }
            let total: u64 = batches.iter().sum();
            batches.sort_unstable();
            let ops = (reps * per_call) as f64;
            println!(
                "xencall-bench: op={name} batches={BATCHES} per_batch={} median={:.1} min={:.1} \
                 mean={:.1} ticks_per_us={rate:.3}",
                reps * per_call,
                batches[BATCHES / 2] as f64 / ops,
                batches[0] as f64 / ops,
                total as f64 / (ops * BATCHES as f64),
            );
        }

        pub fn run(xc: &Xencall, rate: f64) {
            let version = u64::from(XenVersionCmd::VERSION.0);
            measure(&"xencall2", PER_BATCH, 1, rate, &mut || {
                // SAFETY: XENVER_version reads and writes no guest memory.
                let r = unsafe { xc.call2(HypercallOp::XEN_VERSION, version, 0) };
                if let Err(e) = core::hint::black_box(r) {
                    fail("xen_version", e);
                }
            });
            measure(&"alloc-free-page", PER_BATCH, 1, rate, &mut || {
                let page = match xc.alloc_buffer_pages(1) {
                    Ok(p) => core::hint::black_box(p),
                    Err(e) => fail("alloc_buffer_pages(1)", e),
                };
                // SAFETY: the page was just allocated and is not used again.
                if let Err(e) = unsafe { xc.free_buffer_pages(page.as_ptr(), 1) } {
                    fail("free_buffer_pages", e);
                }
            });
            let entry = MulticallEntry {
                op: HypercallOp::XEN_VERSION.0.into(),
                args: [version, 0, 0, 0, 0, 0],
                result: 0,
            };
            for k in KS {
                let mut entries = [entry; 64];
                measure(
                    &format_args!("multicall-k{k}"),
                    PER_BATCH / k,
                    k,
                    rate,
                    &mut || {
                        let batch = &mut entries[..k];
                        // SAFETY: XENVER_version takes no buffer.
                        if let Err(e) = unsafe { xc.multicall(batch) } {
                            fail("multicall", e);
                        }
                        // Every entry ran: its result is Xen's version.
                        if let Err(e) = entry_result(&batch[k - 1]) {
                            fail("multicall entry", e);
                        }
                    },
                );
            }
        }
    }

    fn mode_name(boot: &BootInfo, mode: xencall::arch::HypercallMode) -> &'static str {
        use xencall::arch::HypercallMode;
        use xencall::rt::GuestMode;
        match (boot.guest_mode, mode) {
            (GuestMode::Pv, _) => "pv-page",
            (GuestMode::Arm, _) => "arm-hvc",
            (_, HypercallMode::Page) => "pvh-page",
            (_, HypercallMode::Direct) => "pvh-direct",
        }
    }

    /// The bare instruction, written here rather than taken from the
    /// crate, with the register contract of Xen's hypercall ABI.
    #[cfg(target_arch = "x86_64")]
    mod baseline {
        use xencall::arch::HypercallMode;

        extern "C" {
            /// The page the crate's runtime installs (PVH) or Xen fills (PV).
            static xencall_hypercall_page: [u8; 4096];
        }

        /// Which instruction reaches Xen.
        #[derive(Clone, Copy)]
        pub enum Trap {
            /// `call` into the hypercall page.
            Page,
            /// Intel's `vmcall`.
            Vmcall,
            /// AMD's and Hygon's `vmmcall`.
            Vmmcall,
        }

        impl Trap {
            /// The trap the crate uses in `mode`.
            pub fn for_mode(mode: HypercallMode) -> Trap {
                match mode {
                    HypercallMode::Page => Trap::Page,
                    HypercallMode::Direct => {
                        // SAFETY: CPUID is available on every x86_64 CPU.
                        // (Safe to call in newer Rust, unsafe in older.)
                        #[allow(unused_unsafe)]
                        let v = unsafe { core::arch::x86_64::__cpuid(0) };
                        let amd = [*b"Auth", *b"Hygo"].map(u32::from_le_bytes);
                        if amd.contains(&v.ebx) {
                            Trap::Vmmcall
                        } else {
                            Trap::Vmcall
                        }
                    }
                }
            }
        }

        /// `xen_version(cmd, NULL)`: op 17.
        #[inline(always)]
        pub fn xen_version(trap: Trap, cmd: u64) -> u64 {
            let ret: u64;
            // The direct instruction with op 17 in rax, the same registers
            // in and out as the page stub.
            macro_rules! direct {
                ($insn:literal) => {
                    core::arch::asm!(
                        $insn,
                        inout("rax") 17u64 => ret,
                        inout("rdi") cmd => _,
                        inout("rsi") 0u64 => _,
                        out("rdx") _, out("r10") _, out("r8") _, out("r9") _,
                        out("rcx") _, out("r11") _,
                        options(nostack),
                    )
                };
            }
            match trap {
                // SAFETY: XENVER_version reads and writes no memory; the
                // page holds Xen's stubs in page mode. The stub is called,
                // so the stack is used (no `nostack`); it clobbers what a
                // hypercall clobbers: the argument registers, r9, and
                // rcx/r11 (PV's syscall).
                Trap::Page => unsafe {
                    core::arch::asm!(
                        "call {page} + 17 * 32",
                        page = sym xencall_hypercall_page,
                        lateout("rax") ret,
                        inout("rdi") cmd => _,
                        inout("rsi") 0u64 => _,
                        out("rdx") _, out("r10") _, out("r8") _, out("r9") _,
                        out("rcx") _, out("r11") _,
                    )
                },
                // SAFETY: as above; only chosen in PVH direct mode, with the
                // instruction of the CPU's vendor, where it traps to Xen.
                // No stack use.
                Trap::Vmcall => unsafe { direct!("vmcall") },
                // SAFETY: as for `vmcall`, on AMD/Hygon.
                Trap::Vmmcall => unsafe { direct!("vmmcall") },
            }
            ret
        }
    }

    #[cfg(target_arch = "aarch64")]
    mod baseline {
        use xencall::arch::HypercallMode;

        /// Arm has one way in.
        #[derive(Clone, Copy)]
        pub struct Trap;

        impl Trap {
            /// `hvc` whatever the mode.
            pub fn for_mode(_: HypercallMode) -> Trap {
                Trap
            }
        }

        /// `xen_version(cmd, NULL)`: op 17 in x16, `hvc #0xEA1`.
        #[inline(always)]
        pub fn xen_version(_: Trap, cmd: u64) -> u64 {
            let ret: u64;
            // SAFETY: XENVER_version reads and writes no memory; the hvc
            // clobbers the argument registers and x16, and no stack.
            unsafe {
                core::arch::asm!(
                    "hvc #0xEA1",
                    inout("x16") 17u64 => _,
                    inout("x0") cmd => ret,
                    inout("x1") 0u64 => _,
                    out("x2") _, out("x3") _, out("x4") _,
                    options(nostack),
                )
            };
            ret
        }
    }

    /// The CPU's cycle/tick counter and its rate.
    #[cfg(target_arch = "x86_64")]
    mod counter {
        #[inline(always)]
        pub fn now() -> u64 {
            // SAFETY: RDTSC is unprivileged and Xen does not trap it for
            // dom0 by default; `_rdtsc` has no memory effects.
            unsafe { core::arch::x86_64::_rdtsc() }
        }

        /// The TSC rate, and where it came from: Xen's CPUID leaf base+3
        /// (the guest TSC rate in kHz) where the guest sees Xen's leaves;
        /// otherwise the boot vCPU's `vcpu_time_info` (the pvclock scale
        /// Xen keeps for it). A PV guest's plain CPUID is not trapped by
        /// Xen here (QEMU's TCG has no CPUID faulting), so it reads QEMU's
        /// leaves, not Xen's.
        pub fn ticks_per_us(boot: &xencall::rt::BootInfo) -> (Option<f64>, &'static str) {
            match cpuid_rate() {
                Some(rate) => (Some(rate), "cpuid"),
                None => (time_info_rate(boot), "vcpu_time_info"),
            }
        }

        /// ns = ((ticks << shift) * mul) >> 32, so a microsecond is
        /// 1000 * 2^32 / (mul * 2^shift) ticks.
        fn time_info_rate(boot: &xencall::rt::BootInfo) -> Option<f64> {
            use core::ptr::addr_of;
            let page = xencall::rt::shared_info::map(boot).ok()?.as_ptr();
            // SAFETY: the shared-info page is mapped for the rest of the
            // boot; Xen writes it concurrently, hence volatile reads.
            let (mul, shift) = unsafe {
                let time = addr_of!((*page).vcpu_info[0].time);
                (
                    addr_of!((*time).tsc_to_system_mul).read_volatile(),
                    addr_of!((*time).tsc_shift).read_volatile(),
                )
            };
            if mul == 0 {
                return None;
            }
            // No `powi` without std: scale by the shift as an integer.
            let scale = (1u64 << shift.unsigned_abs().min(31)) as f64;
            let mut ns_per_tick = f64::from(mul) / 4_294_967_296.0;
            if shift >= 0 {
                ns_per_tick *= scale;
            } else {
                ns_per_tick /= scale;
            }
            Some(1000.0 / ns_per_tick)
        }

        fn cpuid_rate() -> Option<f64> {
            for base in (0x4000_0000u32..0x4001_0000).step_by(0x100) {
                // SAFETY: CPUID is available; hypervisor leaves answer
                // zeros when absent.
                #[allow(unused_unsafe)]
                let id = unsafe { core::arch::x86_64::__cpuid(base) };
                let sig = [id.ebx, id.ecx, id.edx];
                if sig.map(u32::to_le_bytes).concat() == *b"XenVMMXenVMM" {
                    // SAFETY: as above; leaf base+3 exists (max leaf >= 3
                    // on every Xen since 4.0).
                    #[allow(unused_unsafe)]
                    let tsc = unsafe { core::arch::x86_64::__cpuid_count(base + 3, 0) };
                    return (tsc.ecx != 0).then(|| f64::from(tsc.ecx) / 1000.0);
                }
            }
            None
        }
    }

    #[cfg(target_arch = "aarch64")]
    mod counter {
        use aarch64_cpu::registers::{Readable, CNTFRQ_EL0, CNTVCT_EL0};

        #[inline(always)]
        pub fn now() -> u64 {
            // An ISB keeps the read from being hoisted above the work.
            aarch64_cpu::asm::barrier::isb(aarch64_cpu::asm::barrier::SY);
            CNTVCT_EL0.get()
        }

        pub fn ticks_per_us(_: &xencall::rt::BootInfo) -> (Option<f64>, &'static str) {
            let hz = CNTFRQ_EL0.get();
            ((hz != 0).then(|| hz as f64 / 1e6), "cntfrq")
        }
    }
}

/// On the host this example is an empty program; it runs as a guest.
#[cfg(not(target_os = "none"))]
fn main() {}
