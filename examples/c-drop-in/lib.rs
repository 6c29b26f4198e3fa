//! `libxencall.a` for C runtimes of their own (Mini-OS style stub domains,
//! unikernels with their own boot code): the crate's C API alone, without
//! xencall's boot runtime. It defines exactly the functions of
//! libxencall's `xencall.h` (plus the hypercall page on x86_64 and a weak
//! `__errno_location` that a C library's own replaces); the rest of its
//! global symbols are Rust-mangled or the compiler's weak builtins.
//!
//! What the C side provides: `abort()` (a panic inside the library calls
//! it; the C API itself does not panic on bad input, it returns -1 and sets
//! errno) and, for x86_64 PV, nothing else: the library finds Xen by CPUID
//! and, on PVH/HVM, installs its own hypercall page through the MSR. A PV
//! kernel's hypercall page is the one its ELF note names: the library's
//! page is `xencall_hypercall_page`, so a PV runtime names that one.
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
