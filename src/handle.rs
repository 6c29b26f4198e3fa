//! [`Xencall`]: the handle, mirroring `xencall.h` one to one.

use core::ptr::NonNull;
use core::sync::atomic::{AtomicBool, AtomicU32, Ordering};

use zerocopy::{FromBytes, IntoBytes};

use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::buffers::{self, pages_for, Buffer, BufferArray, Pool};
use crate::error::{Error, Result};
use crate::flags::OpenFlags;

/// A logger for the handle's own errors (libxencall's `xentoollog_logger`).
///
/// ```
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// struct Stderr;
/// impl log::Log for Stderr {
///     fn enabled(&self, _: &log::Metadata<'_>) -> bool { true }
///     fn log(&self, r: &log::Record<'_>) { eprintln!("{}: {}", r.target(), r.args()) }
///     fn flush(&self) {}
/// }
///
/// let xc = Xencall::with_backend(MockBackend::new(), Some(&Stderr), OpenFlags::empty());
/// // The refusal is returned *and* logged as "xencall: alloc_buffer_pages(0): ...".
/// assert!(xc.alloc_buffer_pages(0).is_err());
/// ```
pub type Logger = &'static dyn log::Log;

/// An open hypercall interface (`xencall_handle`).
///
/// | `xencall.h`                         | here                                   |
/// |-------------------------------------|----------------------------------------|
/// | `xencall_open(logger, flags)`       | [`Xencall::open`]                      |
/// | `xencall_close(h)`                  | [`Xencall::close`], or drop            |
/// | `xencall0(h, op)` .. `xencall5`     | [`Xencall::call0`] .. [`Xencall::call5`] |
/// | `xencall_alloc_buffer_pages(h, n)`  | [`Xencall::alloc_buffer_pages`]        |
/// | `xencall_free_buffer_pages(h, p, n)`| [`Xencall::free_buffer_pages`]         |
/// | `xencall_alloc_buffer(h, size)`     | [`Xencall::alloc_buffer`]              |
/// | `xencall_free_buffer(h, p)`         | [`Xencall::free_buffer`]               |
/// | `xencall_buffers_never_fault(h)`    | [`Xencall::buffers_never_fault`]       |
///
/// Unlike `xencall0`..`xencall5`, which return `int`, the calls return
/// Xen's result at full width.
///
/// ```no_run
/// # #[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
/// # fn demo() -> xencall::Result<()> {
/// use xencall::{abi::HypercallOp, OpenFlags, Xencall};
///
/// let xc = Xencall::open(None, OpenFlags::empty())?;
/// // SAFETY: XENVER_version takes no buffer.
/// let v = unsafe { xc.call2(HypercallOp::XEN_VERSION, 0, 0)? };
/// let (major, minor) = (v >> 16, v & 0xffff);
/// # let _ = (major, minor);
/// # Ok(())
/// # }
/// ```
pub struct Xencall<B: Backend = crate::arch::Native> {
    backend: B,
    flags: OpenFlags,
    logger: Option<Logger>,
    pool: &'static Pool,
    in_use: AtomicBool,
    /// `XENVER_version` as first read by [`Xencall::xen_release`], 0 until
    /// then (no Xen is 0.0): the release does not change under a running
    /// domain, so the typed sysctl/domctl wrappers ask Xen once.
    pub(crate) version_seen: AtomicU32,
}

#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
impl Xencall<crate::arch::Native> {
    /// Open a handle on the registered native backend
    /// ([`arch::native`](crate::arch::native): detected on first use in the
    /// default mode, or set by the boot runtime), allocating from the global
    /// buffer pool. Fails with [`Error::NoHypervisor`] when not on Xen.
    ///
    /// ```no_run
    /// use xencall::{Error, OpenFlags, Xencall};
    ///
    /// match Xencall::open(None, OpenFlags::empty()) {
    ///     Ok(xc) => assert!(xc.xen_version().is_ok()),
    ///     // Bare metal, or another hypervisor: nothing to call.
    ///     Err(Error::NoHypervisor) => {}
    ///     Err(e) => panic!("xencall_open: {e}"),
    /// }
    /// ```
    pub fn open(logger: Option<Logger>, flags: OpenFlags) -> Result<Self> {
        match crate::arch::native() {
            Ok(native) => Ok(Xencall::with_backend(*native, logger, flags)),
            Err(e) => {
                if let Some(l) = logger {
                    log_to(l, log::Level::Error, format_args!("xencall_open: {e}"));
                }
                Err(e)
            }
        }
    }
}

