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
    /// Arm has no safe probe for Xen (`hvc` with no hypervisor is an
    /// undefined instruction), so this refuses with
    /// [`Error::NoHypervisor`]. The boot runtime finds Xen in the device
    /// tree (the `xen,xen` node) and registers the backend with
    /// [`set_native`](crate::arch::set_native); other runtimes do the same
    /// with [`Native::assume_xen`].
    ///
    /// ```
    /// use xencall::arch::{HypercallMode, Native};
    /// use xencall::Error;
    ///
    /// // No probe on Arm: detection refuses, in either mode.
    /// assert_eq!(Native::detect(HypercallMode::Direct), Err(Error::NoHypervisor));
    /// assert_eq!(Native::detect(HypercallMode::Page), Err(Error::NoHypervisor));
    /// ```
    pub fn detect(_mode: HypercallMode) -> Result<Native> {
        Err(Error::NoHypervisor)
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
