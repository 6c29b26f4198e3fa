//! Code-generation probe: one out-of-line function per hypercall path, so
//! `cargo qemu codegen` can disassemble the release build and compare each
//! path of the crate with the same trap written by hand.
//!
//! For every backend `B` and arity `K` there are three symbols:
//!
//! * `xencall_probe_<B>_call<K>`: `Xencall::<B>::call<K>`, the public API
//!   (handle and result decoding), flattened back to Xen's
//!   raw `i64` so that nothing the probe adds survives optimisation;
//! * `xencall_backend_<B>_call<K>`: `Backend::call<K>` alone, to tell the
//!   backend's own cost from the handle's;
//! * `xencall_baseline_<B>_call<K>`: the trap in hand-written `asm!`, with
//!   the register convention and clobbers of Xen's ABI and nothing else.
//!   Its first parameter stands for the handle (the page backend's reads
//!   the page address through it), so that the arguments arrive in the
//!   same registers as the probes' and need the same moves.
//!
//! qemu-tests builds it with `--emit=obj` and reads the object, so it
//! needs no entry point and no `rt` feature (built with `rt` it links, and
//! boots to an empty main). On the host it is an empty program.
#![cfg_attr(target_os = "none", no_std)]
#![cfg_attr(target_os = "none", no_main)]
#![deny(clippy::undocumented_unsafe_blocks)]
#![deny(clippy::missing_safety_doc)]

#[cfg(target_os = "none")]
mod probe {
    /// Xen's raw result again: `Ok(v)` is `v`, Xen's error `-errno`, which
    /// inverts `Error::from_hypercall` exactly, so an optimiser that sees
    /// through the decoding leaves nothing of it. The crate's own errors
    /// (none can come from a call) become one constant rather
    /// than going through `to_errno`'s table, which no caller on the hot
    /// path needs.
    #[inline(always)]
    fn flatten(r: xencall::Result<u64>) -> i64 {
        match r {
            Ok(v) => v as i64,
            Err(xencall::Error::Xen(e)) => -i64::from(e.0),
            Err(_) => i64::MIN,
        }
    }

    /// Expands `$m!` once per arity with that arity's symbol and arguments.
    macro_rules! per_arity {
        ($m:ident!($($pre:tt)*) [$n0:ident, $n1:ident, $n2:ident, $n3:ident, $n4:ident, $n5:ident]) => {
            $m!($($pre)* $n0 call0());
            $m!($($pre)* $n1 call1(a1));
            $m!($($pre)* $n2 call2(a1, a2));
            $m!($($pre)* $n3 call3(a1, a2, a3));
            $m!($($pre)* $n4 call4(a1, a2, a3, a4));
            $m!($($pre)* $n5 call5(a1, a2, a3, a4, a5));
        };
    }

    /// The public API over backend `$b`.
    macro_rules! handle_probe {
        ($b:ty, $name:ident $method:ident($($a:ident),*)) => {
            /// Probe: `Xencall::call<K>`.
            ///
            /// # Safety
            /// As `Xencall::call<K>`; never called, only disassembled.
            #[no_mangle]
            #[inline(never)]
            pub unsafe extern "C" fn $name(xc: &Xencall<$b>, op: u32 $(, $a: u64)*) -> i64 {
                // SAFETY: this function's own contract is the call's.
                flatten(unsafe { xc.$method(HypercallOp(op) $(, $a)*) })
            }
        };
    }

    /// `Backend::call<K>` of `$b` alone.
    macro_rules! backend_probe {
        ($b:ty, $name:ident $method:ident($($a:ident),*)) => {
            /// Probe: `Backend::call<K>`.
            ///
            /// # Safety
            /// As `Backend::call<K>`; never called, only disassembled.
            #[no_mangle]
            #[inline(never)]
            pub unsafe extern "C" fn $name(b: &$b, op: u32 $(, $a: u64)*) -> i64 {
                // SAFETY: this function's own contract is the call's.
                unsafe { b.$method(u64::from(op) $(, $a)*) as i64 }
            }
        };
    }

    /// A panic handler when the crate's is not compiled in; nothing here
    /// can panic, but a `no_std` crate must have one.
    #[cfg(not(feature = "panic-handler"))]
    #[panic_handler]
    fn panic(_: &core::panic::PanicInfo<'_>) -> ! {
        loop {
            core::hint::spin_loop();
        }
    }

