//! The shared-info page and per-vCPU info (`public/xen.h` with the
//! architecture parts from `arch-x86/xen*.h` and `arch-arm.h`): event
//! pending/mask bitmaps, the upcall flags and the time Xen publishes.
//!
//! The layouts differ per architecture: x86 reserves room for 32 legacy
//! vCPUs and has a PV upcall mask and p2m bookkeeping, Arm has one legacy
//! vCPU slot and empty architecture parts.
//!
//! ```
//! use xencall::abi::shared_info::SharedInfo;
//!
//! // A stand-in for Xen's page: a guest maps the real one (XENMEM_add_to_physmap
//! // with XENMAPSPACE_shared_info, or the frame start_info names on PV).
//! let mut info: SharedInfo = unsafe { core::mem::zeroed() };
//! (info.wc_version, info.wc_sec, info.wc_sec_hi, info.wc_nsec) = (2, 1_700_000_000, 0, 0);
//! // Wall-clock time is Xen's boot time plus Xen system time (a vCPU's `time`).
//! let boot_s = u64::from(info.wc_sec_hi) << 32 | u64::from(info.wc_sec);
//! let system_time_ns = 90_000_000_000u64; // 90 s since Xen booted
//! assert_eq!(boot_s + system_time_ns / 1_000_000_000, 1_700_000_090);
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

use super::xen::XenUlong;

/// `XEN_LEGACY_MAX_VCPUS`: vCPUs with a slot in the shared-info page;
/// others register a `vcpu_info` elsewhere (`VCPUOP_register_vcpu_info`).
#[cfg(target_arch = "x86_64")]
pub const XEN_LEGACY_MAX_VCPUS: usize = 32;
/// `XEN_LEGACY_MAX_VCPUS`: vCPUs with a slot in the shared-info page;
/// others register a `vcpu_info` elsewhere (`VCPUOP_register_vcpu_info`).
#[cfg(not(target_arch = "x86_64"))]
pub const XEN_LEGACY_MAX_VCPUS: usize = 1;

/// `XEN_PVCLOCK_TSC_STABLE_BIT` in [`VcpuTimeInfo::flags`]: the TSC is
/// synchronised across vCPUs, so readings are monotonic between them.
pub const XEN_PVCLOCK_TSC_STABLE_BIT: u8 = 1 << 0;
/// `XEN_PVCLOCK_GUEST_STOPPED` in [`VcpuTimeInfo::flags`].
pub const XEN_PVCLOCK_GUEST_STOPPED: u8 = 1 << 1;

/// `struct vcpu_time_info`: Xen's system time as a TSC-based formula.
///
/// Xen bumps `version` before and after an update (odd while updating):
/// read it, copy the fields, and retry if it changed or was odd.
///
/// ```
/// use xencall::abi::shared_info::VcpuTimeInfo;
///
/// // Published at TSC 1_000_000 = 5 s of system time, for a 2 GHz TSC:
/// // 0.5 ns a tick, so mul = 2^32 / 2 and no shift.
/// let t = VcpuTimeInfo { version: 2, tsc_timestamp: 1_000_000, system_time: 5_000_000_000,
///                        tsc_to_system_mul: 1 << 31, tsc_shift: 0, ..Default::default() };
/// let tsc = 3_000_000u64; // RDTSC, read after the fields
/// let d = tsc - t.tsc_timestamp;
/// let d = if t.tsc_shift >= 0 { d << t.tsc_shift } else { d >> -t.tsc_shift };
/// let now = t.system_time + ((u128::from(d) * u128::from(t.tsc_to_system_mul)) >> 32) as u64;
/// assert_eq!(now, 5_001_000_000); // 2 million ticks later: 1 ms
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct VcpuTimeInfo {
    /// Update counter (see above).
    pub version: u32,
    /// Unused.
    pub pad0: u32,
    /// TSC when the values were set.
    pub tsc_timestamp: u64,
    /// Xen system time (ns since boot) at `tsc_timestamp`.
    pub system_time: u64,
    /// Multiplier turning shifted TSC ticks into ns (a 32.32 fraction).
    pub tsc_to_system_mul: u32,
    /// Shift applied to TSC deltas before multiplying (may be negative).
    pub tsc_shift: i8,
    /// `XEN_PVCLOCK_*`.
    pub flags: u8,
    /// Unused.
    pub pad1: [u8; 2],
}

