//! `__HYPERVISOR_multicall` (`public/xen.h`): several hypercalls in one.

/// `struct multicall_entry`: one hypercall of a batch; Xen writes its
/// result back.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[repr(C)]
pub struct MulticallEntry {
    /// The hypercall number.
    pub op: u64,
    /// Out: the hypercall's return value.
    pub result: u64,
    /// Its arguments.
    pub args: [u64; 6],
}

abi_layout! {
    MULTICALL_ENTRY = struct MulticallEntry as "struct multicall_entry", size 64, align 8 {
        op @ 0,
        result @ 8,
        args @ 16,
    }
}
