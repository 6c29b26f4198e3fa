//! `cargo qemu`: builds xencall guests and boots them as dom0 under Xen in
//! QEMU.
//!
//! ```text
//! cargo qemu run  [--arch x86_64|aarch64] [--mode pvh|pv] [--example NAME] [--no-xen] [-- GUEST-ARGS...]
//! cargo qemu test [--quick|--no-host] [--filter SUBSTR] [-j N]
//! cargo qemu bench [--quick] [--save]
//! cargo qemu codegen [--arch x86_64|aarch64]
//! cargo qemu drop-in [--arch x86_64|aarch64]
//! cargo qemu boot --arch A [--mode M] [--no-xen] ELF [GUEST-ARGS...]   (the cargo runner)
//! ```
//!
//! Environment: `XENCALL_BOOT_TIMEOUT` (seconds, default 60),
//! `XENCALL_QEMU_X86_64`, `XENCALL_QEMU_AARCH64`, `XENCALL_XEN_X86_64`,
//! `XENCALL_XEN_AARCH64`, `XENCALL_BOOT_MODE` (`boot`'s default mode),
//! `XENCALL_PREBUILT_GUESTS` (use `DIR/<arch>/<example>` ELFs, build nothing).

mod bench;
mod boot;
mod boot_profile;
mod c_guest;
mod codegen;
mod drop_in;
mod elf;
mod protocol;
mod setup;
mod size;
mod suite;

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{exit, Stdio};

/// Guest architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    pub fn triple(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-none",
            Arch::Aarch64 => "aarch64-unknown-none",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    fn parse(s: &str) -> Result<Arch, String> {
        match s {
            "x86_64" | "x86-64" | "amd64" | "x86_64-unknown-none" => Ok(Arch::X86_64),
            "aarch64" | "arm64" | "aarch64-unknown-none" => Ok(Arch::Aarch64),
            _ => Err(format!("unknown arch {s:?}: expected x86_64 or aarch64")),
        }
    }
}

/// x86_64 dom0 mode (ignored on aarch64).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Pvh,
    Pv,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Pvh => "pvh",
            Mode::Pv => "pv",
        }
    }

    fn parse(s: &str) -> Result<Mode, String> {
        match s.to_ascii_lowercase().as_str() {
            "pvh" => Ok(Mode::Pvh),
            "pv" => Ok(Mode::Pv),
            _ => Err(format!("unknown mode {s:?}: expected pvh or pv")),
        }
    }
}

const USAGE: &str = "\
usage:
  cargo qemu run  [--arch x86_64|aarch64] [--mode pvh|pv] [--example NAME] [--no-xen] [-- GUEST-ARGS...]
      build the example (default hello), boot it as dom0 under Xen, stream its console,
      exit 0 if the guest reported success
  cargo qemu test [--quick|--no-host] [--filter SUBSTR] [-j N]
      host checks, cross builds, boot tests (x86_64 PVH and PV, aarch64, no Xen) and the
      harness self-test; ends with `N passed, N failed, N skipped`
  cargo qemu bench [--quick] [--save]
      hypercall cost in the guest (crate vs hand-written trap, every mode, -icount and wall
      clock), code generation of call0..call5, allocator cost on the host with a chart, image
      sizes and boot times; report in target/bench/BENCHMARKS.md (--save: also BENCHMARKS.md
      and benches/allocator.svg); exit 0 if every target held
  cargo qemu codegen [--arch x86_64|aarch64]
      build examples/codegen-probe (release) and count the instructions each call0..call5
      path adds to a hand-written trap; exit 0 if none adds more than argument moves
  cargo qemu drop-in [--arch x86_64|aarch64]
      build the C drop-in alone, target/drop-in/<arch>/libxencall.a (xencall.h's functions,
      no boot runtime), check its symbols against the system's xencall.h and link C code
      calling all of them against it
  cargo qemu boot --arch A [--mode M] [--no-xen] ELF [GUEST-ARGS...]
      boot a built guest (the cargo runner for the bare-metal targets)

