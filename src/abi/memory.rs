//! `__HYPERVISOR_memory_op` (`public/memory.h`): the commands and
//! structures the crate uses.
//!
//! ```
//! use xencall::abi::memory::{MemoryOpCmd, DOMID_SELF};
//! use xencall::{mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // Play Xen: memory_op(XENMEM_current_reservation, &domid) answers in pages.
//! xc.backend().set_responder(&|_, a| {
//!     assert_eq!(a[0], MemoryOpCmd::CURRENT_RESERVATION.0.into());
//!     assert_eq!(unsafe { *(a[1] as *const u16) }, DOMID_SELF);
//!     32768
//! });
//! assert_eq!(xc.current_reservation(DOMID_SELF)? * 4096, 128 << 20); // 128 MiB
//! # Ok::<(), xencall::Error>(())
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

xen_code! {
    /// A `memory_op` command.
    ///
    /// ```
    /// use xencall::abi::memory::MemoryOpCmd;
    ///
    /// assert_eq!(format!("{:?}", MemoryOpCmd::POPULATE_PHYSMAP), "POPULATE_PHYSMAP");
    /// assert_eq!(MemoryOpCmd::POPULATE_PHYSMAP.0, 6); // XENMEM_populate_physmap
    /// // 8 has no XENMEM_* name in the header.
    /// assert_eq!(format!("{:?}", MemoryOpCmd(8)), "MemoryOpCmd(8)");
    /// ```
    pub struct MemoryOpCmd(u32);
    INCREASE_RESERVATION = 0;
    DECREASE_RESERVATION = 1;
    MAXIMUM_RAM_PAGE = 2;
    CURRENT_RESERVATION = 3;
    MAXIMUM_RESERVATION = 4;
    POPULATE_PHYSMAP = 6;
    ADD_TO_PHYSMAP = 7;
    MACHPHYS_MFN_LIST = 5;
    MEMORY_MAP = 9;
    MACHINE_MEMORY_MAP = 10;
    EXCHANGE = 11;
    MACHPHYS_MAPPING = 12;
    SET_MEMORY_MAP = 13;
    MAXIMUM_GPFN = 14;
    REMOVE_FROM_PHYSMAP = 15;
    SET_POD_TARGET = 16;
    GET_POD_TARGET = 17;
    GET_SHARING_FREED_PAGES = 18;
    GET_SHARING_SHARED_PAGES = 19;
    PAGING_OP = 20;
    ACCESS_OP = 21;
    SHARING_OP = 22;
    ADD_TO_PHYSMAP_BATCH = 23;
    CLAIM_PAGES = 24;
    MACHPHYS_COMPAT_MFN_LIST = 25;
    GET_VNUMAINFO = 26;
    RESERVED_DEVICE_MEMORY_MAP = 27;
    ACQUIRE_RESOURCE = 28;
}

xen_code! {
    /// What `XENMEM_add_to_physmap` maps (`XENMAPSPACE_*`).
    ///
    /// ```
    /// use xencall::abi::memory::MapSpace;
    ///
    /// assert_eq!(format!("{:?}", MapSpace::GRANT_TABLE), "GRANT_TABLE");
    /// assert_eq!(MapSpace::GRANT_TABLE.0, 1); // XENMAPSPACE_grant_table
    /// assert_eq!(format!("{:?}", MapSpace(6)), "MapSpace(6)");
    /// ```
    pub struct MapSpace(u32);
    SHARED_INFO = 0;
    GRANT_TABLE = 1;
    GMFN = 2;
    GMFN_RANGE = 3;
    GMFN_FOREIGN = 4;
    DEV_MMIO = 5;
}

// Kept here too: memory_op was its first user in this crate.
pub use super::xen::DOMID_SELF;

/// `struct xen_memory_reservation`: the argument of
/// `XENMEM_{increase,decrease}_reservation` and `XENMEM_populate_physmap`.
///
/// ```
/// use xencall::abi::memory::{XenMemoryReservation, DOMID_SELF};
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: populate the listed frames; answer how many extents it did.
/// xc.backend().set_responder(&|_, a| {
///     let r = unsafe { *(a[1] as *const XenMemoryReservation) };
///     assert_eq!((r.nr_extents, r.extent_order, r.domid), (2, 0, DOMID_SELF));
///     r.nr_extents
/// });
/// let mut gpfns = [0x1000, 0x1001]; // two 4 KiB pages (order 0) back into our physmap
/// // SAFETY: the mock writes only the crate's copy of the list.
/// assert_eq!(unsafe { xc.populate_physmap(DOMID_SELF, &mut gpfns, 0)? }, 2);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XenMemoryReservation {
    /// Guest handle of an array of frame numbers (in, or in/out).
    pub extent_start: u64,
    /// Extents in the array.
    pub nr_extents: u64,
    /// Each extent is `2^extent_order` pages.
    pub extent_order: u32,
    /// `XENMEMF_*` flags.
    pub mem_flags: u32,
    /// Domain ID, or [`DOMID_SELF`].
    pub domid: u16,
    /// Padding C leaves implicit; zero.
    pub _pad0: [u8; 6],
}

