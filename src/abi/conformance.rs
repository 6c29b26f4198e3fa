//! Every ABI item the crate defines, with its C spelling, for the
//! conformance test (`tests/abi_conformance.rs`), which compiles C against
//! the installed Xen headers and compares each value.
//!
//! Code types made with `xen_code!` contribute all their constants through
//! their `ALL` tables, so a new code cannot be forgotten here; sizes and
//! plain constants are listed in [`LAYOUT`].

use core::mem::{align_of, offset_of, size_of};

use super::console_io::ConsoleIoCmd;
use super::elfnote::{ElfNote, XENFEAT_DOM0};
use super::event_channel::{
    EvtchnAllocUnbound, EvtchnBindInterdomain, EvtchnBindVirq, EvtchnOpCmd, EvtchnPort, EvtchnStat,
    EvtchnStatus, Virq,
};
use super::grant_table::{
    GnttabCopy, GnttabCopyPtr, GnttabGetVersion, GnttabOpCmd, GnttabQuerySize, GnttabSetVersion,
    GnttabSetupTable, GrantStatus, GNTCOPY_DEST_GREF, GNTCOPY_SOURCE_GREF,
};
use super::hvm::{HvmOpCmd, HvmParam, XenHvmParam};
use super::hypercall::{HypercallOp, HYPERCALL_PAGE_STUBS, HYPERCALL_STUB_SIZE};
use super::memory::{
    MapSpace, MemoryOpCmd, XenAddToPhysmap, XenMemoryMap, XenMemoryReservation, DOMID_SELF,
};
use super::multicall::MulticallEntry;
use super::physdev::{PhysdevOpCmd, PhysdevSetIopl};
use super::sched::{SchedOpCmd, SchedPoll, SchedRemoteShutdown, SchedShutdown, ShutdownReason};
use super::start_info::{
    HvmMemmapTableEntry, HvmModlistEntry, HvmStartInfo, StartInfo, TrapInfo, FLAT_KERNEL_CS64,
    XEN_HVM_START_MAGIC_VALUE,
};
use super::sysctl::{
    SysctlCmd, XenSysctl, XenSysctlPhysinfo, XenSysctlReadconsole, XEN_SYSCTL_INTERFACE_VERSION,
};
use super::vcpu::{
    Runstate, VcpuOpCmd, VcpuRunstateInfo, VcpuSetPeriodicTimer, VcpuSetSingleshotTimer,
};
use super::xen_version::{
    XenCapabilitiesInfo, XenChangesetInfo, XenCompileInfo, XenDomainHandle, XenExtraversion,
    XenFeatureBit, XenFeatureInfo, XenPlatformParameters, XenVersionCmd,
};
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
];

/// Codes whose C name is not the family prefix plus the lower-cased Rust
/// name: `(Rust path, C name)`.
pub const C_NAME_EXCEPTIONS: &[(&str, &str)] = &[(
    "XenFeatureBit::ARM_SMCCC_SUPPORTED",
    "XENFEAT_ARM_SMCCC_supported",
)];

/// Size, alignment and every field offset of a `repr(C)` structure.
macro_rules! layout {
    ($ty:ident, $c:literal { $($field:ident),* $(,)? }) => {
        &[
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
            $(AbiItem {
                rust: concat!(stringify!($ty), ".", stringify!($field)),
                c: concat!("offsetof(", $c, ", ", stringify!($field), ")"),
                value: offset_of!($ty, $field) as u64,
            },)*
        ]
    };
}