fn log_to(logger: Logger, level: log::Level, args: core::fmt::Arguments<'_>) {
    logger.log(
        &log::Record::builder()
            .level(level)
            .target("xencall")
            .args(args)
            .build(),
    );
}

/// Marks a `NON_REENTRANT` handle in use for the length of one buffer
/// operation; releases it on drop, so a panic does not leave it taken.
struct InUse<'a>(&'a AtomicBool);

impl Drop for InUse<'_> {
    fn drop(&mut self) {
        self.0.store(false, Ordering::Release);
    }
}

impl<B: Backend> Xencall<B> {
    /// A handle over any backend (a specific mode, or a test double),
    /// allocating from the global buffer pool.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// // Code written against `Xencall<B>` can be tested on the host this way.
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// xc.sched_yield()?;
    /// assert_eq!(xc.backend().calls(), 1);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn with_backend(backend: B, logger: Option<Logger>, flags: OpenFlags) -> Self {
        Xencall::with_backend_and_pool(backend, buffers::global(), logger, flags)
    }

    /// A handle over any backend, allocating from `pool`.
    ///
    /// ```
    /// use core::mem::MaybeUninit;
    /// use xencall::buffers::{Arena, Pool};
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// // A pool of its own keeps one user's buffers from starving another's.
    /// static POOL: Pool = Pool::new();
    /// let region = Box::leak(vec![MaybeUninit::uninit(); 8 * 4096].into_boxed_slice());
    /// POOL.add_arena(Arena::from_region(region)?)?;
    /// let xc = Xencall::with_backend_and_pool(MockBackend::new(), &POOL, None, OpenFlags::empty());
    /// let before = xc.pool().free_page_count();
    /// let b = xc.buffer(0u64)?;
    /// assert_eq!(POOL.free_page_count(), before - 1);
    /// # drop(b);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn with_backend_and_pool(
        backend: B,
        pool: &'static Pool,
        logger: Option<Logger>,
        flags: OpenFlags,
    ) -> Self {
        Xencall {
            backend,
            flags,
            logger,
            pool,
            in_use: AtomicBool::new(false),
            version_seen: AtomicU32::new(0),
        }
    }

    /// Close the handle (`xencall_close`). Dropping it does the same;
    /// buffers borrowed from it cannot outlive it.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let free = xc.pool().free_page_count();
    /// let b = xc.buffer([0u8; 64])?;
    /// drop(b); // a live buffer would make `close` a borrow error
    /// xc.close();
    /// assert_eq!(xencall::buffers::global().free_page_count(), free);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn close(self) {}

    /// The backend.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// xc.vcpu_stop_periodic_timer(0)?;
    /// // The mock records what reached "Xen": vcpu_op (24), STOP_PERIODIC_TIMER (7), vCPU 0.
    /// assert_eq!(xc.backend().last(), Some((24, 3, [7, 0, 0, 0, 0])));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn backend(&self) -> &B {
        &self.backend
    }

    /// The flags the handle was opened with.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::NON_REENTRANT);
    /// // A handle shared with an interrupt handler must not have promised this.
    /// assert!(xc.flags().contains(OpenFlags::NON_REENTRANT));
    /// ```
    pub fn flags(&self) -> OpenFlags {
        self.flags
    }

    /// The pool buffers come from.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // Handles made with `with_backend` (and `open`) share the global pool.
    /// assert!(core::ptr::eq(xc.pool(), xencall::buffers::global()));
    /// let free = xc.pool().free_page_count();
    /// let _b = xc.buffer_array(1000, 0u64)?; // 8000 bytes: two pages
    /// assert_eq!(xc.pool().free_page_count(), free - 2);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn pool(&self) -> &'static Pool {
        self.pool
    }

    /// A buffer operation; on a `NON_REENTRANT` handle refused with
    /// [`Error::Reentered`] while another one is in progress on it. The
    /// claim covers the operation's logging, so a logger that re-enters
    /// the handle is caught too.
    #[inline]
    fn buffer_op<T>(&self, op: impl FnOnce() -> Result<T>) -> Result<T> {
        if !self.flags.contains(OpenFlags::NON_REENTRANT) {
            return op();
        }
        if self.in_use.swap(true, Ordering::Acquire) {
            self.log_reentered();
            return Err(Error::Reentered);
        }
        let _release = InUse(&self.in_use);
        op()
    }

    #[cold]
    #[inline(never)]
    fn log_reentered(&self) {
        // Not through the claim: the logger may be what re-entered.
        self.log(
            log::Level::Error,
            format_args!("non-reentrant handle: buffer operation entered twice"),
        );
    }

    #[cold]
    fn log(&self, level: log::Level, args: core::fmt::Arguments<'_>) {
        if let Some(l) = self.logger {
            log_to(l, level, args);
        }
    }

    /// `xencall0`.
    ///
    /// # Safety
    /// The hypercall must be valid from this context; see
    /// [`Backend::call0`].
    ///
    /// ```
    /// use xencall::{abi::{HypercallOp, XenErrno}, mock::MockBackend, Error, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // Play a Xen built without the operation: it answers -ENOSYS.
    /// xc.backend().set_responder(&|_, _| -38i64 as u64);
    /// // SAFETY: the mock makes no real hypercall.
    /// let r = unsafe { xc.call0(HypercallOp::ARCH_7) };
    /// assert_eq!(r, Err(Error::Xen(XenErrno::ENOSYS)));
    /// ```
    #[inline(always)]
    pub unsafe fn call0(&self, op: HypercallOp) -> Result<u64> {
        // SAFETY: forwarded contract.
        Error::from_hypercall(unsafe { self.backend.call0(op.0.into()) })
    }

    /// `xencall1`.
    ///
    /// # Safety
    /// Pointer arguments must be hypercall buffers (or otherwise memory Xen
    /// may access) valid for what `op` reads and writes.
    ///
    /// ```
    /// use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let deadline_ns = 5_000_000_000u64; // absolute Xen system time
    /// // SAFETY: set_timer_op takes a time, not a pointer.
    /// unsafe { xc.call1(HypercallOp::SET_TIMER_OP, deadline_ns)? };
    /// assert_eq!(xc.backend().last(), Some((15, 1, [deadline_ns, 0, 0, 0, 0])));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    #[inline(always)]
    pub unsafe fn call1(&self, op: HypercallOp, a1: u64) -> Result<u64> {
        // SAFETY: forwarded contract.
        Error::from_hypercall(unsafe { self.backend.call1(op.0.into(), a1) })
    }

    /// `xencall2`.
    ///
    /// # Safety
    /// As [`call1`](Self::call1).
    ///
    /// ```
    /// use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// xc.backend().set_responder(&|_, _| 0x0004_0011); // what Xen 4.17 answers
    /// // SAFETY: XENVER_version (0) takes no buffer.
    /// let v = unsafe { xc.call2(HypercallOp::XEN_VERSION, 0, 0)? };
    /// assert_eq!((v >> 16, v & 0xffff), (4, 17));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    #[inline(always)]
    pub unsafe fn call2(&self, op: HypercallOp, a1: u64, a2: u64) -> Result<u64> {
        // SAFETY: forwarded contract.
        Error::from_hypercall(unsafe { self.backend.call2(op.0.into(), a1, a2) })
    }

    /// `xencall3`.
    ///
    /// # Safety
    /// As [`call1`](Self::call1).
    ///
    /// ```
    /// use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// xc.backend().set_responder(&|_, _| 1);
    /// // SAFETY: VCPUOP_is_up (3) on vCPU 0 takes no buffer.
    /// let up = unsafe { xc.call3(HypercallOp::VCPU_OP, 3, 0, 0)? } != 0;
    /// assert!(up);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    #[inline(always)]
    pub unsafe fn call3(&self, op: HypercallOp, a1: u64, a2: u64, a3: u64) -> Result<u64> {
        // SAFETY: forwarded contract.
        Error::from_hypercall(unsafe { self.backend.call3(op.0.into(), a1, a2, a3) })
    }

    /// `xencall4`.
    ///
    /// # Safety
    /// As [`call1`](Self::call1).
    ///
    /// ```
    /// use xencall::abi::{memory::DOMID_SELF, HypercallOp};
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // mmuext_op(ops, count, done, domain): an empty batch touches no memory.
    /// // SAFETY: with a count of 0 Xen reads no list and writes no `done`.
    /// unsafe { xc.call4(HypercallOp::MMUEXT_OP, 0, 0, 0, DOMID_SELF.into())? };
    /// assert_eq!(xc.backend().last(), Some((26, 4, [0, 0, 0, 0x7ff0, 0])));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    #[inline(always)]
    pub unsafe fn call4(&self, op: HypercallOp, a1: u64, a2: u64, a3: u64, a4: u64) -> Result<u64> {
        // SAFETY: forwarded contract.
        Error::from_hypercall(unsafe { self.backend.call4(op.0.into(), a1, a2, a3, a4) })
    }

    /// `xencall5`.
    ///
    /// # Safety
    /// As [`call1`](Self::call1).
    ///
    /// ```
    /// use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // Arguments reach the backend in order, unchanged, whatever the op.
    /// // SAFETY: the mock makes no real hypercall.
    /// unsafe { xc.call5(HypercallOp::ARCH_0, 1, 2, 3, 4, 5)? };
    /// assert_eq!(xc.backend().last(), Some((48, 5, [1, 2, 3, 4, 5])));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    #[inline(always)]
    #[allow(clippy::too_many_arguments)]
    pub unsafe fn call5(
        &self,
        op: HypercallOp,
        a1: u64,
        a2: u64,
        a3: u64,
        a4: u64,
        a5: u64,
    ) -> Result<u64> {
        // SAFETY: forwarded contract.
        Error::from_hypercall(unsafe { self.backend.call5(op.0.into(), a1, a2, a3, a4, a5) })
    }

    /// `xencall_alloc_buffer_pages`: `nr_pages` zeroed, page-aligned pages.
    /// Free with [`free_buffer_pages`](Self::free_buffer_pages) (or
    /// [`free_buffer`](Self::free_buffer)).
    ///
    /// ```
    /// use xencall::{mock::MockBackend, Error, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let p = xc.alloc_buffer_pages(2)?;
    /// assert_eq!(p.as_ptr() as usize % 4096, 0);
    /// assert_eq!(xc.alloc_buffer_pages(0), Err(Error::InvalidSize));
    /// // SAFETY: `p` is not used again.
    /// unsafe { xc.free_buffer_pages(p.as_ptr(), 2)? };
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn alloc_buffer_pages(&self, nr_pages: usize) -> Result<NonNull<u8>> {
        self.buffer_op(|| {
            self.pool.alloc_pages(nr_pages).inspect_err(|e| {
                self.log(
                    log::Level::Error,
                    format_args!("alloc_buffer_pages({nr_pages}): {e}"),
                )
            })
        })
    }

    /// `xencall_free_buffer_pages`: free a buffer of exactly `nr_pages`
    /// pages. Unlike libxencall, a bad pointer or count is refused with an
    /// error and changes nothing.
    ///
    /// # Safety
    /// Nothing may use the buffer afterwards (it is scrubbed and reused):
    /// in particular it must not be the memory of a live [`Buffer`] or
    /// [`BufferArray`], whose drop would free it again.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, Error, InvalidBuffer, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let p = xc.alloc_buffer_pages(3)?.as_ptr();
    /// // SAFETY: `p` is not used after the successful free.
    /// unsafe {
    ///     let wrong = xc.free_buffer_pages(p, 1);
    ///     let expected = InvalidBuffer::WrongPageCount { allocated: 3, given: 1 };
    ///     assert_eq!(wrong, Err(Error::InvalidBuffer(expected)));
    ///     xc.free_buffer_pages(p, 3)?; // the refusal left the buffer intact
    /// }
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub unsafe fn free_buffer_pages(&self, ptr: *mut u8, nr_pages: usize) -> Result<()> {
        self.buffer_op(|| {
            // SAFETY: forwarded contract.
            unsafe { self.pool.free_pages(ptr, nr_pages) }.inspect_err(|e| {
                self.log(
                    log::Level::Error,
                    format_args!("free_buffer_pages({ptr:p}, {nr_pages}): {e}"),
                )
            })
        })
    }

    /// `xencall_alloc_buffer`: a zeroed buffer of at least `size` bytes
    /// (whole pages, page-aligned).
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let free = xc.pool().free_page_count();
    /// let p = xc.alloc_buffer(5000)?; // rounded up to two pages
    /// assert_eq!(xc.pool().free_page_count(), free - 2);
    /// // SAFETY: `p` is not used again.
    /// unsafe { xc.free_buffer(p.as_ptr())? };
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn alloc_buffer(&self, size: usize) -> Result<NonNull<u8>> {
        self.buffer_op(|| {
            let pages = pages_for(size).ok_or(Error::InvalidSize);
            pages
                .and_then(|n| self.pool.alloc_pages(n))
                .inspect_err(|e| {
                    self.log(log::Level::Error, format_args!("alloc_buffer({size}): {e}"))
                })
        })
    }

    /// `xencall_free_buffer`: free a buffer from
    /// [`alloc_buffer`](Self::alloc_buffer) (or `alloc_buffer_pages`).
    ///
    /// # Safety
    /// Nothing may use the buffer afterwards (it is scrubbed and reused):
    /// in particular it must not be the memory of a live [`Buffer`] or
    /// [`BufferArray`], whose drop would free it again.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, Error, InvalidBuffer, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let p = xc.alloc_buffer(100)?.as_ptr();
    /// // SAFETY: `p` is not dereferenced after the first free.
    /// unsafe {
    ///     xc.free_buffer(p)?;
    ///     // Unlike libxencall, a double free is caught, not undefined.
    ///     let again = xc.free_buffer(p);
    ///     assert_eq!(again, Err(Error::InvalidBuffer(InvalidBuffer::NotAllocated)));
    /// }
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub unsafe fn free_buffer(&self, ptr: *mut u8) -> Result<()> {
        self.buffer_op(|| {
            // SAFETY: forwarded contract.
            unsafe { self.pool.free(ptr) }.map(drop).inspect_err(|e| {
                self.log(log::Level::Error, format_args!("free_buffer({ptr:p}): {e}"))
            })
        })
    }

    /// `xencall_buffers_never_fault`: always `true` here. Buffers are in the
    /// guest's own RAM, never paged out, so Xen's accesses to them do not
    /// fault (libxencall needs a kernel that locks them).
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // Code ported from Linux may skip its retry-on-EFAULT path.
    /// assert!(xc.buffers_never_fault());
    /// ```
    pub fn buffers_never_fault(&self) -> bool {
        true
    }

    /// A typed buffer holding `value`, freed on drop.
    ///
    /// ```
    /// use xencall::abi::{hvm::{HvmParam, XenHvmParam}, memory::DOMID_SELF};
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let param = XenHvmParam { domid: DOMID_SELF, pad: 0, index: HvmParam::STORE_PFN.0, value: 0 };
    /// let arg = xc.buffer(param)?;
    /// // Pass `arg.addr()` to Xen; after the call `arg.read()` sees what Xen wrote.
    /// assert_eq!(arg.addr() % 4096, 0);
    /// assert_eq!(arg.read().index, 1);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn buffer<T: Copy + FromBytes + IntoBytes>(&self, value: T) -> Result<Buffer<'_, T>> {
        self.buffer_op(|| Buffer::new_in(self.pool, value))
    }

    /// A buffer holding a copy of `values`, freed on drop.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // A port list for SCHEDOP_poll: Xen needs it in a buffer, not on the stack.
    /// let ports = xc.buffer_from_slice(&[3u32, 5, 8])?;
    /// assert_eq!(&ports[..], &[3, 5, 8]);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn buffer_from_slice<T: Copy + FromBytes + IntoBytes>(
        &self,
        values: &[T],
    ) -> Result<BufferArray<'_, T>> {
        self.buffer_op(|| BufferArray::from_slice_in(self.pool, values))
    }

    /// A buffer of `len` copies of `fill`, freed on drop.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, Error, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // Room for Xen to write 16 frame numbers, marked unset until it does.
    /// let frames = xc.buffer_array(16, u64::MAX)?;
    /// assert!(frames.iter().all(|&f| f == u64::MAX));
    /// assert_eq!(xc.buffer_array(usize::MAX, 0u64).err(), Some(Error::InvalidSize));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn buffer_array<T: Copy + FromBytes + IntoBytes>(
        &self,
        len: usize,
        fill: T,
    ) -> Result<BufferArray<'_, T>> {
        self.buffer_op(|| BufferArray::filled_in(self.pool, len, fill))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::XenErrno;
    use crate::buffers::test_arena;
    use crate::error::InvalidBuffer;
    use crate::mock::MockBackend;

    fn pool(pages: usize) -> &'static Pool {
        let pool = Box::leak(Box::new(Pool::new()));
        pool.add_arena(test_arena(pages)).unwrap();
        pool
    }

    fn handle(pages: usize) -> Xencall<MockBackend> {
        Xencall::with_backend_and_pool(MockBackend::new(), pool(pages), None, OpenFlags::empty())
    }

    #[test]
    fn every_arity_reaches_the_backend_with_its_arguments() {
        let xc = handle(1);
        // SAFETY: the mock backend performs no real hypercall.
        unsafe {
            xc.call0(HypercallOp(40)).unwrap();
            assert_eq!(xc.backend().last(), Some((40, 0, [0; 5])));
            xc.call1(HypercallOp(41), 1).unwrap();
            assert_eq!(xc.backend().last(), Some((41, 1, [1, 0, 0, 0, 0])));
            xc.call2(HypercallOp(42), 1, 2).unwrap();
            assert_eq!(xc.backend().last(), Some((42, 2, [1, 2, 0, 0, 0])));
            xc.call3(HypercallOp(43), 1, 2, 3).unwrap();
            assert_eq!(xc.backend().last(), Some((43, 3, [1, 2, 3, 0, 0])));
            xc.call4(HypercallOp(44), 1, 2, 3, 4).unwrap();
            assert_eq!(xc.backend().last(), Some((44, 4, [1, 2, 3, 4, 0])));
            xc.call5(HypercallOp(45), 1, 2, 3, 4, 5).unwrap();
            assert_eq!(xc.backend().last(), Some((45, 5, [1, 2, 3, 4, 5])));
        }
        assert_eq!(xc.backend().calls(), 6);
    }

    #[test]
    fn results_keep_full_width_and_errors_are_decoded() {
        let xc = handle(1);
        xc.backend().respond(|op, _| match op {
            17 => 0x0004_0011,
            12 => 0x1_2345_6789,
            _ => -38i64 as u64,
        });
        // SAFETY: mock backend.
        unsafe {
            assert_eq!(xc.call2(HypercallOp::XEN_VERSION, 0, 0), Ok(0x0004_0011));
            assert_eq!(xc.call2(HypercallOp::MEMORY_OP, 0, 0), Ok(0x1_2345_6789));
            assert_eq!(xc.call0(HypercallOp(99)), Err(Error::Xen(XenErrno::ENOSYS)));
        }
    }

    #[test]
    fn buffer_functions_mirror_libxencall_and_refuse_bad_input() {
        let xc = handle(4);
        let p = xc.alloc_buffer_pages(2).unwrap();
        // SAFETY: fresh 2-page buffer.
        let bytes = unsafe { core::slice::from_raw_parts(p.as_ptr(), 8192) };
        assert!(bytes.iter().all(|&b| b == 0));
        assert_eq!(xc.alloc_buffer_pages(0), Err(Error::InvalidSize));
        assert_eq!(xc.alloc_buffer(0), Err(Error::InvalidSize));
        assert_eq!(xc.alloc_buffer(usize::MAX), Err(Error::InvalidSize));
        assert_eq!(xc.alloc_buffer_pages(3), Err(Error::OutOfBufferMemory));
        let q = xc.alloc_buffer(5000).unwrap();
        assert_eq!(xc.pool().buffer_pages(q.as_ptr()), Ok(2));
        // SAFETY: the pointers are not used after being freed.
        unsafe {
            assert_eq!(
                xc.free_buffer_pages(p.as_ptr(), 1),
                Err(Error::InvalidBuffer(InvalidBuffer::WrongPageCount {
                    allocated: 2,
                    given: 1
                }))
            );
            assert_eq!(xc.free_buffer_pages(p.as_ptr(), 2), Ok(()));
            assert_eq!(
                xc.free_buffer_pages(p.as_ptr(), 2),
                Err(Error::InvalidBuffer(InvalidBuffer::NotAllocated))
            );
            assert_eq!(xc.free_buffer(q.as_ptr()), Ok(()));
            assert_eq!(
                xc.free_buffer(q.as_ptr()),
                Err(Error::InvalidBuffer(InvalidBuffer::NotAllocated))
            );
            let mut local = 0u8;
            assert_eq!(
                xc.free_buffer(&mut local),
                Err(Error::InvalidBuffer(InvalidBuffer::Foreign))
            );
            assert_eq!(
                xc.free_buffer(q.as_ptr().add(1)),
                Err(Error::InvalidBuffer(InvalidBuffer::Misaligned))
            );
        }
        assert_eq!(xc.pool().free_page_count(), 4);
        assert!(xc.buffers_never_fault());
    }

    #[test]
    fn typed_buffers_free_themselves_and_pass_their_address() {
        let xc = handle(2);
        {
            let mut b = xc.buffer([7u32; 4]).unwrap();
            b[1] = 9;
            assert_eq!(b.read(), [7, 9, 7, 7]);
            let arr = xc.buffer_from_slice(&[1u16, 2, 3]).unwrap();
            assert_eq!(&*arr, &[1, 2, 3]);
            assert_eq!(b.addr() % 4096, 0);
            assert_eq!(xc.pool().free_page_count(), 0);
            assert_eq!(xc.buffer(0u8).err(), Some(Error::OutOfBufferMemory));
        }
        assert_eq!(xc.pool().free_page_count(), 2);
        assert_eq!(
            xc.buffer_array(usize::MAX, 0u64).err(),
            Some(Error::InvalidSize)
        );
    }

    /// A logger that re-enters its handle with a buffer allocation, as
    /// an interrupt handler on the same vCPU could, and records the answer.
    struct ReenteringLogger {
        handle: std::sync::OnceLock<&'static Xencall<MockBackend>>,
        entered: AtomicBool,
        answers: std::sync::Mutex<Vec<Result<()>>>,
    }

    impl log::Log for ReenteringLogger {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, _: &log::Record<'_>) {
            // Once: the refusal logs too, which would re-enter again.
            if self.entered.swap(true, std::sync::atomic::Ordering::SeqCst) {
                return;
            }
            if let Some(xc) = self.handle.get() {
                let answer = xc.alloc_buffer_pages(1).map(|p| {
                    // SAFETY: just allocated, not used.
                    unsafe { xc.free_buffer_pages(p.as_ptr(), 1) }.unwrap();
                });
                self.answers.lock().unwrap().push(answer);
            }
        }
        fn flush(&self) {}
    }

    fn reentering(flags: OpenFlags) -> (&'static Xencall<MockBackend>, &'static ReenteringLogger) {
        let logger: &'static ReenteringLogger = Box::leak(Box::new(ReenteringLogger {
            handle: std::sync::OnceLock::new(),
            entered: AtomicBool::new(false),
            answers: std::sync::Mutex::new(Vec::new()),
        }));
        let xc: &'static Xencall<MockBackend> = Box::leak(Box::new(
            Xencall::with_backend_and_pool(MockBackend::new(), pool(2), Some(logger), flags),
        ));
        logger.handle.set(xc).ok().unwrap();
        (xc, logger)
    }

    #[test]
    fn non_reentrant_handle_refuses_a_nested_buffer_operation() {
        let (xc, logger) = reentering(OpenFlags::NON_REENTRANT);
        // A refused allocation logs; the logger re-enters mid-operation.
        assert_eq!(xc.alloc_buffer_pages(0), Err(Error::InvalidSize));
        assert_eq!(*logger.answers.lock().unwrap(), [Err(Error::Reentered)]);
        // Released afterwards: usable again, nothing lost.
        let p = xc.alloc_buffer_pages(2).unwrap();
        // SAFETY: not used again.
        unsafe { xc.free_buffer_pages(p.as_ptr(), 2) }.unwrap();
        assert_eq!(xc.pool().free_page_count(), 2);
    }

    #[test]
    fn a_plain_handle_allows_a_nested_buffer_operation() {
        let (xc, logger) = reentering(OpenFlags::empty());
        assert_eq!(xc.alloc_buffer_pages(0), Err(Error::InvalidSize));
        assert_eq!(*logger.answers.lock().unwrap(), [Ok(())]);
    }

    #[test]
    fn hypercalls_nest_on_every_handle() {
        // As in libxencall, NON_REENTRANT concerns buffers: a hypercall
        // made from inside another (an interrupt handler's) runs.
        let xc: &'static Xencall<MockBackend> =
            Box::leak(Box::new(Xencall::with_backend_and_pool(
                MockBackend::new(),
                pool(1),
                None,
                OpenFlags::NON_REENTRANT,
            )));
        xc.backend().respond(move |op, _| {
            if op == 1 {
                // SAFETY: mock backend.
                unsafe { xc.call0(HypercallOp(2)) }.unwrap() + 100
            } else {
                7
            }
        });
        // SAFETY: mock backend.
        assert_eq!(unsafe { xc.call0(HypercallOp(1)) }, Ok(107));
    }

    #[test]
    fn reentrant_handle_allows_nested_calls() {
        let pool = pool(1);
        let xc: &'static Xencall<MockBackend> = Box::leak(Box::new(
            Xencall::with_backend_and_pool(MockBackend::new(), pool, None, OpenFlags::empty()),
        ));
        xc.backend().respond(move |op, _| {
            if op == 1 {
                // SAFETY: mock backend.
                match unsafe { xc.call0(HypercallOp(2)) } {
                    Ok(7) => 100,
                    _ => 200,
                }
            } else {
                7
            }
        });
        // SAFETY: mock backend.
        assert_eq!(unsafe { xc.call0(HypercallOp(1)) }, Ok(100));
    }

    #[test]
    fn errors_reach_the_logger() {
        struct Count(std::sync::atomic::AtomicUsize);
        impl log::Log for Count {
            fn enabled(&self, _: &log::Metadata<'_>) -> bool {
                true
            }
            fn log(&self, r: &log::Record<'_>) {
                assert_eq!(r.level(), log::Level::Error);
                self.0.fetch_add(1, Ordering::Relaxed);
            }
            fn flush(&self) {}
        }
        let logger: &'static Count = Box::leak(Box::new(Count(Default::default())));
        let xc = Xencall::with_backend_and_pool(
            MockBackend::new(),
            pool(1),
            Some(logger),
            OpenFlags::empty(),
        );
        let _ = xc.alloc_buffer_pages(2);
        // SAFETY: refused before any use.
        let _ = unsafe { xc.free_buffer(core::ptr::null_mut()) };
        assert_eq!(logger.0.load(Ordering::Relaxed), 2);
    }
}
