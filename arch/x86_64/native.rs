//! The x86_64 backend a handle uses by default: the mode chosen at start-up.

use super::cpuid::{cpu_vendor, XenCpuid};
use super::direct::{Vmcall, Vmmcall};
use super::hypercall_page::HypercallPage;
use super::privilege::{current_privilege_level, hvm_instructions_allowed};
use crate::arch::HypercallMode;
use crate::backend::Backend;
use crate::error::{Error, Result};

/// The hypercall mechanism in use on this machine.
///
/// ```no_run
/// use xencall::arch::{HypercallMode, Native};
/// use xencall::{OpenFlags, Xencall};
///
/// // An HVM/PVH guest choosing `vmcall`/`vmmcall` for one handle.
/// let direct = Native::detect_direct()?;
/// assert!(matches!(direct, Native::Vmcall(_) | Native::Vmmcall(_)));
/// assert_eq!(direct.mode(), HypercallMode::Direct);
/// let xc = Xencall::with_backend(direct, None, OpenFlags::empty());
/// println!("Xen {}", xc.xen_version()?);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Native {
    /// Through a hypercall page (installed, or placed by Xen for PV).
    Page(HypercallPage),
    /// `vmcall` inline.
    Vmcall(Vmcall),
    /// `vmmcall` inline.
    Vmmcall(Vmmcall),
}

impl Native {
    /// Find Xen through CPUID and use `vmcall` or `vmmcall` (by CPU
    /// vendor) inline: the mechanism that hands Xen no memory, so the one
    /// safe code may set up on its own ([`arch::native`](crate::arch::native)
    /// uses it when no runtime registered a backend). Since XSA-466 it is
    /// also the safer choice for HVM/PVH guests.
    ///
    /// Refused with [`Error::NoHypervisor`] unless the CPU runs at
    /// privilege level 0, before CPUID is asked: a 64-bit PV kernel runs in
    /// ring 3, where `vmcall`/`vmmcall` raise #UD, yet with CPUID faulting
    /// Xen shows it its leaves too. PV guests get their page from Xen: use
    /// [`HypercallPage::from_filled`] and
    /// [`set_native`](crate::arch::set_native).
    ///
    /// ```no_run
    /// use xencall::arch::{HypercallMode, Native};
    /// use xencall::{Error, OpenFlags, Xencall};
    ///
    /// match Native::detect_direct() {
    ///     Ok(native) => {
    ///         assert_eq!(native.mode(), HypercallMode::Direct);
    ///         let xc = Xencall::with_backend(native, None, OpenFlags::empty());
    ///         println!("Xen {}", xc.xen_version()?);
    ///     }
    ///     // Bare metal, another hypervisor, or a PV guest.
    ///     Err(Error::NoHypervisor) => println!("no HVM/PVH Xen here"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn detect_direct() -> Result<Native> {
        hvm_instructions_allowed(current_privilege_level())?;
        XenCpuid::detect().ok_or(Error::NoHypervisor)?;
        Ok(Native::direct_for_vendor())
    }

    /// Find Xen through CPUID and set up `mode` for an HVM/PVH guest: for
    /// [`HypercallMode::Page`] install the crate's own page (a page Xen
    /// already filled is used as it is, never poisoned again under other
    /// vCPUs' calls), for [`HypercallMode::Direct`] what
    /// [`detect_direct`](Self::detect_direct) gives.
    ///
    /// Refused with [`Error::NoHypervisor`] outside ring 0, as
    /// [`detect_direct`](Self::detect_direct).
    ///
    /// # Safety
    /// With [`HypercallMode::Page`], Xen is asked (through the CPUID
    /// advertised MSR) to write its 4 KiB of stubs at the guest frame of
    /// the crate's page's *virtual* address: that address must be the
    /// page's guest-physical address (an identity map of the image, as the
    /// boot runtime builds), or Xen writes over whatever page has that
    /// frame. [`HypercallMode::Direct`] asks nothing more than
    /// `detect_direct`.
    ///
    /// ```no_run
    /// use xencall::arch::{HypercallMode, Native};
    /// use xencall::Error;
    ///
    /// // SAFETY: (a guest of the boot runtime) the image is identity-mapped.
    /// match unsafe { Native::detect(HypercallMode::Page) } {
    ///     Ok(native) => assert!(matches!(native, Native::Page(_))),
    ///     Err(Error::NoHypervisor) => println!("no HVM/PVH Xen here"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok::<(), xencall::Error>(())
    /// ```
    ///
    /// Installing the page is not safe code's to do (it was, before):
    ///
    /// ```compile_fail,E0133
    /// use xencall::arch::{HypercallMode, Native};
    /// let page = Native::detect(HypercallMode::Page);
    /// ```
    pub unsafe fn detect(mode: HypercallMode) -> Result<Native> {
        match mode {
            HypercallMode::Direct => Native::detect_direct(),
            HypercallMode::Page => {
                hvm_instructions_allowed(current_privilege_level())?;
                let xen = XenCpuid::detect().ok_or(Error::NoHypervisor)?;
                // SAFETY: Xen's CPUID signature is present and the CPU runs
                // at CPL 0: an HVM/PVH guest's kernel. The crate's page is
                // its own, and this function's contract is that its
                // virtual address is its guest-physical one; `install_own`
                // leaves a page Xen already filled alone.
                Ok(Native::Page(unsafe { HypercallPage::install_own(&xen)? }))
            }
        }
    }

    /// The direct instruction for this CPU's vendor.
    fn direct_for_vendor() -> Native {
        if cpu_vendor().uses_vmmcall() {
            // SAFETY: only called after Xen's CPUID signature was found,
            // and the vendor uses SVM.
            Native::Vmmcall(unsafe { Vmmcall::new() })
        } else {
            // SAFETY: as above, and the vendor uses VMX.
            Native::Vmcall(unsafe { Vmcall::new() })
        }
    }

    /// The mode in use.
    ///
    /// ```no_run
    /// use xencall::arch::{native, HypercallMode, Native};
    ///
    /// let n = native()?;
    /// // A page Xen placed (PV) or one installed (HVM/PVH): both `Page`.
    /// assert_eq!(n.mode() == HypercallMode::Page, matches!(n, Native::Page(_)));
    /// println!("xencall-hypercall={}", n.mode());
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn mode(&self) -> HypercallMode {
        match self {
            Native::Page(_) => HypercallMode::Page,
            Native::Vmcall(_) | Native::Vmmcall(_) => HypercallMode::Direct,
        }
    }

    /// The mechanism's name: `page`, `vmcall` or `vmmcall`. The boot
    /// runtime's test framework reports it (`xencall-test: info
    /// backend=...`), so a runner can check that a boot asked for direct
    /// calls really makes them.
    ///
    /// ```
    /// use xencall::arch::{HypercallMode, Native, Vmmcall};
    ///
    /// // SAFETY: only named here, never called.
    /// let amd = Native::Vmmcall(unsafe { Vmmcall::new() });
    /// assert_eq!((amd.name(), amd.mode()), ("vmmcall", HypercallMode::Direct));
    /// ```
    pub fn name(&self) -> &'static str {
        match self {
            Native::Page(_) => "page",
            Native::Vmcall(_) => "vmcall",
            Native::Vmmcall(_) => "vmmcall",
        }
    }
}

