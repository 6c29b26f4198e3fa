//! `__HYPERVISOR_vcpu_op` (`public/vcpu.h`): the commands and structures
//! the crate uses.
//!
//! ```
//! use xencall::abi::vcpu::{Runstate, VcpuRunstateInfo};
//! use xencall::{mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // Play Xen: vcpu_op(VCPUOP_get_runstate_info, vCPU, &info) fills it in.
//! xc.backend().set_responder(&|_, a| {
//!     let info = unsafe { &mut *(a[2] as *mut VcpuRunstateInfo) };
//!     (info.state, info.time) = (Runstate::RUNNING.0, [9_000_000, 1_000_000, 0, 0]);
//!     0
//! });
//! let info = xc.vcpu_runstate_info(0)?;
//! assert_eq!(info.time[Runstate::RUNNABLE.0 as usize], 1_000_000); // stolen: 1 ms
//! # Ok::<(), xencall::Error>(())
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

xen_code! {
    /// A `vcpu_op` command.
    ///
    /// ```
    /// use xencall::abi::vcpu::VcpuOpCmd;
    ///
    /// assert_eq!(format!("{:?}", VcpuOpCmd::IS_UP), "IS_UP");
    /// assert_eq!(VcpuOpCmd::IS_UP.0, 3); // VCPUOP_is_up
    /// assert_eq!(format!("{:?}", VcpuOpCmd(99)), "VcpuOpCmd(99)");
    /// ```
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
    ///
    /// ```
    /// use xencall::abi::vcpu::Runstate;
    ///
    /// assert_eq!(format!("{:?}", Runstate(1)), "RUNNABLE");
    /// assert_eq!(Runstate::OFFLINE.0, 3); // RUNSTATE_offline
    /// assert_eq!(format!("{:?}", Runstate(-1)), "Runstate(-1)");
    /// ```
    pub struct Runstate(i32);
    RUNNING = 0;
    RUNNABLE = 1;
    BLOCKED = 2;
    OFFLINE = 3;
}

/// `struct vcpu_runstate_info`.
///
/// ```
/// use xencall::abi::vcpu::{Runstate, VcpuRunstateInfo};
///
/// // 48 bytes, also the layout VCPUOP_register_runstate_memory_area keeps updated.
/// assert_eq!(core::mem::size_of::<VcpuRunstateInfo>(), 48);
/// // `time` is indexed by runstate: a blocked vCPU's idle time is time[2].
/// let info = VcpuRunstateInfo { state: Runstate::BLOCKED.0, time: [7, 0, 40, 0], ..Default::default() };
/// assert_eq!(Runstate(info.state), Runstate::BLOCKED);
/// assert_eq!(info.time[Runstate::BLOCKED.0 as usize], 40);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct VcpuRunstateInfo {
    /// A [`Runstate`] value.
    pub state: i32,
    /// Padding C leaves implicit; zero.
    pub _pad0: u32,
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
    rust_padding { _pad0 @ 4 }
}

/// `VCPU_SSHOTTMR_future`: fail with `ETIME` instead of firing at once
/// when the timeout is already in the past.
pub const VCPU_SSHOTTMR_FUTURE: u32 = 1 << 0;

/// `struct vcpu_set_singleshot_timer`.
///
/// ```
/// use xencall::abi::vcpu::{VcpuSetSingleshotTimer, VCPU_SSHOTTMR_FUTURE};
/// use xencall::{abi::XenErrno, mock::MockBackend, Error, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen at system time 5 s: with VCPU_SSHOTTMR_future, a past deadline is ETIME.
/// xc.backend().set_responder(&|_, a| {
///     let t = unsafe { *(a[2] as *const VcpuSetSingleshotTimer) };
///     let past = t.timeout_abs_ns < 5_000_000_000;
///     if t.flags & VCPU_SSHOTTMR_FUTURE != 0 && past { -62i64 as u64 } else { 0 }
/// });
/// let late = xc.vcpu_set_singleshot_timer(0, 4_000_000_000, VCPU_SSHOTTMR_FUTURE);
/// assert_eq!(late, Err(Error::Xen(XenErrno::ETIME)));
/// assert_eq!(xc.vcpu_set_singleshot_timer(0, 6_000_000_000, VCPU_SSHOTTMR_FUTURE), Ok(()));
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct VcpuSetSingleshotTimer {
    /// Absolute Xen system time (ns) to fire at.
    pub timeout_abs_ns: u64,
    /// `VCPU_SSHOTTMR_*`.
    pub flags: u32,
    /// Padding C leaves implicit; zero.
    pub _pad0: u32,
}

abi_layout! {
    VCPU_SET_SINGLESHOT_TIMER = struct VcpuSetSingleshotTimer as "struct vcpu_set_singleshot_timer", size 16, align 8 {
        timeout_abs_ns @ 0,
        flags @ 8,
    }
    rust_padding { _pad0 @ 12 }
}

/// `struct vcpu_set_periodic_timer`.
///
/// ```
/// use xencall::abi::vcpu::{VcpuOpCmd, VcpuSetPeriodicTimer};
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: vcpu_op(VCPUOP_set_periodic_timer, vCPU 0, &vcpu_set_periodic_timer).
/// xc.backend().set_responder(&|_, a| {
///     assert_eq!(a[..2], [VcpuOpCmd::SET_PERIODIC_TIMER.0.into(), 0]);
///     assert_eq!(unsafe { *(a[2] as *const VcpuSetPeriodicTimer) }.period_ns, 4_000_000);
///     0
/// });
/// xc.vcpu_set_periodic_timer(0, 4_000_000)?; // a 250 Hz tick
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
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
