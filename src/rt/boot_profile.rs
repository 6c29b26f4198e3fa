//! Boot-to-main profile: a counter stamp at the end of each boot phase,
//! from Xen's hand-off to the first line of `main`, printed only when the
//! guest command line has `xencall-boot-profile`.
//!
//! The counter is the TSC on x86_64 and `CNTVCT_EL0` on aarch64; under
//! QEMU's `-icount shift=0` they count instructions (the TSC one per
//! instruction, the Arm counter one per 16 at its 62.5 MHz), which is how
//! `cargo qemu bench` reads them. A stamp is one counter read and one
//! store: the entry code takes the early ones (into registers until `.bss`
//! is zeroed, where the stamps live), `rt::start` the rest.
//!
//! The line, with the stamps taken in this mode in slot order (the runner
//! sorts them by time):
//!
//! ```text
//! xencall-boot-profile: counter=tsc hz=0 entry=123 bss=456 ...
//! ```

use core::sync::atomic::{AtomicU64, Ordering};

/// A stamp's slot; the name is the phase that ends there.
#[derive(Clone, Copy)]
#[repr(usize)]
pub(crate) enum Phase {
    /// The first instruction after Xen's hand-off (entry code).
    Entry = 0,
    /// `.bss` zeroed (entry code).
    Bss = 1,
    /// Boot page tables built (entry code: x86 PVH, aarch64).
    PageTables = 2,
    /// Paging on: long mode (x86 PVH) or MMU and caches (aarch64).
    Paging = 3,
    /// Self-relocation applied (entry code: aarch64).
    Relocated = 4,
    /// Boot information read: start info or device tree, the IDT or PV
    /// trap table (first line of `rt::start`).
    BootInfo = 5,
    /// Heap set up.
    Heap = 6,
    /// Hypercall mechanism found and registered (CPUID and the page's MSR
    /// on PVH, the device tree's `xen,xen` node on Arm); the console uses
    /// it from here on.
    Hypercalls = 7,
    /// Memory map read; `main` is called next.
    Main = 8,
}

const SLOTS: usize = 9;

// The entry code writes slots 0..=4 by byte offset (arch/*/rt/entry.rs):
// they must stay where it expects them.
const _: () = assert!(
    Phase::Entry as usize == 0
        && Phase::Bss as usize == 1
        && Phase::PageTables as usize == 2
        && Phase::Paging as usize == 3
        && Phase::Relocated as usize == 4
        && Phase::Main as usize == SLOTS - 1
);

/// The names printed, by slot, each followed by a NUL (one string, not a
/// table of pointers: see `crate::code::nth_entry`).
const NAMES: &str =
    "entry\0bss\0page_tables\0paging\0relocated\0boot_info\0heap\0hypercalls\0main\0";

/// The stamps, 0 where a mode has no such phase. In `.bss`; the entry
/// code writes its own slots (by this name) once `.bss` is zero.
#[export_name = "xencall_boot_stamps"]
static STAMPS: [AtomicU64; SLOTS] = [const { AtomicU64::new(0) }; SLOTS];

/// Stamp the end of `phase` now.
pub(crate) fn stamp(phase: Phase) {
    STAMPS[phase as usize].store(crate::arch::rt::counter(), Ordering::Relaxed);
}

/// Print the profile line (see the module documentation).
pub(crate) fn report() {
    let (counter, hz) = crate::arch::rt::counter_kind();
    crate::print!("xencall-boot-profile: counter={counter} hz={hz}");
    for (slot, stamp) in STAMPS.iter().enumerate() {
        let t = stamp.load(Ordering::Relaxed);
        if t != 0 {
            crate::print!(" {}={t}", crate::code::nth_entry(NAMES, slot));
        }
    }
    crate::print!("\n");
}
