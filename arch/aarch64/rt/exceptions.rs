//! Exception vectors: every one but the IRQ vector of normal code saves
//! the registers, reports, and exits with failure instead of hanging until
//! the harness's timeout.
//!
//! IRQs from normal code ("IRQ, current EL with SP0") go to the runtime's
//! interrupt handler (`gic`): every register the Rust handler may change
//! is saved on the exception stack, the handler runs, everything is
//! restored and `eret` resumes the interrupted code (`ELR_EL1`/`SPSR_EL1`
//! are not saved: IRQs stay masked in the handler, so nothing nests).
//!
//! An interrupt is not a call: the interrupted code may hold live values
//! in any register, so the entry must preserve everything the handler does
//! not. The AAPCS64 makes a callee preserve `x19`..`x28`, `x29`, `sp` and
//! only the low 64 bits of `v8`..`v15` (`d8`..`d15`); so the entry saves
//! `x0`..`x18`, `x29`, `x30`, FPCR, FPSR and all of `q0`..`q31`: `q8`..`q15`
//! whole, since the handler may use their upper halves freely (today's
//! handler uses no vector register, but nothing keeps the compiler from
//! it). NZCV and the interrupted PC are in `SPSR_EL1`/`ELR_EL1`.
//!
//! Normal code runs on `SP_EL0` (see `entry`), so its faults arrive at the
//! "current EL with SP0" vectors and the handler runs on `SP_EL1`, its own
//! stack: a stack overflow (the guard page below the main stack) or a
//! corrupted `sp` is still reported. A fault inside the handler (e.g. the
//! semihosting `hlt` without semihosting, or a broken console) arrives at
//! the "current EL" vectors; the nesting count then stops the recursion.

use core::sync::atomic::{AtomicU32, Ordering};

