//! `xen_version`: what Xen this is and what it offers. Every sub-command
//! works for every guest, privileged or not.

use crate::abi::xen_version::{
    XenCapabilitiesInfo, XenChangesetInfo, XenCompileInfo, XenDomainHandle, XenExtraversion,
    XenFeatureInfo, XenPlatformParameters, XenVersionCmd,
};
use zerocopy::{FromBytes, IntoBytes};

use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::Result;
use crate::handle::Xencall;

use super::CString;

/// Xen's version (`XENVER_version`).
///
/// ```
/// use xencall::hypercalls::XenVersion;
///
/// let running = XenVersion { major: 4, minor: 17 };
/// // Ordered by (major, minor), so feature gates read naturally.
/// assert!(running >= XenVersion { major: 4, minor: 15 });
/// assert_eq!(running.to_string(), "4.17");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct XenVersion {
    /// Major version (4 for Xen 4.17).
    pub major: u16,
    /// Minor version (17 for Xen 4.17).
    pub minor: u16,
}

impl core::fmt::Display for XenVersion {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

/// How Xen was built (`XENVER_compile_info`).
///
/// ```no_run
/// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
/// let info = xc.xen_compile_info()?;
/// // Worth a line in a boot log: two builds of one version differ here.
/// println!("Xen built by {}@{} on {} ({})",
///     info.compile_by, info.compile_domain, info.compile_date, info.compiler);
/// # Ok(()) }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CompileInfo {
    /// The compiler and its version.
    pub compiler: CString<64>,
    /// Who built it.
    pub compile_by: CString<16>,
    /// Their domain.
    pub compile_domain: CString<32>,
    /// When.
    pub compile_date: CString<32>,
}

bitflags::bitflags! {
    /// Feature flags of submap 0 (`XENVER_get_features`, `XENFEAT_*`).
    ///
    /// ```
    /// use xencall::hypercalls::XenFeatures;
    ///
    /// // Two bits a PVH dom0 sees, plus bit 31, which has no name yet.
    /// let f = XenFeatures::from_bits_retain((1 << 2) | (1 << 11) | (1 << 31));
    /// assert!(f.contains(XenFeatures::AUTO_TRANSLATED_PHYSMAP | XenFeatures::DOM0));
    /// // Unknown bits are kept, not dropped, so they can still be tested.
    /// assert_eq!(f.bits() >> 31, 1);
    /// ```
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
    pub struct XenFeatures: u32 {
        /// PV page tables may be written directly.
        const WRITABLE_PAGE_TABLES = 1 << 0;
        /// PV descriptor tables may be written directly.
        const WRITABLE_DESCRIPTOR_TABLES = 1 << 1;
        /// Xen translates guest-physical addresses (HVM, PVH, Arm).
        const AUTO_TRANSLATED_PHYSMAP = 1 << 2;
        /// The kernel may run in ring 0 (PV).
        const SUPERVISOR_MODE_KERNEL = 1 << 3;
        /// PAE page directories may lie above 4 GiB.
        const PAE_PGDIR_ABOVE_4GB = 1 << 4;
        /// `MMU_PT_UPDATE_PRESERVE_AD` is supported.
        const MMU_PT_UPDATE_PRESERVE_AD = 1 << 5;
        /// `HVMOP_pagetable_dying`-style highmem assist.
        const HIGHMEM_ASSIST = 1 << 6;
        /// Grant mappings have available PTE bits.
        const GNTTAB_MAP_AVAIL_BITS = 1 << 7;
        /// Event delivery through a callback vector.
        const HVM_CALLBACK_VECTOR = 1 << 8;
        /// A safe PV clock for HVM guests.
        const HVM_SAFE_PVCLOCK = 1 << 9;
        /// PIRQs for HVM guests.
        const HVM_PIRQS = 1 << 10;
        /// The domain may be dom0.
        const DOM0 = 1 << 11;
        /// `XENMEMF_vnode` is understood.
        const MEMORY_OP_VNODE_SUPPORTED = 1 << 13;
        /// Arm: the SMC calling convention is supported.
        const ARM_SMCCC_SUPPORTED = 1 << 14;
        /// x86 PVH: the ACPI RSDP may be anywhere.
        const LINUX_RSDP_UNRESTRICTED = 1 << 15;
        /// Arm: guest memory is not 1:1 mapped.
        const NOT_DIRECT_MAPPED = 1 << 16;
        /// Arm: guest memory is 1:1 mapped.
        const DIRECT_MAPPED = 1 << 17;
    }
}

