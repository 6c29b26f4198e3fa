//! `__HYPERVISOR_sched_op` (`public/sched.h`).

xen_code! {
    /// A `sched_op` command.
    pub struct SchedOpCmd(u32);
    YIELD = 0;
    BLOCK = 1;
    SHUTDOWN = 2;
    POLL = 3;
    REMOTE_SHUTDOWN = 4;
    SHUTDOWN_CODE = 5;
    WATCHDOG = 6;
    PIN_OVERRIDE = 7;
}

xen_code! {
    /// Why a domain shuts down (`SHUTDOWN_*`).
    pub struct ShutdownReason(u32);
    POWEROFF = 0;
    REBOOT = 1;
    SUSPEND = 2;
    CRASH = 3;
    WATCHDOG = 4;
    SOFT_RESET = 5;
}

/// `struct sched_shutdown`: the argument of `SCHEDOP_shutdown`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct SchedShutdown {
    /// A [`ShutdownReason`] value.
    pub reason: u32,
}

const _: () = assert!(core::mem::size_of::<SchedShutdown>() == 4);

// Alignment, identical on x86_64 and aarch64 (both LP64 with 8-byte
// aligned u64); sizes and offsets are asserted beside each structure.
static_assertions::const_assert_eq!(core::mem::align_of::<SchedShutdown>(), 4);
