//! The architecture backends, chosen in one place.
//!
//! Every architecture module offers the same names: [`Native`] (the
//! backend a handle uses by default), its `detect` and `mode`, and the
//! individual instruction backends. Only the instruction sequences are
//! architecture-specific; they compile (and the x86_64 ones are tested) on
//! the host.

#[cfg(target_arch = "x86_64")]
#[path = "../arch/x86_64/mod.rs"]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use self::x86_64::*;

#[cfg(target_arch = "aarch64")]
#[path = "../arch/aarch64/mod.rs"]
mod aarch64;
#[cfg(target_arch = "aarch64")]
pub use self::aarch64::*;

/// `false`: only x86_64 has PV guests.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(crate) fn pv_kernel() -> bool {
    false
}

/// Zero whole buffer pages (the arch modules have faster ways).
///
/// # Safety
/// `ptr..ptr + len` must be valid for writes.
#[cfg(not(any(target_arch = "x86_64", target_arch = "aarch64")))]
pub(crate) unsafe fn zero_pages(ptr: *mut u8, len: usize) {
    // SAFETY: forwarded contract.
    unsafe { core::ptr::write_bytes(ptr, 0, len) }
}

/// How hypercalls are issued.
///
/// Displayed as the value of the boot runtime's `xencall-hypercall=`
/// option that selects it.
///
/// ```
/// use xencall::arch::HypercallMode;
///
/// // How a guest reads its choice from `xencall-hypercall=direct|page`.
/// fn mode(option: Option<&str>) -> HypercallMode {
///     match option {
///         Some("direct") => HypercallMode::Direct,
///         _ => HypercallMode::Page,
///     }
/// }
/// assert_eq!(mode(None), HypercallMode::Page);
/// for m in [HypercallMode::Page, HypercallMode::Direct] {
///     assert_eq!(mode(Some(&m.to_string())), m);
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HypercallMode {
    /// x86: `call hypercall_page + op*32`, through the page Xen fills in
    /// (the default, and the only mode for PV guests).
    Page,
    /// The trap instruction inline: `vmcall`/`vmmcall` on x86 HVM/PVH (the
    /// XSA-466 mitigation), `hvc #0xEA1` on Arm (Arm's only mode).
    Direct,
}

impl core::fmt::Display for HypercallMode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            HypercallMode::Page => "page",
            HypercallMode::Direct => "direct",
        })
    }
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
mod registered {
    use super::Native;
    use crate::error::Result;

    static NATIVE: spin::Once<Native> = spin::Once::new();

    /// Register the backend every [`Xencall::open`](crate::Xencall::open)
    /// uses. The boot runtime calls this with what it learnt at entry (the
    /// PV hypercall page Xen placed, the mode the user chose). The first
    /// registration wins; returns the one in force.
    ///
    /// ```no_run
    /// use xencall::arch::{set_native, Native};
    /// use xencall::{OpenFlags, Xencall};
    ///
    /// // A runtime other than this crate's, on an HVM/PVH guest that
    /// // prefers the trap instruction to the hypercall page:
    /// let chosen = set_native(Native::detect_direct()?);
    /// // Every handle opened from now on uses it.
    /// let xc = Xencall::open(None, OpenFlags::empty())?;
    /// assert_eq!(xc.backend(), chosen);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn set_native(native: Native) -> &'static Native {
        NATIVE.call_once(|| native)
    }

    /// The registered backend, if any; never detects.
    ///
    /// ```no_run
    /// use xencall::arch::registered_native;
    /// use xencall::{OpenFlags, Xencall};
    ///
    /// // Code that must not probe CPUID itself (a fault handler, early
    /// // boot) calls Xen only once a backend is in place.
    /// if let Some(native) = registered_native() {
    ///     let xc = Xencall::with_backend(*native, None, OpenFlags::empty());
    ///     xc.sched_yield()?;
    /// }
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn registered_native() -> Option<&'static Native> {
        NATIVE.get()
    }

    /// The registered backend, or, if none was registered, the one
    /// [`Native::detect_direct`] finds now (on x86_64 `vmcall`/`vmmcall`:
    /// installing a hypercall page needs the promise of an identity map
    /// that only a runtime can give, see [`Native::detect`]), registered.
    ///
    /// ```no_run
    /// use xencall::arch::{native, registered_native};
    ///
    /// // Outside the boot runtime nothing registered one: the first call
    /// // detects (the direct instruction) and registers what it found.
    /// let n = native()?;
    /// assert!(core::ptr::eq(registered_native().unwrap(), n));
    /// assert!(core::ptr::eq(native()?, n)); // no second detection
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn native() -> Result<&'static Native> {
        get_or_detect(&NATIVE, Native::detect_direct)
    }

    /// The backend in `once`, or the one `detect` finds, stored there.
    /// Detection runs inside the `Once`: callers racing here wait for the
    /// first one's answer instead of detecting (and, in page mode,
    /// re-installing the hypercall page) again. A failed detection stores
    /// nothing, so a later call tries again.
    fn get_or_detect(
        once: &spin::Once<Native>,
        detect: impl FnOnce() -> Result<Native>,
    ) -> Result<&Native> {
        once.try_call_once(detect)
    }

    #[cfg(all(test, target_arch = "x86_64"))]
    mod tests {
        use super::*;
        use crate::error::Error;
        use std::sync::atomic::{AtomicUsize, Ordering};

        /// A backend value for the tests; never called.
        fn some_native() -> Native {
            // SAFETY: constructed only, never used to make a call.
            Native::Vmcall(unsafe { crate::arch::Vmcall::new() })
        }

        #[test]
        fn racing_callers_detect_once() {
            // Detection installs a hypercall page: run twice, the second
            // would re-install it under the first one's live calls.
            let once = spin::Once::new();
            let detections = AtomicUsize::new(0);
            std::thread::scope(|s| {
                for _ in 0..8 {
                    s.spawn(|| {
                        let native = get_or_detect(&once, || {
                            detections.fetch_add(1, Ordering::SeqCst);
                            std::thread::sleep(std::time::Duration::from_millis(20));
                            Ok(some_native())
                        });
                        assert_eq!(native.copied(), Ok(some_native()));
                    });
                }
            });
            assert_eq!(detections.load(Ordering::SeqCst), 1);
        }

        #[test]
        fn a_failed_detection_registers_nothing_and_is_retried() {
            let once = spin::Once::new();
            assert_eq!(
                get_or_detect(&once, || Err(Error::NoHypervisor)),
                Err(Error::NoHypervisor)
            );
            assert!(once.get().is_none());
            assert_eq!(
                get_or_detect(&once, || Ok(some_native())).copied(),
                Ok(some_native())
            );
            // Registered now: no detection runs again.
            assert!(get_or_detect(&once, || panic!("detected twice")).is_ok());
        }
    }
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
pub use registered::{native, registered_native, set_native};
