//! `__HYPERVISOR_sysctl` (`public/sysctl.h`): system-wide control for the
//! control domain. Every call carries the interface version; Xen refuses a
//! version it does not speak with `EACCES`.
//!
//! The version changes between Xen releases: 0x15 is Xen 4.17's (4.16
//! used 0x14, 4.18 0x15 too). To drive another release, build against its
//! headers' `XEN_SYSCTL_INTERFACE_VERSION` (or pass the version explicitly
//! to [`Xencall::sysctl`](crate::Xencall::sysctl)).

use core::mem::size_of;

/// `XEN_SYSCTL_INTERFACE_VERSION` of Xen 4.17.
pub const XEN_SYSCTL_INTERFACE_VERSION: u32 = 0x15;

xen_code! {
    /// A `sysctl` command (`XEN_SYSCTL_*`), the ones this crate wraps.
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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    pub fn new<T: Copy>(cmd: SysctlCmd, interface_version: u32, payload: T) -> XenSysctl {
        const { assert!(size_of::<T>() <= 128) };
        let mut s = XenSysctl {
            cmd: cmd.0,
            interface_version,
            u: [0; 16],
        };
        // SAFETY: `T` fits in `u` (checked above) and `u` is 8-aligned,
        // enough for any payload structure.
        unsafe { core::ptr::write_unaligned(s.u.as_mut_ptr().cast::<T>(), payload) };
        s
    }

    /// The payload as a `T`.
    pub fn payload<T: Copy>(&self) -> T {
        const { assert!(size_of::<T>() <= 128) };
        // SAFETY: as in `new`; the payload types are plain integers.
        unsafe { core::ptr::read_unaligned(self.u.as_ptr().cast::<T>()) }
    }
}

/// `struct xen_sysctl_physinfo`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct XenSysctlGetdomaininfolist {
    /// The first domain ID to report.
    pub first_domain: u16,
    /// Room in `buffer`, in entries.
    pub max_domains: u32,
    /// Guest handle of an array of `xen_domctl_getdomaininfo`.
    pub buffer: u64,
    /// Out: entries written.
    pub num_domains: u32,
}

abi_layout! {
    XEN_SYSCTL_GETDOMAININFOLIST = struct XenSysctlGetdomaininfolist as "struct xen_sysctl_getdomaininfolist", size 24, align 8 {
        first_domain @ 0,
        max_domains @ 4,
        buffer @ 8,
        num_domains @ 16,
    }
}

/// `struct xen_sysctl_readconsole`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
}
