//! `__HYPERVISOR_grant_table_op` (`public/grant_table.h`): the commands
//! and structures for querying and setting up the grant table and for
//! grant copies.
//!
//! ```
//! use xencall::abi::{grant_table::GnttabQuerySize, xen::DOMID_SELF};
//! use xencall::{mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // Play Xen: GNTTABOP_query_size fills in the sizes (and status 0, GNTST_okay).
//! xc.backend().set_responder(&|_, a| {
//!     let q = unsafe { &mut *(a[1] as *mut GnttabQuerySize) };
//!     (q.nr_frames, q.max_nr_frames) = (1, 64);
//!     0
//! });
//! let (frames, max_frames) = xc.gnttab_query_size(DOMID_SELF)?;
//! assert_eq!((frames, max_frames * 512), (1, 32768)); // 512 v1 entries per frame
//! # Ok::<(), xencall::Error>(())
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

xen_code! {
    /// A `grant_table_op` command.
    ///
    /// ```
    /// use xencall::abi::grant_table::GnttabOpCmd;
    ///
    /// assert_eq!(format!("{:?}", GnttabOpCmd::COPY), "COPY");
    /// assert_eq!(GnttabOpCmd::COPY.0, 5); // GNTTABOP_copy
    /// assert_eq!(format!("{:?}", GnttabOpCmd(13)), "GnttabOpCmd(13)");
    /// ```
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
    ///
    /// ```
    /// use xencall::abi::grant_table::GrantStatus;
    ///
    /// // The `status` a copy came back with, by name.
    /// assert_eq!(format!("{:?}", GrantStatus(-3)), "BAD_GNTREF");
    /// assert_eq!(GrantStatus::OKAY.0, 0); // GNTST_okay
    /// assert_eq!(format!("{:?}", GrantStatus(-99)), "GrantStatus(-99)");
    /// ```
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

/// `GNTTAB_NR_RESERVED_ENTRIES`: the first grant references, which the
/// toolstack may fill before the domain runs (and which survive a version
/// change); a guest hands out references from here up.
pub const GNTTAB_NR_RESERVED_ENTRIES: u32 = 8;
/// `GNTTAB_RESERVED_CONSOLE`: the toolstack's grant of the PV console page.
pub const GNTTAB_RESERVED_CONSOLE: u32 = 0;
/// `GNTTAB_RESERVED_XENSTORE`: the toolstack's grant of the xenstore page.
pub const GNTTAB_RESERVED_XENSTORE: u32 = 1;

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
///
/// ```
/// use xencall::abi::grant_table::{GrantEntryV1, GTF_PERMIT_ACCESS, GTF_READONLY, GTF_TYPE_MASK};
///
/// // Let dom0 read our frame 0x1234 (its grant reference: the entry's index).
/// let entry = GrantEntryV1 { flags: GTF_PERMIT_ACCESS | GTF_READONLY, domid: 0, frame: 0x1234 };
/// assert_eq!(entry.flags & GTF_TYPE_MASK, GTF_PERMIT_ACCESS);
/// // 8 bytes each: one 4 KiB frame of the table holds 512 grant references.
/// assert_eq!(4096 / core::mem::size_of::<GrantEntryV1>(), 512);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
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
///
/// ```
/// use xencall::abi::grant_table::{GnttabQuerySize, GrantStatus};
/// use xencall::{mock::MockBackend, Error, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: the hypercall succeeds, but the operation's `status` refuses.
/// xc.backend().set_responder(&|_, a| {
///     unsafe { (*(a[1] as *mut GnttabQuerySize)).status = GrantStatus::BAD_DOMAIN.0 };
///     0
/// });
/// assert_eq!(xc.gnttab_query_size(7), Err(Error::Grant(GrantStatus::BAD_DOMAIN)));
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct GnttabQuerySize {
    /// Domain (`DOMID_SELF`).
    pub dom: u16,
    /// Padding C leaves implicit; zero.
    pub _pad0: u16,
    /// Out: frames in use.
    pub nr_frames: u32,
    /// Out: the most frames the table may grow to.
    pub max_nr_frames: u32,
    /// Out: a [`GrantStatus`].
    pub status: i16,
    /// Padding C leaves implicit; zero.
    pub _pad1: u16,
}

abi_layout! {
    GNTTAB_QUERY_SIZE = struct GnttabQuerySize as "struct gnttab_query_size", size 16, align 4 {
        dom @ 0,
        nr_frames @ 4,
        max_nr_frames @ 8,
        status @ 12,
    }
    rust_padding { _pad0 @ 2, _pad1 @ 14 }
}

/// `struct gnttab_setup_table`.
///
/// ```
/// use xencall::abi::{grant_table::GnttabSetupTable, xen::DOMID_SELF};
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: one frame number per table frame, written at `frame_list`.
/// xc.backend().set_responder(&|_, a| {
///     let t = unsafe { *(a[1] as *const GnttabSetupTable) };
///     let (at, n) = (t.frame_list as *mut u64, t.nr_frames as usize);
///     let list = unsafe { std::slice::from_raw_parts_mut(at, n) };
///     list.iter_mut().zip(0x8000..).for_each(|(f, mfn)| *f = mfn);
///     0
/// });
/// let mut frames = [0u64; 2];
/// xc.gnttab_setup_table(DOMID_SELF, &mut frames)?;
/// assert_eq!(frames, [0x8000, 0x8001]);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct GnttabSetupTable {
    /// Domain (`DOMID_SELF`).
    pub dom: u16,
    /// Padding C leaves implicit; zero.
    pub _pad0: u16,
    /// Frames wanted.
    pub nr_frames: u32,
    /// Out: a [`GrantStatus`].
    pub status: i16,
    /// Padding C leaves implicit; zero.
    pub _pad1: [u8; 6],
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
    rust_padding { _pad0 @ 2, _pad1 @ 10 }
}

