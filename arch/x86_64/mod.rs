//! x86_64: Xen found through CPUID; hypercalls through the hypercall page
//! (`call page + op*32`) or inline `vmcall`/`vmmcall`.
//!
//! Register contract (Xen's x86_64 hypercall ABI): op in `rax` (set by the
//! page stub, or by us for the direct instructions), arguments in `rdi`,
//! `rsi`, `rdx`, `r10`, `r8`, result in `rax`. Every sequence declares all
//! argument registers and `r9` clobbered whatever the argument count: a
//! debug Xen poisons the registers of the hypercall's own arity, and a
//! preempted hypercall rewrites them. `rcx` and `r11` are clobbered too,
//! because a PV guest's page stub uses `syscall`.

mod cpuid;
mod direct;
mod hypercall_page;
mod native;
mod privilege;
/// The boot runtime's x86_64 entry code (feature `rt`, bare metal only).
#[cfg(all(feature = "rt", target_os = "none"))]
pub(crate) mod rt;

pub use cpuid::{cpu_vendor, CpuVendor, XenCpuid};
pub use direct::{Vmcall, Vmmcall};
pub use hypercall_page::{HypercallPage, HYPERCALL_PAGE_STORAGE};
pub use native::Native;
pub(crate) use privilege::pv_kernel;

/// Zero `len` bytes at `ptr` (whole buffer pages): `rep stos` through
/// `write_bytes`, which is what x86 CPUs zero pages fastest with (QEMU
/// counts one instruction per iteration, so `-icount` figures overstate it).
///
/// # Safety
/// `ptr..ptr + len` must be valid for writes.
#[inline]
pub(crate) unsafe fn zero_pages(ptr: *mut u8, len: usize) {
    // SAFETY: forwarded contract.
    unsafe { core::ptr::write_bytes(ptr, 0, len) }
}

/// Emit one hypercall instruction sequence. `$insn` is the instruction,
/// `[...]` the operands binding the op and the result, `args` the argument
/// registers given values and `unused` the argument registers left
/// unassigned (still clobbered). `r9`, `rcx` and `r11` are always clobbered.
macro_rules! hypercall_asm {
    ($insn:literal, [$($bind:tt)*], args: [$($reg:tt = $val:expr),*], unused: [$($unused:tt),*] $(, $opt:ident)?) => {
        core::arch::asm!(
            $insn,
            $($bind)*
            $(inout($reg) $val => _,)*
            $(out($unused) _,)*
            out("r9") _,
            out("rcx") _,
            out("r11") _,
            $(options($opt))?
        )
    };
}
pub(crate) use hypercall_asm;
