//! `domctl`: per-domain control, for the control domain. The raw `domctl`
//! takes the interface version; the typed wrappers use the running
//! release's ([`Xencall::xen_release`](crate::Xencall::xen_release)).

use crate::abi::domctl::{DomctlCmd, XenDomctl, XenDomctlGetdomaininfo};
use crate::abi::sysctl::{SysctlCmd, XenSysctlGetdomaininfolist};
use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::Result;
use crate::handle::Xencall;

impl<B: Backend> Xencall<B> {
    /// Run domctl `cmd` on `domain` with `payload` at `interface_version`
    /// (Xen 4.17: [`XEN_DOMCTL_INTERFACE_VERSION`](crate::abi::domctl::XEN_DOMCTL_INTERFACE_VERSION);
    /// another is `EACCES`; [`xen_release`](Self::xen_release) gives the
    /// running Xen's). Returns the payload as Xen left it.
    /// `domctl_getdomaininfo` is the safe way to its command, at the
    /// running release's version.
    ///
    /// # Safety
    /// As [`sysctl`](Self::sysctl): every guest handle in the payload must
    /// be a live hypercall buffer large enough for what `cmd` writes there,
    /// and the command must not make Xen write other memory of this domain
    /// (commands on this domain's own memory, mappings or vCPUs included).
    ///
    /// ```no_run
    /// use xencall::abi::domctl::DomctlCmd;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let domid = 1u16;
    /// // The running Xen's version (0x15 on 4.17, 0x17 on 4.20); a wrong one is EACCES.
    /// let v = xc.xen_release()?.domctl_interface_version;
    /// // Pause and unpause carry no payload: `()` sends none.
    /// // SAFETY: no payload, and pausing another domain touches none of ours.
    /// unsafe { xc.domctl(DomctlCmd::PAUSEDOMAIN, v, domid, ())? };
    /// // ... inspect the stopped domain ...
    /// // SAFETY: as above.
    /// unsafe { xc.domctl(DomctlCmd::UNPAUSEDOMAIN, v, domid, ())? };
    /// # Ok(()) }
    /// ```
    pub unsafe fn domctl<T: FromBytes + IntoBytes + Immutable>(
        &self,
        cmd: DomctlCmd,
        interface_version: u32,
        domain: u16,
        payload: T,
    ) -> Result<T> {
        let op = self.buffer(XenDomctl::new(cmd, interface_version, domain, payload))?;
        // SAFETY: Xen reads and writes the structure in the buffer; the
        // caller vouches for the command and its payload's handles.
        unsafe { self.call1(HypercallOp::DOMCTL, op.addr())? };
        Ok(op.read().payload())
    }

    /// `XEN_DOMCTL_getdomaininfo`: `domain`'s state, or that of the next
    /// domain above it that exists (check the returned `domain`). At the
    /// running release's interface version (a release the crate does not
    /// know: [`Error::UnknownXenRelease`](crate::Error::UnknownXenRelease)).
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let domid = 1u16;
    /// let info = xc.domctl_getdomaininfo(domid)?;
    /// // A gone domain is answered for by the next one up: check before trusting it.
    /// if info.domain == domid {
    ///     println!("d{domid}: {} pages, {} vCPUs online", info.tot_pages, info.nr_online_vcpus);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn domctl_getdomaininfo(&self, domain: u16) -> Result<XenDomctlGetdomaininfo> {
        let version = self.xen_release()?.domctl_interface_version;
        // SAFETY: getdomaininfo's payload holds no guest handle, and Xen
        // only writes it.
        unsafe {
            self.domctl(
                DomctlCmd::GETDOMAININFO,
                version,
                domain,
                XenDomctlGetdomaininfo::default(),
            )
        }
    }

    /// `XEN_SYSCTL_getdomaininfolist`: the domains from `first` on, into
    /// `out`; returns how many were written. At the running release's
    /// sysctl interface version.
    ///
    /// ```no_run
    /// use xencall::abi::domctl::XenDomctlGetdomaininfo;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let mut batch = [XenDomctlGetdomaininfo::default(); 16];
    /// let mut first = 0;
    /// loop {
    ///     let n = xc.sysctl_getdomaininfolist(first, &mut batch)?;
    ///     batch[..n].iter().for_each(|d| println!("d{}: {} pages", d.domain, d.tot_pages));
    ///     // A short batch is the last; otherwise go on after the highest ID seen.
    ///     if n < batch.len() { break; }
    ///     first = batch[n - 1].domain + 1;
    /// }
    /// # Ok(()) }
    /// ```
    pub fn sysctl_getdomaininfolist(
        &self,
        first: u16,
        out: &mut [XenDomctlGetdomaininfo],
    ) -> Result<usize> {
        let version = self.xen_release()?.sysctl_interface_version;
        let list = self.buffer_array(out.len(), XenDomctlGetdomaininfo::default())?;
        // SAFETY: `buffer` is `list`, alive for the call with room for
        // `max_domains` entries, the most Xen writes.
        let r = unsafe {
            self.sysctl(
                SysctlCmd::GETDOMAININFOLIST,
                version,
                XenSysctlGetdomaininfolist {
                    first_domain: first,
                    max_domains: out.len() as u32,
                    buffer: list.addr(),
                    num_domains: 0,
                    ..Default::default()
                },
            )?
        };
        let n = (r.num_domains as usize).min(out.len());
        for (i, slot) in out.iter_mut().enumerate().take(n) {
            // SAFETY: `i < len`; volatile because Xen wrote the entries.
            *slot = unsafe { list.as_ptr().add(i).read_volatile() };
        }
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domain_info_crosses_in_the_union() {
        let xc = crate::mock::mock_handle(4);
        xc.backend().respond(|op, a| {
            if op == 17 {
                return 4 << 16 | 17; // XENVER_version: Xen 4.17
            }
            assert_eq!(op, 36);
            // SAFETY: a xen_domctl in a hypercall buffer.
            let d = unsafe { &mut *(a[0] as *mut XenDomctl) };
            assert_eq!((d.cmd, d.interface_version, d.domain), (5, 0x15, 0));
            let mut info: XenDomctlGetdomaininfo = d.payload();
            (info.domain, info.tot_pages, info.nr_online_vcpus) = (0, 32768, 1);
            *d = XenDomctl::new(DomctlCmd::GETDOMAININFO, 0x15, 0, info);
            0
        });
        let info = xc.domctl_getdomaininfo(0).unwrap();
        assert_eq!((info.tot_pages, info.nr_online_vcpus), (32768, 1));
        assert_eq!(xc.pool().free_page_count(), 4);
    }
}
