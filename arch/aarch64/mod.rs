//! aarch64: hypercalls are `hvc #0xEA1` with the op in `x16`, arguments in
//! `x0`..`x4` and the result in `x0`. Xen may clobber `x1`..`x4` and `x16`
//! (a debug Xen poisons them), so every sequence declares them all.

mod hvc;
mod native;
/// The boot runtime's aarch64 entry code (feature `rt`, bare metal only).
#[cfg(all(feature = "rt", target_os = "none"))]
pub(crate) mod rt;
mod smccc;
mod zero;

pub use hvc::Hvc;
pub use native::Native;
pub(crate) use zero::zero_pages;

/// `false`: Arm has no PV guests (see the x86_64 `pv_kernel`).
pub(crate) fn pv_kernel() -> bool {
    false
}
