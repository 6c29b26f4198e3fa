//! Xen's ELF note types (`public/elfnote.h`) and the feature bit a dom0
//! kernel advertises (`public/features.h`).

xen_code! {
    /// An ELF note type in the `"Xen"` namespace.
    pub struct ElfNote(u32);
    INFO = 0;
    ENTRY = 1;
    HYPERCALL_PAGE = 2;
    VIRT_BASE = 3;
    PADDR_OFFSET = 4;
    XEN_VERSION = 5;
    GUEST_OS = 6;
    GUEST_VERSION = 7;
    LOADER = 8;
    PAE_MODE = 9;
    FEATURES = 10;
    BSD_SYMTAB = 11;
    HV_START_LOW = 12;
    L1_MFN_VALID = 13;
    SUSPEND_CANCEL = 14;
    INIT_P2M = 15;
    MOD_START_PFN = 16;
    SUPPORTED_FEATURES = 17;
    PHYS32_ENTRY = 18;
}

/// `XENFEAT_dom0`: the kernel can run as dom0.
pub const XENFEAT_DOM0: u32 = 11;
