//! Hypercall buffers: page-aligned memory that Xen reads and writes.
//!
//! Buffers come from a [`Pool`] of up to [`MAX_REGIONS`] arenas. The global
//! pool starts with a static arena of [`ARENA_PAGES`] pages (set at build
//! time with the `XENCALL_ARENA_PAGES` environment variable; `0` leaves it
//! out) and a unikernel may hand over regions of its own with
//! [`add_region`].
//!
//! The arena is in the guest's own RAM and never paged out, so
//! [`Xencall::buffers_never_fault`](crate::Xencall::buffers_never_fault) is
//! `true`. A buffer's guest-virtual address is passed to Xen as it is, in
//! every mode: Xen reaches hypercall arguments through the calling vCPU's
//! own page tables (on HVM/PVH it walks them, on Arm it translates through
//! the guest's stage 1, on PV they are the page tables it validated), so
//! no identity map is needed for that. Only a frame number (a hypercall
//! argument that names a page by guest-physical frame, as
//! `add_to_physmap`'s does) needs the physical address: deriving it from a
//! buffer's address as `address >> 12` assumes virtual = physical, which
//! the boot runtime's identity map gives on PVH and Arm; a PV guest's
//! frames are machine frames, from its p2m list.

mod arena;
mod buffer;
mod given_back;
mod pool;
mod xen_page;

pub use arena::{Arena, CACHED_MAX_PAGES, MAX_BUFFER_PAGES, PAGE_SIZE};
pub use buffer::{Buffer, BufferArray};
pub use given_back::{GivenBack, NotPopulated};
pub use pool::{add_region, global, Pool, MAX_REGIONS};
pub use xen_page::{XenPage, XenPageKind};

/// One page of bytes: a `Buffer<Page>` is exactly one whole page, the unit
/// that [`Xencall::give_back_page`](crate::Xencall::give_back_page) and
/// [`Xencall::map_xen_page`](crate::Xencall::map_xen_page) hand over.
///
/// ```
/// use xencall::buffers::{Page, PAGE_SIZE};
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// let free = xc.pool().free_page_count();
/// let page = xc.buffer::<Page>([0; PAGE_SIZE])?;
/// assert_eq!(xc.pool().free_page_count(), free - 1);
/// # drop(page);
/// # Ok::<(), xencall::Error>(())
/// ```
pub type Page = [u8; PAGE_SIZE];

include!(concat!(env!("OUT_DIR"), "/arena_pages.rs"));

/// Pages needed for `bytes` bytes, or `None` for zero or an overflowing size.
///
/// ```
/// use xencall::buffers::{pages_for, PAGE_SIZE};
///
/// assert_eq!(pages_for(1), Some(1));
/// assert_eq!(pages_for(PAGE_SIZE), Some(1));
/// assert_eq!(pages_for(PAGE_SIZE + 1), Some(2));
/// // Neither can be allocated: there is no empty buffer, and no page count
/// // for a size that overflows when rounded up.
/// assert_eq!(pages_for(0), None);
/// assert_eq!(pages_for(usize::MAX), None);
/// ```
pub const fn pages_for(bytes: usize) -> Option<usize> {
    if bytes == 0 {
        return None;
    }
    match bytes.checked_add(PAGE_SIZE - 1) {
        Some(n) => Some(n / PAGE_SIZE),
        None => None,
    }
}

#[cfg(test)]
pub(crate) use arena::tests::arena as test_arena;
