//! `update_va_mapping`: an x86 PV kernel's edit of its own page tables.

use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::Result;
use crate::handle::Xencall;

impl<B: Backend> Xencall<B> {
    /// `HYPERVISOR_update_va_mapping`: set the level-1 page-table entry
    /// that maps the page at virtual address `va` to `pte` (a machine frame
    /// number shifted by 12 plus x86 page flags), then flush the TLB as
    /// `flags` (`UVMF_*`) says. Only PV guests have this; Xen validates the
    /// entry (the frame must be one the guest may map) and answers
    /// `EINVAL` or `EPERM` otherwise.
    ///
    /// ```
    /// use xencall::abi::callback::UVMF_INVLPG;
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // Map machine frame 0x1234 read-write at 0x40_0000 (present, rw, user,
    /// // accessed, dirty: a 64-bit PV kernel runs in ring 3).
    /// let pte = (0x1234 << 12) | 0x67;
    /// // SAFETY (of the example): the mock only records the call.
    /// unsafe { xc.update_va_mapping(0x40_0000, pte, UVMF_INVLPG)? };
    /// assert_eq!(xc.backend().last(), Some((14, 3, [0x40_0000, pte, 2, 0, 0])));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    ///
    /// # Safety
    /// Whatever the page at `va` held before is no longer reachable there,
    /// and whatever `pte` maps becomes readable (and writable) at `va`: no
    /// live Rust reference may point into that page, and the caller owns
    /// what it maps.
    pub unsafe fn update_va_mapping(&self, va: u64, pte: u64, flags: u64) -> Result<()> {
        // SAFETY: plain integer arguments; the caller vouches for the
        // mapping change.
        unsafe { self.call3(HypercallOp::UPDATE_VA_MAPPING, va, pte, flags)? };
        Ok(())
    }
}
