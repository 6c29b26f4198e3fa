//! The hypercall page: 128 stubs of 32 bytes that Xen writes into a guest
//! page, each loading its op into `eax` and trapping (`vmcall`/`vmmcall`
//! for HVM/PVH, `syscall` for PV).

use core::cell::UnsafeCell;
use core::ptr::NonNull;

use super::cpuid::XenCpuid;
use super::hypercall_asm;
use crate::abi::hypercall::{HypercallOp, HYPERCALL_PAGE_STUBS, HYPERCALL_STUB_SIZE};
use crate::abi::XenErrno;
use crate::backend::Backend;
use crate::error::{Error, Result};

/// `ret`: the poison written into the page before installation, so that an
/// install Xen ignored returns at once instead of running garbage, and can
/// be told apart from one that took.
const POISON: u8 = 0xc3;

/// Storage for the crate's own hypercall page: page-aligned, executable
/// and pre-filled with `ret` in the object file. The boot runtime names it
/// in the PV `XEN_ELFNOTE_HYPERCALL_PAGE` note, so Xen fills it for PV
/// guests; PVH/HVM guests install it through the MSR. The boot runtime's
/// linker script keeps it out of the file (it is zero at entry), which
/// [`HypercallPage::install`] handles by poisoning it first.
///
/// Xen writes it through its guest-physical address, bypassing the guest's
/// page tables, so it needs no writable mapping.
///
/// ```
/// use xencall::arch::{HypercallPage, HYPERCALL_PAGE_STORAGE};
///
/// let page = HYPERCALL_PAGE_STORAGE.as_ptr();
/// assert_eq!(page as usize % 4096, 0);
/// // Not filled by Xen (this is no PV guest): refused, not called into.
/// // SAFETY: the storage is a mapped, never-changing page here.
/// assert!(unsafe { HypercallPage::from_filled(page) }.is_err());
/// ```
#[repr(C, align(4096))]
pub struct HypercallPageStorage(UnsafeCell<[u8; 4096]>);

// SAFETY: the guest never writes the storage through this type; only Xen
// (an external agent, like a device) does, and reads go through raw
// pointers with volatile loads.
unsafe impl Sync for HypercallPageStorage {}

impl HypercallPageStorage {
    /// The page's address.
    ///
    /// ```
    /// use xencall::arch::HYPERCALL_PAGE_STORAGE;
    ///
    /// let page = HYPERCALL_PAGE_STORAGE.as_ptr();
    /// assert_eq!(page as usize % 4096, 0);
    /// // No Xen filled it here: it still holds the link-time `ret` (0xc3) fill.
    /// // SAFETY: the storage is a mapped page; nothing writes it on the host.
    /// assert_eq!(unsafe { page.add(17 * 32).read_volatile() }, 0xc3);
    /// ```
    pub fn as_ptr(&self) -> *mut u8 {
        self.0.get().cast()
    }
}

/// The crate's hypercall page (symbol `xencall_hypercall_page` with the
/// boot runtime or the C API).
// Under a fixed name only where something outside Rust names it (the PV
// ELF note, the upcall stub, C runtimes): a fixed name would clash when two
// versions of the crate share a link, which the `xencall-links` marker
// allows only for builds without `rt` and `c-api`.
#[cfg_attr(
    any(feature = "rt", feature = "c-api"),
    export_name = "xencall_hypercall_page"
)]
// With the boot runtime, a section of its own that its linker script makes
// NOLOAD (memory, no file bytes: 4 KiB less in every image); otherwise a
// `.text.*` section any linker script places as code.
#[cfg_attr(feature = "rt", link_section = ".xencall_hypercall_page")]
#[cfg_attr(not(feature = "rt"), link_section = ".text.xencall_hypercall_page")]
pub static HYPERCALL_PAGE_STORAGE: HypercallPageStorage =
    HypercallPageStorage(UnsafeCell::new([POISON; 4096]));

