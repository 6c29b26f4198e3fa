//! The Rust half of the C test guest: a `staticlib` holding xencall's C
//! API (`c-api`) and boot runtime, whose `main` runs the C tests in
//! `guest.c` and prints one result line each.
//!
//! `cargo qemu test` compiles `guest.c` with clang against the installed
//! `xencall.h` and links it with this library (see qemu-tests'
//! `c_guest.rs`); by hand, for x86_64:
//!
//! ```text
//! cargo build --release --example c-guest --target x86_64-unknown-none --features rt,panic-handler,c-api
//! clang --target=x86_64-unknown-none-elf -ffreestanding -nostdinc \
//!     -isystem "$(clang -print-resource-dir)/include" -idirafter /usr/include \
//!     -mno-red-zone -mno-sse -mno-mmx -mno-80387 -fno-pic -O2 -c examples/c-guest/guest.c -o guest.o
//! ld.lld -static -Tlinker/xencall-x86_64.ld --gc-sections -o c-guest guest.o \
//!     target/x86_64-unknown-none/release/examples/libc_guest.a
//! ```
#![cfg_attr(target_os = "none", no_std)]

#[cfg(target_os = "none")]
mod guest {
    use core::ffi::{c_char, c_int, c_long, CStr};
    use core::sync::atomic::{AtomicBool, Ordering};

    use xencall::rt::testing::{run, Failure, Message, TestCase, TestResult};
    use xencall::rt::{BootInfo, DomainRole};

    /// Whether the runtime found this guest a domU (for `guest.c`).
    static IS_DOMU: AtomicBool = AtomicBool::new(false);

    /// `guest.c`'s question: 1 in a domU, 0 in dom0.
    #[no_mangle]
    extern "C" fn c_guest_is_domu() -> c_int {
        IS_DOMU.load(Ordering::Relaxed).into()
    }

    extern "C" {
        fn c_open_close() -> *const c_char;
        fn c_version() -> *const c_char;
        fn c_buffers() -> *const c_char;
        fn c_errors() -> *const c_char;
        static c_guest_value: c_long;
    }

    xencall::entry!(main);

    fn main(boot: &BootInfo) {
        IS_DOMU.store(boot.domain_role == DomainRole::DomU, Ordering::Relaxed);
        run(
            boot,
            &[
                TestCase {
                    name: "c_open_close",
                    run: |_| judge(c_open_close),
                },
                TestCase {
                    name: "c_version",
                    run: |_| judge(c_version),
                },
                TestCase {
                    name: "c_buffers",
                    run: |_| judge(c_buffers),
                },
                TestCase {
                    name: "c_errors",
                    run: |_| judge(c_errors),
                },
            ],
        )
    }

    /// Run one C test: NULL passes; otherwise its message and value fail.
    fn judge(test: unsafe extern "C" fn() -> *const c_char) -> TestResult {
        // SAFETY: the C tests take no arguments and return NULL or a
        // pointer to a string literal.
        let what = unsafe { test() };
        if what.is_null() {
            return Ok(());
        }
        // SAFETY: a non-NULL result is a NUL-terminated string literal,
        // and `c_guest_value` was written by the same single-threaded test
        // just before it returned.
        let (what, value) = unsafe { (CStr::from_ptr(what), c_guest_value) };
        Err(Failure::Fail(Message::new(format_args!(
            "guest.c: {} {value}",
            what.to_str().unwrap_or("(message not UTF-8)")
        ))))
    }
}
