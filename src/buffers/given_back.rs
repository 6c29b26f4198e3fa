//! [`GivenBack`]: a buffer page whose memory was given back to Xen, held
//! so that it can neither be used nor return to the pool until its frame
//! is backed again.

use core::marker::PhantomData;
use core::ptr::NonNull;

use super::buffer::Buffer;
use super::pool::Pool;
use super::Page;
use crate::error::Error;

/// A page of a hypercall buffer given back to Xen by
/// [`Xencall::give_back_page`](crate::Xencall::give_back_page): its guest
/// frame is a hole, Xen has the memory. It is no memory of ours: it has no
/// accessor. [`Xencall::populate_page`](crate::Xencall::populate_page)
/// backs the frame again and returns the buffer.
///
/// Dropping it leaves the page with Xen for good: the pool never sees it
/// again (it loses a page rather than hand out a hole).
///
/// ```
/// use xencall::buffers::{GivenBack, Page, PAGE_SIZE};
/// use xencall::{mock::MockBackend, Error, IdentityMapped, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen for a PVH guest: features say translated; each memory_op
/// // extent is done.
/// xc.backend().set_responder(&|op, a| match (op, a[0]) {
///     (17, 6) => unsafe { (*(a[1] as *mut [u32; 2]))[1] = 1 << 2; 0 },
///     _ => 1,
/// });
/// // SAFETY: (of the example) the mock touches no frame.
/// let frames = unsafe { IdentityMapped::new() };
/// let page = xc.buffer::<Page>([0; PAGE_SIZE])?;
/// let addr = page.addr();
/// let hole: GivenBack<'_> = xc.give_back_page(&frames, page)?;
/// assert_eq!(hole.frame(), addr >> 12);
/// let page = xc.populate_page(hole).map_err(Error::from)?;
/// assert_eq!(page.addr(), addr); // the same buffer, backed again
/// # Ok::<(), xencall::Error>(())
/// ```
pub struct GivenBack<'h> {
    ptr: NonNull<Page>,
    pool: &'static Pool,
    frame: u64,
    _handle: PhantomData<&'h ()>,
}

impl<'h> GivenBack<'h> {
    /// Keep `page`, whose frame `frame` Xen has just taken, out of use.
    pub(crate) fn new(page: Buffer<'h, Page>, frame: u64) -> Self {
        let (ptr, pool) = page.into_raw();
        GivenBack {
            ptr,
            pool,
            frame,
            _handle: PhantomData,
        }
    }

    /// The buffer again, once its frame is backed by memory.
    ///
    /// # Safety
    /// The frame must be backed again (Xen populated it), so the page's
    /// address reaches memory of this guest.
    pub(crate) unsafe fn into_buffer(self) -> Buffer<'h, Page> {
        // SAFETY: the parts came from `into_raw` in `new`, nothing has used
        // the page since, and the caller vouches it is memory again (any
        // bytes are a `Page`).
        unsafe { Buffer::from_raw(self.ptr, self.pool) }
    }

    /// The guest frame that was given back (and that `populate_page` fills).
    ///
    /// ```
    /// # use xencall::buffers::{Page, PAGE_SIZE};
    /// # use xencall::{mock::MockBackend, IdentityMapped, OpenFlags, Xencall};
    /// # let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// # xc.backend().set_responder(&|op, a| match (op, a[0]) {
    /// #     (17, 6) => unsafe { (*(a[1] as *mut [u32; 2]))[1] = 1 << 2; 0 },
    /// #     _ => 1,
    /// # });
    /// # let frames = unsafe { IdentityMapped::new() };
    /// let page = xc.buffer::<Page>([0; PAGE_SIZE])?;
    /// let gfn = page.addr() >> 12; // identity-mapped
    /// let hole = xc.give_back_page(&frames, page)?;
    /// assert_eq!(hole.frame(), gfn);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn frame(&self) -> u64 {
        self.frame
    }
}

/// [`Xencall::populate_page`](crate::Xencall::populate_page) failed: the
/// frame is still a hole, and the page is handed back to try again.
/// Converting it into an [`Error`] (as `?` does) drops the page, which
/// stays with Xen.
///
/// ```
/// use xencall::buffers::{Page, PAGE_SIZE};
/// use xencall::{mock::MockBackend, Error, IdentityMapped, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play a Xen that takes the page but has no memory to back it again.
/// xc.backend().set_responder(&|op, a| match (op, a[0]) {
///     (17, 6) => unsafe { (*(a[1] as *mut [u32; 2]))[1] = 1 << 2; 0 },
///     (12, 6) => 0, // populate_physmap: no extent done
///     _ => 1,
/// });
/// // SAFETY: (of the example) the mock touches no frame.
/// let frames = unsafe { IdentityMapped::new() };
/// let hole = xc.give_back_page(&frames, xc.buffer::<Page>([0; PAGE_SIZE])?)?;
/// let failed = xc.populate_page(hole).err().unwrap();
/// assert_eq!(failed.error, Error::Declined);
/// let hole = failed.page; // nothing lost: try again later
/// # let _ = hole;
/// # Ok::<(), xencall::Error>(())
/// ```
pub struct NotPopulated<'h> {
    /// Why: Xen's error, or [`Error::Declined`] when it backed nothing.
    pub error: Error,
    /// The page, still given back.
    pub page: GivenBack<'h>,
}

impl From<NotPopulated<'_>> for Error {
    fn from(failed: NotPopulated<'_>) -> Error {
        failed.error
    }
}

impl core::fmt::Debug for NotPopulated<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "NotPopulated({:?}, frame {:#x})",
            self.error, self.page.frame
        )
    }
}
