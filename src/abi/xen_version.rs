//! `__HYPERVISOR_xen_version` (`public/version.h`).

xen_code! {
    /// A `xen_version` sub-command.
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
