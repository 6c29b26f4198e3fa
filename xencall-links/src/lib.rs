//! A marker crate with no code: [xencall](https://crates.io/crates/xencall)
//! depends on it (exactly its own version) when its boot runtime (`rt`) or
//! C API (`c-api`) is enabled.
//!
//! Those features export symbols under fixed names: the entry point, Xen's
//! ELF notes and the x86 hypercall page, the functions of libxencall's
//! `xencall.h`. Two copies of them cannot be linked into one guest. The
//! marker's `links = "xencall"` makes cargo refuse such a graph before
//! anything is built, with a message naming both versions, while versions
//! of xencall used without those features (plain hypercall libraries) can
//! share a graph freely.
//!
//! Use xencall, not this crate.
#![no_std]
