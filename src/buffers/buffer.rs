//! Owned hypercall buffers with typed access; freed (and scrubbed) on drop.

use core::marker::PhantomData;
use core::ptr::NonNull;

use zerocopy::{FromBytes, IntoBytes};

use super::pool::Pool;
use super::{pages_for, PAGE_SIZE};
use crate::error::{Error, Result};

/// One `T` in a hypercall buffer: the memory Xen reads or writes when given
/// [`Buffer::addr`]. Freed and scrubbed when dropped. `'h` ties it to the
/// handle it came from, so it cannot outlive the handle.
///
/// What `T` must be, and why (the same for [`BufferArray`]):
/// * [`FromBytes`]: Xen may leave any bytes in the buffer, and
///   [`read`](Buffer::read) and `Deref` hand them out as a `T`, so every bit
///   pattern must be a valid `T` (no `bool`, `NonZeroU32`, references or
///   enums). Zeroed pages are a valid `T` too.
/// * [`IntoBytes`]: Xen reads every byte of the buffer, so none may be
///   padding: an uninitialised byte would carry whatever the stack held
///   into Xen (and through it to other domains).
/// * `Copy`: [`read`](Buffer::read) copies the value out and the buffer
///   keeps it; nothing in a buffer needs dropping.
///
/// A type whose bytes are not all valid values is refused at compile time:
///
/// ```compile_fail,E0277
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Xen could write 2 into it: not a bool.
/// let flag = xc.buffer(false)?;
/// # Ok::<(), xencall::Error>(())
/// ```
///
/// ```
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// let mut arg = xc.buffer([0u64; 2])?;
/// // Its own page of the pool: the only memory Xen may be given.
/// assert_eq!(arg.addr() % 4096, 0);
/// assert!(xc.pool().is_buffer_range(arg.addr() as usize, 16));
/// arg.write([7, 8]); // e.g. arguments the next call reads
/// assert_eq!(arg.read(), [7, 8]);
/// let free = xc.pool().free_page_count();
/// drop(arg);
/// assert_eq!(xc.pool().free_page_count(), free + 1);
/// # Ok::<(), xencall::Error>(())
/// ```
pub struct Buffer<'h, T: Copy + FromBytes + IntoBytes> {
    ptr: NonNull<T>,
    pool: &'static Pool,
    _handle: PhantomData<(&'h (), T)>,
}

impl<'h, T: Copy + FromBytes + IntoBytes> Buffer<'h, T> {
    /// Allocate from `pool` and move `value` in.
    pub(crate) fn new_in(pool: &'static Pool, value: T) -> Result<Self> {
        let pages = pages_for(core::mem::size_of::<T>().max(1)).ok_or(Error::InvalidSize)?;
        if core::mem::align_of::<T>() > PAGE_SIZE {
            return Err(Error::InvalidSize);
        }
        let ptr = pool.alloc_pages(pages)?.cast::<T>();
        // SAFETY: fresh, page-aligned (so aligned for T) and large enough.
        unsafe { ptr.as_ptr().write(value) };
        Ok(Buffer {
            ptr,
            pool,
            _handle: PhantomData,
        })
    }

    /// Give up the buffer without freeing it: its first page and its pool.
    /// The pages stay allocated until [`from_raw`](Self::from_raw) makes a
    /// buffer of them again; never, if the caller keeps them out of use.
    pub(crate) fn into_raw(self) -> (NonNull<T>, &'static Pool) {
        let parts = (self.ptr, self.pool);
        core::mem::forget(self);
        parts
    }

    /// A buffer again, from [`into_raw`](Self::into_raw)'s parts.
    ///
    /// # Safety
    /// The parts come from `into_raw` of a `Buffer<T>`, not made into a
    /// buffer since, and the memory holds bytes (any bytes: `T` is
    /// `FromBytes`) that nothing else uses.
    pub(crate) unsafe fn from_raw(ptr: NonNull<T>, pool: &'static Pool) -> Self {
        Buffer {
            ptr,
            pool,
            _handle: PhantomData,
        }
    }

