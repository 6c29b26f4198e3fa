//! The aarch64 half of the boot runtime: an arm64 Linux-style Image that Xen
//! boots as a guest (and as dom0), entered at EL1 with the MMU off and the
//! device tree in `x0`.
//!
//! `entry` holds the Image header and the code up to Rust (FP, vectors,
//! stacks, page tables and MMU, self-relocation, `.bss`), `exceptions` the
//! fault reports, `fdt` the device-tree reader; this file has the services
//! the common runtime (`crate::rt`) calls.

mod entry;
mod exceptions;
mod fdt;
mod gic;
mod shared_page_map;
mod smp;
/// Public as `rt::events::arm_timer`.
pub(crate) mod timer;

pub(crate) use smp::{secondary_init, start_vcpu, stop_vcpu, vcpu_running};

/// Make the page at `addr` Normal write-back memory (see
/// `shared_page_map`); always possible here.
pub(crate) fn map_shared_page(addr: u64) -> bool {
    shared_page_map::map_shared_page(addr);
    true
}

/// Arm has no cheap way to learn the domain id at boot (no CPUID): `None`.
pub(crate) fn own_domain_id() -> Option<u16> {
    None
}

use crate::arch::{HypercallMode, Native};
use crate::error::{Error, Result};
use crate::rt::{BootInfo, GuestMode, MemoryKind, MemoryRegion, RawBootInfo};

/// Xen's presence, from the device tree: a `xen,xen` node under the root
/// (`/hypervisor`). Arm has no safe probe to fall back on: `hvc` without a
/// hypervisor at EL2 is an undefined instruction. Arm has only one
/// hypercall mechanism, so `preference` changes nothing.
pub(crate) fn hypercall_backend(boot: &BootInfo, _preference: HypercallMode) -> Result<Native> {
    let RawBootInfo::DeviceTree(dtb) = boot.raw else {
        return Err(Error::NoHypervisor);
    };
    // SAFETY: `x0` at entry, the tree Xen passed, in RAM the identity map
    // covers; nothing writes to it.
    match unsafe { fdt::Fdt::from_addr(dtb) } {
        // SAFETY: a `xen,xen` node means Xen booted us, at EL1 under it.
        Some(tree) if tree.has_xen() => Ok(unsafe { Native::assume_xen() }),
        _ => Err(Error::NoHypervisor),
    }
}

/// A no-op: before the hypercall backend is registered there is nothing to
/// write to. The UART belongs to Xen (dom0 sees no PL011 in its device
/// tree), and Xen's console (`CONSOLEIO_write`) is itself a hypercall, only
/// known to be safe once the device tree says Xen is there. Lines written
/// this early are therefore lost; the runtime prints nothing that early on
/// success.
pub(crate) fn early_write(_bytes: &[u8]) {}

/// End QEMU through semihosting `SYS_EXIT` (QEMU runs with
/// `-semihosting-config enable=on,target=native`): `x0` = 0x18, `x1` = a
/// two-word block {`ADP_Stopped_ApplicationExit`, exit status}.
///
/// `code` is the isa-debug-exit byte ([`ExitStatus::qemu_code`]). With
/// isa-debug-exit QEMU exits with `(code << 1) | 1`, semihosting passes the
/// status through unchanged; passing `(code << 1) | 1` gives the same
/// statuses on both architectures (33 success, 35 failure), which the
/// runner and [`ExitStatus::qemu_status`] expect.
///
/// Without semihosting `hlt` is undefined at EL1: the exception handler
/// then exits through Xen (or halts) instead.
///
/// [`ExitStatus::qemu_code`]: crate::rt::ExitStatus::qemu_code
/// [`ExitStatus::qemu_status`]: crate::rt::ExitStatus::qemu_status
pub(crate) fn qemu_exit(code: u8) -> ! {
    /// `ADP_Stopped_ApplicationExit`.
    const APPLICATION_EXIT: u64 = 0x20026;
    /// `SYS_EXIT`.
    const SYS_EXIT: u64 = 0x18;
    let block = [APPLICATION_EXIT, (u64::from(code) << 1) | 1];
    // SAFETY: a semihosting call: QEMU reads the two-word block (live on
    // our stack; the asm is not `nomem`, so the stores happen first) and
    // exits. It writes nothing back that we use.
    unsafe {
        core::arch::asm!("hlt #0xf000", in("x0") SYS_EXIT, in("x1") block.as_ptr(), options(nostack));
    }
    halt()
}

