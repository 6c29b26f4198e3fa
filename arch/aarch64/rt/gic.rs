//! Interrupts on Arm: the boot vCPU's part of Xen's virtual GICv3 and the
//! IRQ handler behind the vectors' "IRQ, current EL with SP0" slot.
//!
//! Xen signals events to an Arm guest with a PPI (the device tree's
//! `/hypervisor` node says which: 16 for dom0 on QEMU `virt`, 31 for
//! domUs), raised when it sets the vCPU's `evtchn_upcall_pending` flag.
//! The handler clears that flag and the pending-selector word: Xen raises
//! the interrupt again only when it sets the flag while clear, and sets
//! the flag only when it sets a selector bit that was clear. Which ports
//! fired stays in shared info's `evtchn_pending` for the caller.
//!
//! The handler also takes the virtual timer's PPI (once
//! [`enable_timer_irq`] enabled it): the timer's output is level, so the
//! handler disables the timer (`CNTV_CTL_EL0` = 0) and counts; see
//! `timer`.
//!
//! The GIC's registers are in the first GiB, which the entry code maps
//! Device-nGnRnE. Xen emulates the distributor and redistributors by
//! trapping each access, decoding it from the fault syndrome: every access
//! here is one plain `ldr`/`str` of a register (no pair, no writeback),
//! the forms the syndrome describes.
//!
//! Only the boot vCPU is set up (its redistributor, its CPU interface).

use core::sync::atomic::{AtomicU32, AtomicU64, AtomicU8, AtomicUsize, Ordering};

use crate::error::{Error, Result};
use crate::rt::{BootInfo, RawBootInfo};

/// The SGI/PPI frame's offset from a redistributor's base (the second 64
/// KiB frame).
const SGI_FRAME: usize = 0x1_0000;
/// `GICD_CTLR`.
const GICD_CTLR: usize = 0x0;
/// `GICD_CTLR.RWP`: a register write is still taking effect.
const GICD_CTLR_RWP: u32 = 1 << 31;
/// `GICD_CTLR` (non-secure view): affinity routing (`ARE_NS`, which Xen's
/// virtual GICv3 has always on), Group 1 enabled (`EnableGrp1A`, the bit
/// Xen's distributor keeps, and `EnableGrp1`).
const GICD_CTLR_ENABLE: u32 = (1 << 4) | (1 << 1) | 1;
/// `GICR_TYPER` (64 bits): affinity in bits 63:32, `Last` bit 4, `VLPIS`
/// bit 1 (two more 64 KiB frames per redistributor).
const GICR_TYPER: usize = 0x8;
/// `GICR_WAKER`: `ProcessorSleep` is bit 1.
const GICR_WAKER: usize = 0x14;
/// `GICR_ISENABLER0`, in the SGI frame: set-enable for INTIDs 0..31.
const GICR_ISENABLER0: usize = SGI_FRAME + 0x100;
/// `GICR_ICENABLER0`, in the SGI frame: clear-enable for INTIDs 0..31.
const GICR_ICENABLER0: usize = SGI_FRAME + 0x180;
/// `GICR_IPRIORITYR0`, in the SGI frame: one priority byte per INTID.
const GICR_IPRIORITYR: usize = SGI_FRAME + 0x400;
/// The priority given to our interrupts: any value below the priority
/// mask (0xff) lets them through.
const PRIORITY: u8 = 0xa0;
/// `ICC_IAR1_EL1`'s answer when nothing is pending.
const SPURIOUS: u32 = 1023;
/// The event PPI assumed when `/hypervisor` has no `interrupts` property:
/// `GUEST_EVTCHN_PPI` in Xen's `arch-arm.h`, what Xen gives domUs (dom0
/// gets the first free PPI instead, see `setup`).
const DEFAULT_EVENT_INTID: u32 = 31;

/// The boot vCPU's redistributor (0: the GIC is not set up).
static GICR: AtomicUsize = AtomicUsize::new(0);
/// Xen's event PPI, once known.
static EVENT_INTID: AtomicU32 = AtomicU32::new(DEFAULT_EVENT_INTID);
/// The virtual timer's PPI (0: none known).
static TIMER_INTID: AtomicU32 = AtomicU32::new(0);
/// The boot vCPU's `vcpu_info` (0: upcalls off, the handler writes
/// nothing).
static VCPU_INFO: AtomicUsize = AtomicUsize::new(0);
/// Event upcalls taken.
static UPCALLS: AtomicU64 = AtomicU64::new(0);
/// Virtual-timer interrupts taken.
static TIMER_IRQS: AtomicU64 = AtomicU64::new(0);

