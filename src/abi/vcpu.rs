//! `__HYPERVISOR_vcpu_op` (`public/vcpu.h`): the commands and structures
//! the crate uses.

xen_code! {
    /// A `vcpu_op` command.
    pub struct VcpuOpCmd(u32);
    INITIALISE = 0;
    UP = 1;
    DOWN = 2;
    IS_UP = 3;
    GET_RUNSTATE_INFO = 4;
    REGISTER_RUNSTATE_MEMORY_AREA = 5;
    SET_PERIODIC_TIMER = 6;
    STOP_PERIODIC_TIMER = 7;
    SET_SINGLESHOT_TIMER = 8;
    STOP_SINGLESHOT_TIMER = 9;
    REGISTER_VCPU_INFO = 10;
    SEND_NMI = 11;
    GET_PHYSID = 12;
    REGISTER_VCPU_TIME_MEMORY_AREA = 13;
}

xen_code! {
    /// A vCPU's scheduling state (`RUNSTATE_*`).
    pub struct Runstate(i32);
    RUNNING = 0;
    RUNNABLE = 1;
    BLOCKED = 2;
    OFFLINE = 3;
}

/// `struct vcpu_runstate_info`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct VcpuRunstateInfo {
    /// A [`Runstate`] value.
    pub state: i32,
    /// System time (ns) when `state` was entered.
    pub state_entry_time: u64,
    /// Time (ns) spent in each [`Runstate`].
    pub time: [u64; 4],
}

abi_layout! {
    VCPU_RUNSTATE_INFO = struct VcpuRunstateInfo as "struct vcpu_runstate_info", size 48, align 8 {
        state @ 0,
        state_entry_time @ 8,
        time @ 16,
    }
}

/// `VCPU_SSHOTTMR_future`: fail with `ETIME` instead of firing at once
/// when the timeout is already in the past.
pub const VCPU_SSHOTTMR_FUTURE: u32 = 1 << 0;

/// `struct vcpu_set_singleshot_timer`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct VcpuSetSingleshotTimer {
    /// Absolute Xen system time (ns) to fire at.
    pub timeout_abs_ns: u64,
    /// `VCPU_SSHOTTMR_*`.
    pub flags: u32,
}

abi_layout! {
    VCPU_SET_SINGLESHOT_TIMER = struct VcpuSetSingleshotTimer as "struct vcpu_set_singleshot_timer", size 16, align 8 {
        timeout_abs_ns @ 0,
        flags @ 8,
    }
}

/// `struct vcpu_set_periodic_timer`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct VcpuSetPeriodicTimer {
    /// Period in ns.
    pub period_ns: u64,
}

abi_layout! {
    VCPU_SET_PERIODIC_TIMER = struct VcpuSetPeriodicTimer as "struct vcpu_set_periodic_timer", size 8, align 8 {
        period_ns @ 0,
    }
}
