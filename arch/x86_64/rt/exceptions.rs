//! CPU exceptions: report and exit with failure instead of hanging.
//!
//! One assembly stub per vector 0..31 pushes a uniform frame (a zero for
//! vectors without an error code, then the vector) and calls
//! [`xencall_exception`]. PVH guests install them in an IDT; PV guests
//! register them with `HYPERVISOR_set_trap_table`, where Xen additionally
//! pushes `rcx` and `r11`, which the PV stubs pop first.

use core::sync::atomic::Ordering;

use super::{MODE, MODE_PV};
use crate::abi::start_info::{TrapInfo, FLAT_KERNEL_CS64};
use crate::arch::{HypercallPage, HYPERCALL_PAGE_STORAGE};
use crate::backend::Backend;

core::arch::global_asm!(
    r#"
    .pushsection .text.xencall_exceptions, "ax"
    .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
xencall_exc_\vec:
    .if (\vec == 8) || (\vec == 10) || (\vec == 11) || (\vec == 12) || (\vec == 13) || (\vec == 14) || (\vec == 17) || (\vec == 21) || (\vec == 29) || (\vec == 30)
    .else
    push $0
    .endif
    push $\vec
    jmp xencall_exc_common
xencall_pvexc_\vec:
    pop %rcx
    pop %r11
    jmp xencall_exc_\vec
    .endr

xencall_exc_common:
    push %rax
    push %rbx
    push %rcx
    push %rdx
    push %rsi
    push %rdi
    push %rbp
    push %r8
    push %r9
    push %r10
    push %r11
    push %r12
    push %r13
    push %r14
    push %r15
    mov %rsp, %rdi
    and $-16, %rsp
    call xencall_exception
    ud2
    .popsection

    .pushsection .rodata.xencall_exceptions, "a"
    .balign 8
    .globl xencall_exception_stubs
xencall_exception_stubs:
    .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad xencall_exc_\vec
    .endr
    .globl xencall_pv_exception_stubs
xencall_pv_exception_stubs:
    .irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .quad xencall_pvexc_\vec
    .endr
    .popsection
    "#,
    options(att_syntax)
);

extern "C" {
    static xencall_exception_stubs: [u64; 32];
    static xencall_pv_exception_stubs: [u64; 32];
}

/// What the stubs push, from the stack pointer up.
#[repr(C)]
pub struct ExceptionFrame {
    r15: u64,
    r14: u64,
    r13: u64,
    r12: u64,
    r11: u64,
    r10: u64,
    r9: u64,
    r8: u64,
    rbp: u64,
    rdi: u64,
    rsi: u64,
    rdx: u64,
    rcx: u64,
    rbx: u64,
    rax: u64,
    vector: u64,
    error_code: u64,
    rip: u64,
    cs: u64,
    rflags: u64,
    rsp: u64,
    ss: u64,
}

const NAMES: [&str; 32] = [
    "#DE divide error",
    "#DB debug",
    "NMI",
    "#BP breakpoint",
    "#OF overflow",
    "#BR bound range",
    "#UD invalid opcode",
    "#NM device not available",
    "#DF double fault",
    "coprocessor segment overrun",
    "#TS invalid TSS",
    "#NP segment not present",
    "#SS stack fault",
    "#GP general protection",
    "#PF page fault",
    "reserved",
    "#MF x87 error",
    "#AC alignment check",
    "#MC machine check",
    "#XM SIMD error",
    "#VE virtualization",
    "#CP control protection",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "reserved",
    "#HV hypervisor injection",
    "#VC VMM communication",
    "#SX security",
    "reserved",
];

/// Called by the stubs on the faulting stack.
#[no_mangle]
extern "C" fn xencall_exception(f: &ExceptionFrame) -> ! {
    let pv = MODE.load(Ordering::Relaxed) == MODE_PV;
    let name = NAMES.get(f.vector as usize).copied().unwrap_or("?");
    crate::rt::console::fault_println!(
        "xencall: CPU exception {} ({name}), error code {:#x}, at rip {:#018x}",
        f.vector,
        f.error_code,
        f.rip
    );
    // CR2 is privileged for a PV kernel (Xen keeps it in the vCPU's
    // `vcpu_info`, which this runtime does not map): say so rather than
    // print a misleading 0.
    let cr2 = if pv {
        None
    } else {
        Some(x86_64::registers::control::Cr2::read_raw())
    };
    // A page fault in a guard page (or the double fault it becomes when
    // its frame cannot be pushed there) is a stack overflow.
    let overflowed = match (f.vector, cr2) {
        (8 | 14, Some(cr2)) => super::stack_guard::guard_owner(cr2),
        _ => None,
    };
    if let Some(vcpu) = overflowed {
        crate::rt::console::fault_println!(
            "xencall: stack overflow: vCPU {vcpu}'s stack ran into its guard page (cr2 {:#x}, rsp {:#x})",
            cr2.unwrap_or(0),
            f.rsp
        );
    }
    crate::rt::console::fault_println!(
        "xencall:  cs {:#x} rflags {:#x} rsp {:#018x} ss {:#x} cr2 {}",
        // A PV frame keeps Xen's saved upcall mask above the selector.
        f.cs & 0xffff,
        f.rflags,
        f.rsp,
        f.ss & 0xffff,
        Cr2(cr2)
    );
    crate::rt::console::fault_println!(
        "xencall:  rax {:#018x} rbx {:#018x} rcx {:#018x} rdx {:#018x}",
        f.rax,
        f.rbx,
        f.rcx,
        f.rdx
    );
    crate::rt::console::fault_println!(
        "xencall:  rsi {:#018x} rdi {:#018x} rbp {:#018x} r8  {:#018x}",
        f.rsi,
        f.rdi,
        f.rbp,
        f.r8
    );
    crate::rt::console::fault_println!(
        "xencall:  r9  {:#018x} r10 {:#018x} r11 {:#018x} r12 {:#018x}",
        f.r9,
        f.r10,
        f.r11,
        f.r12
    );
    crate::rt::console::fault_println!(
        "xencall:  r13 {:#018x} r14 {:#018x} r15 {:#018x}",
        f.r13,
        f.r14,
        f.r15
    );
    match overflowed {
        Some(vcpu) => crate::rt::testing::report_crash(format_args!(
            "stack overflow on vCPU {vcpu}: CPU exception {} ({name}) in its guard page at {:#x}",
            f.vector,
            cr2.unwrap_or(0)
        )),
        None => crate::rt::testing::report_crash(format_args!(
            "CPU exception {} ({name}) at rip {:#x}",
            f.vector, f.rip
        )),
    }
    crate::rt::exit(crate::rt::ExitStatus::Failure)
}

