//! Finding Xen on Arm without a device tree: the SMC Calling Convention's
//! "Call UID" query for the standard hypervisor service range, over the
//! `hvc #0` conduit, which Xen answers with its UID (`XEN_SMCCC_UID` in
//! `public/arch-arm/smccc.h`).
//!
//! `hvc` is only safe to try where something at EL2 takes it: at EL1
//! (at EL2 it would call our own vectors) on a CPU that implements EL2
//! (`ID_AA64PFR0_EL1.EL2`; without it `hvc` is undefined). Another
//! hypervisor answers the query with its own UID or `NOT_SUPPORTED`
//! (-1), and a firmware stub at EL2 with an error: none is Xen's UID. One
//! case is left that faults: EL2 implemented but `hvc` disabled by its
//! firmware (`HCR_EL2.HCD`), where `hvc` is undefined too.

/// `Call UID` of the standard hypervisor service calls (SMC32, fast):
/// owner 5, function 0xff01.
const HYPERVISOR_CALL_UID: u64 = 0x8500_ff01;

/// Xen's UID as the query returns it: four bytes per register, the first
/// in the low-order bits (UUID a71812dc-c698-4369-9acf-79d18ddee667).
const XEN_UID: [u64; 4] = [0xdc12_18a7, 0x6943_98c6, 0xd179_cf9a, 0x67e6_de8d];

/// `true` if the CPU runs at EL1 and implements EL2: `hvc` then traps to
/// whatever runs there.
fn hvc_reaches_el2() -> bool {
    let (current_el, pfr0): (u64, u64);
    // SAFETY: reading CurrentEL and ID_AA64PFR0_EL1 has no side effects.
    unsafe {
        core::arch::asm!(
            "mrs {el}, currentel",
            "mrs {pfr0}, id_aa64pfr0_el1",
            el = out(reg) current_el,
            pfr0 = out(reg) pfr0,
            options(nomem, nostack, preserves_flags)
        )
    };
    (current_el >> 2) & 3 == 1 && (pfr0 >> 8) & 0xf != 0
}

/// `true` when Xen is the hypervisor at EL2.
pub(crate) fn xen_present() -> bool {
    if !hvc_reaches_el2() {
        return false;
    }
    let (w0, w1, w2, w3): (u64, u64, u64, u64);
    // SAFETY: an SMCCC fast call that only returns values; SMCCC 1.0 lets
    // the callee change x0..x17, all declared. Something at EL2 takes the
    // `hvc` (checked above).
    unsafe {
        core::arch::asm!(
            "hvc #0",
            inout("x0") HYPERVISOR_CALL_UID => w0,
            out("x1") w1, out("x2") w2, out("x3") w3,
            out("x4") _, out("x5") _, out("x6") _, out("x7") _,
            out("x8") _, out("x9") _, out("x10") _, out("x11") _,
            out("x12") _, out("x13") _, out("x14") _, out("x15") _,
            out("x16") _, out("x17") _,
            options(nomem, nostack)
        )
    };
    // The UID is 32-bit values in w0..w3: compare the low halves.
    [w0, w1, w2, w3].iter().map(|w| w & 0xffff_ffff).eq(XEN_UID)
}
