//! A byte ring in a page shared with another domain, the transport under
//! the PV console ([`console_ring`](crate::console_ring)) and the xenstore
//! client: a power-of-two byte array and two free-running 32-bit counters,
//! `prod` advanced by the side that writes and `cons` by the side that
//! reads. A counter is reduced to an array index by masking, so the
//! counters may wrap at 2^32 and their difference is always the fill level.
//!
//! The other side is another domain that may run at the same moment on
//! another CPU, and that the guest does not trust: every access to the
//! shared bytes and counters is an atomic one (a plain load or store on
//! the machine), so whatever the peer does is no data race, and every index
//! is masked, so no counter value reaches outside the array. The order the
//! protocol needs comes from acquire and release: the producer fills the
//! bytes, then publishes `prod` (release); the consumer reads `prod`
//! (acquire), then the bytes, then publishes `cons` (release), after
//! which the producer, reading `cons` (acquire), may reuse the bytes.
//!
//! ```
//! use xencall::shared_ring::ByteRing;
//!
//! // Both sides of one 8-byte ring in local memory (in a guest, the page
//! // would be shared with the backend).
//! let mut data = [0u8; 8];
//! let (mut cons, mut prod) = (0u32, 0u32);
//! // SAFETY: the array and counters outlive `ring` and nothing else uses them.
//! let ring = unsafe { ByteRing::new(data.as_mut_ptr(), 8, &mut cons, &mut prod) };
//! assert_eq!(ring.produce(b"hello, world"), Ok(8)); // what fits
//! let mut out = [0u8; 5];
//! assert_eq!(ring.consume(&mut out), Ok(5));
//! assert_eq!(&out, b"hello");
//! assert_eq!(ring.produce(b", world"), Ok(5)); // wraps around the end
//! assert_eq!(ring.len(), Ok(8));
//! ```

use core::ptr::NonNull;
use core::sync::atomic::{AtomicU32, AtomicU8, Ordering};

/// How a ring's user tells the peer it changed the ring, and waits for the
/// peer to change it: in a guest an event channel (`EVTCHNOP_send`, and
/// `SCHEDOP_poll` on the port), in a host test anything that lets the
/// peer's thread run.
///
/// ```
/// use std::sync::atomic::{AtomicUsize, Ordering};
/// use xencall::shared_ring::Doorbell;
///
/// /// Counts notifications; waiting lets other threads run.
/// struct Counting(AtomicUsize);
/// impl Doorbell for Counting {
///     fn notify(&self) { self.0.fetch_add(1, Ordering::Relaxed); }
///     fn wait(&self) { std::thread::yield_now(); }
/// }
/// let bell = Counting(AtomicUsize::new(0));
/// bell.notify();
/// assert_eq!(bell.0.load(Ordering::Relaxed), 1);
/// ```
pub trait Doorbell {
    /// Tell the peer the ring changed (new bytes, or room freed).
    ///
    /// ```
    /// use std::cell::Cell;
    /// use xencall::shared_ring::Doorbell;
    ///
    /// struct Flag(Cell<bool>);
    /// impl Doorbell for Flag {
    ///     fn notify(&self) { self.0.set(true); }
    ///     fn wait(&self) {}
    /// }
    /// // A producer notifies after publishing, so the peer finds the bytes.
    /// let bell = Flag(Cell::new(false));
    /// bell.notify();
    /// assert!(bell.0.get());
    /// ```
    fn notify(&self);
    /// Wait until the peer may have changed the ring. Returning early is
    /// allowed (callers check the ring again); returning never after the
    /// peer has notified is not.
    ///
    /// ```
    /// use std::sync::atomic::{AtomicBool, Ordering};
    /// use xencall::shared_ring::Doorbell;
    ///
    /// // The shape of every waiting loop over a ring: check, then wait,
    /// // then check again (a wait may return early).
    /// struct Spin;
    /// impl Doorbell for Spin {
    ///     fn notify(&self) {}
    ///     fn wait(&self) { std::hint::spin_loop(); }
    /// }
    /// static READY: AtomicBool = AtomicBool::new(true);
    /// while !READY.load(Ordering::Acquire) {
    ///     Spin.wait();
    /// }
    /// ```
    fn wait(&self);
}

/// The peer left the counters in a state no correct peer can: more bytes
/// in the ring than it holds. Nothing was copied.
///
/// ```
/// use xencall::shared_ring::{ByteRing, RingCorrupt};
///
/// let mut data = [0u8; 4];
/// // A peer claims 9 bytes in a 4-byte ring.
/// let (mut cons, mut prod) = (0u32, 9u32);
/// // SAFETY: local memory, used by nothing else.
/// let ring = unsafe { ByteRing::new(data.as_mut_ptr(), 4, &mut cons, &mut prod) };
/// assert_eq!(ring.consume(&mut [0u8; 4]), Err(RingCorrupt { used: 9 }));
/// assert_eq!(ring.produce(b"x"), Err(RingCorrupt { used: 9 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingCorrupt {
    /// `prod - cons` as found.
    pub used: u32,
}