/// CR2 for the report: hex, or "n/a" where the guest cannot read it.
struct Cr2(Option<u64>);

impl core::fmt::Display for Cr2 {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            Some(v) => write!(f, "{v:#018x}"),
            None => f.write_str("n/a (PV)"),
        }
    }
}

/// An IDT gate: 64-bit interrupt gate, present, DPL 0.
#[derive(Clone, Copy)]
#[repr(C)]
struct Gate {
    offset_low: u16,
    selector: u16,
    ist: u8,
    type_attr: u8,
    offset_mid: u16,
    offset_high: u32,
    zero: u32,
}

impl Gate {
    /// A present 64-bit interrupt gate (interrupts stay off in the
    /// handler) to `addr` in our code segment.
    fn interrupt(addr: u64) -> Gate {
        Gate {
            offset_low: addr as u16,
            selector: 0x08,
            ist: 0,
            type_attr: 0x8e,
            offset_mid: (addr >> 16) as u16,
            offset_high: (addr >> 32) as u32,
            zero: 0,
        }
    }
}

/// Gates up to and including the event upcall vector.
const IDT_GATES: usize = super::upcall::UPCALL_VECTOR as usize + 1;

#[repr(C, align(16))]
struct Idt([Gate; IDT_GATES]);

static mut IDT: Idt = Idt([Gate {
    offset_low: 0,
    selector: 0,
    ist: 0,
    type_attr: 0,
    offset_mid: 0,
    offset_high: 0,
    zero: 0,
}; IDT_GATES]);

/// Fill and load the IDT (PVH).
pub(super) fn load_idt() {
    // SAFETY: runs once on the boot CPU before anything else uses the IDT;
    // the stub table is a static array of 32 addresses.
    unsafe {
        let idt = &mut *core::ptr::addr_of_mut!(IDT);
        for (gate, &addr) in idt.0.iter_mut().zip(xencall_exception_stubs.iter()) {
            *gate = Gate::interrupt(addr);
        }
        // The double fault on a stack of its own: see `tss`.
        idt.0[8].ist = super::tss::DOUBLE_FAULT_IST;
        // Vectors 32.. stay not-present (a stray one faults as #GP and is
        // reported), but for the event upcall.
        idt.0[super::upcall::UPCALL_VECTOR as usize] =
            Gate::interrupt(super::upcall::stub_address());
    }
    reload_idt();
}

/// Point this CPU at the (already filled) IDT: the boot CPU once it is
/// filled, each further vCPU as it starts.
pub(super) fn reload_idt() {
    // SAFETY: the IDT is a static that lives forever and, once filled by
    // `load_idt`, is only read; its gates name the exception stubs.
    unsafe {
        let pointer = x86_64::structures::DescriptorTablePointer {
            limit: (core::mem::size_of::<Idt>() - 1) as u16,
            base: x86_64::VirtAddr::new_truncate(core::ptr::addr_of!(IDT) as u64),
        };
        x86_64::instructions::tables::lidt(&pointer);
    }
}

/// The trap table: one entry per vector, then the zero entry that ends it.
/// Built once, then only read: every PV vCPU registers the same table
/// (Xen keeps one per vCPU, copied at registration).
static TRAPS: spin::Once<[TrapInfo; 33]> = spin::Once::new();

/// The trap table, built on first use.
fn trap_table() -> &'static [TrapInfo; 33] {
    TRAPS.call_once(|| {
        let mut traps = [TrapInfo {
            vector: 0,
            flags: 0,
            cs: 0,
            _pad0: 0,
            address: 0,
        }; 33];
        // SAFETY: the stub table is a static array of 32 addresses in
        // `.rodata`, never written.
        let stubs = unsafe { &*core::ptr::addr_of!(xencall_pv_exception_stubs) };
        for (vector, &addr) in stubs.iter().enumerate() {
            traps[vector] = TrapInfo {
                vector: vector as u8,
                flags: 0,
                cs: FLAT_KERNEL_CS64,
                _pad0: 0,
                address: addr,
            };
        }
        traps
    })
}

/// Register the stubs as this vCPU's PV trap table (the last, zero entry
/// ends it).
pub(super) fn register_pv_traps() {
    let traps = trap_table();
    // SAFETY: the page was filled by Xen at domain build (PV note).
    if let Ok(page) = unsafe { HypercallPage::from_filled(HYPERCALL_PAGE_STORAGE.as_ptr()) } {
        // SAFETY: HYPERVISOR_set_trap_table reads the 33 entries, a static
        // that lives forever; the stubs handle Xen's PV exception frame.
        unsafe {
            page.call1(
                crate::abi::HypercallOp::SET_TRAP_TABLE.0.into(),
                traps.as_ptr() as u64,
            )
        };
    }
}
