//! Every ABI item the crate defines, with its C spelling, for the
//! conformance test (`tests/abi_conformance.rs`), which compiles C against
//! the installed Xen headers and compares each value.
//!
//! Code types made with `xen_code!` contribute all their constants through
//! their `ALL` tables ([`FAMILIES`]), so a new code cannot be forgotten
//! here. Structure layouts come from the `abi_layout!` invocation beside
//! each structure ([`STRUCTS`]); plain constants and typedef sizes are
//! listed in [`LAYOUT`]. The test also checks that every public name in
//! `src/abi` appears in one of these tables.

use core::mem::{align_of, size_of};

use super::callback::{
    CallbackOpCmd, CallbackType, CALLBACKF_MASK_EVENTS, UVMF_ALL, UVMF_INVLPG, UVMF_LOCAL,
    UVMF_NONE, UVMF_TLB_FLUSH,
};
use super::console::{XenconsRingIdx, XENCONS_IN_SIZE, XENCONS_OUT_SIZE};
use super::console_io::ConsoleIoCmd;
use super::cpuid::*;
use super::domctl::{DomctlCmd, XEN_DOMCTL_INTERFACE_VERSION};
use super::elfnote::{ElfNote, XENFEAT_DOM0};
use super::event_channel::{EvtchnOpCmd, EvtchnStat, Virq};
use super::grant_table::*;
use super::hvm::{HvmOpCmd, HvmParam};
use super::hypercall::{HypercallOp, HYPERCALL_PAGE_STUBS, HYPERCALL_STUB_SIZE};
use super::memory::{MapSpace, MemoryOpCmd};
use super::physdev::PhysdevOpCmd;
use super::release::XenReleaseAbi;
use super::sched::{SchedOpCmd, ShutdownReason};
use super::shared_info::{
    XEN_LEGACY_MAX_VCPUS, XEN_PVCLOCK_GUEST_STOPPED, XEN_PVCLOCK_TSC_STABLE_BIT,
};
use super::start_info::*;
use super::sysctl::{SysctlCmd, XEN_SYSCTL_INTERFACE_VERSION};
use super::vcpu::{Runstate, VcpuOpCmd, VCPU_SSHOTTMR_FUTURE};
use super::xen::*;
use super::xen_version::{
    XenCapabilitiesInfo, XenChangesetInfo, XenDomainHandle, XenExtraversion, XenFeatureBit,
    XenVersionCmd,
};
use super::xenstore::*;
use super::XenErrno;

/// One checked item: a C expression and the value the crate uses for it.
#[derive(Clone, Copy, Debug)]
pub struct AbiItem {
    /// The Rust name, for messages and the completeness check.
    pub rust: &'static str,
    /// A C expression over the Xen headers.
    pub c: &'static str,
    /// The crate's value.
    pub value: u64,
}

/// A code family: how its Rust constant names map to C names.
#[derive(Clone, Copy, Debug)]
pub struct CodeFamily {
    /// The Rust type.
    pub rust_type: &'static str,
    /// C prefix before the lower-cased (or kept) name.
    pub c_prefix: &'static str,
    /// Whether the C name is the Rust name lower-cased.
    pub lowercase: bool,
    /// `(rust name, value)` for every code.
    pub codes: &'static [(&'static str, u64)],
}

macro_rules! family {
    ($ty:ident, $prefix:literal, $lower:literal) => {{
        const CODES: &[(&str, u64)] = &{
            let mut out = [("", 0u64); $ty::ALL.len()];
            let mut i = 0;
            while i < $ty::ALL.len() {
                out[i] = ($ty::ALL[i].0, $ty::ALL[i].1 .0 as u64);
                i += 1;
            }
            out
        };
        CodeFamily {
            rust_type: stringify!($ty),
            c_prefix: $prefix,
            lowercase: $lower,
            codes: CODES,
        }
    }};
}