core::arch::global_asm!(
    r#"
    .macro xencall_vector kind
    .balign 0x80
    sub     sp, sp, #(32 * 8)
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    mov     x0, #\kind
    b       xencall_arm_exception_common
    .endm

    .pushsection .text.xencall_vectors, "ax"
    .balign 2048                        /* VBAR_EL1 bits [10:0] are RES0 */
    .globl xencall_vectors
xencall_vectors:
    xencall_vector 0
    .balign 0x80
    b       xencall_arm_irq_entry       /* 1: IRQ, current EL with SP0 */
    .irp kind, 2,3,4,5,6,7,8,9,10,11,12,13,14,15
    xencall_vector \kind
    .endr

    /* Frame: x0..x18, x29, x30 (176 bytes with padding), FPCR and FPSR
       (16), q0..q31 (512). */
xencall_arm_irq_entry:
    sub     sp, sp, #704
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x29, [sp, #144]
    str     x30, [sp, #160]
    stp     q0, q1, [sp, #192]
    stp     q2, q3, [sp, #224]
    stp     q4, q5, [sp, #256]
    stp     q6, q7, [sp, #288]
    stp     q8, q9, [sp, #320]
    stp     q10, q11, [sp, #352]
    stp     q12, q13, [sp, #384]
    stp     q14, q15, [sp, #416]
    stp     q16, q17, [sp, #448]
    stp     q18, q19, [sp, #480]
    stp     q20, q21, [sp, #512]
    stp     q22, q23, [sp, #544]
    stp     q24, q25, [sp, #576]
    stp     q26, q27, [sp, #608]
    stp     q28, q29, [sp, #640]
    stp     q30, q31, [sp, #672]
    mrs     x0, fpcr
    mrs     x1, fpsr
    stp     x0, x1, [sp, #176]
    mov     x29, #0                     /* end of the frame-pointer chain */
    bl      xencall_arm_irq
    ldp     x0, x1, [sp, #176]
    msr     fpcr, x0
    msr     fpsr, x1
    ldp     q0, q1, [sp, #192]
    ldp     q2, q3, [sp, #224]
    ldp     q4, q5, [sp, #256]
    ldp     q6, q7, [sp, #288]
    ldp     q8, q9, [sp, #320]
    ldp     q10, q11, [sp, #352]
    ldp     q12, q13, [sp, #384]
    ldp     q14, q15, [sp, #416]
    ldp     q16, q17, [sp, #448]
    ldp     q18, q19, [sp, #480]
    ldp     q20, q21, [sp, #512]
    ldp     q22, q23, [sp, #544]
    ldp     q24, q25, [sp, #576]
    ldp     q26, q27, [sp, #608]
    ldp     q28, q29, [sp, #640]
    ldp     q30, q31, [sp, #672]
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x29, [sp, #144]
    ldr     x30, [sp, #160]
    add     sp, sp, #704
    eret

xencall_arm_exception_common:
    mov     x1, sp
    mrs     x2, esr_el1
    mrs     x3, far_el1
    mrs     x4, elr_el1
    mrs     x5, spsr_el1
    mrs     x6, sp_el0
    bl      xencall_arm_exception
1:  wfi
    b       1b
    .popsection
    "#
);

/// Vector names, in VBAR order, NUL-terminated in one string
/// (`crate::code::nth_entry`): a table of 16 `&str` would be 256 bytes of
/// relocated pointers, in the small sections before the vectors.
const KINDS: &str = concat!(
    "synchronous, current EL with SP0\0",
    "IRQ, current EL with SP0\0",
    "FIQ, current EL with SP0\0",
    "SError, current EL with SP0\0",
    "synchronous, current EL with SPx (inside the exception handler)\0",
    "IRQ, current EL with SPx\0",
    "FIQ, current EL with SPx\0",
    "SError, current EL with SPx\0",
    "synchronous, lower EL (AArch64)\0",
    "IRQ, lower EL (AArch64)\0",
    "FIQ, lower EL (AArch64)\0",
    "SError, lower EL (AArch64)\0",
    "synchronous, lower EL (AArch32)\0",
    "IRQ, lower EL (AArch32)\0",
    "FIQ, lower EL (AArch32)\0",
    "SError, lower EL (AArch32)\0",
);

/// What `ESR_EL1.EC` says, for the classes a unikernel meets.
fn class_name(ec: u64) -> &'static str {
    match ec {
        0x00 => "unknown (undefined instruction)",
        0x07 => "FP/SIMD access trapped",
        0x0e => "illegal execution state",
        0x15 => "svc",
        0x16 => "hvc",
        0x20 | 0x21 => "instruction abort",
        0x22 => "PC alignment fault",
        0x24 | 0x25 => "data abort",
        0x26 => "SP alignment fault",
        0x2f => "SError",
        0x3c => "brk",
        _ => "other",
    }
}

extern "C" {
    /// The unmapped page below the boot stack (`entry`).
    static xencall_arm_stack_guard: u8;
}

/// `true` if `addr` lies in the boot stack's guard page.
fn in_stack_guard(addr: u64) -> bool {
    let guard = core::ptr::addr_of!(xencall_arm_stack_guard) as u64;
    (guard..guard + 4096).contains(&addr)
}

/// Exceptions being handled: 1 in the first report, more if reporting
/// faults in turn.
static NESTING: AtomicU32 = AtomicU32::new(0);

/// Called by every vector with the saved `x0`..`x30` (on the exception
/// stack) and the fault's system registers.
#[no_mangle]
extern "C" fn xencall_arm_exception(
    kind: u64,
    regs: &[u64; 31],
    esr: u64,
    far: u64,
    elr: u64,
    spsr: u64,
    sp: u64,
) -> ! {
    match NESTING.fetch_add(1, Ordering::Relaxed) {
        0 => {}
        // Reporting or exiting faulted: no more formatting, just try to
        // end the run with failure.
        1 => crate::rt::exit(crate::rt::ExitStatus::Failure),
        // That faulted too: most likely the semihosting `hlt` (QEMU
        // without semihosting), so shut the domain down through Xen.
        2 => {
            crate::rt::exit::use_qemu_exit(false);
            crate::rt::exit(crate::rt::ExitStatus::Failure)
        }
        _ => super::halt(),
    }
    let name = match crate::code::nth_entry(KINDS, kind as usize) {
        "" => "?",
        name => name,
    };
    let ec = esr >> 26;
    if matches!(ec, 0x24 | 0x25) && in_stack_guard(far) {
        crate::rt::console::fault_println!(
            "xencall: stack overflow: the boot stack ran into its guard page (FAR_EL1 {far:#x}, SP {sp:#x})"
        );
        crate::rt::testing::report_crash(format_args!(
            "stack overflow: data abort in the boot stack's guard page at {far:#x} (ELR_EL1 {elr:#x})"
        ));
        crate::rt::exit(crate::rt::ExitStatus::Failure)
    }
    crate::rt::console::fault_println!(
        "xencall: exception: {name}: ESR_EL1 {esr:#x} (class {ec:#x}: {}), FAR_EL1 {far:#x}, ELR_EL1 {elr:#x}, SPSR_EL1 {spsr:#x}, SP {sp:#x}",
        class_name(ec)
    );
    for row in 0..8 {
        let mut line = [0u64; 4];
        let n = (31 - row * 4).min(4);
        line[..n].copy_from_slice(&regs[row * 4..row * 4 + n]);
        if n == 4 {
            crate::rt::console::fault_println!(
                "xencall:   x{:<2} {:#018x} {:#018x} {:#018x} {:#018x}",
                row * 4,
                line[0],
                line[1],
                line[2],
                line[3]
            );
        } else {
            crate::rt::console::fault_println!(
                "xencall:   x{:<2} {:#018x} {:#018x} {:#018x}",
                row * 4,
                line[0],
                line[1],
                line[2]
            );
        }
    }
    crate::rt::testing::report_crash(format_args!(
        "exception: {name}: {} (ESR_EL1 {esr:#x}), FAR_EL1 {far:#x}, ELR_EL1 {elr:#x}, SPSR_EL1 {spsr:#x}",
        class_name(ec)
    ));
    crate::rt::exit(crate::rt::ExitStatus::Failure)
}
