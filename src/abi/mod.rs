//! The raw Xen public ABI (`xen/include/public/`): numbers, constants and
//! `repr(C)` structures exactly as the headers define them, all fields
//! public. The safe API lives elsewhere in the crate.
//!
//! Each structure carries compile-time size and offset checks for both
//! architectures, and `tests/abi_conformance.rs` compares every item against
//! the installed Xen headers.

#[doc(hidden)]
pub mod conformance;
pub mod console_io;
pub mod elfnote;
pub mod errno;
pub mod event_channel;
pub mod grant_table;
pub mod hvm;
pub mod hypercall;
pub mod memory;
pub mod multicall;
pub mod physdev;
pub mod sched;
pub mod start_info;
pub mod sysctl;
pub mod vcpu;
pub mod xen_version;

pub use errno::XenErrno;
pub use hypercall::HypercallOp;
