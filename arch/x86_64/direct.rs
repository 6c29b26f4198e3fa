//! Direct hypercalls: `vmcall` (Intel VMX and others) or `vmmcall` (AMD and
//! Hygon SVM) inline, with no hypercall page. Linux's response to XSA-466
//! (CVE-2024-53241) for HVM/PVH guests; the wrong instruction for the CPU
//! vendor faults, so [`Native::detect`](super::Native::detect) chooses.

use super::hypercall_asm;
use crate::backend::Backend;

/// Generates the six `Backend` methods for one trap instruction. `nostack`
/// is set: the instruction traps straight to Xen, which never touches the
/// guest stack of an HVM/PVH guest. `nomem`, `readonly` and
/// `preserves_flags` are left out: Xen reads and writes guest memory and
/// the flags.
macro_rules! direct_backend {
    ($ty:ty, $insn:literal) => {
        impl Backend for $ty {
            #[inline(always)]
            unsafe fn call0(&self, op: u64) -> u64 {
                let ret;
                // SAFETY: `Self` exists only where the instruction is the
                // right one; the caller upholds the hypercall's contract.
                unsafe {
                    hypercall_asm!($insn, [inout("rax") op => ret,],
                        args: [], unused: ["rdi", "rsi", "rdx", "r10", "r8"], nostack)
                };
                ret
            }
            #[inline(always)]
            unsafe fn call1(&self, op: u64, a1: u64) -> u64 {
                let ret;
                // SAFETY: as in `call0`.
                unsafe {
                    hypercall_asm!($insn, [inout("rax") op => ret,],
                        args: ["rdi" = a1], unused: ["rsi", "rdx", "r10", "r8"], nostack)
                };
                ret
            }
            #[inline(always)]
            unsafe fn call2(&self, op: u64, a1: u64, a2: u64) -> u64 {
                let ret;
                // SAFETY: as in `call0`.
                unsafe {
                    hypercall_asm!($insn, [inout("rax") op => ret,],
                        args: ["rdi" = a1, "rsi" = a2], unused: ["rdx", "r10", "r8"], nostack)
                };
                ret
            }
            #[inline(always)]
            unsafe fn call3(&self, op: u64, a1: u64, a2: u64, a3: u64) -> u64 {
                let ret;
                // SAFETY: as in `call0`.
                unsafe {
                    hypercall_asm!($insn, [inout("rax") op => ret,],
                        args: ["rdi" = a1, "rsi" = a2, "rdx" = a3], unused: ["r10", "r8"], nostack)
                };
                ret
            }
            #[inline(always)]
            unsafe fn call4(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> u64 {
                let ret;
                // SAFETY: as in `call0`.
                unsafe {
                    hypercall_asm!($insn, [inout("rax") op => ret,],
                        args: ["rdi" = a1, "rsi" = a2, "rdx" = a3, "r10" = a4], unused: ["r8"], nostack)
                };
                ret
            }
            #[inline(always)]
            unsafe fn call5(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64 {
                let ret;
                // SAFETY: as in `call0`.
                unsafe {
                    hypercall_asm!($insn, [inout("rax") op => ret,],
                        args: ["rdi" = a1, "rsi" = a2, "rdx" = a3, "r10" = a4, "r8" = a5], unused: [], nostack)
                };
                ret
            }
        }
    };
}

/// `vmcall`: the hypercall instruction on Intel (VMX) and other non-AMD
/// vendors.
///
/// ```no_run
/// use xencall::arch::{cpu_vendor, Vmcall, XenCpuid};
/// use xencall::{OpenFlags, Xencall};
///
/// assert!(XenCpuid::detect().is_some() && !cpu_vendor().uses_vmmcall());
/// // SAFETY: an HVM/PVH Xen guest on a VMX CPU, as just checked.
/// let xc = Xencall::with_backend(unsafe { Vmcall::new() }, None, OpenFlags::empty());
/// println!("Xen {}", xc.xen_version()?);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vmcall(());

/// `vmmcall`: the hypercall instruction on AMD and Hygon (SVM).
///
/// ```no_run
/// use xencall::arch::{cpu_vendor, Vmmcall, XenCpuid};
/// use xencall::{OpenFlags, Xencall};
///
/// assert!(XenCpuid::detect().is_some() && cpu_vendor().uses_vmmcall());
/// // SAFETY: an HVM/PVH Xen guest on an SVM CPU, as just checked.
/// let xc = Xencall::with_backend(unsafe { Vmmcall::new() }, None, OpenFlags::empty());
/// println!("Xen {}", xc.xen_version()?);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Vmmcall(());

impl Vmcall {
    /// # Safety
    /// The caller must run in an HVM/PVH Xen guest on a CPU whose
    /// hypercall instruction is `vmcall` (not AMD or Hygon).
    ///
    /// ```no_run
    /// use xencall::arch::{cpu_vendor, Vmcall, XenCpuid};
    /// use xencall::Backend;
    ///
    /// assert!(XenCpuid::detect().is_some() && !cpu_vendor().uses_vmmcall());
    /// // SAFETY: an HVM/PVH Xen guest on a VMX CPU, as just checked.
    /// let vmcall = unsafe { Vmcall::new() };
    /// // SAFETY: xen_version(XENVER_version, NULL) reads and writes no memory.
    /// let version = unsafe { vmcall.call2(17, 0, 0) };
    /// assert!(version >> 16 >= 3); // the major version
    /// ```
    pub const unsafe fn new() -> Vmcall {
        Vmcall(())
    }
}

impl Vmmcall {
    /// # Safety
    /// The caller must run in an HVM/PVH Xen guest on an AMD or Hygon CPU.
    ///
    /// ```no_run
    /// use xencall::arch::{cpu_vendor, Vmmcall, XenCpuid};
    /// use xencall::Backend;
    ///
    /// assert!(XenCpuid::detect().is_some() && cpu_vendor().uses_vmmcall());
    /// // SAFETY: an HVM/PVH Xen guest on an SVM CPU, as just checked.
    /// let vmmcall = unsafe { Vmmcall::new() };
    /// // SAFETY: xen_version(XENVER_version, NULL) reads and writes no memory.
    /// let version = unsafe { vmmcall.call2(17, 0, 0) };
    /// assert!(version >> 16 >= 3); // the major version
    /// ```
    pub const unsafe fn new() -> Vmmcall {
        Vmmcall(())
    }
}

direct_backend!(Vmcall, "vmcall");
direct_backend!(Vmmcall, "vmmcall");
