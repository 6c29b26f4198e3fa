//! Owned hypercall buffers with typed access; freed (and scrubbed) on drop.

use core::marker::PhantomData;
use core::ptr::NonNull;

use super::pool::Pool;
use super::{pages_for, PAGE_SIZE};
use crate::error::{Error, Result};

/// One `T` in a hypercall buffer: the memory Xen reads or writes when given
/// [`Buffer::addr`]. Freed and scrubbed when dropped. `'h` ties it to the
/// handle it came from, so it cannot outlive the handle.
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
pub struct Buffer<'h, T: Copy> {
    ptr: NonNull<T>,
    pool: &'static Pool,
    _handle: PhantomData<(&'h (), T)>,
}

impl<'h, T: Copy> Buffer<'h, T> {
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

    /// The address to pass to Xen as the hypercall argument.
    pub fn addr(&self) -> u64 {
        self.ptr.as_ptr() as u64
    }

    /// Raw pointer to the value.
    pub fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }

    /// Read the value back (after Xen wrote it). A volatile read: Xen's
    /// writes happen outside the compiler's view.
    pub fn read(&self) -> T {
        // SAFETY: the buffer holds an initialised T for as long as `self`.
        unsafe { self.ptr.as_ptr().read_volatile() }
    }

    /// Replace the value.
    pub fn write(&mut self, value: T) {
        // SAFETY: as in `read`; `&mut self` excludes other access.
        unsafe { self.ptr.as_ptr().write_volatile(value) }
    }
}

impl<T: Copy> core::ops::Deref for Buffer<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // SAFETY: initialised at construction; Xen only writes it during a
        // hypercall, which needs `addr()` and cannot overlap this borrow.
        unsafe { self.ptr.as_ref() }
    }
}

impl<T: Copy> core::ops::DerefMut for Buffer<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // SAFETY: as in `deref`, and `&mut self` is exclusive.
        unsafe { self.ptr.as_mut() }
    }
}

impl<T: Copy> Drop for Buffer<'_, T> {
    fn drop(&mut self) {
        // Cannot fail: the pointer came from this pool and is freed once.
        let _ = self.pool.free(self.ptr.as_ptr().cast());
    }
}

// SAFETY: the buffer owns its memory exclusively; sending it sends a T.
unsafe impl<T: Copy + Send> Send for Buffer<'_, T> {}
// SAFETY: shared access only reads the T.
unsafe impl<T: Copy + Sync> Sync for Buffer<'_, T> {}

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
pub struct BufferArray<'h, T: Copy> {
    ptr: NonNull<T>,
    len: usize,
    pool: &'static Pool,
    _handle: PhantomData<(&'h (), T)>,
}

impl<'h, T: Copy> BufferArray<'h, T> {
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
    pub fn addr(&self) -> u64 {
        self.ptr.as_ptr() as u64
    }

    /// Raw pointer to the first element.
    pub fn as_ptr(&self) -> *mut T {
        self.ptr.as_ptr()
    }
}

impl<T: Copy> core::ops::Deref for BufferArray<'_, T> {
    type Target = [T];
    fn deref(&self) -> &[T] {
        // SAFETY: `len` initialised Ts live at `ptr` for as long as `self`.
        unsafe { core::slice::from_raw_parts(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> core::ops::DerefMut for BufferArray<'_, T> {
    fn deref_mut(&mut self) -> &mut [T] {
        // SAFETY: as in `deref`, and `&mut self` is exclusive.
        unsafe { core::slice::from_raw_parts_mut(self.ptr.as_ptr(), self.len) }
    }
}

impl<T: Copy> Drop for BufferArray<'_, T> {
    fn drop(&mut self) {
        // Cannot fail: the pointer came from this pool and is freed once.
        let _ = self.pool.free(self.ptr.as_ptr().cast());
    }
}

// SAFETY: the buffer owns its memory exclusively; sending it sends Ts.
unsafe impl<T: Copy + Send> Send for BufferArray<'_, T> {}
// SAFETY: shared access only reads the Ts.
unsafe impl<T: Copy + Sync> Sync for BufferArray<'_, T> {}