/// A filled hypercall page: the backend for [`HypercallMode::Page`](crate::arch::HypercallMode).
///
/// ```no_run
/// use xencall::arch::{set_native, HypercallPage, Native, HYPERCALL_PAGE_STORAGE};
///
/// // A PV guest whose `XEN_ELFNOTE_HYPERCALL_PAGE` names the crate's page
/// // (as the boot runtime's does): Xen filled it before entry.
/// // SAFETY: the page is part of the image, mapped for the program's life.
/// let page = unsafe { HypercallPage::from_filled(HYPERCALL_PAGE_STORAGE.as_ptr())? };
/// set_native(Native::Page(page));
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HypercallPage {
    base: NonNull<u8>,
}

// SAFETY: the page is immutable once filled and shared by all vCPUs.
unsafe impl Send for HypercallPage {}
// SAFETY: as above.
unsafe impl Sync for HypercallPage {}

impl HypercallPage {
    /// Install Xen's stubs into the page at `page` (guest-virtual) whose
    /// guest-physical address is `phys`, through the MSR from CPUID, and
    /// check that Xen filled it.
    ///
    /// Call in long mode: Xen latches the guest's 32/64-bit shared-info
    /// layout from the CPU mode at the MSR write.
    ///
    /// # Safety
    /// `page` must be a page-aligned, executable page of ordinary RAM at
    /// guest-physical `phys`, used for nothing else, and the caller must run
    /// at CPL0 in an HVM/PVH guest (WRMSR faults otherwise).
    ///
    /// ```no_run
    /// use xencall::arch::{HypercallPage, XenCpuid, HYPERCALL_PAGE_STORAGE};
    /// use xencall::Error;
    ///
    /// let xen = XenCpuid::detect().ok_or(Error::NoHypervisor)?;
    /// let page = HYPERCALL_PAGE_STORAGE.as_ptr();
    /// // SAFETY: a PVH guest at CPL0 with an identity map (guest-virtual =
    /// // guest-physical), and the crate's own page, used by nothing else.
    /// let hp = unsafe { HypercallPage::install(&xen, page, page as u64)? };
    /// assert_eq!(hp.as_ptr(), page.cast_const());
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub unsafe fn install(xen: &XenCpuid, page: *mut u8, phys: u64) -> Result<HypercallPage> {
        let base = NonNull::new(page).ok_or(Error::HypercallPageNotInstalled)?;
        if base.as_ptr() as usize % 4096 != 0 || phys % 4096 != 0 {
            return Err(Error::HypercallPageNotInstalled);
        }
        // SAFETY: readable, by the caller's contract.
        let state = unsafe { PageState::of(base.as_ptr()) };
        match state {
            // Filled by an earlier install: other vCPUs may be calling
            // through it right now, and poisoning it again would make
            // their calls return at once with garbage. Xen's stubs do not
            // depend on where the page is, so it serves as it is.
            PageState::Filled => return Ok(HypercallPage { base }),
            // The page may be mapped read-only: write only if needed.
            PageState::Poisoned => {}
            // SAFETY: the caller guarantees the page is ours, used for
            // nothing else, and writable; poisoning first makes a failed
            // install detectable.
            PageState::Other => unsafe { core::ptr::write_bytes(base.as_ptr(), POISON, 4096) },
        }
        let (msr, _pages) = xen.hypercall_page_msr();
        // SAFETY: the caller guarantees CPL 0 in an HVM/PVH guest, where
        // Xen's MSR takes the guest-physical address of a page to fill.
        unsafe { x86_64::registers::model_specific::Msr::new(msr).write(phys) };
        // SAFETY: `base` is a valid page by the caller's contract.
        unsafe { HypercallPage::from_filled(base.as_ptr()) }
    }

