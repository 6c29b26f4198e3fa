//! Hypercall-buffer allocation cost, side by side (`cargo bench --bench
//! allocator`, also run by `cargo qemu bench`).
//!
//! For 1 page, 4 pages and 64 bytes, with 0, 64 and 1024 buffers already
//! live: allocate a zeroed, page-aligned buffer and free it, through
//! * `xencall`: the crate's pool (zeroed on hand-out, scrubbed on free),
//! * `linked_list_allocator`: the same arena size managed plainly (page
//!   alignment requested, zeroing done by the caller),
//! * `posix_memalign`: the C library's `posix_memalign(4096)` + `memset`.

use std::alloc::Layout;
use std::hint::black_box;
use std::ptr::NonNull;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use xencall::buffers::{pages_for, Arena, Pool, PAGE_SIZE};

/// Enough pages for 1024 live 4-page buffers plus the one under test.
const ARENA_PAGES: usize = 1024 * 4 + 64;

fn leak_pages(pages: usize) -> *mut u8 {
    let layout = Layout::from_size_align(pages * PAGE_SIZE, PAGE_SIZE).unwrap();
    // SAFETY: non-zero size; leaked for the benchmark's lifetime.
    unsafe { std::alloc::alloc_zeroed(layout) }
}

fn xencall_pool() -> &'static Pool {
    let pool: &'static Pool = Box::leak(Box::new(Pool::new()));
    // SAFETY: fresh zeroed memory used only by this arena.
    let arena = unsafe {
        Arena::from_raw_parts(
            leak_pages(ARENA_PAGES),
            ARENA_PAGES,
            Box::leak(vec![0u32; ARENA_PAGES].into_boxed_slice()).as_mut_ptr(),
        )
    };
    pool.add_arena(arena).unwrap();
    pool
}

fn lla_heap() -> linked_list_allocator::Heap {
    let mut heap = linked_list_allocator::Heap::empty();
    // SAFETY: fresh memory used only by this heap.
    unsafe { heap.init(leak_pages(ARENA_PAGES), ARENA_PAGES * PAGE_SIZE) };
    heap
}

/// The three allocators behind one face: allocate `bytes` zeroed and
/// page-aligned, and free.
trait Allocator {
    fn alloc(&mut self, bytes: usize) -> NonNull<u8>;
    fn free(&mut self, p: NonNull<u8>, bytes: usize);
}

struct Xencall(&'static Pool);
impl Allocator for Xencall {
    fn alloc(&mut self, bytes: usize) -> NonNull<u8> {
        self.0.alloc_pages(pages_for(bytes).unwrap()).unwrap()
    }
    fn free(&mut self, p: NonNull<u8>, _: usize) {
        // SAFETY: the benchmark frees each pointer it allocated once and
        // does not use it afterwards; no `Buffer` owns it.
        unsafe { self.0.free(p.as_ptr()) }.unwrap();
    }
}

struct Lla(linked_list_allocator::Heap);
impl Allocator for Lla {
    fn alloc(&mut self, bytes: usize) -> NonNull<u8> {
        let layout = Layout::from_size_align(bytes, PAGE_SIZE).unwrap();
        let p = self.0.allocate_first_fit(layout).unwrap();
        // SAFETY: `bytes` bytes just allocated.
        unsafe { std::ptr::write_bytes(p.as_ptr(), 0, bytes) };
        p
    }
    fn free(&mut self, p: NonNull<u8>, bytes: usize) {
        let layout = Layout::from_size_align(bytes, PAGE_SIZE).unwrap();
        // SAFETY: allocated above with this layout.
        unsafe { self.0.deallocate(p, layout) };
    }
}

struct Libc;
impl Allocator for Libc {
    fn alloc(&mut self, bytes: usize) -> NonNull<u8> {
        let mut p = std::ptr::null_mut();
        // SAFETY: valid out-pointer; alignment is a power of two.
        assert_eq!(unsafe { libc::posix_memalign(&mut p, PAGE_SIZE, bytes) }, 0);
        // SAFETY: `bytes` bytes just allocated.
        unsafe { std::ptr::write_bytes(p.cast::<u8>(), 0, bytes) };
        NonNull::new(p.cast()).unwrap()
    }
    fn free(&mut self, p: NonNull<u8>, _: usize) {
        // SAFETY: from posix_memalign.
        unsafe { libc::free(p.as_ptr().cast()) };
    }
}

fn run(c: &mut Criterion, name: &str, mut make: impl FnMut() -> Box<dyn Allocator>) {
    let mut group = c.benchmark_group(format!("alloc_free/{name}"));
    for (label, bytes) in [("1page", PAGE_SIZE), ("4pages", 4 * PAGE_SIZE), ("64B", 64)] {
        for live in [0usize, 64, 1024] {
            let mut a = make();
            // Live buffers of mixed sizes, every other one freed again, so
            // the allocator works around holes as it would in use.
            let mut held = Vec::new();
            for i in 0..live * 2 {
                let size = [PAGE_SIZE, 2 * PAGE_SIZE, 64][i % 3];
                held.push((a.alloc(size), size));
            }
            let mut kept = Vec::new();
            for (i, (p, size)) in held.into_iter().enumerate() {
                if i % 2 == 0 {
                    a.free(p, size);
                } else {
                    kept.push((p, size));
                }
            }
            group.bench_with_input(BenchmarkId::new(label, live), &bytes, |b, &bytes| {
                b.iter(|| {
                    let p = a.alloc(black_box(bytes));
                    a.free(black_box(p), bytes);
                })
            });
            for (p, size) in kept {
                a.free(p, size);
            }
        }
    }
    group.finish();
}

fn allocators(c: &mut Criterion) {
    run(c, "xencall", || Box::new(Xencall(xencall_pool())));
    run(c, "linked_list_allocator", || Box::new(Lla(lla_heap())));
    run(c, "posix_memalign", || Box::new(Libc));
}

criterion_group!(benches, allocators);
criterion_main!(benches);