abi_layout! {
    VCPU_TIME_INFO = struct VcpuTimeInfo as "struct vcpu_time_info", size 32, align 8 {
        version @ 0,
        pad0 @ 4,
        tsc_timestamp @ 8,
        system_time @ 16,
        tsc_to_system_mul @ 24,
        tsc_shift @ 28,
        flags @ 29,
        pad1 @ 30,
    }
}

/// `struct arch_vcpu_info`, x86_64: the faulting address of a PV page
/// fault.
///
/// ```
/// use xencall::abi::shared_info::{ArchVcpuInfo, VcpuInfo};
///
/// // A PV kernel's page-fault handler reads the address here rather than
/// // CR2, whose reads Xen would have to emulate.
/// let arch = ArchVcpuInfo { cr2: 0xdead_b000, pad: 0 };
/// assert_eq!(core::mem::size_of_val(&arch), 16);
/// assert_eq!(core::mem::offset_of!(VcpuInfo, arch), 16);
/// ```
#[cfg(target_arch = "x86_64")]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct ArchVcpuInfo {
    /// CR2 at the last page fault Xen bounced to the guest.
    pub cr2: u64,
    /// Keeps `vcpu_info` at 64 bytes.
    pub pad: u64,
}

#[cfg(target_arch = "x86_64")]
abi_layout! {
    ARCH_VCPU_INFO = struct ArchVcpuInfo as "struct arch_vcpu_info", size 16, align 8 {
        cr2 @ 0,
        pad @ 8,
    }
}

/// `struct arch_vcpu_info`, Arm: empty (zero-sized, as the GNU C empty
/// struct in the header).
///
/// ```
/// use xencall::abi::shared_info::{ArchVcpuInfo, VcpuInfo};
///
/// // Zero-sized: `time` starts where `arch` does.
/// assert_eq!(core::mem::size_of::<ArchVcpuInfo>(), 0);
/// assert_eq!(core::mem::offset_of!(VcpuInfo, time), core::mem::offset_of!(VcpuInfo, arch));
/// ```
#[cfg(not(target_arch = "x86_64"))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct ArchVcpuInfo {}

#[cfg(not(target_arch = "x86_64"))]
abi_layout! {
    ARCH_VCPU_INFO = struct ArchVcpuInfo as "struct arch_vcpu_info", size 0, align 1 {}
}

/// `struct vcpu_info`, x86_64 (64 bytes).
///
/// ```
/// use xencall::abi::shared_info::VcpuInfo;
///
/// // Xen's view of a vCPU after an event on port 67 (word 1 of the bitmaps).
/// let mut v = VcpuInfo { evtchn_upcall_pending: 1, evtchn_pending_sel: 1 << 1, ..Default::default() };
/// // The upcall handler clears the flag, then takes the selector (atomically
/// // on the real page), and scans those words of `evtchn_pending`.
/// v.evtchn_upcall_pending = 0;
/// assert_eq!(core::mem::take(&mut v.evtchn_pending_sel), 0b10);
/// assert_eq!(core::mem::size_of::<VcpuInfo>(), 64);
/// ```
#[cfg(target_arch = "x86_64")]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct VcpuInfo {
    /// Xen sets it when an event is pending; the guest clears it before
    /// scanning, so a new event is never lost.
    pub evtchn_upcall_pending: u8,
    /// Non-zero: Xen does not deliver upcalls (PV's interrupt flag).
    pub evtchn_upcall_mask: u8,
    /// Padding C leaves implicit; zero.
    pub _pad0: [u8; 6],
    /// One bit per word of `evtchn_pending` that may have bits set.
    pub evtchn_pending_sel: XenUlong,
    /// Architecture part.
    pub arch: ArchVcpuInfo,
    /// This vCPU's time.
    pub time: VcpuTimeInfo,
}

