//! `__HYPERVISOR_domctl` (`public/domctl.h`): per-domain control for the
//! control domain. Like sysctl, every call carries the interface version
//! (0x15 on Xen 4.17, 0x17 on 4.20; a wrong one is `EACCES`). The typed
//! wrappers take the running release's from [`release`](super::release).
//!
//! ```
//! use xencall::abi::domctl::{DomctlCmd, XenDomctl, XEN_DOMCTL_INTERFACE_VERSION};
//! use xencall::{abi::XenErrno, mock::MockBackend, Error, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // Play Xen 4.17: a request at another interface version is refused.
//! xc.backend().set_responder(&|_, a| {
//!     let d = unsafe { *(a[0] as *const XenDomctl) };
//!     if d.interface_version == 0x15 { 0 } else { -13i64 as u64 }
//! });
//! // SAFETY: no payload; the mock only looks at the version.
//! unsafe { xc.domctl(DomctlCmd::PAUSEDOMAIN, XEN_DOMCTL_INTERFACE_VERSION, 1, ())? };
//! // SAFETY: as above.
//! let from_4_16 = unsafe { xc.domctl(DomctlCmd::PAUSEDOMAIN, 0x14, 1, ()) };
//! assert_eq!(from_4_16, Err(Error::Xen(XenErrno::EACCES)));
//! # Ok::<(), xencall::Error>(())
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use core::mem::size_of;

/// `XEN_DOMCTL_INTERFACE_VERSION` of Xen 4.17 (4.18: 0x16, 4.19 and 4.20:
/// 0x17; see [`release::KNOWN_RELEASES`](super::release::KNOWN_RELEASES)).
pub const XEN_DOMCTL_INTERFACE_VERSION: u32 = 0x15;

xen_code! {
    /// A `domctl` command (`XEN_DOMCTL_*`), the ones this crate wraps.
    ///
    /// ```
    /// use xencall::abi::domctl::DomctlCmd;
    ///
    /// assert_eq!(format!("{:?}", DomctlCmd::UNPAUSEDOMAIN), "UNPAUSEDOMAIN");
    /// assert_eq!(DomctlCmd::UNPAUSEDOMAIN.0, 4); // XEN_DOMCTL_unpausedomain
    /// assert_eq!(format!("{:?}", DomctlCmd(6)), "DomctlCmd(6)");
    /// ```
    pub struct DomctlCmd(u32);
    CREATEDOMAIN = 1;
    DESTROYDOMAIN = 2;
    PAUSEDOMAIN = 3;
    UNPAUSEDOMAIN = 4;
    GETDOMAININFO = 5;
}

/// `struct xen_domctl`: command, version, target domain and a 128-byte
/// union of per-command payloads.
///
/// ```
/// use xencall::abi::domctl::{DomctlCmd, XenDomctl, XEN_DOMCTL_INTERFACE_VERSION};
///
/// // Pause domain 3: no payload, so the union stays zero.
/// let d = XenDomctl::new(DomctlCmd::PAUSEDOMAIN, XEN_DOMCTL_INTERFACE_VERSION, 3, ());
/// assert_eq!((d.cmd, d.domain, d.u), (3, 3, [0; 16]));
/// assert_eq!(core::mem::size_of::<XenDomctl>(), 144); // sizeof(struct xen_domctl)
/// assert_eq!(core::mem::offset_of!(XenDomctl, u), 16);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct XenDomctl {
    /// A [`DomctlCmd`] value.
    pub cmd: u32,
    /// [`XEN_DOMCTL_INTERFACE_VERSION`].
    pub interface_version: u32,
    /// The domain the command acts on.
    pub domain: u16,
    /// Must be zero.
    pub _pad: [u16; 3],
    /// The payload (`u` in C), as raw words: see [`XenDomctl::new`] and
    /// [`XenDomctl::payload`].
    pub u: [u64; 16],
}

abi_layout! {
    XEN_DOMCTL = struct XenDomctl as "struct xen_domctl", size 144, align 8 {
        cmd @ 0,
        interface_version @ 4,
        domain @ 8,
        _pad @ 10,
        u @ 16,
    }
}