/// 32-bit MMIO read with a single `ldr`.
///
/// # Safety
/// `addr` must be a mapped device register readable with a 32-bit access.
unsafe fn read32(addr: usize) -> u32 {
    let v: u32;
    // SAFETY: the caller's contract; one load, no other memory touched.
    unsafe {
        core::arch::asm!("ldr {v:w}, [{a}]", a = in(reg) addr, v = out(reg) v, options(nostack, readonly));
    }
    v
}

/// 64-bit MMIO read with a single `ldr`.
///
/// # Safety
/// As [`read32`], for a 64-bit register.
unsafe fn read64(addr: usize) -> u64 {
    let v: u64;
    // SAFETY: the caller's contract; one load, no other memory touched.
    unsafe {
        core::arch::asm!("ldr {v}, [{a}]", a = in(reg) addr, v = out(reg) v, options(nostack, readonly));
    }
    v
}

/// 32-bit MMIO write with a single `str`.
///
/// # Safety
/// `addr` must be a mapped device register writable with a 32-bit access,
/// and writing `v` must be what the caller means the device to do.
unsafe fn write32(addr: usize, v: u32) {
    // SAFETY: the caller's contract; one store.
    unsafe {
        core::arch::asm!("str {v:w}, [{a}]", a = in(reg) addr, v = in(reg) v, options(nostack));
    }
}

/// 8-bit MMIO write with a single `strb` (the priority registers are byte
/// accessible).
///
/// # Safety
/// As [`write32`], for a byte-accessible register.
unsafe fn write8(addr: usize, v: u8) {
    // SAFETY: the caller's contract; one store.
    unsafe {
        core::arch::asm!("strb {v:w}, [{a}]", a = in(reg) addr, v = in(reg) u32::from(v), options(nostack));
    }
}

/// This vCPU's affinity as `GICR_TYPER` bits 63:32 hold it
/// (Aff3.Aff2.Aff1.Aff0).
fn affinity() -> u64 {
    let mpidr: u64;
    // SAFETY: reading MPIDR_EL1 has no side effects.
    unsafe { core::arch::asm!("mrs {}, mpidr_el1", out(reg) mpidr, options(nomem, nostack)) };
    (mpidr & 0xff_ffff) | ((mpidr >> 8) & 0xff00_0000)
}

/// The redistributor whose `GICR_TYPER` affinity is this vCPU's, in the
/// region `[base, base + size)`.
///
/// # Safety
/// The region must be mapped (Device) and hold redistributors.
unsafe fn find_redistributor(base: u64, size: u64) -> Option<usize> {
    let me = affinity();
    let end = base.checked_add(size)?;
    let mut frame = base;
    while frame.checked_add(0x2_0000)? <= end {
        // SAFETY: a redistributor's first frame, inside the region, by
        // the loop condition and the caller's contract.
        let typer = unsafe { read64(frame as usize + GICR_TYPER) };
        if typer >> 32 == me {
            return Some(frame as usize);
        }
        if typer & (1 << 4) != 0 {
            return None;
        }
        frame += if typer & (1 << 1) != 0 {
            0x4_0000
        } else {
            0x2_0000
        };
    }
    None
}