environment:
  XENCALL_BOOT_TIMEOUT   seconds per boot (default 60)
  XENCALL_QEMU_X86_64, XENCALL_QEMU_AARCH64   QEMU binaries
  XENCALL_XEN_X86_64, XENCALL_XEN_AARCH64     Xen binaries (default: Debian's, cached in target/xen)
  XENCALL_BOOT_MODE      default --mode for `boot` (pvh)
  XENCALL_PREBUILT_GUESTS=DIR   boot DIR/<arch>/<example> ELFs instead of building the guests";

fn fail_usage(message: &str) -> ! {
    eprintln!("cargo qemu: {message}\n\n{USAGE}");
    exit(2)
}

fn die(message: &str) -> ! {
    eprintln!("cargo qemu: error: {message}");
    exit(2)
}

/// A tiny option parser: `--name value`, `--name=value`, flags.
struct Args {
    items: Vec<String>,
}

impl Args {
    fn value(&mut self, name: &str) -> Option<String> {
        let eq = format!("{name}=");
        let i = self
            .items
            .iter()
            .position(|a| a == name || a.starts_with(&eq))?;
        let item = self.items.remove(i);
        if let Some(v) = item.strip_prefix(&eq) {
            return Some(v.to_string());
        }
        if i < self.items.len() && !self.items[i].starts_with("--") {
            Some(self.items.remove(i))
        } else {
            fail_usage(&format!("{name} needs a value"))
        }
    }

    fn flag(&mut self, name: &str) -> bool {
        match self.items.iter().position(|a| a == name) {
            Some(i) => {
                self.items.remove(i);
                true
            }
            None => false,
        }
    }

    /// Everything after `--`, removed.
    fn rest(&mut self) -> Vec<String> {
        match self.items.iter().position(|a| a == "--") {
            Some(i) => {
                let rest = self.items.split_off(i + 1);
                self.items.pop();
                rest
            }
            None => Vec::new(),
        }
    }

    fn done(&self) {
        if let Some(a) = self.items.first() {
            fail_usage(&format!("unexpected argument {a:?}"));
        }
    }
}

/// Build `example` for `arch` with the selected toolchain (release, `rt`
/// and `panic-handler`) into `target/guest`; the bootable file: the ELF on
/// x86_64, an arm64 Image on aarch64. `quiet` captures cargo's output
/// (returned in the error).
pub fn build_guest(arch: Arch, example: &str, quiet: bool) -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("XENCALL_PREBUILT_GUESTS").filter(|d| !d.is_empty()) {
        // Guests built elsewhere: DIR/<arch>/<example> (an ELF).
        return bootable(arch, &PathBuf::from(dir).join(arch.name()).join(example));
    }
    let features = if example == c_guest::EXAMPLE {
        c_guest::FEATURES
    } else {
        "rt,panic-handler"
    };
    let examples = build_example(arch, example, features, quiet)?;
    let elf = examples.join(example);
    if example == c_guest::EXAMPLE {
        // The Rust half is a staticlib: the ELF is linked with the C half.
        let staticlib = examples.join(format!("lib{}.a", example.replace('-', "_")));
        c_guest::link(arch, &staticlib, &elf)?;
    }
    bootable(arch, &elf)
}

/// `cargo build --release --example EXAMPLE --features FEATURES` for
/// `arch` with the selected toolchain into `target/guest`; the directory
/// the built examples are in. `quiet` captures cargo's output (returned in
/// the error).
pub fn build_example(
    arch: Arch,
    example: &str,
    features: &str,
    quiet: bool,
) -> Result<PathBuf, String> {
    let triple = arch.triple();
    let toolchain = setup::Toolchain::select(triple)?;
    let target_dir = setup::target_dir().join("guest");
    let mut cmd = toolchain.cargo("build", triple);
    cmd.args(["--release", "--example", example, "--features", features])
        .arg("--target-dir")
        .arg(&target_dir);
    // A staticlib goes to a C linker: no LTO for it. With LTO cargo builds
    // the dependencies as LLVM bitcode only, and under -Zbuild-std the
    // staticlib then carries compiler_builtins as bitcode, which no C
    // linker (nor llvm-nm 14) reads.
    if example == c_guest::EXAMPLE || example == drop_in::EXAMPLE {
        cmd.env("CARGO_PROFILE_RELEASE_LTO", "false");
    }
    if quiet {
        let (ok, out) = setup::capture(&mut cmd);
        if !ok {
            return Err(format!(
                "building {example} for {triple} ({}) failed:\n{}",
                toolchain.kind,
                build_errors(&out)
            ));
        }
    } else {
        let status = cmd
            .stdin(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!(
                "building {example} for {triple} ({}) failed",
                toolchain.kind
            ));
        }
    }
    Ok(target_dir.join(triple).join("release/examples"))
}

/// The interesting part of a failed cargo build: its first errors, then
/// its last lines.
fn build_errors(out: &str) -> String {
    let lines: Vec<&str> = out.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("error"))
        .unwrap_or(lines.len().saturating_sub(40));
    let head_end = (first + 30).min(lines.len());
    let mut text = lines[first..head_end].join("\n");
    let tail_start = lines.len().saturating_sub(10).max(head_end);
    if tail_start > head_end {
        text.push_str("\n...\n");
    }
    text.push_str(&lines[tail_start..].join("\n"));
    text
}

