//! `__HYPERVISOR_sysctl` (`public/sysctl.h`): system-wide control for the
//! control domain. Every call carries the interface version; Xen refuses a
//! version it does not speak with `EACCES`.
//!
//! The version can change between Xen releases: 0x15 from Xen 4.17 to
//! 4.20 (4.16 used 0x14). The typed wrappers take the running release's
//! from [`release`](super::release); the raw
//! [`Xencall::sysctl`](crate::Xencall::sysctl) takes it explicitly, for a
//! release the crate does not know.
//!
//! ```
//! use xencall::abi::sysctl::{SysctlCmd, XenSysctl, XenSysctlPhysinfo};
//! use xencall::{mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // Play Xen: answer XEN_SYSCTL_physinfo for a 4-CPU host with 8 GiB.
//! xc.backend().set_responder(&|op, a| {
//!     if op == 17 { return 4 << 16 | 20; } // XENVER_version: Xen 4.20
//!     let s = unsafe { &mut *(a[0] as *mut XenSysctl) };
//!     let p = XenSysctlPhysinfo { nr_cpus: 4, total_pages: 2 << 20, ..s.payload() };
//!     *s = XenSysctl::new(SysctlCmd::PHYSINFO, s.interface_version, p);
//!     0
//! });
//! let p = xc.sysctl_physinfo()?;
//! assert_eq!((p.nr_cpus, p.total_pages * 4096), (4, 8 << 30));
//! # Ok::<(), xencall::Error>(())
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use core::mem::size_of;

/// `XEN_SYSCTL_INTERFACE_VERSION` of Xen 4.17 (the other releases':
/// [`release::KNOWN_RELEASES`](super::release::KNOWN_RELEASES)).
pub const XEN_SYSCTL_INTERFACE_VERSION: u32 = 0x15;

xen_code! {
    /// A `sysctl` command (`XEN_SYSCTL_*`), the ones this crate wraps.
    ///
    /// ```
    /// use xencall::abi::sysctl::SysctlCmd;
    ///
    /// assert_eq!(format!("{:?}", SysctlCmd::PHYSINFO), "PHYSINFO");
    /// assert_eq!(SysctlCmd::PHYSINFO.0, 3); // XEN_SYSCTL_physinfo
    /// assert_eq!(format!("{:?}", SysctlCmd(0)), "SysctlCmd(0)");
    /// ```
    pub struct SysctlCmd(u32);
    READCONSOLE = 1;
    TBUF_OP = 2;
    PHYSINFO = 3;
    SCHED_ID = 4;
    PERFC_OP = 5;
    GETDOMAININFOLIST = 6;
    DEBUG_KEYS = 7;
    GETCPUINFO = 8;
    AVAILHEAP = 9;
}

/// `struct xen_sysctl`: the command, the interface version and a
/// 128-byte union of per-command payloads.
///
/// ```
/// use xencall::abi::sysctl::XenSysctl;
///
/// // Unlike `xen_domctl` there is no domain field: the union follows at 8.
/// assert_eq!(core::mem::size_of::<XenSysctl>(), 136); // sizeof(struct xen_sysctl)
/// assert_eq!(core::mem::offset_of!(XenSysctl, u), 8);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct XenSysctl {
    /// A [`SysctlCmd`] value.
    pub cmd: u32,
    /// [`XEN_SYSCTL_INTERFACE_VERSION`].
    pub interface_version: u32,
    /// The payload (`u` in C), as raw words: copy a payload structure in
    /// and out with [`XenSysctl::new`] and [`XenSysctl::payload`].
    pub u: [u64; 16],
}

abi_layout! {
    XEN_SYSCTL = struct XenSysctl as "struct xen_sysctl", size 136, align 8 {
        cmd @ 0,
        interface_version @ 4,
        u @ 8,
    }
}