    /// The address to pass to Xen as the hypercall argument.
    ///
    /// ```
    /// # use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
    /// # let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let reason = xc.buffer(0u32)?; // struct sched_shutdown: SHUTDOWN_poweroff
    /// // SAFETY: the mock reads no memory (a real Xen would power off).
    /// unsafe { xc.call2(HypercallOp::SCHED_OP, 2, reason.addr())? }; // SCHEDOP_shutdown
    /// assert_eq!(xc.backend().last(), Some((29, 2, [2, reason.addr(), 0, 0, 0])));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn addr(&self) -> u64 {
        self.ptr.as_ptr() as u64
    }

    /// Raw pointer to the value.
    ///
    /// ```
    /// # use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
    /// # let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let b = xc.buffer(1u32)?;
    /// assert_eq!(b.as_ptr() as u64, b.addr());
    /// // SAFETY: the buffer holds a u32, and no reference to it is live.
    /// unsafe { b.as_ptr().write(2) };
    /// assert_eq!(b.read(), 2);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// Read the value back (after Xen wrote it). A volatile read: Xen's
    /// writes happen outside the compiler's view.
    ///
    /// ```
    /// # use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
    /// # let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // A fake Xen that writes 42 through the pointer in the first argument.
    /// xc.backend().set_responder(&|_, args| {
    ///     // SAFETY: the one call below passes a live u64 buffer.
    ///     unsafe { (args[0] as *mut u64).write(42) };
    ///     0
    /// });
    /// let out = xc.buffer(0u64)?;
    /// // SAFETY: `out` is the u64 buffer the (fake) hypercall writes.
    /// unsafe { xc.call1(HypercallOp::XEN_VERSION, out.addr())? };
    /// assert_eq!(out.read(), 42);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn read(&self) -> T {
        // SAFETY: the buffer holds an initialised T for as long as `self`.
        unsafe { self.ptr.as_ptr().read_volatile() }
    }

    /// Replace the value.
    ///
    /// ```
    /// # use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
    /// # let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let mut arg = xc.buffer([0u8; 4])?;
    /// arg.write(*b"xen!");
    /// assert_eq!(arg.read(), *b"xen!");
    /// assert_eq!(*arg, *b"xen!"); // also readable through `Deref`
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn write(&mut self, value: T) {
        // SAFETY: as in `read`; `&mut self` excludes other access.
        unsafe { self.ptr.as_ptr().write_volatile(value) }
    }
}

impl<T: Copy + FromBytes + IntoBytes> core::ops::Deref for Buffer<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: initialised at construction; Xen only writes it during a
        // hypercall, which needs `addr()` and cannot overlap this borrow.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: Copy + FromBytes + IntoBytes> core::ops::DerefMut for Buffer<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` is exclusive.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T: Copy + FromBytes + IntoBytes> Drop for Buffer<'_, T> {
    fn drop(&mut self) {
        // Cannot fail: the pointer came from this pool and is freed once.
        // SAFETY: this buffer owns the pages and is going away; nothing
        // else holds a pointer into them.
        let _ = unsafe { self.pool.free(self.ptr.as_ptr().cast()) };
    }
}

// SAFETY: the buffer owns its memory exclusively; sending it sends a T.
unsafe impl<T: Copy + FromBytes + IntoBytes + Send> Send for Buffer<'_, T> {}
// SAFETY: shared access only reads the T.
unsafe impl<T: Copy + FromBytes + IntoBytes + Sync> Sync for Buffer<'_, T> {}

/// `len` values of `T` in a hypercall buffer (a guest handle's target).
/// Freed and scrubbed when dropped.
///
/// ```
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Frame numbers for a call that takes a guest handle to an array.
/// let mut frames = xc.buffer_from_slice(&[0x100u64, 0x101, 0x102])?;
/// assert_eq!(frames.len(), 3);
/// frames[2] = 0x200; // a slice: indexed and iterated in place
/// assert_eq!(frames.iter().sum::<u64>(), 0x100 + 0x101 + 0x200);
/// assert_eq!(frames.addr(), frames.as_ptr() as u64);
/// # Ok::<(), xencall::Error>(())
/// ```
pub struct BufferArray<'h, T: Copy + FromBytes + IntoBytes> {
    ptr: NonNull<T>,
    len: usize,
    pool: &'static Pool,
    _handle: PhantomData<(&'h (), T)>,
}

