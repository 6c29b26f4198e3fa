//! `__HYPERVISOR_console_io` (`public/xen.h`).

xen_code! {
    /// A `console_io` command.
    pub struct ConsoleIoCmd(u32);
    WRITE = 0;
    READ = 1;
}
