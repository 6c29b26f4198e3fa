//! More vCPUs: start another vCPU of this domain running a Rust function
//! on a stack the caller provides: on x86_64 through
//! `VCPUOP_initialise`/`VCPUOP_up` (an HVM context for PVH, a
//! `vcpu_guest_context` for PV), on aarch64 through PSCI `CPU_ON`.
//!
//! The domain must have the vCPU: dom0 gets as many as Xen's
//! `dom0_max_vcpus=` allows (and the machine has CPUs for).

use core::sync::atomic::{AtomicUsize, Ordering};

use super::BootInfo;
use crate::error::{Error, Result};

/// vCPUs (besides the boot one) that can be started.
pub const MAX_VCPUS: usize = 8;

/// The function each started vCPU runs, stored as an address so it can be
/// handed over without a lock the new vCPU would have to take.
static MAIN: [AtomicUsize; MAX_VCPUS] = [const { AtomicUsize::new(0) }; MAX_VCPUS];

/// A stack for a started vCPU: 64 KiB, and below them a guard page. On
/// x86_64 `start_vcpu` unmaps the guard page, so that an overflow faults
/// (reported as a stack overflow on PVH; on PV Xen crashes the domain)
/// instead of overwriting what lies below; on aarch64 it stays mapped (only
/// the boot stack has an unmapped guard there).
///
/// Guest-only (this module exists for `target_os = "none"`, so the
/// example builds only there); `examples/smp-tests.rs` keeps its stacks
/// this way.
///
/// ```no_run
/// # #[cfg(target_os = "none")]
/// # fn demo() {
/// use xencall::rt::smp::Stack;
///
/// // In `.bss`: 64 KiB of zeroes cost nothing in the image.
/// static mut SECOND_STACK: Stack = Stack::new();
///
/// // SAFETY: handed over once, to one vCPU; nothing else uses it.
/// let stack: &'static mut Stack = unsafe { &mut *core::ptr::addr_of_mut!(SECOND_STACK) };
/// # let _ = stack;
/// # }
/// ```
#[repr(C, align(4096))]
pub struct Stack {
    /// Unmapped once handed to `start_vcpu` (x86_64): never read or
    /// written.
    guard: [u8; GUARD_SIZE],
    /// The stack proper, used from the top down.
    bytes: [u8; 64 * 1024],
}

/// A guard page's size.
const GUARD_SIZE: usize = 4096;

impl Stack {
    /// A zeroed stack (put it in a `static mut`, so it lands in `.bss`).
    ///
    /// Guest-only (this module exists for `target_os = "none"`, so the
    /// example builds only there).
    ///
    /// ```no_run
    /// # #[cfg(target_os = "none")]
    /// # fn demo() {
    /// use xencall::rt::smp::Stack;
    ///
    /// // `const`, so one stack per vCPU is a plain static array.
    /// static mut STACKS: [Stack; 3] = [const { Stack::new() }; 3];
    /// # }
    /// ```
    pub const fn new() -> Stack {
        Stack {
            guard: [0; GUARD_SIZE],
            bytes: [0; 64 * 1024],
        }
    }
}

impl Default for Stack {
    fn default() -> Self {
        Stack::new()
    }
}

