//! `__HYPERVISOR_multicall` (`public/xen.h`): several hypercalls in one.

use core::mem::{offset_of, size_of};

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

const _: () = assert!(size_of::<MulticallEntry>() == 64);
const _: () = assert!(offset_of!(MulticallEntry, args) == 16);

static_assertions::const_assert_eq!(core::mem::align_of::<MulticallEntry>(), 8);
