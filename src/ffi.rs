//! The C drop-in (feature `c-api`): exactly the functions of `xencall.h`,
//! with libxencall's semantics, so C written against libxencall links
//! against this crate unchanged.
//!
//! * Errors: `-1` (or `NULL`) with `errno` set, as libxencall. `errno`
//!   reaches C through `__errno_location()`; on bare metal this module
//!   defines one, weak, so that a C library's own wins where there is one.
//! * `xencall0`..`xencall5` return `int`, as the header says: results that
//!   do not fit are truncated, exactly like libxencall. `xencall2L`
//!   returns `long`. Rust callers should use [`Xencall`] for full width.
//! * The logger argument is accepted (NULL or a `xentoollog_logger`) but
//!   messages are not forwarded: its `vmessage` takes a C `va_list`, which
//!   stable Rust cannot build.
//! * Buffers are whole pages, zeroed. Freeing a pointer that is not a live
//!   buffer is refused (errno `EINVAL`) instead of corrupting memory.
//! * `xencall_fd` returns -1 with `EBADF`: there is no file descriptor.
//!
//! Handles come from a fixed table of [`MAX_HANDLES`], so no allocator is
//! needed.

use core::cell::UnsafeCell;
use core::ffi::{c_int, c_long, c_uint, c_void};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicU8, Ordering};

use crate::abi::XenErrno;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::flags::OpenFlags;
use crate::handle::Xencall;

/// Handles open at once through the C API.
pub const MAX_HANDLES: usize = 16;

/// The opaque `xencall_handle`: a [`Xencall`] in a slot of the table.
///
/// The exported functions use a table of `CHandle<Native>`; the same
/// logic runs on the host over a table of mocks, through [`generic`]:
///
/// ```
/// use xencall::ffi::{generic, CHandle, MAX_HANDLES};
/// use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
///
/// static TABLE: [CHandle<MockBackend>; MAX_HANDLES] = [const { CHandle::new() }; MAX_HANDLES];
///
/// // What `xencall_open(NULL, 0)` does, over a mock instead of the CPU.
/// let h = generic::open(&TABLE, 0, |flags| {
///     Ok(Xencall::with_backend(MockBackend::new(), None, flags))
/// });
/// assert!(!h.is_null());
/// // What `xencall1(h, __HYPERVISOR_sched_op, 0)` does.
/// // SAFETY: the mock reads no memory.
/// let r = generic::with(&TABLE, h, |xc| unsafe { xc.call1(HypercallOp::SCHED_OP, 0) });
/// assert_eq!(generic::to_int(r), 0);
/// // SAFETY: no `with` on `h` is running, and `h` is not used again.
/// assert_eq!(unsafe { generic::close(&TABLE, h) }, 0);
/// ```
pub struct CHandle<B: Backend> {
    state: AtomicU8,
    handle: UnsafeCell<Option<Xencall<B>>>,
}

/// Slot states: free, being filled by one opener, open.
const FREE: u8 = 0;
const OPENING: u8 = 1;
const OPEN: u8 = 2;

// SAFETY: the handle is written only by the one opener that moved the slot
// from FREE to OPENING, and read only once the slot is OPEN (Release/
// Acquire order the write before the reads), by `with`, which lends it for
// the length of one call. `close` is `unsafe`: its caller promises that no
// such call is running, so a reopened slot is never rewritten under a live
// reference (using a handle after closing it is undefined behaviour in C's
// API too).
unsafe impl<B: Backend + Sync> Sync for CHandle<B> {}

impl<B: Backend> CHandle<B> {
    /// An unused slot.
    ///
    /// ```
    /// use xencall::ffi::{generic, CHandle};
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// // `const`, so a table of slots is a plain `static`.
    /// static TABLE: [CHandle<MockBackend>; 1] = [CHandle::new()];
    /// let mock = |flags| Ok(Xencall::with_backend(MockBackend::new(), None, flags));
    /// let h = generic::open(&TABLE, 0, mock);
    /// assert!(core::ptr::eq(h, &TABLE[0]));
    /// // One slot: a second open finds none free.
    /// assert!(generic::open(&TABLE, 0, mock).is_null());
    /// ```
    pub const fn new() -> Self {
        CHandle {
            state: AtomicU8::new(FREE),
            handle: UnsafeCell::new(None),
        }
    }
}

