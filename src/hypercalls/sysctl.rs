//! `sysctl`: host-wide information and Xen's own console ring, for the
//! control domain. The raw `sysctl` takes the interface version; the typed
//! wrappers use the running release's
//! ([`Xencall::xen_release`](crate::Xencall::xen_release)).

use crate::abi::sysctl::{SysctlCmd, XenSysctl, XenSysctlPhysinfo, XenSysctlReadconsole};
use zerocopy::{FromBytes, Immutable, IntoBytes};

use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::bounce::Direction;
use crate::error::Result;
use crate::handle::Xencall;

impl<B: Backend> Xencall<B> {
    /// Run sysctl `cmd` with `payload` at `interface_version` (Xen 4.17:
    /// [`XEN_SYSCTL_INTERFACE_VERSION`](crate::abi::sysctl::XEN_SYSCTL_INTERFACE_VERSION); a version Xen does not speak is
    /// `EACCES`; [`xen_release`](Self::xen_release) gives the running
    /// Xen's). Returns the payload as Xen left it. The wrappers below
    /// (`sysctl_physinfo`, `sysctl_readconsole`, `sysctl_getdomaininfolist`)
    /// are the safe way to the commands they serve, at the running
    /// release's version.
    ///
    /// # Safety
    /// Xen acts on `cmd` with the payload's fields: every guest handle in
    /// it (an address, such as `readconsole`'s `buffer`) must be a live
    /// hypercall buffer large enough for what the command writes there, and
    /// the command must not make Xen write other memory of this domain.
    /// Payloads are plain data (zerocopy's traits), but their addresses are
    /// the caller's to vouch for; safe code cannot pass one:
    ///
    /// ```compile_fail,E0133
    /// use xencall::abi::sysctl::{SysctlCmd, XenSysctlReadconsole, XEN_SYSCTL_INTERFACE_VERSION};
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // Xen would write up to 4096 bytes of its console at address 0x1000.
    /// let anywhere = XenSysctlReadconsole { buffer: 0x1000, count: 4096, ..Default::default() };
    /// xc.sysctl(SysctlCmd::READCONSOLE, XEN_SYSCTL_INTERFACE_VERSION, anywhere)?;
    /// # Ok(()) }
    /// ```
    ///
    /// ```no_run
    /// use xencall::abi::sysctl::{SysctlCmd, XenSysctlPhysinfo, XEN_SYSCTL_INTERFACE_VERSION};
    /// use xencall::{abi::XenErrno, Error};
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let v = XEN_SYSCTL_INTERFACE_VERSION; // 0x15: Xen 4.17 to 4.20 (`xen_release` says)
    /// // SAFETY: physinfo's payload holds no address.
    /// match unsafe { xc.sysctl(SysctlCmd::PHYSINFO, v, XenSysctlPhysinfo::default()) } {
    ///     Ok(p) => println!("{} CPUs at {} kHz", p.nr_cpus, p.cpu_khz),
    ///     // A later Xen release: its payloads may differ, so stop rather than guess.
    ///     Err(Error::Xen(XenErrno::EACCES)) => println!("sysctl interface is not {v:#x}"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub unsafe fn sysctl<T: FromBytes + IntoBytes + Immutable>(
        &self,
        cmd: SysctlCmd,
        interface_version: u32,
        payload: T,
    ) -> Result<T> {
        let op = self.buffer(XenSysctl::new(cmd, interface_version, payload))?;
        // SAFETY: Xen reads and writes the structure in the buffer; the
        // caller vouches for the guest handles in the payload.
        unsafe { self.call1(HypercallOp::SYSCTL, op.addr())? };
        Ok(op.read().payload())
    }

    /// `XEN_SYSCTL_physinfo`: CPUs, memory and capabilities of the host,
    /// at the running release's interface version (a release the crate
    /// does not know: [`Error::UnknownXenRelease`](crate::Error::UnknownXenRelease)).
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // Control domain only: a domU is refused (EPERM).
    /// let p = xc.sysctl_physinfo()?;
    /// println!("{} CPUs, {} of {} MiB free", p.nr_cpus, p.free_pages >> 8, p.total_pages >> 8);
    /// # Ok(()) }
    /// ```
    pub fn sysctl_physinfo(&self) -> Result<XenSysctlPhysinfo> {
        let version = self.xen_release()?.sysctl_interface_version;
        // SAFETY: physinfo's payload holds no guest handle.
        unsafe { self.sysctl(SysctlCmd::PHYSINFO, version, XenSysctlPhysinfo::default()) }
    }

    /// `XEN_SYSCTL_readconsole`: copy Xen's console ring into `buf`, from
    /// the oldest byte kept or, with `from`, from that index; `clear`
    /// empties the ring. Returns `(bytes read, index to continue from)`.
    /// At the running release's interface version, as `sysctl_physinfo`.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let mut buf = [0u8; 4096];
    /// let mut from = None; // start at the oldest byte Xen still holds
    /// loop {
    ///     let (n, next) = xc.sysctl_readconsole(&mut buf, from, false)?;
    ///     if n == 0 { break; }
    ///     print!("{}", String::from_utf8_lossy(&buf[..n]));
    ///     // Continue after what was read; not clearing leaves the log for `xl dmesg`.
    ///     from = Some(next);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn sysctl_readconsole(
        &self,
        buf: &mut [u8],
        from: Option<u32>,
        clear: bool,
    ) -> Result<(usize, u32)> {
        let version = self.xen_release()?.sysctl_interface_version;
        let room = buf.len().min(u32::MAX as usize);
        let mut result = (0, 0);
        self.bounce(&mut buf[..room], Direction::Out, |addr| {
            // SAFETY: `buffer` is the bounce buffer of `room` bytes, alive
            // for the call, and `count` says so; Xen writes at most that.
            let r = unsafe {
                self.sysctl(
                    SysctlCmd::READCONSOLE,
                    version,
                    XenSysctlReadconsole {
                        clear: clear.into(),
                        incremental: from.is_some().into(),
                        index: from.unwrap_or(0),
                        buffer: addr,
                        count: room as u32,
                        ..Default::default()
                    },
                )?
            };
            result = ((r.count as usize).min(room), r.index);
            Ok(())
        })?;
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_cross_in_the_union_with_the_version() {
        let xc = crate::mock::mock_handle(4);
        xc.backend().respond(|op, a| {
            if op == 17 {
                return 4 << 16 | 17; // XENVER_version: Xen 4.17
            }
            assert_eq!(op, 35);
            // SAFETY: a xen_sysctl in a hypercall buffer.
            let s = unsafe { &mut *(a[0] as *mut XenSysctl) };
            if s.interface_version != 0x15 {
                return -13i64 as u64;
            }
            match s.cmd {
                3 => {
                    let mut p: XenSysctlPhysinfo = s.payload();
                    (p.nr_cpus, p.total_pages) = (2, 131072);
                    *s = XenSysctl::new(SysctlCmd::PHYSINFO, 0x15, p);
                }
                1 => {
                    let mut r: XenSysctlReadconsole = s.payload();
                    // SAFETY: the caller's bounce buffer of `count` bytes.
                    unsafe {
                        core::ptr::copy_nonoverlapping(b"(XEN) hi".as_ptr(), r.buffer as *mut u8, 8)
                    };
                    (r.count, r.index) = (8, 8);
                    *s = XenSysctl::new(SysctlCmd::READCONSOLE, 0x15, r);
                }
                _ => unreachable!(),
            }
            0
        });
        let p = xc.sysctl_physinfo().unwrap();
        assert_eq!((p.nr_cpus, p.total_pages), (2, 131072));
        let mut buf = [0u8; 64];
        assert_eq!(xc.sysctl_readconsole(&mut buf, None, false), Ok((8, 8)));
        assert_eq!(&buf[..8], b"(XEN) hi");
        assert_eq!(
            // SAFETY: physinfo's payload holds no address.
            unsafe { xc.sysctl(SysctlCmd::PHYSINFO, 0x14, XenSysctlPhysinfo::default()) },
            Err(crate::Error::Xen(crate::abi::XenErrno::EACCES))
        );
        assert_eq!(xc.pool().free_page_count(), 4);
    }
}