/// Where the device tree puts the GIC and the interrupts we take; the GIC
/// set up for the boot vCPU (distributor, redistributor, CPU interface),
/// with both PPIs at [`PRIORITY`] but neither enabled. Idempotent.
fn setup(boot: &BootInfo) -> Result<usize> {
    let gicr = GICR.load(Ordering::Acquire);
    if gicr != 0 {
        return Ok(gicr);
    }
    let unsupported = Error::Xen(crate::abi::XenErrno::EOPNOTSUPP);
    let RawBootInfo::DeviceTree(dtb) = boot.raw else {
        return Err(unsupported);
    };
    // SAFETY: `x0` at entry, the tree Xen passed, in RAM the identity map
    // covers; nothing writes to it.
    let tree = unsafe { super::fdt::Fdt::from_addr(dtb) }.ok_or(unsupported)?;
    // No GICv3 (a GICv2 host): not supported.
    let (gicd, (gicr_base, gicr_size)) = tree.gic_v3().ok_or(unsupported)?;
    // The entry code maps only the first GiB as Device memory.
    let in_device_gib = |a: u64, len: u64| a.checked_add(len).is_some_and(|end| end <= 1 << 30);
    if !in_device_gib(gicd, 0x1_0000) || !in_device_gib(gicr_base, gicr_size) {
        return Err(unsupported);
    }
    // Xen's binding gives the event interrupt in `/hypervisor`, and it
    // must be read: Xen 4.17 gives dom0 the first free PPI (INTID 16 on
    // QEMU `virt`, measured), domUs `GUEST_EVTCHN_PPI` (31). INTID 31 is
    // only a guess for a tree without the property.
    let event = tree.xen_event_interrupt().unwrap_or(DEFAULT_EVENT_INTID);
    let timer = tree.virtual_timer_interrupt().unwrap_or(0);
    if !(16..32).contains(&event) {
        return Err(unsupported);
    }
    // SAFETY: the redistributor region from the device tree, inside the
    // Device-mapped first GiB (checked above).
    let rd = unsafe { find_redistributor(gicr_base, gicr_size) }.ok_or(unsupported)?;
    let gicd = gicd as usize;
    // SAFETY: GICD_CTLR of the distributor the device tree names, mapped
    // (checked above). Enabling Group 1 and affinity routing is what a
    // GICv3 guest does first; RWP reads 0 once the write took effect.
    unsafe {
        write32(gicd + GICD_CTLR, GICD_CTLR_ENABLE);
        while read32(gicd + GICD_CTLR) & GICD_CTLR_RWP != 0 {}
    }
    // SAFETY: this vCPU's redistributor (found by affinity, mapped): wake
    // it (ProcessorSleep = 0), then set our PPIs' priorities, one byte
    // each in the SGI frame. Nothing is enabled yet.
    unsafe {
        let waker = read32(rd + GICR_WAKER);
        write32(rd + GICR_WAKER, waker & !(1 << 1));
        while read32(rd + GICR_WAKER) & (1 << 2) != 0 {}
        write8(rd + GICR_IPRIORITYR + event as usize, PRIORITY);
        if (16..32).contains(&timer) {
            write8(rd + GICR_IPRIORITYR + timer as usize, PRIORITY);
        }
    }
    // SAFETY: the CPU interface's system registers (Xen's virtual CPU
    // interface): system-register access on (SRE, read-as-one under Xen),
    // every priority let through (PMR 0xff), no preemption grouping
    // (BPR1 0), Group 1 interrupts signalled (IGRPEN1). PSTATE.I stays
    // set: nothing is taken until a caller unmasks.
    unsafe {
        core::arch::asm!(
            "mrs {t}, icc_sre_el1",
            "orr {t}, {t}, #1",
            "msr icc_sre_el1, {t}",
            "isb",
            "mov {t}, #0xff",
            "msr icc_pmr_el1, {t}",
            "msr icc_bpr1_el1, xzr",
            "mov {t}, #1",
            "msr icc_igrpen1_el1, {t}",
            "isb",
            t = out(reg) _,
            options(nostack),
        );
    }
    EVENT_INTID.store(event, Ordering::Relaxed);
    TIMER_INTID.store(timer, Ordering::Relaxed);
    GICR.store(rd, Ordering::Release);
    Ok(rd)
}

/// Enable (`true`) or disable one PPI in the boot vCPU's redistributor.
fn set_enabled(rd: usize, intid: u32, on: bool) {
    let reg = if on { GICR_ISENABLER0 } else { GICR_ICENABLER0 };
    // SAFETY: `rd` is the redistributor `setup` found (mapped Device);
    // writing one bit of ISENABLER0/ICENABLER0 changes only that PPI.
    unsafe { write32(rd + reg, 1 << (intid % 32)) };
    // Let the redistributor see the change before the caller goes on (to
    // unmask, or to reuse what the handler wrote).
    aarch64_cpu::asm::barrier::dsb(aarch64_cpu::asm::barrier::SY);
}

