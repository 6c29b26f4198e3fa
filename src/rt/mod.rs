//! The boot runtime (feature `rt`): everything a unikernel needs between
//! Xen handing over the vCPU and `fn main(boot: &BootInfo)`.
//!
//! * x86_64: one ELF that boots both as a PVH guest (32-bit entry through
//!   `XEN_ELFNOTE_PHYS32_ENTRY`) and as a 64-bit PV guest (Xen's ELF notes,
//!   hypercall page placed by Xen). Link with `-Txencall-x86_64.ld`.
//! * aarch64: an arm64 `Image`, position-independent, MMU on with an
//!   identity map. Link with `-Txencall-aarch64.ld`.
//!
//! The architecture-specific entry code (in `arch/*/rt`) fills a
//! [`BootInfo`] and calls `start` (bare metal only), which sets up the heap, the hypercall
//! backend and the console, then runs the function named by [`entry!`](crate::entry).
//!
//! As a domU (started by a toolstack, `xl create`), the runtime finds the
//! PV console and xenstore pages the toolstack set up ([`BootInfo`]'s
//! `domain_role`, `console_ring`, `xenstore_ring`): the console then is the
//! PV console (`rt::pv_console`, guest-only), and `rt::xenstore` holds the
//! xenstore client.
//! As dom0 the console is Xen's own.
//!
//! Guest command-line options read by the runtime:
//! * `xencall-exit=qemu`: exit through QEMU's debug-exit device (x86
//!   `isa-debug-exit` at port 0xf4, Arm semihosting) so a test harness sees
//!   the status; otherwise the runtime shuts the domain down with
//!   `SCHEDOP_shutdown`.
//! * `xencall-hypercall=direct|page`: the x86 PVH hypercall mode (default
//!   `page`).

pub mod boot_info;
pub mod cmdline;
pub mod console;
pub mod exit;
pub mod testing;

#[cfg(target_os = "none")]
mod domain;
#[cfg(any(doc, target_os = "none"))]
pub mod event_doorbell;
#[cfg(any(doc, target_os = "none"))]
pub mod events;
#[cfg(target_os = "none")]
mod heap;
#[cfg(target_os = "none")]
mod memory_map;
#[cfg(all(feature = "panic-handler", target_os = "none"))]
mod panic;
#[cfg(any(doc, target_os = "none"))]
pub mod pv_console;
#[cfg(any(doc, target_os = "none"))]
pub mod shared_info;
#[cfg(any(doc, target_os = "none"))]
pub mod smp;
#[cfg(any(doc, target_os = "none"))]
pub mod xenstore;

pub use boot_info::{
    BootInfo, DomainRole, GuestMode, MemoryKind, MemoryRegion, Module, RawBootInfo, RingPage,
};
#[cfg(any(doc, target_os = "none"))]
pub use exit::exit;
pub use exit::ExitStatus;

/// Declare the unikernel's main function: `xencall::entry!(main);` with
/// `fn main(boot: &xencall::rt::BootInfo)`. When it returns, the runtime
/// exits with success.
///
/// Every guest in `examples/` starts this way.
///
/// ```
/// use std::sync::atomic::{AtomicBool, Ordering};
/// use xencall::rt::{BootInfo, GuestMode, RawBootInfo};
///
/// static QUIET: AtomicBool = AtomicBool::new(false);
///
/// fn guest(boot: &BootInfo) {
///     QUIET.store(boot.option("quiet").is_some(), Ordering::Relaxed);
/// }
/// xencall::entry!(guest);
///
/// # fn main() {
/// // What the runtime does once the guest is set up: call the symbol
/// // `entry!` defined.
/// extern "Rust" {
///     fn xencall_main(boot: &BootInfo);
/// }
/// let mut boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
/// boot.cmdline = "quiet";
/// // SAFETY: `entry!` defined `xencall_main` with this signature.
/// unsafe { xencall_main(&boot) };
/// assert!(QUIET.load(Ordering::Relaxed));
/// # }
/// ```
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        #[export_name = "xencall_main"]
        #[doc(hidden)]
        pub fn __xencall_main(boot: &$crate::rt::BootInfo) {
            let main: fn(&$crate::rt::BootInfo) = $main;
            main(boot)
        }
    };
}

#[cfg(target_os = "none")]
extern "Rust" {
    /// Defined by [`entry!`] in the unikernel.
    fn xencall_main(boot: &BootInfo);
}

/// Called by the architecture entry code once the CPU is in its final mode
/// (long mode / EL1 with MMU on), a stack is set and `.bss` is zero.
///
/// Sets up the heap, finds the hypercall mechanism, registers it for
/// [`Xencall::open`](crate::Xencall::open), then runs the unikernel's main.
/// Without Xen it prints why and exits with failure.
///
/// Guest-only (it exists for `target_os = "none"`, so the example builds
/// only there): the entry code in `arch/*/rt` calls it, as the PVH entry
/// does here.
///
/// # Safety
/// Called once, by the entry code, with `boot.guest_mode` and `boot.raw`
/// describing the boot Xen really made (for PV, `raw` is the mapped
/// `start_info`), on the runtime's memory layout (PV: virtual =
/// pseudo-physical; PVH and Arm: the identity map). The crate then trusts
/// them to name this guest's frames to Xen ([`Frames`](crate::Frames)).
///
/// ```no_run
/// # #[cfg(target_os = "none")]
/// # fn pvh_entry(start_info: u64) -> ! {
/// use xencall::abi::start_info::HvmStartInfo;
/// use xencall::rt::{cmdline::from_c_string, BootInfo, GuestMode, RawBootInfo};
///
/// // Long mode, identity map and stack are set up; `ebx` held the
/// // address of `hvm_start_info`.
/// let mut boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(start_info));
/// // SAFETY: Xen maps `hvm_start_info` and the command line it names.
/// boot.cmdline = unsafe {
///     let info = &*(start_info as *const HvmStartInfo);
///     from_c_string(info.cmdline_paddr, 1024)
/// };
/// // SAFETY: the entry code's own `hvm_start_info`, on the runtime's
/// // identity map, once.
/// unsafe { xencall::rt::start(boot) } // runs the `entry!` function, then exits
/// # }
/// ```
#[cfg(any(doc, target_os = "none"))]
pub unsafe fn start(mut boot: BootInfo) -> ! {
    // SAFETY: this function's contract is `record_entry`'s.
    unsafe { boot.record_entry() };
    heap::init();
    exit::use_qemu_exit(cmdline::option(boot.cmdline, "xencall-exit") == Some("qemu"));
    let preference = match cmdline::option(boot.cmdline, "xencall-hypercall") {
        Some("direct") => crate::arch::HypercallMode::Direct,
        _ => crate::arch::HypercallMode::Page,
    };
    match crate::arch::rt::hypercall_backend(&boot, preference) {
        Ok(native) => {
            let native = crate::arch::set_native(native);
            boot.hypercall_mode = Some(native.mode());
        }
        Err(e) => {
            crate::println!("xencall: {e}");
            crate::println!("xencall: not running on Xen, stopping");
            exit(ExitStatus::Failure);
        }
    }
    // A domU's console is its PV console ring (Xen's refuses a domU).
    domain::discover(&mut boot);
    pv_console::init(&boot);
    xenstore::init(&boot);
    if boot.memory_map().is_empty() {
        memory_map::from_xen(&mut boot);
    }
    // SAFETY: `xencall_main` is defined by `entry!` with this signature;
    // linking fails if the unikernel did not use `entry!`.
    unsafe { xencall_main(&boot) };
    exit(ExitStatus::Success)
}