    // The probe is read, not booted; but a build with the boot runtime
    // links the runtime's entry, which calls a main.
    #[cfg(feature = "rt")]
    xencall::entry!(idle);

    #[cfg(feature = "rt")]
    fn idle(_: &xencall::rt::BootInfo) {}

    #[cfg(target_arch = "x86_64")]
    mod x86_64 {
        use core::arch::asm;

        use xencall::arch::{HypercallPage, Native, Vmcall, Vmmcall};
        use xencall::{Backend, Xencall};

        use super::flatten;
        use xencall::abi::HypercallOp;

        per_arity!(handle_probe!(HypercallPage,) [
            xencall_probe_page_call0, xencall_probe_page_call1, xencall_probe_page_call2,
            xencall_probe_page_call3, xencall_probe_page_call4, xencall_probe_page_call5]);
        per_arity!(handle_probe!(Vmcall,) [
            xencall_probe_vmcall_call0, xencall_probe_vmcall_call1, xencall_probe_vmcall_call2,
            xencall_probe_vmcall_call3, xencall_probe_vmcall_call4, xencall_probe_vmcall_call5]);
        per_arity!(handle_probe!(Vmmcall,) [
            xencall_probe_vmmcall_call0, xencall_probe_vmmcall_call1, xencall_probe_vmmcall_call2,
            xencall_probe_vmmcall_call3, xencall_probe_vmmcall_call4, xencall_probe_vmmcall_call5]);
        per_arity!(handle_probe!(Native,) [
            xencall_probe_native_call0, xencall_probe_native_call1, xencall_probe_native_call2,
            xencall_probe_native_call3, xencall_probe_native_call4, xencall_probe_native_call5]);

        per_arity!(backend_probe!(HypercallPage,) [
            xencall_backend_page_call0, xencall_backend_page_call1, xencall_backend_page_call2,
            xencall_backend_page_call3, xencall_backend_page_call4, xencall_backend_page_call5]);
        per_arity!(backend_probe!(Vmcall,) [
            xencall_backend_vmcall_call0, xencall_backend_vmcall_call1, xencall_backend_vmcall_call2,
            xencall_backend_vmcall_call3, xencall_backend_vmcall_call4, xencall_backend_vmcall_call5]);
        per_arity!(backend_probe!(Vmmcall,) [
            xencall_backend_vmmcall_call0, xencall_backend_vmmcall_call1, xencall_backend_vmmcall_call2,
            xencall_backend_vmmcall_call3, xencall_backend_vmmcall_call4, xencall_backend_vmmcall_call5]);
        per_arity!(backend_probe!(Native,) [
            xencall_backend_native_call0, xencall_backend_native_call1, xencall_backend_native_call2,
            xencall_backend_native_call3, xencall_backend_native_call4, xencall_backend_native_call5]);

        /// The trap by hand. Xen's x86_64 ABI: op in `rax`, arguments in
        /// `rdi`, `rsi`, `rdx`, `r10`, `r8`, result in `rax`; all five
        /// argument registers and `r9` may come back changed whatever the
        /// arity (debug Xen poisons them, a preempted call rewrites them),
        /// and `rcx`/`r11` too (a PV page stub uses `syscall`).
        macro_rules! direct_baseline {
            ($insn:literal, $name:ident call0()) => {
                direct_baseline!(@fn $insn, $name () ["rdi", "rsi", "rdx", "r10", "r8"]);
            };
            ($insn:literal, $name:ident call1(a1)) => {
                direct_baseline!(@fn $insn, $name (a1 "rdi") ["rsi", "rdx", "r10", "r8"]);
            };
            ($insn:literal, $name:ident call2(a1, a2)) => {
                direct_baseline!(@fn $insn, $name (a1 "rdi", a2 "rsi") ["rdx", "r10", "r8"]);
            };
            ($insn:literal, $name:ident call3(a1, a2, a3)) => {
                direct_baseline!(@fn $insn, $name (a1 "rdi", a2 "rsi", a3 "rdx") ["r10", "r8"]);
            };
            ($insn:literal, $name:ident call4(a1, a2, a3, a4)) => {
                direct_baseline!(@fn $insn, $name (a1 "rdi", a2 "rsi", a3 "rdx", a4 "r10") ["r8"]);
            };
            ($insn:literal, $name:ident call5(a1, a2, a3, a4, a5)) => {
                direct_baseline!(@fn $insn, $name (a1 "rdi", a2 "rsi", a3 "rdx", a4 "r10", a5 "r8") []);
            };
            (@fn $insn:literal, $name:ident ($($a:ident $reg:tt),*) [$($unused:tt),*]) => {
                /// Baseline: the trap inline, by hand.
                ///
                /// # Safety
                /// A hypercall; never called, only disassembled.
                #[no_mangle]
                #[inline(never)]
                pub unsafe extern "C" fn $name(_handle: *const u8, op: u32 $(, $a: u64)*) -> i64 {
                    let ret: u64;
                    // SAFETY: this function's own contract is the
                    // hypercall's; Xen never touches an HVM/PVH guest's
                    // stack (`nostack`).
                    unsafe {
                        asm!(
                            $insn,
                            inout("rax") u64::from(op) => ret,
                            $(inout($reg) $a => _,)*
                            $(out($unused) _,)*
                            out("r9") _,
                            out("rcx") _,
                            out("r11") _,
                            options(nostack),
                        )
                    };
                    ret as i64
                }
            };
        }

