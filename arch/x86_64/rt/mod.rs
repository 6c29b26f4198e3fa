//! The x86_64 half of the boot runtime: one ELF that Xen boots either as a
//! PVH guest (32-bit entry named by `XEN_ELFNOTE_PHYS32_ENTRY`, `ebx` =
//! `hvm_start_info`) or as a 64-bit PV guest (ELF entry, `rsi` =
//! `start_info`, hypercall page placed by Xen), as Linux's kernel does.
//!
//! `entry` holds the assembly up to the first Rust code, `notes` the Xen
//! ELF notes, `exceptions` the fault reporting, `boot_info` the translation
//! of Xen's start-of-day structures; this file has the services the common
//! runtime calls.

mod boot_info;
mod entry;
mod exceptions;
mod notes;
mod page_tables;
mod smp;
mod stack_guard;
mod tss;
pub(crate) mod upcall;

/// vCPUs the runtime can run: the boot one and `rt::smp::MAX_VCPUS` more.
/// Each has a guard page, a TSS (PVH) and a slot in the GDT.
const VCPUS: usize = 1 + crate::rt::smp::MAX_VCPUS;

pub(crate) use smp::{secondary_init, start_vcpu, stop_vcpu, vcpu_running};

use core::sync::atomic::{AtomicU8, Ordering};

use crate::abi::physdev::{PhysdevOpCmd, PhysdevSetIopl};
use crate::abi::sched::SchedOpCmd;
use crate::abi::HypercallOp;
use crate::arch::{HypercallMode, HypercallPage, Native, HYPERCALL_PAGE_STORAGE};
use crate::backend::Backend;
use crate::error::Result;
use crate::rt::{BootInfo, GuestMode};

/// How this boot entered: set once by the entry code.
static MODE: AtomicU8 = AtomicU8::new(MODE_UNKNOWN);
const MODE_UNKNOWN: u8 = 0;
const MODE_PVH: u8 = 1;
const MODE_PV: u8 = 2;

fn is_pv() -> bool {
    MODE.load(Ordering::Relaxed) == MODE_PV
}

/// The hypercall backend for this boot: the page Xen placed for PV; for
/// PVH, the page installed through the MSR or the direct instruction,
/// whichever `preference` says (`NoHypervisor` when Xen is absent).
pub(crate) fn hypercall_backend(boot: &BootInfo, preference: HypercallMode) -> Result<Native> {
    match boot.guest_mode {
        GuestMode::Pv => {
            // SAFETY: the page is the crate's own, in the image, mapped for
            // the program's life; Xen filled it at domain build (PV note).
            let page = unsafe { HypercallPage::from_filled(HYPERCALL_PAGE_STORAGE.as_ptr()) };
            page.map(Native::Page)
        }
        // SAFETY: the PVH entry built an identity map of the first 4 GiB,
        // the image included, before Rust code ran: the page's virtual
        // address is its guest-physical one.
        _ => unsafe { Native::detect(preference) },
    }
}

/// COM1 (16550 at 0x3f8): the console before a hypercall backend exists,
/// and without Xen. PV guests cannot do port I/O this early (it faults
/// without the I/O privilege), so they print nothing here.
pub(crate) fn early_write(bytes: &[u8]) {
    if is_pv() {
        return;
    }
    use x86_64::instructions::port::Port;
    let mut data = Port::<u8>::new(0x3f8);
    let mut status = Port::<u8>::new(0x3fd);
    for &b in bytes {
        // Bounded wait for the transmitter: a port Xen denies reads as
        // 0xff (ready), a missing UART must not hang the guest.
        for _ in 0..100_000 {
            // SAFETY: reading the 16550 line-status register has no side
            // effects.
            if unsafe { status.read() } & 0x20 != 0 {
                break;
            }
        }
        // SAFETY: writing the 16550 data register sends one byte.
        unsafe { data.write(b) };
    }
}

/// `physdev_op(PHYSDEVOP_set_iopl, {iopl})`: PV guests need I/O privilege
/// for `out`, which Xen then emulates.
fn pv_set_iopl(iopl: u32) {
    // SAFETY: the crate's page, filled by Xen for PV guests.
    let Ok(page) = (unsafe { HypercallPage::from_filled(HYPERCALL_PAGE_STORAGE.as_ptr()) }) else {
        return;
    };
    let arg = PhysdevSetIopl { iopl };
    // SAFETY: PHYSDEVOP_set_iopl reads the structure at the address.
    unsafe {
        page.call2(
            HypercallOp::PHYSDEV_OP.0.into(),
            PhysdevOpCmd::SET_IOPL.0.into(),
            &arg as *const PhysdevSetIopl as u64,
        )
    };
}

/// End QEMU with status `(code << 1) | 1` through `isa-debug-exit` at port
/// 0xf4 (`-device isa-debug-exit,iobase=0xf4,iosize=0x04`).
pub(crate) fn qemu_exit(code: u8) -> ! {
    if is_pv() {
        pv_set_iopl(1);
    }
    // SAFETY: the debug-exit device ends the machine; on a machine without
    // it the write goes nowhere and we halt below.
    unsafe { x86_64::instructions::port::Port::<u8>::new(0xf4).write(code) };
    halt()
}

