//! # xencall
//!
//! [libxencall]'s API (`xencall.h`) for bare-metal Rust: Xen hypercalls made
//! directly by the guest, with no OS driver, for unikernels and stub domains.
//!
//! * [`Xencall`] mirrors `xencall.h` one to one: open/close, `call0`..`call5`,
//!   hypercall-buffer allocation, `buffers_never_fault`.
//! * The architecture backend ([`arch`]) emits the hypercall inline:
//!   `call hypercall_page + op*32` or `vmcall`/`vmmcall` on x86_64,
//!   `hvc #0xEA1` on aarch64.
//! * Hypercall buffers come from a page-aligned static arena ([`buffers`]).
//! * [`abi`] is the raw Xen public ABI, kept apart from the safe API.
//!
//! The crate is `no_std`; types, the allocator and the call logic build and
//! are tested on the host, only the instruction sequences and the boot
//! runtime are specific to bare metal.
//!
//! [libxencall]: https://xenbits.xen.org/docs/unstable/
#![cfg_attr(not(test), no_std)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(missing_docs)]
#![deny(clippy::missing_safety_doc)]
#![deny(clippy::undocumented_unsafe_blocks)]

#[macro_use]
mod code;

pub mod abi;
pub mod arch;
mod backend;
pub mod bounce;
pub mod buffers;
mod error;
#[cfg(feature = "c-api")]
pub mod ffi;
mod flags;
pub mod frames;
mod handle;
pub mod hypercalls;
pub mod mock;

#[cfg(feature = "rt")]
pub mod rt;

#[cfg(feature = "rt")]
extern crate alloc;

pub use backend::Backend;
pub use buffers::{Buffer, BufferArray};
pub use error::{Error, InvalidBuffer, Result};
pub use flags::OpenFlags;
pub use frames::{Frames, IdentityMapped};
pub use handle::{Logger, Xencall};