impl<B: Backend> Xencall<B> {
    /// `XENVER_version`.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let v = xc.xen_version()?;
    /// assert!(v.major >= 4);
    /// # Ok(()) }
    /// ```
    pub fn xen_version(&self) -> Result<XenVersion> {
        // SAFETY: XENVER_version reads and writes no memory.
        let v =
            unsafe { self.call2(HypercallOp::XEN_VERSION, XenVersionCmd::VERSION.0.into(), 0)? };
        Ok(XenVersion {
            major: (v >> 16) as u16,
            minor: v as u16,
        })
    }

    /// Run a `xen_version` sub-command that fills a `T` in a buffer.
    fn version_query<T: Copy + FromBytes + IntoBytes>(
        &self,
        cmd: XenVersionCmd,
        initial: T,
    ) -> Result<T> {
        let buffer = self.buffer(initial)?;
        // SAFETY: `cmd` writes at most a `T` into the buffer, which lives
        // until after the call.
        unsafe { self.call2(HypercallOp::XEN_VERSION, cmd.0.into(), buffer.addr())? };
        Ok(buffer.read())
    }

    /// `XENVER_extraversion`: the version suffix, such as `.7`.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let (v, extra) = (xc.xen_version()?, xc.xen_extraversion()?);
    /// // Full version string, e.g. "4.17.3" or "4.18-unstable".
    /// println!("Xen {v}{extra}");
    /// # Ok(()) }
    /// ```
    pub fn xen_extraversion(&self) -> Result<CString<16>> {
        let raw: XenExtraversion = self.version_query(XenVersionCmd::EXTRAVERSION, [0; 16])?;
        Ok(CString::from_bytes(raw))
    }

    /// `XENVER_compile_info`.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let info = xc.xen_compile_info()?;
    /// // A bug report wants the compiler, e.g. "gcc (Debian 12.2.0-14) 12.2.0".
    /// println!("compiled with {}", info.compiler);
    /// # Ok(()) }
    /// ```
    pub fn xen_compile_info(&self) -> Result<CompileInfo> {
        let raw = self.version_query(XenVersionCmd::COMPILE_INFO, XenCompileInfo::default())?;
        Ok(CompileInfo {
            compiler: CString::from_bytes(raw.compiler),
            compile_by: CString::from_bytes(raw.compile_by),
            compile_domain: CString::from_bytes(raw.compile_domain),
            compile_date: CString::from_bytes(raw.compile_date),
        })
    }

    /// `XENVER_capabilities`: the guest ABIs Xen runs, e.g.
    /// `xen-3.0-x86_64 hvm-3.0-x86_64`.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let caps = xc.xen_capabilities()?;
    /// // Space-separated ABIs; an x86 host without VT-x/SVM lists no "hvm-".
    /// let hvm = caps.as_str().split(' ').any(|abi| abi.starts_with("hvm-"));
    /// # let _ = hvm;
    /// # Ok(()) }
    /// ```
    pub fn xen_capabilities(&self) -> Result<CString<1024>> {
        let raw: XenCapabilitiesInfo =
            self.version_query(XenVersionCmd::CAPABILITIES, [0; 1024])?;
        Ok(CString::from_bytes(raw))
    }

    /// `XENVER_changeset`: the source revision Xen was built from.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let rev = xc.xen_changeset()?;
    /// // Pins down a development build, where the version number alone is ambiguous.
    /// println!("Xen changeset: {rev}");
    /// # Ok(()) }
    /// ```
    pub fn xen_changeset(&self) -> Result<CString<64>> {
        let raw: XenChangesetInfo = self.version_query(XenVersionCmd::CHANGESET, [0; 64])?;
        Ok(CString::from_bytes(raw))
    }

