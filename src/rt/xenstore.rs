//! The domU's xenstore connection: the [`Xenstore`] client over the page
//! and event channel the toolstack gave it, shared by the whole guest (one
//! ring has one client). `rt::start` records the page and its doorbell
//! when the guest is a domU with a xenstore page; the client is made on
//! first use, in [`with`], so a guest that never calls it links none of
//! the client (536 bytes of `hello` on x86_64, 304 on aarch64).
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

/// The store page's address and its doorbell, until [`with`] makes the
/// client from them.
static RING: spin::Mutex<Option<(usize, EventChannelDoorbell)>> = spin::Mutex::new(None);

/// The client, once made.
static CLIENT: spin::Mutex<Option<RtXenstore>> = spin::Mutex::new(None);

/// Record the page and doorbell if `boot` describes a domU that has a
/// xenstore page.
pub(super) fn init(boot: &BootInfo) {
    let (DomainRole::DomU, Some(ring)) = (boot.domain_role, boot.xenstore_ring) else {
        return;
    };
    let Ok(doorbell) = EventChannelDoorbell::new(boot, ring.event_channel) else {
        return;
    };
    *RING.lock() = Some((ring.address as usize, doorbell));
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
    let mut client = CLIENT.lock();
    if client.is_none() {
        let (address, doorbell) = RING.lock().take()?;
        // SAFETY: `rt::domain` mapped the store page at `address` for the
        // rest of the boot; only this client (and xenstored) uses it, and
        // `take` hands it out once.
        let transport = unsafe { RingTransport::new(address as *mut _, doorbell) };
        *client = Some(Xenstore::new(transport));
    }
    client.as_mut().map(f)
}
