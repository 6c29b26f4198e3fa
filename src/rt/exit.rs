//! Leaving the guest: through QEMU's debug-exit device when a test harness
//! asked for it (`xencall-exit=qemu`), otherwise `SCHEDOP_shutdown`.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::abi::sched::ShutdownReason;

/// How the guest ends.
///
/// ```
/// use xencall::rt::ExitStatus;
///
/// // A guest's verdict, e.g. from a run of its test cases.
/// fn status(failed: usize) -> ExitStatus {
///     if failed == 0 { ExitStatus::Success } else { ExitStatus::Failure }
/// }
/// assert_eq!(status(0), ExitStatus::Success);
/// // A harness that reads QEMU's exit status sees the verdict.
/// assert_eq!(status(2).qemu_status(), 35);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// Everything went well: Xen `SHUTDOWN_poweroff`; QEMU status 33.
    Success,
    /// Something failed: Xen `SHUTDOWN_crash`; QEMU status 35.
    Failure,
}

impl ExitStatus {
    /// The byte for QEMU's debug-exit device; QEMU exits with
    /// `(byte << 1) | 1`: 33 for success, 35 for failure. (0 cannot mean
    /// success: QEMU also exits 0 when Xen powers the machine off.)
    ///
    /// ```
    /// use xencall::rt::ExitStatus;
    ///
    /// assert_eq!(ExitStatus::Success.qemu_code(), 0x10);
    /// assert_eq!(ExitStatus::Failure.qemu_code(), 0x11);
    /// ```
    pub const fn qemu_code(self) -> u8 {
        match self {
            ExitStatus::Success => 0x10,
            ExitStatus::Failure => 0x11,
        }
    }

    /// The status QEMU reports for this exit.
    ///
    /// ```
    /// use xencall::rt::ExitStatus;
    ///
    /// // How a host-side runner reads QEMU's exit code.
    /// fn verdict(code: i32) -> Option<ExitStatus> {
    ///     [ExitStatus::Success, ExitStatus::Failure].into_iter().find(|s| s.qemu_status() == code)
    /// }
    /// assert_eq!(verdict(33), Some(ExitStatus::Success));
    /// assert_eq!(verdict(35), Some(ExitStatus::Failure));
    /// assert_eq!(verdict(0), None); // powered off by Xen: no verdict
    /// ```
    pub const fn qemu_status(self) -> i32 {
        ((self.qemu_code() as i32) << 1) | 1
    }

    /// `SHUTDOWN_poweroff` or `SHUTDOWN_crash`.
    ///
    /// ```
    /// use xencall::abi::sched::ShutdownReason;
    /// use xencall::rt::ExitStatus;
    ///
    /// assert_eq!(ExitStatus::Success.shutdown_reason(), ShutdownReason::POWEROFF);
    /// // A failed guest shows as crashed in `xl list` and the Xen log.
    /// assert_eq!(ExitStatus::Failure.shutdown_reason(), ShutdownReason::CRASH);
    /// ```
    pub const fn shutdown_reason(self) -> ShutdownReason {
        match self {
            ExitStatus::Success => ShutdownReason::POWEROFF,
            ExitStatus::Failure => ShutdownReason::CRASH,
        }
    }
}

static QEMU_EXIT: AtomicBool = AtomicBool::new(false);

/// Use QEMU's debug-exit device from now on (set from the command line by
/// `rt::start`, on bare metal).
///
/// ```no_run
/// use xencall::rt::exit::use_qemu_exit;
///
/// // As the aarch64 fault handler does when leaving through QEMU's device
/// // itself faulted (QEMU without semihosting): the next `rt::exit` shuts
/// // the domain down through Xen instead.
/// use_qemu_exit(false);
/// ```
pub fn use_qemu_exit(on: bool) {
    QEMU_EXIT.store(on, Ordering::Relaxed);
}

/// End the guest with `status`.
///
/// Guest-only (it exists for `target_os = "none"`, so the example builds
/// only there); `examples/hello.rs` ends this way when a call fails.
///
/// ```no_run
/// # #[cfg(target_os = "none")]
/// # fn demo() {
/// use xencall::rt::{exit, ExitStatus};
/// use xencall::{OpenFlags, Xencall};
///
/// let xc = match Xencall::open(None, OpenFlags::empty()) {
///     Ok(xc) => xc,
///     Err(e) => {
///         xencall::println!("cannot open xencall: {e}");
///         exit(ExitStatus::Failure); // never returns
///     }
/// };
/// # let _ = xc;
/// # }
/// ```
#[cfg(any(doc, target_os = "none"))]
pub fn exit(status: ExitStatus) -> ! {
    use crate::backend::Backend;

    if QEMU_EXIT.load(Ordering::Relaxed) {
        crate::arch::rt::qemu_exit(status.qemu_code());
    }
    // A domU's last lines are still in the console ring: a destroyed
    // domain's ring is never read.
    super::pv_console::flush();
    if let Some(native) = crate::arch::registered_native() {
        // Xen copies the argument in from guest memory, and a stack slot
        // is mapped guest memory in every mode.
        let arg = crate::abi::sched::SchedShutdown {
            reason: status.shutdown_reason().0,
        };
        // SAFETY: SCHEDOP_shutdown reads the structure at the address; the
        // domain stops, so nothing runs after it.
        let returned = unsafe {
            native.call2(
                crate::abi::HypercallOp::SCHED_OP.0.into(),
                crate::abi::sched::SchedOpCmd::SHUTDOWN.0.into(),
                &arg as *const crate::abi::sched::SchedShutdown as u64,
            )
        };
        // Only if Xen refused: say so (a runner fails the boot on this
        // line, whatever ends the domain later), then halt. Printed as a
        // crash report is: `exit` may be called with the console lock held.
        super::console::fault_println!(
            "xencall: SCHEDOP_shutdown returned {} ({:?})",
            returned as i64,
            status.shutdown_reason()
        );
    }
    crate::arch::rt::halt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qemu_statuses_are_distinct_from_a_plain_power_off() {
        assert_eq!(ExitStatus::Success.qemu_status(), 33);
        assert_eq!(ExitStatus::Failure.qemu_status(), 35);
        assert_eq!(ExitStatus::Failure.shutdown_reason(), ShutdownReason::CRASH);
    }
}
