//! `hvc #0xEA1`: Xen's hypercall instruction on Arm.

use crate::backend::Backend;

/// Emit the hypercall: `$bind` binds `x0` (result, and first argument if
/// any), `args` the further argument registers, `unused` the argument
/// registers left unassigned (still clobbered). `x16` carries the op.
///
/// Options: `nostack`, because `hvc` traps to EL2 and Xen never uses the
/// guest stack. `nomem`/`readonly` are left out (Xen reads and writes
/// guest memory), and so is `preserves_flags` (to be safe against Xen
/// changing NZCV, which its ABI does not promise to keep).
macro_rules! hvc_asm {
    ($op:expr, [$($bind:tt)*], args: [$($reg:tt = $val:expr),*], unused: [$($unused:tt),*]) => {
        core::arch::asm!(
            "hvc #0xEA1",
            inout("x16") $op => _,
            $($bind)*
            $(inout($reg) $val => _,)*
            $(out($unused) _,)*
            options(nostack)
        )
    };
}

/// The `hvc #0xEA1` backend.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hvc(());

impl Hvc {
    /// # Safety
    /// The caller must run at EL1 under Xen: without a hypervisor at EL2,
    /// `hvc` is an undefined instruction.
    ///
    /// ```no_run
    /// use xencall::arch::Hvc;
    /// use xencall::{OpenFlags, Xencall};
    ///
    /// // SAFETY: the device tree has a `xen,xen` node: this is EL1 under Xen.
    /// let xc = Xencall::with_backend(unsafe { Hvc::new() }, None, OpenFlags::empty());
    /// // Xen on Arm dates from 4.x.
    /// assert!(xc.xen_version()?.major >= 4);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub const unsafe fn new() -> Hvc {
        Hvc(())
    }
}

impl Backend for Hvc {
    #[inline(always)]
    unsafe fn call0(&self, op: u64) -> u64 {
        let ret;
        // SAFETY: `Hvc` exists only under Xen at EL1; the caller upholds the
        // hypercall's own contract.
        unsafe { hvc_asm!(op, [lateout("x0") ret,], args: [], unused: ["x1", "x2", "x3", "x4"]) };
        ret
    }
    #[inline(always)]
    unsafe fn call1(&self, op: u64, a1: u64) -> u64 {
        let ret;
        // SAFETY: as in `call0`.
        unsafe {
            hvc_asm!(op, [inout("x0") a1 => ret,], args: [], unused: ["x1", "x2", "x3", "x4"])
        };
        ret
    }
    #[inline(always)]
    unsafe fn call2(&self, op: u64, a1: u64, a2: u64) -> u64 {
        let ret;
        // SAFETY: as in `call0`.
        unsafe {
            hvc_asm!(op, [inout("x0") a1 => ret,], args: ["x1" = a2], unused: ["x2", "x3", "x4"])
        };
        ret
    }
    #[inline(always)]
    unsafe fn call3(&self, op: u64, a1: u64, a2: u64, a3: u64) -> u64 {
        let ret;
        // SAFETY: as in `call0`.
        unsafe {
            hvc_asm!(op, [inout("x0") a1 => ret,], args: ["x1" = a2, "x2" = a3], unused: ["x3", "x4"])
        };
        ret
    }
    #[inline(always)]
    unsafe fn call4(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> u64 {
        let ret;
        // SAFETY: as in `call0`.
        unsafe {
            hvc_asm!(op, [inout("x0") a1 => ret,], args: ["x1" = a2, "x2" = a3, "x3" = a4], unused: ["x4"])
        };
        ret
    }
    #[inline(always)]
    unsafe fn call5(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64 {
        let ret;
        // SAFETY: as in `call0`.
        unsafe {
            hvc_asm!(op, [inout("x0") a1 => ret,], args: ["x1" = a2, "x2" = a3, "x3" = a4, "x4" = a5], unused: [])
        };
        ret
    }
}
