//! [`BootInfo`]: what the guest learnt at boot, the same type in every mode.

use crate::arch::HypercallMode;

/// How this guest was started.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GuestMode {
    /// x86_64 paravirtualised guest: entered in long mode with `start_info`.
    Pv,
    /// x86_64 PVH guest: entered in 32-bit protected mode with
    /// `hvm_start_info`.
    Pvh,
    /// An arm64 guest: entered at EL1 with a device tree.
    Arm,
}

impl core::fmt::Display for GuestMode {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            GuestMode::Pv => "PV",
            GuestMode::Pvh => "PVH",
            GuestMode::Arm => "Arm",
        })
    }
}

/// The raw boot structure the guest was entered with.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawBootInfo {
    /// PV: address of `start_info` (`rsi` at entry).
    StartInfo(u64),
    /// PVH: address of `hvm_start_info` (`ebx` at entry).
    HvmStartInfo(u64),
    /// Arm: address of the flattened device tree (`x0` at entry).
    DeviceTree(u64),
}

/// Kind of a memory-map entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MemoryKind {
    /// Usable RAM.
    Ram,
    /// Reserved (firmware, MMIO holes).
    Reserved,
    /// ACPI tables, reclaimable.
    AcpiReclaimable,
    /// ACPI non-volatile storage.
    AcpiNvs,
    /// Defective RAM.
    Unusable,
    /// A type this runtime does not name (the raw E820 type).
    Other(u32),
}

impl MemoryKind {
    /// From an E820 type number (as in `hvm_memmap_table_entry`).
    pub fn from_e820(kind: u32) -> MemoryKind {
        match kind {
            1 => MemoryKind::Ram,
            2 => MemoryKind::Reserved,
            3 => MemoryKind::AcpiReclaimable,
            4 => MemoryKind::AcpiNvs,
            5 => MemoryKind::Unusable,
            other => MemoryKind::Other(other),
        }
    }
}

/// One memory-map entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MemoryRegion {
    /// Guest-physical start.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    /// What the memory is.
    pub kind: MemoryKind,
}

/// One boot module (initrd and the like).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Module {
    /// Guest address of the module's first byte.
    pub start: u64,
    /// Length in bytes.
    pub len: u64,
    /// The module's command line (empty if none).
    pub cmdline: &'static str,
}

/// Memory-map entries kept; further entries are counted in
/// [`BootInfo::memory_dropped`].
pub const MAX_MEMORY_REGIONS: usize = 64;
/// Modules kept.
pub const MAX_MODULES: usize = 8;

/// What the guest learnt at boot, one type for PV, PVH and Arm.
#[derive(Clone, Debug)]
pub struct BootInfo {
    /// How the guest was started.
    pub guest_mode: GuestMode,
    /// The hypercall mode in use (set by `rt::start` at boot).
    pub hypercall_mode: Option<HypercallMode>,
    /// The guest's command line.
    pub cmdline: &'static str,
    /// The raw boot structure.
    pub raw: RawBootInfo,
    memory: [MemoryRegion; MAX_MEMORY_REGIONS],
    memory_len: usize,
    /// Memory-map entries that did not fit.
    pub memory_dropped: usize,
    modules: [Module; MAX_MODULES],
    modules_len: usize,
}

impl BootInfo {
    /// An empty boot description; the entry code fills it.
    pub const fn new(guest_mode: GuestMode, raw: RawBootInfo) -> BootInfo {
        const NO_REGION: MemoryRegion = MemoryRegion {
            start: 0,
            len: 0,
            kind: MemoryKind::Reserved,
        };
        const NO_MODULE: Module = Module {
            start: 0,
            len: 0,
            cmdline: "",
        };
        BootInfo {
            guest_mode,
            hypercall_mode: None,
            cmdline: "",
            raw,
            memory: [NO_REGION; MAX_MEMORY_REGIONS],
            memory_len: 0,
            memory_dropped: 0,
            modules: [NO_MODULE; MAX_MODULES],
            modules_len: 0,
        }
    }

    /// Add a memory-map entry (counted as dropped when full).
    pub fn push_memory(&mut self, region: MemoryRegion) {
        if self.memory_len < MAX_MEMORY_REGIONS {
            self.memory[self.memory_len] = region;
            self.memory_len += 1;
        } else {
            self.memory_dropped += 1;
        }
    }

    /// Add a module; returns `false` when full.
    pub fn push_module(&mut self, module: Module) -> bool {
        if self.modules_len < MAX_MODULES {
            self.modules[self.modules_len] = module;
            self.modules_len += 1;
            true
        } else {
            false
        }
    }

    /// The memory map.
    pub fn memory_map(&self) -> &[MemoryRegion] {
        &self.memory[..self.memory_len]
    }

    /// The boot modules.
    pub fn modules(&self) -> &[Module] {
        &self.modules[..self.modules_len]
    }

    /// The value of `key=value` on the command line (see
    /// [`cmdline::option`](crate::rt::cmdline::option)).
    pub fn option(&self, key: &str) -> Option<&'static str> {
        crate::rt::cmdline::option(self.cmdline, key)
    }

    /// The frame number Xen expects for the page at `addr`: the guest
    /// frame where Xen translates (PVH, Arm: the runtime's identity map
    /// makes it `addr >> 12`), the machine frame for PV, looked up in the
    /// page-frame list Xen gave in `start_info`.
    #[cfg(target_os = "none")]
    pub fn frame_of(&self, addr: usize) -> u64 {
        match self.raw {
            RawBootInfo::StartInfo(start_info) => {
                // SAFETY: Xen maps `start_info` and the `mfn_list` it names
                // (one entry per page of the domain) for a PV guest; the
                // image runs at virtual = pseudo-physical (VIRT_BASE 0).
                unsafe {
                    let info = &*(start_info as *const crate::abi::start_info::StartInfo);
                    (info.mfn_list as *const u64).add(addr >> 12).read()
                }
            }
            _ => addr as u64 >> 12,
        }
    }

    /// RAM in the memory map, in bytes.
    pub fn ram_bytes(&self) -> u64 {
        self.memory_map()
            .iter()
            .filter(|r| r.kind == MemoryKind::Ram)
            .map(|r| r.len)
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_map_keeps_what_fits_and_counts_the_rest() {
        let mut b = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
        for i in 0..MAX_MEMORY_REGIONS + 3 {
            b.push_memory(MemoryRegion {
                start: i as u64 * 4096,
                len: 4096,
                kind: MemoryKind::from_e820(1),
            });
        }
        assert_eq!(b.memory_map().len(), MAX_MEMORY_REGIONS);
        assert_eq!(b.memory_dropped, 3);
        assert_eq!(b.ram_bytes(), MAX_MEMORY_REGIONS as u64 * 4096);
        assert_eq!(MemoryKind::from_e820(9), MemoryKind::Other(9));
    }
}
