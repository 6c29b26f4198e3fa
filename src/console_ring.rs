//! The PV console (`xencons_interface`, `public/io/console.h`): a domU's
//! console is a page shared with its backend (`xenconsoled` in dom0) and an
//! event channel. Output goes into the page's `out` ring, input arrives in
//! its `in` ring, and each side notifies the other over the channel after
//! changing a ring.
//!
//! Output never loses bytes: [`ConsoleRing::write`] waits on the doorbell
//! while the ring is full, as long as it takes the backend to make room.
//! The boot runtime uses this as a domU's console (`rt::console`); with your
//! own runtime, build one over the page with your own [`Doorbell`].
//!
//! ```
//! use std::sync::atomic::{AtomicUsize, Ordering};
//! use xencall::abi::console::XenconsInterface;
//! use xencall::console_ring::ConsoleRing;
//! use xencall::shared_ring::Doorbell;
//! use zerocopy::FromZeros;
//!
//! struct Bell(AtomicUsize);
//! impl Doorbell for Bell {
//!     fn notify(&self) { self.0.fetch_add(1, Ordering::Relaxed); }
//!     fn wait(&self) { std::thread::yield_now(); }
//! }
//! let mut page = XenconsInterface::new_box_zeroed().unwrap();
//! let page_ptr: *mut XenconsInterface = &mut *page;
//! // SAFETY: the page outlives the console; only it (and, here, the code
//! // below, through the same pointer's ring) uses it.
//! let console = unsafe { ConsoleRing::new(page_ptr, Bell(AtomicUsize::new(0))) };
//! console.write(b"booted\n");
//! assert_eq!(console.doorbell().0.load(Ordering::Relaxed), 1); // backend told
//! // What the backend sees in `out`.
//! // SAFETY: no ring operation runs now.
//! let out = unsafe { &(*page_ptr).out };
//! assert_eq!(&out[..7], b"booted\n");
//! ```

use core::ptr::addr_of_mut;

use crate::abi::console::{XenconsInterface, XENCONS_IN_SIZE, XENCONS_OUT_SIZE};
use crate::shared_ring::{ByteRing, Doorbell};

/// A domU's PV console over its `xencons_interface` page.
///
/// Several writers at once do not corrupt anything (all shared accesses
/// are atomic), but their bytes may interleave: serialise whole messages
/// above it, as `println!` does.
///
/// ```
/// # use xencall::shared_ring::Doorbell;
/// # struct Bell;
/// # impl Doorbell for Bell { fn notify(&self) {} fn wait(&self) { std::thread::yield_now() } }
/// use xencall::abi::console::XenconsInterface;
/// use xencall::console_ring::ConsoleRing;
/// use zerocopy::FromZeros;
///
/// let mut page = XenconsInterface::new_box_zeroed().unwrap();
/// // The backend has typed "ls\n".
/// page.r#in[..3].copy_from_slice(b"ls\n");
/// page.in_prod = 3;
/// // SAFETY: the page outlives the console and nothing else touches it.
/// let console = unsafe { ConsoleRing::new(&mut *page, Bell) };
/// let mut line = [0u8; 16];
/// let n = console.read(&mut line);
/// assert_eq!(&line[..n], b"ls\n");
/// assert_eq!(console.try_read(&mut line), 0); // nothing more for now
/// ```
pub struct ConsoleRing<D> {
    input: ByteRing,
    output: ByteRing,
    doorbell: D,
}

