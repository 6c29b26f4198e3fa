//! The aarch64 half of the boot runtime: an arm64 Linux-style Image that Xen
//! boots as a guest (and as dom0), entered at EL1 with the MMU off and the
//! device tree in `x0`.
//!
//! `entry` holds the Image header and the code up to Rust (FP, vectors,
//! self-relocation, `.bss`, MMU), `exceptions` the fault reports, `fdt`
//! the device-tree reader; this file has the services the common runtime
//! calls.

mod entry;
mod exceptions;
mod fdt;

use crate::arch::{HypercallMode, Native};
use crate::error::{Error, Result};
use crate::rt::{BootInfo, GuestMode, MemoryKind, MemoryRegion, RawBootInfo};

/// Xen's presence, from the device tree's `xen,xen` node. Arm has no safe
/// probe: `hvc` without a hypervisor is an undefined instruction.
pub(crate) fn hypercall_backend(boot: &BootInfo, _preference: HypercallMode) -> Result<Native> {
    let RawBootInfo::DeviceTree(dtb) = boot.raw else {
        return Err(Error::NoHypervisor);
    };
    // SAFETY: the tree Xen passed stays mapped (identity map of RAM) and
    // unchanged.
    match unsafe { fdt::Fdt::from_addr(dtb) } {
        // SAFETY: a `xen,xen` node means Xen booted us, at EL1.
        Some(tree) if tree.has_xen() => Ok(unsafe { Native::assume_xen() }),
        _ => Err(Error::NoHypervisor),
    }
}

/// Nothing to write to before the hypercall console exists: the UART
/// belongs to Xen, and dom0 gets no other early console.
pub(crate) fn early_write(_bytes: &[u8]) {}

/// End QEMU through semihosting `SYS_EXIT` with
/// `ADP_Stopped_ApplicationExit` (QEMU runs with `-semihosting-config
/// enable=on,target=native`). `code` is the isa-debug-exit byte; QEMU's
/// status is made the same as on x86 (`(code << 1) | 1`), because
/// semihosting passes the status through unchanged.
pub(crate) fn qemu_exit(code: u8) -> ! {
    /// `ADP_Stopped_ApplicationExit`.
    const APPLICATION_EXIT: u64 = 0x20026;
    /// `SYS_EXIT`.
    const SYS_EXIT: u64 = 0x18;
    let block = [APPLICATION_EXIT, (u64::from(code) << 1) | 1];
    // SAFETY: a semihosting call: QEMU reads the two-word block and exits;
    // without semihosting `hlt` traps and the exception handler halts.
    unsafe {
        core::arch::asm!("hlt #0xf000", in("x0") SYS_EXIT, in("x1") block.as_ptr(), options(nostack));
    }
    halt()
}

/// Stop this vCPU for good.
pub(crate) fn halt() -> ! {
    loop {
        aarch64_cpu::asm::wfi();
    }
}

/// Rust entry from the assembly: MMU on, stack set, `.bss` zero.
#[no_mangle]
extern "C" fn xencall_arm_main(dtb: u64) -> ! {
    let mut boot = BootInfo::new(GuestMode::Arm, RawBootInfo::DeviceTree(dtb));
    // SAFETY: `x0` at entry: Xen's device tree, in RAM we map.
    if let Some(tree) = unsafe { fdt::Fdt::from_addr(dtb) } {
        boot.cmdline = tree.bootargs();
        tree.memory(|start, len| {
            boot.push_memory(MemoryRegion {
                start,
                len,
                kind: MemoryKind::Ram,
            })
        });
    }
    crate::rt::start(boot)
}