impl<B: Backend> Default for CHandle<B> {
    fn default() -> Self {
        Self::new()
    }
}

fn set_errno(value: i32) {
    // SAFETY: `__errno_location` returns the calling thread's errno slot.
    unsafe { *__errno_location() = value };
}

fn fail(e: Error) -> c_int {
    set_errno(e.to_errno());
    -1
}

/// The generic functions behind the exports, over any backend and table,
/// so they can be tested with a mock.
pub mod generic {
    use super::*;

    /// `xencall_open`: claim a slot and open a handle in it.
    ///
    /// Returns NULL with `errno` set when the flags are unknown (`EINVAL`),
    /// every slot is taken (`EMFILE`) or `make` fails.
    ///
    /// ```
    /// # use xencall::ffi::{generic, CHandle};
    /// # use xencall::{mock::MockBackend, OpenFlags, Xencall};
    /// # static TABLE: [CHandle<MockBackend>; 2] = [const { CHandle::new() }; 2];
    /// # let mock = |flags| Ok(Xencall::with_backend(MockBackend::new(), None, flags));
    /// # let errno = || std::io::Error::last_os_error().raw_os_error();
    /// let h = generic::open(&TABLE, OpenFlags::NON_REENTRANT.bits(), mock);
    /// assert_eq!(generic::with(&TABLE, h, |xc| Ok(xc.flags())), Ok(OpenFlags::NON_REENTRANT));
    /// // Flags libxencall does not know are refused, not ignored.
    /// assert!(generic::open(&TABLE, 0x80, mock).is_null());
    /// assert_eq!(errno(), Some(22)); // EINVAL
    /// let _second = generic::open(&TABLE, 0, mock);
    /// assert!(generic::open(&TABLE, 0, mock).is_null());
    /// assert_eq!(errno(), Some(24)); // EMFILE: both slots in use
    /// ```
    pub fn open<B: Backend>(
        table: &'static [CHandle<B>],
        flags: c_uint,
        make: impl FnOnce(OpenFlags) -> Result<Xencall<B>>,
    ) -> *mut CHandle<B> {
        let Some(flags) = OpenFlags::from_bits(flags) else {
            set_errno(XenErrno::EINVAL.0);
            return ptr::null_mut();
        };
        let Some(slot) = table.iter().find(|s| {
            s.state
                .compare_exchange(FREE, OPENING, Ordering::Acquire, Ordering::Relaxed)
                .is_ok()
        }) else {
            set_errno(XenErrno::EMFILE.0);
            return ptr::null_mut();
        };
        match make(flags) {
            Ok(xc) => {
                // SAFETY: this opener moved the slot to OPENING, so nobody
                // else reads or writes the handle until it is OPEN.
                unsafe { *slot.handle.get() = Some(xc) };
                slot.state.store(OPEN, Ordering::Release);
                ptr::addr_of!(*slot) as *mut CHandle<B>
            }
            Err(e) => {
                slot.state.store(FREE, Ordering::Release);
                fail(e);
                ptr::null_mut()
            }
        }
    }