impl<D: Doorbell> ConsoleRing<D> {
    /// The console over the page at `page`, notifying through `doorbell`.
    ///
    /// ```
    /// # use xencall::shared_ring::Doorbell;
    /// # struct Bell;
    /// # impl Doorbell for Bell { fn notify(&self) {} fn wait(&self) {} }
    /// use xencall::abi::console::XenconsInterface;
    /// use xencall::console_ring::ConsoleRing;
    /// use zerocopy::FromZeros;
    ///
    /// let mut page = XenconsInterface::new_box_zeroed().unwrap();
    /// // SAFETY: the page outlives the console and nothing else touches it.
    /// let console = unsafe { ConsoleRing::new(&mut *page, Bell) };
    /// assert_eq!(console.try_write(&[b'x'; 5000]), 2048); // the out ring's size
    /// ```
    ///
    /// # Safety
    /// `page` must point to a `xencons_interface` valid for reads and writes
    /// for the console's whole life (in a guest: the console page, mapped),
    /// accessed meanwhile by nothing but this console and the backend.
    pub unsafe fn new(page: *mut XenconsInterface, doorbell: D) -> ConsoleRing<D> {
        // SAFETY: the caller's contract covers both arrays and the four
        // counters inside the page; `addr_of_mut!` makes no reference.
        unsafe {
            ConsoleRing {
                input: ByteRing::new(
                    addr_of_mut!((*page).r#in).cast::<u8>(),
                    XENCONS_IN_SIZE,
                    addr_of_mut!((*page).in_cons),
                    addr_of_mut!((*page).in_prod),
                ),
                output: ByteRing::new(
                    addr_of_mut!((*page).out).cast::<u8>(),
                    XENCONS_OUT_SIZE,
                    addr_of_mut!((*page).out_cons),
                    addr_of_mut!((*page).out_prod),
                ),
                doorbell,
            }
        }
    }

    /// The doorbell.
    ///
    /// ```
    /// # use xencall::shared_ring::Doorbell;
    /// # struct Bell(u32);
    /// # impl Doorbell for Bell { fn notify(&self) {} fn wait(&self) {} }
    /// # use xencall::{abi::console::XenconsInterface, console_ring::ConsoleRing};
    /// # use zerocopy::FromZeros;
    /// # let mut page = XenconsInterface::new_box_zeroed().unwrap();
    /// // SAFETY: the page outlives the console and nothing else touches it.
    /// let console = unsafe { ConsoleRing::new(&mut *page, Bell(7)) };
    /// assert_eq!(console.doorbell().0, 7);
    /// ```
    pub fn doorbell(&self) -> &D {
        &self.doorbell
    }

    /// Write what fits of `bytes` without waiting, notify the backend if
    /// anything was written, and return how much. A ring the backend
    /// corrupted takes nothing.
    ///
    /// ```
    /// # use xencall::shared_ring::Doorbell;
    /// # struct Bell;
    /// # impl Doorbell for Bell { fn notify(&self) {} fn wait(&self) {} }
    /// # use xencall::{abi::console::XenconsInterface, console_ring::ConsoleRing};
    /// # use zerocopy::FromZeros;
    /// let mut page = XenconsInterface::new_box_zeroed().unwrap();
    /// // SAFETY: the page outlives the console and nothing else touches it.
    /// let console = unsafe { ConsoleRing::new(&mut *page, Bell) };
    /// let mut rest: &[u8] = &[b'.'; 3000];
    /// rest = &rest[console.try_write(rest)..];
    /// // The ring is full: the caller keeps the rest for later.
    /// assert_eq!(rest.len(), 3000 - 2048);
    /// ```
    pub fn try_write(&self, bytes: &[u8]) -> usize {
        let n = self.output.produce(bytes).unwrap_or(0);
        if n > 0 {
            self.doorbell.notify();
        }
        n
    }

    /// Write all of `bytes`, waiting on the doorbell for the backend to
    /// make room whenever the ring is full: nothing is dropped, however
    /// slow the backend (and if it never reads, this never returns).
    ///
    /// ```
    /// use std::sync::atomic::{AtomicU32, Ordering};
    /// use xencall::abi::console::XenconsInterface;
    /// use xencall::console_ring::ConsoleRing;
    /// use xencall::shared_ring::Doorbell;
    /// use zerocopy::FromZeros;
    ///
    /// // A doorbell whose "backend" drains the ring whenever the writer waits.
    /// struct Drain(*mut XenconsInterface, AtomicU32);
    /// impl Doorbell for Drain {
    ///     fn notify(&self) {}
    ///     fn wait(&self) {
    ///         // SAFETY: single-threaded example: no ring operation runs now.
    ///         unsafe { (*self.0).out_cons = (*self.0).out_prod };
    ///         self.1.fetch_add(1, Ordering::Relaxed);
    ///     }
    /// }
    /// let mut page = XenconsInterface::new_box_zeroed().unwrap();
    /// let p: *mut XenconsInterface = &mut *page;
    /// // SAFETY: the page outlives the console.
    /// let console = unsafe { ConsoleRing::new(p, Drain(p, AtomicU32::new(0))) };
    /// console.write(&[b'x'; 5000]); // 2048 + 2048 + 904: two waits
    /// assert_eq!(console.doorbell().1.load(Ordering::Relaxed), 2);
    /// ```
    pub fn write(&self, bytes: &[u8]) {
        let mut rest = bytes;
        loop {
            rest = &rest[self.try_write(rest)..];
            if rest.is_empty() {
                return;
            }
            self.doorbell.wait();
        }
    }

    /// Output bytes the backend has not taken yet (0 for a ring the
    /// backend corrupted: nothing more will be written to it anyway).
    ///
    /// ```
    /// # use xencall::shared_ring::Doorbell;
    /// # struct Bell;
    /// # impl Doorbell for Bell { fn notify(&self) {} fn wait(&self) {} }
    /// # use xencall::{abi::console::XenconsInterface, console_ring::ConsoleRing};
    /// # use zerocopy::FromZeros;
    /// let mut page = XenconsInterface::new_box_zeroed().unwrap();
    /// // SAFETY: the page outlives the console and nothing else touches it.
    /// let console = unsafe { ConsoleRing::new(&mut *page, Bell) };
    /// console.write(b"bye\n");
    /// // Before powering off: has the backend read everything?
    /// assert_eq!(console.output_len(), 4);
    /// ```
    pub fn output_len(&self) -> usize {
        self.output.len().unwrap_or(0)
    }

    /// Read what input there is into `buf` without waiting (0 when none),
    /// and notify the backend that room was freed. Input in a ring the
    /// backend corrupted is dropped.
    ///
    /// ```
    /// # use xencall::shared_ring::Doorbell;
    /// # struct Bell;
    /// # impl Doorbell for Bell { fn notify(&self) {} fn wait(&self) {} }
    /// # use xencall::{abi::console::XenconsInterface, console_ring::ConsoleRing};
    /// # use zerocopy::FromZeros;
    /// let mut page = XenconsInterface::new_box_zeroed().unwrap();
    /// // SAFETY: the page outlives the console and nothing else touches it.
    /// let console = unsafe { ConsoleRing::new(&mut *page, Bell) };
    /// // A guest's main loop: poll the console between other work.
    /// let mut buf = [0u8; 64];
    /// match console.try_read(&mut buf) {
    ///     0 => { /* nothing typed: carry on */ }
    ///     n => println!("typed: {:?}", &buf[..n]),
    /// }
    /// ```
    pub fn try_read(&self, buf: &mut [u8]) -> usize {
        match self.input.consume(buf) {
            Ok(0) => 0,
            Ok(n) => {
                self.doorbell.notify();
                n
            }
            Err(_) => {
                self.input.discard();
                self.doorbell.notify();
                0
            }
        }
    }

    /// Read at least one byte of input into `buf` (unless it is empty),
    /// waiting on the doorbell until some arrives; returns how many.
    ///
    /// ```
    /// # use xencall::shared_ring::Doorbell;
    /// # struct Bell;
    /// # impl Doorbell for Bell { fn notify(&self) {} fn wait(&self) {} }
    /// # use xencall::{abi::console::XenconsInterface, console_ring::ConsoleRing};
    /// # use zerocopy::FromZeros;
    /// let mut page = XenconsInterface::new_box_zeroed().unwrap();
    /// page.r#in[..2].copy_from_slice(b"y\n");
    /// page.in_prod = 2;
    /// // SAFETY: the page outlives the console and nothing else touches it.
    /// let console = unsafe { ConsoleRing::new(&mut *page, Bell) };
    /// // Ask a question, wait for the answer.
    /// console.write(b"continue? ");
    /// let mut answer = [0u8; 1];
    /// console.read(&mut answer);
    /// assert_eq!(&answer, b"y");
    /// ```
    pub fn read(&self, buf: &mut [u8]) -> usize {
        if buf.is_empty() {
            return 0;
        }
        loop {
            let n = self.try_read(buf);
            if n > 0 {
                return n;
            }
            self.doorbell.wait();
        }
    }
}
