//! `__HYPERVISOR_multicall` (`public/xen.h`): several hypercalls in one.
//!
//! ```
//! use xencall::abi::{multicall::MulticallEntry, HypercallOp};
//! use xencall::{mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // XENVER_version (0) and XENVER_pagesize (7) for one trap into Xen.
//! let op = HypercallOp::XEN_VERSION.0.into();
//! let ver = |cmd| MulticallEntry { op, args: [cmd, 0, 0, 0, 0, 0], result: 0 };
//! let mut batch = [ver(0), ver(7)];
//! // SAFETY: neither sub-command takes a buffer (and the mock makes no call).
//! unsafe { xc.multicall(&mut batch)? };
//! // multicall(list, count): the whole batch went as one hypercall.
//! assert_eq!(xc.backend().last().map(|(op, _, a)| (op, a[1])), Some((13, 2)));
//! # Ok::<(), xencall::Error>(())
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `struct multicall_entry`: one hypercall of a batch; Xen writes its
/// result back.
///
/// ```
/// use xencall::abi::{multicall::MulticallEntry, HypercallOp};
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// // Play Xen: it writes each entry's result back into the entry.
/// xc.backend().set_responder(&|_, a| {
///     unsafe { (*(a[0] as *mut MulticallEntry)).result = 4096 };
///     0
/// });
/// let op = HypercallOp::XEN_VERSION.0.into();
/// let mut batch = [MulticallEntry { op, args: [7, 0, 0, 0, 0, 0], result: 0 }];
/// // SAFETY: XENVER_pagesize takes no buffer (and the mock makes no call).
/// unsafe { xc.multicall(&mut batch)? };
/// assert_eq!(batch[0].result, 4096);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
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
