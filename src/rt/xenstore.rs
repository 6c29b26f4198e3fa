//! The domU's xenstore connection: the [`Xenstore`] client over the page
//! and event channel the toolstack gave it, made by `rt::start` when the
//! guest is a domU with a xenstore page, and shared by the whole guest
//! (one ring has one client).
//!
//! [`Xenstore`]: crate::xenstore::Xenstore

use super::event_doorbell::EventChannelDoorbell;
use super::{BootInfo, DomainRole};
use crate::xenstore::{RingTransport, Xenstore};

/// The runtime's client type.
///
/// ```no_run
/// use xencall::rt::xenstore::{self, RtXenstore};
///
/// fn my_name(xs: &mut RtXenstore) -> Result<String, xencall::xenstore::XsError> {
///     xs.read_string("name")
/// }
/// let name = xenstore::with(my_name);
/// # let _ = name;
/// ```
pub type RtXenstore = Xenstore<RingTransport<EventChannelDoorbell>>;

static CLIENT: spin::Mutex<Option<RtXenstore>> = spin::Mutex::new(None);

/// Connect if `boot` describes a domU that has a xenstore page.
pub(super) fn init(boot: &BootInfo) {
    let (DomainRole::DomU, Some(ring)) = (boot.domain_role, boot.xenstore_ring) else {
        return;
    };
    let Ok(doorbell) = EventChannelDoorbell::new(boot, ring.event_channel) else {
        return;
    };
    // SAFETY: `rt::domain` mapped the store page at `address` for the rest
    // of the boot; only this client (and xenstored) uses it.
    let transport = unsafe { RingTransport::new(ring.address as *mut _, doorbell) };
    *CLIENT.lock() = Some(Xenstore::new(transport));
}

/// Run `f` with the guest's xenstore client; `None` if the guest has none
/// (dom0 at boot, or a domU without a store page). Calls are serialised:
/// calling `with` again from inside `f` deadlocks.
///
/// ```no_run
/// use xencall::rt::xenstore;
///
/// // A domU reads its own id and name, and leaves a note for dom0.
/// let found = xenstore::with(|xs| -> Result<(u16, String), xencall::xenstore::XsError> {
///     let domid = xs.read_string("domid")?.parse().unwrap_or(0);
///     let name = xs.read_string("name")?;
///     xs.write("data/status", b"running")?;
///     Ok((domid, name))
/// });
/// match found {
///     Some(Ok((domid, name))) => xencall::println!("domain {domid} is {name}"),
///     Some(Err(e)) => xencall::println!("xenstore: {e}"),
///     None => xencall::println!("no xenstore (dom0?)"),
/// }
/// ```
pub fn with<R>(f: impl FnOnce(&mut RtXenstore) -> R) -> Option<R> {
    CLIENT.lock().as_mut().map(f)
}
