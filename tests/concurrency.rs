//! Many threads allocating, using, freeing and calling through one handle.
//! Every buffer is filled with its owner's pattern and checked before it is
//! freed: any overlap between concurrently live buffers, or a lost scrub,
//! shows up as a wrong byte.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use xencall::abi::HypercallOp;
use xencall::buffers::{Arena, Pool, PAGE_SIZE};
use xencall::mock::MockBackend;
use xencall::{Error, OpenFlags, Xencall};

const THREADS: usize = 8;
const ROUNDS: usize = 2000;
const PAGES: usize = 96;

fn pool() -> &'static Pool {
    let layout = std::alloc::Layout::from_size_align(PAGES * PAGE_SIZE, PAGE_SIZE).unwrap();
    let pool: &'static Pool = Box::leak(Box::new(Pool::new()));
    // SAFETY: leaked zeroed memory used by this arena only.
    let arena = unsafe {
        let base = std::alloc::alloc_zeroed(layout);
        let state = Box::leak(vec![0u32; PAGES].into_boxed_slice()).as_mut_ptr();
        Arena::from_raw_parts(base, PAGES, state)
    };
    pool.add_arena(arena).unwrap();
    pool
}

#[test]
fn threads_share_a_handle_and_pool_without_interference() {
    let pool = pool();
    let xc = Arc::new(Xencall::with_backend_and_pool(
        MockBackend::new(),
        pool,
        None,
        OpenFlags::empty(),
    ));
    let exhausted = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..THREADS)
        .map(|t| {
            let xc = Arc::clone(&xc);
            let exhausted = Arc::clone(&exhausted);
            std::thread::spawn(move || {
                let pattern = t as u8 + 1;
                for round in 0..ROUNDS {
                    let pages = 1 + (round * 7 + t) % 4;
                    let p = match xc.alloc_buffer_pages(pages) {
                        Ok(p) => p,
                        Err(Error::OutOfBufferMemory) => {
                            exhausted.fetch_add(1, Ordering::Relaxed);
                            continue;
                        }
                        Err(e) => panic!("thread {t}: {e}"),
                    };
                    // SAFETY: a live buffer of `pages` pages owned by this thread.
                    let buf =
                        unsafe { std::slice::from_raw_parts_mut(p.as_ptr(), pages * PAGE_SIZE) };
                    assert!(
                        buf.iter().all(|&b| b == 0),
                        "thread {t}: dirty buffer handed out"
                    );
                    buf.fill(pattern);
                    // SAFETY: mock backend.
                    unsafe {
                        xc.call2(HypercallOp::XEN_VERSION, 0, p.as_ptr() as u64)
                            .unwrap()
                    };
                    std::thread::yield_now();
                    assert!(
                        buf.iter().all(|&b| b == pattern),
                        "thread {t}: buffer overwritten"
                    );
                    // SAFETY: not used after this.
                    unsafe { xc.free_buffer_pages(p.as_ptr(), pages).unwrap() };
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(pool.free_page_count(), PAGES, "pages leaked");
    assert_eq!(
        xc.backend().calls() + exhausted.load(Ordering::Relaxed),
        THREADS * ROUNDS
    );
}

#[test]
fn a_non_reentrant_handle_refuses_concurrent_entry_instead_of_racing() {
    // Two threads hammer one NON_REENTRANT handle whose backend spins a
    // little: some calls must be refused with Reentered, none may run
    // concurrently with another.
    static INSIDE: AtomicUsize = AtomicUsize::new(0);
    static OVERLAPS: AtomicUsize = AtomicUsize::new(0);
    let xc = Arc::new(Xencall::with_backend_and_pool(
        MockBackend::new(),
        pool(),
        None,
        OpenFlags::NON_REENTRANT,
    ));
    xc.backend().set_responder(&|_, _| {
        if INSIDE.fetch_add(1, Ordering::SeqCst) != 0 {
            OVERLAPS.fetch_add(1, Ordering::SeqCst);
        }
        for _ in 0..200 {
            std::hint::spin_loop();
        }
        INSIDE.fetch_sub(1, Ordering::SeqCst);
        0
    });
    let refused = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let xc = Arc::clone(&xc);
            let refused = Arc::clone(&refused);
            std::thread::spawn(move || {
                for _ in 0..5000 {
                    // SAFETY: mock backend.
                    match unsafe { xc.call0(HypercallOp(1)) } {
                        Ok(_) => {}
                        Err(Error::Reentered) => {
                            refused.fetch_add(1, Ordering::Relaxed);
                        }
                        Err(e) => panic!("{e}"),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(
        OVERLAPS.load(Ordering::SeqCst),
        0,
        "calls overlapped on a NON_REENTRANT handle"
    );
    assert_eq!(
        xc.backend().calls() + refused.load(Ordering::Relaxed),
        4 * 5000
    );
}
