//! In-guest tests with two vCPUs (`cargo qemu test` boots this with
//! `-smp 2` and `dom0_max_vcpus=2`): a second vCPU started through the
//! runtime allocates, fills, checks and frees buffers and makes hypercalls
//! through them for a fixed number of rounds, concurrently with the first,
//! and every buffer's contents are checked on both.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod guest {
    use core::sync::atomic::{AtomicU32, AtomicU64, Ordering};

    use xencall::abi::xen_version::XenVersionCmd;
    use xencall::abi::{HypercallOp, XenErrno};
    use xencall::rt::smp::{is_running, start_vcpu, Stack};
    use xencall::rt::testing::{run, TestCase, TestResult};
    use xencall::rt::{BootInfo, GuestMode};
    use xencall::{ensure, ensure_eq, skip, Error, OpenFlags, Xencall};

    xencall::entry!(main);

    fn main(boot: &BootInfo) {
        run(
            boot,
            &[
                TestCase {
                    name: "second_vcpu_allocates_and_calls_concurrently",
                    run: second_vcpu_allocates_and_calls_concurrently,
                },
                TestCase {
                    name: "a_vcpu_the_domain_lacks_is_refused",
                    run: a_vcpu_the_domain_lacks_is_refused,
                },
            ],
        )
    }

    /// Rounds each vCPU runs.
    const ROUNDS: u32 = 300;

    static mut SECOND_STACK: Stack = Stack::new();
    /// Rounds the second vCPU finished; `u32::MAX` marks a failure.
    static SECOND_ROUNDS: AtomicU32 = AtomicU32::new(0);
    /// What went wrong on the second vCPU: round << 32 | check number.
    static SECOND_FAILURE: AtomicU64 = AtomicU64::new(0);
    /// Rounds of the first vCPU, so the second can see they overlap.
    static FIRST_ROUNDS: AtomicU32 = AtomicU32::new(0);
    /// Rounds the first vCPU had done when the second finished its first.
    static OVERLAP: AtomicU32 = AtomicU32::new(u32::MAX);
    /// What `events::block` answered on the second vCPU: 0 not yet, else
    /// one of the `BLOCK_*` values.
    static SECOND_BLOCK: AtomicU32 = AtomicU32::new(0);
    const BLOCK_REFUSED: u32 = 1;
    const BLOCK_OTHER_ERROR: u32 = 2;
    const BLOCK_RETURNED: u32 = 3;

    /// One round: allocate a buffer of 1..=4 pages, fill it with a pattern
    /// unique to (vCPU, round), make two hypercalls through other
    /// buffers, then check every byte of the first before freeing it.
    /// `Err(n)` names the check that failed.
    fn round(xc: &Xencall, vcpu: u32, r: u32) -> Result<(), u32> {
        let pages = 1 + (r as usize + vcpu as usize) % 4;
        let tag = (vcpu * 97 + r) as u8 | 1;
        let big = xc.alloc_buffer_pages(pages).map_err(|_| 1u32)?;
        // SAFETY: a live buffer of `pages` pages, ours until freed below.
        let bytes = unsafe { core::slice::from_raw_parts_mut(big.as_ptr(), pages * 4096) };
        if bytes.iter().any(|&b| b != 0) {
            return Err(2); // handed out dirty: another holder's data
        }
        bytes.fill(tag);
        let extra = xc.buffer([0xffu8; 16]).map_err(|_| 3u32)?;
        // SAFETY: XENVER_extraversion writes 16 bytes into `extra`, a
        // hypercall buffer that outlives the call.
        unsafe {
            xc.call2(
                HypercallOp::XEN_VERSION,
                XenVersionCmd::EXTRAVERSION.0.into(),
                extra.addr(),
            )
        }
        .map_err(|_| 4u32)?;
        if !extra.read().contains(&0) {
            return Err(5); // Xen's string not written or not terminated
        }
        drop(extra);
        // SAFETY: XENVER_version reads and writes no memory.
        let v = unsafe { xc.call2(HypercallOp::XEN_VERSION, XenVersionCmd::VERSION.0.into(), 0) };
        if v.map(|v| v >> 16) != Ok(4) {
            return Err(6);
        }
        if bytes.iter().any(|&b| b != tag) {
            return Err(7); // someone else wrote into our live buffer
        }
        // SAFETY: `big` came from this handle's pool and is not used again.
        unsafe { xc.free_buffer_pages(big.as_ptr(), pages) }.map_err(|_| 8u32)?;
        Ok(())
    }

    fn second(vcpu: u32) {
        let Ok(xc) = Xencall::open(None, OpenFlags::empty()) else {
            SECOND_FAILURE.store(9, Ordering::Release);
            SECOND_ROUNDS.store(u32::MAX, Ordering::Release);
            return;
        };
        for r in 0..ROUNDS {
            if let Err(check) = round(&xc, vcpu, r) {
                SECOND_FAILURE.store(u64::from(r) << 32 | u64::from(check), Ordering::Release);
                SECOND_ROUNDS.store(u32::MAX, Ordering::Release);
                return;
            }
            if r == 0 {
                OVERLAP.store(FIRST_ROUNDS.load(Ordering::Acquire), Ordering::Release);
            }
            SECOND_ROUNDS.store(r + 1, Ordering::Release);
        }
        // Events are delivered to the boot vCPU only (it enabled them):
        // a block here would never end, so it must be refused.
        let answer = match xencall::rt::events::block() {
            Err(Error::Xen(XenErrno::EOPNOTSUPP)) => BLOCK_REFUSED,
            Err(_) => BLOCK_OTHER_ERROR,
            Ok(()) => BLOCK_RETURNED,
        };
        SECOND_BLOCK.store(answer, Ordering::Release);
    }

    fn second_vcpu_allocates_and_calls_concurrently(boot: &BootInfo) -> TestResult {
        let xc = Xencall::open(None, OpenFlags::empty())?;
        let free_before = xc.pool().free_page_count();
        // Events on, for the boot vCPU (the block on the second one must
        // be refused even so).
        let shared = xencall::rt::shared_info::map(boot)?.as_ptr();
        // SAFETY: vCPU 0's vcpu_info in the shared-info page, mapped for
        // the rest of the boot.
        unsafe {
            xencall::rt::events::enable_upcall(
                boot,
                core::ptr::addr_of_mut!((*shared).vcpu_info[0]),
            )?
        };
        // SAFETY: this case runs once, so the stack is handed over once
        // and nothing else uses it.
        let stack = unsafe { &mut *core::ptr::addr_of_mut!(SECOND_STACK) };
        match start_vcpu(boot, 1, stack, second) {
            Err(Error::Xen(XenErrno::EOPNOTSUPP)) => skip!(
                "the runtime cannot start vCPUs in {} mode yet (it needs a full PV \
                 vcpu_guest_context)",
                boot.guest_mode
            ),
            r => r?,
        }
        ensure!(is_running(1)?, "vCPU 1 not running once started");
        // Starting it again is refused and leaves it running.
        static mut OTHER: Stack = Stack::new();
        // SAFETY: used once, by this case; refused before anything runs
        // on it.
        let other = unsafe { &mut *core::ptr::addr_of_mut!(OTHER) };
        ensure_eq!(
            start_vcpu(boot, 1, other, |_| {}),
            Err(Error::Xen(XenErrno::EBUSY))
        );
        for r in 0..ROUNDS {
            if let Err(check) = round(&xc, 0, r) {
                ensure!(false, "vCPU 0, round {r}: check {check} failed");
            }
            detect_again(boot)?;
            FIRST_ROUNDS.store(r + 1, Ordering::Release);
        }
        // The second vCPU runs on its own; give it time (yielding lets Xen
        // run it if both vCPUs share a physical CPU), but not forever.
        let mut waited = 0u32;
        while SECOND_ROUNDS.load(Ordering::Acquire) < ROUNDS && waited < 200_000 {
            xc.sched_yield()?;
            waited += 1;
        }
        let done = SECOND_ROUNDS.load(Ordering::Acquire);
        if done == u32::MAX {
            let f = SECOND_FAILURE.load(Ordering::Acquire);
            ensure!(
                false,
                "vCPU 1, round {}: check {} failed",
                f >> 32,
                f as u32
            );
        }
        ensure_eq!(done, ROUNDS);
        let mut block_wait = 0u32;
        while SECOND_BLOCK.load(Ordering::Acquire) == 0 && block_wait < 200_000 {
            xc.sched_yield()?;
            block_wait += 1;
        }
        xencall::rt::events::disable_upcall()?;
        ensure_eq!(SECOND_BLOCK.load(Ordering::Acquire), BLOCK_REFUSED);
        // Both ran at once: the second began while the first was still
        // inside its rounds. Not a guarantee of the crate or the
        // scheduler: it holds because of how the runner boots this guest
        // (two QEMU CPUs, `dom0_max_vcpus=2`, so each vCPU has its own
        // physical CPU); a value of ROUNDS would mean one after the other.
        let overlap = OVERLAP.load(Ordering::Acquire);
        ensure!(
            overlap < ROUNDS,
            "vCPU 1 started only after vCPU 0 had finished ({overlap} rounds); \
             the runner boots this guest with two CPUs, one per vCPU"
        );
        // It takes itself down when done.
        let mut down_wait = 0u32;
        while is_running(1)? && down_wait < 100_000 {
            xc.sched_yield()?;
            down_wait += 1;
        }
        ensure!(!is_running(1)?, "vCPU 1 still running after finishing");
        ensure_eq!(xc.pool().free_page_count(), free_before);
        Ok(())
    }

    /// Run page-mode detection again while the other vCPU makes calls
    /// through the installed page: it must hand back the page as it is.
    /// (Poisoning it again made the other vCPU's calls return at once with
    /// garbage, failing its checks; seen on PVH.) A PV kernel is refused.
    fn detect_again(boot: &BootInfo) -> TestResult {
        #[cfg(target_arch = "x86_64")]
        {
            use xencall::arch::{native, HypercallMode, Native};
            // SAFETY: the runtime's PVH identity map covers the image
            // (and a PV kernel is refused before anything is installed).
            let again = unsafe { Native::detect(HypercallMode::Page) };
            match (boot.guest_mode, native()?) {
                (GuestMode::Pv, _) => ensure_eq!(again, Err(Error::NoHypervisor)),
                (_, Native::Page(page)) => ensure_eq!(again, Ok(Native::Page(*page))),
                // Direct mode: the first page-mode detection installs the
                // page, later ones reuse it.
                _ => ensure!(matches!(again, Ok(Native::Page(_)))),
            }
        }
        let _ = boot;
        Ok(())
    }

    /// Set by [`refused_main`]: a refused start ran something.
    static REFUSED_RAN: AtomicU32 = AtomicU32::new(0);

    /// The function handed to every start that must be refused.
    fn refused_main(vcpu: u32) {
        REFUSED_RAN.store(vcpu | 0x8000_0000, Ordering::Release);
    }

    /// Give a wrongly started vCPU time to run `refused_main`, then check
    /// it never did.
    fn nothing_ran(xc: &Xencall) -> TestResult {
        for _ in 0..2000 {
            xc.sched_yield()?;
        }
        let ran = REFUSED_RAN.load(Ordering::Acquire);
        ensure!(ran == 0, "a refused start ran on vCPU {}", ran & 0xff);
        Ok(())
    }

    fn a_vcpu_the_domain_lacks_is_refused(boot: &BootInfo) -> TestResult {
        let xc = Xencall::open(None, OpenFlags::empty())?;
        static mut SPARE: Stack = Stack::new();
        // SAFETY: used once, by this case.
        let stack = unsafe { &mut *core::ptr::addr_of_mut!(SPARE) };
        // dom0 has two vCPUs (dom0_max_vcpus=2): 0 and 1. Xen answers
        // ENOENT on x86; Arm's PSCI answers INVALID_PARAMETERS (EINVAL).
        let missing = if boot.guest_mode == GuestMode::Arm {
            XenErrno::EINVAL
        } else {
            XenErrno::ENOENT
        };
        match start_vcpu(boot, 5, stack, refused_main) {
            Err(Error::Xen(XenErrno::EOPNOTSUPP)) => {
                skip!(
                    "the runtime cannot start vCPUs in {} mode yet",
                    boot.guest_mode
                )
            }
            r => ensure_eq!(r, Err(Error::Xen(missing))),
        }
        // Its slot was freed again: a second try gets Xen's answer again,
        // not EBUSY (the slot kept taken).
        static mut SPARE_AGAIN: Stack = Stack::new();
        // SAFETY: used once, by this case.
        let stack = unsafe { &mut *core::ptr::addr_of_mut!(SPARE_AGAIN) };
        ensure_eq!(
            start_vcpu(boot, 5, stack, refused_main),
            Err(Error::Xen(missing))
        );
        // Past the runtime's MAX_VCPUS: refused before Xen is asked (x86
        // Xen would answer ENOENT, Arm's PSCI INVALID_PARAMETERS).
        static mut SPARE_PAST: Stack = Stack::new();
        // SAFETY: used once, by this case.
        let stack = unsafe { &mut *core::ptr::addr_of_mut!(SPARE_PAST) };
        let past = xencall::rt::smp::MAX_VCPUS as u32 + 1;
        ensure_eq!(
            start_vcpu(boot, past, stack, refused_main),
            Err(Error::Xen(XenErrno::EINVAL))
        );
        static mut SPARE_TOO: Stack = Stack::new();
        // SAFETY: used once, by this case.
        let stack = unsafe { &mut *core::ptr::addr_of_mut!(SPARE_TOO) };
        // vCPU 0 is the one running this: refused before Xen is asked.
        ensure_eq!(
            start_vcpu(boot, 0, stack, refused_main),
            Err(Error::Xen(XenErrno::EINVAL))
        );
        static mut SPARE_THREE: Stack = Stack::new();
        // SAFETY: used once, by this case.
        let stack = unsafe { &mut *core::ptr::addr_of_mut!(SPARE_THREE) };
        // A `BootInfo` the runtime did not fill (here: claiming the other
        // x86 mode, whose context Xen would be given) is refused before
        // Xen is asked.
        let other = if boot.guest_mode == GuestMode::Pv {
            GuestMode::Pvh
        } else {
            GuestMode::Pv
        };
        let made_up = BootInfo::new(other, boot.raw);
        ensure_eq!(
            start_vcpu(&made_up, 1, stack, refused_main),
            Err(Error::Xen(XenErrno::EINVAL))
        );
        // Nothing started: no refused start ran its function, and vCPU 1
        // (the first case's, taken down when it finished) is not running.
        nothing_ran(&xc)?;
        ensure!(
            !is_running(1)?,
            "vCPU 1 running after a refused start of it"
        );
        Ok(())
    }
}

/// On the host this example is an empty program; it runs as a guest.
#[cfg(not(target_os = "none"))]
fn main() {}