    /// The handle behind a C pointer, if it is an open slot of `table`.
    ///
    /// Not public: the reference it returns is only good until `close`,
    /// which the type cannot say (hence `'static`); [`with`] lends it for
    /// one call instead. Before, safe code could keep it across `close` and
    /// the next `open`, which rewrites the slot under it:
    ///
    /// ```compile_fail,E0603
    /// use xencall::ffi::{generic, CHandle};
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// static TABLE: [CHandle<MockBackend>; 1] = [CHandle::new()];
    /// let mock = |flags| Ok(Xencall::with_backend(MockBackend::new(), None, flags));
    /// let h = generic::open(&TABLE, 0, mock);
    /// let kept: &'static Xencall<MockBackend> = generic::handle(&TABLE, h).unwrap();
    /// ```
    pub(crate) fn handle<B: Backend>(
        table: &'static [CHandle<B>],
        h: *mut CHandle<B>,
    ) -> Option<&'static Xencall<B>> {
        let slot = table.iter().find(|s| ptr::eq(*s, h))?;
        if slot.state.load(Ordering::Acquire) != OPEN {
            return None;
        }
        // SAFETY: an OPEN slot's handle was written before the Release
        // store that made it OPEN, and is not written again until the slot
        // is closed and reopened.
        unsafe { (*slot.handle.get()).as_ref() }
    }

    /// `xencall_close`: NULL is fine (0); anything not open is `EBADF`.
    ///
    /// # Safety
    /// No [`with`] on `h` may be running (on another thread, or around this
    /// call), and `h` may not be used after it is closed, as in C: the slot
    /// is free at once, and the next [`open`] writes a new handle into it,
    /// under any `&Xencall` still lent out.
    ///
    /// Closing from inside the call that borrows the handle is what this
    /// rules out; safe code cannot:
    ///
    /// ```compile_fail,E0133
    /// use xencall::ffi::{generic, CHandle};
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// static TABLE: [CHandle<MockBackend>; 1] = [CHandle::new()];
    /// let mock = |flags| Ok(Xencall::with_backend(MockBackend::new(), None, flags));
    /// let h = generic::open(&TABLE, 0, mock);
    /// let _ = generic::with(&TABLE, h, |xc| {
    ///     generic::close(&TABLE, h);
    ///     let _other = generic::open(&TABLE, 0, mock); // rewrites the slot `xc` is in
    ///     Ok(xc.flags())
    /// });
    /// ```
    ///
    /// ```
    /// # use xencall::ffi::{generic, CHandle};
    /// # use xencall::{mock::MockBackend, OpenFlags, Xencall};
    /// # static TABLE: [CHandle<MockBackend>; 2] = [const { CHandle::new() }; 2];
    /// # let mock = |flags| Ok(Xencall::with_backend(MockBackend::new(), None, flags));
    /// # let errno = || std::io::Error::last_os_error().raw_os_error();
    /// let h = generic::open(&TABLE, 0, mock);
    /// // SAFETY: no `with` is running; the closed `h` is only closed again,
    /// // which is refused before the slot is touched.
    /// unsafe {
    ///     assert_eq!(generic::close(&TABLE, h), 0);
    ///     // Closing twice is caught instead of freeing someone else's handle.
    ///     assert_eq!(generic::close(&TABLE, h), -1);
    ///     assert_eq!(errno(), Some(9)); // EBADF
    ///     assert_eq!(generic::close(&TABLE, core::ptr::null_mut()), 0);
    /// }
    /// ```
    pub unsafe fn close<B: Backend>(table: &'static [CHandle<B>], h: *mut CHandle<B>) -> c_int {
        if h.is_null() {
            return 0;
        }
        let closed = table.iter().find(|s| ptr::eq(*s, h)).is_some_and(|slot| {
            slot.state
                .compare_exchange(OPEN, FREE, Ordering::AcqRel, Ordering::Relaxed)
                .is_ok()
        });
        if closed {
            0
        } else {
            fail(Error::Xen(XenErrno::EBADF))
        }
    }

    /// Turn a call's result into libxencall's `int` convention.
    ///
    /// ```
    /// use xencall::{abi::XenErrno, ffi::generic::to_int, Error};
    ///
    /// assert_eq!(to_int(Ok(5)), 5);
    /// // Truncated to `int`, as libxencall's `xencall2` does.
    /// assert_eq!(to_int(Ok(0x1_0000_0005)), 5);
    /// assert_eq!(to_int(Err(Error::Xen(XenErrno::ENOSYS))), -1);
    /// assert_eq!(std::io::Error::last_os_error().raw_os_error(), Some(38));
    /// ```
    pub fn to_int(r: Result<u64>) -> c_int {
        match r {
            Ok(v) => v as c_int,
            Err(e) => fail(e),
        }
    }

    /// Turn a call's result into `long`.
    ///
    /// ```
    /// use xencall::{abi::XenErrno, ffi::generic::to_long, Error};
    ///
    /// // `xencall2L` keeps what `xencall2` would truncate.
    /// assert_eq!(to_long(Ok(0x1_0000_0005)), 0x1_0000_0005);
    /// assert_eq!(to_long(Err(Error::Xen(XenErrno::EPERM))), -1);
    /// assert_eq!(std::io::Error::last_os_error().raw_os_error(), Some(1));
    /// ```
    pub fn to_long(r: Result<u64>) -> c_long {
        match r {
            Ok(v) => v as c_long,
            Err(e) => fail(e) as c_long,
        }
    }

    /// Run `f` on the handle, or fail with `EBADF`.
    ///
    /// ```
    /// # use xencall::ffi::{generic, CHandle};
    /// # use xencall::{mock::MockBackend, OpenFlags, Xencall};
    /// # static TABLE: [CHandle<MockBackend>; 2] = [const { CHandle::new() }; 2];
    /// # let mock = |flags| Ok(Xencall::with_backend(MockBackend::new(), None, flags));
    /// # let errno = || std::io::Error::last_os_error().raw_os_error();
    /// use xencall::{abi::XenErrno, Error};
    ///
    /// let h = generic::open(&TABLE, 0, mock);
    /// assert_eq!(generic::with(&TABLE, h, |xc| Ok(xc.buffers_never_fault())), Ok(true));
    /// // SAFETY: no `with` is running; `h` is then only refused.
    /// unsafe { generic::close(&TABLE, h) };
    /// // `f` does not run on a closed handle.
    /// let r = generic::with(&TABLE, h, |_| -> xencall::Result<()> { unreachable!() });
    /// assert_eq!(r, Err(Error::Xen(XenErrno::EBADF)));
    /// ```
    pub fn with<B: Backend, R>(
        table: &'static [CHandle<B>],
        h: *mut CHandle<B>,
        f: impl FnOnce(&Xencall<B>) -> Result<R>,
    ) -> Result<R> {
        match handle(table, h) {
            Some(xc) => f(xc),
            None => Err(Error::Xen(XenErrno::EBADF)),
        }
    }

    /// Allocation result to a C pointer (NULL and errno on failure).
    ///
    /// ```
    /// # use xencall::ffi::{generic, CHandle};
    /// # use xencall::{mock::MockBackend, OpenFlags, Xencall};
    /// # static TABLE: [CHandle<MockBackend>; 2] = [const { CHandle::new() }; 2];
    /// # let mock = |flags| Ok(Xencall::with_backend(MockBackend::new(), None, flags));
    /// # let errno = || std::io::Error::last_os_error().raw_os_error();
    /// let h = generic::open(&TABLE, 0, mock);
    /// // What `xencall_alloc_buffer(h, 100)` returns: a page-aligned buffer.
    /// let p = generic::to_ptr(generic::with(&TABLE, h, |xc| xc.alloc_buffer(100)));
    /// assert!(!p.is_null() && p as usize % 4096 == 0);
    /// // And `xencall_alloc_buffer(h, 0)`: NULL with errno set.
    /// assert!(generic::to_ptr(generic::with(&TABLE, h, |xc| xc.alloc_buffer(0))).is_null());
    /// assert_eq!(errno(), Some(22)); // EINVAL: no zero-sized buffers
    /// ```
    pub fn to_ptr(r: Result<NonNull<u8>>) -> *mut c_void {
        match r {
            Ok(p) => p.as_ptr().cast(),
            Err(e) => {
                fail(e);
                ptr::null_mut()
            }
        }
    }
}

