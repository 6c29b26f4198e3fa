//! The structures x86 guests are entered with: `struct hvm_start_info`
//! (`arch-x86/hvm/start_info.h`, PVH, in `ebx`) and `struct start_info`
//! (`xen.h`, 64-bit PV, in `rsi`).
//!
//! ```
//! use std::ffi::{c_char, CStr};
//! use xencall::abi::start_info::{HvmStartInfo, XEN_HVM_START_MAGIC_VALUE};
//!
//! // What a PVH kernel finds at `ebx`, identity-mapped (here built in place).
//! let cmdline = c"console=hvc0 quiet";
//! let cmdline_paddr = cmdline.as_ptr() as u64;
//! let info = HvmStartInfo { magic: 0x336e_c578, version: 1, cmdline_paddr, ..Default::default() };
//! // Trust nothing before the magic matches; then follow the physical addresses.
//! assert_eq!(info.magic, XEN_HVM_START_MAGIC_VALUE);
//! let args = unsafe { CStr::from_ptr(info.cmdline_paddr as *const c_char) };
//! assert_eq!(args.to_str(), Ok("console=hvc0 quiet"));
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `XEN_HVM_START_MAGIC_VALUE`: the first word of `hvm_start_info`.
pub const XEN_HVM_START_MAGIC_VALUE: u32 = 0x336e_c578;

// `XEN_HVM_MEMMAP_TYPE_*`: the `type` of an `HvmMemmapTableEntry`, in
// the E820 numbering.
/// `XEN_HVM_MEMMAP_TYPE_RAM`.
pub const XEN_HVM_MEMMAP_TYPE_RAM: u32 = 1;
/// `XEN_HVM_MEMMAP_TYPE_RESERVED`.
pub const XEN_HVM_MEMMAP_TYPE_RESERVED: u32 = 2;
/// `XEN_HVM_MEMMAP_TYPE_ACPI`: ACPI tables, reclaimable once read.
pub const XEN_HVM_MEMMAP_TYPE_ACPI: u32 = 3;
/// `XEN_HVM_MEMMAP_TYPE_NVS`: ACPI non-volatile storage.
pub const XEN_HVM_MEMMAP_TYPE_NVS: u32 = 4;
/// `XEN_HVM_MEMMAP_TYPE_UNUSABLE`.
pub const XEN_HVM_MEMMAP_TYPE_UNUSABLE: u32 = 5;
/// `XEN_HVM_MEMMAP_TYPE_DISABLED`.
pub const XEN_HVM_MEMMAP_TYPE_DISABLED: u32 = 6;
/// `XEN_HVM_MEMMAP_TYPE_PMEM`: persistent memory.
pub const XEN_HVM_MEMMAP_TYPE_PMEM: u32 = 7;

/// `struct hvm_start_info`.
///
/// ```
/// use xencall::abi::start_info::{HvmStartInfo, XEN_HVM_START_MAGIC_VALUE};
///
/// // From a Xen that wrote version 0: the memory-map fields are not valid,
/// // so the guest asks Xen for its map instead (XENMEM_memory_map).
/// let info = HvmStartInfo { magic: XEN_HVM_START_MAGIC_VALUE, version: 0, ..Default::default() };
/// assert!(!(info.version >= 1 && info.memmap_paddr != 0));
/// assert_eq!(core::mem::size_of::<HvmStartInfo>(), 56); // version 1's size
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
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

abi_layout! {
    HVM_START_INFO = struct HvmStartInfo as "struct hvm_start_info", size 56, align 8 {
        magic @ 0,
        version @ 4,
        flags @ 8,
        nr_modules @ 12,
        modlist_paddr @ 16,
        cmdline_paddr @ 24,
        rsdp_paddr @ 32,
        memmap_paddr @ 40,
        memmap_entries @ 48,
        reserved @ 52,
    }
}

/// `struct hvm_modlist_entry`.
///
/// ```
/// use xencall::abi::start_info::{HvmModlistEntry, HvmStartInfo};
///
/// // An initrd of 4 MiB at 16 MiB, without a command line of its own.
/// let mods = [HvmModlistEntry { paddr: 16 << 20, size: 4 << 20, cmdline_paddr: 0, reserved: 0 }];
/// let info = HvmStartInfo { nr_modules: 1, modlist_paddr: mods.as_ptr() as u64, ..Default::default() };
/// // An identity-mapped guest reads the array where `modlist_paddr` points.
/// let (at, n) = (info.modlist_paddr as *const HvmModlistEntry, info.nr_modules as usize);
/// let list = unsafe { core::slice::from_raw_parts(at, n) };
/// assert_eq!(list[0].paddr + list[0].size, 20 << 20);
/// assert_eq!(core::mem::size_of::<HvmModlistEntry>(), 32);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
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

abi_layout! {
    HVM_MODLIST_ENTRY = struct HvmModlistEntry as "struct hvm_modlist_entry", size 32, align 8 {
        paddr @ 0,
        size @ 8,
        cmdline_paddr @ 16,
        reserved @ 24,
    }
}

/// `struct hvm_memmap_table_entry`.
///
/// ```
/// use xencall::abi::start_info::{HvmMemmapTableEntry, XEN_HVM_MEMMAP_TYPE_RAM as RAM};
///
/// let entry = |addr, size, r#type| HvmMemmapTableEntry { addr, size, r#type, reserved: 0 };
/// // A small PVH guest: low RAM, RAM from 1 MiB, a reserved range below 4 GiB.
/// let map = [entry(0, 0xa_0000, RAM), entry(1 << 20, 255 << 20, RAM), entry(0xfc00_0000, 1 << 26, 2)];
/// let ram: u64 = map.iter().filter(|e| e.r#type == RAM).map(|e| e.size).sum();
/// assert_eq!(ram, 0xa_0000 + (255 << 20));
/// // 24 bytes: not the packed 20-byte E820 entry of XENMEM_memory_map.
/// assert_eq!(core::mem::size_of::<HvmMemmapTableEntry>(), 24);
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
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