#[cfg(target_arch = "x86_64")]
abi_layout! {
    VCPU_INFO = struct VcpuInfo as "struct vcpu_info", size 64, align 8 {
        evtchn_upcall_pending @ 0,
        evtchn_upcall_mask @ 1,
        evtchn_pending_sel @ 8,
        arch @ 16,
        time @ 32,
    }
    rust_padding { _pad0 @ 2 }
}

/// `struct vcpu_info`, Arm (48 bytes; no PV upcall mask, the GIC masks).
///
/// ```
/// use xencall::abi::shared_info::VcpuInfo;
///
/// // Xen's view of a vCPU after an event on port 67 (word 1 of the bitmaps).
/// let mut v = VcpuInfo { evtchn_upcall_pending: 1, evtchn_pending_sel: 1 << 1, ..Default::default() };
/// // The event handler clears the flag, then takes the selector (atomically
/// // on the real page), and scans those words of `evtchn_pending`.
/// v.evtchn_upcall_pending = 0;
/// assert_eq!(core::mem::take(&mut v.evtchn_pending_sel), 0b10);
/// assert_eq!(core::mem::size_of::<VcpuInfo>(), 48);
/// ```
#[cfg(not(target_arch = "x86_64"))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct VcpuInfo {
    /// Xen sets it when an event is pending; the guest clears it before
    /// scanning, so a new event is never lost.
    pub evtchn_upcall_pending: u8,
    /// Unused on Arm.
    pub pad0: u8,
    /// Padding C leaves implicit; zero.
    pub _pad1: [u8; 6],
    /// One bit per word of `evtchn_pending` that may have bits set.
    pub evtchn_pending_sel: XenUlong,
    /// Architecture part (empty).
    pub arch: ArchVcpuInfo,
    /// This vCPU's time.
    pub time: VcpuTimeInfo,
}

#[cfg(not(target_arch = "x86_64"))]
abi_layout! {
    VCPU_INFO = struct VcpuInfo as "struct vcpu_info", size 48, align 8 {
        evtchn_upcall_pending @ 0,
        pad0 @ 1,
        evtchn_pending_sel @ 8,
        arch @ 16,
        time @ 16,
    }
    rust_padding { _pad1 @ 2 }
}

/// `struct arch_shared_info`, x86_64: where a PV guest publishes its p2m
/// for tools (save/restore, dumps).
///
/// ```
/// use xencall::abi::shared_info::{ArchSharedInfo, SharedInfo};
///
/// // A PV guest with a virtually mapped linear p2m list (1 GiB of pages):
/// // all ones in the frame-list field sends tools to `p2m_vaddr`.
/// let arch = ArchSharedInfo {
///     max_pfn: 0x4_0000, pfn_to_mfn_frame_list_list: !0, p2m_vaddr: 0xffff_c900_0000_0000,
///     ..Default::default()
/// };
/// assert_eq!(arch.p2m_generation % 2, 0); // even: no update in progress
/// assert_eq!(core::mem::offset_of!(SharedInfo, arch), 3088);
/// ```
#[cfg(target_arch = "x86_64")]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct ArchSharedInfo {
    /// Entries in the p2m.
    pub max_pfn: u64,
    /// Frame of the top of the three-level p2m frame list (0: not set
    /// up, all ones: use `p2m_vaddr`).
    pub pfn_to_mfn_frame_list_list: u64,
    /// NMI reason bits.
    pub nmi_reason: u64,
    /// CR3 of the address space `p2m_vaddr` is valid in (0: unused).
    pub p2m_cr3: u64,
    /// Virtual address of the linear p2m list.
    pub p2m_vaddr: u64,
    /// Odd while the guest updates the p2m mappings.
    pub p2m_generation: u64,
}

