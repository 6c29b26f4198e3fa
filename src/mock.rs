//! A test double for [`Backend`]: records every call and answers with a
//! function you choose. Lets code built on the crate be unit-tested on the
//! host, with no Xen.

use crate::backend::Backend;

/// What a [`MockBackend`] answers: `(op, args) -> raw result`. A `'static`
/// reference, so the mock needs no allocator.
pub type Responder = &'static (dyn Fn(u64, [u64; 5]) -> u64 + Sync);

struct State {
    last: Option<(u64, usize, [u64; 5])>,
    calls: usize,
    responder: Option<Responder>,
}

/// Records every hypercall (op, argument count, arguments) and answers
/// through a [`Responder`] (0 when none is set).
pub struct MockBackend {
    state: spin::Mutex<State>,
}

impl Default for MockBackend {
    fn default() -> Self {
        MockBackend::new()
    }
}

impl MockBackend {
    /// A mock that answers 0 to everything.
    pub const fn new() -> MockBackend {
        MockBackend {
            state: spin::Mutex::new(State {
                last: None,
                calls: 0,
                responder: None,
            }),
        }
    }

    /// Answer with `f(op, args)` from now on (the closure is leaked).
    #[cfg(test)]
    pub fn respond(&self, f: impl Fn(u64, [u64; 5]) -> u64 + Sync + 'static) {
        self.set_responder(Box::leak(Box::new(f)));
    }

    /// Answer with `f` from now on.
    pub fn set_responder(&self, f: Responder) {
        self.state.lock().responder = Some(f);
    }

    /// The last call: `(op, argument count, arguments padded with 0)`.
    pub fn last(&self) -> Option<(u64, usize, [u64; 5])> {
        self.state.lock().last
    }

    /// Calls made so far.
    pub fn calls(&self) -> usize {
        self.state.lock().calls
    }

    fn record(&self, op: u64, n: usize, args: [u64; 5]) -> u64 {
        let responder = {
            let mut s = self.state.lock();
            s.last = Some((op, n, args));
            s.calls += 1;
            s.responder
        };
        // The lock is released first so a responder may call again.
        responder.map_or(0, |f| f(op, args))
    }
}

impl Backend for MockBackend {
    unsafe fn call0(&self, op: u64) -> u64 {
        self.record(op, 0, [0; 5])
    }
    unsafe fn call1(&self, op: u64, a1: u64) -> u64 {
        self.record(op, 1, [a1, 0, 0, 0, 0])
    }
    unsafe fn call2(&self, op: u64, a1: u64, a2: u64) -> u64 {
        self.record(op, 2, [a1, a2, 0, 0, 0])
    }
    unsafe fn call3(&self, op: u64, a1: u64, a2: u64, a3: u64) -> u64 {
        self.record(op, 3, [a1, a2, a3, 0, 0])
    }
    unsafe fn call4(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> u64 {
        self.record(op, 4, [a1, a2, a3, a4, 0])
    }
    unsafe fn call5(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64 {
        self.record(op, 5, [a1, a2, a3, a4, a5])
    }
}

/// A handle over a fresh mock and a private pool of `pages` pages, for the
/// crate's own unit tests.
#[cfg(test)]
pub(crate) fn mock_handle(pages: usize) -> crate::Xencall<MockBackend> {
    let pool: &'static crate::buffers::Pool = Box::leak(Box::new(crate::buffers::Pool::new()));
    pool.add_arena(crate::buffers::test_arena(pages)).unwrap();
    crate::Xencall::with_backend_and_pool(MockBackend::new(), pool, None, crate::OpenFlags::empty())
}
