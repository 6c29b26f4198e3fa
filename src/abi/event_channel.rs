//! `__HYPERVISOR_event_channel_op` (`public/event_channel.h`) and the
//! virtual IRQ numbers (`public/xen.h`).
//!
//! ```
//! use xencall::abi::{event_channel::EvtchnAllocUnbound, xen::DOMID_SELF};
//! use xencall::{mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // Play Xen: EVTCHNOP_alloc_unbound reads the domains and writes the port.
//! xc.backend().set_responder(&|_, a| {
//!     let req = unsafe { &mut *(a[1] as *mut EvtchnAllocUnbound) };
//!     assert_eq!((req.dom, req.remote_dom), (DOMID_SELF, 0));
//!     req.port = 7;
//!     0
//! });
//! // A frontend offers dom0 (its backend) a port, to publish in xenstore.
//! assert_eq!(xc.evtchn_alloc_unbound(DOMID_SELF, 0)?, 7);
//! # Ok::<(), xencall::Error>(())
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

xen_code! {
    /// An `event_channel_op` command.
    ///
    /// ```
    /// use xencall::abi::event_channel::EvtchnOpCmd;
    ///
    /// assert_eq!(format!("{:?}", EvtchnOpCmd::SEND), "SEND");
    /// assert_eq!(EvtchnOpCmd::SEND.0, 4); // EVTCHNOP_send
    /// // 14 (reset_cont) is Xen-internal, so it has no name here.
    /// assert_eq!(format!("{:?}", EvtchnOpCmd(14)), "EvtchnOpCmd(14)");
    /// ```
    pub struct EvtchnOpCmd(u32);
    BIND_INTERDOMAIN = 0;
    BIND_VIRQ = 1;
    BIND_PIRQ = 2;
    CLOSE = 3;
    SEND = 4;
    STATUS = 5;
    ALLOC_UNBOUND = 6;
    BIND_IPI = 7;
    BIND_VCPU = 8;
    UNMASK = 9;
    RESET = 10;
    INIT_CONTROL = 11;
    EXPAND_ARRAY = 12;
    SET_PRIORITY = 13;
    // 14 (reset_cont) is Xen-internal: the header hides it from guests.
}

xen_code! {
    /// A channel's state (`EVTCHNSTAT_*`).
    ///
    /// ```
    /// use xencall::abi::event_channel::EvtchnStat;
    ///
    /// // The `status` word EVTCHNOP_status wrote, by name.
    /// assert_eq!(format!("{:?}", EvtchnStat(2)), "INTERDOMAIN");
    /// assert_eq!(EvtchnStat::IPI.0, 5); // EVTCHNSTAT_ipi
    /// assert_eq!(format!("{:?}", EvtchnStat(6)), "EvtchnStat(6)");
    /// ```
    pub struct EvtchnStat(u32);
    CLOSED = 0;
    UNBOUND = 1;
    INTERDOMAIN = 2;
    PIRQ = 3;
    VIRQ = 4;
    IPI = 5;
}

xen_code! {
    /// A virtual IRQ (`VIRQ_*`).
    ///
    /// ```
    /// use xencall::abi::event_channel::Virq;
    ///
    /// assert_eq!(format!("{:?}", Virq::TIMER), "TIMER");
    /// assert_eq!(Virq::TIMER.0, 0); // VIRQ_TIMER
    /// // 5 has no VIRQ_* name in the header.
    /// assert_eq!(format!("{:?}", Virq(5)), "Virq(5)");
    /// ```
    pub struct Virq(u32);
    TIMER = 0;
    DEBUG = 1;
    CONSOLE = 2;
    DOM_EXC = 3;
    TBUF = 4;
    DEBUGGER = 6;
    XENOPROF = 7;
    CON_RING = 8;
    PCPU_STATE = 9;
    MEM_EVENT = 10;
    ARGO = 11;
    ENOMEM = 12;
    XENPMU = 13;
}

/// `struct evtchn_alloc_unbound`.
///
/// ```
/// use xencall::abi::{event_channel::EvtchnAllocUnbound, xen::DOMID_SELF};
///
/// // A port of ours that dom0 may bind; Xen fills in `port`.
/// let req = EvtchnAllocUnbound { dom: DOMID_SELF, remote_dom: 0, port: 0 };
/// assert_eq!(core::mem::size_of_val(&req), 8); // sizeof(struct evtchn_alloc_unbound)
/// assert_eq!(core::mem::offset_of!(EvtchnAllocUnbound, port), 4);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct EvtchnAllocUnbound {
    /// The domain the port is allocated in (`DOMID_SELF`).
    pub dom: u16,
    /// The domain allowed to bind to it.
    pub remote_dom: u16,
    /// Out: the new port.
    pub port: u32,
}

abi_layout! {
    EVTCHN_ALLOC_UNBOUND = struct EvtchnAllocUnbound as "struct evtchn_alloc_unbound", size 8, align 4 {
        dom @ 0,
        remote_dom @ 2,
        port @ 4,
    }
}

