//! `__HYPERVISOR_console_io` (`public/xen.h`).
//!
//! ```
//! use xencall::abi::{console_io::ConsoleIoCmd, HypercallOp};
//! use xencall::{mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! xc.console_write(b"hello\n")?;
//! // console_io(CONSOLEIO_write, length, buffer): three arguments.
//! let (op, nargs, args) = xc.backend().last().unwrap();
//! assert_eq!((op, nargs), (HypercallOp::CONSOLE_IO.0.into(), 3));
//! assert_eq!(args[..2], [ConsoleIoCmd::WRITE.0.into(), 6]);
//! # Ok::<(), xencall::Error>(())
//! ```

xen_code! {
    /// A `console_io` command.
    ///
    /// ```
    /// use xencall::abi::console_io::ConsoleIoCmd;
    ///
    /// assert_eq!(format!("{:?}", ConsoleIoCmd::READ), "READ");
    /// assert_eq!(ConsoleIoCmd::READ.0, 1); // CONSOLEIO_read
    /// // A number Xen does not define prints raw.
    /// assert_eq!(format!("{:?}", ConsoleIoCmd(9)), "ConsoleIoCmd(9)");
    /// ```
    pub struct ConsoleIoCmd(u32);
    WRITE = 0;
    READ = 1;
}
