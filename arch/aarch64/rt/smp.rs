//! Starting another vCPU on Arm: PSCI `CPU_ON` (through `hvc #0`, the
//! conduit Xen offers its guests). The vCPU starts at EL1 with the MMU
//! off at a trampoline that takes this vCPU's system registers (vectors,
//! MAIR, TCR, TTBR0, SCTLR) from a block the boot vCPU cleaned to the
//! point of coherency, turns the MMU on and calls Rust.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::abi::XenErrno;
use crate::error::{Error, Result};
use crate::rt::BootInfo;

/// PSCI function numbers (SMC64 where they take addresses).
const PSCI_CPU_ON: u64 = 0xc400_0003;
const PSCI_CPU_OFF: u64 = 0x8400_0002;
const PSCI_AFFINITY_INFO: u64 = 0xc400_0004;

/// What the trampoline loads, in this order (it reads it with the MMU and
/// caches off: the boot vCPU cleans it to PoC after writing).
#[repr(C, align(64))]
struct SecondaryBoot {
    vbar: u64,
    mair: u64,
    tcr: u64,
    ttbr0: u64,
    /// `SP_EL1`: the exception stack.
    exception_sp: u64,
    /// `SP_EL0`: the stack Rust runs on.
    sp: u64,
    sctlr: u64,
}

#[no_mangle]
static mut xencall_arm_secondary_boot: SecondaryBoot = SecondaryBoot {
    vbar: 0,
    mair: 0,
    tcr: 0,
    ttbr0: 0,
    exception_sp: 0,
    sp: 0,
    sctlr: 0,
};

/// Set by the new vCPU once it runs Rust: until then the block above is
/// in use, so vCPUs are started one at a time.
static STARTED: AtomicBool = AtomicBool::new(false);