/// The file QEMU loads for `elf`: itself on x86_64, `<elf>.Image` (its
/// PT_LOAD segments, flat) on aarch64.
pub fn bootable(arch: Arch, elf: &Path) -> Result<PathBuf, String> {
    if !elf.is_file() {
        return Err(format!("{} does not exist", elf.display()));
    }
    match arch {
        Arch::X86_64 => Ok(elf.to_path_buf()),
        Arch::Aarch64 => {
            let bytes = fs::read(elf).map_err(|e| format!("read {}: {e}", elf.display()))?;
            let image = elf::flat_binary(&bytes).map_err(|e| format!("{}: {e}", elf.display()))?;
            if image.get(0x38..0x3c) != Some(b"ARM\x64") {
                eprintln!(
                    "cargo qemu: warning: {} has no arm64 Image header (magic \"ARM\\x64\" at 0x38): \
                     Xen will not boot it",
                    elf.display()
                );
            }
            let mut path = elf.as_os_str().to_owned();
            path.push(".Image");
            let path = PathBuf::from(path);
            fs::write(&path, image).map_err(|e| format!("write {}: {e}", path.display()))?;
            Ok(path)
        }
    }
}

/// Boot one guest with the console streamed; the exit code.
fn boot_streamed(spec: boot::Spec) -> i32 {
    let qemu = setup::qemu(spec.arch).unwrap_or_else(|e| die(&e));
    let xen = if spec.no_xen {
        None
    } else {
        Some(setup::xen(spec.arch).unwrap_or_else(|e| die(&e)))
    };
    let outcome = boot::boot(&spec, &qemu, xen.as_deref()).unwrap_or_else(|e| die(&e));
    let report = protocol::parse(&outcome.log);
    // A guest speaking the test protocol is judged by it; any other guest
    // by its exit status alone.
    let verdict = if report.plan.is_some() || report.done.is_some() {
        protocol::judge(&report, outcome.ending)
    } else {
        protocol::Verdict {
            cases: vec![],
            problems: if outcome.ending == protocol::Ending::Exited(protocol::EXIT_PASS) {
                vec![]
            } else {
                vec![outcome.ending.to_string()]
            },
        }
    };
    eprintln!();
    if verdict.passed() {
        eprintln!(
            "cargo qemu: {}: passed in {:.1} s (log: {})",
            spec.name,
            outcome.elapsed.as_secs_f64(),
            outcome.log_path.display()
        );
        0
    } else {
        for problem in &verdict.problems {
            eprintln!("cargo qemu: {}: {problem}", spec.name);
        }
        eprintln!(
            "cargo qemu: {}: FAILED (log: {})",
            spec.name,
            outcome.log_path.display()
        );
        1
    }
}

fn cmd_run(mut args: Args) -> i32 {
    let arch = args
        .value("--arch")
        .map(|a| Arch::parse(&a).unwrap_or_else(|e| fail_usage(&e)))
        .unwrap_or(Arch::X86_64);
    let mode = args
        .value("--mode")
        .map(|m| Mode::parse(&m).unwrap_or_else(|e| fail_usage(&e)))
        .unwrap_or(Mode::Pvh);
    let example = args.value("--example").unwrap_or_else(|| "hello".into());
    let no_xen = args.flag("--no-xen");
    let cmdline = args.rest();
    args.done();
    if no_xen && (arch != Arch::X86_64 || mode != Mode::Pvh) {
        fail_usage("--no-xen boots the x86_64 PVH entry: use it with --arch x86_64 --mode pvh");
    }
    let guest = build_guest(arch, &example, false).unwrap_or_else(|e| die(&e));
    let name = if no_xen {
        format!("run-{example}-no-xen")
    } else {
        match arch {
            // Arm has one mode; `--mode` only applies to x86_64.
            Arch::Aarch64 => format!("run-{example}-{}", arch.name()),
            Arch::X86_64 => format!("run-{example}-{}-{}", arch.name(), mode.name()),
        }
    };
    boot_streamed(boot::Spec {
        name,
        arch,
        mode,
        guest,
        cmdline,
        no_xen,
        timeout: boot::default_timeout(),
        stream: true,
        qemu_exit: true,
        stop_on: None,
        icount: false,
        cpus: 1,
    })
}