        /// `call page + op*32` by hand, the page reached through a
        /// reference as the handle reaches it. No `nostack`: `call` pushes.
        macro_rules! page_baseline {
            ($name:ident call0()) => {
                page_baseline!(@fn $name () ["rdi", "rsi", "rdx", "r10", "r8"]);
            };
            ($name:ident call1(a1)) => {
                page_baseline!(@fn $name (a1 "rdi") ["rsi", "rdx", "r10", "r8"]);
            };
            ($name:ident call2(a1, a2)) => {
                page_baseline!(@fn $name (a1 "rdi", a2 "rsi") ["rdx", "r10", "r8"]);
            };
            ($name:ident call3(a1, a2, a3)) => {
                page_baseline!(@fn $name (a1 "rdi", a2 "rsi", a3 "rdx") ["r10", "r8"]);
            };
            ($name:ident call4(a1, a2, a3, a4)) => {
                page_baseline!(@fn $name (a1 "rdi", a2 "rsi", a3 "rdx", a4 "r10") ["r8"]);
            };
            ($name:ident call5(a1, a2, a3, a4, a5)) => {
                page_baseline!(@fn $name (a1 "rdi", a2 "rsi", a3 "rdx", a4 "r10", a5 "r8") []);
            };
            (@fn $name:ident ($($a:ident $reg:tt),*) [$($unused:tt),*]) => {
                /// Baseline: `call page + op*32`, by hand.
                ///
                /// # Safety
                /// A hypercall through a filled page; never called, only
                /// disassembled.
                #[no_mangle]
                #[inline(never)]
                pub unsafe extern "C" fn $name(page: &HypercallPage, op: u32 $(, $a: u64)*) -> i64 {
                    let entry = page.as_ptr() as usize + op as usize * 32;
                    let ret: u64;
                    // SAFETY: this function's own contract is the
                    // hypercall's, and `entry` a stub of the filled page.
                    unsafe {
                        asm!(
                            "call {entry}",
                            entry = in(reg) entry,
                            lateout("rax") ret,
                            $(inout($reg) $a => _,)*
                            $(out($unused) _,)*
                            out("r9") _,
                            out("rcx") _,
                            out("r11") _,
                        )
                    };
                    ret as i64
                }
            };
        }

        per_arity!(page_baseline!() [
            xencall_baseline_page_call0, xencall_baseline_page_call1, xencall_baseline_page_call2,
            xencall_baseline_page_call3, xencall_baseline_page_call4, xencall_baseline_page_call5]);
        per_arity!(direct_baseline!("vmcall",) [
            xencall_baseline_vmcall_call0, xencall_baseline_vmcall_call1, xencall_baseline_vmcall_call2,
            xencall_baseline_vmcall_call3, xencall_baseline_vmcall_call4, xencall_baseline_vmcall_call5]);
        per_arity!(direct_baseline!("vmmcall",) [
            xencall_baseline_vmmcall_call0, xencall_baseline_vmmcall_call1, xencall_baseline_vmmcall_call2,
            xencall_baseline_vmmcall_call3, xencall_baseline_vmmcall_call4, xencall_baseline_vmmcall_call5]);
    }

    #[cfg(target_arch = "aarch64")]
    mod aarch64 {
        use core::arch::asm;

        use xencall::arch::{Hvc, Native};
        use xencall::{Backend, Xencall};