    /// Install into the crate's own page, assuming guest-virtual equals
    /// guest-physical (true under the boot runtime's identity map).
    ///
    /// # Safety
    /// As [`install`](Self::install), with the identity-mapping assumption.
    ///
    /// ```no_run
    /// use xencall::arch::{set_native, HypercallMode, HypercallPage, Native, XenCpuid};
    /// use xencall::Error;
    ///
    /// let xen = XenCpuid::detect().ok_or(Error::NoHypervisor)?;
    /// // SAFETY: a PVH guest at CPL0 under the boot runtime's identity map.
    /// let page = unsafe { HypercallPage::install_own(&xen)? };
    /// let native = set_native(Native::Page(page));
    /// assert_eq!(native.mode(), HypercallMode::Page);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub unsafe fn install_own(xen: &XenCpuid) -> Result<HypercallPage> {
        let page = HYPERCALL_PAGE_STORAGE.as_ptr();
        // SAFETY: the crate's page is page-aligned, executable and unused
        // by anything else; the caller vouches for the identity map.
        unsafe { HypercallPage::install(xen, page, page as u64) }
    }

    /// Use a page Xen already filled: a PV guest's page, placed by Xen at
    /// the address in the `XEN_ELFNOTE_HYPERCALL_PAGE` note. Refused unless
    /// the `xen_version` stub loads its op into `eax` as every stub Xen
    /// writes does (the poison, zeros or other bytes are not a filled page).
    ///
    /// # Safety
    /// `page` must point to a readable, executable page that stays mapped
    /// and unchanged for the rest of the program.
    ///
    /// ```
    /// use xencall::arch::{HypercallPage, HYPERCALL_PAGE_STORAGE};
    /// use xencall::Error;
    ///
    /// // On the host nothing filled the crate's page: refused, never called into.
    /// // SAFETY: the storage is a static, mapped and unchanged for good.
    /// let page = unsafe { HypercallPage::from_filled(HYPERCALL_PAGE_STORAGE.as_ptr()) };
    /// assert_eq!(page, Err(Error::HypercallPageNotInstalled));
    /// ```
    pub unsafe fn from_filled(page: *const u8) -> Result<HypercallPage> {
        let base = NonNull::new(page.cast_mut()).ok_or(Error::HypercallPageNotInstalled)?;
        // SAFETY: readable by the caller's contract.
        match unsafe { PageState::of(page) } {
            PageState::Filled => Ok(HypercallPage { base }),
            PageState::Poisoned | PageState::Other => Err(Error::HypercallPageNotInstalled),
        }
    }

    /// The page's address.
    ///
    /// ```no_run
    /// use xencall::arch::{HypercallPage, HYPERCALL_PAGE_STORAGE};
    ///
    /// // A PV guest whose ELF note names the crate's page: Xen filled it.
    /// // SAFETY: the page is part of the image, mapped for the program's life.
    /// let page = unsafe { HypercallPage::from_filled(HYPERCALL_PAGE_STORAGE.as_ptr())? };
    /// assert_eq!(page.as_ptr(), HYPERCALL_PAGE_STORAGE.as_ptr().cast_const());
    /// // Op n's stub is at `as_ptr() + n * 32`.
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn as_ptr(&self) -> *const u8 {
        self.base.as_ptr()
    }

    /// Entry of `op`'s stub, or `None` past the page's last stub.
    #[inline(always)]
    fn entry(&self, op: u64) -> Option<usize> {
        if op < HYPERCALL_PAGE_STUBS as u64 {
            Some(self.base.as_ptr() as usize + op as usize * HYPERCALL_STUB_SIZE)
        } else {
            None
        }
    }
}

/// What a page holds, as far as installing it is concerned, judged by
/// its `xen_version` stub.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum PageState {
    /// Xen's stubs: the stub loads its op into `eax`.
    Filled,
    /// The crate's poison, as before an install (or after one Xen ignored).
    Poisoned,
    /// Anything else: zeros, or whatever the page held before.
    Other,
}

