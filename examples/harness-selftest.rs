//! A guest that misbehaves on request, so `cargo qemu test` can prove its
//! harness catches it: `xencall-selftest=fail` (a case asserts something
//! false), `=fault` (a case executes an invalid instruction), `=badaccess`
//! (a case reads an unmapped address), `=faultinprint` (a case faults in
//! the middle of a `println!`, holding the console lock), `=stackoverflow`
//! (a case recurses without end), `=hang` (a case never returns).
//! Without the option every case passes.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]

#[cfg(target_os = "none")]
mod guest {
    use xencall::rt::testing::{run, TestCase, TestResult};
    use xencall::rt::BootInfo;
    use xencall::{ensure_eq, skip};

    xencall::entry!(main);

    fn main(boot: &BootInfo) {
        run(
            boot,
            &[
                TestCase {
                    name: "passes",
                    run: passes,
                },
                TestCase {
                    name: "asserts_false",
                    run: asserts_false,
                },
                TestCase {
                    name: "faults",
                    run: faults,
                },
                TestCase {
                    name: "bad_memory_access",
                    run: bad_memory_access,
                },
                TestCase {
                    name: "faults_while_printing",
                    run: faults_while_printing,
                },
                TestCase {
                    name: "overflows_the_stack",
                    run: overflows_the_stack,
                },
                TestCase {
                    name: "hangs",
                    run: hangs,
                },
            ],
        )
    }

    fn asked(boot: &BootInfo, what: &str) -> bool {
        boot.option("xencall-selftest") == Some(what)
    }

    fn passes(_: &BootInfo) -> TestResult {
        Ok(())
    }

    fn asserts_false(boot: &BootInfo) -> TestResult {
        if !asked(boot, "fail") {
            skip!("xencall-selftest=fail not given");
        }
        ensure_eq!(2 + 2, 5);
        Ok(())
    }

    fn faults(boot: &BootInfo) -> TestResult {
        if !asked(boot, "fault") {
            skip!("xencall-selftest=fault not given");
        }
        invalid_instruction();
        Ok(())
    }

    /// Execute an undefined instruction: the runtime's exception handler
    /// reports it and exits with failure.
    fn invalid_instruction() {
        // SAFETY: deliberately undefined instruction, see above.
        unsafe {
            #[cfg(target_arch = "x86_64")]
            core::arch::asm!("ud2");
            #[cfg(target_arch = "aarch64")]
            core::arch::asm!("udf #0");
        }
    }

    fn bad_memory_access(boot: &BootInfo) -> TestResult {
        if !asked(boot, "badaccess") {
            skip!("xencall-selftest=badaccess not given");
        }
        // 128 TiB: canonical on x86_64 but mapped in no mode (PVH maps
        // 4 GiB, PV what Xen built), and beyond Arm's 39-bit space.
        let unmapped = 0x0000_7fff_ffff_0000usize as *const u64;
        // SAFETY: deliberately faulting read: the runtime's exception
        // handler reports it and exits with failure.
        let value = unsafe { unmapped.read_volatile() };
        ensure_eq!(value, 0);
        Ok(())
    }

    /// Faults when formatted: in a `println!` argument it strikes with the
    /// console lock held.
    struct FaultsWhenShown;

    impl core::fmt::Display for FaultsWhenShown {
        fn fmt(&self, _: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
            invalid_instruction();
            Ok(())
        }
    }

    fn faults_while_printing(boot: &BootInfo) -> TestResult {
        if !asked(boot, "faultinprint") {
            skip!("xencall-selftest=faultinprint not given");
        }
        xencall::println!("selftest: about to fault: {}", FaultsWhenShown);
        Ok(())
    }

    /// Recurse until the stack runs out: the guard page below it must
    /// turn that into a fault reported as a stack overflow, not a walk
    /// through the memory below the stack.
    #[inline(never)]
    fn recurse(depth: u64) -> u64 {
        // A bound the stack never lets it reach.
        if depth == u64::MAX {
            return 0;
        }
        let mut frame = [depth; 64];
        // Keeps the frame (and the recursion) from being optimised away.
        core::hint::black_box(&mut frame);
        recurse(depth + 1).wrapping_add(frame[depth as usize % 64])
    }

    fn overflows_the_stack(boot: &BootInfo) -> TestResult {
        if !asked(boot, "stackoverflow") {
            skip!("xencall-selftest=stackoverflow not given");
        }
        let never = recurse(0);
        ensure_eq!(never, 0);
        Ok(())
    }

    fn hangs(boot: &BootInfo) -> TestResult {
        if !asked(boot, "hang") {
            skip!("xencall-selftest=hang not given");
        }
        loop {
            core::hint::spin_loop();
        }
    }
}

#[cfg(not(target_os = "none"))]
fn main() {
    eprintln!("harness-selftest is a Xen guest: `cargo qemu test` boots it");
}