abi_layout! {
    HVM_MEMMAP_TABLE_ENTRY = struct HvmMemmapTableEntry as "struct hvm_memmap_table_entry", size 24, align 8 {
        addr @ 0,
        size @ 8,
        r#type @ 16,
        reserved @ 20,
    }
}

/// `SIF_PRIVILEGED`: the domain may access hardware.
pub const SIF_PRIVILEGED: u32 = 1 << 0;
/// `SIF_INITDOMAIN`: the domain is dom0.
pub const SIF_INITDOMAIN: u32 = 1 << 1;
/// `SIF_MULTIBOOT_MOD`: `mod_start` points at multiboot module records.
pub const SIF_MULTIBOOT_MOD: u32 = 1 << 2;
/// `SIF_MOD_START_PFN`: `mod_start` is a frame number, not an address.
pub const SIF_MOD_START_PFN: u32 = 1 << 3;
/// `SIF_VIRT_P2M_4TOOLS`: tools find the p2m via `arch_shared_info`.
pub const SIF_VIRT_P2M_4TOOLS: u32 = 1 << 4;
/// `SIF_PM_MASK`: the domain's power-management bits.
pub const SIF_PM_MASK: u32 = 0xff << 8;

/// `struct start_info`, 64-bit layout (x86 PV only; Arm and PVH guests get
/// a device tree or [`HvmStartInfo`] instead).
///
/// ```
/// use xencall::abi::start_info::{StartInfo, SIF_INITDOMAIN};
///
/// // A domU's, as Xen fills it (a PV kernel gets its address in `rsi`).
/// let mut si: StartInfo = unsafe { core::mem::zeroed() };
/// si.magic[..14].copy_from_slice(b"xen-3.0-x86_64");
/// si.console = [0x1234, 2]; // a domU's console: ring frame, event channel
/// assert!(si.magic.starts_with(b"xen-3.0-"));
/// assert_eq!(si.flags & SIF_INITDOMAIN, 0); // not dom0: `console` reads as above
/// assert_eq!(core::mem::offset_of!(StartInfo, cmd_line), 128);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
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
    /// Padding C leaves implicit; zero.
    pub _pad0: u32,
    /// Machine frame of the xenstore page.
    pub store_mfn: u64,
    /// Xenstore event channel.
    pub store_evtchn: u32,
    /// Padding C leaves implicit; zero.
    pub _pad1: u32,
    /// Console (a C union): for a domU `console[0]` is the ring's machine
    /// frame and the low 32 bits of `console[1]` its event channel; for dom0
    /// both `u32`s are in `console[0]`: `info_off` (low half, offset of the
    /// `dom0_vga_console_info` from `start_info`) and `info_size` (high half).
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

abi_layout! {
    START_INFO = struct StartInfo as "struct start_info", size 1168, align 8 {
        magic @ 0,
        nr_pages @ 32,
        shared_info @ 40,
        flags @ 48,
        store_mfn @ 56,
        store_evtchn @ 64,
        console @ 72,
        pt_base @ 88,
        nr_pt_frames @ 96,
        mfn_list @ 104,
        mod_start @ 112,
        mod_len @ 120,
        cmd_line @ 128,
        first_p2m_pfn @ 1152,
        nr_p2m_frames @ 1160,
    }
    rust_padding { _pad0 @ 52, _pad1 @ 68 }
}

/// `struct trap_info`: one entry of `HYPERVISOR_set_trap_table` (x86 PV).
///
/// ```
/// use xencall::abi::start_info::{TrapInfo, FLAT_KERNEL_CS64};
/// use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// # let pf_handler = 0xffff_ffff_8100_0000u64;
/// // A PV kernel's table: the page-fault entry, then the zero entry that ends it.
/// let page_fault = TrapInfo { vector: 14, flags: 0, cs: FLAT_KERNEL_CS64, _pad0: 0, address: pf_handler };
/// let traps = [page_fault, TrapInfo::default()];
/// let table = xc.buffer_from_slice(&traps)?;
/// // SAFETY: Xen only reads the table (and the mock makes no call).
/// unsafe { xc.call1(HypercallOp::SET_TRAP_TABLE, table.addr())? };
/// assert_eq!(core::mem::size_of::<TrapInfo>(), 16);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct TrapInfo {
    /// Exception vector.
    pub vector: u8,
    /// Lowest privilege level that may raise it with `int`; bit 2: clear
    /// the event mask on entry.
    pub flags: u8,
    /// Code selector of the handler.
    pub cs: u16,
    /// Padding C leaves implicit; zero.
    pub _pad0: u32,
    /// Handler address.
    pub address: u64,
}

abi_layout! {
    TRAP_INFO = struct TrapInfo as "struct trap_info", size 16, align 8 {
        vector @ 0,
        flags @ 1,
        cs @ 2,
        address @ 8,
    }
    rust_padding { _pad0 @ 4 }
}

/// `FLAT_KERNEL_CS64`: the code selector of a 64-bit PV kernel.
pub const FLAT_KERNEL_CS64: u16 = 0xe033;
