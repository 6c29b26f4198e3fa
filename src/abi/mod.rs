//! The raw Xen public ABI (`xen/include/public/`): numbers, constants and
//! `repr(C)` structures exactly as the headers define them, all fields
//! public. The safe API lives elsewhere in the crate.
//!
//! Each structure carries compile-time size and offset checks for both
//! architectures, and `tests/abi_conformance.rs` compares every item against
//! the installed Xen headers.
//!
//! ```
//! use xencall::abi::xen_version::{XenFeatureBit, XenFeatureInfo, XenVersionCmd};
//! use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // Play Xen as a PVH guest sees it: submap 0 has XENFEAT_auto_translated_physmap.
//! xc.backend().set_responder(&|_, a| unsafe { (*(a[1] as *mut XenFeatureInfo)).submap = 1 << 2; 0 });
//! // The raw pattern: a structure laid out as the header says, in a hypercall
//! // buffer; its address as the argument; then read what Xen wrote back.
//! let arg = xc.buffer(XenFeatureInfo { submap_idx: 0, submap: 0 })?;
//! // SAFETY: XENVER_get_features writes one xen_feature_info into the buffer.
//! unsafe { xc.call2(HypercallOp::XEN_VERSION, XenVersionCmd::GET_FEATURES.0.into(), arg.addr())? };
//! assert_ne!(arg.read().submap & (1 << XenFeatureBit::AUTO_TRANSLATED_PHYSMAP.0), 0);
//! # Ok::<(), xencall::Error>(())
//! ```

/// Compile-time layout checks for one `repr(C)` type, and the same facts as
/// conformance-table entries (`conformance::AbiItem`) compared against the C
/// headers by `tests/abi_conformance.rs`. Writing both from one invocation
/// keeps the checked numbers and the checked field list in one place.
///
/// `$table` names the generated table (listed in `conformance::STRUCTS`).
/// A `struct` must list every field (an exhaustive pattern stops the build
/// otherwise); field sizes are compared too. A `union` lists the members
/// the crate models; only offsets are compared for those.
/// Attributes (`#[cfg(target_arch = ...)]`) apply to everything generated,
/// so a layout that differs per architecture gets one invocation per arch.
///
/// Where C leaves implicit padding, the Rust type spells it out as fields
/// listed under `rust_padding { ... }`: their offsets are checked, but they
/// have no C name to compare. Every structure also derives zerocopy's
/// `IntoBytes`, whose derive refuses a type with padding bytes, so a byte C
/// leaves implicit cannot be forgotten here.
macro_rules! abi_layout {
    (
        $(#[$attr:meta])*
        $table:ident = struct $ty:ident as $c:literal, size $size:literal, align $align:literal {
            $($field:ident @ $off:literal),* $(,)?
        }
        $(rust_padding { $($pad:ident @ $poff:literal),* $(,)? })?
    ) => {
        $(#[$attr])*
        const _: () = {
            assert!(::core::mem::size_of::<$ty>() == $size);
            assert!(::core::mem::align_of::<$ty>() == $align);
            $(assert!(::core::mem::offset_of!($ty, $field) == $off);)*
            $($(assert!(::core::mem::offset_of!($ty, $pad) == $poff);)*)?
        };
        // Fails to compile when a field is added to the type but not here.
        $(#[$attr])*
        const _: fn($ty) = |v: $ty| {
            let $ty { $($field: _,)* $($($pad: _,)*)? } = v;
        };
        $(#[$attr])*
        pub(crate) const $table: &[$crate::abi::conformance::AbiItem] = &[
            $crate::abi::conformance::AbiItem {
                rust: stringify!($ty),
                c: concat!("sizeof(", $c, ")"),
                value: ::core::mem::size_of::<$ty>() as u64,
            },
            $crate::abi::conformance::AbiItem {
                rust: stringify!($ty),
                c: concat!("_Alignof(", $c, ")"),
                value: ::core::mem::align_of::<$ty>() as u64,
            },
            $(
                $crate::abi::conformance::AbiItem {
                    rust: concat!(stringify!($ty), ".", stringify!($field)),
                    c: concat!("offsetof(", $c, ", ", stringify!($field), ")"),
                    value: ::core::mem::offset_of!($ty, $field) as u64,
                },
                $crate::abi::conformance::AbiItem {
                    rust: concat!(stringify!($ty), ".", stringify!($field)),
                    c: concat!("sizeof(((", $c, " *)0)->", stringify!($field), ")"),
                    value: $crate::abi::conformance::field_size(|v: $ty| v.$field) as u64,
                },
            )*
        ];
    };
    (
        $(#[$attr:meta])*
        $table:ident = union $ty:ident as $c:literal, size $size:literal, align $align:literal {
            $($field:ident @ $off:literal),* $(,)?
        }
    ) => {
        $(#[$attr])*
        const _: () = {
            assert!(::core::mem::size_of::<$ty>() == $size);
            assert!(::core::mem::align_of::<$ty>() == $align);
            $(assert!(::core::mem::offset_of!($ty, $field) == $off);)*
        };
        $(#[$attr])*
        pub(crate) const $table: &[$crate::abi::conformance::AbiItem] = &[
            $crate::abi::conformance::AbiItem {
                rust: stringify!($ty),
                c: concat!("sizeof(", $c, ")"),
                value: ::core::mem::size_of::<$ty>() as u64,
            },
            $crate::abi::conformance::AbiItem {
                rust: stringify!($ty),
                c: concat!("_Alignof(", $c, ")"),
                value: ::core::mem::align_of::<$ty>() as u64,
            },
            $(
                $crate::abi::conformance::AbiItem {
                    rust: concat!(stringify!($ty), ".", stringify!($field)),
                    c: concat!("offsetof(", $c, ", ", stringify!($field), ")"),
                    value: ::core::mem::offset_of!($ty, $field) as u64,
                },
            )*
        ];
    };
}

pub mod callback;
#[doc(hidden)]
pub mod conformance;
pub mod console;
pub mod console_io;
pub mod cpuid;
pub mod domctl;
pub mod elfnote;
pub mod errno;
pub mod event_channel;
pub mod grant_table;
pub mod hvm;
pub mod hypercall;
pub mod memory;
pub mod multicall;
pub mod physdev;
pub mod release;
pub mod sched;
pub mod shared_info;
pub mod start_info;
pub mod sysctl;
pub mod vcpu;
pub mod xen;
pub mod xen_version;
pub mod xenstore;

pub use errno::XenErrno;
pub use hypercall::HypercallOp;