impl PageState {
    /// The stub's first bytes Xen's stubs are told apart by.
    const PROBE: usize = 8;

    /// Judge the first bytes of the `xen_version` stub. Xen's stubs load
    /// the op with `mov $op, %eax` (`b8` and the op, little-endian):
    /// first on HVM/PVH (then `vmcall`/`vmmcall`; `ret`), after
    /// `push %rcx; push %r11` (`51 41 53`) for a 64-bit PV guest (then
    /// `syscall`).
    fn judge(stub: [u8; Self::PROBE]) -> PageState {
        let op = HypercallOp::XEN_VERSION.0.to_le_bytes();
        let mov = [0xb8, op[0], op[1], op[2], op[3]];
        if stub[..5] == mov || (stub[..3] == [0x51, 0x41, 0x53] && stub[3..8] == mov) {
            PageState::Filled
        } else if stub[0] == POISON {
            PageState::Poisoned
        } else {
            PageState::Other
        }
    }

    /// Judge the page at `page`.
    ///
    /// # Safety
    /// `page` must point to a readable 4096-byte page.
    unsafe fn of(page: *const u8) -> PageState {
        let stub = stub_addr(page, HypercallOp::XEN_VERSION.0);
        let mut bytes = [0u8; Self::PROBE];
        for (i, b) in bytes.iter_mut().enumerate() {
            // SAFETY: inside the page, by the caller's contract; volatile,
            // since Xen writes the page behind the compiler's back.
            *b = unsafe { stub.add(i).read_volatile() };
        }
        PageState::judge(bytes)
    }
}

fn stub_addr(page: *const u8, op: u32) -> *const u8 {
    page.wrapping_add(op as usize * HYPERCALL_STUB_SIZE)
}

/// What a page has no stub for: Xen's own answer to an unknown op.
const NO_STUB: u64 = (-(XenErrno::ENOSYS.0 as i64)) as u64;

