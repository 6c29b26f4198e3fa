//! Which Xen release is running, for the interface versions of the typed
//! sysctl and domctl wrappers (see [`abi::release`](crate::abi::release)).

use core::sync::atomic::Ordering;

use crate::abi::release::XenReleaseAbi;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::handle::Xencall;

impl<B: Backend> Xencall<B> {
    /// The running Xen's entry in
    /// [`KNOWN_RELEASES`](crate::abi::release::KNOWN_RELEASES), from
    /// `XENVER_version` (asked once per handle: a domain's Xen does not
    /// change under it). A release the crate does not know is
    /// [`Error::UnknownXenRelease`], naming it.
    ///
    /// ```
    /// use xencall::{abi::HypercallOp, mock::MockBackend, Error, OpenFlags, Xencall};
    ///
    /// // Play a Xen that answers XENVER_version (and nothing else).
    /// fn on(responder: xencall::mock::Responder) -> Xencall<MockBackend> {
    ///     let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    ///     xc.backend().set_responder(responder);
    ///     xc
    /// }
    /// let xen_4_20 = on(&|op, _| {
    ///     assert_eq!(op, u64::from(HypercallOp::XEN_VERSION.0));
    ///     4 << 16 | 20
    /// });
    /// let r = xen_4_20.xen_release()?;
    /// assert_eq!(r.domctl_interface_version, 0x17);
    /// // Xen 4.21 is newer than the crate: a clear error, before any sysctl/domctl.
    /// let newer = on(&|_, _| 4 << 16 | 21);
    /// assert_eq!(newer.xen_release(), Err(Error::UnknownXenRelease { major: 4, minor: 21 }));
    /// assert_eq!(newer.domctl_getdomaininfo(0), Err(Error::UnknownXenRelease { major: 4, minor: 21 }));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn xen_release(&self) -> Result<&'static XenReleaseAbi> {
        let mut raw = self.version_seen.load(Ordering::Relaxed);
        if raw == 0 {
            let v = self.xen_version()?;
            raw = u32::from(v.major) << 16 | u32::from(v.minor);
            self.version_seen.store(raw, Ordering::Relaxed);
        }
        let (major, minor) = ((raw >> 16) as u16, raw as u16);
        XenReleaseAbi::find(major, minor).ok_or(Error::UnknownXenRelease { major, minor })
    }
}

#[cfg(test)]
mod tests {
    use crate::abi::domctl::{DomctlCmd, XenDomctl, XenDomctlGetdomaininfo};
    use crate::abi::sysctl::{SysctlCmd, XenSysctl, XenSysctlPhysinfo};
    use crate::abi::xen_version::XenVersionCmd;
    use crate::abi::HypercallOp;
    use crate::Error;

    /// A fake Xen of release `major.minor` speaking `domctl`/`sysctl`
    /// versions: it answers `XENVER_version`, refuses any other interface
    /// version with EACCES as Xen does, and answers getdomaininfo and
    /// physinfo. Counts the sysctl/domctl calls it saw.
    fn fake_xen(
        major: u64,
        minor: u64,
        domctl: u32,
        sysctl: u32,
    ) -> (
        crate::Xencall<crate::mock::MockBackend>,
        &'static core::sync::atomic::AtomicUsize,
    ) {
        use core::sync::atomic::{AtomicUsize, Ordering};
        let seen: &'static AtomicUsize = Box::leak(Box::new(AtomicUsize::new(0)));
        let xc = crate::mock::mock_handle(4);
        xc.backend().respond(move |op, a| {
            if op == u64::from(HypercallOp::XEN_VERSION.0) {
                assert_eq!(a[0], u64::from(XenVersionCmd::VERSION.0));
                return major << 16 | minor;
            }
            seen.fetch_add(1, Ordering::Relaxed);
            if op == u64::from(HypercallOp::DOMCTL.0) {
                // SAFETY: a xen_domctl in a hypercall buffer.
                let d = unsafe { &mut *(a[0] as *mut XenDomctl) };
                if d.interface_version != domctl {
                    return -13i64 as u64;
                }
                let info = XenDomctlGetdomaininfo {
                    domain: d.domain,
                    tot_pages: 4096,
                    ..Default::default()
                };
                *d = XenDomctl::new(DomctlCmd::GETDOMAININFO, domctl, d.domain, info);
                return 0;
            }
            assert_eq!(op, u64::from(HypercallOp::SYSCTL.0));
            // SAFETY: a xen_sysctl in a hypercall buffer.
            let s = unsafe { &mut *(a[0] as *mut XenSysctl) };
            if s.interface_version != sysctl {
                return -13i64 as u64;
            }
            let p = XenSysctlPhysinfo {
                nr_cpus: 2,
                ..Default::default()
            };
            *s = XenSysctl::new(SysctlCmd::PHYSINFO, sysctl, p);
            0
        });
        (xc, seen)
    }

    #[test]
    fn typed_wrappers_speak_the_running_release() {
        // Every known release, each refusing the others' domctl version.
        for (minor, domctl) in [(17, 0x15), (18, 0x16), (19, 0x17), (20, 0x17)] {
            let (xc, seen) = fake_xen(4, minor, domctl, 0x15);
            let info = xc.domctl_getdomaininfo(3).unwrap();
            assert_eq!((info.domain, info.tot_pages), (3, 4096), "4.{minor}");
            assert_eq!(xc.sysctl_physinfo().unwrap().nr_cpus, 2, "4.{minor}");
            assert_eq!(seen.load(core::sync::atomic::Ordering::Relaxed), 2);
            // XENVER_version was asked once, then remembered.
            let last = xc.backend().last().unwrap();
            assert_eq!(last.0, u64::from(HypercallOp::SYSCTL.0));
        }
    }

    #[test]
    fn an_unknown_release_is_named_and_nothing_is_sent() {
        for (major, minor) in [(4, 16), (4, 21), (5, 0)] {
            let (xc, seen) = fake_xen(major, minor, 0x17, 0x15);
            let want = Error::UnknownXenRelease {
                major: major as u16,
                minor: minor as u16,
            };
            assert_eq!(xc.domctl_getdomaininfo(0), Err(want));
            assert_eq!(xc.sysctl_physinfo(), Err(want));
            let mut buf = [0u8; 16];
            assert_eq!(xc.sysctl_readconsole(&mut buf, None, false), Err(want));
            let mut list = [XenDomctlGetdomaininfo::default(); 2];
            assert_eq!(xc.sysctl_getdomaininfolist(0, &mut list), Err(want));
            // No sysctl or domctl reached the fake Xen.
            assert_eq!(seen.load(core::sync::atomic::Ordering::Relaxed), 0);
            // Every buffer came back.
            assert_eq!(xc.pool().free_page_count(), 4);
            let text = want.to_string();
            assert!(text.contains(&format!("Xen {major}.{minor} ")), "{text}");
        }
    }
}
