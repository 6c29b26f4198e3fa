//! The set of arenas buffers come from, behind one spin lock.

use core::ptr::NonNull;

use super::arena::{Arena, PAGE_SIZE};
use super::ARENA_PAGES;
use crate::error::{Error, InvalidBuffer, Result};

/// Arenas one pool can hold: the static one plus regions handed over.
pub const MAX_REGIONS: usize = 4;

/// Up to [`MAX_REGIONS`] arenas behind a spin lock.
///
/// The lock is not interrupt-safe: do not allocate or free from an
/// interrupt handler that can interrupt an allocation on the same vCPU.
///
/// ```
/// use core::mem::MaybeUninit;
/// use xencall::buffers::{Arena, Pool, PAGE_SIZE};
/// use xencall::Error;
///
/// let pool = Pool::new();
/// assert_eq!(pool.alloc_pages(1), Err(Error::OutOfBufferMemory));
/// let region = Box::leak(vec![MaybeUninit::uninit(); 8 * PAGE_SIZE].into_boxed_slice());
/// pool.add_arena(Arena::from_region(region)?)?;
/// let p = pool.alloc_pages(3)?;
/// assert_eq!(pool.buffer_pages(p.as_ptr()), Ok(3));
/// assert!(pool.is_buffer_range(p.as_ptr() as usize + 100, 3 * PAGE_SIZE - 100));
/// // SAFETY: `p` is not used after the free; no `Buffer` owns it.
/// unsafe { pool.free_pages(p.as_ptr(), 3)? };
/// assert_eq!(pool.free_page_count(), pool.total_page_count());
/// # Ok::<(), xencall::Error>(())
/// ```
pub struct Pool {
    arenas: spin::Mutex<[Arena; MAX_REGIONS]>,
}

impl Default for Pool {
    fn default() -> Self {
        Pool::new()
    }
}

impl Pool {
    /// A pool with no memory; give it some with [`Pool::add_arena`].
    ///
    /// ```
    /// use xencall::buffers::Pool;
    /// use xencall::Error;
    ///
    /// // `const`: a pool can be a `static`, given memory later.
    /// static POOL: Pool = Pool::new();
    /// assert_eq!(POOL.total_page_count(), 0);
    /// assert_eq!(POOL.alloc_pages(1), Err(Error::OutOfBufferMemory));
    /// ```
    pub const fn new() -> Pool {
        Pool {
            arenas: spin::Mutex::new([
                Arena::empty(),
                Arena::empty(),
                Arena::empty(),
                Arena::empty(),
            ]),
        }
    }

