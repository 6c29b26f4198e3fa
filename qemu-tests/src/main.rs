//! `cargo-xencall`: boots bare-metal guests as dom0 under Xen in QEMU.
//!
//! Installed (`cargo install --path qemu-tests`), it is `cargo xencall`
//! and the runner a crate names in its `.cargo/config.toml` for the
//! bare-metal targets; in xencall's own repository it is also
//! `cargo qemu` (an alias), with the subcommands that build and test
//! xencall itself. This file is the command line only.

mod apt;
mod bench;
mod boot;
mod boot_profile;
mod c_guest;
mod codegen;
mod debug_xen;
mod dirs;
mod dom0;
mod drop_in;
mod drop_in_guest;
mod elf;
mod fuzz;
mod guests;
mod image;
mod plan;
mod protocol;
mod runner;
mod setup;
mod shutdown;
mod size;
mod suite;
mod support_table;
mod target;
mod toolchain;
mod user_crate;
mod xen_crash;

use std::env;
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::exit;
use std::time::Duration;

use lexopt::{Arg, Parser, ValueExt};

use crate::target::{Arch, Mode, XenRelease};

const USAGE: &str = "\
usage: cargo xencall <command> ...   (`cargo qemu` in xencall's repository)

for any guest:
  cargo xencall boot [--arch A] [--mode pvh|pv | --all-modes] [--no-xen|--domu]
                     [--xen 4.17|4.20|4.17-debug] [--timeout SECS] FILE [GUEST-ARGS...]
      boot FILE (an x86_64 ELF, or an aarch64 ELF or arm64 Image) as dom0 under Xen in
      QEMU, streaming its console; --all-modes: PVH then PV on x86_64 (aarch64 has one);
      the architecture is read from FILE unless given. FILE is refused before booting if
      Xen could not boot it (no Xen ELF notes, entry 0, no Image header). The arguments
      after FILE (cargo's, as a runner) go on the guest's command line. A guest speaking
      the xencall-test protocol is reported per case, as `cargo test` does. Exit 0 if
      every boot passed: QEMU's exit device said so, or dom0 shut down with poweroff
      (crash and every other reason fail, by name); 1 if one failed, 2 if none booted.
      The cargo runner: `runner = \"cargo-xencall boot\"` (or `... boot --all-modes`).
      --domu (or XENCALL_BOOT_DOMU=1): boot FILE as a domU of a Linux dom0 instead
      (Debian's, with Xen's own toolstack, fetched once into <target dir>/dom0/):
      x86_64 as a PVH and a PV domU (or the one --mode names), aarch64 as PVH; exit 0
      if each domU powered off and its xencall-test cases passed
      --xen (or XENCALL_XEN_RELEASE): the Xen to boot under: Debian's 4.17 (bookworm,
      the default) or 4.20 (trixie, through a private apt list under <target dir>/apt/),
      or 4.17-debug, built once from Debian's source with CONFIG_DEBUG=y (x86_64;
      not with --domu, whose dom0 needs the release's own toolstack)
  cargo xencall toolchain [--target TRIPLE]...
      print the environment and cargo command that build for each bare-metal target on
      this machine (rustup target, active toolchain + build-std, or Debian's rustc-web)

in a xencall source tree:
  cargo xencall run  [--arch A] [--mode pvh|pv] [--example NAME] [--no-xen|--domu]
                     [--xen 4.17|4.20|4.17-debug] [-- GUEST-ARGS...]
      build the example (default hello) and boot it as `boot` does (--domu: as a domU)
  cargo xencall test [--quick|--no-host] [--filter SUBSTR] [-j N] [--write-support-table]
                     [SUBSTR]
      set-up (apt-get when root on Debian), host checks, cross builds, boot tests (under
      each Xen: 4.17, 4.20, 4.17-debug), the runner's own boot path, domUs under a Linux
      dom0, the harness self-test; ends with `N passed, N failed, N skipped`. Writes the
      run's Xen x mode table to <target dir>/support-table.md; a full run checks README's
      copy (readme::support-table), --write-support-table replaces it
  cargo xencall bench [--quick] [--save]
      hypercall cost in the guest, code generation, allocator cost with a chart, image
      sizes and boot times; target/bench/BENCHMARKS.md (--save: also BENCHMARKS.md and
      benches/allocator.svg); exit 0 if every target held
  cargo xencall codegen [--arch A]
      the instructions each call0..call5 path adds to a hand-written trap
  cargo xencall drop-in [--arch A]
      build the C drop-in libxencall.a alone, check its symbols against the system's
      xencall.h and link C calling all of them against it

environment:
  XENCALL_BOOT_TIMEOUT   seconds per boot (default 60)
  XENCALL_BOOT_MODE      default --mode for `boot` (pvh)
  XENCALL_QEMU_X86_64, XENCALL_QEMU_AARCH64   QEMU binaries (default: PATH)
  XENCALL_XEN_X86_64, XENCALL_XEN_AARCH64     Xen binaries for the default release (else
                         Debian's 4.17, fetched into <target dir>/xen/ of the guest's build,
                         else ~/.cache/cargo-xencall)
  XENCALL_XEN_RELEASE    default --xen (4.17)
  XENCALL_BOOT_DOMU=1    `boot` boots the guest as a domU (as --domu)
  XENCALL_PREBUILT_GUESTS=DIR   `test`: boot DIR/<arch>/<example> ELFs, build nothing";

/// A parsed command line.
#[derive(Debug, PartialEq)]
enum Command {
    Boot(runner::Request),
    /// `boot --domu`: the guest as a domU of a Linux dom0.
    BootDomu(runner::Request),
    Run {
        arch: Arch,
        xen: XenRelease,
        mode: Mode,
        /// `--mode` given (a domU run boots every type otherwise).
        mode_given: bool,
        example: String,
        no_xen: bool,
        domu: bool,
        cmdline: Vec<String>,
    },
    Test(suite::Options),
    Bench(bench::Options),
    Codegen(Vec<Arch>),
    DropIn(Vec<Arch>),
    Toolchain(Vec<String>),
    Help,
}

fn text(value: OsString) -> Result<String, String> {
    value
        .into_string()
        .map_err(|v| format!("{v:?} is not UTF-8"))
}

fn arch_value(parser: &mut Parser) -> Result<Arch, String> {
    let v = parser.value().map_err(|e| e.to_string())?;
    Arch::parse(&text(v)?)
}

fn mode_value(parser: &mut Parser) -> Result<Mode, String> {
    let v = parser.value().map_err(|e| e.to_string())?;
    Mode::parse(&text(v)?)
}

fn xen_value(parser: &mut Parser) -> Result<XenRelease, String> {
    let v = parser.value().map_err(|e| e.to_string())?;
    XenRelease::parse(&text(v)?)
}

/// `--xen`'s value, else `XENCALL_XEN_RELEASE`, else the default release.
fn xen_or_env(given: Option<XenRelease>) -> Result<XenRelease, String> {
    if let Some(x) = given {
        return Ok(x);
    }
    match env::var("XENCALL_XEN_RELEASE")
        .ok()
        .filter(|v| !v.is_empty())
    {
        Some(v) => XenRelease::parse(&v).map_err(|e| format!("XENCALL_XEN_RELEASE: {e}")),
        None => Ok(XenRelease::DEFAULT),
    }
}

fn unexpected(arg: Arg<'_>) -> String {
    arg.unexpected().to_string()
}

/// Parse the arguments after the program name (and after the `xencall`
/// cargo inserts when it runs `cargo xencall ...`).
fn parse(mut args: Vec<OsString>) -> Result<Command, String> {
    if args.first().is_some_and(|a| a == "xencall") {
        args.remove(0);
    }
    let mut parser = Parser::from_args(args);
    let sub = match parser.next().map_err(|e| e.to_string())? {
        None => return Err("missing command".into()),
        Some(Arg::Value(v)) => text(v)?,
        Some(Arg::Long("help") | Arg::Short('h')) => return Ok(Command::Help),
        Some(other) => return Err(unexpected(other)),
    };
    let e = |e: lexopt::Error| e.to_string();
    match sub.as_str() {
        "boot" => {
            let mut request = runner::Request {
                arch: None,
                modes: vec![],
                all_modes: false,
                guest: PathBuf::new(),
                cmdline: vec![],
                no_xen: false,
                xen: XenRelease::DEFAULT,
                name: None,
                timeout: boot::default_timeout(),
            };
            let mut mode = None;
            let mut domu = false;
            let mut xen = None;
            loop {
                match parser.next().map_err(e)? {
                    Some(Arg::Long("arch")) => request.arch = Some(arch_value(&mut parser)?),
                    Some(Arg::Long("mode")) => mode = Some(mode_value(&mut parser)?),
                    Some(Arg::Long("all-modes")) => request.all_modes = true,
                    Some(Arg::Long("no-xen")) => request.no_xen = true,
                    Some(Arg::Long("domu")) => domu = true,
                    Some(Arg::Long("xen")) => xen = Some(xen_value(&mut parser)?),
                    Some(Arg::Long("timeout")) => {
                        let secs: f64 = parser.value().map_err(e)?.parse().map_err(e)?;
                        if !(secs > 0.0 && secs.is_finite()) {
                            return Err("--timeout needs a positive number of seconds".into());
                        }
                        request.timeout = Duration::from_secs_f64(secs);
                    }
                    Some(Arg::Value(file)) => {
                        request.guest = PathBuf::from(file);
                        // Everything after the file is the guest's, as
                        // cargo passes it: `-`-words included.
                        for word in parser.raw_args().map_err(e)? {
                            request.cmdline.push(text(word)?);
                        }
                        break;
                    }
                    Some(other) => return Err(unexpected(other)),
                    None => return Err("boot needs the guest file".into()),
                }
            }
            if request.all_modes && mode.is_some() {
                return Err("--all-modes and --mode exclude each other".into());
            }
            if mode.is_none() && !request.all_modes {
                if let Some(m) = env::var("XENCALL_BOOT_MODE").ok().filter(|m| !m.is_empty()) {
                    mode = Some(Mode::parse(&m).map_err(|e| format!("XENCALL_BOOT_MODE: {e}"))?);
                }
            }
            request.modes = mode.into_iter().collect();
            request.xen = xen_or_env(xen)?;
            if domu || domu_from_env() {
                if request.no_xen {
                    return Err("--domu boots under Xen: it cannot be used with --no-xen".into());
                }
                return Ok(Command::BootDomu(request));
            }
            Ok(Command::Boot(request))
        }
        "run" => {
            let (mut arch, mut mode) = (Arch::X86_64, None);
            let mut example = "hello".to_string();
            let (mut no_xen, mut domu) = (false, false);
            let mut xen = None;
            let mut cmdline = vec![];
            while let Some(arg) = parser.next().map_err(e)? {
                match arg {
                    Arg::Long("arch") => arch = arch_value(&mut parser)?,
                    Arg::Long("mode") => mode = Some(mode_value(&mut parser)?),
                    Arg::Long("example") => example = text(parser.value().map_err(e)?)?,
                    Arg::Long("no-xen") => no_xen = true,
                    Arg::Long("domu") => domu = true,
                    Arg::Long("xen") => xen = Some(xen_value(&mut parser)?),
                    Arg::Value(word) => cmdline.push(text(word)?),
                    other => return Err(unexpected(other)),
                }
            }
            if domu && no_xen {
                return Err("--domu boots under Xen: it cannot be used with --no-xen".into());
            }
            Ok(Command::Run {
                arch,
                xen: xen_or_env(xen)?,
                mode: mode.unwrap_or(Mode::Pvh),
                mode_given: mode.is_some(),
                example,
                no_xen,
                domu,
                cmdline,
            })
        }
        "test" => {
            let mut options = suite::Options {
                host: true,
                filter: None,
                jobs: std::thread::available_parallelism()
                    .map(|n| n.get())
                    .unwrap_or(1),
                write_support_table: false,
            };
            while let Some(arg) = parser.next().map_err(e)? {
                match arg {
                    Arg::Long("quick" | "no-host") => options.host = false,
                    Arg::Long("write-support-table") => options.write_support_table = true,
                    Arg::Long("filter") => options.filter = Some(text(parser.value().map_err(e)?)?),
                    Arg::Short('j') | Arg::Long("jobs") => {
                        options.jobs = parser
                            .value()
                            .map_err(e)?
                            .parse::<usize>()
                            .ok()
                            .filter(|&n| n > 0)
                            .ok_or("-j needs a positive number")?;
                    }
                    // `cargo test`-style: a bare word is a filter.
                    Arg::Value(word) if options.filter.is_none() => {
                        options.filter = Some(text(word)?)
                    }
                    other => return Err(unexpected(other)),
                }
            }
            Ok(Command::Test(options))
        }
        "bench" => {
            let mut options = bench::Options {
                quick: false,
                save: false,
            };
            while let Some(arg) = parser.next().map_err(e)? {
                match arg {
                    Arg::Long("quick") => options.quick = true,
                    Arg::Long("save") => options.save = true,
                    other => return Err(unexpected(other)),
                }
            }
            Ok(Command::Bench(options))
        }
        "codegen" | "drop-in" => {
            let mut arches = Arch::ALL.to_vec();
            while let Some(arg) = parser.next().map_err(e)? {
                match arg {
                    Arg::Long("arch") => arches = vec![arch_value(&mut parser)?],
                    other => return Err(unexpected(other)),
                }
            }
            Ok(if sub == "codegen" {
                Command::Codegen(arches)
            } else {
                Command::DropIn(arches)
            })
        }
        "toolchain" => {
            let mut triples = vec![];
            while let Some(arg) = parser.next().map_err(e)? {
                match arg {
                    Arg::Long("target") => {
                        let t = text(parser.value().map_err(e)?)?;
                        triples.push(Arch::parse(&t)?.triple().to_string());
                    }
                    other => return Err(unexpected(other)),
                }
            }
            if triples.is_empty() {
                triples = Arch::ALL.iter().map(|a| a.triple().to_string()).collect();
            }
            Ok(Command::Toolchain(triples))
        }
        "help" => Ok(Command::Help),
        other => Err(format!("unknown command {other:?}")),
    }
}

/// `XENCALL_BOOT_DOMU=1`: `boot` (the cargo runner) boots as a domU.
fn domu_from_env() -> bool {
    env::var("XENCALL_BOOT_DOMU").is_ok_and(|v| v == "1")
}

fn fail_usage(message: &str) -> ! {
    eprintln!("cargo-xencall: {message}\n\n{USAGE}");
    exit(runner::NOT_BOOTED)
}

fn die(message: &str) -> ! {
    eprintln!("cargo-xencall: error: {message}");
    exit(runner::NOT_BOOTED)
}

/// The repository-only commands start here: outside a xencall source
/// tree they stop with what to do instead.
fn in_source_tree(command: &str) {
    if let Err(e) = dirs::find_source_tree(command) {
        die(&e)
    }
}

fn run(command: Command) -> i32 {
    match command {
        Command::Help => {
            println!("{USAGE}");
            0
        }
        Command::Boot(request) => runner::boot_guest(&request),
        Command::BootDomu(request) => {
            let (arch, guest) = runner::domu_guest(&request).unwrap_or_else(|e| die(&e));
            let stem = request
                .guest
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| "guest".into());
            let name = format!("boot-{stem}-{}-domu", arch.name());
            let mode = request.modes.first().copied();
            dom0::run_domu(
                &dirs::boot_dir(&request.guest),
                request.xen,
                arch,
                mode,
                &stem,
                guest,
                request.cmdline,
                &name,
            )
        }
        Command::Toolchain(triples) => {
            let triples: Vec<&str> = triples.iter().map(String::as_str).collect();
            match toolchain::recipe(&triples) {
                Ok(text) => {
                    print!("{text}");
                    0
                }
                Err(text) => {
                    print!("{text}");
                    println!();
                    1
                }
            }
        }
        Command::Run {
            arch,
            xen,
            mode,
            mode_given,
            example,
            no_xen,
            domu,
            cmdline,
        } => {
            in_source_tree("run");
            let guest = guests::build_guest(arch, &example, false).unwrap_or_else(|e| die(&e));
            if domu {
                let name = format!("run-{example}-{}-domu", arch.name());
                let mode = mode_given.then_some(mode);
                return dom0::run_domu(
                    &dirs::target_dir(),
                    xen,
                    arch,
                    mode,
                    &example,
                    guest,
                    cmdline,
                    &name,
                );
            }
            runner::boot_guest(&runner::Request {
                arch: Some(arch),
                modes: vec![mode],
                all_modes: false,
                guest: runner::elf_of(&guest),
                cmdline,
                no_xen,
                xen,
                name: Some(format!("run-{example}")),
                timeout: boot::default_timeout(),
            })
        }
        Command::Test(options) => {
            in_source_tree("test");
            suite::run(&options)
        }
        Command::Bench(options) => {
            in_source_tree("bench");
            bench::run(&options)
        }
        Command::Codegen(arches) => {
            in_source_tree("codegen");
            codegen::run(&arches)
        }
        Command::DropIn(arches) => {
            in_source_tree("drop-in");
            let mut code = 0;
            for arch in arches {
                match drop_in::check(arch) {
                    Ok(summary) => println!("{summary}"),
                    Err(e) => {
                        eprintln!("cargo-xencall: libxencall.a for {}: {e}", arch.name());
                        code = 1;
                    }
                }
            }
            code
        }
    }
}

