//! Mapping a page the toolstack shares with dom0 (a domU's PV console and
//! xenstore pages) as Normal write-back memory.
//!
//! Xen's Arm guest layout puts those pages in its "magic" region at
//! 0x39000000 (`GUEST_MAGIC_BASE` in `public/arch-arm.h`), inside the first
//! GiB, which the entry code maps as Device memory for the MMIO devices
//! there. Device memory would be wrong for a ring: dom0 maps the page
//! cacheable, and Xen's Arm ABI requires memory shared with it to be Normal
//! write-back (mismatched attributes lose coherency on real hardware), and
//! Device memory faults on unaligned accesses. So the first GiB is split
//! into 2 MiB blocks, Device except the blocks that hold such pages. The
//! magic region holds only guest RAM pages (the device-tree-listed MMIO of
//! a guest lies far below it), so its blocks are safe to map Normal.

use core::ptr::addr_of_mut;

use aarch64_cpu::asm::barrier;

extern "C" {
    /// The entry code's level-1 table (512 entries, 1 GiB each).
    static mut xencall_l1_table: [u64; 512];
}

/// The level-2 table for the first GiB, once split.
#[repr(C, align(4096))]
struct Table([u64; 512]);

static mut GIB0_L2: Table = Table([0; 512]);

/// Serialises changes to the tables (several vCPUs may map pages).
static LOCK: spin::Mutex<()> = spin::Mutex::new(());

/// Block descriptor, Normal write-back (AttrIndx 0), inner shareable, AF.
const NORMAL_BLOCK: u64 = 0x701;
/// Block descriptor, Device-nGnRnE (AttrIndx 1), AF, never executable:
/// what the entry code maps the first GiB with.
const DEVICE_BLOCK: u64 = 0x0060_0000_0000_0405;
/// Table descriptor.
const TABLE: u64 = 3;

/// Replace a valid translation entry: break-before-make, as the
/// architecture requires when a live entry changes (invalid, TLBs
/// flushed, then the new entry).
///
/// # Safety
/// `entry` is an entry of the live tables, and nothing this vCPU runs
/// meanwhile (this code, its stack) lies in the memory it maps.
unsafe fn replace(entry: *mut u64, new: u64) {
    // SAFETY: the caller's contract.
    unsafe { entry.write_volatile(0) };
    barrier::dsb(barrier::ISHST);
    // SAFETY: flushing this vCPU's (inner-shareable) TLB entries for EL1
    // has no effect but dropping cached translations.
    unsafe { core::arch::asm!("tlbi vmalle1is", options(nostack)) };
    barrier::dsb(barrier::ISH);
    barrier::isb(barrier::SY);
    // SAFETY: as above.
    unsafe { entry.write_volatile(new) };
    barrier::dsb(barrier::ISHST);
    barrier::isb(barrier::SY);
}

/// Make the page at `addr` (identity-mapped) Normal write-back memory: in
/// the first GiB by splitting it as the module says, in 1..4 GiB it is
/// already, above that through the runtime's RAM mapping.
pub(crate) fn map_shared_page(addr: u64) {
    let _guard = LOCK.lock();
    let gib = addr >> 30;
    if gib != 0 {
        super::entry::map_ram(addr & !0xfff, 4096);
        return;
    }
    // SAFETY: the tables are the runtime's, changed only under LOCK; the
    // code, stack and GIB0_L2 are in the Image, in RAM above the first
    // GiB, so nothing here needs the entries being replaced.
    unsafe {
        let l1 = addr_of_mut!(xencall_l1_table[0]);
        let l2 = addr_of_mut!(GIB0_L2.0).cast::<u64>();
        if l1.read_volatile() & 3 != TABLE {
            for i in 0..512u64 {
                l2.add(i as usize).write_volatile((i << 21) | DEVICE_BLOCK);
            }
            barrier::dsb(barrier::ISHST);
            replace(l1, l2 as u64 | TABLE);
        }
        let block = ((addr >> 21) & 511) as usize;
        let entry = l2.add(block);
        let normal = (addr & !((1 << 21) - 1)) | NORMAL_BLOCK;
        if entry.read_volatile() != normal {
            replace(entry, normal);
        }
    }
}