/// Stop this vCPU for good.
pub(crate) fn halt() -> ! {
    loop {
        if is_pv() {
            // `hlt` is privileged for a PV kernel: give the CPU back.
            // SAFETY: SCHEDOP_yield (0) takes no buffer.
            if let Ok(page) = unsafe { HypercallPage::from_filled(HYPERCALL_PAGE_STORAGE.as_ptr()) }
            {
                // SAFETY: as above.
                unsafe {
                    page.call2(
                        HypercallOp::SCHED_OP.0.into(),
                        SchedOpCmd::YIELD.0.into(),
                        0,
                    )
                };
            }
        } else {
            x86_64::instructions::interrupts::disable();
            x86_64::instructions::hlt();
        }
    }
}

/// Rust entry from the PVH assembly: long mode, identity map, stack, zero
/// `.bss` and SSE are set up.
#[no_mangle]
extern "C" fn xencall_pvh_main(start_info: u64) -> ! {
    MODE.store(MODE_PVH, Ordering::Relaxed);
    exceptions::load_idt();
    tss::load(0);
    stack_guard::protect_boot_stack();
    // SAFETY: `ebx` at the PVH entry: the physical (= virtual, identity
    // map) address of `hvm_start_info`, or 0 if the loader gave none.
    let boot = unsafe { boot_info::from_pvh(start_info) };
    // SAFETY: the boot Xen made, read once at entry, on the identity map.
    unsafe { crate::rt::start(boot) }
}

/// Rust entry from the PV assembly: Xen's page tables, our stack, zero
/// `.bss`.
#[no_mangle]
extern "C" fn xencall_pv_main(start_info: u64) -> ! {
    MODE.store(MODE_PV, Ordering::Relaxed);
    exceptions::register_pv_traps();
    stack_guard::protect_boot_stack();
    // SAFETY: `rsi` at the PV entry: the virtual address of `start_info`,
    // mapped by Xen's initial page tables.
    let boot = unsafe { boot_info::from_pv(start_info) };
    // SAFETY: the boot Xen made, read once at entry; the image runs at
    // virtual = pseudo-physical address.
    unsafe { crate::rt::start(boot) }
}

/// Events for the boot vCPU arrive as an upcall: on PVH an interrupt
/// vector registered with `HVM_PARAM_CALLBACK_IRQ`, on PV the event
/// callback registered with `CALLBACKOP_register`. The handler clears the
/// flag and selector of the `vcpu_info` at `pending`.
pub(crate) fn enable_upcall(boot: &BootInfo, pending: *mut u8) -> Result<()> {
    use crate::abi::callback::{CallbackRegister, CallbackType};
    use crate::abi::hvm::HvmParam;
    use crate::abi::memory::DOMID_SELF;
    let xc = crate::Xencall::open(None, crate::OpenFlags::empty())?;
    match boot.guest_mode {
        GuestMode::Pvh => {
            upcall::set_pending_flag(pending);
            // HVM_PARAM_CALLBACK_IRQ type 2 (bits 63:56): deliver as this vector.
            xc.hvm_set_param(
                DOMID_SELF,
                HvmParam::CALLBACK_IRQ,
                (2 << 56) | u64::from(upcall::UPCALL_VECTOR),
            )
        }
        GuestMode::Pv => {
            // Events stay masked (the vcpu_info's mask byte) until
            // SCHEDOP_block unmasks them, so nothing arrives before the
            // handler knows its vcpu_info.
            upcall::set_pending_flag(pending);
            let callback = CallbackRegister {
                r#type: CallbackType::EVENT,
                flags: 0,
                _pad0: 0,
                address: upcall::pv_stub_address(),
            };
            // SAFETY: the stub handles Xen's PV event frame (rcx, r11,
            // then an iret frame) and leaves through HYPERVISOR_iret; it
            // is part of the image and never unmapped.
            unsafe { xc.callback_register(callback) }
        }
        _ => Err(crate::error::Error::Xen(crate::abi::XenErrno::EOPNOTSUPP)),
    }
}

/// Stop upcalls: on PVH no vector is registered any more; on PV (where Xen
/// refuses to unregister the event callback) events are masked and the
/// handler, finding no `vcpu_info`, keeps them masked.
pub(crate) fn disable_upcall() -> Result<()> {
    use crate::abi::hvm::HvmParam;
    use crate::abi::memory::DOMID_SELF;
    if is_pv() {
        let pending = upcall::pending_flag();
        if !pending.is_null() {
            mask_pv_events(pending);
        }
    } else {
        crate::Xencall::open(None, crate::OpenFlags::empty())?.hvm_set_param(
            DOMID_SELF,
            HvmParam::CALLBACK_IRQ,
            0,
        )?;
    }
    upcall::set_pending_flag(core::ptr::null_mut());
    Ok(())
}

