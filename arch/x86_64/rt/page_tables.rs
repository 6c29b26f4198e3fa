//! Unmapping one 4 KiB page of the runtime's address space (a stack's
//! guard page), in either mode.
//!
//! PVH: the entry code identity-maps the first 4 GiB with 2 MiB pages. The
//! 2 MiB page holding the guard is first split into 512 4 KiB pages with
//! the same translation (a table from `xencall_split_tables`, one per
//! guard), then the guard's entry is cleared and `invlpg` drops whatever
//! the TLB held for it, the 2 MiB entry included. Other vCPUs may still
//! hold the old 2 MiB translation; they never touch another vCPU's guard
//! page (that would be a wild access, not an overflow), and a vCPU started
//! afterwards begins with an empty TLB.
//!
//! PV: Xen built the page tables with 4 KiB pages and validates every
//! change: `update_va_mapping` with a zero entry unmaps the page, flushing
//! it from every vCPU's TLB.

use crate::abi::callback::{UVMF_ALL, UVMF_INVLPG};
use crate::error::{Error, Result};

/// A page-table entry: present and writable.
const PRESENT_WRITABLE: u64 = 0x3;
/// A page-directory entry's "2 MiB page" bit.
const HUGE: u64 = 1 << 7;
/// The identity map's reach: 4 GiB.
const IDENTITY_MAP_END: usize = 1 << 32;

extern "C" {
    /// The PVH identity map's four page directories: 2048 entries of
    /// 2 MiB each (`entry`).
    static mut xencall_pd: [u64; 2048];
    /// One page table per guard page (`super::VCPUS`).
    static mut xencall_split_tables: [[u64; 512]; super::VCPUS];
}

/// Split tables handed out, under a lock: `start_vcpu` may run on several
/// vCPUs at once.
static NEXT_SPLIT_TABLE: spin::Mutex<usize> = spin::Mutex::new(0);

/// Unmap the 4 KiB page at `page` (page-aligned, inside the image).
pub(super) fn unmap_page(page: usize) -> Result<()> {
    if page % 4096 != 0 {
        return Err(Error::Xen(crate::abi::XenErrno::EINVAL));
    }
    if super::is_pv() {
        // The page Xen filled: at entry no backend is registered yet.
        // SAFETY: the crate's page, in the image for the program's life.
        let page_backend = unsafe {
            crate::arch::HypercallPage::from_filled(crate::arch::HYPERCALL_PAGE_STORAGE.as_ptr())
        }?;
        let xc = crate::Xencall::with_backend(page_backend, None, crate::OpenFlags::empty());
        // SAFETY: `page` is a guard page of the runtime's own: nothing
        // owns its contents, and a zero entry only takes the mapping away.
        unsafe { xc.update_va_mapping(page as u64, 0, UVMF_INVLPG | UVMF_ALL) }
    } else {
        unmap_identity_mapped(page)
    }
}

/// PVH: clear the identity map's entry for `page`, splitting its 2 MiB
/// page first.
fn unmap_identity_mapped(page: usize) -> Result<()> {
    if page >= IDENTITY_MAP_END {
        return Err(Error::Xen(crate::abi::XenErrno::EINVAL));
    }
    let mut next = NEXT_SPLIT_TABLE.lock();
    // SAFETY: the page directories are the live identity map, changed only
    // here, under the lock; each entry is written whole with a volatile
    // store, so the page walker never sees a torn one.
    unsafe {
        let pde = core::ptr::addr_of_mut!(xencall_pd[page >> 21]);
        let entry = pde.read_volatile();
        let table = if entry & HUGE != 0 {
            let table = core::ptr::addr_of_mut!(xencall_split_tables)
                .cast::<[u64; 512]>()
                .wrapping_add(*next);
            if *next == super::VCPUS {
                return Err(Error::Xen(crate::abi::XenErrno::ENOMEM));
            }
            *next += 1;
            // The same 2 MiB, as 512 4 KiB pages: nothing moves.
            let base = (entry & !0x1f_ffff) & 0x000f_ffff_ffff_f000;
            for (i, pte) in (*table).iter_mut().enumerate() {
                *pte = (base + i as u64 * 4096) | PRESENT_WRITABLE;
            }
            // The identity map: the table's address is its physical one.
            pde.write_volatile(table as u64 | PRESENT_WRITABLE);
            table
        } else {
            // Split already, for another guard in the same 2 MiB.
            ((entry & 0x000f_ffff_ffff_f000) as usize) as *mut [u64; 512]
        };
        core::ptr::addr_of_mut!((*table)[(page >> 12) & 511]).write_volatile(0);
    }
    x86_64::instructions::tlb::flush(x86_64::VirtAddr::new_truncate(page as u64));
    Ok(())
}