    /// Add an arena. Fails with [`Error::BadRegion`] when the pool already
    /// holds [`MAX_REGIONS`] arenas, or the arena is empty.
    ///
    /// ```
    /// use core::mem::MaybeUninit;
    /// use xencall::buffers::{Arena, Pool, PAGE_SIZE};
    /// use xencall::Error;
    ///
    /// let pool = Pool::new();
    /// let region = Box::leak(vec![MaybeUninit::uninit(); 8 * PAGE_SIZE].into_boxed_slice());
    /// let arena = Arena::from_region(region)?;
    /// let pages = arena.total_pages();
    /// pool.add_arena(arena)?;
    /// assert_eq!(pool.total_page_count(), pages);
    /// assert_eq!(pool.add_arena(Arena::empty()), Err(Error::BadRegion));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn add_arena(&self, arena: Arena) -> Result<()> {
        if arena.total_pages() == 0 {
            return Err(Error::BadRegion);
        }
        let mut arenas = self.arenas.lock();
        let slot = arenas
            .iter_mut()
            .find(|a| a.total_pages() == 0)
            .ok_or(Error::BadRegion)?;
        *slot = arena;
        Ok(())
    }

    /// Hand out `count` zeroed, page-aligned pages.
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, Pool, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 8 * PAGE_SIZE].into_boxed_slice());
    /// let pool = Pool::new();
    /// pool.add_arena(Arena::from_region(region)?)?;
    /// # use xencall::Error;
    /// let p = pool.alloc_pages(2)?;
    /// assert_eq!(p.as_ptr() as usize % PAGE_SIZE, 0);
    /// assert_eq!(pool.buffer_pages(p.as_ptr()), Ok(2));
    /// assert_eq!(pool.alloc_pages(0), Err(Error::InvalidSize));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn alloc_pages(&self, count: usize) -> Result<NonNull<u8>> {
        if count == 0 || count.checked_mul(PAGE_SIZE).is_none() {
            return Err(Error::InvalidSize);
        }
        let mut arenas = self.arenas.lock();
        let mut last = Error::OutOfBufferMemory;
        for arena in arenas.iter_mut().filter(|a| a.free_pages() >= count) {
            match arena.alloc(count) {
                Ok(ptr) => return Ok(ptr),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    fn with_owner<R>(
        &self,
        ptr: *const u8,
        f: impl FnOnce(&mut Arena) -> Result<R, InvalidBuffer>,
    ) -> Result<R> {
        if ptr.is_null() {
            return Err(Error::InvalidBuffer(InvalidBuffer::Null));
        }
        let mut arenas = self.arenas.lock();
        let arena = arenas
            .iter_mut()
            .find(|a| a.contains(ptr as usize))
            .ok_or(Error::InvalidBuffer(InvalidBuffer::Foreign))?;
        f(arena).map_err(Error::InvalidBuffer)
    }

    /// Free a buffer of exactly `count` pages. A refused pointer changes
    /// nothing.
    ///
    /// # Safety
    /// Nothing may use the buffer after it is freed: no live
    /// [`Buffer`](crate::Buffer) or [`BufferArray`](crate::BufferArray) may
    /// own it (its drop would free the pages again, possibly from under
    /// their next holder), and no pointer into it may be used again.
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, Pool, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 8 * PAGE_SIZE].into_boxed_slice());
    /// let pool = Pool::new();
    /// pool.add_arena(Arena::from_region(region)?)?;
    /// let p = pool.alloc_pages(2)?.as_ptr();
    /// // The count must be the allocation's: a wrong one frees nothing.
    /// // SAFETY: `p` is not used after the successful free.
    /// unsafe {
    ///     assert!(pool.free_pages(p, 1).is_err());
    ///     pool.free_pages(p, 2)?;
    /// }
    /// assert_eq!(pool.free_page_count(), pool.total_page_count());
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub unsafe fn free_pages(&self, ptr: *const u8, count: usize) -> Result<()> {
        // SAFETY: forwarded contract.
        self.with_owner(ptr, |a| unsafe { a.free_pages_exact(ptr, count) })
    }

    /// Free a buffer whatever its size; returns its page count.
    ///
    /// # Safety
    /// As [`free_pages`](Self::free_pages). Freeing the pages of a live
    /// [`Buffer`](crate::Buffer) is why this is `unsafe`; safe code cannot:
    ///
    /// ```compile_fail,E0133
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let b = xc.buffer(0u64)?;
    /// // `b`'s pages back in the pool while `b` lives: two owners.
    /// xc.pool().free(b.as_ptr().cast());
    /// # Ok::<(), xencall::Error>(())
    /// ```
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, Pool, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 8 * PAGE_SIZE].into_boxed_slice());
    /// let pool = Pool::new();
    /// pool.add_arena(Arena::from_region(region)?)?;
    /// use xencall::{Error, InvalidBuffer};
    ///
    /// let p = pool.alloc_pages(3)?.as_ptr();
    /// let local = 0u8;
    /// // SAFETY: `p` is not used after the free; `local` is refused.
    /// unsafe {
    ///     assert_eq!(pool.free(p), Ok(3));
    ///     assert_eq!(pool.free(&local), Err(Error::InvalidBuffer(InvalidBuffer::Foreign)));
    /// }
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub unsafe fn free(&self, ptr: *const u8) -> Result<usize> {
        // SAFETY: forwarded contract.
        self.with_owner(ptr, |a| unsafe { a.free(ptr) })
    }

    /// Page count of the live buffer starting at `ptr`.
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, Pool, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 8 * PAGE_SIZE].into_boxed_slice());
    /// let pool = Pool::new();
    /// pool.add_arena(Arena::from_region(region)?)?;
    /// let p = pool.alloc_pages(2)?.as_ptr();
    /// assert_eq!(pool.buffer_pages(p), Ok(2));
    /// // Only a buffer's first byte names it.
    /// assert!(pool.buffer_pages(p.wrapping_add(PAGE_SIZE)).is_err());
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn buffer_pages(&self, ptr: *const u8) -> Result<usize> {
        self.with_owner(ptr, |a| a.lookup(ptr).map(|(_, n)| n))
    }

    /// `true` if `len` bytes at `addr` lie inside one live buffer of this
    /// pool: what Xen may be given as a buffer argument.
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, Pool, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 8 * PAGE_SIZE].into_boxed_slice());
    /// let pool = Pool::new();
    /// pool.add_arena(Arena::from_region(region)?)?;
    /// let p = pool.alloc_pages(1)?.as_ptr() as usize;
    /// assert!(pool.is_buffer_range(p + 16, 64));
    /// assert!(!pool.is_buffer_range(p + 16, PAGE_SIZE)); // runs past the buffer
    /// let local = [0u8; 64];
    /// assert!(!pool.is_buffer_range(local.as_ptr() as usize, 64)); // not the pool's
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn is_buffer_range(&self, addr: usize, len: usize) -> bool {
        let arenas = self.arenas.lock();
        let Some(arena) = arenas.iter().find(|a| a.contains(addr)) else {
            return false;
        };
        let mut page_start = addr - addr % PAGE_SIZE;
        // Walk back to the first page of the buffer holding `addr`.
        loop {
            match arena.lookup(page_start as *const u8) {
                Ok((_, pages)) => {
                    let end = page_start + pages * PAGE_SIZE;
                    return addr.checked_add(len).is_some_and(|e| e <= end);
                }
                Err(InvalidBuffer::NotAllocated) if arena.contains(page_start - PAGE_SIZE) => {
                    page_start -= PAGE_SIZE;
                }
                Err(_) => return false,
            }
        }
    }

    /// Free pages across all arenas.
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, Pool, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 8 * PAGE_SIZE].into_boxed_slice());
    /// let pool = Pool::new();
    /// pool.add_arena(Arena::from_region(region)?)?;
    /// let before = pool.free_page_count();
    /// let p = pool.alloc_pages(2)?;
    /// assert_eq!(pool.free_page_count(), before - 2);
    /// // SAFETY: `p` is not used after the free.
    /// unsafe { pool.free(p.as_ptr())? };
    /// assert_eq!(pool.free_page_count(), before);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn free_page_count(&self) -> usize {
        self.arenas.lock().iter().map(Arena::free_pages).sum()
    }

    /// Pages across all arenas.
    ///
    /// ```
    /// # use core::mem::MaybeUninit;
    /// # use xencall::buffers::{Arena, Pool, PAGE_SIZE};
    /// # let region = Box::leak(vec![MaybeUninit::uninit(); 8 * PAGE_SIZE].into_boxed_slice());
    /// let pool = Pool::new();
    /// assert_eq!(pool.total_page_count(), 0);
    /// pool.add_arena(Arena::from_region(region)?)?;
    /// let total = pool.total_page_count();
    /// let _p = pool.alloc_pages(1)?;
    /// assert!(total > 0 && pool.total_page_count() == total);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn total_page_count(&self) -> usize {
        self.arenas.lock().iter().map(Arena::total_pages).sum()
    }
}

