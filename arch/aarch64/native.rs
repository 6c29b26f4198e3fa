//! The aarch64 backend a handle uses by default.

use super::hvc::Hvc;
use crate::arch::HypercallMode;
use crate::backend::Backend;
use crate::error::{Error, Result};

/// The hypercall mechanism in use: on Arm always `hvc #0xEA1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Native {
    /// `hvc #0xEA1` inline.
    Hvc(Hvc),
}

impl Native {
    /// Find Xen without a device tree: at EL1 on a CPU with EL2, ask the
    /// hypervisor for its SMCCC "Call UID" (`hvc #0`, function
    /// 0x8500ff01) and compare Xen's. Arm has one mechanism, `hvc
    /// #0xEA1`, whatever `mode` says. [`Error::NoHypervisor`] without EL2,
    /// at another exception level, or under another hypervisor. (One
    /// configuration faults instead: EL2 present but `hvc` disabled by its
    /// firmware, where `hvc` is undefined.)
    ///
    /// This is how the C drop-in's `xencall_open` finds Xen, having no
    /// device tree to read; the boot runtime reads the tree's `xen,xen`
    /// node instead and registers the backend with
    /// [`set_native`](crate::arch::set_native).
    ///
    /// ```no_run
    /// use xencall::arch::{HypercallMode, Native};
    /// use xencall::Error;
    ///
    /// match Native::detect_direct() {
    ///     Ok(native) => assert_eq!(native.mode(), HypercallMode::Direct),
    ///     Err(Error::NoHypervisor) => println!("not under Xen"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn detect_direct() -> Result<Native> {
        if super::smccc::xen_present() {
            // SAFETY: Xen answered its UID: this is EL1 under Xen.
            Ok(unsafe { Native::assume_xen() })
        } else {
            Err(Error::NoHypervisor)
        }
    }

    /// [`detect_direct`](Self::detect_direct), whatever `mode` says: Arm
    /// has one mechanism. The same signature as on x86_64, where the page
    /// mode needs the caller's promise, so portable code reads the same.
    ///
    /// # Safety
    /// Nothing beyond what `detect_direct` asks: on Arm no memory is handed
    /// to Xen.
    ///
    /// ```no_run
    /// use xencall::arch::{HypercallMode, Native};
    ///
    /// // SAFETY: on Arm, detection hands Xen no memory.
    /// let native = unsafe { Native::detect(HypercallMode::Page) }?;
    /// assert_eq!(native, Native::detect_direct()?);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub unsafe fn detect(_mode: HypercallMode) -> Result<Native> {
        Native::detect_direct()
    }

    /// The backend for a guest known to run under Xen.
    ///
    /// # Safety
    /// The caller must run at EL1 under Xen.
    ///
    /// ```no_run
    /// use xencall::arch::{set_native, HypercallMode, Native};
    ///
    /// // SAFETY: the device tree has a `xen,xen` node: this is EL1 under Xen.
    /// let native = set_native(unsafe { Native::assume_xen() });
    /// assert_eq!(native.mode(), HypercallMode::Direct);
    /// ```
    pub const unsafe fn assume_xen() -> Native {
        // SAFETY: forwarded contract.
        Native::Hvc(unsafe { Hvc::new() })
    }

    /// The mode in use: always [`HypercallMode::Direct`].
    ///
    /// ```no_run
    /// use xencall::arch::{native, HypercallMode};
    ///
    /// // Under the boot runtime, which registered the backend at entry.
    /// assert_eq!(native()?.mode(), HypercallMode::Direct);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn mode(&self) -> HypercallMode {
        HypercallMode::Direct
    }

    /// The mechanism's name: `hvc`. The boot runtime's test framework
    /// reports it (`xencall-test: info backend=hvc`).
    ///
    /// ```no_run
    /// use xencall::arch::native;
    ///
    /// assert_eq!(native()?.name(), "hvc");
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn name(&self) -> &'static str {
        "hvc"
    }
}

impl Backend for Native {
    #[inline(always)]
    unsafe fn call0(&self, op: u64) -> u64 {
        let Native::Hvc(b) = self;
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { b.call0(op) }
    }
    #[inline(always)]
    unsafe fn call1(&self, op: u64, a1: u64) -> u64 {
        let Native::Hvc(b) = self;
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { b.call1(op, a1) }
    }
    #[inline(always)]
    unsafe fn call2(&self, op: u64, a1: u64, a2: u64) -> u64 {
        let Native::Hvc(b) = self;
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { b.call2(op, a1, a2) }
    }
    #[inline(always)]
    unsafe fn call3(&self, op: u64, a1: u64, a2: u64, a3: u64) -> u64 {
        let Native::Hvc(b) = self;
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { b.call3(op, a1, a2, a3) }
    }
    #[inline(always)]
    unsafe fn call4(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> u64 {
        let Native::Hvc(b) = self;
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { b.call4(op, a1, a2, a3, a4) }
    }
    #[inline(always)]
    unsafe fn call5(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64 {
        let Native::Hvc(b) = self;
        // SAFETY: forwarded; the caller upholds the contract.
        unsafe { b.call5(op, a1, a2, a3, a4, a5) }
    }
}
