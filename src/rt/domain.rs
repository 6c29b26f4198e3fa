//! Who this guest is (dom0 or a domU, and its id where that is cheap to
//! learn) and the pages a toolstack gave a domU: the PV console's and
//! xenstore's, with their event channels. Run once by `rt::start`, which
//! records the findings on [`BootInfo`].
//!
//! Where Xen says it, per mode:
//! * x86_64 PV: `start_info`. `SIF_INITDOMAIN` in `flags` marks dom0 (only
//!   Xen's own domain builder sets it, and it builds domain 0). A domU's
//!   `console.domU` (machine frame, port) and `store_mfn`/`store_evtchn`
//!   name the pages. libxc also maps them in the initial page tables, at
//!   the pseudo-physical address the `mfn_list` gives them, but that is a
//!   toolstack habit, not ABI: the runtime maps each machine frame over a
//!   page of its own with `update_va_mapping`, as it does shared info.
//! * x86_64 PVH and Arm: `XENFEAT_dom0` from `XENVER_get_features` marks
//!   dom0; a domU's pages are the guest frames in `HVM_PARAM_CONSOLE_PFN`,
//!   `HVM_PARAM_STORE_PFN` with ports `HVM_PARAM_CONSOLE_EVTCHN`,
//!   `HVM_PARAM_STORE_EVTCHN`. PVH's identity map covers them (below
//!   4 GiB); Arm maps them Normal memory first (they sit in the first GiB,
//!   which the runtime maps as Device memory otherwise).
//!
//! The domain id: 0 for dom0; on PVH CPUID's leaf base+4; elsewhere it is
//! in xenstore (`domid`), left for the guest to read.

use super::boot_info::{BootInfo, DomainRole, RingPage};

/// Fill `boot`'s role, domain id and ring pages (mapping the pages).
/// Without a working hypercall backend nothing changes.
pub(super) fn discover(boot: &mut BootInfo) {
    use super::boot_info::RawBootInfo;
    use crate::abi::start_info::{StartInfo, SIF_INITDOMAIN};
    let Ok(xc) = crate::Xencall::open(None, crate::OpenFlags::empty()) else {
        return;
    };
    match boot.raw {
        RawBootInfo::StartInfo(start_info) => {
            // SAFETY: Xen maps `start_info` for a PV guest for good.
            let info = unsafe { (start_info as *const StartInfo).read() };
            if info.flags & SIF_INITDOMAIN != 0 {
                boot.domain_role = DomainRole::Dom0;
                boot.domain_id = Some(0);
                return;
            }
            boot.domain_role = DomainRole::DomU;
            boot.domain_id = crate::arch::rt::own_domain_id();
            // `console` is a union: for a domU, the ring's frame, then its
            // port in the low half of the second word.
            boot.console_ring = pv::map(
                &xc,
                pv::Which::Console,
                info.console[0],
                info.console[1] as u32,
            );
            boot.xenstore_ring =
                pv::map(&xc, pv::Which::Xenstore, info.store_mfn, info.store_evtchn);
        }
        _ => {
            use crate::abi::hvm::HvmParam;
            use crate::hypercalls::XenFeatures;
            let dom0 = xc
                .xen_features()
                .is_ok_and(|f| f.contains(XenFeatures::DOM0));
            if dom0 {
                boot.domain_role = DomainRole::Dom0;
                boot.domain_id = Some(0);
                return;
            }
            boot.domain_role = DomainRole::DomU;
            boot.domain_id = crate::arch::rt::own_domain_id();
            let ring = |pfn: HvmParam, port: HvmParam| -> Option<RingPage> {
                use crate::abi::memory::DOMID_SELF;
                let frame = xc.hvm_get_param(DOMID_SELF, pfn).ok().filter(|&f| f != 0)?;
                let event_channel = xc.hvm_get_param(DOMID_SELF, port).ok()? as u32;
                let address = frame << 12;
                crate::arch::rt::map_shared_page(address).then_some(RingPage {
                    frame,
                    event_channel,
                    address,
                })
            };
            boot.console_ring = ring(HvmParam::CONSOLE_PFN, HvmParam::CONSOLE_EVTCHN);
            boot.xenstore_ring = ring(HvmParam::STORE_PFN, HvmParam::STORE_EVTCHN);
        }
    }
}

/// x86 PV: the runtime's own pages that show the machine frames.
#[cfg(target_arch = "x86_64")]
mod pv {
    use super::RingPage;

    /// A page of the image; once mapped, Xen's frame shows through it.
    #[repr(C, align(4096))]
    struct Page([u8; 4096]);

    static mut CONSOLE: Page = Page([0; 4096]);
    static mut XENSTORE: Page = Page([0; 4096]);

    /// Which ring.
    pub(super) enum Which {
        Console,
        Xenstore,
    }

    /// Map machine frame `mfn` over the ring's page; `None` if there is no
    /// frame or Xen refuses.
    pub(super) fn map(
        xc: &crate::Xencall,
        which: Which,
        mfn: u64,
        event_channel: u32,
    ) -> Option<RingPage> {
        use crate::abi::callback::UVMF_INVLPG;
        if mfn == 0 {
            return None;
        }
        let page = match which {
            Which::Console => core::ptr::addr_of_mut!(CONSOLE),
            Which::Xenstore => core::ptr::addr_of_mut!(XENSTORE),
        } as u64;
        // Present, writable, user (a 64-bit PV kernel runs in ring 3),
        // accessed, dirty.
        let pte = (mfn << 12) | 0x67;
        // SAFETY: the page is private to this module and nothing holds a
        // reference into it; from now on it shows the ring's frame, which
        // this domain owns (Xen checks, and refuses a frame it does not).
        unsafe { xc.update_va_mapping(page, pte, UVMF_INVLPG) }.ok()?;
        Some(RingPage {
            frame: mfn,
            event_channel,
            address: page,
        })
    }
}

/// Arm has no PV mode: never reached (the raw boot structure is a device
/// tree there).
#[cfg(not(target_arch = "x86_64"))]
mod pv {
    use super::RingPage;

    pub(super) enum Which {
        Console,
        Xenstore,
    }

    pub(super) fn map(_: &crate::Xencall, _: Which, _: u64, _: u32) -> Option<RingPage> {
        None
    }
}