#[cfg(all(
    target_os = "none",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
mod exports {
    use super::generic::{self, to_int, to_long, to_ptr, with};
    use super::*;
    use crate::abi::HypercallOp;
    use crate::arch::Native;

    type Handle = CHandle<Native>;

    static TABLE: [Handle; MAX_HANDLES] = [const { CHandle::new() }; MAX_HANDLES];

    fn open_native(flags: OpenFlags) -> Result<Xencall<Native>> {
        Xencall::open(None, flags)
    }

    /// `xencall_open`.
    #[no_mangle]
    pub extern "C" fn xencall_open(_logger: *mut c_void, open_flags: c_uint) -> *mut Handle {
        generic::open(&TABLE, open_flags, open_native)
    }

    /// `xencall_close`.
    ///
    /// # Safety
    /// As [`generic::close`]: no call on `h` may be running, and `h` is
    /// not used afterwards.
    #[no_mangle]
    pub unsafe extern "C" fn xencall_close(h: *mut Handle) -> c_int {
        // SAFETY: forwarded contract.
        unsafe { generic::close(&TABLE, h) }
    }

    /// `xencall_fd`: there is no file descriptor.
    #[no_mangle]
    pub extern "C" fn xencall_fd(_h: *mut Handle) -> c_int {
        fail(Error::Xen(XenErrno::EBADF))
    }

