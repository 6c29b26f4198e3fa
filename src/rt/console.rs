//! The early console: `CONSOLEIO_write` once a hypercall backend is
//! registered (dom0's output reaches Xen's own console, the serial line
//! under QEMU), the architecture's fallback before that or without Xen
//! (COM1 on x86; nothing on Arm).

use core::fmt::{self, Write};

use crate::abi::HypercallOp;

/// `CONSOLEIO_write`.
const CONSOLEIO_WRITE: u64 = crate::abi::console_io::ConsoleIoCmd::WRITE.0 as u64;

/// Serialises whole `print!` calls across vCPUs.
static LOCK: spin::Mutex<()> = spin::Mutex::new(());

/// Write raw bytes to the console.
pub fn write_bytes(bytes: &[u8]) {
    #[cfg(all(
        target_os = "none",
        any(target_arch = "x86_64", target_arch = "aarch64")
    ))]
    {
        use crate::backend::Backend;
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

/// Print to the boot runtime's console.
#[macro_export]
macro_rules! print {
    ($($arg:tt)*) => { $crate::rt::console::_print(format_args!($($arg)*)) };
}

/// Print a line to the boot runtime's console.
#[macro_export]
macro_rules! println {
    () => { $crate::print!("\n") };
    ($($arg:tt)*) => { $crate::rt::console::_print(format_args!("{}\n", format_args!($($arg)*))) };
}