#[cfg(target_arch = "x86_64")]
abi_layout! {
    ARCH_SHARED_INFO = struct ArchSharedInfo as "struct arch_shared_info", size 48, align 8 {
        max_pfn @ 0,
        pfn_to_mfn_frame_list_list @ 8,
        nmi_reason @ 16,
        p2m_cr3 @ 24,
        p2m_vaddr @ 32,
        p2m_generation @ 40,
    }
}

/// `struct arch_shared_info`, Arm: empty.
///
/// ```
/// use xencall::abi::shared_info::{ArchSharedInfo, SharedInfo};
///
/// // Nothing architecture-specific: the page's layout ends with the wall clock.
/// assert_eq!(core::mem::size_of::<ArchSharedInfo>(), 0);
/// assert_eq!(core::mem::size_of::<SharedInfo>(), core::mem::offset_of!(SharedInfo, arch));
/// ```
#[cfg(not(target_arch = "x86_64"))]
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct ArchSharedInfo {}

#[cfg(not(target_arch = "x86_64"))]
abi_layout! {
    ARCH_SHARED_INFO = struct ArchSharedInfo as "struct arch_shared_info", size 0, align 1 {}
}

/// `struct shared_info`: the page Xen shares with the domain (mapped with
/// `XENMEM_add_to_physmap` / `XENMAPSPACE_shared_info`).
///
/// ```
/// use xencall::abi::shared_info::SharedInfo;
///
/// // A stand-in for the mapped page, with port 67 pending as Xen marks it.
/// let mut info: SharedInfo = unsafe { core::mem::zeroed() };
/// info.evtchn_pending[1] = 1 << 3;
/// // Port n is bit n % 64 of word n / 64; a masked port raises no upcall.
/// let bit = |words: &[u64; 64], port: usize| words[port / 64] >> (port % 64) & 1 != 0;
/// assert!(bit(&info.evtchn_pending, 67) && !bit(&info.evtchn_mask, 67));
/// assert!(core::mem::size_of::<SharedInfo>() <= 4096); // it fits its page
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct SharedInfo {
    /// The legacy vCPUs' info.
    pub vcpu_info: [VcpuInfo; XEN_LEGACY_MAX_VCPUS],
    /// 2-level event channels: bit n set when port n is pending.
    pub evtchn_pending: [XenUlong; 64],
    /// Bit n set: port n is masked (pending, but no upcall).
    pub evtchn_mask: [XenUlong; 64],
    /// Update counter for the wall clock, as in [`VcpuTimeInfo`].
    pub wc_version: u32,
    /// Wall-clock seconds at Xen system time 0 (low 32 bits).
    pub wc_sec: u32,
    /// Its nanoseconds.
    pub wc_nsec: u32,
    /// High 32 bits of `wc_sec`.
    pub wc_sec_hi: u32,
    /// Architecture part.
    pub arch: ArchSharedInfo,
}

#[cfg(target_arch = "x86_64")]
abi_layout! {
    SHARED_INFO = struct SharedInfo as "struct shared_info", size 3136, align 8 {
        vcpu_info @ 0,
        evtchn_pending @ 2048,
        evtchn_mask @ 2560,
        wc_version @ 3072,
        wc_sec @ 3076,
        wc_nsec @ 3080,
        wc_sec_hi @ 3084,
        arch @ 3088,
    }
}

#[cfg(not(target_arch = "x86_64"))]
abi_layout! {
    SHARED_INFO = struct SharedInfo as "struct shared_info", size 1088, align 8 {
        vcpu_info @ 0,
        evtchn_pending @ 48,
        evtchn_mask @ 560,
        wc_version @ 1072,
        wc_sec @ 1076,
        wc_nsec @ 1080,
        wc_sec_hi @ 1084,
        arch @ 1088,
    }
}