impl XenDomctl {
    /// A request for `cmd` on `domain` carrying `payload` (at most 128
    /// bytes).
    ///
    /// ```
    /// use xencall::abi::domctl::{DomctlCmd, XenDomctl, XenDomctlGetdomaininfo};
    ///
    /// let query = XenDomctlGetdomaininfo { domain: 1, ..Default::default() };
    /// let d = XenDomctl::new(DomctlCmd::GETDOMAININFO, 0x15, 1, query);
    /// // The payload starts the union: its first field is the low 16 bits.
    /// assert_eq!(d.u[0] & 0xffff, 1);
    /// ```
    ///
    /// A payload larger than the union does not build:
    ///
    /// ```compile_fail,E0080
    /// use xencall::abi::domctl::{DomctlCmd, XenDomctl};
    /// let d = XenDomctl::new(DomctlCmd::PAUSEDOMAIN, 0x15, 1, [0u8; 129]);
    /// ```
    pub fn new<T: IntoBytes + Immutable>(
        cmd: DomctlCmd,
        interface_version: u32,
        domain: u16,
        payload: T,
    ) -> XenDomctl {
        const { assert!(size_of::<T>() <= 128) };
        let mut d = XenDomctl {
            cmd: cmd.0,
            interface_version,
            domain,
            _pad: [0; 3],
            u: [0; 16],
        };
        // `IntoBytes`: every byte of the payload is initialised, so the
        // union's words hold no stale bytes Xen would read; `Immutable`:
        // zerocopy may view a shared payload as bytes.
        d.u.as_mut_bytes()[..size_of::<T>()].copy_from_slice(payload.as_bytes());
        d
    }

    /// The payload as a `T`.
    ///
    /// ```
    /// use xencall::abi::domctl::{DomctlCmd, XenDomctl, XenDomctlGetdomaininfo};
    ///
    /// // A getdomaininfo request as Xen leaves it: the answer is in the union.
    /// let answer = XenDomctlGetdomaininfo { domain: 1, tot_pages: 65536, ..Default::default() };
    /// let d = XenDomctl::new(DomctlCmd::GETDOMAININFO, 0x15, 1, answer);
    /// assert_eq!(d.payload::<XenDomctlGetdomaininfo>().tot_pages, 65536);
    /// ```
    pub fn payload<T: FromBytes>(&self) -> T {
        const { assert!(size_of::<T>() <= 128) };
        // `FromBytes`: whatever Xen left in the union is a valid `T`.
        match T::read_from_prefix(self.u.as_bytes()) {
            Ok((payload, _)) => payload,
            // `T` fits in the union (checked above).
            Err(_) => unreachable!(),
        }
    }
}

/// `struct xen_arch_domainconfig`, x86 layout.
///
/// ```
/// use xencall::abi::domctl::XenArchDomainconfig;
///
/// // A PVH guest's, as getdomaininfo reports it: Xen emulates only the local
/// // APIC (XEN_X86_EMU_LAPIC, bit 0); an HVM guest has many more bits set.
/// let pvh = XenArchDomainconfig { emulation_flags: 1 << 0, misc_flags: 0 };
/// assert_eq!(core::mem::size_of_val(&pvh), 8); // sizeof(struct xen_arch_domainconfig)
/// ```
#[cfg(not(target_arch = "aarch64"))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XenArchDomainconfig {
    /// `XEN_X86_EMU_*`: the devices Xen emulates for the domain.
    pub emulation_flags: u32,
    /// `XEN_X86_*` miscellaneous flags.
    pub misc_flags: u32,
}

#[cfg(not(target_arch = "aarch64"))]
abi_layout! {
    XEN_ARCH_DOMAINCONFIG = struct XenArchDomainconfig as "struct xen_arch_domainconfig", size 8, align 4 {
        emulation_flags @ 0,
        misc_flags @ 4,
    }
}

/// `struct xen_arch_domainconfig`, Arm layout (Xen 4.18 named its byte 1
/// `sve_vl`; offsets and size are the same from 4.17 to 4.20).
///
/// ```
/// use xencall::abi::domctl::XenArchDomainconfig;
///
/// // A guest with a GICv3 (XEN_DOMCTL_CONFIG_GIC_V3), 32 SPIs and the host's timer.
/// let cfg = XenArchDomainconfig { gic_version: 2, tee_type: 0, nr_spis: 32, clock_frequency: 0, ..Default::default() };
/// assert_eq!(core::mem::size_of_val(&cfg), 12); // sizeof(struct xen_arch_domainconfig)
/// ```
#[cfg(target_arch = "aarch64")]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XenArchDomainconfig {
    /// `XEN_DOMCTL_CONFIG_GIC_*`.
    pub gic_version: u8,
    /// Xen 4.18 and later: the SVE vector length divided by 128 (0: no
    /// SVE). Xen 4.17 has no such field: this byte is padding there (keep
    /// it 0 for 4.17), so one layout serves every release.
    pub sve_vl: u8,
    /// `XEN_DOMCTL_CONFIG_TEE_*`.
    pub tee_type: u16,
    /// Shared peripheral interrupts.
    pub nr_spis: u32,
    /// Timer frequency (Hz), 0 for the host's.
    pub clock_frequency: u32,
}

