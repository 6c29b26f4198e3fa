//! The console: a domU's PV console ring once `rt::start` found it
//! (`rt::pv_console`); otherwise `CONSOLEIO_write` once a hypercall backend
//! is registered (dom0's output reaches Xen's own console, the serial line
//! under QEMU), the architecture's fallback before that or without Xen
//! (COM1 on x86; nothing on Arm).

use core::fmt::{self, Write};

use crate::abi::HypercallOp;

/// `CONSOLEIO_write`.
const CONSOLEIO_WRITE: u64 = crate::abi::console_io::ConsoleIoCmd::WRITE.0 as u64;

/// Serialises whole `print!` calls across vCPUs.
static LOCK: spin::Mutex<()> = spin::Mutex::new(());

/// Write raw bytes to the console.
///
/// Unlike [`print!`](crate::print), it takes no lock, so a fault handler
/// can use it even if it interrupted a `print!`. In a guest the bytes
/// reach Xen's console; on the host they are dropped.
///
/// ```no_run
/// use xencall::rt::console::write_bytes;
///
/// // Bytes that are not text can go out as they are: a hex dump's input
/// // is not the console's job, but the line around it is.
/// write_bytes(b"fault: stack follows\n");
/// ```
pub fn write_bytes(bytes: &[u8]) {
    #[cfg(all(
        target_os = "none",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    {
        use crate::backend::Backend;
        // A domU: the PV console ring (set up once the backend exists).
        if super::pv_console::write(bytes) {
            return;
        }
        if let Some(native) = crate::arch::registered_native() {
            let mut rest = bytes;
            while !rest.is_empty() {
                // SAFETY: CONSOLEIO_write only reads `rest.len()` bytes at
                // `rest`, which is mapped guest memory for the whole call.
                let ret = unsafe {
                    native.call3(
                        HypercallOp::CONSOLE_IO.0.into(),
                        CONSOLEIO_WRITE,
                        rest.len() as u64,
                        rest.as_ptr() as u64,
                    )
                };
                match crate::Error::from_hypercall(ret) {
                    // Xen reports how much it took; 0 would loop forever.
                    Ok(n) if n > 0 && (n as usize) < rest.len() => rest = &rest[n as usize..],
                    _ => break,
                }
            }
            return;
        }
        crate::arch::rt::early_write(bytes);
    }
    #[cfg(not(all(
        target_os = "none",
        any(target_arch = "x86_64", target_arch = "aarch64")
    )))]
    {
        let _ = (bytes, HypercallOp::CONSOLE_IO, CONSOLEIO_WRITE);
    }
}

/// A `fmt::Write` over the console.
///
/// ```no_run
/// use core::fmt::Write;
/// use xencall::rt::console::Console;
///
/// // A `log` backend for a guest: records go to Xen's console.
/// struct ConsoleLog;
/// impl log::Log for ConsoleLog {
///     fn enabled(&self, _: &log::Metadata<'_>) -> bool { true }
///     fn log(&self, r: &log::Record<'_>) {
///         let _ = writeln!(Console, "[{}] {}: {}", r.level(), r.target(), r.args());
///     }
///     fn flush(&self) {}
/// }
/// static LOGGER: ConsoleLog = ConsoleLog;
/// log::set_logger(&LOGGER).expect("the first logger");
/// log::set_max_level(log::LevelFilter::Info);
/// log::info!("booted");
/// ```
pub struct Console;

impl Write for Console {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        write_bytes(s.as_bytes());
        Ok(())
    }
}

#[doc(hidden)]
pub fn _print(args: fmt::Arguments<'_>) {
    let _guard = LOCK.lock();
    let _ = Console.write_fmt(args);
}

/// Print a crash report (exception handlers, the panic handler): waits a
/// bounded time for the lock, then prints without it. The fault may have
/// struck inside a `print!` on this vCPU, which then holds the lock for
/// good; a report interleaved with another vCPU's line beats none.
pub(crate) fn print_after_fault(args: fmt::Arguments<'_>) {
    let mut guard = None;
    for _ in 0..100_000 {
        guard = LOCK.try_lock();
        if guard.is_some() {
            break;
        }
        core::hint::spin_loop();
    }
    let _ = Console.write_fmt(args);
    drop(guard);
}

/// `println!` for crash reports: see [`print_after_fault`].
macro_rules! fault_println {
    ($($arg:tt)*) => {
        $crate::rt::console::print_after_fault(format_args!("{}\n", format_args!($($arg)*)))
    };
}
pub(crate) use fault_println;

/// Print to the boot runtime's console.
///
/// Whole calls are serialised across vCPUs, so output from two vCPUs does
/// not interleave within one `print!`.
///
/// ```no_run
/// // In a guest: a progress line built up in pieces.
/// for round in 0..3 {
///     xencall::print!("round {round} ");
/// }
/// xencall::print!("done\n");
/// ```
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::rt::console::_print(format_args!($($arg)*)) };
}

/// Print a line to the boot runtime's console.
///
/// ```no_run
/// # let (major, minor) = (4, 19);
/// // In a guest, as `examples/hello.rs` reports the version it found.
/// xencall::println!("hello: Xen {major}.{minor}");
/// xencall::println!();
/// ```
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::rt::console::_print(format_args!("{}\n", format_args!($($arg)*))) };
}