impl XenSysctl {
    /// A request for `cmd` carrying `payload` (which must fit in 128 bytes).
    ///
    /// ```
    /// use xencall::abi::sysctl::{SysctlCmd, XenSysctl, XenSysctlPhysinfo, XEN_SYSCTL_INTERFACE_VERSION};
    ///
    /// let p = XenSysctlPhysinfo { threads_per_core: 2, cores_per_socket: 8, ..Default::default() };
    /// let s = XenSysctl::new(SysctlCmd::PHYSINFO, XEN_SYSCTL_INTERFACE_VERSION, p);
    /// assert_eq!((s.cmd, s.interface_version), (3, 0x15));
    /// // The payload starts the union, its fields at their C offsets.
    /// assert_eq!(s.u[0], 2 | 8 << 32);
    /// ```
    ///
    /// A payload larger than the union does not build:
    ///
    /// ```compile_fail,E0080
    /// use xencall::abi::sysctl::{SysctlCmd, XenSysctl};
    /// let s = XenSysctl::new(SysctlCmd::PHYSINFO, 0x15, [0u64; 17]);
    /// ```
    pub fn new<T: IntoBytes + Immutable>(
        cmd: SysctlCmd,
        interface_version: u32,
        payload: T,
    ) -> XenSysctl {
        const { assert!(size_of::<T>() <= 128) };
        let mut s = XenSysctl {
            cmd: cmd.0,
            interface_version,
            u: [0; 16],
        };
        // `IntoBytes`: every byte of the payload is initialised, so the
        // union's words hold no stale bytes Xen would read; `Immutable`:
        // zerocopy may view a shared payload as bytes.
        s.u.as_mut_bytes()[..size_of::<T>()].copy_from_slice(payload.as_bytes());
        s
    }

    /// The payload as a `T`.
    ///
    /// ```
    /// use xencall::abi::sysctl::{SysctlCmd, XenSysctl, XenSysctlPhysinfo};
    ///
    /// // A physinfo request as Xen leaves it: the answer is in the union.
    /// let answer = XenSysctlPhysinfo { nr_cpus: 4, ..Default::default() };
    /// let s = XenSysctl::new(SysctlCmd::PHYSINFO, 0x15, answer);
    /// assert_eq!(s.payload::<XenSysctlPhysinfo>().nr_cpus, 4);
    /// ```
    ///
    /// A type that not every bit pattern is a valid value of, such as a
    /// reference Xen's bytes could make dangle, is refused:
    ///
    /// ```compile_fail,E0277
    /// use xencall::abi::sysctl::{SysctlCmd, XenSysctl};
    /// let s = XenSysctl::new(SysctlCmd::PHYSINFO, 0x15, 0u64);
    /// let r: &'static u8 = s.payload();
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

/// `struct xen_sysctl_physinfo`.
///
/// ```
/// use xencall::abi::sysctl::XenSysctlPhysinfo;
///
/// // Part of the answer from a host with 2 sockets of 8 cores, 2 threads each.
/// let p = XenSysctlPhysinfo {
///     threads_per_core: 2, cores_per_socket: 8, nr_cpus: 32, free_pages: 4 << 20, ..Default::default()
/// };
/// assert_eq!(p.nr_cpus / (p.threads_per_core * p.cores_per_socket), 2); // sockets
/// assert_eq!(p.free_pages * 4096 >> 30, 16); // GiB free: counts are 4 KiB pages
/// assert_eq!(core::mem::size_of_val(&p), 112); // Xen 4.17's layout
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XenSysctlPhysinfo {
    /// Hardware threads per core.
    pub threads_per_core: u32,
    /// Cores per socket.
    pub cores_per_socket: u32,
    /// CPUs online.
    pub nr_cpus: u32,
    /// Largest possible CPU ID.
    pub max_cpu_id: u32,
    /// NUMA nodes online.
    pub nr_nodes: u32,
    /// Largest possible node ID.
    pub max_node_id: u32,
    /// CPU frequency in kHz.
    pub cpu_khz: u32,
    /// `XEN_SYSCTL_PHYSCAP_*`.
    pub capabilities: u32,
    /// Architecture-specific capabilities.
    pub arch_capabilities: u32,
    /// Must be zero.
    pub pad: u32,
    /// Host RAM, in pages.
    pub total_pages: u64,
    /// Free pages.
    pub free_pages: u64,
    /// Pages waiting to be scrubbed.
    pub scrub_pages: u64,
    /// Pages promised to domains but not yet allocated.
    pub outstanding_pages: u64,
    /// Largest possible MFN.
    pub max_mfn: u64,
    /// CPU feature words.
    pub hw_cap: [u32; 8],
}

abi_layout! {
    XEN_SYSCTL_PHYSINFO = struct XenSysctlPhysinfo as "struct xen_sysctl_physinfo", size 112, align 8 {
        threads_per_core @ 0,
        cores_per_socket @ 4,
        nr_cpus @ 8,
        max_cpu_id @ 12,
        nr_nodes @ 16,
        max_node_id @ 20,
        cpu_khz @ 24,
        capabilities @ 28,
        arch_capabilities @ 32,
        pad @ 36,
        total_pages @ 40,
        free_pages @ 48,
        scrub_pages @ 56,
        outstanding_pages @ 64,
        max_mfn @ 72,
        hw_cap @ 80,
    }
}

/// `struct xen_sysctl_getdomaininfolist`.
///
/// ```
/// use xencall::abi::sysctl::{SysctlCmd, XenSysctl, XenSysctlGetdomaininfolist};
/// use xencall::{abi::domctl::XenDomctlGetdomaininfo, mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen with domains 0 and 3: fill `buffer`, then set `num_domains`.
/// xc.backend().set_responder(&|op, a| unsafe {
///     if op == 17 { return 4 << 16 | 17; } // XENVER_version: Xen 4.17
///     let s = &mut *(a[0] as *mut XenSysctl);
///     let mut l: XenSysctlGetdomaininfolist = s.payload();
///     let out = std::slice::from_raw_parts_mut(l.buffer as *mut XenDomctlGetdomaininfo, 2);
///     (out[0].domain, out[1].domain, l.num_domains) = (0, 3, 2);
///     *s = XenSysctl::new(SysctlCmd::GETDOMAININFOLIST, s.interface_version, l);
///     0
/// });
/// let mut batch = [XenDomctlGetdomaininfo::default(); 8];
/// assert_eq!(xc.sysctl_getdomaininfolist(0, &mut batch)?, 2);
/// assert_eq!(batch[1].domain, 3);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XenSysctlGetdomaininfolist {
    /// The first domain ID to report.
    pub first_domain: u16,
    /// Padding C leaves implicit; zero.
    pub _pad0: u16,
    /// Room in `buffer`, in entries.
    pub max_domains: u32,
    /// Guest handle of an array of `xen_domctl_getdomaininfo`.
    pub buffer: u64,
    /// Out: entries written.
    pub num_domains: u32,
    /// Padding C leaves implicit; zero.
    pub _pad1: u32,
}