fn main() {
    boot::install_interrupt_handler();
    let command = parse(env::args_os().skip(1).collect()).unwrap_or_else(|e| fail_usage(&e));
    exit(run(command))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(words: &[&str]) -> Result<Command, String> {
        parse(words.iter().map(OsString::from).collect())
    }

    fn boot(words: &[&str]) -> runner::Request {
        match parsed(words) {
            Ok(Command::Boot(r)) => r,
            other => panic!("{words:?}: {other:?}"),
        }
    }

    #[test]
    fn boot_as_cargo_runs_it() {
        // `runner = "cargo-xencall boot --all-modes"`: cargo appends the
        // executable and the test's arguments.
        let r = boot(&[
            "boot",
            "--all-modes",
            "target/x86_64-unknown-none/debug/deps/t-1234",
            "--nocapture",
            "filter",
        ]);
        assert!(r.all_modes);
        assert_eq!(r.arch, None);
        assert_eq!(
            r.guest,
            PathBuf::from("target/x86_64-unknown-none/debug/deps/t-1234")
        );
        assert_eq!(r.cmdline, ["--nocapture", "filter"]);
        // `cargo xencall boot`: cargo puts the subcommand's name first.
        let r = boot(&[
            "xencall",
            "boot",
            "--arch=aarch64",
            "--timeout",
            "5",
            "g.elf",
            "a=b",
        ]);
        assert_eq!(r.arch, Some(Arch::Aarch64));
        assert_eq!(r.timeout, Duration::from_secs(5));
        assert_eq!(r.cmdline, ["a=b"]);
        let r = boot(&["boot", "--mode", "pv", "--no-xen", "g"]);
        assert_eq!(
            (r.modes.as_slice(), r.no_xen),
            ([Mode::Pv].as_slice(), true)
        );
    }

    #[test]
    fn bad_boot_lines_are_refused() {
        assert!(parsed(&["boot"])
            .unwrap_err()
            .contains("needs the guest file"));
        assert!(parsed(&["boot", "--all-modes", "--mode", "pv", "g"])
            .unwrap_err()
            .contains("exclude"));
        assert!(parsed(&["boot", "--arch", "riscv64", "g"])
            .unwrap_err()
            .contains("unknown arch"));
        assert!(parsed(&["boot", "--timeout", "-1", "g"]).is_err());
        assert!(parsed(&["boot", "--frobnicate", "g"]).is_err());
        assert!(parsed(&["frobnicate"])
            .unwrap_err()
            .contains("unknown command"));
        assert!(parsed(&[]).is_err());
    }

    #[test]
    fn run_test_and_the_rest() {
        match parsed(&[
            "run",
            "--arch",
            "arm64",
            "--example",
            "boot-tests",
            "--",
            "x=1",
        ])
        .unwrap()
        {
            Command::Run {
                arch,
                example,
                cmdline,
                ..
            } => {
                assert_eq!(arch, Arch::Aarch64);
                assert_eq!(example, "boot-tests");
                assert_eq!(cmdline, ["x=1"]);
            }
            other => panic!("{other:?}"),
        }
        match parsed(&["test", "--no-host", "-j", "2", "pvh"]).unwrap() {
            Command::Test(o) => {
                assert!(!o.host);
                assert_eq!(o.jobs, 2);
                assert_eq!(o.filter.as_deref(), Some("pvh"));
            }
            other => panic!("{other:?}"),
        }
        assert!(parsed(&["test", "-j", "0"]).is_err());
        assert_eq!(
            parsed(&["drop-in", "--arch", "x86_64"]).unwrap(),
            Command::DropIn(vec![Arch::X86_64])
        );
        assert_eq!(
            parsed(&["codegen"]).unwrap(),
            Command::Codegen(Arch::ALL.to_vec())
        );
        assert_eq!(
            parsed(&["toolchain", "--target", "aarch64-unknown-none"]).unwrap(),
            Command::Toolchain(vec!["aarch64-unknown-none".into()])
        );
        assert_eq!(parsed(&["xencall", "--help"]).unwrap(), Command::Help);
    }
}
