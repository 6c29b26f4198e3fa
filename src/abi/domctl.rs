//! `__HYPERVISOR_domctl` (`public/domctl.h`): per-domain control for the
//! control domain. Like sysctl, every call carries the interface version
//! (0x15 on Xen 4.17; a wrong one is `EACCES`).

use core::mem::size_of;

/// `XEN_DOMCTL_INTERFACE_VERSION` of Xen 4.17.
pub const XEN_DOMCTL_INTERFACE_VERSION: u32 = 0x15;

xen_code! {
    /// A `domctl` command (`XEN_DOMCTL_*`), the ones this crate wraps.
    pub struct DomctlCmd(u32);
    CREATEDOMAIN = 1;
    DESTROYDOMAIN = 2;
    PAUSEDOMAIN = 3;
    UNPAUSEDOMAIN = 4;
    GETDOMAININFO = 5;
}

/// `struct xen_domctl`: command, version, target domain and a 128-byte
/// union of per-command payloads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
    pub fn new<T: Copy>(
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
        // SAFETY: `T` fits in `u` (checked above).
        unsafe { core::ptr::write_unaligned(d.u.as_mut_ptr().cast::<T>(), payload) };
        d
    }

    /// The payload as a `T`.
    pub fn payload<T: Copy>(&self) -> T {
        const { assert!(size_of::<T>() <= 128) };
        // SAFETY: as in `new`; payloads are plain integers.
        unsafe { core::ptr::read_unaligned(self.u.as_ptr().cast::<T>()) }
    }
}

/// `struct xen_arch_domainconfig`, x86 layout.
#[cfg(not(target_arch = "aarch64"))]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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

/// `struct xen_arch_domainconfig`, Arm layout.
#[cfg(target_arch = "aarch64")]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct XenArchDomainconfig {
    /// `XEN_DOMCTL_CONFIG_GIC_*`.
    pub gic_version: u8,
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
        tee_type @ 2,
        nr_spis @ 4,
        clock_frequency @ 8,
    }
}

/// `struct xen_domctl_getdomaininfo` (also the element of sysctl's
/// `getdomaininfolist`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
}