        use super::flatten;
        use xencall::abi::HypercallOp;

        per_arity!(handle_probe!(Hvc,) [
            xencall_probe_hvc_call0, xencall_probe_hvc_call1, xencall_probe_hvc_call2,
            xencall_probe_hvc_call3, xencall_probe_hvc_call4, xencall_probe_hvc_call5]);
        per_arity!(handle_probe!(Native,) [
            xencall_probe_native_call0, xencall_probe_native_call1, xencall_probe_native_call2,
            xencall_probe_native_call3, xencall_probe_native_call4, xencall_probe_native_call5]);
        per_arity!(backend_probe!(Hvc,) [
            xencall_backend_hvc_call0, xencall_backend_hvc_call1, xencall_backend_hvc_call2,
            xencall_backend_hvc_call3, xencall_backend_hvc_call4, xencall_backend_hvc_call5]);
        per_arity!(backend_probe!(Native,) [
            xencall_backend_native_call0, xencall_backend_native_call1, xencall_backend_native_call2,
            xencall_backend_native_call3, xencall_backend_native_call4, xencall_backend_native_call5]);

        /// `hvc #0xEA1` by hand. Xen's Arm ABI: op in `x16`, arguments in
        /// `x0`..`x4`, result in `x0`; `x1`..`x4` and `x16` may come back
        /// changed whatever the arity. `x0` is the result, so with no
        /// argument it is only an output.
        macro_rules! hvc_baseline {
            ($name:ident call0()) => {
                /// Baseline: `hvc #0xEA1` with no argument, by hand.
                ///
                /// # Safety
                /// A hypercall; never called, only disassembled.
                #[no_mangle]
                #[inline(never)]
                pub unsafe extern "C" fn $name(_handle: *const u8, op: u32) -> i64 {
                    let ret: u64;
                    // SAFETY: this function's own contract is the
                    // hypercall's; Xen never touches the guest stack.
                    unsafe {
                        asm!(
                            "hvc #0xEA1",
                            inout("x16") u64::from(op) => _,
                            lateout("x0") ret,
                            out("x1") _,
                            out("x2") _,
                            out("x3") _,
                            out("x4") _,
                            options(nostack),
                        )
                    };
                    ret as i64
                }
            };
            ($name:ident call1(a1)) => {
                hvc_baseline!(@fn $name (a1) ("x1", "x2", "x3", "x4") []);
            };
            ($name:ident call2(a1, a2)) => {
                hvc_baseline!(@fn $name (a1) ("x2", "x3", "x4") [a2 "x1"]);
            };
            ($name:ident call3(a1, a2, a3)) => {
                hvc_baseline!(@fn $name (a1) ("x3", "x4") [a2 "x1", a3 "x2"]);
            };
            ($name:ident call4(a1, a2, a3, a4)) => {
                hvc_baseline!(@fn $name (a1) ("x4") [a2 "x1", a3 "x2", a4 "x3"]);
            };
            ($name:ident call5(a1, a2, a3, a4, a5)) => {
                hvc_baseline!(@fn $name (a1) () [a2 "x1", a3 "x2", a4 "x3", a5 "x4"]);
            };
            (@fn $name:ident ($a1:ident) ($($unused:tt),*) [$($a:ident $reg:tt),*]) => {
                /// Baseline: `hvc #0xEA1`, by hand.
                ///
                /// # Safety
                /// A hypercall; never called, only disassembled.
                #[no_mangle]
                #[inline(never)]
                pub unsafe extern "C" fn $name(_handle: *const u8, op: u32, $a1: u64 $(, $a: u64)*) -> i64 {
                    let ret: u64;
                    // SAFETY: this function's own contract is the
                    // hypercall's; Xen never touches the guest stack.
                    unsafe {
                        asm!(
                            "hvc #0xEA1",
                            inout("x16") u64::from(op) => _,
                            inout("x0") $a1 => ret,
                            $(inout($reg) $a => _,)*
                            $(out($unused) _,)*
                            options(nostack),
                        )
                    };
                    ret as i64
                }
            };
        }

        per_arity!(hvc_baseline!() [
            xencall_baseline_hvc_call0, xencall_baseline_hvc_call1, xencall_baseline_hvc_call2,
            xencall_baseline_hvc_call3, xencall_baseline_hvc_call4, xencall_baseline_hvc_call5]);
    }
}

#[cfg(not(target_os = "none"))]
fn main() {}