/// Stop this vCPU for good: `wfi` in a loop (interrupts are masked, so
/// nothing is taken; `wfi` just keeps the vCPU from spinning).
pub(crate) fn halt() -> ! {
    loop {
        aarch64_cpu::asm::wfi();
    }
}

/// Rust entry from the assembly: MMU on, stack set, relocated, `.bss` zero.
/// Builds the [`BootInfo`] from the device tree and hands over to
/// `crate::rt::start`.
#[no_mangle]
extern "C" fn xencall_arm_main(dtb: u64) -> ! {
    let mut boot = BootInfo::new(GuestMode::Arm, RawBootInfo::DeviceTree(dtb));
    // SAFETY: `x0` at entry: Xen's device tree, in RAM the entry code
    // mapped (its GiB is mapped Normal explicitly); nothing writes to it.
    if let Some(tree) = unsafe { fdt::Fdt::from_addr(dtb) } {
        boot.cmdline = tree.bootargs();
        tree.memory(|start, len| {
            // RAM the entry code's fixed map does not cover (above 4 GiB).
            entry::map_ram(start, len);
            boot.push_memory(MemoryRegion {
                start,
                len,
                kind: MemoryKind::Ram,
            })
        });
    }
    // SAFETY: the boot Xen made, read once at entry, on the identity map.
    unsafe { crate::rt::start(boot) }
}

/// Events for the boot vCPU arrive as Xen's event PPI: set up the GIC
/// (distributor, this vCPU's redistributor and CPU interface) and enable
/// the PPI; the handler clears the flag and selector of the `vcpu_info` at
/// `vcpu_info`. IRQs stay masked (PSTATE.I) until [`block_with_upcalls`].
pub(crate) fn enable_upcall(boot: &BootInfo, vcpu_info: *mut u8) -> Result<()> {
    gic::enable_upcall(boot, vcpu_info)
}

/// Stop upcalls: the event PPI disabled, the handler touches nothing.
pub(crate) fn disable_upcall() -> Result<()> {
    gic::disable_upcall()
}

/// `SCHEDOP_block`, then the interrupt that woke the vCPU taken. `EINVAL`
/// before [`enable_upcall`]: nothing would handle the event, and Xen would
/// never wake the vCPU; `EOPNOTSUPP` on any vCPU but the boot one, whose
/// events alone are set up.
///
/// The hypercall is made with IRQs masked. Xen's `SCHEDOP_block` clears
/// the guest's PSTATE.I itself (its "event delivery enable" on Arm) and
/// only then checks for pending interrupts before sleeping, so an event
/// that arrived before the call still ends the block (no lost wake-up).
/// It returns with IRQs unmasked (measured on Xen 4.17: `DAIF.I` clear
/// after the `hvc`; boot-tests asserts it), so the interrupt is taken as
/// soon as the `hvc` returns, inside the hypercall's caller: the IRQ entry
/// saves all state for that reason. IRQs are masked again here, as the
/// rest of the runtime expects.
pub(crate) fn block_with_upcalls() -> Result<()> {
    // Only the boot vCPU's GIC interface and vcpu_info are set up: on
    // another vCPU nothing would deliver the event that ends the block.
    if !smp::on_boot_vcpu() {
        return Err(Error::Xen(crate::abi::XenErrno::EOPNOTSUPP));
    }
    if !gic::upcalls_enabled() {
        return Err(Error::Xen(crate::abi::XenErrno::EINVAL));
    }
    let xc = crate::Xencall::open(None, crate::OpenFlags::empty())?;
    let r = xc.sched_block();
    // SAFETY: masks IRQs again (Xen unmasked them); no memory touched.
    unsafe { core::arch::asm!("msr daifset, #2", options(nomem, nostack)) };
    r
}

/// The boot profile's counter: `CNTVCT_EL0`, after an `isb` so that it
/// is read in program order.
pub(crate) fn counter() -> u64 {
    let t: u64;
    // SAFETY: reading the virtual counter (accessible at EL1) has no
    // effect.
    unsafe {
        core::arch::asm!("isb", "mrs {}, cntvct_el0", out(reg) t, options(nomem, nostack, preserves_flags))
    };
    t
}

/// The counter's name and frequency (`CNTFRQ_EL0`) for the boot profile.
pub(crate) fn counter_kind() -> (&'static str, u64) {
    let hz: u64;
    // SAFETY: reading the counter frequency register has no effect.
    unsafe {
        core::arch::asm!("mrs {}, cntfrq_el0", out(reg) hz, options(nomem, nostack, preserves_flags))
    };
    ("cntvct", hz)
}

/// Event upcalls taken so far.
pub(crate) fn upcall_count() -> u64 {
    gic::upcall_count()
}