/// The code families.
pub const FAMILIES: &[CodeFamily] = &[
    family!(XenErrno, "XEN_", false),
    family!(HypercallOp, "__HYPERVISOR_", true),
    family!(XenVersionCmd, "XENVER_", true),
    family!(SchedOpCmd, "SCHEDOP_", true),
    family!(ShutdownReason, "SHUTDOWN_", true),
    family!(ConsoleIoCmd, "CONSOLEIO_", true),
    family!(PhysdevOpCmd, "PHYSDEVOP_", true),
    family!(MemoryOpCmd, "XENMEM_", true),
    family!(ElfNote, "XEN_ELFNOTE_", false),
    family!(XenFeatureBit, "XENFEAT_", true),
    family!(MapSpace, "XENMAPSPACE_", true),
    family!(EvtchnOpCmd, "EVTCHNOP_", true),
    family!(EvtchnStat, "EVTCHNSTAT_", true),
    family!(Virq, "VIRQ_", false),
    family!(GnttabOpCmd, "GNTTABOP_", true),
    family!(GrantStatus, "GNTST_", true),
    family!(VcpuOpCmd, "VCPUOP_", true),
    family!(Runstate, "RUNSTATE_", true),
    family!(HvmOpCmd, "HVMOP_", true),
    family!(HvmParam, "HVM_PARAM_", false),
    family!(SysctlCmd, "XEN_SYSCTL_", true),
    family!(DomctlCmd, "XEN_DOMCTL_", true),
    family!(CallbackOpCmd, "CALLBACKOP_", true),
    family!(CallbackType, "CALLBACKTYPE_", true),
    family!(XsdSockmsgType, "XS_", false),
];

/// Codes whose C name is not the family prefix plus the lower-cased Rust
/// name: `(Rust path, C name)`.
pub const C_NAME_EXCEPTIONS: &[(&str, &str)] = &[(
    "XenFeatureBit::ARM_SMCCC_SUPPORTED",
    "XENFEAT_ARM_SMCCC_supported",
)];

/// A plain constant: its Rust name, its C expression (the same name unless
/// given) and its value.
macro_rules! c {
    ($name:ident) => {
        c!($name => stringify!($name))
    };
    ($name:ident => $c:expr) => {
        AbiItem {
            rust: stringify!($name),
            c: $c,
            value: $name as u64,
        }
    };
}

/// The size and alignment of a typedef'd C type.
macro_rules! typedef {
    ($ty:ty => $c:literal) => {
        [
            AbiItem {
                rust: stringify!($ty),
                c: concat!("sizeof(", $c, ")"),
                value: size_of::<$ty>() as u64,
            },
            AbiItem {
                rust: stringify!($ty),
                c: concat!("_Alignof(", $c, ")"),
                value: align_of::<$ty>() as u64,
            },
        ]
    };
}

