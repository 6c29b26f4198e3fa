//! `__HYPERVISOR_sched_op` (`public/sched.h`).
//!
//! ```
//! use xencall::abi::sched::{SchedOpCmd, SchedShutdown, ShutdownReason};
//! use xencall::{mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // Play Xen: sched_op(SCHEDOP_shutdown_code, &sched_shutdown) arrives.
//! xc.backend().set_responder(&|_, a| {
//!     assert_eq!(a[0], SchedOpCmd::SHUTDOWN_CODE.0.into());
//!     assert_eq!(unsafe { *(a[1] as *const SchedShutdown) }.reason, ShutdownReason::REBOOT.0);
//!     0
//! });
//! xc.sched_shutdown_code(ShutdownReason::REBOOT)?;
//! # Ok::<(), xencall::Error>(())
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

xen_code! {
    /// A `sched_op` command.
    ///
    /// ```
    /// use xencall::abi::sched::SchedOpCmd;
    ///
    /// assert_eq!(format!("{:?}", SchedOpCmd::POLL), "POLL");
    /// assert_eq!(SchedOpCmd::POLL.0, 3); // SCHEDOP_poll
    /// assert_eq!(format!("{:?}", SchedOpCmd(8)), "SchedOpCmd(8)");
    /// ```
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
    ///
    /// ```
    /// use xencall::abi::sched::ShutdownReason;
    ///
    /// // As `xl` would report a domain that called SCHEDOP_shutdown with 3.
    /// assert_eq!(format!("{:?}", ShutdownReason(3)), "CRASH");
    /// assert_eq!(ShutdownReason::SOFT_RESET.0, 5); // SHUTDOWN_soft_reset
    /// assert_eq!(format!("{:?}", ShutdownReason(6)), "ShutdownReason(6)");
    /// ```
    pub struct ShutdownReason(u32);
    POWEROFF = 0;
    REBOOT = 1;
    SUSPEND = 2;
    CRASH = 3;
    WATCHDOG = 4;
    SOFT_RESET = 5;
}

/// `struct sched_shutdown`: the argument of `SCHEDOP_shutdown`.
///
/// ```
/// use xencall::abi::sched::{SchedShutdown, ShutdownReason};
///
/// // A guest giving up after a fatal error: `xl` applies its on_crash action.
/// let arg = SchedShutdown { reason: ShutdownReason::CRASH.0 };
/// assert_eq!(core::mem::size_of_val(&arg), 4); // sizeof(struct sched_shutdown)
/// assert_eq!(ShutdownReason(arg.reason), ShutdownReason::CRASH);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
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
///
/// ```
/// use xencall::abi::sched::SchedPoll;
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: read the sched_poll and the port list its handle points to.
/// xc.backend().set_responder(&|_, a| {
///     let poll = unsafe { *(a[1] as *const SchedPoll) };
///     let (at, n) = (poll.ports as *const u32, poll.nr_ports as usize);
///     let ports = unsafe { std::slice::from_raw_parts(at, n) };
///     assert_eq!((ports, poll.timeout), (&[3, 5][..], 1_000_000));
///     0
/// });
/// xc.sched_poll(&[3, 5], Some(1_000_000))?;
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SchedPoll {
    /// Guest handle of an array of `evtchn_port_t` (u32).
    pub ports: u64,
    /// Ports in the array (at most 128).
    pub nr_ports: u32,
    /// Padding C leaves implicit; zero.
    pub _pad0: u32,
    /// Absolute timeout in ns, or 0.
    pub timeout: u64,
}

abi_layout! {
    SCHED_POLL = struct SchedPoll as "struct sched_poll", size 24, align 8 {
        ports @ 0,
        nr_ports @ 8,
        timeout @ 16,
    }
    rust_padding { _pad0 @ 12 }
}

/// `struct sched_remote_shutdown`: shut another domain down (privileged).
///
/// ```
/// use xencall::abi::sched::{SchedOpCmd, SchedRemoteShutdown, ShutdownReason};
/// use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // No typed wrapper: a control domain powers domain 5 off with the raw call.
/// let arg = xc.buffer(SchedRemoteShutdown { domain_id: 5, _pad0: 0, reason: ShutdownReason::POWEROFF.0 })?;
/// // SAFETY: Xen only reads the structure, alive until after the call.
/// unsafe { xc.call2(HypercallOp::SCHED_OP, SchedOpCmd::REMOTE_SHUTDOWN.0.into(), arg.addr())? };
/// assert_eq!(core::mem::size_of::<SchedRemoteShutdown>(), 8); // the reason at offset 4
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct SchedRemoteShutdown {
    /// `domid_t` of the domain.
    pub domain_id: u16,
    /// Padding C leaves implicit; zero.
    pub _pad0: u16,
    /// A [`ShutdownReason`] value.
    pub reason: u32,
}

abi_layout! {
    SCHED_REMOTE_SHUTDOWN = struct SchedRemoteShutdown as "struct sched_remote_shutdown", size 8, align 4 {
        domain_id @ 0,
        reason @ 4,
    }
    rust_padding { _pad0 @ 2 }
}
