//! Xen's shared-info page (wall clock, per-vCPU `vcpu_info` with the event
//! flags and time, the event-channel pending and mask bitmaps), mapped into
//! the guest once per boot: what [`events`](super::events) needs.

use core::ptr::NonNull;

use super::{BootInfo, RawBootInfo};
use crate::abi::shared_info::SharedInfo;
use crate::error::Result;

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
    let mut mapped = MAPPED.lock();
    if !*mapped {
        let xc = crate::Xencall::open(None, crate::OpenFlags::empty())?;
        match boot.raw {
            RawBootInfo::StartInfo(start_info) => {
                use crate::abi::callback::UVMF_INVLPG;
                use crate::abi::start_info::StartInfo;
                // SAFETY: Xen maps start_info for a PV guest for good.
                let maddr = unsafe {
                    core::ptr::addr_of!((*(start_info as *const StartInfo)).shared_info).read()
                };
                // Present, writable, user (a 64-bit PV kernel runs in ring
                // 3), accessed, dirty.
                let pte = (maddr & !0xfff) | 0x67;
                // SAFETY: PAGE is private to this module and nothing holds
                // a reference into it; from now on it shows Xen's page.
                unsafe { xc.update_va_mapping(page as u64, pte, UVMF_INVLPG)? };
            }
            _ => {
                use crate::abi::memory::{MapSpace, DOMID_SELF};
                xc.add_to_physmap(
                    DOMID_SELF,
                    MapSpace::SHARED_INFO,
                    0,
                    boot.frame_of(page as usize),
                )?;
            }
        }
        *mapped = true;
    }
    // SAFETY: the address of a static is never null.
    Ok(unsafe { NonNull::new_unchecked(page) })
}