macro_rules! dispatch {
    ($self:ident, $method:ident($($arg:ident),*)) => {
        match $self {
            Native::Page(b) => {
                // SAFETY: forwarded; the caller upholds the contract.
                unsafe { b.$method($($arg),*) }
            }
            Native::Vmcall(b) => {
                // SAFETY: forwarded; the caller upholds the contract.
                unsafe { b.$method($($arg),*) }
            }
            Native::Vmmcall(b) => {
                // SAFETY: forwarded; the caller upholds the contract.
                unsafe { b.$method($($arg),*) }
            }
        }
    };
}

impl Backend for Native {
    #[inline(always)]
    unsafe fn call0(&self, op: u64) -> u64 {
        dispatch!(self, call0(op))
    }
    #[inline(always)]
    unsafe fn call1(&self, op: u64, a1: u64) -> u64 {
        dispatch!(self, call1(op, a1))
    }
    #[inline(always)]
    unsafe fn call2(&self, op: u64, a1: u64, a2: u64) -> u64 {
        dispatch!(self, call2(op, a1, a2))
    }
    #[inline(always)]
    unsafe fn call3(&self, op: u64, a1: u64, a2: u64, a3: u64) -> u64 {
        dispatch!(self, call3(op, a1, a2, a3))
    }
    #[inline(always)]
    unsafe fn call4(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> u64 {
        dispatch!(self, call4(op, a1, a2, a3, a4))
    }
    #[inline(always)]
    unsafe fn call5(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64 {
        dispatch!(self, call5(op, a1, a2, a3, a4, a5))
    }
}
