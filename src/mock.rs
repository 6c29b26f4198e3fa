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
///
/// ```
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// // Code written against `Xencall<B>` is tested on the host by giving it a mock.
/// fn xen_major<B: xencall::Backend>(xc: &Xencall<B>) -> xencall::Result<u16> {
///     Ok(xc.xen_version()?.major)
/// }
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// xc.backend().set_responder(&|_, _| 0x0004_0013); // XENVER_version: Xen 4.19
/// assert_eq!(xen_major(&xc)?, 4);
/// // xen_version (17), XENVER_version (0), no buffer.
/// assert_eq!(xc.backend().last(), Some((17, 2, [0; 5])));
/// # Ok::<(), xencall::Error>(())
/// ```
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
    ///
    /// ```
    /// use xencall::{mock::MockBackend, Backend};
    ///
    /// // `const`: a mock can live in a `static`, shared by several handles.
    /// static MOCK: MockBackend = MockBackend::new();
    /// assert_eq!((MOCK.calls(), MOCK.last()), (0, None));
    /// // SAFETY: the mock only records the call.
    /// assert_eq!(unsafe { MOCK.call1(29, 0) }, 0);
    /// assert_eq!(MOCK.calls(), 1);
    /// ```
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
    ///
    /// ```
    /// use xencall::{abi::XenErrno, mock::MockBackend, Error, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // A Xen that refuses sched_op (29) with -ENOSYS and accepts the rest.
    /// xc.backend().set_responder(&|op, _| if op == 29 { -38i64 as u64 } else { 0 });
    /// assert_eq!(xc.sched_yield(), Err(Error::Xen(XenErrno::ENOSYS)));
    /// assert!(xc.xen_version().is_ok());
    /// ```
    pub fn set_responder(&self, f: Responder) {
        self.state.lock().responder = Some(f);
    }

    /// The last call: `(op, argument count, arguments padded with 0)`.
    ///
    /// ```
    /// use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// assert_eq!(xc.backend().last(), None);
    /// // SAFETY: the mock reads no memory.
    /// unsafe { xc.call3(HypercallOp::CONSOLE_IO, 0, 5, 0x1000)? };
    /// assert_eq!(xc.backend().last(), Some((18, 3, [0, 5, 0x1000, 0, 0])));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn last(&self) -> Option<(u64, usize, [u64; 5])> {
        self.state.lock().last
    }

    /// Calls made so far.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// xc.sched_yield()?;
    /// xc.sched_yield()?;
    /// // Each helper is exactly one hypercall.
    /// assert_eq!(xc.backend().calls(), 2);
    /// # Ok::<(), xencall::Error>(())
    /// ```
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
