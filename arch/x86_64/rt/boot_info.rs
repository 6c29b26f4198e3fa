//! From Xen's start-of-day structures to [`BootInfo`].
//!
//! Offsets are those of `hvm_start_info`/`hvm_memmap_table_entry`/
//! `hvm_modlist_entry` (`arch-x86/hvm/start_info.h`) and of the PV
//! `start_info` (`xen.h`), read field by field so a short or odd structure
//! cannot be misread as a larger one.

use crate::rt::cmdline::from_c_string;
use crate::rt::{BootInfo, GuestMode, MemoryKind, MemoryRegion, Module, RawBootInfo};

/// `XEN_HVM_START_MAGIC_VALUE`.
const HVM_START_MAGIC: u32 = 0x336e_c578;
/// Longest command line read.
const CMDLINE_MAX: usize = 4096;

/// # Safety
/// `addr + offset` must be readable for a `T`.
unsafe fn read<T: Copy>(addr: u64, offset: u64) -> T {
    // SAFETY: forwarded; unaligned reads are fine on x86.
    unsafe { ((addr + offset) as *const T).read_unaligned() }
}

/// Build the boot information of a PVH boot.
///
/// # Safety
/// `start_info` must be 0 or the identity-mapped address of a valid
/// `hvm_start_info`, whose command line, memory map and module list stay
/// unchanged for the program's life.
pub(super) unsafe fn from_pvh(start_info: u64) -> BootInfo {
    let mut boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(start_info));
    // SAFETY: (all reads below) the caller guarantees the structure and
    // what it points to are readable; fields are checked before use.
    unsafe {
        if start_info == 0 || read::<u32>(start_info, 0) != HVM_START_MAGIC {
            return boot;
        }
        let version: u32 = read(start_info, 4);
        boot.cmdline = from_c_string(read(start_info, 24), CMDLINE_MAX);
        let nr_modules: u32 = read(start_info, 12);
        let modlist: u64 = read(start_info, 16);
        if modlist != 0 {
            for i in 0..u64::from(nr_modules) {
                let entry = modlist + i * 32;
                boot.push_module(Module {
                    start: read(entry, 0),
                    len: read(entry, 8),
                    cmdline: from_c_string(read(entry, 16), CMDLINE_MAX),
                });
            }
        }
        if version >= 1 {
            let memmap: u64 = read(start_info, 40);
            let entries: u32 = read(start_info, 48);
            if memmap != 0 {
                for i in 0..u64::from(entries) {
                    let entry = memmap + i * 24;
                    boot.push_memory(MemoryRegion {
                        start: read(entry, 0),
                        len: read(entry, 8),
                        kind: MemoryKind::from_e820(read(entry, 16)),
                    });
                }
            }
        }
    }
    boot
}

/// Build the boot information of a PV boot.
///
/// # Safety
/// `start_info` must be the mapped address of Xen's `start_info`.
pub(super) unsafe fn from_pv(start_info: u64) -> BootInfo {
    let mut boot = BootInfo::new(GuestMode::Pv, RawBootInfo::StartInfo(start_info));
    // SAFETY: (all reads below) Xen maps `start_info` (1168 bytes) and
    // the module it names for the guest.
    unsafe {
        // `cmd_line` is a 1024-byte array at offset 128.
        boot.cmdline = from_c_string(start_info + 128, 1024);
        let nr_pages: u64 = read(start_info, 32);
        boot.push_memory(MemoryRegion {
            start: 0,
            len: nr_pages * 4096,
            kind: MemoryKind::Ram,
        });
        let mod_start: u64 = read(start_info, 112);
        let mod_len: u64 = read(start_info, 120);
        if mod_start != 0 && mod_len != 0 {
            boot.push_module(Module {
                start: mod_start,
                len: mod_len,
                cmdline: "",
            });
        }
    }
    boot
}
