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

abi_layout! {
    SCHED_SHUTDOWN = struct SchedShutdown as "struct sched_shutdown", size 4, align 4 {
        reason @ 0,
    }
}

/// `struct sched_poll`: block until one of the ports is pending or the
/// timeout (absolute Xen system time in ns; 0 for none) passes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct SchedPoll {
    /// Guest handle of an array of `evtchn_port_t` (u32).
    pub ports: u64,
    /// Ports in the array (at most 128).
    pub nr_ports: u32,
    /// Absolute timeout in ns, or 0.
    pub timeout: u64,
}

abi_layout! {
    SCHED_POLL = struct SchedPoll as "struct sched_poll", size 24, align 8 {
        ports @ 0,
        nr_ports @ 8,
        timeout @ 16,
    }
}

/// `struct sched_remote_shutdown`: shut another domain down (privileged).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct SchedRemoteShutdown {
    /// `domid_t` of the domain.
    pub domain_id: u16,
    /// A [`ShutdownReason`] value.
    pub reason: u32,
}

abi_layout! {
    SCHED_REMOTE_SHUTDOWN = struct SchedRemoteShutdown as "struct sched_remote_shutdown", size 8, align 4 {
        domain_id @ 0,
        reason @ 4,
    }
}
