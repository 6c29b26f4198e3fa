//! # xencall
//!
//! [libxencall]'s API (`xencall.h`) for bare-metal Rust: Xen hypercalls made
//! directly by the guest, with no OS driver, for unikernels and stub domains.
//!
//! * [`Xencall`] mirrors `xencall.h` one to one: open/close, `call0`..`call5`,
//!   hypercall-buffer allocation, `buffers_never_fault`; [`hypercalls`] adds
//!   typed wrappers (`xen_version`, `sched_shutdown`, `memory_op`, ...).
//! * The architecture backend ([`arch`]) emits the hypercall inline:
//!   `call hypercall_page + op*32` or `vmcall`/`vmmcall` on x86_64,
//!   `hvc #0xEA1` on aarch64.
//! * Hypercall buffers come from a page-aligned static arena ([`buffers`]).
//! * [`abi`] is the raw Xen public ABI, kept apart from the safe API.
//! * `rt` (feature `rt`) is a boot runtime: a guest that is nothing but Rust.
//!
//! The crate is `no_std`; types, the allocator and the call logic build and
//! are tested on the host, only the instruction sequences and the boot
//! runtime are specific to bare metal.
//!
//! ## Quick start: a unikernel
//!
//! A guest that boots as an x86_64 PVH or PV domain, or as an arm64 Image,
//! prints, makes a hypercall through a buffer and shuts down.
//!
//! `Cargo.toml`:
//!
//! ```toml
//! [dependencies]
//! xencall = { version = "0.1", features = ["rt", "panic-handler"] }
//! ```
//!
//! `.cargo/config.toml`: link with the runtime's linker script (xencall's
//! build script puts it on the linker's search path) and build the code the
//! entry expects:
//!
//! ```toml
//! [target.x86_64-unknown-none]
//! rustflags = ["-C", "link-arg=-Txencall-x86_64.ld", "-C", "relocation-model=static"]
//!
//! [target.aarch64-unknown-none]
//! # The Image relocates itself: Xen loads it wherever dom0's memory lies.
//! # --pack-dyn-relocs=relr (optional) packs its relocations: ~3 KiB less.
//! rustflags = ["-C", "link-arg=-Txencall-aarch64.ld", "-C", "relocation-model=pie",
//!              "-C", "link-arg=-pie", "-C", "link-arg=--no-dynamic-linker",
//!              "-C", "link-arg=--pack-dyn-relocs=relr"]
//! ```
//!
//! `src/main.rs`, which starts with `#![no_std]` and `#![no_main]`:
//!
//! ```no_run
//! # #[cfg(feature = "rt")]
//! # mod unikernel {
//! use xencall::abi::sched::ShutdownReason;
//! use xencall::abi::xen_version::XenVersionCmd;
//! use xencall::abi::HypercallOp;
//! use xencall::rt::BootInfo;
//! use xencall::{println, OpenFlags, Xencall};
//!
//! // The runtime sets up the CPU, heap, console and hypercalls, then
//! // calls this.
//! xencall::entry!(main);
//!
//! fn main(boot: &BootInfo) {
//!     println!("hello from a {} guest, command line {:?}", boot.guest_mode, boot.cmdline);
//!     // The runtime found Xen before calling `main`.
//!     let xc = Xencall::open(None, OpenFlags::empty()).expect("Xen is there");
//!
//!     // A typed wrapper: arguments and results in hypercall buffers.
//!     let version = xc.xen_version().expect("xen_version");
//!
//!     // The raw call, as with libxencall: XENVER_extraversion writes 16
//!     // bytes into a hypercall buffer (zeroed, freed on drop).
//!     let extra = xc.buffer([0u8; 16]).expect("a hypercall buffer");
//!     // SAFETY: Xen writes 16 bytes at `extra`, which outlives the call.
//!     unsafe {
//!         xc.call2(HypercallOp::XEN_VERSION, XenVersionCmd::EXTRAVERSION.0.into(), extra.addr())
//!     }
//!     .expect("xen_version(extraversion)");
//!     let extra = extra.read();
//!     let len = extra.iter().position(|&b| b == 0).unwrap_or(extra.len());
//!     println!("Xen {version}{}", core::str::from_utf8(&extra[..len]).unwrap_or("?"));
//!
//!     // Shut the domain down. Returning from `main` powers off too; a
//!     // panic (feature `panic-handler`) prints and shuts down as crashed.
//!     xc.sched_shutdown(ShutdownReason::POWEROFF).expect("SCHEDOP_shutdown");
//! }
//! # }
//! # fn main() {}
//! ```
//!
//! Build it with `cargo build --target x86_64-unknown-none` (one ELF that
//! boots as PVH and as PV) or `--target aarch64-unknown-none` (an arm64
//! Image). Without rustup's targets (`rustup target add
//! x86_64-unknown-none aarch64-unknown-none`), the host runner's
//! `cargo-xencall toolchain` prints the environment and cargo arguments
//! that build them with a toolchain's `rust-src` (`-Zbuild-std`).
//!
//! To boot it under Xen in QEMU, install the host runner (in this
//! crate's repository: `cargo install --path qemu-tests`) and name it as
//! the targets' runner, so that `cargo run --target ...` boots the guest
//! as dom0 and `cargo test --target ...` runs its `harness = false` tests
//! in the guest:
//!
//! ```toml
//! [target.x86_64-unknown-none]
//! runner = "cargo-xencall boot --arch x86_64"
//!
//! [target.aarch64-unknown-none]
//! runner = "cargo-xencall boot --arch aarch64"
//! ```
//!
//! `examples/hello.rs` is this guest in full; `examples/boot-tests.rs` uses
//! every hypercall family and the in-guest test framework
//! ([`rt::testing`]).
//!
//! ## Features
//!
//! None is on by default: a library that only makes hypercalls (for a
//! runtime of its own) needs none.
//!
//! | feature | what it adds | what it pulls in |
//! |---------|--------------|------------------|
//! | (none) | [`Xencall`], the backends, buffers, [`hypercalls`], [`bounce`], [`abi`], [`mock`] | `bitflags`, `log`, `spin`, `static_assertions`; `x86_64` or `aarch64-cpu` for the instructions |
//! | `rt` | the boot runtime ([`rt`]): PVH and PV entry on x86_64, arm64 Image entry; [`entry!`], [`println!`], [`rt::BootInfo`], a heap for `alloc`, exit, events, vCPUs, shared info, the in-guest test framework; the linker scripts | `linked_list_allocator` (the heap), the `xencall-links` marker |
//! | `panic-handler` | a `#[panic_handler]` that reports the panic (as the running test's failure, if any) and shuts down as crashed | `rt` |
//! | `c-api` | [`ffi`]: the functions of libxencall's `xencall.h`, exported under their C names, for C code linked with the crate | the `xencall-links` marker |
//!
//! `rt` and `c-api` export symbols under fixed names (the entry point, Xen's
//! ELF notes, the hypercall page, `xencall_open`...), so only one version of
//! xencall in a build graph may enable them; cargo refuses a second one
//! before building (the `xencall-links` marker's `links = "xencall"`).
//! Versions of xencall without them share a graph freely.
//!
//! At build time, `XENCALL_ARENA_PAGES` sets the static buffer arena's size
//! in pages (default 256, 1 MiB; `0` for none: buffers then come only from
//! [`buffers::add_region`]).
//!
//! [libxencall]: https://xenbits.xen.org/docs/unstable/
#![cfg_attr(not(test), no_std)]
// docs.rs (nightly rustdoc, `--cfg docsrs`): mark each item with the
// features and targets it needs.
#![cfg_attr(docsrs, feature(doc_cfg))]
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
pub mod console_ring;
mod error;
#[cfg(any(doc, feature = "c-api"))]
pub mod ffi;
mod flags;
pub mod frames;
pub mod grant_table;
mod handle;
pub mod hypercalls;
pub mod mock;
pub mod shared_ring;
#[cfg(any(doc, feature = "alloc"))]
pub mod xenstore;

#[cfg(any(doc, feature = "rt"))]
pub mod rt;

#[cfg(any(doc, feature = "alloc"))]
extern crate alloc;

pub use backend::Backend;
pub use buffers::{Buffer, BufferArray};
pub use error::{Error, InvalidBuffer, Result};
pub use flags::OpenFlags;
pub use frames::{Frames, IdentityMapped};
pub use handle::{Logger, Xencall};
