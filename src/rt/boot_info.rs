//! [`BootInfo`]: what the guest learnt at boot, the same type in every mode.

use crate::arch::HypercallMode;
use crate::error::{Error, Result};
use crate::frames::Frames;

/// How this guest was started.
///
/// ```
/// use xencall::rt::GuestMode;
///
/// // What a case does when a feature exists in some modes only.
/// fn has_hypercall_msr(mode: GuestMode) -> bool {
///     mode == GuestMode::Pvh // PV gets its page from Xen; Arm has none
/// }
/// assert!(has_hypercall_msr(GuestMode::Pvh) && !has_hypercall_msr(GuestMode::Pv));
/// // Displayed as Xen's documentation names the modes.
/// assert_eq!(format!("in {} mode", GuestMode::Pvh), "in PVH mode");
/// ```
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
///
/// ```
/// use xencall::rt::{BootInfo, GuestMode, RawBootInfo};
///
/// // A PV-only step reads `start_info` itself; other modes have none.
/// fn start_info(boot: &BootInfo) -> Option<u64> {
///     match boot.raw {
///         RawBootInfo::StartInfo(addr) => Some(addr),
///         RawBootInfo::HvmStartInfo(_) | RawBootInfo::DeviceTree(_) => None,
///     }
/// }
/// let pv = BootInfo::new(GuestMode::Pv, RawBootInfo::StartInfo(0x2000));
/// assert_eq!(start_info(&pv), Some(0x2000));
/// let arm = BootInfo::new(GuestMode::Arm, RawBootInfo::DeviceTree(0x4800_0000));
/// assert_eq!(start_info(&arm), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RawBootInfo {
    /// PV: address of `start_info` (`rsi` at entry).
    StartInfo(u64),
    /// PVH: address of `hvm_start_info` (`ebx` at entry).
    HvmStartInfo(u64),
    /// Arm: address of the flattened device tree (`x0` at entry).
    DeviceTree(u64),
}

/// Whether the guest is dom0 or a domU, which decides where its console
/// is: Xen's own (`CONSOLEIO_write`, which release Xen refuses a domU) or
/// the PV console ring the toolstack set up.
///
/// ```
/// use xencall::rt::{BootInfo, DomainRole, GuestMode, RawBootInfo};
///
/// // What a guest that serves others does first: stay out of dom0's way.
/// fn may_start_backends(boot: &BootInfo) -> bool {
///     boot.domain_role == DomainRole::DomU && boot.xenstore_ring.is_some()
/// }
/// let boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
/// assert!(!may_start_backends(&boot)); // no xenstore ring found
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainRole {
    /// The domain Xen built itself at boot (x86 PV: `SIF_INITDOMAIN` in
    /// `start_info`; elsewhere `XENFEAT_dom0`).
    Dom0,
    /// A domain a toolstack built (`xl create`).
    DomU,
}

/// A page the toolstack shares with a domU's backend (the PV console's,
/// xenstore's), with its event channel, as the runtime found and mapped it.
///
/// ```
/// use xencall::rt::RingPage;
///
/// // The xenstore page of a PVH domU (guest frame 0xfeffc, port 1).
/// let store = RingPage { frame: 0xfeffc, event_channel: 1, address: 0xfeff_c000 };
/// assert_eq!(store.address >> 12, store.frame); // PVH: identity-mapped
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RingPage {
    /// The frame as Xen names it: a machine frame on x86 PV (from
    /// `start_info`), a guest frame on PVH and Arm (from the HVM parameter).
    pub frame: u64,
    /// The event channel bound to the backend.
    pub event_channel: u32,
    /// The virtual address the runtime mapped the page at.
    pub address: u64,
}