/// The structures, from the `abi_layout!` beside each one (the
/// architecture-specific ones in their build's layout).
pub const STRUCTS: &[&[AbiItem]] = &[
    super::callback::CALLBACK_REGISTER,
    super::console::XENCONS_INTERFACE,
    super::domctl::XEN_ARCH_DOMAINCONFIG,
    super::domctl::XEN_DOMCTL,
    super::domctl::XEN_DOMCTL_GETDOMAININFO,
    super::event_channel::EVTCHN_ALLOC_UNBOUND,
    super::event_channel::EVTCHN_BIND_INTERDOMAIN,
    super::event_channel::EVTCHN_BIND_VIRQ,
    super::event_channel::EVTCHN_CLOSE,
    super::event_channel::EVTCHN_SEND,
    super::event_channel::EVTCHN_STATUS,
    super::event_channel::EVTCHN_UNMASK,
    super::grant_table::GNTTAB_COPY,
    super::grant_table::GNTTAB_COPY_PTR,
    super::grant_table::GNTTAB_GET_VERSION,
    super::grant_table::GNTTAB_QUERY_SIZE,
    super::grant_table::GNTTAB_SETUP_TABLE,
    super::grant_table::GNTTAB_SET_VERSION,
    super::grant_table::GRANT_ENTRY_V1,
    super::hvm::XEN_HVM_PARAM,
    super::memory::XEN_ADD_TO_PHYSMAP,
    super::memory::XEN_MEMORY_MAP,
    super::memory::XEN_MEMORY_RESERVATION,
    super::multicall::MULTICALL_ENTRY,
    super::physdev::PHYSDEV_SET_IOPL,
    super::sched::SCHED_POLL,
    super::sched::SCHED_REMOTE_SHUTDOWN,
    super::sched::SCHED_SHUTDOWN,
    super::shared_info::ARCH_SHARED_INFO,
    super::shared_info::ARCH_VCPU_INFO,
    super::shared_info::SHARED_INFO,
    super::shared_info::VCPU_INFO,
    super::shared_info::VCPU_TIME_INFO,
    super::start_info::HVM_MEMMAP_TABLE_ENTRY,
    super::start_info::HVM_MODLIST_ENTRY,
    super::start_info::HVM_START_INFO,
    super::start_info::START_INFO,
    super::start_info::TRAP_INFO,
    super::sysctl::XEN_SYSCTL,
    super::sysctl::XEN_SYSCTL_GETDOMAININFOLIST,
    super::sysctl::XEN_SYSCTL_PHYSINFO,
    super::sysctl::XEN_SYSCTL_READCONSOLE,
    super::vcpu::VCPU_RUNSTATE_INFO,
    super::vcpu::VCPU_SET_PERIODIC_TIMER,
    super::vcpu::VCPU_SET_SINGLESHOT_TIMER,
    super::xen_version::XEN_COMPILE_INFO,
    super::xen_version::XEN_FEATURE_INFO,
    super::xen_version::XEN_PLATFORM_PARAMETERS,
    super::xenstore::XENSTORE_DOMAIN_INTERFACE,
    super::xenstore::XSD_SOCKMSG,
    super::xenstore::XSD_ERRORS_TABLE,
    &typedef!(DomId => "domid_t"),
    &typedef!(XenUlong => "xen_ulong_t"),
    &typedef!(XenPfn => "xen_pfn_t"),
    &typedef!(EvtchnPortT => "evtchn_port_t"),
    &typedef!(GrantRef => "grant_ref_t"),
    &typedef!(XenExtraversion => "xen_extraversion_t"),
    &typedef!(XenCapabilitiesInfo => "xen_capabilities_info_t"),
    &typedef!(XenChangesetInfo => "xen_changeset_info_t"),
    &typedef!(XenDomainHandle => "xen_domain_handle_t"),
    &typedef!(XenconsRingIdx => "XENCONS_RING_IDX"),
    &typedef!(XenstoreRingIdx => "XENSTORE_RING_IDX"),
    // The Rust-only generic wrapper against C's handle for one type.
    &typedef!(GuestHandle<u8> => "XEN_GUEST_HANDLE(char)"),
];

