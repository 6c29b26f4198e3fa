//! The privilege level the CPU runs at, which tells an HVM/PVH kernel
//! (ring 0) from a 64-bit PV kernel (ring 3, like user space): what each
//! may do differs.

use crate::error::{Error, Result};

/// The CPU's current privilege level: the requested privilege level of
/// `cs`, which is what the CPU runs at (0 for an HVM/PVH kernel, 3 for a
/// 64-bit PV kernel and for user space).
pub(crate) fn current_privilege_level() -> u8 {
    use x86_64::instructions::segmentation::{Segment, CS};
    CS::get_reg().rpl() as u8
}

/// `Ok` where the HVM mechanisms (the hypercall-page MSR, `vmcall`,
/// `vmmcall`) may be used: at privilege level 0 only. In ring 3 the MSR
/// write faults (#GP) and the instructions raise #UD.
pub(crate) fn hvm_instructions_allowed(cpl: u8) -> Result<()> {
    if cpl == 0 {
        Ok(())
    } else {
        Err(Error::NoHypervisor)
    }
}

/// `true` on a 64-bit PV kernel: bare metal (no OS under us) in ring 3.
/// User space on the host runs in ring 3 too, but is no Xen guest kernel.
pub(crate) fn pv_kernel() -> bool {
    cfg!(target_os = "none") && current_privilege_level() == 3
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_ring_0_may_use_the_hvm_mechanisms() {
        assert_eq!(hvm_instructions_allowed(0), Ok(()));
        // A 64-bit PV kernel runs in ring 3 (and a 32-bit one in ring 1).
        for cpl in 1..=3 {
            assert_eq!(hvm_instructions_allowed(cpl), Err(Error::NoHypervisor));
        }
    }

    #[test]
    fn host_user_space_runs_in_ring_3_and_is_no_pv_kernel() {
        assert_eq!(current_privilege_level(), 3);
        assert!(!pv_kernel());
    }
}
