//! `event_channel_op`: Xen's interrupts — allocate, bind, send, inspect,
//! unmask and close event channels.

use crate::abi::event_channel::{
    EvtchnAllocUnbound, EvtchnBindInterdomain, EvtchnBindVirq, EvtchnOpCmd, EvtchnPort, EvtchnStat,
    EvtchnStatus, Virq,
};
use zerocopy::{FromBytes, IntoBytes};

use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::Result;
use crate::handle::Xencall;

/// What [`Xencall::evtchn_status`] reports about a port.
///
/// ```no_run
/// use xencall::{abi::memory::DOMID_SELF, hypercalls::ChannelState};
/// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
/// # let port = 3u32;
/// let (state, vcpu) = xc.evtchn_status(DOMID_SELF, port)?;
/// match state {
///     // The other domain has not bound it yet: keep waiting.
///     ChannelState::Unbound { remote_dom } => println!("waiting for d{remote_dom}"),
///     ChannelState::Interdomain { remote_dom, remote_port } => {
///         println!("port {port} <-> d{remote_dom}:{remote_port}, notifies vCPU {vcpu}")
///     }
///     other => println!("port {port}: {other:?}"),
/// }
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChannelState {
    /// Not in use.
    Closed,
    /// Waiting for `remote_dom` to bind.
    Unbound {
        /// The domain allowed to bind.
        remote_dom: u16,
    },
    /// Connected to a port of another (or the same) domain.
    Interdomain {
        /// The remote domain.
        remote_dom: u16,
        /// Its port.
        remote_port: u32,
    },
    /// Bound to a physical IRQ.
    Pirq(u32),
    /// Bound to a virtual IRQ.
    Virq(Virq),
    /// An inter-vCPU channel.
    Ipi,
    /// A state this crate does not know.
    Other(EvtchnStat),
}

impl<B: Backend> Xencall<B> {
    /// Run an `event_channel_op` whose argument is a `T`; the `T` as Xen
    /// left it.
    fn evtchn_op<T: Copy + FromBytes + IntoBytes>(&self, cmd: EvtchnOpCmd, arg: T) -> Result<T> {
        let buffer = self.buffer(arg)?;
        // SAFETY: Xen reads and writes the structure in the buffer.
        unsafe { self.call2(HypercallOp::EVENT_CHANNEL_OP, cmd.0.into(), buffer.addr())? };
        Ok(buffer.read())
    }

    /// `EVTCHNOP_alloc_unbound`: a new port in `dom` (usually
    /// `DOMID_SELF`) that `remote_dom` may bind to.
    ///
    /// ```no_run
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // Offer a port to dom0 (the backend); publish it, e.g. in xenstore,
    /// // for the backend to bind with `evtchn_bind_interdomain`.
    /// let port = xc.evtchn_alloc_unbound(DOMID_SELF, 0)?;
    /// # let _ = port;
    /// # Ok(()) }
    /// ```
    pub fn evtchn_alloc_unbound(&self, dom: u16, remote_dom: u16) -> Result<u32> {
        let r = self.evtchn_op(
            EvtchnOpCmd::ALLOC_UNBOUND,
            EvtchnAllocUnbound {
                dom,
                remote_dom,
                port: 0,
            },
        )?;
        Ok(r.port)
    }

    /// `EVTCHNOP_bind_interdomain`: connect a new local port to
    /// `remote_port` of `remote_dom`; returns the local port.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let (frontend, offered) = (5u16, 9u32);
    /// // The backend side: `offered` is the port the frontend domain allocated.
    /// let local = xc.evtchn_bind_interdomain(frontend, offered)?;
    /// xc.evtchn_send(local)?; // tell the frontend we are connected
    /// # Ok(()) }
    /// ```
    pub fn evtchn_bind_interdomain(&self, remote_dom: u16, remote_port: u32) -> Result<u32> {
        let r = self.evtchn_op(
            EvtchnOpCmd::BIND_INTERDOMAIN,
            EvtchnBindInterdomain {
                remote_dom,
                _pad0: 0,
                remote_port,
                local_port: 0,
            },
        )?;
        Ok(r.local_port)
    }

    /// `EVTCHNOP_bind_virq`: a port for `virq` on `vcpu`.
    ///
    /// ```no_run
    /// use xencall::abi::event_channel::Virq;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // Timer interrupts for vCPU 0 arrive on this port once bound.
    /// let timer_port = xc.evtchn_bind_virq(Virq::TIMER, 0)?;
    /// // Binding the same VIRQ twice on one vCPU fails with EEXIST.
    /// # let _ = timer_port;
    /// # Ok(()) }
    /// ```
    pub fn evtchn_bind_virq(&self, virq: Virq, vcpu: u32) -> Result<u32> {
        let r = self.evtchn_op(
            EvtchnOpCmd::BIND_VIRQ,
            EvtchnBindVirq {
                virq: virq.0,
                vcpu,
                port: 0,
            },
        )?;
        Ok(r.port)
    }