    /// `XENVER_platform_parameters`: the lowest virtual address Xen
    /// reserves in a PV guest (0 where nothing is reserved).
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let p = xc.xen_platform_parameters()?;
    /// // A PV guest's own page tables must leave Xen's area alone.
    /// if p.virt_start != 0 {
    ///     println!("Xen's mappings start at {:#x}", p.virt_start);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn xen_platform_parameters(&self) -> Result<XenPlatformParameters> {
        self.version_query(
            XenVersionCmd::PLATFORM_PARAMETERS,
            XenPlatformParameters::default(),
        )
    }

    /// `XENVER_get_features`, submap 0.
    ///
    /// ```no_run
    /// use xencall::hypercalls::XenFeatures;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let f = xc.xen_features()?;
    /// // Only a translated guest (PVH, HVM, Arm) may pick where shared info goes.
    /// if f.contains(XenFeatures::AUTO_TRANSLATED_PHYSMAP) {
    ///     // map it with `add_to_physmap`; a PV guest finds it in start_info
    /// }
    /// # Ok(()) }
    /// ```
    pub fn xen_features(&self) -> Result<XenFeatures> {
        let info = self.version_query(XenVersionCmd::GET_FEATURES, XenFeatureInfo::default())?;
        Ok(XenFeatures::from_bits_retain(info.submap))
    }

    /// `XENVER_pagesize`.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// xc.backend().set_responder(&|_, _| 4096);
    /// // The size comes back as the result itself: no buffer is involved.
    /// assert_eq!(xc.xen_pagesize()?, 4096);
    /// assert_eq!(xc.backend().last(), Some((17, 2, [7, 0, 0, 0, 0])));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn xen_pagesize(&self) -> Result<u64> {
        // SAFETY: XENVER_pagesize reads and writes no memory.
        unsafe {
            self.call2(
                HypercallOp::XEN_VERSION,
                XenVersionCmd::PAGESIZE.0.into(),
                0,
            )
        }
    }

    /// `XENVER_guest_handle`: this domain's UUID.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let uuid = xc.xen_guest_handle()?;
    /// // The toolstack's UUID for this domain, as `xl list -v` shows it.
    /// let hex: String = uuid.iter().map(|b| format!("{b:02x}")).collect();
    /// println!("domain UUID {hex}");
    /// # Ok(()) }
    /// ```
    pub fn xen_guest_handle(&self) -> Result<XenDomainHandle> {
        self.version_query(XenVersionCmd::GUEST_HANDLE, [0; 16])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mock::MockBackend;
    use crate::Error;

    fn handle() -> Xencall<MockBackend> {
        crate::mock::mock_handle(2)
    }

    /// A fake Xen answering `xen_version` as 4.17.7 would.
    fn fake_xen(op: u64, args: [u64; 5]) -> u64 {
        assert_eq!(op, 17, "only xen_version is expected");
        let write = |bytes: &[u8]| {
            // SAFETY: the crate passed a buffer large enough for the reply.
            unsafe {
                core::ptr::copy_nonoverlapping(bytes.as_ptr(), args[1] as *mut u8, bytes.len())
            }
        };
        match args[0] {
            0 => 0x0004_0011,
            1 => {
                write(b".7\0");
                0
            }
            2 => {
                let mut info = [0u8; 144];
                info[..8].copy_from_slice(b"gcc 12.2");
                info[64..70].copy_from_slice(b"debian");
                write(&info);
                0
            }
            3 => {
                write(b"xen-3.0-x86_64 hvm-3.0-x86_64\0");
                0
            }
            6 => {
                // SAFETY: a xen_feature_info buffer.
                let info = unsafe { &mut *(args[1] as *mut XenFeatureInfo) };
                assert_eq!(info.submap_idx, 0);
                info.submap = (1 << 11) | (1 << 2) | (1 << 31);
                0
            }
            7 => 4096,
            _ => -38i64 as u64,
        }
    }

    #[test]
    fn the_family_decodes_what_xen_writes() {
        let xc = handle();
        xc.backend().respond(fake_xen);
        assert_eq!(
            xc.xen_version(),
            Ok(XenVersion {
                major: 4,
                minor: 17
            })
        );
        assert_eq!(xc.xen_version().unwrap().to_string(), "4.17");
        assert_eq!(xc.xen_extraversion().unwrap().as_str(), ".7");
        let info = xc.xen_compile_info().unwrap();
        assert_eq!(info.compiler.as_str(), "gcc 12.2");
        assert_eq!(info.compile_by.as_str(), "debian");
        assert!(xc
            .xen_capabilities()
            .unwrap()
            .as_str()
            .contains("hvm-3.0-x86_64"));
        let f = xc.xen_features().unwrap();
        assert!(f.contains(XenFeatures::DOM0 | XenFeatures::AUTO_TRANSLATED_PHYSMAP));
        assert_eq!(f.bits() & (1 << 31), 1 << 31, "unknown bits are kept");
        assert_eq!(xc.xen_pagesize(), Ok(4096));
        assert_eq!(
            xc.xen_changeset().err(),
            Some(Error::Xen(crate::abi::XenErrno::ENOSYS))
        );
        // Every buffer went back to the pool.
        assert_eq!(xc.pool().free_page_count(), 2);
    }
}
