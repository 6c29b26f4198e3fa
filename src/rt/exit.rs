//! Leaving the guest: through QEMU's debug-exit device when a test harness
//! asked for it (`xencall-exit=qemu`), otherwise `SCHEDOP_shutdown`.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::abi::sched::ShutdownReason;

/// How the guest ends.
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
    pub const fn qemu_code(self) -> u8 {
        match self {
            ExitStatus::Success => 0x10,
            ExitStatus::Failure => 0x11,
        }
    }

    /// The status QEMU reports for this exit.
    pub const fn qemu_status(self) -> i32 {
        ((self.qemu_code() as i32) << 1) | 1
    }

    /// `SHUTDOWN_poweroff` or `SHUTDOWN_crash`.
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
pub fn use_qemu_exit(on: bool) {
    QEMU_EXIT.store(on, Ordering::Relaxed);
}

/// End the guest with `status`.
#[cfg(target_os = "none")]
pub fn exit(status: ExitStatus) -> ! {
    use crate::backend::Backend;

    if QEMU_EXIT.load(Ordering::Relaxed) {
        crate::arch::rt::qemu_exit(status.qemu_code());
    }
    if let Some(native) = crate::arch::registered_native() {
        // Xen copies the argument in from guest memory, and a stack slot
        // is mapped guest memory in every mode.
        let arg = crate::abi::sched::SchedShutdown {
            reason: status.shutdown_reason().0,
        };
        // SAFETY: SCHEDOP_shutdown reads the structure at the address; the
        // domain stops, so nothing runs after it.
        unsafe {
            native.call2(
                crate::abi::HypercallOp::SCHED_OP.0.into(),
                crate::abi::sched::SchedOpCmd::SHUTDOWN.0.into(),
                &arg as *const crate::abi::sched::SchedShutdown as u64,
            );
        }
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
