//! Starting another vCPU of this domain: `VCPUOP_initialise`, then
//! `VCPUOP_up`. PVH takes a 64-bit HVM context (the vCPU starts in long
//! mode on our page tables, at a trampoline that loads our GDT); PV takes
//! a `vcpu_guest_context` (the vCPU starts on our page tables with Xen's
//! flat 64-bit selectors; it registers its own trap table once in Rust).

use zerocopy::{FromBytes, IntoBytes};

use crate::abi::vcpu::VcpuOpCmd;
use crate::abi::HypercallOp;
use crate::error::{Error, Result};
use crate::rt::{BootInfo, GuestMode};
use crate::Xencall;

/// `struct vcpu_hvm_x86_64` (`public/hvm/hvm_vcpu.h`).
#[derive(Clone, Copy, Default, FromBytes, IntoBytes)]
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
#[derive(Clone, Copy, Default, FromBytes, IntoBytes)]
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

/// `struct vcpu_guest_context` for x86_64 PV (`public/arch-x86/xen.h`),
/// 5168 bytes, as words; the fields used are written at their offsets.
#[derive(Clone, Copy, FromBytes, IntoBytes)]
#[repr(C, align(8))]
struct PvContext([u64; 5168 / 8]);

impl PvContext {
    /// Byte offsets of the fields set (checked against the Xen 4.17
    /// headers when this was written; the in-guest test proves them).
    const FLAGS: usize = 512;
    const USER_REGS: usize = 520;
    const RDI: usize = Self::USER_REGS + 112;
    const RIP: usize = Self::USER_REGS + 128;
    const CS: usize = Self::USER_REGS + 136;
    const RFLAGS: usize = Self::USER_REGS + 144;
    const RSP: usize = Self::USER_REGS + 152;
    const SS: usize = Self::USER_REGS + 160;
    const KERNEL_SS: usize = 4968;
    const KERNEL_SP: usize = 4976;
    const CTRLREG: usize = 4984;

    fn set(&mut self, offset: usize, value: u64) {
        self.0[offset / 8] = value;
    }
}

/// `VGCF_in_kernel`: the vCPU starts in kernel mode.
const VGCF_IN_KERNEL: u64 = 1 << 2;
/// `FLAT_KERNEL_SS64`.
const FLAT_KERNEL_SS64: u64 = 0xe02b;

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

    /* PV: already on Xen's flat selectors and our stack. */
    .globl xencall_pv_secondary
xencall_pv_secondary:
    call xencall_secondary_main
    ud2
    .popsection
    "#,
    options(att_syntax)
);

extern "C" {
    fn xencall_pvh_secondary();
    fn xencall_pv_secondary();
}

/// Start vCPU `vcpu` at the common secondary entry, on the stack ending at
/// `stack_top` (16-byte aligned) whose guard page, unmapped first, is
/// `guard`.
pub(crate) fn start_vcpu(boot: &BootInfo, vcpu: u32, guard: usize, stack_top: usize) -> Result<()> {
    let xc = Xencall::open(None, crate::OpenFlags::empty())?;
    if usize::try_from(vcpu).map_or(true, |v| v >= super::VCPUS) {
        return Err(Error::Xen(crate::abi::XenErrno::EINVAL));
    }
    super::stack_guard::protect(vcpu, guard, stack_top)?;
    match boot.guest_mode {
        GuestMode::Pvh => {
            let ctx = xc.buffer(pvh_context(vcpu, stack_top))?;
            initialise_and_up(&xc, vcpu, ctx.addr())
        }
        GuestMode::Pv => {
            let mut ctx = PvContext([0; 5168 / 8]);
            pv_context(&mut ctx, vcpu, stack_top);
            let ctx = xc.buffer(ctx)?;
            initialise_and_up(&xc, vcpu, ctx.addr())
        }
        GuestMode::Arm => Err(Error::Xen(crate::abi::XenErrno::EOPNOTSUPP)),
    }
}

fn initialise_and_up(xc: &Xencall, vcpu: u32, ctx: u64) -> Result<()> {
    // SAFETY: VCPUOP_initialise reads the context from a hypercall buffer
    // (`ctx`) that the caller keeps alive across the call; the context
    // starts the vCPU on our page tables at a trampoline, with a stack the
    // caller gave up for it. VCPUOP_up takes no buffer.
    unsafe {
        xc.call3(
            HypercallOp::VCPU_OP,
            VcpuOpCmd::INITIALISE.0.into(),
            vcpu.into(),
            ctx,
        )?;
        xc.call3(HypercallOp::VCPU_OP, VcpuOpCmd::UP.0.into(), vcpu.into(), 0)?;
    }
    Ok(())
}

fn pvh_context(vcpu: u32, stack_top: usize) -> HvmContext {
    use x86_64::registers::control::{Cr0, Cr3, Cr4};
    use x86_64::registers::model_specific::Efer;
    let (l4, _) = Cr3::read_raw();
    HvmContext {
        mode: VCPU_HVM_MODE_64B,
        regs: HvmX86_64 {
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
        },
        ..HvmContext::default()
    }
}

fn pv_context(ctx: &mut PvContext, vcpu: u32, stack_top: usize) {
    use x86_64::registers::control::Cr3;
    // A PV kernel's `mov %cr3` is emulated by Xen and gives the machine
    // address of the top-level table: what the context's CR3 wants.
    let (l4, _) = Cr3::read_raw();
    ctx.set(PvContext::FLAGS, VGCF_IN_KERNEL);
    ctx.set(PvContext::RDI, u64::from(vcpu));
    ctx.set(PvContext::RIP, xencall_pv_secondary as *const () as u64);
    ctx.set(
        PvContext::CS,
        u64::from(crate::abi::start_info::FLAT_KERNEL_CS64),
    );
    ctx.set(PvContext::RFLAGS, 0x2);
    ctx.set(PvContext::RSP, stack_top as u64);
    ctx.set(PvContext::SS, FLAT_KERNEL_SS64);
    ctx.set(PvContext::KERNEL_SS, FLAT_KERNEL_SS64);
    ctx.set(PvContext::KERNEL_SP, stack_top as u64);
    ctx.set(PvContext::CTRLREG + 3 * 8, l4.start_address().as_u64());
}

/// First Rust on secondary vCPU `vcpu`: its own exception set-up (the IDT
/// pointer and its TSS on PVH, the trap table, which Xen keeps per vCPU,
/// on PV).
pub(crate) fn secondary_init(vcpu: u32) {
    if super::is_pv() {
        super::exceptions::register_pv_traps();
    } else {
        super::exceptions::reload_idt();
        super::tss::load(vcpu);
    }
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
