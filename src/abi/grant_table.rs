//! `__HYPERVISOR_grant_table_op` (`public/grant_table.h`): the commands
//! and structures for querying and setting up the grant table and for
//! grant copies.

use core::mem::{offset_of, size_of};

xen_code! {
    /// A `grant_table_op` command.
    pub struct GnttabOpCmd(u32);
    MAP_GRANT_REF = 0;
    UNMAP_GRANT_REF = 1;
    SETUP_TABLE = 2;
    DUMP_TABLE = 3;
    TRANSFER = 4;
    COPY = 5;
    QUERY_SIZE = 6;
    UNMAP_AND_REPLACE = 7;
    SET_VERSION = 8;
    GET_STATUS_FRAMES = 9;
    GET_VERSION = 10;
    SWAP_GRANT_REF = 11;
    CACHE_FLUSH = 12;
}

xen_code! {
    /// A per-operation grant status (`GNTST_*`, zero or negative).
    pub struct GrantStatus(i16);
    OKAY = 0;
    GENERAL_ERROR = -1;
    BAD_DOMAIN = -2;
    BAD_GNTREF = -3;
    BAD_HANDLE = -4;
    BAD_VIRT_ADDR = -5;
    BAD_DEV_ADDR = -6;
    NO_DEVICE_SPACE = -7;
    PERMISSION_DENIED = -8;
    BAD_PAGE = -9;
    BAD_COPY_ARG = -10;
    ADDRESS_TOO_BIG = -11;
    EAGAIN = -12;
    NO_SPACE = -13;
}

/// `GNTCOPY_source_gref`: the source is a grant reference, not a frame.
pub const GNTCOPY_SOURCE_GREF: u16 = 1 << 0;
/// `GNTCOPY_dest_gref`: the destination is a grant reference.
pub const GNTCOPY_DEST_GREF: u16 = 1 << 1;

/// `struct gnttab_query_size`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct GnttabQuerySize {
    /// Domain (`DOMID_SELF`).
    pub dom: u16,
    /// Out: frames in use.
    pub nr_frames: u32,
    /// Out: the most frames the table may grow to.
    pub max_nr_frames: u32,
    /// Out: a [`GrantStatus`].
    pub status: i16,
}

/// `struct gnttab_setup_table`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct GnttabSetupTable {
    /// Domain (`DOMID_SELF`).
    pub dom: u16,
    /// Frames wanted.
    pub nr_frames: u32,
    /// Out: a [`GrantStatus`].
    pub status: i16,
    /// Guest handle of an array of `nr_frames` frame numbers (out).
    pub frame_list: u64,
}

/// `struct gnttab_set_version`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct GnttabSetVersion {
    /// In: 1 or 2; out: the version in force.
    pub version: u32,
}

/// `struct gnttab_get_version`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct GnttabGetVersion {
    /// Domain (`DOMID_SELF`).
    pub dom: u16,
    /// Must be zero.
    pub pad: u16,
    /// Out: the version in force.
    pub version: u32,
}

/// `struct gnttab_copy_ptr`: one end of a grant copy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct GnttabCopyPtr {
    /// A grant reference (with the matching `GNTCOPY_*_gref` flag) or a
    /// frame number.
    pub u: u64,
    /// The domain owning it.
    pub domid: u16,
    /// Byte offset in the page.
    pub offset: u16,
}

/// `struct gnttab_copy`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct GnttabCopy {
    /// Where to copy from.
    pub source: GnttabCopyPtr,
    /// Where to copy to.
    pub dest: GnttabCopyPtr,
    /// Bytes; source and destination must each stay inside their page.
    pub len: u16,
    /// `GNTCOPY_*`.
    pub flags: u16,
    /// Out: a [`GrantStatus`].
    pub status: i16,
}

const _: () = assert!(size_of::<GnttabQuerySize>() == 16);
const _: () = assert!(size_of::<GnttabSetupTable>() == 24);
const _: () = assert!(offset_of!(GnttabSetupTable, frame_list) == 16);
const _: () = assert!(size_of::<GnttabGetVersion>() == 8);
const _: () = assert!(size_of::<GnttabCopyPtr>() == 16);
const _: () = assert!(size_of::<GnttabCopy>() == 40);
const _: () = assert!(offset_of!(GnttabCopy, status) == 36);

static_assertions::const_assert_eq!(core::mem::align_of::<GnttabCopy>(), 8);
static_assertions::const_assert_eq!(core::mem::align_of::<GnttabQuerySize>(), 4);