/// `struct gnttab_set_version`.
///
/// ```
/// use xencall::abi::grant_table::{GnttabOpCmd, GnttabSetVersion};
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: grant_table_op(GNTTABOP_set_version, &gnttab_set_version, count 1).
/// xc.backend().set_responder(&|_, a| {
///     assert_eq!((a[0], a[2]), (GnttabOpCmd::SET_VERSION.0.into(), 1));
///     assert_eq!(unsafe { *(a[1] as *const GnttabSetVersion) }.version, 1);
///     0
/// });
/// // Choose before granting anything; Xen answers with the version in force.
/// assert_eq!(xc.gnttab_set_version(1)?, 1);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
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
///
/// ```
/// use xencall::abi::{grant_table::GnttabGetVersion, xen::DOMID_SELF};
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: this domain's table is at version 2 (16-byte entries).
/// xc.backend().set_responder(&|_, a| {
///     unsafe { (*(a[1] as *mut GnttabGetVersion)).version = 2 };
///     0
/// });
/// assert_eq!(xc.gnttab_get_version(DOMID_SELF)?, 2);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
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
///
/// ```
/// use xencall::abi::{grant_table::GnttabCopyPtr, xen::DOMID_SELF};
///
/// // Byte 512 of what domain 5 granted us as reference 8 (with
/// // GNTCOPY_source_gref set in the copy's flags) ...
/// let granted = GnttabCopyPtr { u: 8, domid: 5, offset: 512, _pad0: 0 };
/// // ... or of our own frame 0x1234 (no flag: `u` is a frame number).
/// let ours = GnttabCopyPtr { u: 0x1234, domid: DOMID_SELF, offset: 512, _pad0: 0 };
/// assert_eq!(core::mem::size_of_val(&granted), 16); // sizeof(struct gnttab_copy_ptr)
/// # let _ = ours;
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct GnttabCopyPtr {
    /// A grant reference (with the matching `GNTCOPY_*_gref` flag) or a
    /// frame number.
    pub u: u64,
    /// The domain owning it.
    pub domid: u16,
    /// Byte offset in the page.
    pub offset: u16,
    /// Padding C leaves implicit; zero.
    pub _pad0: u32,
}

abi_layout! {
    GNTTAB_COPY_PTR = struct GnttabCopyPtr as "struct gnttab_copy_ptr", size 16, align 8 {
        u @ 0,
        domid @ 8,
        offset @ 10,
    }
    rust_padding { _pad0 @ 12 }
}

/// `struct gnttab_copy`.
///
/// ```
/// use xencall::abi::grant_table::{GnttabCopy, GnttabCopyPtr, GrantStatus, GNTCOPY_SOURCE_GREF};
/// use xencall::{abi::xen::DOMID_SELF, mock::MockBackend, Error, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: the grant reference was revoked, and this op's status says so.
/// xc.backend().set_responder(&|_, a| {
///     unsafe { (*(a[1] as *mut GnttabCopy)).status = GrantStatus::BAD_GNTREF.0 };
///     0
/// });
/// let mut ops = [GnttabCopy {
///     source: GnttabCopyPtr { u: 8, domid: 5, offset: 0, _pad0: 0 },
///     dest: GnttabCopyPtr { u: 0x1234, domid: DOMID_SELF, offset: 0, _pad0: 0 },
///     len: 512, flags: GNTCOPY_SOURCE_GREF, status: 0, _pad0: 0,
/// }];
/// // SAFETY: the mock writes only the status (a real Xen would write frame
/// // 0x1234, which must then be a page the caller lends).
/// let r = unsafe { xc.gnttab_copy_raw(&mut ops) };
/// assert_eq!(r, Err(Error::Grant(GrantStatus::BAD_GNTREF)));
/// assert_eq!(ops[0].status, -3); // written back into the caller's array
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
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
    /// Padding C leaves implicit; zero.
    pub _pad0: u16,
}

abi_layout! {
    GNTTAB_COPY = struct GnttabCopy as "struct gnttab_copy", size 40, align 8 {
        source @ 0,
        dest @ 16,
        len @ 32,
        flags @ 34,
        status @ 36,
    }
    rust_padding { _pad0 @ 38 }
}