abi_layout! {
    XEN_MEMORY_RESERVATION = struct XenMemoryReservation as "struct xen_memory_reservation", size 32, align 8 {
        extent_start @ 0,
        nr_extents @ 8,
        extent_order @ 16,
        mem_flags @ 20,
        domid @ 24,
    }
    rust_padding { _pad0 @ 26 }
}

/// `struct xen_add_to_physmap`.
///
/// ```
/// use xencall::abi::memory::{MapSpace, XenAddToPhysmap, DOMID_SELF};
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: a PVH guest asks for the shared-info page at its frame 0xfeff0.
/// xc.backend().set_responder(&|_, a| {
///     let m = unsafe { *(a[1] as *const XenAddToPhysmap) };
///     assert_eq!((MapSpace(m.space), m.idx, m.gpfn), (MapSpace::SHARED_INFO, 0, 0xfeff0));
///     0
/// });
/// // SAFETY: the mock maps nothing.
/// unsafe { xc.add_to_physmap(DOMID_SELF, MapSpace::SHARED_INFO, 0, 0xfeff0)? };
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XenAddToPhysmap {
    /// Domain ID, or [`DOMID_SELF`].
    pub domid: u16,
    /// Pages, for `GMFN_RANGE`.
    pub size: u16,
    /// A [`MapSpace`] value.
    pub space: u32,
    /// Index into the space.
    pub idx: u64,
    /// Guest frame where the page should appear.
    pub gpfn: u64,
}

abi_layout! {
    XEN_ADD_TO_PHYSMAP = struct XenAddToPhysmap as "struct xen_add_to_physmap", size 24, align 8 {
        domid @ 0,
        size @ 2,
        space @ 4,
        idx @ 8,
        gpfn @ 16,
    }
}

/// `struct xen_memory_map`: `XENMEM_memory_map`'s argument. Xen reads the
/// room for entries and writes back how many it stored.
///
/// ```
/// use xencall::abi::memory::{E820Entry, XenMemoryMap};
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: write one entry (1 GiB of RAM) at `buffer`, then the count.
/// xc.backend().set_responder(&|_, a| unsafe {
///     let m = &mut *(a[1] as *mut XenMemoryMap);
///     *(m.buffer as *mut E820Entry) = E820Entry { addr: 0, size: 1 << 30, kind: 1 };
///     m.nr_entries = 1;
///     0
/// });
/// let mut map = [E820Entry::default(); 8];
/// assert_eq!(xc.memory_map(&mut map)?, 1);
/// assert_eq!({ map[0].size }, 1 << 30);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XenMemoryMap {
    /// In: room in `buffer`, in entries. Out: entries written.
    pub nr_entries: u32,
    /// Padding C leaves implicit; zero.
    pub _pad0: u32,
    /// Guest handle of an array of [`E820Entry`].
    pub buffer: u64,
}

abi_layout! {
    XEN_MEMORY_MAP = struct XenMemoryMap as "struct xen_memory_map", size 16, align 8 {
        nr_entries @ 0,
        buffer @ 8,
    }
    rust_padding { _pad0 @ 4 }
}

/// One entry of the memory map `XENMEM_memory_map` returns: the PC BIOS's
/// E820 layout (packed, 20 bytes), which Xen's headers do not define.
///
/// ```
/// use xencall::abi::memory::E820Entry;
///
/// assert_eq!(core::mem::size_of::<E820Entry>(), 20);
/// let map = [
///     E820Entry { addr: 0, size: 0x9_fc00, kind: 1 },
///     E820Entry { addr: 0xf_0000, size: 0x1_0000, kind: 2 },
/// ];
/// // Packed: copy fields out (`{ e.kind }`), never borrow them.
/// let ram: u64 = map.iter().filter(|e| { e.kind } == 1).map(|e| { e.size }).sum();
/// assert_eq!(ram, 639 << 10);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C, packed)]
pub struct E820Entry {
    /// Start address.
    pub addr: u64,
    /// Length in bytes.
    pub size: u64,
    /// E820 type: 1 RAM, 2 reserved, 3 ACPI, 4 NVS, 5 unusable.
    pub kind: u32,
}