abi_layout! {
    XEN_SYSCTL_GETDOMAININFOLIST = struct XenSysctlGetdomaininfolist as "struct xen_sysctl_getdomaininfolist", size 24, align 8 {
        first_domain @ 0,
        max_domains @ 4,
        buffer @ 8,
        num_domains @ 16,
    }
    rust_padding { _pad0 @ 2, _pad1 @ 20 }
}

/// `struct xen_sysctl_readconsole`.
///
/// ```
/// use xencall::abi::sysctl::{SysctlCmd, XenSysctl, XenSysctlReadconsole};
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: an incremental read from index 100 finds 8 bytes.
/// xc.backend().set_responder(&|op, a| unsafe {
///     if op == 17 { return 4 << 16 | 17; } // XENVER_version: Xen 4.17
///     let s = &mut *(a[0] as *mut XenSysctl);
///     let mut r: XenSysctlReadconsole = s.payload();
///     assert_eq!((r.incremental, r.index, r.clear), (1, 100, 0));
///     (r.count, r.index) = (8, 108);
///     *s = XenSysctl::new(SysctlCmd::READCONSOLE, s.interface_version, r);
///     0
/// });
/// let mut buf = [0u8; 64];
/// assert_eq!(xc.sysctl_readconsole(&mut buf, Some(100), false)?, (8, 108)); // next read from 108
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XenSysctlReadconsole {
    /// Non-zero: clear the ring after reading.
    pub clear: u8,
    /// Non-zero: start at `index` instead of the oldest byte.
    pub incremental: u8,
    /// Must be zero.
    pub pad0: u8,
    /// Must be zero.
    pub pad1: u8,
    /// In (incremental): where to start; out: where the next read starts.
    pub index: u32,
    /// Guest handle of the destination buffer.
    pub buffer: u64,
    /// In: room in `buffer`; out: bytes written.
    pub count: u32,
    /// Padding C leaves implicit; zero.
    pub _pad2: u32,
}

abi_layout! {
    XEN_SYSCTL_READCONSOLE = struct XenSysctlReadconsole as "struct xen_sysctl_readconsole", size 24, align 8 {
        clear @ 0,
        incremental @ 1,
        pad0 @ 2,
        pad1 @ 3,
        index @ 4,
        buffer @ 8,
        count @ 16,
    }
    rust_padding { _pad2 @ 20 }
}
