//! The PV console ring on the host: a page laid out as `public/io/console.h`
//! says, the guest side (`ConsoleRing`) in the test thread and a backend
//! thread playing xenconsoled over the same page (through its own
//! `ByteRing`s, as another domain would).
//!
//! The byte offsets below are the header's (`char in[1024]; char out[2048];`
//! then `in_cons, in_prod, out_cons, out_prod`, four `uint32_t`), which
//! `tests/abi_conformance.rs` checks `abi::console::XenconsInterface` against.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use xencall::abi::console::XenconsInterface;
use xencall::console_ring::ConsoleRing;
use xencall::shared_ring::{ByteRing, Doorbell};

const IN: usize = 0;
const OUT: usize = 1024;
const IN_CONS: usize = 3072;
const IN_PROD: usize = 3076;
const OUT_CONS: usize = 3080;
const OUT_PROD: usize = 3084;

/// A 4 KiB page, 8-byte aligned, shared by the two sides.
struct Page(*mut u8);
// SAFETY: both sides access the page only through atomic ring operations.
unsafe impl Send for Page {}
// SAFETY: as above.
unsafe impl Sync for Page {}

impl Page {
    fn new() -> Arc<Page> {
        let page = Box::leak(Box::new([0u64; 512]));
        Arc::new(Page(page.as_mut_ptr().cast()))
    }
    fn interface(&self) -> *mut XenconsInterface {
        self.0.cast()
    }
    fn u32_at(&self, off: usize) -> *mut u32 {
        // SAFETY: an aligned offset inside the page.
        unsafe { self.0.add(off).cast() }
    }
    /// The backend's view: it reads `out` and writes `in`.
    fn backend(&self) -> (ByteRing, ByteRing) {
        // SAFETY: the page is leaked (lives for good); the guest side uses
        // the same memory through its own rings, all accesses atomic.
        unsafe {
            (
                ByteRing::new(
                    self.0.add(OUT),
                    2048,
                    self.u32_at(OUT_CONS),
                    self.u32_at(OUT_PROD),
                ),
                ByteRing::new(
                    self.0.add(IN),
                    1024,
                    self.u32_at(IN_CONS),
                    self.u32_at(IN_PROD),
                ),
            )
        }
    }
    fn set(&self, off: usize, value: u32) {
        // SAFETY: an aligned u32 inside the page; no other thread runs yet.
        unsafe { self.u32_at(off).write(value) }
    }
    fn get(&self, off: usize) -> u32 {
        // SAFETY: as above.
        unsafe { self.u32_at(off).read() }
    }
}

/// Counts notifications and waits; waiting lets the backend thread run.
#[derive(Default)]
struct Bell {
    notifies: AtomicUsize,
    waits: AtomicUsize,
}

impl Doorbell for &Bell {
    fn notify(&self) {
        self.notifies.fetch_add(1, Ordering::SeqCst);
    }
    fn wait(&self) {
        self.waits.fetch_add(1, Ordering::SeqCst);
        thread::sleep(Duration::from_micros(50));
    }
}

fn console<'b>(page: &Page, bell: &'b Bell) -> ConsoleRing<&'b Bell> {
    // SAFETY: the page is leaked; the backend uses it only through rings.
    unsafe { ConsoleRing::new(page.interface(), bell) }
}

fn pattern(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 7 + i / 251) as u8).collect()
}

#[test]
fn output_lands_where_the_header_puts_it_and_the_backend_is_notified() {
    let page = Page::new();
    let bell = Bell::default();
    console(&page, &bell).write(b"hello");
    // SAFETY: nothing else runs; the bytes at the header's offset of `out`.
    let out = unsafe { std::slice::from_raw_parts(page.0.add(OUT), 5) };
    assert_eq!(out, b"hello");
    assert_eq!((page.get(OUT_PROD), page.get(OUT_CONS)), (5, 0));
    assert_eq!(bell.notifies.load(Ordering::SeqCst), 1);
    assert_eq!(bell.waits.load(Ordering::SeqCst), 0);
}

#[test]
fn input_is_read_from_where_the_header_puts_it() {
    let page = Page::new();
    // SAFETY: nothing else runs; the header's offset of `in`.
    unsafe { std::ptr::copy_nonoverlapping(b"ls -l\n".as_ptr(), page.0.add(IN), 6) };
    page.set(IN_PROD, 6);
    let bell = Bell::default();
    let c = console(&page, &bell);
    let mut buf = [0u8; 4];
    assert_eq!(c.try_read(&mut buf), 4);
    assert_eq!(&buf, b"ls -");
    assert_eq!(page.get(IN_CONS), 4);
    assert_eq!(c.read(&mut buf), 2);
    assert_eq!(&buf[..2], b"l\n");
    assert_eq!(c.try_read(&mut buf), 0);
    // Each read that freed room told the backend.
    assert_eq!(bell.notifies.load(Ordering::SeqCst), 2);
}