/// Kind of a memory-map entry.
///
/// ```
/// use xencall::rt::MemoryKind;
///
/// // Only RAM may be handed to an allocator; the other kinds must be left alone.
/// let usable = |k: MemoryKind| k == MemoryKind::Ram;
/// assert!(usable(MemoryKind::Ram));
/// assert!(!usable(MemoryKind::AcpiReclaimable) && !usable(MemoryKind::Other(12)));
/// ```
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
    ///
    /// ```
    /// use xencall::rt::MemoryKind;
    ///
    /// assert_eq!(MemoryKind::from_e820(1), MemoryKind::Ram);
    /// assert_eq!(MemoryKind::from_e820(4), MemoryKind::AcpiNvs);
    /// // Types without a name (12 is persistent memory) keep their number.
    /// assert_eq!(MemoryKind::from_e820(12), MemoryKind::Other(12));
    /// ```
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
///
/// ```
/// use xencall::rt::{MemoryKind, MemoryRegion};
///
/// let low = MemoryRegion { start: 0, len: 0xa_0000, kind: MemoryKind::Ram };
/// // The end is exclusive: the VGA hole starts where this region stops.
/// assert_eq!(low.start + low.len, 0xa_0000);
/// ```
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
///
/// ```
/// use xencall::rt::{BootInfo, GuestMode, Module, RawBootInfo};
///
/// // The first module whose command line names it, as a guest finds its initrd.
/// fn find<'b>(boot: &'b BootInfo, name: &str) -> Option<&'b Module> {
///     boot.modules().iter().find(|m| m.cmdline.split(' ').next() == Some(name))
/// }
/// let mut boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
/// boot.push_module(Module { start: 0x200_0000, len: 4096, cmdline: "initrd ro" });
/// assert_eq!(find(&boot, "initrd").map(|m| m.start), Some(0x200_0000));
/// assert!(find(&boot, "ro").is_none());
/// ```
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
///
/// The runtime fills it before calling the function named by
/// [`entry!`](crate::entry), which gets it by reference; a guest reads it
/// the same way in every mode.
///
/// ```
/// use xencall::rt::{BootInfo, GuestMode, MemoryKind, MemoryRegion, RawBootInfo};
///
/// fn describe(boot: &BootInfo) -> String {
///     format!("{} guest, {} MiB, quiet={}",
///         boot.guest_mode, boot.ram_bytes() >> 20, boot.option("quiet").is_some())
/// }
/// # let mut boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0x1000));
/// # boot.cmdline = "console=hvc0 quiet";
/// # boot.push_memory(MemoryRegion { start: 0, len: 32 << 20, kind: MemoryKind::Ram });
/// // With the runtime's `boot` for a 32 MiB PVH guest booted with `quiet`:
/// assert_eq!(describe(&boot), "PVH guest, 32 MiB, quiet=true");
/// ```
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
    /// dom0 or domU (set by `rt::start`; `DomU` until then).
    pub domain_role: DomainRole,
    /// This domain's id, where it can be learnt at boot without asking
    /// xenstore: 0 for dom0 (Xen builds dom0 as domain 0), the id CPUID
    /// reports to an x86 PVH guest; `None` for PV and Arm domUs, which read
    /// `domid` from xenstore (`rt::xenstore`).
    pub domain_id: Option<u16>,
    /// A domU's PV console page (`None` for dom0, or if not found).
    pub console_ring: Option<RingPage>,
    /// A domU's xenstore page (`None` for dom0, or if not found).
    pub xenstore_ring: Option<RingPage>,
    memory: [MemoryRegion; MAX_MEMORY_REGIONS],
    memory_len: usize,
    /// Memory-map entries that did not fit.
    pub memory_dropped: usize,
    modules: [Module; MAX_MODULES],
    modules_len: usize,
    /// What the runtime recorded from the structure Xen entered the guest
    /// with; `None` in a `BootInfo` made with [`BootInfo::new`]. Private,
    /// so that changing the public fields of a copy changes nothing that
    /// Xen is told.
    entered: Option<Entered>,
}

/// The boot facts the crate's safe functions rely on, recorded once by the
/// runtime at entry.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Entered {
    /// How the guest was started.
    pub(crate) mode: GuestMode,
    /// PV: the address of `start_info`; 0 otherwise.
    #[cfg_attr(not(target_os = "none"), allow(dead_code))]
    pub(crate) start_info: u64,
    /// PV: the p2m list (`start_info.mfn_list`) and its length in entries
    /// (`start_info.nr_pages`); empty otherwise.
    p2m: (u64, usize),
}