/// The static arena's pages, zero-initialised so they land in `.bss`.
#[repr(C, align(4096))]
struct StaticPages([[u8; PAGE_SIZE]; ARENA_PAGES]);

static mut STATIC_PAGES: StaticPages = StaticPages([[0; PAGE_SIZE]; ARENA_PAGES]);
static mut STATIC_STATE: [u32; ARENA_PAGES] = [0; ARENA_PAGES];

static GLOBAL: Pool = Pool::new();
static GLOBAL_INIT: spin::Once<()> = spin::Once::new();

/// The global pool that [`Xencall`](crate::Xencall) handles allocate from.
///
/// ```
/// use xencall::buffers::{global, ARENA_PAGES};
///
/// // It starts with the static arena, sized at build time.
/// assert!(global().total_page_count() >= ARENA_PAGES);
/// let p = global().alloc_pages(1)?;
/// // SAFETY: `p` is not used after the free.
/// unsafe { global().free(p.as_ptr())? };
/// # Ok::<(), xencall::Error>(())
/// ```
pub fn global() -> &'static Pool {
    GLOBAL_INIT.call_once(|| {
        if ARENA_PAGES > 0 {
            // SAFETY: `call_once` runs this exactly once, so the static
            // pages and state table are handed to exactly one arena; both
            // are zero-initialised statics that nothing else names.
            let arena = unsafe {
                Arena::from_raw_parts(
                    core::ptr::addr_of_mut!(STATIC_PAGES).cast::<u8>(),
                    ARENA_PAGES,
                    core::ptr::addr_of_mut!(STATIC_STATE).cast::<u32>(),
                )
            };
            // The pool is empty here, so a slot is free.
            let _ = GLOBAL.add_arena(arena);
        }
    });
    &GLOBAL
}

