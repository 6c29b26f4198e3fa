//! The xenstore client over its real transport, the shared page: a page
//! laid out as `xenstore_domain_interface` (`char req[1024]; char
//! rsp[1024];` then `req_cons, req_prod, rsp_cons, rsp_prod,
//! server_features, connection, error`), the client's `RingTransport` in
//! the test thread, and a thread playing xenstored on the other side of
//! the page (its own `ByteRing`s over the same memory, driving a
//! `MockXenstored`), which hands its replies to the ring in small pieces.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use xencall::abi::xenstore::XenstoreDomainInterface;
use xencall::abi::XenErrno;
use xencall::shared_ring::{ByteRing, Doorbell};
use xencall::xenstore::{MockXenstored, RingTransport, Transport, Xenstore, XsError};

const REQ: usize = 0;
const RSP: usize = 1024;
const REQ_CONS: usize = 2048;
const REQ_PROD: usize = 2052;
const RSP_CONS: usize = 2056;
const RSP_PROD: usize = 2060;
const SERVER_FEATURES: usize = 2064;
const ERROR: usize = 2072;

struct Page(*mut u8);
// SAFETY: both sides use the page only through atomic ring operations.
unsafe impl Send for Page {}
// SAFETY: as above.
unsafe impl Sync for Page {}

impl Page {
    fn new() -> Arc<Page> {
        let page = Box::leak(Box::new([0u64; 512]));
        Arc::new(Page(page.as_mut_ptr().cast()))
    }
    fn at(&self, off: usize) -> *mut u32 {
        // SAFETY: an aligned offset inside the page.
        unsafe { self.0.add(off).cast() }
    }
}

/// Waiting lets the other thread run; notifications are counted.
#[derive(Default)]
struct Bell(AtomicUsize);

/// The client's doorbell: shares the counter with the test.
struct SharedBell(Arc<Bell>);

impl Doorbell for SharedBell {
    fn notify(&self) {
        self.0 .0.fetch_add(1, Ordering::SeqCst);
    }
    fn wait(&self) {
        thread::sleep(Duration::from_micros(20));
    }
}

/// The daemon thread: requests from `req` into the mock, the mock's
/// output into `rsp`, `piece` bytes at a time.
struct Daemon {
    stop: Arc<AtomicBool>,
    thread: Option<thread::JoinHandle<()>>,
    mock: Arc<Mutex<MockXenstored>>,
}

impl Daemon {
    fn start(page: Arc<Page>, piece: usize) -> Daemon {
        let stop = Arc::new(AtomicBool::new(false));
        let mock = Arc::new(Mutex::new(MockXenstored::new(7, "ring-guest")));
        let (stop2, mock2) = (stop.clone(), mock.clone());
        let thread = thread::spawn(move || {
            // SAFETY: the leaked page; the client uses it through its rings.
            let (req, rsp) = unsafe {
                (
                    ByteRing::new(page.0.add(REQ), 1024, page.at(REQ_CONS), page.at(REQ_PROD)),
                    ByteRing::new(page.0.add(RSP), 1024, page.at(RSP_CONS), page.at(RSP_PROD)),
                )
            };
            let mut pending: Vec<u8> = Vec::new();
            while !stop2.load(Ordering::SeqCst) {
                let mut buf = [0u8; 300];
                let n = req.consume(&mut buf).expect("client kept req sound");
                let mut mock = mock2.lock().unwrap();
                if n > 0 {
                    mock.send(&buf[..n]).unwrap();
                }
                let mut out = [0u8; 64];
                loop {
                    let m = mock.receive(&mut out, false).unwrap();
                    if m == 0 {
                        break;
                    }
                    pending.extend_from_slice(&out[..m]);
                }
                drop(mock);
                let take = pending.len().min(piece);
                let sent = rsp
                    .produce(&pending[..take])
                    .expect("client kept rsp sound");
                pending.drain(..sent);
                thread::sleep(Duration::from_micros(10));
            }
        });
        Daemon {
            stop,
            thread: Some(thread),
            mock,
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
    }
}

fn client(page: &Page) -> (Xenstore<RingTransport<SharedBell>>, Arc<Bell>) {
    let bell = Arc::new(Bell::default());
    // SAFETY: the leaked page; the daemon thread uses it through rings.
    let ring = unsafe {
        RingTransport::new(
            page.0.cast::<XenstoreDomainInterface>(),
            SharedBell(bell.clone()),
        )
    };
    (Xenstore::new(ring), bell)
}

#[test]
fn requests_and_replies_larger_than_the_ring_cross_it_in_pieces() {
    let page = Page::new();
    let _daemon = Daemon::start(page.clone(), 37);
    let (mut xs, bell) = client(&page);
    assert_eq!(xs.read_string("name").unwrap(), "ring-guest");
    assert_eq!(xs.read_string("domid").unwrap(), "7");
    // 4000 bytes each way through 1 KiB rings.
    let big: Vec<u8> = (0..4000).map(|i| b'a' + (i % 26) as u8).collect();
    xs.write("data/big", &big).unwrap();
    assert_eq!(xs.read("data/big").unwrap(), big);
    assert_eq!(xs.read("data/none"), Err(XsError::Store(XenErrno::ENOENT)));
    assert!(
        bell.0.load(Ordering::SeqCst) > 0,
        "the daemon was never notified"
    );
}

#[test]
fn watch_events_from_another_domain_arrive_over_the_ring() {
    let page = Page::new();
    let daemon = Daemon::start(page.clone(), 5);
    let (mut xs, _) = client(&page);
    xs.watch("data/cmd", "cmd").unwrap();
    assert_eq!(xs.next_event().unwrap().path, "data/cmd"); // initial firing
    daemon
        .mock
        .lock()
        .unwrap()
        .write_as_other_domain("/local/domain/7/data/cmd", b"go");
    let e = xs.next_event().unwrap();
    assert_eq!((e.path.as_str(), e.token.as_str()), ("data/cmd", "cmd"));
    assert_eq!(xs.read("data/cmd").unwrap(), b"go");
}

#[test]
fn a_conflicting_transaction_is_retried_over_the_ring() {
    let page = Page::new();
    let daemon = Daemon::start(page.clone(), 64);
    daemon.mock.lock().unwrap().fail_commits(2);
    let (mut xs, _) = client(&page);
    let mut runs = 0;
    xs.transaction(|tx| {
        runs += 1;
        tx.write("data/t", b"done")
    })
    .unwrap();
    assert_eq!(runs, 3);
    assert_eq!(xs.read("data/t").unwrap(), b"done");
}

#[test]
fn the_daemons_ring_error_is_reported() {
    let page = Page::new();
    // SAFETY: no other thread uses the page yet.
    unsafe {
        page.at(SERVER_FEATURES).write(2); // XENSTORE_SERVER_FEATURE_ERROR
        page.at(ERROR).write(3); // XENSTORE_ERROR_PROTO
    }
    let (mut xs, _) = client(&page);
    assert_eq!(xs.read("name"), Err(XsError::RingError(3)));
}
