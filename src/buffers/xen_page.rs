//! [`XenPage`]: a buffer page that now shows a page of Xen's, and which
//! therefore never returns to the pool.

use core::ptr::NonNull;

use super::buffer::Buffer;
use super::Page;
use crate::abi::memory::MapSpace;

/// Which page of Xen's [`Xencall::map_xen_page`](crate::Xencall::map_xen_page)
/// puts in place of a buffer page: the ones that name no memory of ours.
///
/// ```
/// use xencall::buffers::XenPageKind;
///
/// // Frame 0 of the grant table, where a translated guest writes its grants.
/// let kind = XenPageKind::GrantTable(0);
/// assert_ne!(kind, XenPageKind::SharedInfo);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum XenPageKind {
    /// The shared-info page (`XENMAPSPACE_shared_info`). Xen on Arm maps it
    /// once per domain (`EBUSY` after that); the runtime's
    /// [`rt::shared_info::map`](crate::rt) already did.
    SharedInfo,
    /// Frame `n` of the grant table (`XENMAPSPACE_grant_table`); Xen grows
    /// the table up to its maximum.
    GrantTable(u32),
}

impl XenPageKind {
    /// The map space and index `XENMEM_add_to_physmap` takes.
    pub(crate) fn space_and_index(self) -> (MapSpace, u64) {
        match self {
            XenPageKind::SharedInfo => (MapSpace::SHARED_INFO, 0),
            XenPageKind::GrantTable(n) => (MapSpace::GRANT_TABLE, n.into()),
        }
    }
}

/// A guest page that shows a page of Xen's, put there by
/// [`Xencall::map_xen_page`](crate::Xencall::map_xen_page) in place of a
/// buffer page. The page it replaced went to Xen, so this is never freed:
/// dropping it leaves the mapping as it is. Xen and other domains write it
/// concurrently, so it is reached through a raw pointer only.
///
/// ```
/// use xencall::buffers::{Page, XenPage, XenPageKind, PAGE_SIZE};
/// use xencall::{mock::MockBackend, IdentityMapped, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen for a translated guest (XENFEAT_auto_translated_physmap).
/// xc.backend().set_responder(&|op, a| match (op, a[0]) {
///     (17, 6) => unsafe { (*(a[1] as *mut [u32; 2]))[1] = 1 << 2; 0 },
///     _ => 0,
/// });
/// // SAFETY: (of the example) the mock maps nothing.
/// let frames = unsafe { IdentityMapped::new() };
/// let free = xc.pool().free_page_count();
/// let table: XenPage = xc.map_xen_page(&frames, XenPageKind::GrantTable(0), xc.buffer::<Page>([0; PAGE_SIZE])?)?;
/// drop(table);
/// // The page shows Xen's frame now: it does not go back to the pool.
/// assert_eq!(xc.pool().free_page_count(), free - 1);
/// # Ok::<(), xencall::Error>(())
/// ```
pub struct XenPage {
    ptr: NonNull<u8>,
}

impl XenPage {
    /// Keep `page`, whose frame now shows Xen's page, out of the pool.
    pub(crate) fn new(page: Buffer<'_, Page>) -> Self {
        let (ptr, _pool) = page.into_raw();
        XenPage { ptr: ptr.cast() }
    }

    /// The page's address (page-aligned). Reads and writes through it
    /// reach Xen's page; they must be volatile or atomic, as Xen and
    /// other domains change it concurrently.
    ///
    /// ```
    /// # use xencall::buffers::{Page, XenPageKind, PAGE_SIZE};
    /// # use xencall::{mock::MockBackend, IdentityMapped, OpenFlags, Xencall};
    /// # let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// # xc.backend().set_responder(&|op, a| match (op, a[0]) {
    /// #     (17, 6) => unsafe { (*(a[1] as *mut [u32; 2]))[1] = 1 << 2; 0 },
    /// #     _ => 0,
    /// # });
    /// # let frames = unsafe { IdentityMapped::new() };
    /// let table = xc.map_xen_page(&frames, XenPageKind::GrantTable(0), xc.buffer::<Page>([0; PAGE_SIZE])?)?;
    /// assert_eq!(table.as_ptr() as usize % PAGE_SIZE, 0);
    /// // SAFETY: the mapped page is 4096 bytes; grant entry 0's flags.
    /// let flags = unsafe { table.as_ptr().cast::<u16>().read_volatile() };
    /// # let _ = flags;
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn as_ptr(&self) -> *mut u8 {
        self.ptr.as_ptr()
    }
}
