//! `__HYPERVISOR_grant_table_op` (`public/grant_table.h`): the commands
//! and structures for querying and setting up the grant table and for
//! grant copies.

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

/// `GTF_invalid`: the entry grants nothing.
pub const GTF_INVALID: u16 = 0;
/// `GTF_permit_access`: `domid` may map or copy the frame.
pub const GTF_PERMIT_ACCESS: u16 = 1;
/// `GTF_accept_transfer`: `domid` may transfer a page into the frame.
pub const GTF_ACCEPT_TRANSFER: u16 = 2;
/// `GTF_transitive` (v2 only).
pub const GTF_TRANSITIVE: u16 = 3;
/// `GTF_type_mask`: the bits holding one of the types above.
pub const GTF_TYPE_MASK: u16 = 3;
/// `GTF_readonly`: the grantee may only read.
pub const GTF_READONLY: u16 = 1 << 2;
/// `GTF_reading`: set by Xen while the grantee has it mapped or copies.
pub const GTF_READING: u16 = 1 << 3;
/// `GTF_writing`: set by Xen while the grantee may write it.
pub const GTF_WRITING: u16 = 1 << 4;
/// `GTF_sub_page` (v2 only).
pub const GTF_SUB_PAGE: u16 = 1 << 8;
/// `GTF_transfer_committed`.
pub const GTF_TRANSFER_COMMITTED: u16 = 1 << 2;
/// `GTF_transfer_completed`.
pub const GTF_TRANSFER_COMPLETED: u16 = 1 << 3;

/// `struct grant_entry_v1`: one entry of a version-1 grant table, written
/// by the granting guest. To grant, fill `domid` and `frame` first, then
/// publish `flags` after a write barrier: Xen may read the entry at once.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct GrantEntryV1 {
    /// `GTF_*` type and flags.
    pub flags: u16,
    /// The domain being granted access.
    pub domid: u16,
    /// The frame (guest frame number) granted.
    pub frame: u32,
}

abi_layout! {
    GRANT_ENTRY_V1 = struct GrantEntryV1 as "struct grant_entry_v1", size 8, align 4 {
        flags @ 0,
        domid @ 2,
        frame @ 4,
    }
}

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

abi_layout! {
    GNTTAB_QUERY_SIZE = struct GnttabQuerySize as "struct gnttab_query_size", size 16, align 4 {
        dom @ 0,
        nr_frames @ 4,
        max_nr_frames @ 8,
        status @ 12,
    }
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

abi_layout! {
    GNTTAB_SETUP_TABLE = struct GnttabSetupTable as "struct gnttab_setup_table", size 24, align 8 {
        dom @ 0,
        nr_frames @ 4,
        status @ 8,
        frame_list @ 16,
    }
}

/// `struct gnttab_set_version`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct GnttabSetVersion {
    /// In: 1 or 2; out: the version in force.
    pub version: u32,
}

abi_layout! {
    GNTTAB_SET_VERSION = struct GnttabSetVersion as "struct gnttab_set_version", size 4, align 4 {
        version @ 0,
    }
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

abi_layout! {
    GNTTAB_GET_VERSION = struct GnttabGetVersion as "struct gnttab_get_version", size 8, align 4 {
        dom @ 0,
        pad @ 2,
        version @ 4,
    }
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

abi_layout! {
    GNTTAB_COPY_PTR = struct GnttabCopyPtr as "struct gnttab_copy_ptr", size 16, align 8 {
        u @ 0,
        domid @ 8,
        offset @ 10,
    }
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

abi_layout! {
    GNTTAB_COPY = struct GnttabCopy as "struct gnttab_copy", size 40, align 8 {
        source @ 0,
        dest @ 16,
        len @ 32,
        flags @ 34,
        status @ 36,
    }
}