#[cfg(target_arch = "aarch64")]
abi_layout! {
    XEN_ARCH_DOMAINCONFIG = struct XenArchDomainconfig as "struct xen_arch_domainconfig", size 12, align 4 {
        gic_version @ 0,
        sve_vl @ 1,
        tee_type @ 2,
        nr_spis @ 4,
        clock_frequency @ 8,
    }
}

/// `struct xen_domctl_getdomaininfo` (also the element of sysctl's
/// `getdomaininfolist`).
///
/// ```
/// use xencall::abi::domctl::{DomctlCmd, XenDomctl, XenDomctlGetdomaininfo};
/// use xencall::{abi::sched::ShutdownReason, mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: domain 1 crashed (XEN_DOMINF_shutdown, the reason in bits 16..24).
/// xc.backend().set_responder(&|op, a| {
///     if op == 17 { return 4 << 16 | 17; } // XENVER_version: Xen 4.17, domctl 0x15
///     let info = XenDomctlGetdomaininfo { domain: 1, flags: 1 << 2 | 3 << 16, ..Default::default() };
///     unsafe { *(a[0] as *mut XenDomctl) = XenDomctl::new(DomctlCmd::GETDOMAININFO, 0x15, 1, info) };
///     0
/// });
/// let info = xc.domctl_getdomaininfo(1)?;
/// assert_ne!(info.flags & 1 << 2, 0);
/// assert_eq!(ShutdownReason(info.flags >> 16 & 0xff), ShutdownReason::CRASH);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XenDomctlGetdomaininfo {
    /// The domain.
    pub domain: u16,
    /// Must be zero.
    pub pad1: u16,
    /// `XEN_DOMINF_*`.
    pub flags: u32,
    /// Pages held.
    pub tot_pages: u64,
    /// Maximum pages.
    pub max_pages: u64,
    /// Pages promised but not allocated.
    pub outstanding_pages: u64,
    /// Shared pages.
    pub shr_pages: u64,
    /// Paged-out pages.
    pub paged_pages: u64,
    /// Frame of the shared-info page.
    pub shared_info_frame: u64,
    /// CPU time used, in ns.
    pub cpu_time: u64,
    /// vCPUs online.
    pub nr_online_vcpus: u32,
    /// Highest vCPU ID.
    pub max_vcpu_id: u32,
    /// XSM security reference.
    pub ssidref: u32,
    /// The domain's UUID.
    pub handle: [u8; 16],
    /// Its CPU pool.
    pub cpupool: u32,
    /// Guest-physical address width.
    pub gpaddr_bits: u8,
    /// Must be zero.
    pub pad2: [u8; 7],
    /// Architecture configuration.
    pub arch_config: XenArchDomainconfig,
    /// Padding C leaves implicit after the Arm `arch_config`; zero.
    #[cfg(target_arch = "aarch64")]
    pub _pad_tail: u32,
}

// The Arm `arch_config` is 4 bytes longer, and padding rounds it to 8.
#[cfg(not(target_arch = "aarch64"))]
abi_layout! {
    XEN_DOMCTL_GETDOMAININFO = struct XenDomctlGetdomaininfo as "struct xen_domctl_getdomaininfo", size 112, align 8 {
        domain @ 0,
        pad1 @ 2,
        flags @ 4,
        tot_pages @ 8,
        max_pages @ 16,
        outstanding_pages @ 24,
        shr_pages @ 32,
        paged_pages @ 40,
        shared_info_frame @ 48,
        cpu_time @ 56,
        nr_online_vcpus @ 64,
        max_vcpu_id @ 68,
        ssidref @ 72,
        handle @ 76,
        cpupool @ 92,
        gpaddr_bits @ 96,
        pad2 @ 97,
        arch_config @ 104,
    }
}

#[cfg(target_arch = "aarch64")]
abi_layout! {
    XEN_DOMCTL_GETDOMAININFO = struct XenDomctlGetdomaininfo as "struct xen_domctl_getdomaininfo", size 120, align 8 {
        domain @ 0,
        pad1 @ 2,
        flags @ 4,
        tot_pages @ 8,
        max_pages @ 16,
        outstanding_pages @ 24,
        shr_pages @ 32,
        paged_pages @ 40,
        shared_info_frame @ 48,
        cpu_time @ 56,
        nr_online_vcpus @ 64,
        max_vcpu_id @ 68,
        ssidref @ 72,
        handle @ 76,
        cpupool @ 92,
        gpaddr_bits @ 96,
        pad2 @ 97,
        arch_config @ 104,
    }
    rust_padding { _pad_tail @ 116 }
}