impl BootInfo {
    /// An empty boot description; the entry code fills it.
    ///
    /// Guests get theirs from the runtime; building one is for the entry
    /// code and for testing code that takes a `&BootInfo` on the host.
    ///
    /// ```
    /// use xencall::rt::{BootInfo, GuestMode, RawBootInfo};
    ///
    /// let boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0x1000));
    /// assert_eq!((boot.cmdline, boot.hypercall_mode), ("", None));
    /// assert!(boot.memory_map().is_empty() && boot.modules().is_empty());
    /// ```
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
            domain_role: DomainRole::DomU,
            domain_id: None,
            console_ring: None,
            xenstore_ring: None,
            memory: [NO_REGION; MAX_MEMORY_REGIONS],
            memory_len: 0,
            memory_dropped: 0,
            modules: [NO_MODULE; MAX_MODULES],
            modules_len: 0,
            entered: None,
        }
    }

    /// Record `raw` as what Xen entered this guest with, so that
    /// [`Frames::frame_of`] and the runtime's own calls may rely on it.
    ///
    /// # Safety
    /// `self.guest_mode` and `self.raw` must describe the boot Xen really
    /// made: for PV, `raw` is the mapped address of Xen's `start_info`
    /// (whose p2m list stays mapped, one entry per page of the domain, and
    /// the image runs at virtual = pseudo-physical address); for PVH and
    /// Arm, the runtime's identity map is in place for the guest's memory.
    #[cfg(target_os = "none")]
    pub(crate) unsafe fn record_entry(&mut self) {
        let (start_info, p2m) = match self.raw {
            RawBootInfo::StartInfo(addr) => {
                use crate::abi::start_info::StartInfo;
                let info = addr as *const StartInfo;
                // SAFETY: the caller vouches that `addr` is Xen's mapped
                // `start_info`; plain integer fields, read in place.
                let (list, pages) = unsafe {
                    (
                        core::ptr::addr_of!((*info).mfn_list).read(),
                        core::ptr::addr_of!((*info).nr_pages).read(),
                    )
                };
                (addr, (list, pages as usize))
            }
            RawBootInfo::HvmStartInfo(_) | RawBootInfo::DeviceTree(_) => (0, (0, 0)),
        };
        self.entered = Some(Entered {
            mode: self.guest_mode,
            start_info,
            p2m,
        });
    }

    /// The boot facts the runtime recorded, if it filled this `BootInfo`.
    #[cfg_attr(not(target_os = "none"), allow(dead_code))]
    pub(crate) fn entered(&self) -> Option<Entered> {
        self.entered
    }

    /// Add a memory-map entry (counted as dropped when full).
    ///
    /// ```
    /// use xencall::rt::boot_info::MAX_MEMORY_REGIONS;
    /// use xencall::rt::{BootInfo, GuestMode, MemoryKind, MemoryRegion, RawBootInfo};
    ///
    /// let mut boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
    /// for i in 0..MAX_MEMORY_REGIONS as u64 + 2 {
    ///     boot.push_memory(MemoryRegion { start: i << 20, len: 1 << 20, kind: MemoryKind::Ram });
    /// }
    /// // What did not fit is counted, so a guest can tell its map is partial.
    /// assert_eq!(boot.memory_map().len(), MAX_MEMORY_REGIONS);
    /// assert_eq!(boot.memory_dropped, 2);
    /// ```
    pub fn push_memory(&mut self, region: MemoryRegion) {
        if self.memory_len < MAX_MEMORY_REGIONS {
            self.memory[self.memory_len] = region;
            self.memory_len += 1;
        } else {
            self.memory_dropped += 1;
        }
    }

    /// Add a module; returns `false` when full.
    ///
    /// ```
    /// use xencall::rt::boot_info::MAX_MODULES;
    /// use xencall::rt::{BootInfo, GuestMode, Module, RawBootInfo};
    ///
    /// let mut boot = BootInfo::new(GuestMode::Pv, RawBootInfo::StartInfo(0));
    /// let initrd = Module { start: 0x100_0000, len: 8192, cmdline: "" };
    /// let kept = (0..MAX_MODULES + 1).filter(|_| boot.push_module(initrd)).count();
    /// assert_eq!(kept, MAX_MODULES);
    /// ```
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
    ///
    /// ```
    /// use xencall::rt::{BootInfo, GuestMode, MemoryKind, MemoryRegion, RawBootInfo};
    ///
    /// let mut boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
    /// boot.push_memory(MemoryRegion { start: 0, len: 0xa_0000, kind: MemoryKind::Ram });
    /// boot.push_memory(MemoryRegion { start: 0xfee0_0000, len: 4096, kind: MemoryKind::Reserved });
    /// // The highest RAM address, e.g. to size a frame table.
    /// let top = boot.memory_map().iter()
    ///     .filter(|r| r.kind == MemoryKind::Ram)
    ///     .map(|r| r.start + r.len)
    ///     .max();
    /// assert_eq!(top, Some(0xa_0000));
    /// ```
    pub fn memory_map(&self) -> &[MemoryRegion] {
        // `get`: `memory_len` never exceeds the array, and the unreachable
        // panic's message and location would be in every image.
        self.memory.get(..self.memory_len).unwrap_or(&[])
    }

    /// The boot modules.
    ///
    /// ```
    /// use xencall::rt::{BootInfo, GuestMode, Module, RawBootInfo};
    ///
    /// let mut boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
    /// assert!(boot.modules().is_empty());
    /// boot.push_module(Module { start: 0x200_0000, len: 4096, cmdline: "initrd" });
    /// boot.push_module(Module { start: 0x200_1000, len: 512, cmdline: "config" });
    /// // In the order Xen listed them.
    /// let names: Vec<&str> = boot.modules().iter().map(|m| m.cmdline).collect();
    /// assert_eq!(names, ["initrd", "config"]);
    /// ```
    pub fn modules(&self) -> &[Module] {
        &self.modules[..self.modules_len]
    }

    /// The value of `key=value` on the command line (see
    /// [`cmdline::option`](crate::rt::cmdline::option)).
    ///
    /// ```
    /// use xencall::rt::{BootInfo, GuestMode, RawBootInfo};
    ///
    /// let mut boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
    /// boot.cmdline = "xencall-exit=qemu rounds=20";
    /// let rounds: u32 = boot.option("rounds").and_then(|v| v.parse().ok()).unwrap_or(5);
    /// assert_eq!(rounds, 20);
    /// assert_eq!(boot.option("xencall-exit"), Some("qemu"));
    /// ```
    pub fn option(&self, key: &str) -> Option<&'static str> {
        crate::rt::cmdline::option(self.cmdline, key)
    }

    /// RAM in the memory map, in bytes.
    ///
    /// ```
    /// use xencall::rt::{BootInfo, GuestMode, MemoryKind, MemoryRegion, RawBootInfo};
    ///
    /// let mut boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
    /// boot.push_memory(MemoryRegion { start: 0, len: 0xa_0000, kind: MemoryKind::Ram });
    /// boot.push_memory(MemoryRegion { start: 0xa_0000, len: 0x6_0000, kind: MemoryKind::Reserved });
    /// boot.push_memory(MemoryRegion { start: 0x10_0000, len: 63 << 20, kind: MemoryKind::Ram });
    /// // Reserved ranges do not count.
    /// assert_eq!(boot.ram_bytes(), 0xa_0000 + (63 << 20));
    /// ```
    pub fn ram_bytes(&self) -> u64 {
        self.memory_map()
            .iter()
            .filter(|r| r.kind == MemoryKind::Ram)
            .map(|r| r.len)
            .sum()
    }
}

