//! A page-granular arena: a run of pages plus one state word per page.
//!
//! The state table lives outside the pages it describes, so a caller writing
//! past the end of a buffer can corrupt a neighbour's data but never the
//! allocator's bookkeeping, and every pointer handed back to `free` is
//! checked against that table before anything is touched.
//!
//! Small buffers (up to [`CACHED_MAX_PAGES`] pages, the sizes hypercall
//! arguments nearly always have) are kept on a short last-in-first-out list
//! per size when freed, scrubbed, and handed out again from there: the next
//! holder gets pages that are still in the CPU's caches and TLB, instead of
//! the next-fit search walking on through cold memory. Cached pages count as
//! free; when a search fails, the lists are given back and it is retried.

use core::ptr::NonNull;

use crate::error::{Error, InvalidBuffer, Result};

/// Bytes per page: hypercall buffers are always whole pages.
pub const PAGE_SIZE: usize = 4096;

/// Page state: free (and zero-filled).
const FREE: u32 = 0;
/// Page state: a later page of a multi-page buffer (live or cached).
const TAIL: u32 = u32::MAX;
/// Page state: the first page of a freed buffer kept on a reuse list.
const CACHED: u32 = u32::MAX - 1;
// Any other value: the first page of a live buffer of that many pages.

/// Largest buffer, in pages, the state encoding can record.
pub const MAX_BUFFER_PAGES: usize = (CACHED - 1) as usize;

/// Freed buffers of 1 to this many pages are kept for reuse.
pub const CACHED_MAX_PAGES: usize = 4;

/// Buffers kept per size: enough for a call's few arguments to be freed and
/// allocated again, little enough that the lists never hold much memory.
const CACHE_DEPTH: usize = 8;

/// The reuse lists: for each size, first pages of freed buffers, most
/// recently freed last.
#[derive(Clone, Copy)]
struct ReuseLists {
    first_page: [[usize; CACHE_DEPTH]; CACHED_MAX_PAGES],
    len: [usize; CACHED_MAX_PAGES],
}

impl ReuseLists {
    const EMPTY: ReuseLists = ReuseLists {
        first_page: [[0; CACHE_DEPTH]; CACHED_MAX_PAGES],
        len: [0; CACHED_MAX_PAGES],
    };

    fn pop(&mut self, count: usize) -> Option<usize> {
        let i = count.checked_sub(1).filter(|&i| i < CACHED_MAX_PAGES)?;
        self.len[i] = self.len[i].checked_sub(1)?;
        // `get`: `len[i] < CACHE_DEPTH` (push's check); no panic path.
        self.first_page[i].get(self.len[i]).copied()
    }

    /// Keep `first` (a freed buffer of `count` pages) if there is room.
    fn push(&mut self, count: usize, first: usize) -> bool {
        match count.checked_sub(1).filter(|&i| i < CACHED_MAX_PAGES) {
            Some(i) if self.len[i] < CACHE_DEPTH => {
                self.first_page[i][self.len[i]] = first;
                self.len[i] += 1;
                true
            }
            _ => false,
        }
    }
}

/// A run of page-aligned memory and the state of each of its pages.
///
/// Invariant: every free page is zero-filled. Pages are scrubbed when freed
/// and the memory is zeroed when the arena is made, so a buffer is handed
/// out zeroed without a second pass.
///
/// ```
/// use core::mem::MaybeUninit;
/// use xencall::buffers::{Arena, PAGE_SIZE};
///
/// let region = Box::leak(vec![MaybeUninit::uninit(); 16 * PAGE_SIZE].into_boxed_slice());
/// let mut arena = Arena::from_region(region)?;
/// // Alignment and the state table cost a page or two of the region.
/// let pages = arena.total_pages();
/// assert!((13..16).contains(&pages));
/// let p = arena.alloc(2)?;
/// assert_eq!(p.as_ptr() as usize % PAGE_SIZE, 0);
/// assert_eq!(arena.free_pages(), pages - 2);
/// // SAFETY: `p` is not used after the free; no `Buffer` owns it.
/// unsafe {
///     assert_eq!(arena.free(p.as_ptr()), Ok(2));
///     // A pointer that is not a live buffer is refused, not freed.
///     assert!(arena.free(p.as_ptr()).is_err());
/// }
/// # Ok::<(), xencall::Error>(())
/// ```
pub struct Arena {
    base: usize,
    pages: usize,
    state: *mut u32,
    free_pages: usize,
    /// Next-fit cursor: where the next search for a free run starts.
    cursor: usize,
    reuse: ReuseLists,
}

