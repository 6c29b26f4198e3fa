//! `__HYPERVISOR_xen_version` (`public/version.h`).
//!
//! ```
//! use xencall::abi::xen_version::{XenFeatureBit, XenFeatureInfo};
//! use xencall::{hypercalls::XenFeatures, mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // Play Xen: XENVER_get_features fills in submap 0, here for a PVH dom0.
//! xc.backend().set_responder(&|_, a| {
//!     let f = unsafe { &mut *(a[1] as *mut XenFeatureInfo) };
//!     f.submap = 1 << XenFeatureBit::AUTO_TRANSLATED_PHYSMAP.0 | 1 << XenFeatureBit::DOM0.0;
//!     0
//! });
//! assert!(xc.xen_features()?.contains(XenFeatures::AUTO_TRANSLATED_PHYSMAP | XenFeatures::DOM0));
//! # Ok::<(), xencall::Error>(())
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

xen_code! {
    /// A `xen_version` sub-command.
    ///
    /// ```
    /// use xencall::abi::xen_version::XenVersionCmd;
    ///
    /// assert_eq!(format!("{:?}", XenVersionCmd::GET_FEATURES), "GET_FEATURES");
    /// assert_eq!(XenVersionCmd::GET_FEATURES.0, 6); // XENVER_get_features
    /// assert_eq!(format!("{:?}", XenVersionCmd(11)), "XenVersionCmd(11)");
    /// ```
    pub struct XenVersionCmd(u32);
    VERSION = 0;
    EXTRAVERSION = 1;
    COMPILE_INFO = 2;
    CAPABILITIES = 3;
    CHANGESET = 4;
    PLATFORM_PARAMETERS = 5;
    GET_FEATURES = 6;
    PAGESIZE = 7;
    GUEST_HANDLE = 8;
    COMMANDLINE = 9;
    BUILD_ID = 10;
}

/// `xen_extraversion_t`: NUL-padded extra version string, e.g. `.7`.
pub type XenExtraversion = [u8; 16];

/// `xen_capabilities_info_t`: space-separated guest ABIs, NUL-padded.
pub type XenCapabilitiesInfo = [u8; 1024];

/// `xen_changeset_info_t`: the source changeset, NUL-padded.
pub type XenChangesetInfo = [u8; 64];

/// `xen_domain_handle_t`: the domain's UUID (`XENVER_guest_handle`).
pub type XenDomainHandle = [u8; 16];

/// `struct xen_compile_info`: NUL-padded strings.
///
/// ```
/// use xencall::abi::xen_version::XenCompileInfo;
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: XENVER_compile_info writes the strings, NUL-padded.
/// xc.backend().set_responder(&|_, a| {
///     let info = unsafe { &mut *(a[1] as *mut XenCompileInfo) };
///     info.compile_by[..4].copy_from_slice(b"root");
///     0
/// });
/// assert_eq!(xc.xen_compile_info()?.compile_by.as_str(), "root");
/// assert_eq!(core::mem::size_of::<XenCompileInfo>(), 144);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct XenCompileInfo {
    /// The compiler and its version.
    pub compiler: [u8; 64],
    /// Who built Xen.
    pub compile_by: [u8; 16],
    /// Their domain.
    pub compile_domain: [u8; 32],
    /// When.
    pub compile_date: [u8; 32],
}

abi_layout! {
    XEN_COMPILE_INFO = struct XenCompileInfo as "struct xen_compile_info", size 144, align 1 {
        compiler @ 0,
        compile_by @ 64,
        compile_domain @ 80,
        compile_date @ 112,
    }
}

impl Default for XenCompileInfo {
    fn default() -> Self {
        XenCompileInfo {
            compiler: [0; 64],
            compile_by: [0; 16],
            compile_domain: [0; 32],
            compile_date: [0; 32],
        }
    }
}

/// `struct xen_platform_parameters`.
///
/// ```
/// use xencall::abi::xen_version::XenPlatformParameters;
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen for a 64-bit PV guest: Xen keeps the top half of the address space.
/// xc.backend().set_responder(&|_, a| {
///     unsafe { (*(a[1] as *mut XenPlatformParameters)).virt_start = 0xffff_8000_0000_0000 };
///     0
/// });
/// assert_eq!(xc.xen_platform_parameters()?.virt_start, 0xffff_8000_0000_0000);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XenPlatformParameters {
    /// Lowest virtual address Xen reserves in a PV guest's address space.
    pub virt_start: u64,
}

abi_layout! {
    XEN_PLATFORM_PARAMETERS = struct XenPlatformParameters as "struct xen_platform_parameters", size 8, align 8 {
        virt_start @ 0,
    }
}

/// `struct xen_feature_info`: one 32-bit submap of feature flags.
///
/// ```
/// use xencall::abi::xen_version::{XenFeatureBit, XenFeatureInfo};
///
/// // XENVER_get_features' answer with bits 2 and 11 set: a translated dom0.
/// let info = XenFeatureInfo { submap_idx: 0, submap: 0x804 };
/// let has = |bit: XenFeatureBit| info.submap & (1 << bit.0) != 0;
/// assert!(has(XenFeatureBit::AUTO_TRANSLATED_PHYSMAP) && has(XenFeatureBit::DOM0));
/// assert!(!has(XenFeatureBit::WRITABLE_PAGE_TABLES));
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XenFeatureInfo {
    /// In: which submap (0 is the only one Xen defines).
    pub submap_idx: u32,
    /// Out: its flags (`XENFEAT_*` bit numbers).
    pub submap: u32,
}

abi_layout! {
    XEN_FEATURE_INFO = struct XenFeatureInfo as "struct xen_feature_info", size 8, align 4 {
        submap_idx @ 0,
        submap @ 4,
    }
}

xen_code! {
    /// A feature bit number in `XENVER_get_features` submap 0 (`XENFEAT_*`).
    ///
    /// ```
    /// use xencall::abi::xen_version::XenFeatureBit;
    ///
    /// assert_eq!(format!("{:?}", XenFeatureBit(11)), "DOM0");
    /// assert_eq!(XenFeatureBit::DOM0.0, 11); // XENFEAT_dom0
    /// // 12 (grant_map_identity) is withdrawn, so it prints raw.
    /// assert_eq!(format!("{:?}", XenFeatureBit(12)), "XenFeatureBit(12)");
    /// ```
    pub struct XenFeatureBit(u32);
    WRITABLE_PAGE_TABLES = 0;
    WRITABLE_DESCRIPTOR_TABLES = 1;
    AUTO_TRANSLATED_PHYSMAP = 2;
    SUPERVISOR_MODE_KERNEL = 3;
    PAE_PGDIR_ABOVE_4GB = 4;
    MMU_PT_UPDATE_PRESERVE_AD = 5;
    HIGHMEM_ASSIST = 6;
    GNTTAB_MAP_AVAIL_BITS = 7;
    HVM_CALLBACK_VECTOR = 8;
    HVM_SAFE_PVCLOCK = 9;
    HVM_PIRQS = 10;
    DOM0 = 11;
    // 12 (grant_map_identity) is withdrawn: the header comments it out.
    MEMORY_OP_VNODE_SUPPORTED = 13;
    ARM_SMCCC_SUPPORTED = 14;
    LINUX_RSDP_UNRESTRICTED = 15;
    NOT_DIRECT_MAPPED = 16;
    DIRECT_MAPPED = 17;
}
