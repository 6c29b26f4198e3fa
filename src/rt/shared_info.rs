//! Xen's shared-info page (wall clock, per-vCPU `vcpu_info` with the event
//! flags and time, the event-channel pending and mask bitmaps), mapped into
//! the guest once per boot: what [`events`](super::events) needs.

use core::ptr::NonNull;

use super::{BootInfo, GuestMode};
use crate::abi::shared_info::SharedInfo;
use crate::error::{Error, Result};
use crate::frames::Frames;

/// The guest page that Xen's shared-info page replaces.
#[repr(C, align(4096))]
struct Page([u8; 4096]);

static mut PAGE: Page = Page([0; 4096]);

/// Whether [`PAGE`] shows Xen's page; held while mapping, so that two
/// vCPUs asking at once map it once.
static MAPPED: spin::Mutex<bool> = spin::Mutex::new(false);

/// Map the shared-info page (the first call; later ones return the same
/// page) and return it. Translated guests (PVH, Arm) put Xen's frame into
/// their physical map with `XENMEM_add_to_physmap`; a PV guest points one
/// of its own pages' virtual address at the machine frame `start_info`
/// names, with `update_va_mapping`. Xen on Arm refuses a second mapping
/// (`EBUSY`, even at the same frame), hence once per boot.
///
/// `boot` must be the one the runtime filled ([`Error::NoFrame`]
/// otherwise): where shared info is, and which frame our page has, come
/// from what it recorded at entry, not from `boot`'s public fields.
///
/// ```no_run
/// use core::ptr::addr_of;
/// use xencall::rt::{shared_info, BootInfo};
/// # fn demo(boot: &BootInfo) -> xencall::Result<()> {
/// let shared = shared_info::map(boot)?.as_ptr();
/// // Xen keeps the wall clock here; it writes concurrently, hence volatile.
/// // SAFETY: mapped for the rest of the boot.
/// let wc_sec = unsafe { addr_of!((*shared).wc_sec).read_volatile() };
/// # let _ = wc_sec;
/// # Ok(()) }
/// ```
pub fn map(boot: &BootInfo) -> Result<NonNull<SharedInfo>> {
    let page = core::ptr::addr_of_mut!(PAGE).cast::<SharedInfo>();
    let entered = boot.entered().ok_or(Error::NoFrame)?;
    let mut mapped = MAPPED.lock();
    if !*mapped {
        let xc = crate::Xencall::open(None, crate::OpenFlags::empty())?;
        match entered.mode {
            GuestMode::Pv => {
                use crate::abi::callback::UVMF_INVLPG;
                use crate::abi::start_info::StartInfo;
                // SAFETY: the runtime recorded Xen's `start_info`, which
                // Xen maps for a PV guest for good.
                let maddr = unsafe {
                    core::ptr::addr_of!((*(entered.start_info as *const StartInfo)).shared_info)
                        .read()
                };
                // Present, writable, user (a 64-bit PV kernel runs in ring
                // 3), accessed, dirty.
                let pte = (maddr & !0xfff) | 0x67;
                // SAFETY: PAGE is private to this module and nothing holds
                // a reference into it; from now on it shows Xen's page.
                unsafe { xc.update_va_mapping(page as u64, pte, UVMF_INVLPG)? };
            }
            GuestMode::Pvh | GuestMode::Arm => {
                use crate::abi::memory::{MapSpace, DOMID_SELF};
                let gpfn = boot.frame_of(page as usize)?;
                // SAFETY: `gpfn` is PAGE's frame (the runtime's identity
                // map); PAGE is private to this module, in no pool, and
                // from now on only ever read as Xen's page.
                unsafe { xc.add_to_physmap(DOMID_SELF, MapSpace::SHARED_INFO, 0, gpfn)? };
            }
        }
        *mapped = true;
    }
    // SAFETY: the address of a static is never null.
    Ok(unsafe { NonNull::new_unchecked(page) })
}