    /// `xencall0`.
    ///
    /// # Safety
    /// As [`Xencall::call0`].
    #[no_mangle]
    pub unsafe extern "C" fn xencall0(h: *mut Handle, op: c_uint) -> c_int {
        // SAFETY: forwarded contract.
        to_int(with(&TABLE, h, |xc| unsafe { xc.call0(HypercallOp(op)) }))
    }

    /// `xencall1`.
    ///
    /// # Safety
    /// As [`Xencall::call1`].
    #[no_mangle]
    pub unsafe extern "C" fn xencall1(h: *mut Handle, op: c_uint, a1: u64) -> c_int {
        // SAFETY: forwarded contract.
        to_int(with(&TABLE, h, |xc| unsafe {
            xc.call1(HypercallOp(op), a1)
        }))
    }

    /// `xencall2`.
    ///
    /// # Safety
    /// As [`Xencall::call2`].
    #[no_mangle]
    pub unsafe extern "C" fn xencall2(h: *mut Handle, op: c_uint, a1: u64, a2: u64) -> c_int {
        // SAFETY: forwarded contract.
        to_int(with(&TABLE, h, |xc| unsafe {
            xc.call2(HypercallOp(op), a1, a2)
        }))
    }

    /// `xencall2L`: as `xencall2`, returning `long`.
    ///
    /// # Safety
    /// As [`Xencall::call2`].
    #[no_mangle]
    pub unsafe extern "C" fn xencall2L(h: *mut Handle, op: c_uint, a1: u64, a2: u64) -> c_long {
        // SAFETY: forwarded contract.
        to_long(with(&TABLE, h, |xc| unsafe {
            xc.call2(HypercallOp(op), a1, a2)
        }))
    }

    /// `xencall3`.
    ///
    /// # Safety
    /// As [`Xencall::call3`].
    #[no_mangle]
    pub unsafe extern "C" fn xencall3(
        h: *mut Handle,
        op: c_uint,
        a1: u64,
        a2: u64,
        a3: u64,
    ) -> c_int {
        // SAFETY: forwarded contract.
        to_int(with(&TABLE, h, |xc| unsafe {
            xc.call3(HypercallOp(op), a1, a2, a3)
        }))
    }

    /// `xencall4`.
    ///
    /// # Safety
    /// As [`Xencall::call4`].
    #[no_mangle]
    pub unsafe extern "C" fn xencall4(
        h: *mut Handle,
        op: c_uint,
        a1: u64,
        a2: u64,
        a3: u64,
        a4: u64,
    ) -> c_int {
        // SAFETY: forwarded contract.
        to_int(with(&TABLE, h, |xc| unsafe {
            xc.call4(HypercallOp(op), a1, a2, a3, a4)
        }))
    }