/// `struct evtchn_bind_interdomain`.
///
/// ```
/// use xencall::abi::event_channel::EvtchnBindInterdomain;
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: connect to domain 5's port 9 and answer with our new port 3.
/// xc.backend().set_responder(&|_, a| {
///     let b = unsafe { &mut *(a[1] as *mut EvtchnBindInterdomain) };
///     assert_eq!((b.remote_dom, b.remote_port), (5, 9));
///     b.local_port = 3;
///     0
/// });
/// assert_eq!(xc.evtchn_bind_interdomain(5, 9)?, 3);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct EvtchnBindInterdomain {
    /// The remote domain.
    pub remote_dom: u16,
    /// Padding C leaves implicit; zero.
    pub _pad0: u16,
    /// Its unbound port.
    pub remote_port: u32,
    /// Out: the local port.
    pub local_port: u32,
}

abi_layout! {
    EVTCHN_BIND_INTERDOMAIN = struct EvtchnBindInterdomain as "struct evtchn_bind_interdomain", size 12, align 4 {
        remote_dom @ 0,
        remote_port @ 4,
        local_port @ 8,
    }
    rust_padding { _pad0 @ 2 }
}

/// `struct evtchn_bind_virq`.
///
/// ```
/// use xencall::abi::event_channel::{EvtchnBindVirq, Virq};
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: bind VIRQ_TIMER on vCPU 0 to port 1.
/// xc.backend().set_responder(&|_, a| {
///     let b = unsafe { &mut *(a[1] as *mut EvtchnBindVirq) };
///     assert_eq!((Virq(b.virq), b.vcpu), (Virq::TIMER, 0));
///     b.port = 1;
///     0
/// });
/// assert_eq!(xc.evtchn_bind_virq(Virq::TIMER, 0)?, 1);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct EvtchnBindVirq {
    /// A [`Virq`] value.
    pub virq: u32,
    /// The vCPU to notify.
    pub vcpu: u32,
    /// Out: the port.
    pub port: u32,
}

abi_layout! {
    EVTCHN_BIND_VIRQ = struct EvtchnBindVirq as "struct evtchn_bind_virq", size 12, align 4 {
        virq @ 0,
        vcpu @ 4,
        port @ 8,
    }
}

/// `struct evtchn_send`, `struct evtchn_close` and `struct evtchn_unmask`:
/// one port.
///
/// ```
/// use xencall::abi::event_channel::{EvtchnOpCmd, EvtchnPort};
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: event_channel_op(EVTCHNOP_send, &evtchn_send { port: 3 }).
/// xc.backend().set_responder(&|_, a| {
///     assert_eq!(a[0], EvtchnOpCmd::SEND.0.into());
///     assert_eq!(unsafe { *(a[1] as *const EvtchnPort) }, EvtchnPort { port: 3 });
///     0
/// });
/// xc.evtchn_send(3)?;
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct EvtchnPort {
    /// The port.
    pub port: u32,
}

abi_layout! {
    EVTCHN_SEND = struct EvtchnPort as "struct evtchn_send", size 4, align 4 {
        port @ 0,
    }
}

abi_layout! {
    EVTCHN_CLOSE = struct EvtchnPort as "struct evtchn_close", size 4, align 4 {
        port @ 0,
    }
}

abi_layout! {
    EVTCHN_UNMASK = struct EvtchnPort as "struct evtchn_unmask", size 4, align 4 {
        port @ 0,
    }
}

/// `struct evtchn_status`.
///
/// ```
/// use xencall::abi::event_channel::{EvtchnStat, EvtchnStatus};
/// use xencall::{abi::xen::DOMID_SELF, hypercalls::ChannelState, mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: port 4 is connected to domain 0's port 9 and notifies vCPU 1.
/// xc.backend().set_responder(&|_, a| {
///     let s = unsafe { &mut *(a[1] as *mut EvtchnStatus) };
///     (s.status, s.vcpu, s.u) = (EvtchnStat::INTERDOMAIN.0, 1, [0, 9]);
///     0
/// });
/// let state = ChannelState::Interdomain { remote_dom: 0, remote_port: 9 };
/// assert_eq!(xc.evtchn_status(DOMID_SELF, 4)?, (state, 1));
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct EvtchnStatus {
    /// The domain owning the port (`DOMID_SELF`).
    pub dom: u16,
    /// Padding C leaves implicit; zero.
    pub _pad0: u16,
    /// The port.
    pub port: u32,
    /// Out: an [`EvtchnStat`] value.
    pub status: u32,
    /// Out: the vCPU notified.
    pub vcpu: u32,
    /// Out: by status — unbound: `[remote dom, _]`; interdomain:
    /// `[remote dom, remote port]`; pirq/virq: `[number, _]` (as `u32`s,
    /// the domain in the low 16 bits).
    pub u: [u32; 2],
}

abi_layout! {
    EVTCHN_STATUS = struct EvtchnStatus as "struct evtchn_status", size 24, align 4 {
        dom @ 0,
        port @ 4,
        status @ 8,
        vcpu @ 12,
        u @ 16,
    }
    rust_padding { _pad0 @ 2 }
}