/// Sleep until an event arrives, with event delivery enabled for the
/// sleep only, so that the event that wakes the vCPU is delivered (and the
/// upcall taken) at once. `EINVAL` before [`enable_upcall`]: nothing would
/// handle the event; `EOPNOTSUPP` off the boot vCPU's stack (on another
/// vCPU, or on a stack of the caller's own, where the vCPU is unknown).
///
/// Unmasking and sleeping must be one step, or an event already pending
/// is taken in between and the sleep waits for another. PV: Xen's
/// `SCHEDOP_block` clears the event mask itself, then checks for pending
/// events. PVH: `sti; hlt`, as Linux's HVM idle does. `sti` holds
/// interrupts off for one more instruction only, so the sleeping
/// instruction must directly follow it: after `sti; call
/// hypercall_page+...` the interrupt is taken before the page stub's first
/// instruction, and `sti; vmmcall` (op in registers) hangs too, measured
/// here: Xen runs the hypercall before it steps past the instruction, so
/// `SCHEDOP_block` still sees interrupts blocked by the `sti` shadow and
/// sleeps. Xen's `hlt` exit steps past the instruction first (ending the
/// shadow), then blocks unless an interrupt is deliverable.
pub(crate) fn block_with_upcalls() -> Result<()> {
    // Only the boot vCPU's events are delivered (its vcpu_info, its
    // upcall): on another vCPU the block would never end. The vCPU is
    // told by the runtime stack the code runs on.
    let sp: usize;
    // SAFETY: reads the stack pointer.
    unsafe {
        core::arch::asm!("mov {}, rsp", out(reg) sp, options(nomem, nostack, preserves_flags))
    };
    if stack_guard::stack_owner(sp) != Some(0) {
        return Err(crate::error::Error::Xen(crate::abi::XenErrno::EOPNOTSUPP));
    }
    let pending = upcall::pending_flag();
    if pending.is_null() {
        return Err(crate::error::Error::Xen(crate::abi::XenErrno::EINVAL));
    }
    if is_pv() {
        let xc = crate::Xencall::open(None, crate::OpenFlags::empty())?;
        // `sti` is privileged for a PV kernel: SCHEDOP_block itself clears
        // the vcpu_info's event mask; the event is delivered on the way
        // back, and the mask is set again here.
        let r = xc.sched_block();
        mask_pv_events(pending);
        return r;
    }
    // SAFETY: interrupts are enabled only across `hlt`; the upcall
    // vector's handler (the only interrupt source the runtime enables)
    // saves what it uses and returns with `iretq`. Not `nomem`: the
    // handler writes memory; not `nostack`: the interrupt frame is pushed
    // on this stack (the target has no red zone).
    unsafe { core::arch::asm!("sti", "hlt", "cli") };
    Ok(())
}

/// Mask event delivery for a PV vCPU (its "cli"): set the
/// `evtchn_upcall_mask` byte of `vcpu_info`, the one `enable_upcall` was
/// given (non-null).
fn mask_pv_events(vcpu_info: *mut u8) {
    // SAFETY: `vcpu_info` is the registered vcpu_info, valid while upcalls
    // are enabled; byte 1 is its evtchn_upcall_mask, the guest's to set.
    unsafe { vcpu_info.add(1).write_volatile(1) };
}

/// The boot profile's counter: the TSC (`rdtsc` is allowed at CPL0 in
/// PVH and, emulated by Xen if need be, in a PV kernel).
pub(crate) fn counter() -> u64 {
    let (lo, hi): (u32, u32);
    // SAFETY: `rdtsc` reads the time-stamp counter into edx:eax and has no
    // other effect.
    unsafe {
        core::arch::asm!("rdtsc", out("eax") lo, out("edx") hi, options(nomem, nostack, preserves_flags))
    };
    (u64::from(hi) << 32) | u64::from(lo)
}

/// The counter's name and frequency for the boot profile: the TSC's rate
/// is not known to a PV guest, so 0 (under `-icount` it counts
/// instructions).
pub(crate) fn counter_kind() -> (&'static str, u64) {
    ("tsc", 0)
}

/// Upcalls taken so far.
pub(crate) fn upcall_count() -> u64 {
    upcall::count()
}

/// Make the page at `addr` (a translated guest's frame, identity-mapped)
/// usable as memory shared with a backend: the PVH entry code's identity
/// map already covers the first 4 GiB write-back; anything above is not
/// mapped (`false`). (PV maps machine frames with `update_va_mapping`
/// instead.)
pub(crate) fn map_shared_page(addr: u64) -> bool {
    !is_pv() && addr < 4 << 30
}

/// This domain's id where the CPU tells it cheaply: CPUID leaf base+4 of a
/// PVH guest. PV guests see no such leaf.
pub(crate) fn own_domain_id() -> Option<u16> {
    if is_pv() {
        return None;
    }
    crate::arch::XenCpuid::detect()?.domain_id()
}
