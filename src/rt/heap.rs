//! The global allocator: `linked_list_allocator` over a static region, so
//! `alloc` (`String`, `Vec`, `format!`) works in the unikernel.

use linked_list_allocator::LockedHeap;

/// Heap size. A static in `.bss`, so it costs nothing in the image.
const HEAP_SIZE: usize = 1 << 20;

#[repr(C, align(4096))]
struct HeapMemory([u8; HEAP_SIZE]);

static mut HEAP_MEMORY: HeapMemory = HeapMemory([0; HEAP_SIZE]);

#[global_allocator]
static HEAP: LockedHeap = LockedHeap::empty();

static INIT: spin::Once<()> = spin::Once::new();

/// Hand the static region to the allocator (once).
pub(crate) fn init() {
    INIT.call_once(|| {
        // SAFETY: runs once; the region is a static used by nothing else.
        unsafe {
            HEAP.lock()
                .init(core::ptr::addr_of_mut!(HEAP_MEMORY).cast::<u8>(), HEAP_SIZE)
        };
    });
}