fn cmd_boot(mut args: Args) -> i32 {
    let arch = args
        .value("--arch")
        .map(|a| Arch::parse(&a).unwrap_or_else(|e| fail_usage(&e)))
        .unwrap_or_else(|| fail_usage("boot needs --arch"));
    let mode = args
        .value("--mode")
        .or_else(|| env::var("XENCALL_BOOT_MODE").ok().filter(|m| !m.is_empty()))
        .map(|m| Mode::parse(&m).unwrap_or_else(|e| fail_usage(&e)))
        .unwrap_or(Mode::Pvh);
    let no_xen = args.flag("--no-xen");
    let mut rest = args.rest();
    if args.items.is_empty() {
        fail_usage("boot needs the guest ELF");
    }
    let elf = PathBuf::from(args.items.remove(0));
    // cargo's runner appends the program's own arguments after the ELF.
    let mut cmdline = std::mem::take(&mut args.items);
    cmdline.append(&mut rest);
    let guest = bootable(arch, &elf).unwrap_or_else(|e| die(&e));
    let stem = elf
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "guest".into());
    boot_streamed(boot::Spec {
        name: format!("boot-{stem}-{}-{}", arch.name(), mode.name()),
        arch,
        mode,
        guest,
        cmdline,
        no_xen,
        timeout: boot::default_timeout(),
        stream: true,
        qemu_exit: true,
        stop_on: None,
        icount: false,
        cpus: 1,
    })
}

fn cmd_test(mut args: Args) -> i32 {
    let mut options = suite::Options {
        host: true,
        filter: None,
        jobs: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1),
    };
    if args.flag("--quick") | args.flag("--no-host") {
        options.host = false;
    }
    options.filter = args.value("--filter");
    if let Some(j) = args.value("-j").or_else(|| args.value("--jobs")) {
        options.jobs = j
            .parse()
            .ok()
            .filter(|&n| n > 0)
            .unwrap_or_else(|| fail_usage("-j needs a positive number"));
    }
    // `cargo test`-style: a bare word is a filter.
    if options.filter.is_none() && args.items.len() == 1 && !args.items[0].starts_with('-') {
        options.filter = args.items.pop();
    }
    args.done();
    suite::run(&options)
}

fn cmd_bench(mut args: Args) -> i32 {
    let options = bench::Options {
        quick: args.flag("--quick"),
        save: args.flag("--save"),
    };
    args.done();
    bench::run(&options)
}

/// `--arch A`, or both architectures.
fn arches(args: &mut Args) -> Vec<Arch> {
    match args.value("--arch") {
        Some(a) => vec![Arch::parse(&a).unwrap_or_else(|e| fail_usage(&e))],
        None => vec![Arch::X86_64, Arch::Aarch64],
    }
}

fn cmd_codegen(mut args: Args) -> i32 {
    let arches = arches(&mut args);
    args.done();
    codegen::run(&arches)
}

fn cmd_drop_in(mut args: Args) -> i32 {
    let arches = arches(&mut args);
    args.done();
    let mut code = 0;
    for arch in arches {
        match drop_in::check(arch) {
            Ok(summary) => println!("{summary}"),
            Err(e) => {
                eprintln!("cargo qemu: libxencall.a for {}: {e}", arch.name());
                code = 1;
            }
        }
    }
    code
}

fn main() {
    boot::install_interrupt_handler();
    let mut items: Vec<String> = env::args().skip(1).collect();
    if items.is_empty() {
        fail_usage("missing subcommand");
    }
    let sub = items.remove(0);
    let args = Args { items };
    let code = match sub.as_str() {
        "run" => cmd_run(args),
        "test" => cmd_test(args),
        "boot" => cmd_boot(args),
        "bench" => cmd_bench(args),
        "codegen" => cmd_codegen(args),
        "drop-in" => cmd_drop_in(args),
        "help" | "-h" | "--help" => {
            println!("{USAGE}");
            0
        }
        other => fail_usage(&format!("unknown subcommand {other:?}")),
    };
    exit(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Args {
        Args {
            items: s.iter().map(|s| s.to_string()).collect(),
        }
    }

    #[test]
    fn option_parsing() {
        let mut a = args(&[
            "--arch",
            "aarch64",
            "--mode=pv",
            "--no-xen",
            "x.elf",
            "--",
            "a=b",
        ]);
        assert_eq!(a.rest(), vec!["a=b".to_string()]);
        assert_eq!(a.value("--arch").as_deref(), Some("aarch64"));
        assert_eq!(a.value("--mode").as_deref(), Some("pv"));
        assert!(a.flag("--no-xen"));
        assert!(!a.flag("--no-xen"));
        assert_eq!(a.items, vec!["x.elf".to_string()]);
    }

    #[test]
    fn names() {
        assert_eq!(Arch::parse("arm64"), Ok(Arch::Aarch64));
        assert_eq!(Mode::parse("PV"), Ok(Mode::Pv));
        assert!(Arch::parse("riscv64").is_err());
    }
}