core::arch::global_asm!(
    r#"
    .pushsection .text.xencall_secondary, "ax"
    .globl xencall_arm_secondary
xencall_arm_secondary:
    mov     x19, x0                     /* context id: the vCPU number */
    mov     x1, #(3 << 20)              /* CPACR_EL1.FPEN */
    msr     cpacr_el1, x1
    adrp    x2, xencall_arm_secondary_boot
    add     x2, x2, :lo12:xencall_arm_secondary_boot
    ldp     x3, x4, [x2]
    msr     vbar_el1, x3
    msr     mair_el1, x4
    ldp     x3, x4, [x2, #16]
    msr     tcr_el1, x3
    msr     ttbr0_el1, x4
    ldp     x3, x4, [x2, #32]
    mov     sp, x3                      /* SP_EL1: exceptions only */
    msr     sp_el0, x4
    msr     spsel, #0
    isb
    tlbi    vmalle1
    dsb     nsh
    ic      iallu
    dsb     nsh
    isb
    ldr     x3, [x2, #48]
    msr     sctlr_el1, x3
    isb
    mov     x0, x19
    bl      xencall_secondary_main
    udf     #0xea1
    .popsection
    "#
);

extern "C" {
    fn xencall_arm_secondary();
}

/// A PSCI call through `hvc #0`; SMCCC lets the callee clobber x0..x17.
fn psci(function: u64, a1: u64, a2: u64, a3: u64) -> i64 {
    let ret: u64;
    // SAFETY: PSCI calls change no memory of ours; CPU_ON starts another
    // vCPU at an address we control. Registers per the SMC calling
    // convention; no stack use.
    unsafe {
        core::arch::asm!(
            "hvc #0",
            inout("x0") function => ret,
            inout("x1") a1 => _,
            inout("x2") a2 => _,
            inout("x3") a3 => _,
            out("x4") _, out("x5") _, out("x6") _, out("x7") _,
            out("x8") _, out("x9") _, out("x10") _, out("x11") _,
            out("x12") _, out("x13") _, out("x14") _, out("x15") _,
            out("x16") _, out("x17") _,
            options(nostack),
        )
    };
    ret as i64
}

/// PSCI's error codes as Xen errors.
fn psci_error(code: i64) -> Error {
    Error::Xen(match code {
        -1 => XenErrno::EOPNOTSUPP, // NOT_SUPPORTED
        -2 => XenErrno::EINVAL,     // INVALID_PARAMETERS: no such vCPU
        -3 => XenErrno::EPERM,      // DENIED
        -4 | -6 => XenErrno::EBUSY, // ALREADY_ON, ON_PENDING
        _ => XenErrno::EIO,
    })
}

/// Xen's virtual MPIDR of vCPU `vcpu`: 16 vCPUs per cluster.
pub(super) fn mpidr(vcpu: u32) -> u64 {
    u64::from(vcpu & 0xf) | (u64::from((vcpu >> 4) & 0xff) << 8)
}

/// Clean `[start, start + len)` to the point of coherency.
fn clean_to_poc(start: usize, len: usize) {
    let ctr: u64;
    // SAFETY: reading CTR_EL0 has no side effects.
    unsafe {
        core::arch::asm!("mrs {}, ctr_el0", out(reg) ctr, options(nomem, nostack, preserves_flags))
    };
    // DminLine: log2 of the smallest data cache line, in 4-byte words.
    let line = 4usize << ((ctr >> 16) & 0xf);
    let mut addr = start & !(line - 1);
    while addr < start + len {
        // SAFETY: `dc cvac` on a mapped address writes back a cache line;
        // it changes no data.
        unsafe { core::arch::asm!("dc cvac, {}", in(reg) addr, options(nostack, preserves_flags)) };
        addr += line;
    }
    aarch64_cpu::asm::barrier::dsb(aarch64_cpu::asm::barrier::SY);
}

/// Start vCPU `vcpu` on the stack ending at `stack_top`: its top 16 KiB
/// become the exception stack, the rest the stack Rust runs on. The page
/// below it (`_guard`) stays mapped on Arm: splitting a live block of the
/// Image's map needs break-before-make with every vCPU's TLB, which this
/// runtime does not do; only the boot stack has an unmapped guard here.
pub(crate) fn start_vcpu(_: &BootInfo, vcpu: u32, _guard: usize, stack_top: usize) -> Result<()> {
    use aarch64_cpu::registers::{Readable, MAIR_EL1, SCTLR_EL1, TCR_EL1, TTBR0_EL1, VBAR_EL1};
    STARTED.store(false, Ordering::Release);
    let block = core::ptr::addr_of_mut!(xencall_arm_secondary_boot);
    // SAFETY: the block is only written here, before CPU_ON, and read by
    // the vCPU being started; starts are serialised by waiting for
    // STARTED below.
    unsafe {
        block.write(SecondaryBoot {
            vbar: VBAR_EL1.get(),
            mair: MAIR_EL1.get(),
            tcr: TCR_EL1.get(),
            ttbr0: TTBR0_EL1.get(),
            exception_sp: stack_top as u64,
            sp: (stack_top - 16 * 1024) as u64,
            sctlr: SCTLR_EL1.get(),
        })
    };
    clean_to_poc(block as usize, core::mem::size_of::<SecondaryBoot>());
    let entry = xencall_arm_secondary as *const () as u64;
    let r = psci(PSCI_CPU_ON, mpidr(vcpu), entry, vcpu.into());
    if r != 0 {
        return Err(psci_error(r));
    }
    // Wait until it runs Rust (and no longer reads the block); bounded, so
    // a vCPU that never comes up is an error, not a hang.
    for _ in 0..50_000_000u32 {
        if STARTED.load(Ordering::Acquire) {
            return Ok(());
        }
        core::hint::spin_loop();
    }
    Err(Error::Xen(XenErrno::ETIMEDOUT))
}

/// First Rust on a started vCPU: tell the starter the block is free.
pub(crate) fn secondary_init(_vcpu: u32) {
    STARTED.store(true, Ordering::Release);
}

/// `true` on the boot vCPU: its affinity (`MPIDR_EL1`'s Aff fields) is
/// vCPU 0's.
pub(super) fn on_boot_vcpu() -> bool {
    let mpidr: u64;
    // SAFETY: reading MPIDR_EL1 has no side effects.
    unsafe { core::arch::asm!("mrs {}, mpidr_el1", out(reg) mpidr, options(nomem, nostack)) };
    mpidr & 0xff_00ff_ffff == self::mpidr(0)
}

/// `true` while vCPU `vcpu` is on (PSCI `AFFINITY_INFO`).
pub(crate) fn vcpu_running(vcpu: u32) -> Result<bool> {
    match psci(PSCI_AFFINITY_INFO, mpidr(vcpu), 0, 0) {
        0 | 2 => Ok(true), // ON, ON_PENDING
        1 => Ok(false),    // OFF
        e => Err(psci_error(e)),
    }
}

/// Take the calling vCPU off (PSCI `CPU_OFF` does not return).
pub(crate) fn stop_vcpu(_: u32) -> ! {
    psci(PSCI_CPU_OFF, 0, 0, 0);
    super::halt()
}