/// Set up the GIC and deliver the boot vCPU's events to the handler,
/// which clears the flag and selector of the `vcpu_info` at `vcpu_info`.
pub(super) fn enable_upcall(boot: &BootInfo, vcpu_info: *mut u8) -> Result<()> {
    let rd = setup(boot)?;
    VCPU_INFO.store(vcpu_info as usize, Ordering::Release);
    set_enabled(rd, EVENT_INTID.load(Ordering::Relaxed), true);
    Ok(())
}

/// Stop event upcalls: the event PPI disabled in the redistributor, the
/// handler no longer writes to the `vcpu_info`.
pub(super) fn disable_upcall() -> Result<()> {
    let rd = GICR.load(Ordering::Acquire);
    if rd != 0 {
        set_enabled(rd, EVENT_INTID.load(Ordering::Relaxed), false);
    }
    VCPU_INFO.store(0, Ordering::Release);
    Ok(())
}

/// `true` while event upcalls are on.
pub(super) fn upcalls_enabled() -> bool {
    VCPU_INFO.load(Ordering::Acquire) != 0
}

/// Event upcalls taken so far.
pub(super) fn upcall_count() -> u64 {
    UPCALLS.load(Ordering::Acquire)
}

/// Enable (or disable) the virtual timer's PPI. `EOPNOTSUPP` before the
/// GIC is set up ([`enable_upcall`]) or when the device tree names no
/// virtual timer interrupt.
pub(super) fn enable_timer_irq(on: bool) -> Result<()> {
    let rd = GICR.load(Ordering::Acquire);
    let timer = TIMER_INTID.load(Ordering::Relaxed);
    if rd == 0 || !(16..32).contains(&timer) {
        return Err(Error::Xen(crate::abi::XenErrno::EOPNOTSUPP));
    }
    set_enabled(rd, timer, on);
    Ok(())
}

/// Virtual-timer interrupts taken so far.
pub(super) fn timer_irq_count() -> u64 {
    TIMER_IRQS.load(Ordering::Acquire)
}

/// The IRQ handler, called by the vector code with every caller-saved
/// register (general, FP/SIMD, FPCR/FPSR) saved, on the exception stack,
/// with IRQs masked. Acknowledges one interrupt, handles it, ends it.
#[no_mangle]
extern "C" fn xencall_arm_irq() {
    let iar: u64;
    // SAFETY: acknowledging the highest-priority pending Group 1
    // interrupt: it becomes active until the EOI below.
    unsafe { core::arch::asm!("mrs {}, icc_iar1_el1", out(reg) iar, options(nostack)) };
    let intid = (iar & 0xff_ffff) as u32;
    if intid == SPURIOUS {
        return;
    }
    if intid == EVENT_INTID.load(Ordering::Relaxed) {
        let info = VCPU_INFO.load(Ordering::Acquire);
        if info != 0 {
            // SAFETY: `enable_upcall`'s caller guarantees the vcpu_info
            // stays valid while upcalls are on: the pending byte at 0,
            // the selector word (8-aligned) at 8. Xen changes both with
            // atomic operations, hence atomics here: the flag first, so
            // an event arriving meanwhile raises a new upcall.
            unsafe {
                AtomicU8::from_ptr(info as *mut u8).store(0, Ordering::SeqCst);
                AtomicU64::from_ptr((info + 8) as *mut u64).swap(0, Ordering::SeqCst);
            }
            UPCALLS.fetch_add(1, Ordering::AcqRel);
        }
    } else if intid == TIMER_INTID.load(Ordering::Relaxed) {
        // SAFETY: CNTV_CTL_EL0 = 0 disables the virtual timer, which
        // lowers its (level) interrupt; nothing else is affected.
        unsafe { core::arch::asm!("msr cntv_ctl_el0, xzr", "isb", options(nostack)) };
        TIMER_IRQS.fetch_add(1, Ordering::AcqRel);
    }
    // Anything else (only events and the timer are enabled) is just ended.
    // SAFETY: ends the interrupt acknowledged above (EOImode 0: priority
    // drop and deactivation).
    unsafe { core::arch::asm!("msr icc_eoir1_el1, {}", "isb", in(reg) iar, options(nostack)) };
}
