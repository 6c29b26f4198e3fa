//! `__HYPERVISOR_event_channel_op` (`public/event_channel.h`) and the
//! virtual IRQ numbers (`public/xen.h`).

xen_code! {
    /// An `event_channel_op` command.
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct EvtchnBindInterdomain {
    /// The remote domain.
    pub remote_dom: u16,
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
}

/// `struct evtchn_bind_virq`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct EvtchnStatus {
    /// The domain owning the port (`DOMID_SELF`).
    pub dom: u16,
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
}
