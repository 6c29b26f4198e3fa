//! PVH: one task-state segment per vCPU, for its interrupt stack table.
//! The double-fault gate runs on IST 1, a stack of its own, so that a
//! fault whose frame cannot be pushed (the stack overflowed into its guard
//! page) is still handled and reported instead of escalating to a triple
//! fault. Only the double fault switches stacks, as in Linux: a page fault
//! on IST would restart its stack from the top on a nested page fault and
//! overwrite the frame being handled.
//!
//! (PV guests have no TSS: Xen delivers their exceptions itself.)

use core::mem::MaybeUninit;

use x86_64::structures::gdt::{Descriptor, SegmentSelector};
use x86_64::structures::tss::TaskStateSegment;
use x86_64::PrivilegeLevel;

/// The IST slot of the double-fault gate (1-based, as the IDT counts).
pub(super) const DOUBLE_FAULT_IST: u8 = 1;

/// A double fault's stack: the report prints, formats and calls Xen.
const IST_STACK_SIZE: usize = 16 * 1024;

#[repr(C, align(16))]
struct IstStack([u8; IST_STACK_SIZE]);

static mut IST_STACKS: [IstStack; super::VCPUS] =
    [const { IstStack([0; IST_STACK_SIZE]) }; super::VCPUS];

/// Uninitialised until `load` writes each: a `TaskStateSegment::new()`
/// initialiser has a non-zero field (the I/O map base), which would put
/// all of them in `.data`, 936 bytes of the image.
static mut TSS: [MaybeUninit<TaskStateSegment>; super::VCPUS] =
    [const { MaybeUninit::uninit() }; super::VCPUS];

extern "C" {
    /// The GDT's TSS descriptors, 16 bytes per vCPU (`entry`).
    static mut xencall_gdt_tss: [[u64; 2]; super::VCPUS];
}

/// The GDT selector of vCPU `vcpu`'s TSS: its descriptors follow the four
/// 8-byte segment descriptors.
fn selector(vcpu: usize) -> SegmentSelector {
    SegmentSelector::new((4 + 2 * vcpu) as u16, PrivilegeLevel::Ring0)
}

/// Set up and load this vCPU's TSS (`vcpu` < `VCPUS`, each loaded once,
/// by the vCPU itself).
pub(super) fn load(vcpu: u32) {
    let v = vcpu as usize;
    if v >= super::VCPUS {
        return;
    }
    // SAFETY: slot `v` of the TSS, IST-stack and descriptor arrays belongs
    // to vCPU `v`, which runs this once before anything can use them; the
    // TSS lives forever, as the descriptor requires.
    unsafe {
        let stack = core::ptr::addr_of_mut!(IST_STACKS[v]);
        let top = stack as u64 + IST_STACK_SIZE as u64;
        let tss: &'static mut TaskStateSegment =
            (*core::ptr::addr_of_mut!(TSS[v])).write(TaskStateSegment::new());
        // The stack's top is an address of the image: canonical, so
        // truncating changes nothing (and cannot panic, unlike `new`).
        tss.interrupt_stack_table[usize::from(DOUBLE_FAULT_IST - 1)] =
            x86_64::VirtAddr::new_truncate(top);
        let tss: &'static TaskStateSegment = tss;
        let Descriptor::SystemSegment(low, high) = Descriptor::tss_segment(tss) else {
            return;
        };
        core::ptr::addr_of_mut!(xencall_gdt_tss[v]).write_volatile([low, high]);
        x86_64::instructions::tables::load_tss(selector(v));
    }
}