// SAFETY: an `Arena` exclusively owns its pages and state table (by the
// contracts of its constructors); moving it to another thread moves that
// ownership. It holds no thread-affine state.
unsafe impl Send for Arena {}

impl Arena {
    /// An arena with no pages: every allocation fails.
    ///
    /// ```
    /// use xencall::buffers::Arena;
    /// use xencall::Error;
    ///
    /// let mut arena = Arena::empty();
    /// assert_eq!((arena.total_pages(), arena.free_pages()), (0, 0));
    /// assert_eq!(arena.alloc(1), Err(Error::OutOfBufferMemory));
    /// ```
    pub const fn empty() -> Arena {
        Arena {
            base: 0,
            pages: 0,
            state: core::ptr::null_mut(),
            free_pages: 0,
            cursor: 0,
            reuse: ReuseLists::EMPTY,
        }
    }

    /// An arena over `pages` pages at `base` with the state table at `state`.
    ///
    /// # Safety
    /// `base` must be page-aligned and valid for reads and writes of
    /// `pages * PAGE_SIZE` bytes, all zero; `state` must be valid for
    /// `pages` zeroed `u32`s. Both must be used by nothing else for as long
    /// as the arena (or any buffer it hands out) lives.
    ///
    /// ```
    /// use std::alloc::{alloc_zeroed, Layout};
    /// use xencall::buffers::{Arena, PAGE_SIZE};
    ///
    /// let layout = Layout::from_size_align(4 * PAGE_SIZE, PAGE_SIZE).unwrap();
    /// // SAFETY: aligned, zeroed pages and a zeroed state table, both leaked (so
    /// // they outlive the arena) and used by nothing else.
    /// let mut arena = unsafe {
    ///     let base = alloc_zeroed(layout);
    ///     assert!(!base.is_null());
    ///     let state = Box::leak(vec![0u32; 4].into_boxed_slice()).as_mut_ptr();
    ///     Arena::from_raw_parts(base, 4, state)
    /// };
    /// assert_eq!(arena.total_pages(), 4); // the table is outside the pages
    /// assert!(arena.alloc(4).is_ok());
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub unsafe fn from_raw_parts(base: *mut u8, pages: usize, state: *mut u32) -> Arena {
        Arena {
            base: base as usize,
            pages,
            state,
            free_pages: pages,
            cursor: 0,
            reuse: ReuseLists::EMPTY,
        }
    }

