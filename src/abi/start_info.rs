//! The structures x86 guests are entered with: `struct hvm_start_info`
//! (`arch-x86/hvm/start_info.h`, PVH, in `ebx`) and `struct start_info`
//! (`xen.h`, 64-bit PV, in `rsi`).

use core::mem::{offset_of, size_of};

/// `XEN_HVM_START_MAGIC_VALUE`: the first word of `hvm_start_info`.
pub const XEN_HVM_START_MAGIC_VALUE: u32 = 0x336e_c578;

/// `struct hvm_start_info`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct HvmStartInfo {
    /// [`XEN_HVM_START_MAGIC_VALUE`].
    pub magic: u32,
    /// 0, or 1 when the memory-map fields are valid.
    pub version: u32,
    /// `SIF_*` flags.
    pub flags: u32,
    /// Entries at `modlist_paddr`.
    pub nr_modules: u32,
    /// Physical address of an array of [`HvmModlistEntry`].
    pub modlist_paddr: u64,
    /// Physical address of the NUL-terminated command line.
    pub cmdline_paddr: u64,
    /// Physical address of the ACPI RSDP.
    pub rsdp_paddr: u64,
    /// Physical address of an array of [`HvmMemmapTableEntry`] (version 1).
    pub memmap_paddr: u64,
    /// Entries at `memmap_paddr` (version 1).
    pub memmap_entries: u32,
    /// Must be zero.
    pub reserved: u32,
}

const _: () = assert!(size_of::<HvmStartInfo>() == 56);
const _: () = assert!(offset_of!(HvmStartInfo, modlist_paddr) == 16);
const _: () = assert!(offset_of!(HvmStartInfo, memmap_entries) == 48);

/// `struct hvm_modlist_entry`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct HvmModlistEntry {
    /// Physical address of the module.
    pub paddr: u64,
    /// Its size in bytes.
    pub size: u64,
    /// Physical address of its command line, or 0.
    pub cmdline_paddr: u64,
    /// Must be zero.
    pub reserved: u64,
}

const _: () = assert!(size_of::<HvmModlistEntry>() == 32);

/// `struct hvm_memmap_table_entry`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct HvmMemmapTableEntry {
    /// Start address.
    pub addr: u64,
    /// Length in bytes.
    pub size: u64,
    /// E820-style type (`XEN_HVM_MEMMAP_TYPE_*`).
    pub r#type: u32,
    /// Must be zero.
    pub reserved: u32,
}

const _: () = assert!(size_of::<HvmMemmapTableEntry>() == 24);

/// `struct start_info`, 64-bit layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(C)]
pub struct StartInfo {
    /// `"xen-<version>-<platform>"`.
    pub magic: [u8; 32],
    /// Pages allocated to the domain.
    pub nr_pages: u64,
    /// Machine address of the shared-info page.
    pub shared_info: u64,
    /// `SIF_*` flags.
    pub flags: u32,
    /// Machine frame of the xenstore page.
    pub store_mfn: u64,
    /// Xenstore event channel.
    pub store_evtchn: u32,
    /// Console: `{mfn, evtchn}` for a domU, `{info_off, info_size}` for dom0.
    pub console: [u64; 2],
    /// Virtual address of the initial page tables.
    pub pt_base: u64,
    /// Frames of initial page tables.
    pub nr_pt_frames: u64,
    /// Virtual address of the page-frame list.
    pub mfn_list: u64,
    /// Virtual address (or pfn, with `SIF_MOD_START_PFN`) of the module.
    pub mod_start: u64,
    /// Module size in bytes.
    pub mod_len: u64,
    /// The command line, NUL-terminated.
    pub cmd_line: [u8; 1024],
    /// First pfn of the p2m list, if mapped separately.
    pub first_p2m_pfn: u64,
    /// Frames of the separately mapped p2m list.
    pub nr_p2m_frames: u64,
}

const _: () = assert!(size_of::<StartInfo>() == 1168);
const _: () = assert!(offset_of!(StartInfo, nr_pages) == 32);
const _: () = assert!(offset_of!(StartInfo, store_mfn) == 56);
const _: () = assert!(offset_of!(StartInfo, cmd_line) == 128);

/// `struct trap_info`: one entry of `HYPERVISOR_set_trap_table` (x86 PV).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct TrapInfo {
    /// Exception vector.
    pub vector: u8,
    /// Lowest privilege level that may raise it with `int`; bit 2: clear
    /// the event mask on entry.
    pub flags: u8,
    /// Code selector of the handler.
    pub cs: u16,
    /// Handler address.
    pub address: u64,
}

const _: () = assert!(size_of::<TrapInfo>() == 16);
const _: () = assert!(offset_of!(TrapInfo, address) == 8);

/// `FLAT_KERNEL_CS64`: the code selector of a 64-bit PV kernel.
pub const FLAT_KERNEL_CS64: u16 = 0xe033;

// Alignment, identical on x86_64 and aarch64 (both LP64 with 8-byte
// aligned u64); sizes and offsets are asserted beside each structure.
static_assertions::const_assert_eq!(core::mem::align_of::<HvmStartInfo>(), 8);
static_assertions::const_assert_eq!(core::mem::align_of::<HvmModlistEntry>(), 8);
static_assertions::const_assert_eq!(core::mem::align_of::<HvmMemmapTableEntry>(), 8);
static_assertions::const_assert_eq!(core::mem::align_of::<StartInfo>(), 8);
static_assertions::const_assert_eq!(core::mem::align_of::<TrapInfo>(), 8);
