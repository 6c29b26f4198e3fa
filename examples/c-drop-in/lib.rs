//! `libxencall.a` for C runtimes of their own (Mini-OS style stub domains,
//! unikernels with their own boot code): the crate's C API alone, without
//! xencall's boot runtime. It defines exactly the functions of
//! libxencall's `xencall.h` (plus the hypercall page's storage on x86_64
//! and a weak `__errno_location` that a C library's own replaces); the rest of its
//! global symbols are Rust-mangled or the compiler's weak builtins.
//!
//! What the C side provides: `abort()` (a panic inside the library calls
//! it; the C API itself does not panic on bad input, it returns -1 and sets
//! errno). The library finds Xen by CPUID and, on PVH/HVM, installs its own
//! hypercall page through the MSR (the runtime's identity-map assumption:
//! the page's virtual address is its physical one) or traps directly; on
//! Arm it issues `hvc`. A PV kernel sees no CPUID signature: it would have
//! to hand over its Xen-filled page (Rust: `arch::set_native`), for which
//! `xencall.h` has no function, so PV is not served by this library alone.
//!
//! `cargo qemu drop-in` builds it for both architectures into
//! `target/drop-in/<arch>/libxencall.a` and checks the symbols and a link
//! against C code compiled with the system's `xencall.h`.
#![cfg_attr(target_os = "none", no_std)]

// The C API is in the crate; this makes sure the staticlib keeps it.
pub use xencall::ffi;

// With the runtime's panic handler (a build of every example with all
// features, as clippy does) that one serves.
#[cfg(all(target_os = "none", not(feature = "panic-handler")))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
    extern "C" {
        fn abort() -> !;
    }
    // SAFETY: `abort` is the C runtime's; it takes nothing and does not
    // return.
    unsafe { abort() }
}