/// Hand a region of the unikernel's own memory to the global pool, in
/// addition to (or, with `XENCALL_ARENA_PAGES=0`, instead of) the static
/// arena. The memory must be ordinary RAM that Xen can access: for PVH and
/// Arm guests, identity-mapped.
///
/// ```
/// use core::mem::MaybeUninit;
/// use xencall::buffers::{add_region, global, PAGE_SIZE};
///
/// let before = global().total_page_count();
/// // In a guest: memory from the heap or a free range of the memory map.
/// let region = Box::leak(vec![MaybeUninit::uninit(); 64 * PAGE_SIZE].into_boxed_slice());
/// add_region(region)?;
/// assert!(global().total_page_count() > before + 60);
/// # Ok::<(), xencall::Error>(())
/// ```
pub fn add_region(region: &'static mut [core::mem::MaybeUninit<u8>]) -> Result<()> {
    global().add_arena(Arena::from_region(region)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::buffers::test_arena;

    /// The tests free pointers they allocated and never use them again.
    fn free(pool: &Pool, ptr: *const u8) -> Result<usize> {
        // SAFETY: no `Buffer` owns these pages, and a pointer is not used
        // after it was freed.
        unsafe { pool.free(ptr) }
    }

    /// As `free`, with the page count checked.
    fn free_pages(pool: &Pool, ptr: *const u8, count: usize) -> Result<()> {
        // SAFETY: as in `free`.
        unsafe { pool.free_pages(ptr, count) }
    }

    #[test]
    fn pool_spans_arenas_and_routes_frees() {
        let pool = Pool::new();
        pool.add_arena(test_arena(2)).unwrap();
        pool.add_arena(test_arena(3)).unwrap();
        assert_eq!(pool.total_page_count(), 5);
        let big = pool.alloc_pages(3).unwrap();
        let small = pool.alloc_pages(2).unwrap();
        assert_eq!(pool.alloc_pages(1), Err(Error::OutOfBufferMemory));
        assert_eq!(pool.buffer_pages(big.as_ptr()), Ok(3));
        free(&pool, small.as_ptr()).unwrap();
        free_pages(&pool, big.as_ptr(), 3).unwrap();
        assert_eq!(pool.free_page_count(), 5);
    }

    #[test]
    fn refusals_are_reported_and_change_nothing() {
        let pool = Pool::new();
        pool.add_arena(test_arena(2)).unwrap();
        let p = pool.alloc_pages(1).unwrap();
        let x = 0u8;
        assert_eq!(
            free(&pool, &x),
            Err(Error::InvalidBuffer(InvalidBuffer::Foreign))
        );
        assert_eq!(
            free(&pool, core::ptr::null()),
            Err(Error::InvalidBuffer(InvalidBuffer::Null))
        );
        assert_eq!(
            free_pages(&pool, p.as_ptr(), 2),
            Err(Error::InvalidBuffer(InvalidBuffer::WrongPageCount {
                allocated: 1,
                given: 2
            }))
        );
        assert_eq!(pool.free_page_count(), 1);
        assert_eq!(pool.alloc_pages(0), Err(Error::InvalidSize));
    }

    #[test]
    fn buffer_ranges_are_recognised() {
        let pool = Pool::new();
        pool.add_arena(test_arena(4)).unwrap();
        let p = pool.alloc_pages(2).unwrap().as_ptr() as usize;
        assert!(pool.is_buffer_range(p, 2 * PAGE_SIZE));
        assert!(pool.is_buffer_range(p + PAGE_SIZE + 10, 100));
        assert!(!pool.is_buffer_range(p + 10, 2 * PAGE_SIZE));
        assert!(!pool.is_buffer_range(p + 2 * PAGE_SIZE, 1));
        let x = 0u8;
        assert!(!pool.is_buffer_range(&x as *const u8 as usize, 1));
    }

    #[test]
    fn a_full_pool_refuses_more_arenas() {
        let pool = Pool::new();
        for _ in 0..MAX_REGIONS {
            pool.add_arena(test_arena(1)).unwrap();
        }
        assert!(matches!(
            pool.add_arena(test_arena(1)),
            Err(Error::BadRegion)
        ));
        assert!(matches!(
            pool.add_arena(Arena::empty()),
            Err(Error::BadRegion)
        ));
    }

    #[test]
    fn global_pool_has_the_static_arena() {
        assert!(global().total_page_count() >= super::ARENA_PAGES);
        if super::ARENA_PAGES == 0 {
            // XENCALL_ARENA_PAGES=0: nothing until a region is added.
            assert_eq!(global().alloc_pages(1), Err(Error::OutOfBufferMemory));
            return;
        }
        let p = global().alloc_pages(1).unwrap();
        assert_eq!(p.as_ptr() as usize % PAGE_SIZE, 0);
        free(global(), p.as_ptr()).unwrap();
    }
}
