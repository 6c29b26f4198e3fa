//! Definitions shared by every hypercall family (`public/xen.h` and the
//! architecture headers it includes): domain IDs, the guest-handle type
//! and the integer typedefs whose width depends on the architecture.
//!
//! ```
//! use xencall::abi::xen::{DomId, DOMID_FIRST_RESERVED, DOMID_INVALID, DOMID_SELF};
//!
//! // Real domains are numbered below DOMID_FIRST_RESERVED; the IDs from there
//! // up stand for roles, such as "the caller" wherever a domid_t is taken.
//! let is_real = |d: DomId| d < DOMID_FIRST_RESERVED;
//! assert!(is_real(0) && !is_real(DOMID_SELF) && !is_real(DOMID_INVALID));
//! assert_eq!(DOMID_SELF, 0x7ff0);
//! ```

use core::fmt;
use core::marker::PhantomData;

/// `domid_t`: a domain ID.
pub type DomId = u16;

/// `xen_ulong_t`: `unsigned long` on x86_64, `uint64_t` on Arm; 64 bits on
/// both targets this crate supports.
pub type XenUlong = u64;

/// `xen_pfn_t`: a page frame number (64 bits on both targets).
pub type XenPfn = u64;

/// `evtchn_port_t`: an event-channel port.
pub type EvtchnPortT = u32;

/// `grant_ref_t`: an index into a grant table.
pub type GrantRef = u32;

/// `DOMID_FIRST_RESERVED`: IDs from here up are never real domains.
pub const DOMID_FIRST_RESERVED: DomId = 0x7ff0;
/// `DOMID_SELF`: "the calling domain" wherever a domain ID is taken.
pub const DOMID_SELF: DomId = 0x7ff0;
/// `DOMID_IO`: owner of I/O memory, for privileged mappings.
pub const DOMID_IO: DomId = 0x7ff1;
/// `DOMID_XEN`: Xen's own pages.
pub const DOMID_XEN: DomId = 0x7ff2;
/// `DOMID_COW`: owner of copy-on-write shared pages.
pub const DOMID_COW: DomId = 0x7ff3;
/// `DOMID_INVALID`: no domain; used where a field must name none.
pub const DOMID_INVALID: DomId = 0x7ff4;
/// `DOMID_IDLE`: the idle domain.
pub const DOMID_IDLE: DomId = 0x7fff;
/// `DOMID_MASK`: the bits a domain ID occupies.
pub const DOMID_MASK: DomId = 0x7fff;

/// `XEN_GUEST_HANDLE(T)`: the guest address of a `T` (or an array of
/// them) that Xen reads or writes.
///
/// C spells it as a plain pointer on x86_64 and as an 8-byte-aligned union
/// of pointer and `uint64_t` on Arm, so that 32- and 64-bit Arm guests
/// share one layout. Both are 8 bytes, 8-aligned; holding the address as a
/// `u64` gives that layout on both targets without a raw pointer (which
/// would make every structure `!Send`). The address is guest-physical or
/// guest-virtual, as the guest's paging mode dictates; for a guest running
/// with identity-mapped memory the two agree.
///
/// ```
/// use xencall::abi::xen::GuestHandle;
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // A port list for Xen to read: a hypercall buffer, named by its address.
/// let ports = xc.buffer_from_slice(&[3u32, 5])?;
/// let handle = GuestHandle::<u32>::new(ports.addr());
/// assert_eq!(core::mem::size_of_val(&handle), 8); // as XEN_GUEST_HANDLE(uint32_t)
/// assert_eq!(format!("{:?}", GuestHandle::<u32>::new(0x1000)), "GuestHandle(0x1000)");
/// # Ok::<(), xencall::Error>(())
/// ```
#[repr(C)]
pub struct GuestHandle<T> {
    /// The address; 0 is the null handle.
    pub addr: u64,
    /// Ties the handle to its element type without owning one.
    pub _marker: PhantomData<fn() -> T>,
}

impl<T> GuestHandle<T> {
    /// The null handle (Xen treats it as "no buffer").
    pub const NULL: GuestHandle<T> = GuestHandle::new(0);

    /// A handle for the address `addr`.
    ///
    /// ```
    /// use xencall::abi::xen::GuestHandle;
    ///
    /// // `const`, so a handle to a fixed address can be a constant.
    /// const TABLE: GuestHandle<u64> = GuestHandle::new(0x20_0000);
    /// assert_eq!(TABLE.addr(), 0x20_0000);
    /// assert_eq!(GuestHandle::<u64>::from(0x20_0000), TABLE);
    /// ```
    pub const fn new(addr: u64) -> Self {
        GuestHandle {
            addr,
            _marker: PhantomData,
        }
    }

    /// A handle for `ptr` (its address, which is what Xen sees when the
    /// guest's memory is identity-mapped).
    ///
    /// ```
    /// use xencall::abi::xen::GuestHandle;
    ///
    /// let frames = [0u64; 4];
    /// // The pointer's value: the address Xen sees where memory is identity-mapped.
    /// let h = GuestHandle::from_ptr(frames.as_ptr());
    /// assert_eq!(h.addr(), frames.as_ptr() as u64);
    /// ```
    pub fn from_ptr(ptr: *const T) -> Self {
        GuestHandle::new(ptr as usize as u64)
    }

    /// The address.
    ///
    /// ```
    /// use xencall::abi::{sched::SchedPoll, xen::GuestHandle};
    ///
    /// // The structures hold handles as plain `u64` fields: `addr()` fills them.
    /// let ports: GuestHandle<u32> = GuestHandle::new(0x5000);
    /// let poll = SchedPoll { ports: ports.addr(), nr_ports: 1, _pad0: 0, timeout: 0 };
    /// assert_eq!(poll.ports, 0x5000);
    /// ```
    pub const fn addr(self) -> u64 {
        self.addr
    }

    /// Whether this is the null handle.
    ///
    /// ```
    /// use xencall::abi::xen::GuestHandle;
    ///
    /// assert!(GuestHandle::<u8>::NULL.is_null());
    /// assert!(GuestHandle::<u8>::default().is_null()); // Default is NULL
    /// assert!(!GuestHandle::<u8>::new(0x1000).is_null());
    /// ```
    pub const fn is_null(self) -> bool {
        self.addr == 0
    }
}

// Written by hand: derives would require `T: Clone` etc., which a handle
// (just an address) does not need.
impl<T> Clone for GuestHandle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for GuestHandle<T> {}

impl<T> Default for GuestHandle<T> {
    fn default() -> Self {
        Self::NULL
    }
}

impl<T> PartialEq for GuestHandle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.addr == other.addr
    }
}

impl<T> Eq for GuestHandle<T> {}

impl<T> fmt::Debug for GuestHandle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "GuestHandle({:#x})", self.addr)
    }
}

impl<T> From<u64> for GuestHandle<T> {
    fn from(addr: u64) -> Self {
        GuestHandle::new(addr)
    }
}

const _: () = assert!(core::mem::size_of::<GuestHandle<u8>>() == 8);
const _: () = assert!(core::mem::align_of::<GuestHandle<u8>>() == 8);
const _: () = assert!(core::mem::size_of::<GuestHandle<[u64; 64]>>() == 8);
