//! From Xen's start-of-day structures to [`BootInfo`]: `hvm_start_info`
//! (PVH) and `start_info` (PV), read through their `abi` definitions.

use crate::abi::start_info::{
    HvmMemmapTableEntry, HvmModlistEntry, HvmStartInfo, StartInfo, XEN_HVM_START_MAGIC_VALUE,
};
use crate::rt::cmdline::from_c_string;
use crate::rt::{BootInfo, GuestMode, MemoryKind, MemoryRegion, Module, RawBootInfo};

/// Longest command line read.
const CMDLINE_MAX: usize = 4096;

/// # Safety
/// `addr` must be readable for a `T`.
unsafe fn read<T: Copy>(addr: u64) -> T {
    // SAFETY: forwarded; unaligned reads are fine on x86.
    unsafe { (addr as *const T).read_unaligned() }
}

/// Build the boot information of a PVH boot.
///
/// # Safety
/// `start_info` must be 0 or the identity-mapped address of a valid
/// `hvm_start_info`, whose command line, memory map and module list stay
/// unchanged for the program's life.
pub(super) unsafe fn from_pvh(start_info: u64) -> BootInfo {
    let mut boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(start_info));
    if start_info == 0 {
        return boot;
    }
    // SAFETY: (all reads below) the caller guarantees the structure and
    // what it points to are readable; the magic is checked before use.
    unsafe {
        let info: HvmStartInfo = read(start_info);
        if info.magic != XEN_HVM_START_MAGIC_VALUE {
            return boot;
        }
        boot.cmdline = from_c_string(info.cmdline_paddr, CMDLINE_MAX);
        if info.modlist_paddr != 0 {
            for i in 0..u64::from(info.nr_modules) {
                let m: HvmModlistEntry = read(info.modlist_paddr + i * 32);
                boot.push_module(Module {
                    start: m.paddr,
                    len: m.size,
                    cmdline: from_c_string(m.cmdline_paddr, CMDLINE_MAX),
                });
            }
        }
        // The memory map exists from version 1 (a PVH dom0 gets none and
        // asks Xen instead, see `rt::memory_map`).
        if info.version >= 1 && info.memmap_paddr != 0 {
            for i in 0..u64::from(info.memmap_entries) {
                let e: HvmMemmapTableEntry = read(info.memmap_paddr + i * 24);
                boot.push_memory(MemoryRegion {
                    start: e.addr,
                    len: e.size,
                    kind: MemoryKind::from_e820(e.r#type),
                });
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
    // SAFETY: Xen maps `start_info` for the guest, and the command line is
    // inside it (read in place so the `&'static str` stays valid).
    let info: StartInfo = unsafe { read(start_info) };
    let cmd_line = start_info + core::mem::offset_of!(StartInfo, cmd_line) as u64;
    // SAFETY: as above.
    boot.cmdline = unsafe { from_c_string(cmd_line, info.cmd_line.len()) };
    boot.push_memory(MemoryRegion {
        start: 0,
        len: info.nr_pages * 4096,
        kind: MemoryKind::Ram,
    });
    if info.mod_start != 0 && info.mod_len != 0 {
        boot.push_module(Module {
            start: info.mod_start,
            len: info.mod_len,
            cmdline: "",
        });
    }
    boot
}
