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
fn a_non_reentrant_handle_refuses_concurrent_buffer_operations_and_loses_nothing() {
    // Four threads break the NON_REENTRANT promise on one handle: each
    // allocation or free either runs or is refused with Reentered (then
    // retried), never anything else; no page is handed out twice and, at
    // the end, every page is back. Refusals must have happened: a handle
    // that never refused would pass everything else.
    // Refusals log inside the operation; a slow logger widens the window
    // in which the handle is taken, and until the first collision it holds
    // the handle until another thread is refused (at most 10 ms a time),
    // so that threads do collide however the machine schedules them.
    static REENTERED: AtomicUsize = AtomicUsize::new(0);
    struct SlowLogger;
    impl log::Log for SlowLogger {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, _: &log::Record<'_>) {
            let start = std::time::Instant::now();
            while REENTERED.load(Ordering::Relaxed) == 0
                && start.elapsed() < std::time::Duration::from_millis(10)
            {
                std::hint::spin_loop();
            }
            for _ in 0..500 {
                std::hint::spin_loop();
            }
        }
        fn flush(&self) {}
    }
    let xc = Arc::new(Xencall::with_backend_and_pool(
        MockBackend::new(),
        pool(),
        Some(&SlowLogger),
        OpenFlags::NON_REENTRANT,
    ));
    let free_at_start = xc.pool().free_page_count();
    let refused = || REENTERED.fetch_add(1, Ordering::Relaxed);
    let threads: Vec<_> = (0..4u8)
        .map(|t| {
            let xc = Arc::clone(&xc);
            std::thread::spawn(move || {
                for _ in 0..2000 {
                    // A refused request: logged (slowly) under the claim.
                    match xc.alloc_buffer_pages(0) {
                        Err(Error::InvalidSize) => {}
                        Err(Error::Reentered) => {
                            refused();
                        }
                        r => panic!("{r:?}"),
                    }
                    // At most four pages are live of the pool's 96: only
                    // Reentered may refuse this.
                    let p = loop {
                        match xc.alloc_buffer_pages(1) {
                            Ok(p) => break p,
                            Err(Error::Reentered) => {
                                refused();
                            }
                            Err(e) => panic!("{e}"),
                        }
                    };
                    // SAFETY: the page is this thread's until freed: a
                    // page handed out twice would show another's mark.
                    unsafe {
                        p.as_ptr().write_volatile(t + 1);
                        std::hint::spin_loop();
                        assert_eq!(p.as_ptr().read_volatile(), t + 1);
                        p.as_ptr().write_volatile(0);
                    }
                    loop {
                        // SAFETY: freed once; a refused free changed nothing.
                        match unsafe { xc.free_buffer_pages(p.as_ptr(), 1) } {
                            Ok(()) => break,
                            Err(Error::Reentered) => {
                                refused();
                            }
                            Err(e) => panic!("{e}"),
                        }
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(xc.pool().free_page_count(), free_at_start);
    let refusals = REENTERED.load(Ordering::Relaxed);
    eprintln!("refused {refusals} operations with Reentered");
    assert!(
        refusals > 0,
        "no operation was refused: the threads never collided"
    );
}