    /// `EVTCHNOP_send`: notify the other end of `port`.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let port = 3u32;
    /// // After putting a request on the shared ring, kick the backend.
    /// xc.evtchn_send(port)?;
    /// # Ok(()) }
    /// ```
    pub fn evtchn_send(&self, port: u32) -> Result<()> {
        self.evtchn_op(EvtchnOpCmd::SEND, EvtchnPort { port })
            .map(drop)
    }

    /// `EVTCHNOP_unmask`: unmask `port` (delivering it if pending).
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let port = 3u32;
    /// // Handler done: unmask through Xen rather than by clearing the mask bit,
    /// // so an event that arrived while masked is delivered now, not later.
    /// xc.evtchn_unmask(port)?;
    /// # Ok(()) }
    /// ```
    pub fn evtchn_unmask(&self, port: u32) -> Result<()> {
        self.evtchn_op(EvtchnOpCmd::UNMASK, EvtchnPort { port })
            .map(drop)
    }

    /// `EVTCHNOP_close`.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let port = 3u32;
    /// xc.evtchn_close(port)?;
    /// // Forget the number now: Xen may hand it out again for a new channel,
    /// // and a second close would then tear that one down.
    /// # Ok(()) }
    /// ```
    pub fn evtchn_close(&self, port: u32) -> Result<()> {
        self.evtchn_op(EvtchnOpCmd::CLOSE, EvtchnPort { port })
            .map(drop)
    }

    /// `EVTCHNOP_status` of `port` in `dom`; returns the state and the vCPU
    /// it notifies.
    ///
    /// ```no_run
    /// use xencall::{abi::memory::DOMID_SELF, hypercalls::ChannelState};
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let port = 3u32;
    /// let (state, _vcpu) = xc.evtchn_status(DOMID_SELF, port)?;
    /// // Closed: the other end went away, so tear down our side too.
    /// if state == ChannelState::Closed {
    ///     println!("port {port} is closed");
    /// }
    /// # Ok(()) }
    /// ```
    pub fn evtchn_status(&self, dom: u16, port: u32) -> Result<(ChannelState, u32)> {
        let s = self.evtchn_op(
            EvtchnOpCmd::STATUS,
            EvtchnStatus {
                dom,
                port,
                ..EvtchnStatus::default()
            },
        )?;
        let state = match EvtchnStat(s.status) {
            EvtchnStat::CLOSED => ChannelState::Closed,
            EvtchnStat::UNBOUND => ChannelState::Unbound {
                remote_dom: s.u[0] as u16,
            },
            EvtchnStat::INTERDOMAIN => ChannelState::Interdomain {
                remote_dom: s.u[0] as u16,
                remote_port: s.u[1],
            },
            EvtchnStat::PIRQ => ChannelState::Pirq(s.u[0]),
            EvtchnStat::VIRQ => ChannelState::Virq(Virq(s.u[0])),
            EvtchnStat::IPI => ChannelState::Ipi,
            other => ChannelState::Other(other),
        };
        Ok((state, s.vcpu))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_come_back_from_xen_and_status_is_decoded() {
        let xc = crate::mock::mock_handle(2);
        xc.backend().respond(|op, a| {
            assert_eq!(op, 32);
            let p = a[1];
            // SAFETY: each command's structure, in a hypercall buffer.
            unsafe {
                match a[0] {
                    6 => (*(p as *mut EvtchnAllocUnbound)).port = 5,
                    0 => {
                        let b = &mut *(p as *mut EvtchnBindInterdomain);
                        assert_eq!((b.remote_dom, b.remote_port), (0x7ff0, 5));
                        b.local_port = 6;
                    }
                    1 => (*(p as *mut EvtchnBindVirq)).port = 7,
                    5 => {
                        let s = &mut *(p as *mut EvtchnStatus);
                        assert_eq!(s.port, 6);
                        s.status = 2;
                        s.u = [0, 5];
                    }
                    3 | 4 | 9 => assert_eq!((*(p as *const EvtchnPort)).port, 6),
                    _ => unreachable!(),
                }
            }
            0
        });
        let a = xc.evtchn_alloc_unbound(0x7ff0, 0x7ff0).unwrap();
        let b = xc.evtchn_bind_interdomain(0x7ff0, a).unwrap();
        assert_eq!((a, b), (5, 6));
        assert_eq!(xc.evtchn_bind_virq(Virq::TIMER, 0), Ok(7));
        assert_eq!(
            xc.evtchn_status(0x7ff0, b),
            Ok((
                ChannelState::Interdomain {
                    remote_dom: 0,
                    remote_port: 5
                },
                0
            ))
        );
        xc.evtchn_send(6).unwrap();
        xc.evtchn_unmask(6).unwrap();
        xc.evtchn_close(6).unwrap();
        assert_eq!(xc.pool().free_page_count(), 2);
    }
}
