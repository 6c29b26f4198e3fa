//! Xen's ELF note types (`public/elfnote.h`) and the feature bit a dom0
//! kernel advertises (`public/features.h`).
//!
//! ```
//! use xencall::abi::elfnote::{ElfNote, XENFEAT_DOM0};
//!
//! // A note in a kernel's PT_NOTE segment, as 32-bit words: name size,
//! // descriptor size, type, the name "Xen\0", then the descriptor. This is
//! // the bitmap of `XENFEAT_*` bits a dom0-capable kernel must carry.
//! let note = [4, 4, 17, u32::from_le_bytes(*b"Xen\0"), 0x800];
//! assert_eq!(ElfNote(note[2]), ElfNote::SUPPORTED_FEATURES);
//! assert_ne!(note[4] & (1 << XENFEAT_DOM0), 0); // Xen boots it as dom0
//! ```

xen_code! {
    /// An ELF note type in the `"Xen"` namespace.
    ///
    /// ```
    /// use xencall::abi::elfnote::ElfNote;
    ///
    /// // The note that names a PVH kernel's 32-bit entry point.
    /// assert_eq!(ElfNote::PHYS32_ENTRY.0, 18); // XEN_ELFNOTE_PHYS32_ENTRY
    /// assert_eq!(format!("{:?}", ElfNote(18)), "PHYS32_ENTRY");
    /// assert_eq!(format!("{:?}", ElfNote(99)), "ElfNote(99)");
    /// ```
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