    /// `xencall5`.
    ///
    /// # Safety
    /// As [`Xencall::call5`].
    #[no_mangle]
    pub unsafe extern "C" fn xencall5(
        h: *mut Handle,
        op: c_uint,
        a1: u64,
        a2: u64,
        a3: u64,
        a4: u64,
        a5: u64,
    ) -> c_int {
        // SAFETY: forwarded contract.
        to_int(with(&TABLE, h, |xc| unsafe {
            xc.call5(HypercallOp(op), a1, a2, a3, a4, a5)
        }))
    }

    /// `xencall_alloc_buffer_pages`.
    #[no_mangle]
    pub extern "C" fn xencall_alloc_buffer_pages(h: *mut Handle, nr_pages: usize) -> *mut c_void {
        to_ptr(with(&TABLE, h, |xc| xc.alloc_buffer_pages(nr_pages)))
    }

    /// `xencall_free_buffer_pages`: a pointer that is not a live buffer of
    /// `nr_pages` pages is refused (errno `EINVAL`), not freed.
    ///
    /// # Safety
    /// As [`Xencall::free_buffer_pages`].
    #[no_mangle]
    pub unsafe extern "C" fn xencall_free_buffer_pages(
        h: *mut Handle,
        p: *mut c_void,
        nr_pages: usize,
    ) {
        // SAFETY: forwarded contract.
        if let Err(e) = with(&TABLE, h, |xc| unsafe {
            xc.free_buffer_pages(p.cast(), nr_pages)
        }) {
            fail(e);
        }
    }

    /// `xencall_alloc_buffer`.
    #[no_mangle]
    pub extern "C" fn xencall_alloc_buffer(h: *mut Handle, size: usize) -> *mut c_void {
        to_ptr(with(&TABLE, h, |xc| xc.alloc_buffer(size)))
    }

    /// `xencall_free_buffer`: refuses pointers that are not live buffers.
    ///
    /// # Safety
    /// As [`Xencall::free_buffer`].
    #[no_mangle]
    pub unsafe extern "C" fn xencall_free_buffer(h: *mut Handle, p: *mut c_void) {
        // SAFETY: forwarded contract.
        if let Err(e) = with(&TABLE, h, |xc| unsafe { xc.free_buffer(p.cast()) }) {
            fail(e);
        }
    }

    /// `xencall_buffers_never_fault`: 1.
    #[no_mangle]
    pub extern "C" fn xencall_buffers_never_fault(h: *mut Handle) -> c_int {
        match with(&TABLE, h, |xc| Ok(xc.buffers_never_fault())) {
            Ok(true) => 1,
            Ok(false) => 0,
            Err(e) => fail(e),
        }
    }

    /// errno for C code on bare metal, where no C library provides it.
    /// One per image: hypercall errors are per call and the C guests this
    /// serves are single-threaded.
    static mut ERRNO: c_int = 0;

    // `__errno_location`, as a C library provides it, but weak: linked
    // beside a C library that has its own (thread-local) errno, the
    // library's wins and errors land where its C code looks. Stable Rust
    // has no weak definitions, hence the assembly.
    #[cfg(target_arch = "x86_64")]
    core::arch::global_asm!(
        ".pushsection .text.__errno_location, \"ax\"",
        ".weak __errno_location",
        ".type __errno_location, @function",
        "__errno_location:",
        "    lea rax, [rip + {errno}]",
        "    ret",
        ".size __errno_location, . - __errno_location",
        ".popsection",
        errno = sym ERRNO,
    );
    #[cfg(target_arch = "aarch64")]
    core::arch::global_asm!(
        ".pushsection .text.__errno_location, \"ax\"",
        ".weak __errno_location",
        ".type __errno_location, %function",
        "__errno_location:",
        "    adrp x0, {errno}",
        "    add x0, x0, :lo12:{errno}",
        "    ret",
        ".size __errno_location, . - __errno_location",
        ".popsection",
        errno = sym ERRNO,
    );

    extern "C" {
        /// The C library's errno slot, or the weak one above.
        pub fn __errno_location() -> *mut c_int;
    }
}