impl<'h, T: Copy + FromBytes + IntoBytes> BufferArray<'h, T> {
    /// Allocate room for `len` values, each set to `fill`.
    pub(crate) fn filled_in(pool: &'static Pool, len: usize, fill: T) -> Result<Self> {
        let bytes = core::mem::size_of::<T>()
            .checked_mul(len)
            .ok_or(Error::InvalidSize)?;
        let pages = pages_for(bytes.max(1)).ok_or(Error::InvalidSize)?;
        if core::mem::align_of::<T>() > PAGE_SIZE {
            return Err(Error::InvalidSize);
        }
        let ptr = pool.alloc_pages(pages)?.cast::<T>();
        for i in 0..len {
            // SAFETY: `i < len` and the buffer holds `len` Ts.
            unsafe { ptr.as_ptr().add(i).write(fill) };
        }
        Ok(BufferArray {
            ptr,
            len,
            pool,
            _handle: PhantomData,
        })
    }

    /// Allocate and copy `values` in.
    pub(crate) fn from_slice_in(pool: &'static Pool, values: &[T]) -> Result<Self> {
        let bytes = core::mem::size_of_val(values);
        let pages = pages_for(bytes.max(1)).ok_or(Error::InvalidSize)?;
        if core::mem::align_of::<T>() > PAGE_SIZE {
            return Err(Error::InvalidSize);
        }
        let ptr = pool.alloc_pages(pages)?.cast::<T>();
        // SAFETY: the fresh buffer is large enough and cannot overlap
        // `values`, which is live caller memory.
        unsafe { core::ptr::copy_nonoverlapping(values.as_ptr(), ptr.as_ptr(), values.len()) };
        Ok(BufferArray {
            ptr,
            len: values.len(),
            pool,
            _handle: PhantomData,
        })
    }

    /// The address to pass to Xen (a guest handle's value).
    ///
    /// ```
    /// # use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
    /// # let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let msg = xc.buffer_from_slice(b"hello")?;
    /// // SAFETY: the mock reads no memory.
    /// unsafe { xc.call3(HypercallOp::CONSOLE_IO, 0, msg.len() as u64, msg.addr())? };
    /// assert_eq!(xc.backend().last(), Some((18, 3, [0, 5, msg.addr(), 0, 0])));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn addr(&self) -> u64 {
        self.ptr.as_ptr() as u64
    }

    /// Raw pointer to the first element.
    ///
    /// ```
    /// # use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
    /// # let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let frames = xc.buffer_array(3, 0u64)?;
    /// assert_eq!(frames.as_ptr() as u64, frames.addr());
    /// // SAFETY: element 2 of 3, and no reference to it is live.
    /// unsafe { frames.as_ptr().add(2).write(7) };
    /// assert_eq!(frames[..], [0, 0, 7]);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<T: Copy + FromBytes + IntoBytes> core::ops::Deref for BufferArray<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `len` initialised Ts live at `ptr` for as long as `self`.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy + FromBytes + IntoBytes> core::ops::DerefMut for BufferArray<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` is exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy + FromBytes + IntoBytes> Drop for BufferArray<'_, T> {
    fn drop(&mut self) {
        // Cannot fail: the pointer came from this pool and is freed once.
        // SAFETY: this buffer owns the pages and is going away; nothing
        // else holds a pointer into them.
        let _ = unsafe { self.pool.free(self.ptr.as_ptr().cast()) };
    }
}

// SAFETY: the buffer owns its memory exclusively; sending it sends Ts.
unsafe impl<T: Copy + FromBytes + IntoBytes + Send> Send for BufferArray<'_, T> {}
// SAFETY: shared access only reads the Ts.
unsafe impl<T: Copy + FromBytes + IntoBytes + Sync> Sync for BufferArray<'_, T> {}