impl core::fmt::Display for RingCorrupt {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "shared ring corrupt: {} bytes claimed", self.used)
    }
}

/// One direction of a shared byte ring: the array and its two counters.
/// The same type serves both sides; a user calls [`produce`](Self::produce)
/// on a ring it writes and [`consume`](Self::consume) on one it reads.
///
/// ```
/// use xencall::shared_ring::ByteRing;
///
/// let mut data = [0u8; 16];
/// // Counters just below the 2^32 wrap: nothing changes for the user.
/// let (mut cons, mut prod) = (u32::MAX - 2, u32::MAX - 2);
/// // SAFETY: local memory, used by nothing else.
/// let ring = unsafe { ByteRing::new(data.as_mut_ptr(), 16, &mut cons, &mut prod) };
/// assert_eq!(ring.produce(b"across"), Ok(6));
/// let mut out = [0u8; 6];
/// assert_eq!(ring.consume(&mut out), Ok(6));
/// assert_eq!(&out, b"across");
/// ```
pub struct ByteRing {
    data: NonNull<u8>,
    /// A power of two.
    size: u32,
    cons: NonNull<u32>,
    prod: NonNull<u32>,
}

// SAFETY: every access through the pointers is atomic, so using a ring
// from several threads is no data race; `new`'s contract keeps the memory
// alive for the ring's life.
unsafe impl Send for ByteRing {}
// SAFETY: as above.
unsafe impl Sync for ByteRing {}

impl ByteRing {
    /// A ring over `size` bytes at `data` with counters at `cons` and
    /// `prod`. Panics unless `size` is a power of two below 2^31 and the
    /// pointers are non-null (a programming error, not an input).
    ///
    /// ```
    /// use xencall::shared_ring::ByteRing;
    ///
    /// let mut data = vec![0u8; 1024];
    /// let mut counters = [0u32; 2];
    /// let [cons, prod] = &mut counters;
    /// // SAFETY: local memory that outlives the ring, used by nothing else.
    /// let ring = unsafe { ByteRing::new(data.as_mut_ptr(), data.len(), cons, prod) };
    /// assert_eq!(ring.capacity(), 1024);
    /// ```
    ///
    /// # Safety
    /// `data` must be valid for reads and writes of `size` bytes and `cons`
    /// and `prod` for reads and writes of an aligned `u32`, for the ring's
    /// whole life; nothing but this ring and the peer (another domain, or
    /// another `ByteRing` over the same memory) may access them meanwhile.
    pub unsafe fn new(data: *mut u8, size: usize, cons: *mut u32, prod: *mut u32) -> ByteRing {
        assert!(size.is_power_of_two() && size < 1 << 31, "ring size {size}");
        ByteRing {
            data: NonNull::new(data).expect("ring data"),
            size: size as u32,
            cons: NonNull::new(cons).expect("ring cons"),
            prod: NonNull::new(prod).expect("ring prod"),
        }
    }

    /// Bytes the ring holds when full.
    ///
    /// ```
    /// use xencall::shared_ring::ByteRing;
    ///
    /// let mut data = [0u8; 32];
    /// let (mut cons, mut prod) = (0, 0);
    /// // SAFETY: local memory, used by nothing else.
    /// let ring = unsafe { ByteRing::new(data.as_mut_ptr(), 32, &mut cons, &mut prod) };
    /// assert_eq!(ring.produce(&[7; 40]), Ok(ring.capacity()));
    /// ```
    pub fn capacity(&self) -> usize {
        self.size as usize
    }

    fn counter(&self, which: NonNull<u32>) -> &AtomicU32 {
        // SAFETY: `new`'s contract: an aligned u32 valid for the ring's
        // life; AtomicU32 has u32's layout, and the peer's accesses are
        // the machine's plain loads and stores, which atomics tolerate.
        unsafe { AtomicU32::from_ptr(which.as_ptr()) }
    }

    fn byte(&self, counter: u32) -> &AtomicU8 {
        let index = (counter & (self.size - 1)) as usize;
        // SAFETY: the index is masked below `size`, inside the array
        // `new`'s contract keeps valid; AtomicU8 has u8's layout.
        unsafe { AtomicU8::from_ptr(self.data.as_ptr().add(index)) }
    }

    /// `prod - cons`, or the corruption it shows.
    fn used(&self, cons: u32, prod: u32) -> Result<u32, RingCorrupt> {
        let used = prod.wrapping_sub(cons);
        if used > self.size {
            return Err(RingCorrupt { used });
        }
        Ok(used)
    }

    /// Bytes in the ring now (written, not yet read).
    ///
    /// ```
    /// use xencall::shared_ring::ByteRing;
    ///
    /// let mut data = [0u8; 8];
    /// let (mut cons, mut prod) = (0, 0);
    /// // SAFETY: local memory, used by nothing else.
    /// let ring = unsafe { ByteRing::new(data.as_mut_ptr(), 8, &mut cons, &mut prod) };
    /// ring.produce(b"abc")?;
    /// assert_eq!(ring.len(), Ok(3));
    /// # Ok::<(), xencall::shared_ring::RingCorrupt>(())
    /// ```
    pub fn len(&self) -> Result<usize, RingCorrupt> {
        let prod = self.counter(self.prod).load(Ordering::Acquire);
        let cons = self.counter(self.cons).load(Ordering::Acquire);
        Ok(self.used(cons, prod)? as usize)
    }