    /// An arena carved from a region of memory the caller hands over: the
    /// start is rounded up to a page, the state table takes the first pages,
    /// and the rest (zeroed here) becomes buffers.
    ///
    /// Fails with [`Error::BadRegion`] if fewer than one buffer page remains.
    ///
    /// ```
    /// use core::mem::MaybeUninit;
    /// use xencall::buffers::{Arena, PAGE_SIZE};
    /// use xencall::Error;
    ///
    /// let region = Box::leak(vec![MaybeUninit::uninit(); 16 * PAGE_SIZE].into_boxed_slice());
    /// let arena = Arena::from_region(region)?;
    /// // Up to a page lost to alignment, one to the state table.
    /// assert!((14..16).contains(&arena.total_pages()));
    /// let tiny = Box::leak(vec![MaybeUninit::uninit(); 100].into_boxed_slice());
    /// assert!(matches!(Arena::from_region(tiny), Err(Error::BadRegion)));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn from_region(region: &'static mut [core::mem::MaybeUninit<u8>]) -> Result<Arena> {
        let start = region.as_mut_ptr() as usize;
        let end = start.checked_add(region.len()).ok_or(Error::BadRegion)?;
        let aligned = start
            .checked_next_multiple_of(PAGE_SIZE)
            .ok_or(Error::BadRegion)?;
        let total = end.saturating_sub(aligned) / PAGE_SIZE;
        // One state word per buffer page; the table's pages come off the top.
        let table_pages = (total * 4).div_ceil(PAGE_SIZE + 4);
        let pages = total.saturating_sub(table_pages);
        if pages == 0 || pages > MAX_BUFFER_PAGES {
            return Err(Error::BadRegion);
        }
        let state = aligned as *mut u32;
        let base = (aligned + table_pages * PAGE_SIZE) as *mut u8;
        // SAFETY: both ranges lie inside `region` (table_pages + pages <=
        // total pages from `aligned`), which the caller gave up for 'static.
        unsafe {
            core::ptr::write_bytes(state, 0, pages);
            core::ptr::write_bytes(base, 0, pages * PAGE_SIZE);
            Ok(Arena::from_raw_parts(base, pages, state))
        }
    }

    /// Pages this arena manages.
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 16 * PAGE_SIZE].into_boxed_slice());
    /// let mut arena = Arena::from_region(region)?;
    /// let total = arena.total_pages();
    /// assert!(total > 0 && total < 16);
    /// arena.alloc(2)?;
    /// assert_eq!(arena.total_pages(), total); // handed out or not
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn total_pages(&self) -> usize {
        self.pages
    }

    /// Pages not currently handed out.
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 16 * PAGE_SIZE].into_boxed_slice());
    /// let mut arena = Arena::from_region(region)?;
    /// assert_eq!(arena.free_pages(), arena.total_pages());
    /// let p = arena.alloc(3)?;
    /// assert_eq!(arena.free_pages(), arena.total_pages() - 3);
    /// // SAFETY: `p` is not used after the free.
    /// assert_eq!(unsafe { arena.free(p.as_ptr()) }, Ok(3));
    /// assert_eq!(arena.free_pages(), arena.total_pages());
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn free_pages(&self) -> usize {
        self.free_pages
    }

    /// `true` if `addr` lies inside this arena's buffer pages.
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 16 * PAGE_SIZE].into_boxed_slice());
    /// let start = region.as_ptr() as usize;
    /// let mut arena = Arena::from_region(region)?;
    /// let p = arena.alloc(1)?.as_ptr() as usize;
    /// assert!(arena.contains(p) && arena.contains(p + PAGE_SIZE - 1));
    /// // The state table at the start of the region is not buffer memory.
    /// assert!(!arena.contains(start));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn contains(&self, addr: usize) -> bool {
        addr >= self.base && addr - self.base < self.pages * PAGE_SIZE
    }

    fn state(&self, page: usize) -> u32 {
        debug_assert!(page < self.pages);
        // SAFETY: `page < self.pages` (checked by every caller) and the
        // state table has `pages` entries by the constructor's contract.
        unsafe { *self.state.add(page) }
    }

    fn set_state(&mut self, page: usize, value: u32) {
        debug_assert!(page < self.pages);
        // SAFETY: as in `state`; `&mut self` gives exclusive access.
        unsafe { *self.state.add(page) = value }
    }

    /// Hand out `count` zeroed, page-aligned pages.
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 16 * PAGE_SIZE].into_boxed_slice());
    /// # use xencall::Error;
    /// let mut arena = Arena::from_region(region)?;
    /// let p = arena.alloc(2)?;
    /// assert_eq!(p.as_ptr() as usize % PAGE_SIZE, 0);
    /// // SAFETY: a live buffer of two pages.
    /// let bytes = unsafe { core::slice::from_raw_parts(p.as_ptr(), 2 * PAGE_SIZE) };
    /// assert!(bytes.iter().all(|&b| b == 0));
    /// assert_eq!(arena.alloc(0), Err(Error::InvalidSize));
    /// assert_eq!(arena.alloc(arena.free_pages() + 1), Err(Error::OutOfBufferMemory));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn alloc(&mut self, count: usize) -> Result<NonNull<u8>> {
        if count == 0 || count.checked_mul(PAGE_SIZE).is_none() {
            return Err(Error::InvalidSize);
        }
        if count > self.free_pages || count > MAX_BUFFER_PAGES {
            return Err(Error::OutOfBufferMemory);
        }
        let first = match self.reuse.pop(count) {
            // Already scrubbed, and its tail pages are still TAIL.
            Some(first) => first,
            None => {
                let first = match self.search(count) {
                    Some(first) => first,
                    None => {
                        // The pages may be free but held on the reuse lists.
                        self.drain_reuse_lists();
                        self.search(count).ok_or(Error::OutOfBufferMemory)?
                    }
                };
                for page in first + 1..first + count {
                    self.set_state(page, TAIL);
                }
                self.cursor = first + count;
                first
            }
        };
        self.set_state(first, count as u32);
        self.free_pages -= count;
        let addr = self.base + first * PAGE_SIZE;
        // SAFETY: `base` is non-null for any arena with pages, and `addr`
        // is at or above it.
        Ok(unsafe { NonNull::new_unchecked(addr as *mut u8) })
    }

    /// Next fit: from the cursor to the end, then from the start.
    fn search(&self, count: usize) -> Option<usize> {
        self.find_run(self.cursor, self.pages, count)
            .or_else(|| self.find_run(0, self.cursor.min(self.pages), count))
    }

    /// Give every buffer on the reuse lists back to the free runs.
    fn drain_reuse_lists(&mut self) {
        for count in 1..=CACHED_MAX_PAGES {
            while let Some(first) = self.reuse.pop(count) {
                for page in first..first + count {
                    self.set_state(page, FREE);
                }
            }
        }
    }

    /// First page of a free run of `count` pages starting in `from..to`
    /// (the run itself may extend to the end of the arena).
    fn find_run(&self, from: usize, to: usize, count: usize) -> Option<usize> {
        let mut page = from;
        while page < to && page + count <= self.pages {
            match self.state(page) {
                FREE => {
                    let mut run = 1;
                    while run < count && self.state(page + run) == FREE {
                        run += 1;
                    }
                    if run == count {
                        return Some(page);
                    }
                    page += run;
                }
                TAIL | CACHED => page += 1,
                head => page += head as usize,
            }
        }
        None
    }

    /// Check that `ptr` is the start of a live buffer; return its first
    /// page index and its page count. Changes nothing.
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 16 * PAGE_SIZE].into_boxed_slice());
    /// use xencall::InvalidBuffer;
    ///
    /// let mut arena = Arena::from_region(region)?;
    /// let p = arena.alloc(3)?.as_ptr();
    /// assert_eq!(arena.lookup(p).map(|(_, pages)| pages), Ok(3));
    /// // Only a buffer's first byte names it.
    /// assert_eq!(arena.lookup(p.wrapping_add(8)), Err(InvalidBuffer::Misaligned));
    /// assert_eq!(arena.lookup(p.wrapping_add(PAGE_SIZE)), Err(InvalidBuffer::NotAllocated));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn lookup(&self, ptr: *const u8) -> Result<(usize, usize), InvalidBuffer> {
        let addr = ptr as usize;
        if addr == 0 {
            return Err(InvalidBuffer::Null);
        }
        if !self.contains(addr) {
            return Err(InvalidBuffer::Foreign);
        }
        let offset = addr - self.base;
        if offset % PAGE_SIZE != 0 {
            return Err(InvalidBuffer::Misaligned);
        }
        let page = offset / PAGE_SIZE;
        match self.state(page) {
            FREE | TAIL | CACHED => Err(InvalidBuffer::NotAllocated),
            count => Ok((page, count as usize)),
        }
    }

    /// Free the buffer starting at `ptr`, whatever its size; returns its
    /// page count. The pages are scrubbed before they can be handed out
    /// again. A refused pointer changes nothing.
    ///
    /// # Safety
    /// Nothing may use the buffer after it is freed: no live
    /// [`Buffer`](crate::Buffer) or [`BufferArray`](crate::BufferArray) may
    /// own it (its drop would free the pages a second time, possibly from
    /// under their next holder), and no pointer into it may be used again.
    ///
    /// ```compile_fail,E0133
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 16 * PAGE_SIZE].into_boxed_slice());
    /// let mut arena = Arena::from_region(region)?;
    /// let p = arena.alloc(1)?;
    /// // SAFETY (of the write): a live one-page buffer.
    /// let data = unsafe { core::slice::from_raw_parts_mut(p.as_ptr(), PAGE_SIZE) };
    /// arena.free(p.as_ptr()); // `data` would point into a free page
    /// data[0] = 1;
    /// # Ok::<(), xencall::Error>(())
    /// ```
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 16 * PAGE_SIZE].into_boxed_slice());
    /// use xencall::InvalidBuffer;
    ///
    /// let mut arena = Arena::from_region(region)?;
    /// let p = arena.alloc(2)?.as_ptr();
    /// // SAFETY: `p` is not dereferenced after the first free.
    /// unsafe {
    ///     assert_eq!(arena.free(p), Ok(2));
    ///     assert_eq!(arena.free_pages(), arena.total_pages());
    ///     // A double free is refused.
    ///     assert_eq!(arena.free(p), Err(InvalidBuffer::NotAllocated));
    /// }
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub unsafe fn free(&mut self, ptr: *const u8) -> Result<usize, InvalidBuffer> {
        let (page, count) = self.lookup(ptr)?;
        self.release(page, count);
        Ok(count)
    }

    /// Free the buffer starting at `ptr`, which must have exactly `count`
    /// pages (libxencall's `free_buffer_pages` contract, checked).
    ///
    /// # Safety
    /// As [`free`](Self::free).
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 16 * PAGE_SIZE].into_boxed_slice());
    /// use xencall::InvalidBuffer;
    ///
    /// let mut arena = Arena::from_region(region)?;
    /// let p = arena.alloc(2)?.as_ptr();
    /// let wrong = InvalidBuffer::WrongPageCount { allocated: 2, given: 1 };
    /// // SAFETY: `p` is not used after the successful free.
    /// unsafe {
    ///     assert_eq!(arena.free_pages_exact(p, 1), Err(wrong)); // still live
    ///     assert_eq!(arena.free_pages_exact(p, 2), Ok(()));
    /// }
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub unsafe fn free_pages_exact(
        &mut self,
        ptr: *const u8,
        count: usize,
    ) -> Result<(), InvalidBuffer> {
        let (page, allocated) = self.lookup(ptr)?;
        if allocated != count {
            return Err(InvalidBuffer::WrongPageCount {
                allocated,
                given: count,
            });
        }
        self.release(page, count);
        Ok(())
    }

    fn release(&mut self, first: usize, count: usize) {
        // Scrubbed now, whether kept for reuse or not: no data is left
        // behind, and a free page is always a zero page.
        // SAFETY: `first..first + count` is a live buffer inside the arena
        // (checked by `lookup`), so the range is valid for writes and is
        // whole, page-aligned pages. On aarch64 it must also be Normal
        // memory: the buffer was handed out to be given to Xen, i.e. after
        // the boot code turned the MMU on (with it off, `dc zva` faults:
        // a crash, never a stray write).
        unsafe {
            crate::arch::zero_pages(
                (self.base + first * PAGE_SIZE) as *mut u8,
                count * PAGE_SIZE,
            );
        }
        if self.reuse.push(count, first) {
            self.set_state(first, CACHED);
        } else {
            for page in first..first + count {
                self.set_state(page, FREE);
            }
        }
        self.free_pages += count;
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::alloc::{alloc_zeroed, Layout};

    /// A fresh arena over leaked, page-aligned heap memory.
    pub(crate) fn arena(pages: usize) -> Arena {
        let layout = Layout::from_size_align(pages * PAGE_SIZE, PAGE_SIZE).unwrap();
        // SAFETY: non-zero size; the memory is leaked, so it lives forever
        // and is used by nothing else.
        unsafe {
            let base = alloc_zeroed(layout);
            let state = Box::leak(vec![0u32; pages].into_boxed_slice()).as_mut_ptr();
            Arena::from_raw_parts(base, pages, state)
        }
    }

    /// The tests free pointers they allocated and never use them again.
    fn free(a: &mut Arena, ptr: *const u8) -> Result<usize, InvalidBuffer> {
        // SAFETY: no `Buffer` owns arena memory in these tests, and a
        // pointer is not used after it was freed.
        unsafe { a.free(ptr) }
    }

    /// As `free`, with the page count checked.
    fn free_exact(a: &mut Arena, ptr: *const u8, count: usize) -> Result<(), InvalidBuffer> {
        // SAFETY: as in `free`.
        unsafe { a.free_pages_exact(ptr, count) }
    }

    fn fill(ptr: NonNull<u8>, pages: usize, byte: u8) {
        // SAFETY: test helper, `ptr` is a live buffer of `pages` pages.
        unsafe { core::ptr::write_bytes(ptr.as_ptr(), byte, pages * PAGE_SIZE) }
    }

    fn is_zero(ptr: NonNull<u8>, pages: usize) -> bool {
        // SAFETY: test helper, `ptr` is a live buffer of `pages` pages.
        unsafe { core::slice::from_raw_parts(ptr.as_ptr(), pages * PAGE_SIZE) }
            .iter()
            .all(|&b| b == 0)
    }

    #[test]
    fn hands_out_aligned_zeroed_disjoint_buffers() {
        let mut a = arena(8);
        let p = a.alloc(3).unwrap();
        let q = a.alloc(2).unwrap();
        assert_eq!(p.as_ptr() as usize % PAGE_SIZE, 0);
        assert_eq!(q.as_ptr() as usize % PAGE_SIZE, 0);
        let (p0, q0) = (p.as_ptr() as usize, q.as_ptr() as usize);
        assert!(q0 >= p0 + 3 * PAGE_SIZE || p0 >= q0 + 2 * PAGE_SIZE);
        assert!(is_zero(p, 3) && is_zero(q, 2));
        assert_eq!(a.free_pages(), 3);
    }

    #[test]
    fn freed_data_never_reaches_the_next_holder() {
        let mut a = arena(2);
        let p = a.alloc(2).unwrap();
        fill(p, 2, 0xa5);
        assert_eq!(free(&mut a, p.as_ptr()), Ok(2));
        let q = a.alloc(2).unwrap();
        assert_eq!(p, q);
        assert!(is_zero(q, 2));
    }

    #[test]
    fn small_buffers_are_reused_last_in_first_out_and_scrubbed() {
        let mut a = arena(16);
        let p = a.alloc(1).unwrap();
        let q = a.alloc(1).unwrap();
        fill(p, 1, 0x11);
        fill(q, 1, 0x22);
        free(&mut a, p.as_ptr()).unwrap();
        free(&mut a, q.as_ptr()).unwrap();
        assert_eq!(a.free_pages(), 16);
        // Most recently freed first: the pages still warm in the caches.
        let r = a.alloc(1).unwrap();
        assert_eq!(r, q);
        assert!(is_zero(r, 1));
        assert_eq!(a.alloc(1).unwrap(), p);
        // A cached buffer is not live: freeing it again is refused.
        free(&mut a, r.as_ptr()).unwrap();
        assert_eq!(free(&mut a, r.as_ptr()), Err(InvalidBuffer::NotAllocated));
        assert_eq!(a.free_pages(), 15);
    }

    #[test]
    fn cached_pages_are_given_back_when_a_search_fails() {
        let mut a = arena(8);
        let small: Vec<_> = (0..4).map(|_| a.alloc(2).unwrap()).collect();
        for p in &small {
            free(&mut a, p.as_ptr()).unwrap();
        }
        // All 8 pages sit on the 2-page list; an 8-page buffer still fits.
        let all = a.alloc(8).unwrap();
        assert!(is_zero(all, 8));
        assert_eq!(free(&mut a, all.as_ptr()), Ok(8));
        assert_eq!(a.free_pages(), 8);
    }

    #[test]
    fn large_buffers_are_not_cached() {
        let mut a = arena(CACHED_MAX_PAGES + 1);
        let p = a.alloc(CACHED_MAX_PAGES + 1).unwrap();
        free(&mut a, p.as_ptr()).unwrap();
        assert!((0..a.pages).all(|page| a.state(page) == FREE));
    }

    #[test]
    fn zero_and_overflowing_sizes_are_refused() {
        let mut a = arena(4);
        assert_eq!(a.alloc(0), Err(Error::InvalidSize));
        assert_eq!(a.alloc(usize::MAX), Err(Error::InvalidSize));
        assert_eq!(a.alloc(usize::MAX / PAGE_SIZE + 1), Err(Error::InvalidSize));
        assert_eq!(a.free_pages(), 4);
    }

    #[test]
    fn exhaustion_is_an_error_and_recovers() {
        let mut a = arena(4);
        assert_eq!(a.alloc(5), Err(Error::OutOfBufferMemory));
        let p = a.alloc(4).unwrap();
        assert_eq!(a.alloc(1), Err(Error::OutOfBufferMemory));
        free(&mut a, p.as_ptr()).unwrap();
        assert!(a.alloc(4).is_ok());
    }

    #[test]
    fn fragmentation_finds_a_run_that_fits() {
        let mut a = arena(6);
        let p: Vec<_> = (0..6).map(|_| a.alloc(1).unwrap()).collect();
        free(&mut a, p[1].as_ptr()).unwrap();
        free(&mut a, p[3].as_ptr()).unwrap();
        free(&mut a, p[4].as_ptr()).unwrap();
        assert_eq!(a.alloc(3), Err(Error::OutOfBufferMemory));
        assert_eq!(a.alloc(2).unwrap(), p[3]);
        assert_eq!(a.alloc(1).unwrap(), p[1]);
    }

    #[test]
    fn double_free_is_refused_and_changes_nothing() {
        let mut a = arena(4);
        let p = a.alloc(2).unwrap();
        let q = a.alloc(1).unwrap();
        fill(q, 1, 0x5a);
        free(&mut a, p.as_ptr()).unwrap();
        assert_eq!(free(&mut a, p.as_ptr()), Err(InvalidBuffer::NotAllocated));
        assert_eq!(a.free_pages(), 3);
        // SAFETY: `q` is still live.
        assert_eq!(unsafe { *q.as_ptr() }, 0x5a);
    }

    #[test]
    fn foreign_misaligned_interior_and_null_pointers_are_refused() {
        let mut a = arena(4);
        let p = a.alloc(2).unwrap();
        let local = 0u8;
        assert_eq!(free(&mut a, &local), Err(InvalidBuffer::Foreign));
        assert_eq!(free(&mut a, core::ptr::null()), Err(InvalidBuffer::Null));
        // SAFETY: in-bounds pointer arithmetic inside the 2-page buffer.
        let (inside, second) = unsafe { (p.as_ptr().add(8), p.as_ptr().add(PAGE_SIZE)) };
        assert_eq!(free(&mut a, inside), Err(InvalidBuffer::Misaligned));
        assert_eq!(free(&mut a, second), Err(InvalidBuffer::NotAllocated));
        // One past the end of the arena is foreign too.
        let end = (a.base + 4 * PAGE_SIZE) as *const u8;
        assert_eq!(free(&mut a, end), Err(InvalidBuffer::Foreign));
        assert_eq!(a.free_pages(), 2);
        assert_eq!(free(&mut a, p.as_ptr()), Ok(2));
    }

    #[test]
    fn free_pages_exact_checks_the_count() {
        let mut a = arena(4);
        let p = a.alloc(2).unwrap();
        assert_eq!(
            free_exact(&mut a, p.as_ptr(), 3),
            Err(InvalidBuffer::WrongPageCount {
                allocated: 2,
                given: 3
            })
        );
        assert_eq!(a.free_pages(), 2);
        assert_eq!(free_exact(&mut a, p.as_ptr(), 2), Ok(()));
        assert_eq!(a.free_pages(), 4);
    }

    #[test]
    fn empty_arena_refuses_everything() {
        let mut a = Arena::empty();
        assert_eq!(a.alloc(1), Err(Error::OutOfBufferMemory));
        let x = 0u8;
        assert_eq!(free(&mut a, &x), Err(InvalidBuffer::Foreign));
    }

    #[test]
    fn region_is_carved_into_table_and_pages() {
        let layout = Layout::from_size_align(64 * PAGE_SIZE + 123, 8).unwrap();
        // SAFETY: non-zero size; leaked, so 'static and unshared.
        let region = unsafe {
            let ptr = std::alloc::alloc(layout) as *mut core::mem::MaybeUninit<u8>;
            core::slice::from_raw_parts_mut(ptr, layout.size())
        };
        let mut a = Arena::from_region(region).unwrap();
        assert!(a.total_pages() >= 60 && a.total_pages() < 64);
        let p = a.alloc(a.total_pages()).unwrap();
        assert!(is_zero(p, a.total_pages()));
        let tiny: &'static mut [core::mem::MaybeUninit<u8>] =
            Box::leak(vec![core::mem::MaybeUninit::new(0u8); 100].into_boxed_slice());
        assert!(matches!(Arena::from_region(tiny), Err(Error::BadRegion)));
    }
}
