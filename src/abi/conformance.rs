//! Every ABI item the crate defines, with its C spelling, for the
//! conformance test (`tests/abi_conformance.rs`), which compiles C against
//! the installed Xen headers and compares each value.
//!
//! Code types made with `xen_code!` contribute all their constants through
//! their `ALL` tables, so a new code cannot be forgotten here; sizes and
//! plain constants are listed in [`LAYOUT`].

use super::hypercall::{HypercallOp, HYPERCALL_PAGE_STUBS, HYPERCALL_STUB_SIZE};
use super::xen_version::{XenExtraversion, XenVersionCmd};
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
];

/// Sizes, offsets and plain constants.
pub const LAYOUT: &[AbiItem] = &[
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