// `options` omits `nostack` on purpose: `call` pushes a return address (and
// the PV stub's `syscall` path uses the guest stack). `nomem`/`readonly`
// are omitted because Xen reads and writes guest memory; `preserves_flags`
// because the stub and Xen change them.
impl Backend for HypercallPage {
    #[inline(always)]
    unsafe fn call0(&self, op: u64) -> u64 {
        let Some(entry) = self.entry(op) else {
            return NO_STUB;
        };
        let ret;
        // SAFETY: `entry` is a stub of a filled page; the caller upholds the
        // hypercall's own contract.
        unsafe {
            hypercall_asm!("call {entry}", [entry = in(reg) entry, lateout("rax") ret,],
                args: [], unused: ["rdi", "rsi", "rdx", "r10", "r8"])
        };
        ret
    }
    #[inline(always)]
    unsafe fn call1(&self, op: u64, a1: u64) -> u64 {
        let Some(entry) = self.entry(op) else {
            return NO_STUB;
        };
        let ret;
        // SAFETY: as in `call0`.
        unsafe {
            hypercall_asm!("call {entry}", [entry = in(reg) entry, lateout("rax") ret,],
                args: ["rdi" = a1], unused: ["rsi", "rdx", "r10", "r8"])
        };
        ret
    }
    #[inline(always)]
    unsafe fn call2(&self, op: u64, a1: u64, a2: u64) -> u64 {
        let Some(entry) = self.entry(op) else {
            return NO_STUB;
        };
        let ret;
        // SAFETY: as in `call0`.
        unsafe {
            hypercall_asm!("call {entry}", [entry = in(reg) entry, lateout("rax") ret,],
                args: ["rdi" = a1, "rsi" = a2], unused: ["rdx", "r10", "r8"])
        };
        ret
    }
    #[inline(always)]
    unsafe fn call3(&self, op: u64, a1: u64, a2: u64, a3: u64) -> u64 {
        let Some(entry) = self.entry(op) else {
            return NO_STUB;
        };
        let ret;
        // SAFETY: as in `call0`.
        unsafe {
            hypercall_asm!("call {entry}", [entry = in(reg) entry, lateout("rax") ret,],
                args: ["rdi" = a1, "rsi" = a2, "rdx" = a3], unused: ["r10", "r8"])
        };
        ret
    }
    #[inline(always)]
    unsafe fn call4(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64) -> u64 {
        let Some(entry) = self.entry(op) else {
            return NO_STUB;
        };
        let ret;
        // SAFETY: as in `call0`.
        unsafe {
            hypercall_asm!("call {entry}", [entry = in(reg) entry, lateout("rax") ret,],
                args: ["rdi" = a1, "rsi" = a2, "rdx" = a3, "r10" = a4], unused: ["r8"])
        };
        ret
    }
    #[inline(always)]
    unsafe fn call5(&self, op: u64, a1: u64, a2: u64, a3: u64, a4: u64, a5: u64) -> u64 {
        let Some(entry) = self.entry(op) else {
            return NO_STUB;
        };
        let ret;
        // SAFETY: as in `call0`.
        unsafe {
            hypercall_asm!("call {entry}", [entry = in(reg) entry, lateout("rax") ret,],
                args: ["rdi" = a1, "rsi" = a2, "rdx" = a3, "r10" = a4, "r8" = a5], unused: [])
        };
        ret
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xens_stubs_are_filled_the_poison_and_other_bytes_are_not() {
        // HVM/PVH on AMD: mov $17, %eax; vmmcall; ret (Intel: vmcall).
        let svm = [0xb8, 17, 0, 0, 0, 0x0f, 0x01, 0xd9];
        let vmx = [0xb8, 17, 0, 0, 0, 0x0f, 0x01, 0xc1];
        // 64-bit PV: push %rcx; push %r11; mov $17, %eax (then syscall).
        let pv = [0x51, 0x41, 0x53, 0xb8, 17, 0, 0, 0];
        for filled in [svm, vmx, pv] {
            assert_eq!(PageState::judge(filled), PageState::Filled, "{filled:02x?}");
        }
        assert_eq!(PageState::judge([POISON; 8]), PageState::Poisoned);
        assert_eq!(PageState::judge([0; 8]), PageState::Other);
        // Another op's stub where xen_version's should be is not Xen's
        // page for this op layout.
        assert_eq!(
            PageState::judge([0xb8, 18, 0, 0, 0, 0x0f, 0x01, 0xd9]),
            PageState::Other
        );
        assert_eq!(
            PageState::judge([0x51, 0x41, 0x53, 0xc3, 0, 0, 0, 0]),
            PageState::Other
        );
    }

    #[test]
    fn a_filled_page_is_never_poisoned_again() {
        // A page holding Xen's stub for xen_version: `install` must hand it
        // back as it is, without writing a byte (other vCPUs may be calling
        // through it) and without the MSR write (which would fault here).
        #[repr(C, align(4096))]
        struct Page([u8; 4096]);
        let mut page = Page([0xcc; 4096]);
        let at = HypercallOp::XEN_VERSION.0 as usize * HYPERCALL_STUB_SIZE;
        page.0[at..at + 9].copy_from_slice(&[0xb8, 17, 0, 0, 0, 0x0f, 0x01, 0xd9, 0xc3]);
        let before = page.0;
        let xen = XenCpuid {
            base: 0x4000_0000,
            max_leaf: 0x4000_0005,
        };
        let p = page.0.as_mut_ptr();
        // SAFETY: a page of our own; with it filled, install neither
        // writes it nor the MSR (either would fault or show here).
        let hp = unsafe { HypercallPage::install(&xen, p, p as u64) };
        assert_eq!(hp.map(|h| h.as_ptr()), Ok(p.cast_const()));
        assert!(page.0 == before, "the filled page was written");
    }
}