/// Start vCPU `vcpu` (1 .. [`MAX_VCPUS`]) running `main(vcpu)` on `stack`;
/// when `main` returns the vCPU takes itself down. Returns once Xen has
/// been asked to run it: `main` starts soon after, concurrently.
///
/// Errors: `EINVAL` for vCPU 0 or one past [`MAX_VCPUS`], or for a `boot`
/// the runtime did not fill (or whose `guest_mode` was changed: the
/// context Xen is given depends on it), `EBUSY` if it
/// was already started, and whatever Xen answers for a vCPU the domain
/// lacks (`ENOENT` on x86; PSCI's `INVALID_PARAMETERS`, as `EINVAL`, on
/// Arm).
///
/// Guest-only (this module exists for `target_os = "none"`, so the
/// example builds only there); `examples/smp-tests.rs` starts vCPU 1 this
/// way and checks the errors.
///
/// ```no_run
/// # #[cfg(target_os = "none")]
/// # fn demo(boot: &xencall::rt::BootInfo) -> xencall::Result<()> {
/// use core::sync::atomic::{AtomicU32, Ordering};
/// use xencall::abi::XenErrno;
/// use xencall::rt::smp::{start_vcpu, Stack};
/// use xencall::Error;
///
/// static mut STACK: Stack = Stack::new();
/// static GREETED: AtomicU32 = AtomicU32::new(0);
///
/// // SAFETY: the stack is handed over once.
/// let stack = unsafe { &mut *core::ptr::addr_of_mut!(STACK) };
/// start_vcpu(boot, 1, stack, |vcpu| GREETED.store(vcpu, Ordering::Release))?;
/// while GREETED.load(Ordering::Acquire) == 0 {
///     core::hint::spin_loop();
/// }
/// // vCPU 0 is the one running this code.
/// static mut OTHER: Stack = Stack::new();
/// // SAFETY: handed over once (and refused before anything runs on it).
/// let other = unsafe { &mut *core::ptr::addr_of_mut!(OTHER) };
/// assert_eq!(start_vcpu(boot, 0, other, |_| {}), Err(Error::Xen(XenErrno::EINVAL)));
/// # Ok(())
/// # }
/// ```
pub fn start_vcpu(
    boot: &BootInfo,
    vcpu: u32,
    stack: &'static mut Stack,
    main: fn(u32),
) -> Result<()> {
    // The kind of context Xen gets follows `boot.guest_mode`: it must be
    // the mode the runtime recorded at entry.
    if boot.entered().map(|e| e.mode) != Some(boot.guest_mode) {
        return Err(Error::Xen(crate::abi::XenErrno::EINVAL));
    }
    let slot = (vcpu as usize)
        .checked_sub(1)
        .filter(|&i| i < MAX_VCPUS)
        .ok_or(Error::Xen(crate::abi::XenErrno::EINVAL))?;
    if MAIN[slot]
        .compare_exchange(0, main as usize, Ordering::AcqRel, Ordering::Acquire)
        .is_err()
    {
        return Err(Error::Xen(crate::abi::XenErrno::EBUSY));
    }
    let guard = stack.guard.as_mut_ptr() as usize;
    let top = stack.bytes.as_mut_ptr() as usize + stack.bytes.len();
    let r = crate::arch::rt::start_vcpu(boot, vcpu, guard, top & !15);
    if r.is_err() {
        MAIN[slot].store(0, Ordering::Release);
    }
    r
}

/// `true` while vCPU `vcpu` runs (x86: `VCPUOP_is_up`; Arm: PSCI
/// `AFFINITY_INFO`, as Xen on Arm has no `VCPUOP_is_up`).
///
/// Guest-only (this module exists for `target_os = "none"`, so the
/// example builds only there); `examples/smp-tests.rs` waits for vCPU 1
/// to go down this way.
///
/// ```no_run
/// # #[cfg(target_os = "none")]
/// # fn demo() -> xencall::Result<()> {
/// use xencall::rt::smp::is_running;
///
/// // After vCPU 1's function returned: it takes itself down soon after.
/// let mut spins = 0;
/// while is_running(1)? && spins < 100_000 {
///     core::hint::spin_loop();
///     spins += 1;
/// }
/// assert!(!is_running(1)?);
/// # Ok(())
/// # }
/// ```
pub fn is_running(vcpu: u32) -> Result<bool> {
    crate::arch::rt::vcpu_running(vcpu)
}

/// Where every started vCPU enters Rust (from the architecture's
/// trampoline), with its number.
#[no_mangle]
extern "C" fn xencall_secondary_main(vcpu: u32) -> ! {
    crate::arch::rt::secondary_init(vcpu);
    let main = (vcpu as usize)
        .checked_sub(1)
        .and_then(|i| MAIN.get(i))
        .map_or(0, |m| m.load(Ordering::Acquire));
    if main != 0 {
        // SAFETY: the slot holds a `fn(u32)` stored by `start_vcpu` before
        // it asked Xen to start this vCPU.
        let main: fn(u32) = unsafe { core::mem::transmute::<usize, fn(u32)>(main) };
        main(vcpu);
    }
    crate::arch::rt::stop_vcpu(vcpu)
}
