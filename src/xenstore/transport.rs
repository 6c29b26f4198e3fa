//! How the client's bytes reach the daemon: the [`Transport`] trait, and
//! [`RingTransport`], a domU's shared xenstore page and event channel.

use core::ptr::addr_of_mut;

use super::error::XsError;
use crate::abi::xenstore::{
    XenstoreDomainInterface, XENSTORE_ERROR_NONE, XENSTORE_RING_SIZE, XENSTORE_SERVER_FEATURE_ERROR,
};
use crate::shared_ring::{ByteRing, Doorbell};

/// A byte stream to and from the daemon.
///
/// ```
/// use xencall::xenstore::{Transport, XsError};
///
/// /// A transport that answers nothing, for code that only sends.
/// struct Sink(Vec<u8>);
/// impl Transport for Sink {
///     fn send(&mut self, bytes: &[u8]) -> Result<(), XsError> {
///         self.0.extend_from_slice(bytes);
///         Ok(())
///     }
///     fn receive(&mut self, _buf: &mut [u8], block: bool) -> Result<usize, XsError> {
///         assert!(!block, "nothing will ever arrive");
///         Ok(0)
///     }
/// }
/// let mut sink = Sink(Vec::new());
/// sink.send(b"abc")?;
/// assert_eq!(sink.0, b"abc");
/// # Ok::<(), XsError>(())
/// ```
pub trait Transport {
    /// Send all of `bytes`, waiting for room as long as needed.
    fn send(&mut self, bytes: &[u8]) -> Result<(), XsError>;
    /// Receive into `buf`: at least one byte when `block` (waiting as long
    /// as needed), possibly none otherwise. Returns how many.
    fn receive(&mut self, buf: &mut [u8], block: bool) -> Result<usize, XsError>;
}

/// The xenstore page of a domU (`xenstore_domain_interface`) and its
/// event channel, behind a [`Doorbell`].
///
/// ```
/// use xencall::abi::xenstore::XenstoreDomainInterface;
/// use xencall::shared_ring::Doorbell;
/// use xencall::xenstore::{RingTransport, Transport};
/// use zerocopy::FromZeros;
///
/// struct Bell;
/// impl Doorbell for Bell { fn notify(&self) {} fn wait(&self) {} }
/// let mut page = XenstoreDomainInterface::new_box_zeroed().unwrap();
/// let p: *mut XenstoreDomainInterface = &mut *page;
/// // SAFETY: the page outlives the transport; nothing else uses it here.
/// let mut ring = unsafe { RingTransport::new(p, Bell) };
/// ring.send(b"request bytes")?;
/// // SAFETY: no ring operation runs now.
/// assert_eq!(unsafe { (*p).req_prod }, 13);
/// assert_eq!(ring.receive(&mut [0; 16], false)?, 0); // no reply yet
/// # Ok::<(), xencall::xenstore::XsError>(())
/// ```
pub struct RingTransport<D> {
    page: *mut XenstoreDomainInterface,
    requests: ByteRing,
    replies: ByteRing,
    doorbell: D,
}

// SAFETY: the page is accessed only through atomic ring operations and
// volatile reads of two fields the daemon writes.
unsafe impl<D: Send> Send for RingTransport<D> {}

impl<D: Doorbell> RingTransport<D> {
    /// The transport over the page at `page`, signalling through
    /// `doorbell`.
    ///
    /// ```no_run
    /// # use xencall::shared_ring::Doorbell;
    /// # struct Port(u32);
    /// # impl Doorbell for Port { fn notify(&self) {} fn wait(&self) {} }
    /// use xencall::xenstore::{RingTransport, Xenstore};
    ///
    /// # let (store_page, store_port) = (0x1000 as *mut _, 1);
    /// // In a domU: the page the toolstack named (mapped), and its port.
    /// // SAFETY: the page is mapped for good and used by this client only.
    /// let ring = unsafe { RingTransport::new(store_page, Port(store_port)) };
    /// let mut xs = Xenstore::new(ring);
    /// let name = xs.read_string("name")?;
    /// # Ok::<(), xencall::xenstore::XsError>(())
    /// ```
    ///
    /// # Safety
    /// `page` must point to a `xenstore_domain_interface` valid for reads
    /// and writes for the transport's whole life (in a guest: the store
    /// page, mapped), used meanwhile by nothing but this transport and the
    /// daemon.
    pub unsafe fn new(page: *mut XenstoreDomainInterface, doorbell: D) -> RingTransport<D> {
        // SAFETY: the caller's contract covers both arrays and the four
        // counters inside the page; `addr_of_mut!` makes no reference.
        unsafe {
            RingTransport {
                page,
                requests: ByteRing::new(
                    addr_of_mut!((*page).req).cast::<u8>(),
                    XENSTORE_RING_SIZE,
                    addr_of_mut!((*page).req_cons),
                    addr_of_mut!((*page).req_prod),
                ),
                replies: ByteRing::new(
                    addr_of_mut!((*page).rsp).cast::<u8>(),
                    XENSTORE_RING_SIZE,
                    addr_of_mut!((*page).rsp_cons),
                    addr_of_mut!((*page).rsp_prod),
                ),
                doorbell,
            }
        }
    }

    /// The doorbell.
    ///
    /// ```
    /// # use xencall::shared_ring::Doorbell;
    /// # struct Port(u32);
    /// # impl Doorbell for Port { fn notify(&self) {} fn wait(&self) {} }
    /// # use xencall::{abi::xenstore::XenstoreDomainInterface, xenstore::RingTransport};
    /// # use zerocopy::FromZeros;
    /// # let mut page = XenstoreDomainInterface::new_box_zeroed().unwrap();
    /// // SAFETY: the page outlives the transport.
    /// let ring = unsafe { RingTransport::new(&mut *page, Port(3)) };
    /// assert_eq!(ring.doorbell().0, 3);
    /// ```
    pub fn doorbell(&self) -> &D {
        &self.doorbell
    }

    /// The daemon's ring error, when it reports them (a daemon without
    /// `XENSTORE_SERVER_FEATURE_ERROR` leaves the field alone).
    fn ring_error(&self) -> Result<(), XsError> {
        // SAFETY: two u32 fields inside the page `new`'s contract keeps
        // valid; read volatile, as the daemon may write them any time.
        let (features, error) = unsafe {
            (
                addr_of_mut!((*self.page).server_features).read_volatile(),
                addr_of_mut!((*self.page).error).read_volatile(),
            )
        };
        if features & XENSTORE_SERVER_FEATURE_ERROR != 0 && error != XENSTORE_ERROR_NONE {
            return Err(XsError::RingError(error));
        }
        Ok(())
    }
}

impl<D: Doorbell> Transport for RingTransport<D> {
    fn send(&mut self, bytes: &[u8]) -> Result<(), XsError> {
        let mut rest = bytes;
        loop {
            let n = self.requests.produce(rest)?;
            if n > 0 {
                self.doorbell.notify();
                rest = &rest[n..];
            }
            if rest.is_empty() {
                return Ok(());
            }
            self.ring_error()?;
            self.doorbell.wait();
        }
    }

    fn receive(&mut self, buf: &mut [u8], block: bool) -> Result<usize, XsError> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let n = self.replies.consume(buf)?;
            if n > 0 {
                // Room freed: a daemon with more to say may be waiting.
                self.doorbell.notify();
                return Ok(n);
            }
            self.ring_error()?;
            if !block {
                return Ok(0);
            }
            self.doorbell.wait();
        }
    }
}
