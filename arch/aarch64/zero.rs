//! Zeroing whole buffer pages: `dc zva`, one cache-line block per
//! instruction, as Linux's `clear_page` does. The kernel targets' `memset`
//! has no SIMD and stores 8 bytes at a time, so a page costs it some 512
//! stores and their loop; the block zeroing is about 64 instructions
//! (`cargo qemu bench`'s allocation row measures it).

use crate::buffers::PAGE_SIZE;

/// `DCZID_EL0.DZP`: `dc zva` is prohibited (it would trap or fault).
const DZP: u64 = 1 << 4;

/// Zero `len` bytes at `ptr`: whole pages, page-aligned.
///
/// Falls back to a plain `write_bytes` where `DCZID_EL0` prohibits the
/// instruction (a hypervisor trapping it sets DZP) or names a block larger
/// than a page.
///
/// # Safety
/// `ptr..ptr + len` must be valid for writes and be Normal memory (`dc
/// zva` faults on Device memory, which is all memory while the MMU is off;
/// buffer pages are only freed once the runtime has turned it on), with
/// `ptr` and `len` multiples of [`PAGE_SIZE`].
#[inline]
pub(crate) unsafe fn zero_pages(ptr: *mut u8, len: usize) {
    let dczid: u64;
    // SAFETY: DCZID_EL0 is readable at every exception level and reading it
    // changes nothing; no memory, stack or flags involved.
    unsafe {
        core::arch::asm!(
            "mrs {}, dczid_el0",
            out(reg) dczid,
            options(nomem, nostack, preserves_flags),
        )
    };
    let block = 4usize << (dczid & 0xf);
    if dczid & DZP != 0 || block > PAGE_SIZE {
        // SAFETY: the caller's range, valid for writes.
        unsafe { core::ptr::write_bytes(ptr, 0, len) };
        return;
    }
    let end = ptr as usize + len;
    let mut at = ptr as usize;
    while at < end {
        // SAFETY: `at` is block-aligned (a page-aligned start, and the
        // block, a power of two no larger than a page, divides it) and its
        // block lies inside the caller's writable Normal memory. Not
        // `nomem`: it writes memory, so the compiler keeps it ordered with
        // the buffer's other accesses.
        unsafe { core::arch::asm!("dc zva, {}", in(reg) at, options(nostack, preserves_flags)) };
        at += block;
    }
}