/// Writes `data` through the console while a backend thread drains `out`
/// (starting after `delay`, `chunk` bytes at a time); the bytes it saw.
fn write_through_slow_backend(
    page: Arc<Page>,
    data: &[u8],
    delay: Duration,
    chunk: usize,
) -> (Vec<u8>, usize) {
    let total = data.len();
    let backend_page = page.clone();
    let backend = thread::spawn(move || {
        thread::sleep(delay);
        let (out, _) = backend_page.backend();
        let mut seen = Vec::new();
        let mut buf = vec![0u8; chunk];
        // Bounded, so a writer that drops bytes fails the test, not hangs it.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while seen.len() < total && std::time::Instant::now() < deadline {
            let n = out
                .consume(&mut buf)
                .expect("the guest kept the ring sound");
            seen.extend_from_slice(&buf[..n]);
            thread::sleep(Duration::from_micros(200));
        }
        seen
    });
    let bell = Bell::default();
    console(&page, &bell).write(data);
    let seen = backend.join().unwrap();
    (seen, bell.waits.load(Ordering::SeqCst))
}

#[test]
fn a_full_ring_makes_the_writer_wait_and_nothing_is_lost() {
    let data = pattern(100_000);
    let (seen, waits) =
        write_through_slow_backend(Page::new(), &data, Duration::from_millis(50), 300);
    assert!(waits > 0, "the writer never found the ring full");
    assert_eq!(seen.len(), data.len());
    assert!(seen == data, "bytes lost, reordered or changed");
}

#[test]
fn counters_wrap_at_2_pow_32_and_indices_at_the_ring_end() {
    let page = Page::new();
    // Just below the wrap, and not at a multiple of the ring size, so the
    // copy also crosses the array's end.
    let start = u32::MAX - 1000;
    page.set(OUT_CONS, start);
    page.set(OUT_PROD, start);
    let data = pattern(20_000);
    let (seen, _) = write_through_slow_backend(page.clone(), &data, Duration::ZERO, 777);
    assert!(seen == data);
    assert_eq!(page.get(OUT_PROD), start.wrapping_add(20_000));
    assert!(page.get(OUT_PROD) < start, "the counter did wrap");
}

#[test]
fn a_blocking_read_waits_for_input_and_a_non_blocking_one_does_not() {
    let page = Page::new();
    let bell = Bell::default();
    let c = console(&page, &bell);
    let mut buf = [0u8; 32];
    assert_eq!(c.try_read(&mut buf), 0);
    assert_eq!(bell.waits.load(Ordering::SeqCst), 0);
    let typist_page = page.clone();
    let typist = thread::spawn(move || {
        thread::sleep(Duration::from_millis(30));
        let (_, input) = typist_page.backend();
        assert_eq!(input.produce(b"y\n"), Ok(2));
    });
    let n = c.read(&mut buf);
    typist.join().unwrap();
    assert_eq!(&buf[..n], b"y\n");
    assert!(
        bell.waits.load(Ordering::SeqCst) > 0,
        "read returned before input came"
    );
}

#[test]
fn input_wrapping_around_the_ring_comes_out_in_order() {
    let page = Page::new();
    page.set(IN_CONS, 1000);
    page.set(IN_PROD, 1000);
    let (_, input) = page.backend();
    let bell = Bell::default();
    let c = console(&page, &bell);
    let mut got = Vec::new();
    let data = pattern(5000);
    for piece in data.chunks(600) {
        assert_eq!(input.produce(piece), Ok(piece.len()));
        let mut buf = [0u8; 1024];
        let n = c.read(&mut buf);
        got.extend_from_slice(&buf[..n]);
    }
    assert_eq!(got, data);
}

#[test]
fn a_corrupt_ring_loses_no_memory_safety_and_input_restarts() {
    let page = Page::new();
    // The backend claims 5000 bytes of input in a 1 KiB ring.
    page.set(IN_PROD, 5000);
    let bell = Bell::default();
    let c = console(&page, &bell);
    let mut buf = [0u8; 64];
    assert_eq!(c.try_read(&mut buf), 0);
    assert_eq!(
        page.get(IN_CONS),
        5000,
        "input resynchronised at the backend's counter"
    );
    // And an output ring with its consumer ahead of the producer takes nothing.
    page.set(OUT_CONS, 10);
    assert_eq!(c.try_write(b"x"), 0);
    assert_eq!(page.get(OUT_PROD), 0);
}
