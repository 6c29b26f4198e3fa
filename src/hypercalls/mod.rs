//! Typed, safe hypercall families over [`Xencall`](crate::Xencall): each
//! marshals its arguments through hypercall buffers, decodes the result
//! and reports failures as [`Error`](crate::Error). The structures come
//! from [`abi`](crate::abi) and are checked against Xen's headers.

mod c_string;
mod console;
mod domctl;
mod event_channel;
mod grant_table;
mod hvm;
mod memory;
mod multicall;
mod physdev;
mod sched;
mod sysctl;
mod vcpu;
mod version;

pub use c_string::CString;
pub use event_channel::ChannelState;
pub use multicall::entry_result;
pub use sched::MAX_POLL_PORTS;
pub use version::{CompileInfo, XenFeatures, XenVersion};