/// Plain constants.
pub const LAYOUT: &[AbiItem] = &[
    c!(DOMID_FIRST_RESERVED),
    c!(CALLBACKF_MASK_EVENTS => "CALLBACKF_mask_events"),
    c!(UVMF_NONE),
    c!(UVMF_TLB_FLUSH),
    c!(UVMF_INVLPG),
    c!(UVMF_LOCAL),
    c!(UVMF_ALL),
    c!(DOMID_SELF),
    c!(DOMID_IO),
    c!(DOMID_XEN),
    c!(DOMID_COW),
    c!(DOMID_INVALID),
    c!(DOMID_IDLE),
    c!(DOMID_MASK),
    c!(XEN_SYSCTL_INTERFACE_VERSION),
    c!(XEN_DOMCTL_INTERFACE_VERSION),
    c!(XEN_CPUID_FIRST_LEAF),
    c!(XEN_CPUID_SIGNATURE_EBX),
    c!(XEN_CPUID_SIGNATURE_ECX),
    c!(XEN_CPUID_SIGNATURE_EDX),
    c!(XEN_CPUID_MAX_NUM_LEAVES),
    c!(XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD),
    c!(XEN_HVM_CPUID_APIC_ACCESS_VIRT),
    c!(XEN_HVM_CPUID_X2APIC_VIRT),
    c!(XEN_HVM_CPUID_IOMMU_MAPPINGS),
    c!(XEN_HVM_CPUID_VCPU_ID_PRESENT),
    c!(XEN_HVM_CPUID_DOMID_PRESENT),
    c!(XEN_HVM_CPUID_EXT_DEST_ID),
    c!(XEN_HVM_CPUID_UPCALL_VECTOR),
    c!(XEN_LEGACY_MAX_VCPUS),
    c!(XEN_PVCLOCK_TSC_STABLE_BIT),
    c!(XEN_PVCLOCK_GUEST_STOPPED),
    c!(GNTCOPY_SOURCE_GREF => "GNTCOPY_source_gref"),
    c!(GNTCOPY_DEST_GREF => "GNTCOPY_dest_gref"),
    c!(GNTTAB_NR_RESERVED_ENTRIES),
    c!(GNTTAB_RESERVED_CONSOLE),
    c!(GNTTAB_RESERVED_XENSTORE),
    c!(GTF_INVALID => "GTF_invalid"),
    c!(GTF_PERMIT_ACCESS => "GTF_permit_access"),
    c!(GTF_ACCEPT_TRANSFER => "GTF_accept_transfer"),
    c!(GTF_TRANSITIVE => "GTF_transitive"),
    c!(GTF_TYPE_MASK => "GTF_type_mask"),
    c!(GTF_READONLY => "GTF_readonly"),
    c!(GTF_READING => "GTF_reading"),
    c!(GTF_WRITING => "GTF_writing"),
    c!(GTF_SUB_PAGE => "GTF_sub_page"),
    c!(GTF_TRANSFER_COMMITTED => "GTF_transfer_committed"),
    c!(GTF_TRANSFER_COMPLETED => "GTF_transfer_completed"),
    c!(VCPU_SSHOTTMR_FUTURE => "VCPU_SSHOTTMR_future"),
    c!(XEN_HVM_START_MAGIC_VALUE),
    c!(XEN_HVM_MEMMAP_TYPE_RAM),
    c!(XEN_HVM_MEMMAP_TYPE_RESERVED),
    c!(XEN_HVM_MEMMAP_TYPE_ACPI),
    c!(XEN_HVM_MEMMAP_TYPE_NVS),
    c!(XEN_HVM_MEMMAP_TYPE_UNUSABLE),
    c!(XEN_HVM_MEMMAP_TYPE_DISABLED),
    c!(XEN_HVM_MEMMAP_TYPE_PMEM),
    c!(SIF_PRIVILEGED),
    c!(SIF_INITDOMAIN),
    c!(SIF_MULTIBOOT_MOD),
    c!(SIF_MOD_START_PFN),
    c!(SIF_VIRT_P2M_4TOOLS),
    c!(SIF_PM_MASK),
    c!(FLAT_KERNEL_CS64),
    c!(XENFEAT_DOM0 => "XENFEAT_dom0"),
    c!(XENCONS_IN_SIZE => "sizeof(((struct xencons_interface *)0)->in)"),
    c!(XENCONS_OUT_SIZE => "sizeof(((struct xencons_interface *)0)->out)"),
    c!(XS_WATCH_PATH),
    c!(XS_WATCH_TOKEN),
    c!(XENSTORE_RING_SIZE),
    c!(XENSTORE_PAYLOAD_MAX),
    c!(XENSTORE_ABS_PATH_MAX),
    c!(XENSTORE_REL_PATH_MAX),
    c!(XENSTORE_SERVER_FEATURE_RECONNECTION),
    c!(XENSTORE_SERVER_FEATURE_ERROR),
    c!(XENSTORE_CONNECTED),
    c!(XENSTORE_RECONNECT),
    c!(XENSTORE_ERROR_NONE),
    c!(XENSTORE_ERROR_COMM),
    c!(XENSTORE_ERROR_RINGIDX),
    c!(XENSTORE_ERROR_PROTO),
    // Xen's hypercall-page stubs are 32 bytes apart: 128 of them fill a
    // page, which is how every OS indexes the page.
    c!(HYPERCALL_STUB_SIZE => "4096 / 128"),
    c!(HYPERCALL_PAGE_STUBS => "4096 / 32"),
];

/// The items whose value depends on the Xen release, for a header set of
/// `release`: its interface versions from the crate's release table. They
/// take the place of the [`LAYOUT`] items with the same C expression (the
/// named constants, which are 4.17's).
pub fn release_items(release: &XenReleaseAbi) -> [AbiItem; 2] {
    [
        AbiItem {
            rust: "KNOWN_RELEASES::XenReleaseAbi.sysctl_interface_version",
            c: "XEN_SYSCTL_INTERFACE_VERSION",
            value: release.sysctl_interface_version as u64,
        },
        AbiItem {
            rust: "KNOWN_RELEASES::XenReleaseAbi.domctl_interface_version",
            c: "XEN_DOMCTL_INTERFACE_VERSION",
            value: release.domctl_interface_version as u64,
        },
    ]
}

/// The size of a field's type, for `abi_layout!`: the accessor closure
/// names the field, its return type gives the size.
pub const fn field_size<T, F>(_field: fn(T) -> F) -> usize {
    size_of::<F>()
}