    /// Whether the ring holds no bytes.
    ///
    /// ```
    /// use xencall::shared_ring::ByteRing;
    ///
    /// let mut data = [0u8; 8];
    /// let (mut cons, mut prod) = (5, 5);
    /// // SAFETY: local memory, used by nothing else.
    /// let ring = unsafe { ByteRing::new(data.as_mut_ptr(), 8, &mut cons, &mut prod) };
    /// assert_eq!(ring.is_empty(), Ok(true));
    /// ```
    pub fn is_empty(&self) -> Result<bool, RingCorrupt> {
        Ok(self.len()? == 0)
    }

    /// As the writing side: copy as much of `bytes` as fits, publish it,
    /// and return how much that was (0 when full). The peer is not told:
    /// that is the caller's doorbell.
    ///
    /// ```
    /// use xencall::shared_ring::ByteRing;
    ///
    /// let mut data = [0u8; 4];
    /// let (mut cons, mut prod) = (0, 0);
    /// // SAFETY: local memory, used by nothing else.
    /// let ring = unsafe { ByteRing::new(data.as_mut_ptr(), 4, &mut cons, &mut prod) };
    /// assert_eq!(ring.produce(b"abcdef"), Ok(4));
    /// assert_eq!(ring.produce(b"ef"), Ok(0)); // full until the reader moves
    /// ```
    pub fn produce(&self, bytes: &[u8]) -> Result<usize, RingCorrupt> {
        // Acquire: the peer has finished reading the bytes it released
        // before we overwrite them.
        let cons = self.counter(self.cons).load(Ordering::Acquire);
        let prod = self.counter(self.prod).load(Ordering::Relaxed);
        let free = self.size - self.used(cons, prod)?;
        let n = bytes.len().min(free as usize);
        for (i, &b) in bytes[..n].iter().enumerate() {
            self.byte(prod.wrapping_add(i as u32))
                .store(b, Ordering::Relaxed);
        }
        // Release: the bytes are visible before the counter that covers
        // them.
        self.counter(self.prod)
            .store(prod.wrapping_add(n as u32), Ordering::Release);
        Ok(n)
    }

    /// As the reading side: copy up to `buf.len()` bytes out, release
    /// their room, and return how many (0 when empty).
    ///
    /// ```
    /// use xencall::shared_ring::ByteRing;
    ///
    /// let mut data = [0u8; 8];
    /// let (mut cons, mut prod) = (0, 0);
    /// // SAFETY: local memory, used by nothing else.
    /// let ring = unsafe { ByteRing::new(data.as_mut_ptr(), 8, &mut cons, &mut prod) };
    /// ring.produce(b"abc")?;
    /// let mut two = [0u8; 2];
    /// assert_eq!(ring.consume(&mut two), Ok(2));
    /// assert_eq!(&two, b"ab");
    /// assert_eq!(ring.consume(&mut two), Ok(1));
    /// assert_eq!(ring.consume(&mut two), Ok(0));
    /// # Ok::<(), xencall::shared_ring::RingCorrupt>(())
    /// ```
    pub fn consume(&self, buf: &mut [u8]) -> Result<usize, RingCorrupt> {
        // Acquire: the bytes `prod` covers are visible.
        let prod = self.counter(self.prod).load(Ordering::Acquire);
        let cons = self.counter(self.cons).load(Ordering::Relaxed);
        let n = buf.len().min(self.used(cons, prod)? as usize);
        for (i, slot) in buf[..n].iter_mut().enumerate() {
            *slot = self
                .byte(cons.wrapping_add(i as u32))
                .load(Ordering::Relaxed);
        }
        // Release: our reads are done before the peer may reuse the room.
        self.counter(self.cons)
            .store(cons.wrapping_add(n as u32), Ordering::Release);
        Ok(n)
    }

    /// As the reading side: drop everything in the ring (after
    /// [`RingCorrupt`], to start again from the peer's `prod`).
    ///
    /// ```
    /// use xencall::shared_ring::ByteRing;
    ///
    /// let mut data = [0u8; 4];
    /// let (mut cons, mut prod) = (0, 100);
    /// // SAFETY: local memory, used by nothing else.
    /// let ring = unsafe { ByteRing::new(data.as_mut_ptr(), 4, &mut cons, &mut prod) };
    /// assert!(ring.consume(&mut [0; 4]).is_err());
    /// ring.discard();
    /// assert_eq!(ring.len(), Ok(0));
    /// ```
    pub fn discard(&self) {
        let prod = self.counter(self.prod).load(Ordering::Acquire);
        self.counter(self.cons).store(prod, Ordering::Release);
    }
}
