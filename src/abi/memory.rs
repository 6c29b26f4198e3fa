//! `__HYPERVISOR_memory_op` (`public/memory.h`): the commands and
//! structures the crate uses.

use core::mem::{offset_of, size_of};

xen_code! {
    /// A `memory_op` command.
    pub struct MemoryOpCmd(u32);
    INCREASE_RESERVATION = 0;
    DECREASE_RESERVATION = 1;
    MAXIMUM_RAM_PAGE = 2;
    CURRENT_RESERVATION = 3;
    MAXIMUM_RESERVATION = 4;
    POPULATE_PHYSMAP = 6;
    ADD_TO_PHYSMAP = 7;
    MEMORY_MAP = 9;
    MACHINE_MEMORY_MAP = 10;
    MAXIMUM_GPFN = 14;
}

xen_code! {
    /// What `XENMEM_add_to_physmap` maps (`XENMAPSPACE_*`).
    pub struct MapSpace(u32);
    SHARED_INFO = 0;
    GRANT_TABLE = 1;
    GMFN = 2;
    GMFN_RANGE = 3;
    GMFN_FOREIGN = 4;
    DEV_MMIO = 5;
}

/// `DOMID_SELF`: "the calling domain" wherever a domain ID is taken.
pub const DOMID_SELF: u16 = 0x7ff0;

/// `struct xen_memory_reservation`: the argument of
/// `XENMEM_{increase,decrease}_reservation` and `XENMEM_populate_physmap`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
}

const _: () = assert!(size_of::<XenMemoryReservation>() == 32);
const _: () = assert!(offset_of!(XenMemoryReservation, domid) == 24);

/// `struct xen_add_to_physmap`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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

const _: () = assert!(size_of::<XenAddToPhysmap>() == 24);
const _: () = assert!(offset_of!(XenAddToPhysmap, idx) == 8);

/// `struct xen_memory_map`: `XENMEM_memory_map`'s argument. Xen reads the
/// room for entries and writes back how many it stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct XenMemoryMap {
    /// In: room in `buffer`, in entries. Out: entries written.
    pub nr_entries: u32,
    /// Guest handle of an array of [`E820Entry`].
    pub buffer: u64,
}

const _: () = assert!(size_of::<XenMemoryMap>() == 16);
const _: () = assert!(offset_of!(XenMemoryMap, buffer) == 8);

/// One entry of the memory map `XENMEM_memory_map` returns: the PC BIOS's
/// E820 layout (packed, 20 bytes), which Xen's headers do not define.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C, packed)]
pub struct E820Entry {
    /// Start address.
    pub addr: u64,
    /// Length in bytes.
    pub size: u64,
    /// E820 type: 1 RAM, 2 reserved, 3 ACPI, 4 NVS, 5 unusable.
    pub kind: u32,
}

const _: () = assert!(size_of::<E820Entry>() == 20);

// Alignment, identical on x86_64 and aarch64 (both LP64 with 8-byte
// aligned u64); sizes and offsets are asserted beside each structure.
static_assertions::const_assert_eq!(core::mem::align_of::<XenMemoryMap>(), 8);
static_assertions::const_assert_eq!(core::mem::align_of::<E820Entry>(), 1);
static_assertions::const_assert_eq!(core::mem::align_of::<XenMemoryReservation>(), 8);
static_assertions::const_assert_eq!(core::mem::align_of::<XenAddToPhysmap>(), 8);