/// The structures.
pub const STRUCTS: &[&[AbiItem]] = &[
    layout!(SchedShutdown, "struct sched_shutdown" { reason }),
    layout!(SchedPoll, "struct sched_poll" { ports, nr_ports, timeout }),
    layout!(SchedRemoteShutdown, "struct sched_remote_shutdown" { domain_id, reason }),
    layout!(PhysdevSetIopl, "struct physdev_set_iopl" { iopl }),
    layout!(XenMemoryMap, "struct xen_memory_map" { nr_entries, buffer }),
    layout!(XenMemoryReservation, "struct xen_memory_reservation" {
        extent_start, nr_extents, extent_order, mem_flags, domid,
    }),
    layout!(EvtchnAllocUnbound, "struct evtchn_alloc_unbound" { dom, remote_dom, port }),
    layout!(EvtchnBindInterdomain, "struct evtchn_bind_interdomain" {
        remote_dom, remote_port, local_port,
    }),
    layout!(EvtchnBindVirq, "struct evtchn_bind_virq" { virq, vcpu, port }),
    layout!(EvtchnPort, "struct evtchn_send" { port }),
    layout!(EvtchnPort, "struct evtchn_close" { port }),
    layout!(EvtchnPort, "struct evtchn_unmask" { port }),
    layout!(EvtchnStatus, "struct evtchn_status" { dom, port, status, vcpu, u }),
    layout!(GnttabQuerySize, "struct gnttab_query_size" { dom, nr_frames, max_nr_frames, status }),
    layout!(GnttabSetupTable, "struct gnttab_setup_table" { dom, nr_frames, status, frame_list }),
    layout!(GnttabSetVersion, "struct gnttab_set_version" { version }),
    layout!(GnttabGetVersion, "struct gnttab_get_version" { dom, pad, version }),
    layout!(GnttabCopyPtr, "struct gnttab_copy_ptr" { u, domid, offset }),
    layout!(GnttabCopy, "struct gnttab_copy" { source, dest, len, flags, status }),
    layout!(VcpuRunstateInfo, "struct vcpu_runstate_info" { state, state_entry_time, time }),
    layout!(VcpuSetSingleshotTimer, "struct vcpu_set_singleshot_timer" { timeout_abs_ns, flags }),
    layout!(VcpuSetPeriodicTimer, "struct vcpu_set_periodic_timer" { period_ns }),
    layout!(XenHvmParam, "struct xen_hvm_param" { domid, pad, index, value }),
    layout!(MulticallEntry, "struct multicall_entry" { op, result, args }),
    layout!(XenSysctl, "struct xen_sysctl" { cmd, interface_version, u }),
    layout!(XenSysctlPhysinfo, "struct xen_sysctl_physinfo" {
        threads_per_core, cores_per_socket, nr_cpus, max_cpu_id, nr_nodes, max_node_id,
        cpu_khz, capabilities, arch_capabilities, pad, total_pages, free_pages,
        scrub_pages, outstanding_pages, max_mfn, hw_cap,
    }),
    layout!(XenSysctlReadconsole, "struct xen_sysctl_readconsole" {
        clear, incremental, pad0, pad1, index, buffer, count,
    }),
    layout!(XenAddToPhysmap, "struct xen_add_to_physmap" { domid, size, space, idx, gpfn }),
    layout!(HvmStartInfo, "struct hvm_start_info" {
        magic, version, flags, nr_modules, modlist_paddr, cmdline_paddr,
        rsdp_paddr, memmap_paddr, memmap_entries, reserved,
    }),
    layout!(HvmModlistEntry, "struct hvm_modlist_entry" { paddr, size, cmdline_paddr, reserved }),
    layout!(HvmMemmapTableEntry, "struct hvm_memmap_table_entry" { addr, size, reserved }),
    layout!(StartInfo, "struct start_info" {
        magic, nr_pages, shared_info, flags, store_mfn, store_evtchn, console,
        pt_base, nr_pt_frames, mfn_list, mod_start, mod_len, cmd_line,
        first_p2m_pfn, nr_p2m_frames,
    }),
    layout!(TrapInfo, "struct trap_info" { vector, flags, cs, address }),
    layout!(XenCompileInfo, "struct xen_compile_info" {
        compiler, compile_by, compile_domain, compile_date,
    }),
    layout!(XenPlatformParameters, "struct xen_platform_parameters" { virt_start }),
    layout!(XenFeatureInfo, "struct xen_feature_info" { submap_idx, submap }),
];

/// Plain constants and type sizes.
pub const LAYOUT: &[AbiItem] = &[
    AbiItem {
        rust: "XEN_SYSCTL_INTERFACE_VERSION",
        c: "XEN_SYSCTL_INTERFACE_VERSION",
        value: XEN_SYSCTL_INTERFACE_VERSION as u64,
    },
    AbiItem {
        rust: "GNTCOPY_SOURCE_GREF",
        c: "GNTCOPY_source_gref",
        value: GNTCOPY_SOURCE_GREF as u64,
    },
    AbiItem {
        rust: "GNTCOPY_DEST_GREF",
        c: "GNTCOPY_dest_gref",
        value: GNTCOPY_DEST_GREF as u64,
    },
    AbiItem {
        rust: "DOMID_SELF",
        c: "DOMID_SELF",
        value: DOMID_SELF as u64,
    },
    AbiItem {
        rust: "XenCapabilitiesInfo",
        c: "sizeof(xen_capabilities_info_t)",
        value: size_of::<XenCapabilitiesInfo>() as u64,
    },
    AbiItem {
        rust: "XenChangesetInfo",
        c: "sizeof(xen_changeset_info_t)",
        value: size_of::<XenChangesetInfo>() as u64,
    },
    AbiItem {
        rust: "XenDomainHandle",
        c: "sizeof(xen_domain_handle_t)",
        value: size_of::<XenDomainHandle>() as u64,
    },
    AbiItem {
        rust: "XEN_HVM_START_MAGIC_VALUE",
        c: "XEN_HVM_START_MAGIC_VALUE",
        value: XEN_HVM_START_MAGIC_VALUE as u64,
    },
    AbiItem {
        rust: "FLAT_KERNEL_CS64",
        c: "FLAT_KERNEL_CS64",
        value: FLAT_KERNEL_CS64 as u64,
    },
    AbiItem {
        rust: "XENFEAT_DOM0",
        c: "XENFEAT_dom0",
        value: XENFEAT_DOM0 as u64,
    },
    AbiItem {
        rust: "HvmMemmapTableEntry.type",
        c: "offsetof(struct hvm_memmap_table_entry, type)",
        value: offset_of!(HvmMemmapTableEntry, r#type) as u64,
    },
    AbiItem {
        rust: "XenExtraversion",
        c: "sizeof(xen_extraversion_t)",
        value: core::mem::size_of::<XenExtraversion>() as u64,
    },
    AbiItem {
        rust: "HYPERCALL_STUB_SIZE",
        // Xen's hypercall-page stubs are 32 bytes apart: 128 of them fill
        // a page, which is how every OS indexes the page.
        c: "4096 / 128",
        value: HYPERCALL_STUB_SIZE as u64,
    },
    AbiItem {
        rust: "HYPERCALL_PAGE_STUBS",
        c: "4096 / 32",
        value: HYPERCALL_PAGE_STUBS as u64,
    },
];
