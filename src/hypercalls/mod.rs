//! Typed, safe hypercall families over [`Xencall`](crate::Xencall): each
//! marshals its arguments through hypercall buffers, decodes the result
//! and reports failures as [`Error`](crate::Error). The structures come
//! from [`abi`](crate::abi) and are checked against Xen's headers.
//!
//! Every family is a set of methods on [`Xencall`](crate::Xencall), so code
//! using them can be tested on the host against a scripted
//! [`MockBackend`](crate::mock::MockBackend):
//!
//! ```
//! use xencall::hypercalls::XenVersion;
//! use xencall::{mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // Answer every call as Xen 4.17 answers XENVER_version.
//! xc.backend().set_responder(&|_op, _args| 0x0004_0011);
//! let v = xc.xen_version()?;
//! assert_eq!(v, XenVersion { major: 4, minor: 17 });
//! assert_eq!(xc.backend().last(), Some((17, 2, [0, 0, 0, 0, 0])));
//! # Ok::<(), xencall::Error>(())
//! ```

mod c_string;
mod callback;
mod console;
mod domctl;
mod event_channel;
mod grant_copy;
mod grant_table;
mod hvm;
mod memory;
mod mmu;
mod multicall;
mod owned_pages;
mod physdev;
mod release;
mod sched;
mod sysctl;
mod vcpu;
mod version;

pub use c_string::CString;
pub use event_channel::ChannelState;
pub use grant_copy::{CopyDest, CopySource, GrantCopy};
pub use multicall::entry_result;
pub use sched::MAX_POLL_PORTS;
pub use version::{CompileInfo, XenFeatures, XenVersion};