#[cfg(not(target_os = "none"))]
extern "C" {
    fn __errno_location() -> *mut c_int;
}
#[cfg(all(
    target_os = "none",
    any(target_arch = "x86_64", target_arch = "aarch64")
))]
use exports::__errno_location;

#[cfg(test)]
mod tests {
    use super::generic::*;
    use super::*;
    use crate::abi::HypercallOp;
    use crate::buffers::{test_arena, Pool};
    use crate::mock::MockBackend;

    fn errno() -> i32 {
        // SAFETY: the thread's own errno slot.
        unsafe { *__errno_location() }
    }

    fn table() -> &'static [CHandle<MockBackend>] {
        Box::leak(Box::new([const { CHandle::new() }; 2]))
    }

    fn make(pool: &'static Pool) -> impl FnOnce(OpenFlags) -> Result<Xencall<MockBackend>> {
        move |flags| {
            Ok(Xencall::with_backend_and_pool(
                MockBackend::new(),
                pool,
                None,
                flags,
            ))
        }
    }

    fn pool() -> &'static Pool {
        let pool = Box::leak(Box::new(Pool::new()));
        pool.add_arena(test_arena(2)).unwrap();
        pool
    }

    #[test]
    fn open_call_close_follow_libxencall_conventions() {
        let t = table();
        let h = open(t, 0, make(pool()));
        assert!(!h.is_null());
        let xc = handle(t, h).unwrap();
        xc.backend().respond(|op, _| match op {
            17 => 0x1_0000_0005,
            _ => -38i64 as u64,
        });
        // SAFETY: mock backend.
        unsafe {
            // int truncates like libxencall; long keeps 64 bits.
            assert_eq!(to_int(with(t, h, |x| x.call2(HypercallOp(17), 0, 0))), 5);
            assert_eq!(
                to_long(with(t, h, |x| x.call2(HypercallOp(17), 0, 0))),
                0x1_0000_0005
            );
            assert_eq!(to_int(with(t, h, |x| x.call0(HypercallOp(99)))), -1);
        }
        assert_eq!(errno(), 38);
        // SAFETY: no `with` is running; `xc` is not used after the close.
        unsafe {
            assert_eq!(close(t, h), 0);
            assert_eq!(close(t, h), -1);
            assert_eq!(errno(), 9);
            assert_eq!(close(t, ptr::null_mut()), 0);
        }
        assert!(handle(t, h).is_none());
    }

    #[test]
    fn open_refuses_unknown_flags_a_full_table_and_a_failed_open() {
        let t = table();
        assert!(open(t, 0x80, make(pool())).is_null());
        assert_eq!(errno(), 22);
        let failing = |_| Err(Error::NoHypervisor);
        assert!(open(t, 0, failing).is_null());
        assert_eq!(errno(), Error::NoHypervisor.to_errno());
        let a = open(t, 1, make(pool()));
        let b = open(t, 0, make(pool()));
        assert!(!a.is_null() && !b.is_null() && a != b);
        assert!(open(t, 0, make(pool())).is_null());
        assert_eq!(errno(), 24);
        // SAFETY: no `with` is running, and `a` is not used again.
        assert_eq!(unsafe { close(t, a) }, 0);
        // The freed slot is reused, with the new handle's flags.
        let c = open(t, 0, make(pool()));
        assert_eq!(c, a);
        assert_eq!(handle(t, c).unwrap().flags(), OpenFlags::empty());
    }

    #[test]
    fn buffers_through_the_c_conventions() {
        let t = table();
        let h = open(t, 0, make(pool()));
        let p = to_ptr(with(t, h, |x| x.alloc_buffer(10)));
        assert!(!p.is_null());
        assert!(to_ptr(with(t, h, |x| x.alloc_buffer_pages(5))).is_null());
        assert_eq!(errno(), 12);
        let bogus = 1usize as *mut CHandle<MockBackend>;
        assert!(to_ptr(with(t, bogus, |x| x.alloc_buffer(1))).is_null());
        assert_eq!(errno(), 9);
    }
}
