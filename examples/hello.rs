//! The demo unikernel: one source for x86_64 PVH, x86_64 PV and aarch64.
//!
//! Prints the Xen version with its extraversion, the guest and hypercall
//! modes, then makes a real call through a hypercall buffer and shuts down.
//! Run it with `cargo qemu run` (or `--arch aarch64`, `--mode pv`).
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod guest {
    use xencall::abi::xen_version::XenVersionCmd;
    use xencall::abi::HypercallOp;
    use xencall::rt::BootInfo;
    use xencall::{println, OpenFlags, Xencall};

    xencall::entry!(main);

    fn main(boot: &BootInfo) {
        let xc = match Xencall::open(None, OpenFlags::empty()) {
            Ok(xc) => xc,
            Err(e) => {
                println!("hello: cannot open xencall: {e}");
                xencall::rt::exit(xencall::rt::ExitStatus::Failure);
            }
        };
        // SAFETY: XENVER_version takes no buffer.
        let version =
            unsafe { xc.call2(HypercallOp::XEN_VERSION, XenVersionCmd::VERSION.0.into(), 0) };
        // XENVER_extraversion writes 16 bytes into a hypercall buffer.
        let extra = xc.buffer([0u8; 16]).and_then(|buf| {
            // SAFETY: `buf` is a 16-byte hypercall buffer that outlives the call.
            unsafe {
                xc.call2(
                    HypercallOp::XEN_VERSION,
                    XenVersionCmd::EXTRAVERSION.0.into(),
                    buf.addr(),
                )?
            };
            Ok(buf.read())
        });
        match (version, extra) {
            (Ok(v), Ok(extra)) => {
                let len = extra.iter().position(|&b| b == 0).unwrap_or(extra.len());
                let extra = core::str::from_utf8(&extra[..len]).unwrap_or("?");
                println!("hello: Xen {}.{}{}", v >> 16, v & 0xffff, extra);
            }
            // Errors as `Display` ("hypervisor error: ENOSYS (function not
            // implemented)"), as a user would see them; `{:?}` of the
            // results would pull every error's derived `Debug` into the
            // image (about 2.5 KiB, BENCHMARKS.md).
            (v, e) => {
                if let Err(e) = v {
                    println!("hello: XENVER_version failed: {e}");
                }
                if let Err(e) = e {
                    println!("hello: XENVER_extraversion failed: {e}");
                }
                xencall::rt::exit(xencall::rt::ExitStatus::Failure);
            }
        }
        println!(
            "hello: guest mode {}, hypercall mode {}",
            boot.guest_mode,
            boot.hypercall_mode
                .map_or("none", |m| if m == xencall::arch::HypercallMode::Page {
                    "page"
                } else {
                    "direct"
                })
        );
        match xc.sysctl_physinfo() {
            Ok(p) => println!(
                "hello: host has {} CPU(s) and {} MiB of RAM ({} MiB free)",
                p.nr_cpus,
                p.total_pages >> 8,
                p.free_pages >> 8
            ),
            Err(e) => println!("hello: sysctl physinfo: {e}"),
        }
        // Quoted by hand, not `{:?}`: Debug of a `str` escapes through
        // core's Unicode tables (about 2.5 KiB of `hello`, BENCHMARKS.md),
        // and Xen's command line is plain ASCII.
        println!("hello: command line \"{}\"", boot.cmdline);
        println!(
            "hello: {} MiB of RAM in the memory map",
            boot.ram_bytes() >> 20
        );
        println!("hello: goodbye");
        // `hello-shutdown=REASON` (for the runner's tests): shut down
        // with that reason now, instead of the runtime's power-off.
        if let Some(name) = xencall::rt::cmdline::option(boot.cmdline, "hello-shutdown") {
            use xencall::abi::sched::ShutdownReason;
            let reason = match name {
                "poweroff" => ShutdownReason::POWEROFF,
                "reboot" => ShutdownReason::REBOOT,
                "suspend" => ShutdownReason::SUSPEND,
                "crash" => ShutdownReason::CRASH,
                "watchdog" => ShutdownReason::WATCHDOG,
                "soft_reset" => ShutdownReason::SOFT_RESET,
                other => {
                    println!("hello: unknown shutdown reason \"{other}\"");
                    xencall::rt::exit(xencall::rt::ExitStatus::Failure);
                }
            };
            // The path taken, before taking it: the runner checks it.
            println!("hello: shutting down: Xencall::sched_shutdown({name})");
            // Returns only if Xen refused (or the call is broken): then
            // say so, which fails the runner's shutdown cases, before the
            // fallback below crashes the domain through the runtime.
            // Display, not Debug: Debug of the error would add its derive's
            // code to every image's budget.
            match xc.sched_shutdown(reason) {
                Ok(()) => println!("hello: SCHEDOP_shutdown returned Ok for {name}"),
                Err(e) => println!("hello: SCHEDOP_shutdown returned an error for {name}: {e}"),
            }
            xencall::rt::exit(xencall::rt::ExitStatus::Failure);
        }
        println!("hello: shutting down: the runtime's exit, SCHEDOP_shutdown(poweroff)");
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("hello is a Xen guest: boot it with `cargo qemu run`");
}