// SAFETY: a frame is given only for a `BootInfo` the runtime filled
// (`record_entry`, whose contract is that the recorded boot is the real
// one): PV looks the page up in Xen's p2m list, bounded by the domain's
// page count; PVH and Arm run on the runtime's identity map, where the
// guest frame is the address in pages. A `BootInfo` made by `new` (or a
// copy whose public fields were changed) gives no frame from them.
unsafe impl Frames for BootInfo {
    /// The frame of the page at `addr`, for a `BootInfo` the runtime
    /// filled: the guest frame `addr >> 12` for PVH and Arm (identity
    /// map), the machine frame from `start_info`'s p2m list for PV, where
    /// an address at or past `nr_pages` pages is [`Error::NoFrame`].
    ///
    /// Guest-only in use (the runtime fills `BootInfo` on bare metal);
    /// `examples/boot-tests.rs` checks the bound in every mode.
    ///
    /// ```
    /// use xencall::rt::{BootInfo, GuestMode, RawBootInfo};
    /// use xencall::{Error, Frames};
    ///
    /// // Made up on the host: no frame, whatever the fields say.
    /// let boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
    /// assert_eq!(boot.frame_of(0x10_0000), Err(Error::NoFrame));
    /// ```
    fn frame_of(&self, addr: usize) -> Result<u64> {
        let Some(entered) = self.entered else {
            return Err(Error::NoFrame);
        };
        match entered.mode {
            GuestMode::Pv => {
                let (list, len) = entered.p2m;
                let index = crate::frames::p2m_index(addr, len)?;
                // SAFETY: `record_entry`'s contract: Xen maps the p2m list
                // of `len` entries for the guest's life, and `index < len`.
                // Volatile: the guest updates entries when it swaps frames.
                Ok(unsafe { (list as *const u64).add(index).read_volatile() })
            }
            GuestMode::Pvh | GuestMode::Arm => Ok(addr as u64 >> 12),
        }
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
