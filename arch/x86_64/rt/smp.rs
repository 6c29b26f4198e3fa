//! Starting another vCPU of this domain on x86_64 PVH: `VCPUOP_initialise`
//! with a 64-bit HVM context (the vCPU starts in long mode on our page
//! tables, at a small trampoline), then `VCPUOP_up`.
//!
//! PV guests would need a full `vcpu_guest_context` (trap table, GDT
//! frames, kernel stack, callbacks) and are refused for now.

use crate::abi::vcpu::VcpuOpCmd;
use crate::abi::HypercallOp;
use crate::error::{Error, Result};
use crate::rt::{BootInfo, GuestMode};
use crate::Xencall;

/// `struct vcpu_hvm_x86_64` (`public/hvm/hvm_vcpu.h`).
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct HvmX86_64 {
    rax: u64,
    rcx: u64,
    rdx: u64,
    rbx: u64,
    rsp: u64,
    rbp: u64,
    rsi: u64,
    rdi: u64,
    rip: u64,
    rflags: u64,
    cr0: u64,
    cr3: u64,
    cr4: u64,
    efer: u64,
}

/// `struct vcpu_hvm_context` in its 64-bit form; `tail` pads the union
/// to the size of its larger, 32-bit member.
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct HvmContext {
    mode: u32,
    pad: u32,
    regs: HvmX86_64,
    tail: [u64; 1],
}

/// `VCPU_HVM_MODE_64B`: start directly in long mode, flat segments.
const VCPU_HVM_MODE_64B: u32 = 1;

const _: () = {
    assert!(core::mem::size_of::<HvmX86_64>() == 112);
    assert!(core::mem::offset_of!(HvmX86_64, rip) == 64);
    assert!(core::mem::offset_of!(HvmX86_64, efer) == 104);
    assert!(core::mem::size_of::<HvmContext>() == 128);
    assert!(core::mem::offset_of!(HvmContext, regs) == 8);
};

// Xen starts the vCPU in long mode with flat segment caches but our GDT
// not loaded: load it, reload every segment register, then call Rust with
// the vCPU number (in `rdi` from the context) on the stack it set.
core::arch::global_asm!(
    r#"
    .pushsection .text.xencall_secondary, "ax"
    .code64
    .globl xencall_pvh_secondary
xencall_pvh_secondary:
    lgdt xencall_gdt_ptr(%rip)
    mov $0x10, %eax
    mov %eax, %ds
    mov %eax, %es
    mov %eax, %ss
    mov %eax, %fs
    mov %eax, %gs
    pushq $0x08
    lea 1f(%rip), %rax
    pushq %rax
    lretq
1:  call xencall_secondary_main
    ud2
    .popsection
    "#,
    options(att_syntax)
);

extern "C" {
    fn xencall_pvh_secondary();
}

/// Start vCPU `vcpu` at the common secondary entry, on the stack ending at
/// `stack_top` (16-byte aligned).
pub(crate) fn start_vcpu(boot: &BootInfo, vcpu: u32, stack_top: usize) -> Result<()> {
    if boot.guest_mode != GuestMode::Pvh {
        // A PV vCPU needs a whole vcpu_guest_context: not done yet.
        return Err(Error::Xen(crate::abi::XenErrno::EOPNOTSUPP));
    }
    use x86_64::registers::control::{Cr0, Cr3, Cr4};
    use x86_64::registers::model_specific::Efer;
    let (l4, _) = Cr3::read_raw();
    let regs = HvmX86_64 {
        rsp: stack_top as u64,
        rdi: u64::from(vcpu),
        rip: xencall_pvh_secondary as *const () as u64,
        // Bit 1 is reserved-one; interrupts off.
        rflags: 0x2,
        // The boot vCPU's own paging and features, so both run alike.
        cr0: Cr0::read_raw(),
        cr3: l4.start_address().as_u64(),
        cr4: Cr4::read_raw(),
        efer: Efer::read_raw(),
        ..HvmX86_64::default()
    };
    let xc = Xencall::open(None, crate::OpenFlags::empty())?;
    let ctx = xc.buffer(HvmContext {
        mode: VCPU_HVM_MODE_64B,
        regs,
        ..HvmContext::default()
    })?;
    // SAFETY: VCPUOP_initialise reads the context from a hypercall buffer
    // that outlives the call; the context starts the vCPU on our page
    // tables at the trampoline, with a stack the caller gave up for it.
    unsafe {
        xc.call3(
            HypercallOp::VCPU_OP,
            VcpuOpCmd::INITIALISE.0.into(),
            vcpu.into(),
            ctx.addr(),
        )?;
        xc.call3(HypercallOp::VCPU_OP, VcpuOpCmd::UP.0.into(), vcpu.into(), 0)?;
    }
    Ok(())
}

/// First Rust on a secondary vCPU: this CPU's own IDT pointer.
pub(crate) fn secondary_init() {
    super::exceptions::reload_idt();
}

/// Take the calling vCPU (`vcpu`) down for good.
pub(crate) fn stop_vcpu(vcpu: u32) -> ! {
    if let Ok(xc) = Xencall::open(None, crate::OpenFlags::empty()) {
        // SAFETY: VCPUOP_down on the calling vCPU takes no buffer; Xen
        // deschedules it and does not return here.
        let _ = unsafe {
            xc.call3(
                HypercallOp::VCPU_OP,
                VcpuOpCmd::DOWN.0.into(),
                vcpu.into(),
                0,
            )
        };
    }
    super::halt()
}

/// `true` while vCPU `vcpu` is up (`VCPUOP_is_up`).
pub(crate) fn vcpu_running(vcpu: u32) -> Result<bool> {
    Xencall::open(None, crate::OpenFlags::empty())?.vcpu_is_up(vcpu)
}
