//! `cargo qemu test`: host checks, cross builds, boot tests and the harness
//! self-test, reported like `cargo test`.

use std::collections::{HashMap, VecDeque};
use std::env;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::boot::{self, Spec};
use crate::c_guest;
use crate::dirs;
use crate::dom0;
use crate::fuzz;
use crate::guests::{self, build_guest};
use crate::plan;
use crate::protocol::{self, Ending, Outcome, Verdict, EXIT_FAIL};
use crate::runner;
use crate::setup::{self, capture, clean_command, Need};
use crate::shutdown;
use crate::support_table::{self, SupportTable};
use crate::target::{Arch, Mode, XenRelease};
use crate::toolchain::Toolchain;

#[derive(Debug, PartialEq, Eq)]
pub struct Options {
    pub host: bool,
    pub filter: Option<String>,
    pub jobs: usize,
    /// Put this run's support table into the README (a full run only).
    pub write_support_table: bool,
}

#[derive(Default, Clone, Copy)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
}

impl Tally {
    fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }

    fn one(&mut self, ok: bool) {
        if ok {
            self.passed += 1;
        } else {
            self.failed += 1;
        }
    }
}

fn selected(options: &Options, name: &str) -> bool {
    match &options.filter {
        None => true,
        Some(f) => name.contains(f.as_str()) || f.starts_with(&format!("{name}::")),
    }
}

/// Every result line printed this run: the support table is read from it.
static TRANSCRIPT: Mutex<String> = Mutex::new(String::new());

fn print_block(text: &str) {
    TRANSCRIPT
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push_str(text);
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

fn indent(text: &str) -> String {
    text.lines().map(|l| format!("    {l}\n")).collect()
}

/// Run a host check; print its line; the tally.
fn host_check(name: &str, cmd: &mut std::process::Command, count_tests: bool) -> Tally {
    let start = Instant::now();
    let (ok, out) = capture(cmd);
    let secs = start.elapsed().as_secs_f64();
    let mut tally = Tally::default();
    let mut text = String::new();
    if count_tests {
        let (p, f, i, results) = protocol::cargo_test_counts(&out);
        if results > 0 {
            tally.passed += p;
            tally.failed += f;
            tally.skipped += i;
            if !ok && f == 0 {
                // Failed without a failing test: a build error or a crash.
                tally.failed += 1;
            }
            let verdict = if ok { "ok" } else { "FAILED" };
            let _ = writeln!(
                text,
                "test {name} ... {verdict} ({p} passed, {f} failed, {i} ignored; {secs:.1} s)"
            );
        } else {
            tally.one(ok);
            let verdict = if ok { "ok" } else { "FAILED" };
            let _ = writeln!(text, "test {name} ... {verdict} ({secs:.1} s)");
        }
    } else {
        tally.one(ok);
        let verdict = if ok { "ok" } else { "FAILED" };
        let _ = writeln!(text, "test {name} ... {verdict} ({secs:.1} s)");
    }
    if !ok {
        let _ = writeln!(text, "    command: {cmd:?}");
        text.push_str(&indent(&protocol::tail(&out, 40).join("\n")));
    }
    print_block(&text);
    tally
}

/// `4.17=/usr/include,4.20=DIR` for the ABI conformance test: the public
/// headers of every Debian release the runner boots (another suite's
/// `libxen-dev` unpacked under the target directory), or why one could
/// not be fetched.
fn header_sets() -> Result<String, String> {
    let mut sets = Vec::new();
    for xen in XenRelease::ALL.into_iter().filter(|x| !x.debug()) {
        let dir = setup::xen_headers(xen, &dirs::target_dir())
            .map_err(|e| format!("the headers of {}: {e}", xen.test_name()))?;
        sets.push(format!("{}={}", xen.version(), dir.display()));
    }
    Ok(sets.join(","))
}

fn host_checks(options: &Options) -> Tally {
    let mut tally = Tally::default();
    let root = dirs::source_tree();
    let cargo = |args: &[&str]| {
        let mut c = clean_command("cargo");
        c.current_dir(root).args(args);
        c
    };
    // Every release's headers, or a failed check saying which is missing
    // (the conformance test then checks the installed ones only).
    let headers = if selected(options, "host::test") {
        header_sets()
    } else {
        Ok(String::new())
    };
    if let Err(e) = &headers {
        print_block(&format!("test host::headers ... FAILED\n{}", indent(e)));
        tally.failed += 1;
    }
    let checks: Vec<(&str, std::process::Command, bool)> = vec![
        ("host::fmt", cargo(&["fmt", "--all", "--check"]), false),
        (
            "host::clippy",
            cargo(&[
                "clippy",
                "--workspace",
                "--all-targets",
                "--all-features",
                "--",
                "-D",
                "warnings",
            ]),
            false,
        ),
        (
            "host::doc",
            {
                let mut c = cargo(&["doc", "--no-deps", "-p", "xencall", "--all-features"]);
                c.env("RUSTDOCFLAGS", "-Dwarnings");
                c
            },
            false,
        ),
        // All features: the boot runtime's and the C API's host-testable
        // parts (test framework, command line, boot info, handle table).
        // The ABI conformance test checks every release's headers.
        (
            "host::test",
            {
                let mut c = cargo(&["test", "--workspace", "--all-features"]);
                if let Ok(sets) = &headers {
                    c.env("XENCALL_XEN_HEADERS", sets);
                }
                c
            },
            true,
        ),
        // The documented no-static-arena build: buffers only from
        // `buffers::add_region` (its own target dir: a different build).
        (
            "host::test::arena0",
            {
                let mut c = cargo(&[
                    "test",
                    "-p",
                    "xencall",
                    "--all-features",
                    "--lib",
                    "--tests",
                ]);
                c.arg("--target-dir")
                    .arg(dirs::target_dir().join("arena0"))
                    .env("XENCALL_ARENA_PAGES", "0");
                c
            },
            true,
        ),
    ];
    for (name, mut cmd, count) in checks {
        if selected(options, name) {
            tally.add(host_check(name, &mut cmd, count));
        }
    }
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let triple = arch.triple();
        for rt in [false, true] {
            let name = format!("host::build::{triple}{}", if rt { "+rt" } else { "" });
            if !selected(options, &name) {
                continue;
            }
            if rt && !runtime_present(arch) {
                report_no_runtime(&name, arch);
                tally.skipped += 1;
                continue;
            }
            match Toolchain::select(triple) {
                Ok(tc) => {
                    let mut cmd = tc.cargo("build", triple);
                    cmd.current_dir(dirs::source_tree());
                    cmd.args(["--release", "--lib", "-p", "xencall", "--target-dir"])
                        .arg(guests::guest_target_dir());
                    if rt {
                        cmd.args(["--features", "rt,c-api"]);
                    } else {
                        cmd.args(["--features", "c-api"]);
                    }
                    tally.add(host_check(&name, &mut cmd, false));
                    if rt {
                        // The boot code and the guests only compile for
                        // bare metal: lint them there too.
                        let name = format!("host::clippy::{triple}");
                        let mut cmd = tc.cargo("clippy", triple);
                        cmd.current_dir(dirs::source_tree());
                        cmd.args(["--lib", "--examples", "-p", "xencall"])
                            .args(["--features", "rt,panic-handler,c-api", "--target-dir"])
                            .arg(dirs::target_dir().join("clippy-none"))
                            .args(["--", "-D", "warnings"]);
                        tally.add(host_check(&name, &mut cmd, false));
                        // The docs of the target, runtime included, as
                        // docs.rs builds them (`[package.metadata.docs.rs]`:
                        // all features, `--cfg docsrs`): no warnings.
                        let name = format!("host::doc::{triple}");
                        let mut cmd = tc.cargo("doc", triple);
                        cmd.args(["--no-deps", "-p", "xencall", "--all-features"])
                            .arg("--target-dir")
                            // host::doc-examples::<triple>'s: the same
                            // dependencies, already built there.
                            .arg(dirs::target_dir().join("doc-coverage-none"))
                            .env("RUSTDOCFLAGS", "--cfg docsrs -Dwarnings")
                            // `doc_cfg` is unstable: allowed for this command
                            // only (the build-std toolchains allow it anyway).
                            .env("RUSTC_BOOTSTRAP", "1");
                        tally.add(host_check(&name, &mut cmd, false));
                    }
                }
                Err(e) => {
                    print_block(&format!("test {name} ... FAILED\n{}", indent(&e)));
                    tally.failed += 1;
                }
            }
        }
    }
    tally.add(doc_examples_checks(options));
    tally.add(drop_in_checks(options));
    tally.add(fuzz_checks(options));
    tally
}

/// `host::fuzz::*`: the fuzz target outside the workspace is built and
/// linted, run for a bounded time where `cargo fuzz` is installed (else
/// ignored, saying why), and its last recorded run names a commit.
fn fuzz_checks(options: &Options) -> Tally {
    let mut tally = Tally::default();
    let root = dirs::source_tree();
    let target = dirs::target_dir().join("fuzz");
    if selected(options, "host::fuzz::build") {
        tally.add(host_check(
            "host::fuzz::build",
            &mut fuzz::build(root, &target),
            false,
        ));
    }
    if selected(options, "host::fuzz::clippy") {
        tally.add(host_check(
            "host::fuzz::clippy",
            &mut fuzz::clippy(root, &target),
            false,
        ));
    }
    let name = "host::fuzz::run";
    if selected(options, name) {
        match fuzz::no_fuzzer(root) {
            Some(why) => {
                print_block(&format!("test {name} ... ignored ({why})\n"));
                tally.skipped += 1;
            }
            None => {
                let corpus = target.join("corpus-suite");
                let _ = std::fs::remove_dir_all(&corpus);
                match std::fs::create_dir_all(&corpus) {
                    Ok(()) => tally.add(host_check(name, &mut fuzz::run(root, &corpus), false)),
                    Err(e) => {
                        print_block(&format!(
                            "test {name} ... FAILED\n    {}: {e}\n",
                            corpus.display()
                        ));
                        tally.failed += 1;
                    }
                }
            }
        }
    }
    let name = "host::fuzz::last-run";
    if selected(options, name) {
        let result = fuzz::check_last_run(root);
        tally.one(result.is_ok());
        print_block(&match result {
            Ok(commit) => format!("test {name} ... ok (fuzz/LAST_RUN.md: commit {commit})\n"),
            Err(e) => format!("test {name} ... FAILED\n{}", indent(&e)),
        });
    }
    tally
}

/// `host::drop-in::<triple>`: libxencall.a alone (`cargo qemu drop-in`)
/// defines exactly xencall.h's functions and links with C calling them.
fn drop_in_checks(options: &Options) -> Tally {
    let mut tally = Tally::default();
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let name = format!("host::drop-in::{}", arch.triple());
        if !selected(options, &name) {
            continue;
        }
        let start = Instant::now();
        let result = crate::drop_in::check(arch);
        let secs = start.elapsed().as_secs_f64();
        tally.one(result.is_ok());
        print_block(&match result {
            Ok(summary) => format!("test {name} ... ok ({secs:.1} s)\n    {summary}\n"),
            Err(e) => format!("test {name} ... FAILED ({secs:.1} s)\n{}", indent(&e)),
        });
    }
    tally
}

/// `host::doc-examples` (host, all features) and
/// `host::doc-examples::<triple>` (bare metal, `rt,c-api`, where the
/// guest-only items exist): every public item that rustdoc expects an
/// example for has one.
fn doc_examples_checks(options: &Options) -> Tally {
    let mut tally = Tally::default();
    let coverage_args = ["--", "-Z", "unstable-options", "--show-coverage"];
    let json_args = ["--output-format", "json"];
    let name = "host::doc-examples";
    if selected(options, name) {
        let mut cmd = clean_command("cargo");
        cmd.current_dir(dirs::source_tree())
            .args(["rustdoc", "-q", "--lib", "-p", "xencall", "--all-features"])
            .arg("--target-dir")
            .arg(dirs::target_dir().join("doc-coverage"))
            .args(coverage_args)
            .args(json_args)
            // `--show-coverage` is unstable: on a stable rustdoc it needs
            // `-Z unstable-options`, which needs RUSTC_BOOTSTRAP. Set for
            // this command only, so no other build is compiled with
            // unstable features allowed.
            .env("RUSTC_BOOTSTRAP", "1");
        tally.add(doc_examples_check(name, &mut cmd));
    }
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let triple = arch.triple();
        let name = format!("host::doc-examples::{triple}");
        if !selected(options, &name) {
            continue;
        }
        if !runtime_present(arch) {
            report_no_runtime(&name, arch);
            tally.skipped += 1;
            continue;
        }
        match Toolchain::select(triple) {
            Ok(tc) => {
                let mut cmd = tc.cargo("rustdoc", triple);
                cmd.current_dir(dirs::source_tree());
                cmd.args(["-q", "--lib", "-p", "xencall", "--features", "rt,c-api"])
                    .arg("--target-dir")
                    .arg(dirs::target_dir().join("doc-coverage-none"))
                    .args(coverage_args)
                    .args(json_args)
                    // As for the host: `-Z unstable-options` on a stable
                    // rustdoc (a rustup target needs it; the build-std
                    // toolchains set it already).
                    .env("RUSTC_BOOTSTRAP", "1");
                tally.add(doc_examples_check(&name, &mut cmd));
            }
            Err(e) => {
                print_block(&format!("test {name} ... FAILED\n{}", indent(&e)));
                tally.failed += 1;
            }
        }
    }
    tally
}

/// Run one `--show-coverage --output-format json` command and fail,
/// listing them, if any file has fewer items with an example than rustdoc
/// expects (`with_examples < total_examples`). rustdoc expects one on
/// every public function, method, type, trait and macro, not on
/// constants, statics, fields or variants; an example marked `ignore`
/// does not count.
fn doc_examples_check(name: &str, cmd: &mut std::process::Command) -> Tally {
    let start = Instant::now();
    let output = cmd.stdin(std::process::Stdio::null()).output();
    let secs = start.elapsed().as_secs_f64();
    let mut tally = Tally::default();
    let (ok, detail) = match output {
        Err(e) => (false, format!("cannot run {cmd:?}: {e}")),
        Ok(out) if !out.status.success() => {
            let text = String::from_utf8_lossy(&out.stderr);
            (
                false,
                format!("command: {cmd:?}\n{}", protocol::tail(&text, 40).join("\n")),
            )
        }
        Ok(out) => match parse_doc_coverage(&String::from_utf8_lossy(&out.stdout)) {
            Err(e) => (
                false,
                format!("command: {cmd:?}\nunreadable coverage report: {e}"),
            ),
            Ok(files) if files.is_empty() => (
                false,
                format!("command: {cmd:?}\nno files in the coverage report"),
            ),
            Ok(files) => {
                let missing: Vec<String> = files
                    .iter()
                    .filter(|f| f.with_examples < f.total_examples)
                    .map(|f| {
                        format!(
                            "{}: {} of {} items without an example",
                            f.file.trim_start_matches("src/../"),
                            f.total_examples - f.with_examples,
                            f.total_examples
                        )
                    })
                    .collect();
                if missing.is_empty() {
                    (true, String::new())
                } else {
                    (false, missing.join("\n"))
                }
            }
        },
    };
    tally.one(ok);
    let mut text = if ok {
        format!("test {name} ... ok ({secs:.1} s)\n")
    } else {
        format!("test {name} ... FAILED ({secs:.1} s)\n")
    };
    text.push_str(&indent(&detail));
    print_block(&text);
    tally
}

/// One file's line of rustdoc's coverage report.
#[derive(Debug, PartialEq, Eq)]
struct DocCoverage {
    file: String,
    total_examples: u64,
    with_examples: u64,
}

/// Read `--show-coverage --output-format json`: an object mapping each
/// file to an object of counts (`total`, `with_docs`, `total_examples`,
/// `with_examples`). A missing example count is an error, so a renamed
/// field cannot make the check pass by counting nothing.
fn parse_doc_coverage(json: &str) -> Result<Vec<DocCoverage>, String> {
    let report: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(json).map_err(|e| format!("not rustdoc's JSON report: {e}"))?;
    report
        .into_iter()
        .map(|(file, counts)| {
            let count = |key: &str| {
                counts
                    .get(key)
                    .and_then(serde_json::Value::as_u64)
                    .ok_or_else(|| format!("{file}: no {key:?} count"))
            };
            Ok(DocCoverage {
                total_examples: count("total_examples")?,
                with_examples: count("with_examples")?,
                file,
            })
        })
        .collect()
}

/// What a boot step must show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// The guest's own tests pass.
    Pass,
    /// Booted without Xen: `not running on Xen` and the failure status.
    NoXen,
    /// The harness must catch this deliberate failure of harness-selftest.
    SelfTest(&'static str),
    /// `hello` without the QEMU exit: it must finish and shut the domain
    /// down through `SCHEDOP_shutdown` with this reason, which Xen reports
    /// for dom0 with this line.
    Shutdown(Shutdown),
    /// The guest booted through the user-facing path: this very binary's
    /// `boot`, run from outside the source tree, as cargo runs it.
    Runner(RunnerCase),
    /// The fixture guest fails to link (no boot at all).
    LinkFails(&'static [&'static str]),
}

/// A run of `cargo-xencall boot` and what it must show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct RunnerCase {
    /// `boot`'s options, before the file.
    options: &'static [&'static str],
    /// Its exit status.
    status: i32,
    /// Text its output (stdout and stderr) must contain.
    shows: &'static [&'static str],
    /// Text it must not contain.
    not: &'static [&'static str],
}

/// A `SCHEDOP_shutdown` reason and what Xen prints when dom0 gives it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Shutdown {
    /// `hello-shutdown=` value; `None`: the runtime's own power-off.
    reason: Option<&'static str>,
    /// Xen's line for it (`hwdom_shutdown`).
    marker: &'static str,
}

/// Every reason other than the runtime's own power-off, with Xen 4.17's
/// line for dom0 (reasons it does not know, suspend among them, are
/// "unknown").
const SHUTDOWN_REASONS: [Shutdown; 6] = [
    Shutdown {
        reason: Some("poweroff"),
        marker: DOM0_HALTED,
    },
    Shutdown {
        reason: Some("reboot"),
        marker: "Hardware Dom0 shutdown: rebooting machine",
    },
    Shutdown {
        reason: Some("suspend"),
        marker: "Hardware Dom0 shutdown (unknown reason 2)",
    },
    Shutdown {
        reason: Some("crash"),
        marker: "Hardware Dom0 crashed",
    },
    Shutdown {
        reason: Some("watchdog"),
        marker: "Hardware Dom0 shutdown: watchdog rebooting machine",
    },
    Shutdown {
        reason: Some("soft_reset"),
        marker: "did unsupported soft reset",
    },
];

/// The runtime's exit path: power-off.
const RUNTIME_POWEROFF: Shutdown = Shutdown {
    reason: None,
    marker: DOM0_HALTED,
};

/// What Xen prints when dom0 powers off (x86 then halts; Arm powers the
/// machine off through PSCI and QEMU exits 0).
const DOM0_HALTED: &str = "Hardware Dom0 halted";

/// What the runtime prints when `Error::NoHypervisor` stops it (its
/// Display, after the runtime's `xencall: `).
const NO_HYPERVISOR: &str = "xencall: not running on Xen: no hypervisor found";

/// What Xen prints once it crashed dom0.
const DOM0_CRASHED: &str = "Hardware Dom0 crashed";

#[derive(Clone, Debug)]
struct Step {
    name: String,
    arch: Arch,
    mode: Mode,
    example: &'static str,
    no_xen: bool,
    cmdline: Vec<String>,
    timeout: Duration,
    expect: Expect,
    /// CPUs, and dom0 vCPUs.
    cpus: u32,
    /// The Xen it boots under (the name starts with it).
    xen: XenRelease,
}

/// Every step: each boot under Xen once per release of its architecture,
/// its name starting with the release (`xen-4.20::x86_64-pvh`); the boot
/// without Xen and the runner's own steps (which boot the default
/// release through `cargo-xencall boot`) once.
fn steps() -> Vec<Step> {
    let mut out = Vec::new();
    for s in base_steps() {
        let per_release =
            !s.no_xen && !matches!(s.expect, Expect::Runner(_) | Expect::LinkFails(_));
        if !per_release {
            out.push(s);
            continue;
        }
        for xen in XenRelease::ALL {
            if xen.arches().contains(&s.arch) {
                // The debug build boots 2-4 times slower (12-25 s a boot
                // here, at load 9, against 4-6 s): the hang self-test's
                // short timeout would expire before the guest starts.
                let timeout = if xen.debug() {
                    s.timeout * 3
                } else {
                    s.timeout
                };
                out.push(Step {
                    name: format!("{}::{}", xen.test_name(), s.name),
                    xen,
                    timeout,
                    ..s.clone()
                });
            }
        }
    }
    out
}

fn base_steps() -> Vec<Step> {
    let timeout = boot::default_timeout();
    let hang_timeout = Duration::from_secs(15).min(timeout);
    let step = |name: &str, arch, mode, example, expect| Step {
        name: name.to_string(),
        arch,
        mode,
        example,
        no_xen: false,
        cmdline: vec![],
        timeout,
        expect,
        cpus: 1,
        xen: XenRelease::DEFAULT,
    };
    let selftest = |what: &'static str| Step {
        name: format!("selftest::{what}"),
        cmdline: vec![format!("xencall-selftest={what}")],
        timeout: if what == "hang" {
            hang_timeout
        } else {
            timeout
        },
        ..step(
            "",
            Arch::X86_64,
            Mode::Pvh,
            "harness-selftest",
            Expect::SelfTest(what),
        )
    };
    let mut steps = vec![
        // The longest first: it overlaps the others.
        selftest("hang"),
        step(
            "x86_64-pvh",
            Arch::X86_64,
            Mode::Pvh,
            "boot-tests",
            Expect::Pass,
        ),
        // The same cases with vmcall/vmmcall inline instead of the page.
        Step {
            cmdline: vec!["xencall-hypercall=direct".to_string()],
            ..step(
                "x86_64-pvh-direct",
                Arch::X86_64,
                Mode::Pvh,
                "boot-tests",
                Expect::Pass,
            )
        },
        step(
            "x86_64-pv",
            Arch::X86_64,
            Mode::Pv,
            "boot-tests",
            Expect::Pass,
        ),
        step(
            "aarch64",
            Arch::Aarch64,
            Mode::Pvh,
            "boot-tests",
            Expect::Pass,
        ),
        // C written against the system's xencall.h, linked with the
        // crate instead of libxencall, in each mode.
        step(
            "x86_64-pvh::c-guest",
            Arch::X86_64,
            Mode::Pvh,
            "c-guest",
            Expect::Pass,
        ),
        step(
            "x86_64-pv::c-guest",
            Arch::X86_64,
            Mode::Pv,
            "c-guest",
            Expect::Pass,
        ),
        step(
            "aarch64::c-guest",
            Arch::Aarch64,
            Mode::Pvh,
            "c-guest",
            Expect::Pass,
        ),
        // The drop-in libxencall.a alone, under an entry of the test's
        // own (no xencall runtime).
        step(
            "x86_64-pvh::drop-in-guest",
            Arch::X86_64,
            Mode::Pvh,
            crate::drop_in_guest::EXAMPLE,
            Expect::Pass,
        ),
        step(
            "aarch64::drop-in-guest",
            Arch::Aarch64,
            Mode::Pvh,
            crate::drop_in_guest::EXAMPLE,
            Expect::Pass,
        ),
        // A second vCPU, concurrent with the first.
        Step {
            cpus: 2,
            ..step(
                "x86_64-pvh::smp",
                Arch::X86_64,
                Mode::Pvh,
                "smp-tests",
                Expect::Pass,
            )
        },
        Step {
            cpus: 2,
            ..step(
                "x86_64-pv::smp",
                Arch::X86_64,
                Mode::Pv,
                "smp-tests",
                Expect::Pass,
            )
        },
        Step {
            cpus: 2,
            ..step(
                "aarch64::smp",
                Arch::Aarch64,
                Mode::Pvh,
                "smp-tests",
                Expect::Pass,
            )
        },
        Step {
            no_xen: true,
            ..step(
                "no-xen",
                Arch::X86_64,
                Mode::Pvh,
                "boot-tests",
                Expect::NoXen,
            )
        },
        selftest("fail"),
        selftest("fault"),
        // A fault must be reported in every mode, not only PVH.
        Step {
            name: "selftest::fault-pv".to_string(),
            mode: Mode::Pv,
            ..selftest("fault")
        },
        Step {
            name: "selftest::fault-aarch64".to_string(),
            arch: Arch::Aarch64,
            ..selftest("fault")
        },
        // A bad memory access too, in every mode.
        selftest("badaccess"),
        Step {
            name: "selftest::badaccess-pv".to_string(),
            mode: Mode::Pv,
            ..selftest("badaccess")
        },
        Step {
            name: "selftest::badaccess-aarch64".to_string(),
            arch: Arch::Aarch64,
            ..selftest("badaccess")
        },
        // A fault with the console lock held must still be reported.
        selftest("faultinprint"),
        Step {
            name: "selftest::faultinprint-pv".to_string(),
            mode: Mode::Pv,
            ..selftest("faultinprint")
        },
        Step {
            name: "selftest::faultinprint-aarch64".to_string(),
            arch: Arch::Aarch64,
            ..selftest("faultinprint")
        },
        // A stack overflow must hit a guard page and be named, in every
        // mode (PV: from Xen's crash lines).
        selftest("stackoverflow"),
        Step {
            name: "selftest::stackoverflow-pv".to_string(),
            mode: Mode::Pv,
            ..selftest("stackoverflow")
        },
        Step {
            name: "selftest::stackoverflow-aarch64".to_string(),
            arch: Arch::Aarch64,
            ..selftest("stackoverflow")
        },
    ];
    // Dom0 shutting down through the runtime, then with every reason.
    for (prefix, arch, mode) in [
        ("x86_64-pvh", Arch::X86_64, Mode::Pvh),
        ("x86_64-pv", Arch::X86_64, Mode::Pv),
        ("aarch64", Arch::Aarch64, Mode::Pvh),
    ] {
        steps.push(step(
            &format!("{prefix}::shutdown"),
            arch,
            mode,
            "hello",
            Expect::Shutdown(RUNTIME_POWEROFF),
        ));
        for s in SHUTDOWN_REASONS {
            let reason = s.reason.unwrap_or_default();
            steps.push(Step {
                cmdline: vec![format!("hello-shutdown={reason}")],
                ..step(
                    &format!("{prefix}::shutdown-{reason}"),
                    arch,
                    mode,
                    "hello",
                    Expect::Shutdown(s),
                )
            });
        }
    }
    steps.extend(runner_steps(timeout));
    steps
}

/// `cargo-xencall boot` as users meet it: a guest ending in
/// `sched_shutdown(POWEROFF)` passes and one ending in `CRASH` (or
/// `REBOOT`) fails, in every mode (`--all-modes`); a guest speaking the
/// test protocol is reported per case; images Xen cannot boot are refused
/// before booting, naming the linker script.
fn runner_steps(timeout: Duration) -> Vec<Step> {
    let runner = |name: String, arch, example, cmdline: &[&str], case| Step {
        name,
        arch,
        mode: Mode::Pvh,
        example,
        no_xen: false,
        cmdline: cmdline.iter().map(|w| w.to_string()).collect(),
        // Every mode, one after the other.
        timeout: timeout * 2,
        expect: Expect::Runner(case),
        cpus: 1,
        xen: XenRelease::DEFAULT,
    };
    let mut steps = Vec::new();
    for arch in Arch::ALL {
        let a = arch.name();
        let x86 = arch == Arch::X86_64;
        steps.push(runner(
            format!("runner::{a}::poweroff"),
            arch,
            "hello",
            &["hello-shutdown=poweroff"],
            RunnerCase {
                options: &["--all-modes"],
                status: runner::PASSED,
                shows: if x86 {
                    &[
                        "x86_64-pvh: passed",
                        "x86_64-pv: passed",
                        "dom0 powered off: SCHEDOP_shutdown(poweroff)",
                        "2 of 2 modes passed",
                    ]
                } else {
                    &[
                        "aarch64: passed",
                        "dom0 powered off: SCHEDOP_shutdown(poweroff)",
                    ]
                },
                not: &["FAILED"],
            },
        ));
        steps.push(runner(
            format!("runner::{a}::crash"),
            arch,
            "hello",
            &["hello-shutdown=crash"],
            RunnerCase {
                options: &["--all-modes"],
                status: runner::FAILED,
                shows: if x86 {
                    &[
                        "x86_64-pvh: dom0 crashed: SCHEDOP_shutdown(crash)",
                        "x86_64-pv: dom0 crashed: SCHEDOP_shutdown(crash)",
                        "0 of 2 modes passed",
                    ]
                } else {
                    &["aarch64: dom0 crashed: SCHEDOP_shutdown(crash)"]
                },
                not: &[": passed"],
            },
        ));
        steps.push(runner(
            format!("runner::{a}::reboot"),
            arch,
            "hello",
            &["hello-shutdown=reboot"],
            RunnerCase {
                options: &[],
                status: runner::FAILED,
                shows: &["dom0 shut down with reason reboot, not poweroff"],
                not: &[": passed"],
            },
        ));
        steps.push(runner(
            format!("runner::{a}::per-case"),
            arch,
            "harness-selftest",
            &["xencall-selftest=fail"],
            RunnerCase {
                options: &[],
                status: runner::FAILED,
                shows: &[
                    "running 7 tests",
                    "test passes ... ok",
                    "test asserts_false ... FAILED",
                    "test hangs ... ignored, xencall-selftest=hang not given",
                    "test result: FAILED. 1 passed; 1 failed; 5 ignored;",
                ],
                not: &[": passed"],
            },
        ));
        steps.push(runner(
            format!("runner::{a}::no-xen-notes"),
            arch,
            guests::NO_XEN_NOTES,
            &[],
            RunnerCase {
                options: &[],
                status: runner::NOT_BOOTED,
                shows: if x86 {
                    &[
                        "refused before booting: no Xen ELF notes",
                        "`-C link-arg=-Txencall-x86_64.ld` in the `rustflags` of \
                         `[target.x86_64-unknown-none]`",
                    ]
                } else {
                    &[
                        "refused before booting: not an arm64 Image",
                        "`-C link-arg=-Txencall-aarch64.ld` in the `rustflags` of \
                         `[target.aarch64-unknown-none]`",
                    ]
                },
                not: &["(XEN)", "running "],
            },
        ));
    }
    // Linked without the script: aarch64 links and is refused before
    // booting; x86_64 does not link (the runtime needs the script's
    // symbols), so no such image reaches a boot.
    steps.push(runner(
        "runner::aarch64::no-linker-script".into(),
        Arch::Aarch64,
        guests::UNSCRIPTED,
        &[],
        RunnerCase {
            options: &[],
            status: runner::NOT_BOOTED,
            shows: &[
                "refused before booting: not an arm64 Image",
                "`-C link-arg=-Txencall-aarch64.ld`",
            ],
            not: &["(XEN)"],
        },
    ));
    steps.push(Step {
        expect: Expect::LinkFails(&["undefined symbol"]),
        ..runner(
            "runner::x86_64::no-linker-script".into(),
            Arch::X86_64,
            guests::UNSCRIPTED,
            &[],
            RunnerCase {
                options: &[],
                status: 0,
                shows: &[],
                not: &[],
            },
        )
    });
    steps
}

/// The lines of a boot under the test protocol, and its tally.
fn render(name: &str, verdict: &Verdict, outcome: &boot::Outcome) -> (String, Tally) {
    let mut text = String::new();
    let mut tally = Tally::default();
    for (case, result) in &verdict.cases {
        match result {
            Outcome::Ok => {
                tally.passed += 1;
                let _ = writeln!(text, "test {name}::{case} ... ok");
            }
            Outcome::Skipped(reason) => {
                tally.skipped += 1;
                let _ = writeln!(text, "test {name}::{case} ... ignored ({reason})");
            }
            Outcome::Failed(message) => {
                tally.failed += 1;
                let _ = writeln!(text, "test {name}::{case} ... FAILED\n    {message}");
            }
        }
    }
    let secs = outcome.elapsed.as_secs_f64();
    tally.one(verdict.passed());
    if verdict.passed() {
        let _ = writeln!(text, "test {name}::boot ... ok ({secs:.1} s)");
    } else {
        let _ = writeln!(text, "test {name}::boot ... FAILED ({secs:.1} s)");
        for p in &verdict.problems {
            let _ = writeln!(text, "    - {p}");
        }
        text.push_str(&log_tail(outcome));
    }
    (text, tally)
}

const TAIL_HEADER: &str = "last 40 lines of";

fn log_tail(outcome: &boot::Outcome) -> String {
    let mut text = format!(
        "    command: {}\n    {TAIL_HEADER} {}:\n",
        outcome.command,
        outcome.log_path.display()
    );
    for line in protocol::tail(&outcome.log, 40) {
        let _ = writeln!(text, "    | {line}");
    }
    text
}

/// Run one step with its guest already built; its report and tally.
fn run_step(step: &Step, guest: &Path, qemu: &Path, xen: Option<&Path>) -> (String, Tally) {
    match step.expect {
        Expect::Runner(case) => return runner_step(step, guest, case),
        Expect::LinkFails(shows) => return link_fails_step(step, shows),
        _ => {}
    }
    let spec = Spec {
        name: step.name.replace("::", "-"),
        log_dir: dirs::target_dir().join("qemu-logs"),
        arch: step.arch,
        mode: step.mode,
        guest: guest.to_path_buf(),
        cmdline: step.cmdline.clone(),
        no_xen: step.no_xen,
        timeout: step.timeout,
        stream: false,
        qemu_exit: !matches!(step.expect, Expect::Shutdown(_)),
        stop_on: match step.expect {
            Expect::Shutdown(s) => Some(s.marker),
            // A PV stack overflow ends in a domain crash (x86 Xen then
            // reboots only after a delay).
            Expect::SelfTest("stackoverflow") => Some(DOM0_CRASHED),
            _ => None,
        },
        stop_at_shutdown: false,
        icount: false,
        cpus: step.cpus,
    };
    let outcome = match boot::boot(&spec, qemu, xen) {
        Ok(o) => o,
        Err(e) => {
            let mut t = Tally::default();
            t.failed += 1;
            return (format!("test {} ... FAILED\n{}", step.name, indent(&e)), t);
        }
    };
    let secs = outcome.elapsed.as_secs_f64();
    match step.expect {
        Expect::Pass => {
            let verdict = judge_step(step, guest, &outcome);
            render(&step.name, &verdict, &outcome)
        }
        Expect::Shutdown(s) => shutdown_step(step, s, &outcome),
        Expect::Runner(_) | Expect::LinkFails(_) => unreachable!("run above"),
        Expect::NoXen => {
            // The specific error (`Error::NoHypervisor`, as the runtime
            // prints it), not any failure to set up a backend: the runtime
            // adds "not running on Xen, stopping" after every one.
            let said = outcome.log.lines().any(|l| l.trim() == NO_HYPERVISOR);
            let status = outcome.ending == Ending::Exited(EXIT_FAIL);
            let mut t = Tally::default();
            t.one(said && status);
            let mut text = String::new();
            if said && status {
                let _ = writeln!(
                    text,
                    "test {}::detect ... ok ({secs:.1} s: \"{NO_HYPERVISOR}\", {})",
                    step.name, outcome.ending
                );
            } else {
                let _ = writeln!(text, "test {}::detect ... FAILED ({secs:.1} s)", step.name);
                if !said {
                    let _ = writeln!(
                        text,
                        "    - the guest never printed the line \"{NO_HYPERVISOR}\""
                    );
                }
                if !status {
                    let _ = writeln!(
                        text,
                        "    - expected QEMU exit {EXIT_FAIL} (failure), got: {}",
                        outcome.ending
                    );
                }
                text.push_str(&log_tail(&outcome));
            }
            (text, t)
        }
        Expect::SelfTest(what) => {
            let verdict = judge_step(step, guest, &outcome);
            let (harness_output, _) = render(&step.name, &verdict, &outcome);
            let mut wrong = selftest_expectations(what, &verdict, outcome.ending, &harness_output);
            if outcome.log.trim().is_empty() {
                wrong.push("the log is empty".into());
            }
            let mut t = Tally::default();
            t.one(wrong.is_empty());
            let mut text = String::new();
            if wrong.is_empty() {
                let _ = writeln!(
                    text,
                    "test {} ... ok (harness caught it: {}; {secs:.1} s)",
                    step.name,
                    verdict.problems.join("; ")
                );
            } else {
                let _ = writeln!(text, "test {} ... FAILED ({secs:.1} s)", step.name);
                for w in &wrong {
                    let _ = writeln!(text, "    - {w}");
                }
                let _ = writeln!(text, "    the harness reported:");
                text.push_str(&indent(&harness_output));
            }
            (text, t)
        }
    }
}

/// What `hello` prints just before it shuts down, naming the path: its
/// own `Xencall::sched_shutdown(REASON)`, or returning to the runtime,
/// whose exit calls `SCHEDOP_shutdown(poweroff)`.
fn shutdown_path(reason: Option<&str>) -> String {
    match reason {
        Some(r) => format!("hello: shutting down: Xencall::sched_shutdown({r})"),
        None => "hello: shutting down: the runtime's exit, SCHEDOP_shutdown(poweroff)".into(),
    }
}

/// What a guest prints when `SCHEDOP_shutdown` came back: `hello` after
/// its `sched_shutdown`, the runtime's exit after its own call (then
/// `hello` falls back to `rt::exit(Failure)`, which crashes the domain:
/// without this check a broken `sched_shutdown(CRASH)` would pass).
const SHUTDOWN_RETURNED: [&str; 2] = [
    "hello: SCHEDOP_shutdown returned",
    "xencall: SCHEDOP_shutdown returned",
];

/// A `hello` shutdown step: the guest named the path it takes, no
/// `SCHEDOP_shutdown` returned, and Xen reported the reason asked for.
fn shutdown_step(step: &Step, s: Shutdown, outcome: &boot::Outcome) -> (String, Tally) {
    let secs = outcome.elapsed.as_secs_f64();
    let path = shutdown_path(s.reason);
    let took_path = outcome.log.contains(&path);
    let returned: Vec<&str> = outcome
        .log
        .lines()
        .filter(|l| SHUTDOWN_RETURNED.iter().any(|m| l.contains(m)))
        .collect();
    let halted = outcome.log.contains(s.marker);
    let ended = matches!(outcome.ending, Ending::Stopped | Ending::Exited(0));
    // The runner's own reading of Xen's line (what `boot` judges users'
    // guests by) must name the reason given.
    let want = s.reason.unwrap_or("poweroff");
    let read = shutdown::reported_reason(&outcome.log).map(|r| r.name());
    let named = read.as_deref() == Some(want);
    let ok = took_path && returned.is_empty() && halted && ended && named;
    let mut t = Tally::default();
    t.one(ok);
    let mut text = String::new();
    if ok {
        let _ = writeln!(
            text,
            "test {} ... ok ({secs:.1} s: SCHEDOP_shutdown({}), Xen: \"{}\")",
            step.name,
            s.reason.unwrap_or("poweroff, by the runtime"),
            s.marker
        );
        return (text, t);
    }
    let _ = writeln!(text, "test {} ... FAILED ({secs:.1} s)", step.name);
    if !took_path {
        let _ = writeln!(text, "    - hello never printed {path:?}");
    }
    for line in &returned {
        let _ = writeln!(
            text,
            "    - SCHEDOP_shutdown returned instead of shutting the domain down: {:?}",
            line.trim()
        );
    }
    if !halted {
        let _ = writeln!(text, "    - Xen never printed \"{}\"", s.marker);
    }
    if !ended {
        let _ = writeln!(text, "    - {}", outcome.ending);
    }
    if !named {
        let _ = writeln!(
            text,
            "    - the runner read the shutdown as {read:?}, not {want:?}"
        );
    }
    let _ = writeln!(text, "    - {}", xen_saw(&outcome.log));
    text.push_str(&log_tail(outcome));
    (text, t)
}

/// The shutdown Xen reported for dom0, with its line, or that it reported
/// none.
fn xen_saw(log: &str) -> String {
    match log.lines().find(|l| shutdown::reason_in_line(l).is_some()) {
        Some(line) => format!(
            "Xen saw reason {}: {:?}",
            shutdown::reason_in_line(line).map_or_else(String::new, |r| r.name()),
            line.trim()
        ),
        None => "Xen reported no dom0 shutdown".into(),
    }
}

/// The verdict of a boot under the test protocol: the protocol's rules,
/// then the runner's plan for the step (`plan.rs`: every case by name, the
/// expected skips, the backend, the console writes), then what Xen's crash
/// lines say.
fn judge_step(step: &Step, guest: &Path, outcome: &boot::Outcome) -> Verdict {
    let report = protocol::parse(&outcome.log);
    let mut verdict = protocol::judge(&report, outcome.ending);
    match plan::for_step(step.example, step.arch, step.mode, &step.cmdline) {
        Some(plan) => plan::check(&plan, &report, &outcome.log, &mut verdict),
        None => verdict.problems.push(format!(
            "no plan for guest {} in qemu-tests/src/plan.rs",
            step.example
        )),
    }
    explain_xen_crash(step, guest, outcome, &mut verdict);
    verdict
}

/// A PV guest Xen crashed because it could not write an exception frame
/// on its stack: name why (a stack overflow when the address is one of the
/// image's unmapped guard pages), since the guest could not say it.
fn explain_xen_crash(step: &Step, guest: &Path, outcome: &boot::Outcome, verdict: &mut Verdict) {
    if step.mode != Mode::Pv || step.arch != Arch::X86_64 {
        return;
    }
    let image = std::fs::read(guest)
        .map_err(|e| e.to_string())
        .and_then(|elf| crate::elf::Elf::parse(&elf)?.loaded_range());
    match image {
        Ok(image) => verdict
            .problems
            .extend(crate::xen_crash::explain(&outcome.log, image)),
        Err(e) => verdict.problems.push(format!("{}: {e}", guest.display())),
    }
}

/// Run this binary's `boot` on the guest's ELF from a directory outside
/// the source tree, as cargo runs a runner, and check what it shows.
fn runner_step(step: &Step, guest: &Path, case: RunnerCase) -> (String, Tally) {
    let start = Instant::now();
    let elf = runner::elf_of(guest);
    let outside = std::env::temp_dir().join("cargo-xencall-suite");
    let result = std::env::current_exe()
        .map_err(|e| format!("this binary: {e}"))
        .and_then(|exe| {
            std::fs::create_dir_all(&outside).map_err(|e| format!("{}: {e}", outside.display()))?;
            let mut cmd = clean_command(&exe);
            cmd.current_dir(&outside)
                .arg("boot")
                .args(case.options)
                .arg(&elf)
                .args(&step.cmdline)
                .env(
                    "XENCALL_BOOT_TIMEOUT",
                    (step.timeout / 2).as_secs_f64().to_string(),
                );
            let out = cmd
                .stdin(std::process::Stdio::null())
                .output()
                .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            Ok((cmd, out.status.code(), text))
        });
    let secs = start.elapsed().as_secs_f64();
    let mut t = Tally::default();
    let (cmd, code, output) = match result {
        Ok(r) => r,
        Err(e) => {
            t.failed += 1;
            return (
                format!(
                    "test {} ... FAILED
{}",
                    step.name,
                    indent(&e)
                ),
                t,
            );
        }
    };
    let mut wrong = Vec::new();
    if code != Some(case.status) {
        wrong.push(format!("exit status {code:?}, expected {}", case.status));
    }
    for s in case.shows {
        if !output.contains(s) {
            wrong.push(format!("no {s:?} in its output"));
        }
    }
    for s in case.not {
        if output.contains(s) {
            wrong.push(format!("{s:?} in its output"));
        }
    }
    t.one(wrong.is_empty());
    let mut text = String::new();
    if wrong.is_empty() {
        let _ = writeln!(
            text,
            "test {} ... ok ({secs:.1} s: `boot {}` exited {})",
            step.name,
            case.options.join(" "),
            case.status
        );
    } else {
        let _ = writeln!(text, "test {} ... FAILED ({secs:.1} s)", step.name);
        for w in &wrong {
            let _ = writeln!(text, "    - {w}");
        }
        let _ = writeln!(text, "    command: {cmd:?}");
        text.push_str(&indent(&protocol::tail(&output, 40).join("\n")));
    }
    (text, t)
}

/// Build the step's fixture, which must fail to link with these words.
fn link_fails_step(step: &Step, shows: &[&str]) -> (String, Tally) {
    let start = Instant::now();
    let result = guests::build_fixture(step.arch, step.example, true);
    let secs = start.elapsed().as_secs_f64();
    let mut t = Tally::default();
    let wrong = match &result {
        Ok(elf) => vec![format!("it linked: {}", elf.display())],
        Err(e) => shows
            .iter()
            .filter(|s| !e.contains(**s))
            .map(|s| format!("no {s:?} in the build's errors:\n{}", indent(e)))
            .collect(),
    };
    t.one(wrong.is_empty());
    let text = if wrong.is_empty() {
        format!(
            "test {} ... ok ({secs:.1} s: the linker refuses it: {})\n",
            step.name,
            shows.join(", ")
        )
    } else {
        format!(
            "test {} ... FAILED ({secs:.1} s)\n{}",
            step.name,
            indent(&wrong.join("\n"))
        )
    };
    (text, t)
}

/// What is wrong with the harness's handling of a deliberate failure.
fn selftest_expectations(
    what: &str,
    verdict: &Verdict,
    ending: Ending,
    output: &str,
) -> Vec<String> {
    let mut wrong = Vec::new();
    if verdict.passed() {
        wrong.push("the harness judged the boot a pass".into());
    }
    if !output.contains(TAIL_HEADER) {
        wrong.push("the harness printed no log tail".into());
    }
    let failed = |case: &str| {
        verdict
            .cases
            .iter()
            .any(|(n, o)| n == case && matches!(o, Outcome::Failed(_)))
    };
    match what {
        "fail" | "fault" | "badaccess" | "faultinprint" => {
            let case = match what {
                "fail" => "asserts_false",
                "fault" => "faults",
                "faultinprint" => "faults_while_printing",
                _ => "bad_memory_access",
            };
            if !failed(case) {
                wrong.push(format!("case {case} not reported FAILED"));
            }
            if !output.contains(&format!("::{case} ... FAILED")) {
                wrong.push(format!("no `{case} ... FAILED` line"));
            }
            if what != "fail" && ending == Ending::TimedOut {
                wrong.push("the fault hung instead of being reported".into());
            }
        }
        "stackoverflow" => {
            // PVH and aarch64: the guest's own report; PV: the runner's,
            // from Xen's crash lines.
            if !output.contains("stack overflow") {
                wrong.push("the stack overflow was not reported as one".into());
            }
            if ending == Ending::TimedOut {
                wrong.push("the stack overflow hung instead of being reported".into());
            }
        }
        "hang" => {
            if ending != Ending::TimedOut {
                wrong.push(format!("expected a timeout, got: {ending}"));
            }
            if !verdict
                .cases
                .iter()
                .any(|(_, o)| *o == Outcome::Failed(protocol::MISSING.into()))
            {
                wrong.push("no case reported missing".into());
            }
        }
        _ => wrong.push(format!("unknown self-test {what}")),
    }
    wrong
}

/// `size::hello::<arch>`: `hello`'s stripped image within
/// [`crate::size::BUDGET`] in every mode, the breakdown printed when not.
fn size_checks(options: &Options) -> Tally {
    let mut tally = Tally::default();
    for arch in [Arch::X86_64, Arch::Aarch64] {
        let name = format!("size::hello::{}", arch.name());
        if !selected(options, &name) {
            continue;
        }
        if !runtime_present(arch) {
            report_no_runtime(&name, arch);
            tally.skipped += 1;
            continue;
        }
        let start = Instant::now();
        let result =
            crate::size::hello(arch).map(|image| crate::size::verdict(&image, crate::size::BUDGET));
        let secs = start.elapsed().as_secs_f64();
        let (ok, text) = result.unwrap_or_else(|e| (false, e));
        tally.one(ok);
        print_block(&if ok {
            format!("test {name} ... ok ({text}; {secs:.1} s)\n")
        } else {
            format!("test {name} ... FAILED ({secs:.1} s)\n{}", indent(&text))
        });
    }
    tally
}

/// `true` if the architecture's boot code is in the tree.
fn runtime_present(arch: Arch) -> bool {
    dirs::source_tree()
        .join("arch")
        .join(arch.name())
        .join("rt")
        .is_dir()
}

/// The line for a check or step skipped because `arch` has no boot code.
fn report_no_runtime(name: &str, arch: Arch) {
    print_block(&format!(
        "test {name} ... ignored (no boot runtime for {} yet: arch/{}/rt is missing)\n",
        arch.triple(),
        arch.name()
    ));
}

/// What the suite needs from the system beyond a Rust toolchain for the
/// host: QEMU, the C toolchain and headers, the linker, and Debian's Rust
/// for the bare-metal targets where nothing here builds them (with its
/// clippy, which lints the boot code for bare metal).
fn system_needs() -> Vec<Need> {
    let need = |what, package| Need { what, package };
    let mut needs = setup::QEMU.to_vec();
    needs.extend(c_guest::needs());
    needs.extend([
        // The ABI conformance test compiles against the Xen headers.
        need("/usr/include/xen/xen.h", "libxen-dev"),
        // rustup's host toolchain links with the system's C compiler.
        need("cc", "gcc"),
        // The drop-in's symbol check.
        need("nm", "binutils"),
        // `cargo fmt` and `cargo clippy` (rustup's, else Debian's).
        need("rustfmt", "rustfmt-web"),
        need("cargo-clippy", "rust-web-clippy"),
    ]);
    let found: Vec<Option<Toolchain>> = Arch::ALL
        .iter()
        .map(|a| Toolchain::find(a.triple()))
        .collect();
    let debian = |t: &Option<Toolchain>| t.as_ref().is_none_or(|t| t.cargo.is_absolute());
    if found.iter().any(debian) {
        needs.extend([
            need("/usr/bin/rustc", "rustc-web"),
            need("/usr/bin/cargo", "cargo-web"),
            need(
                "/usr/lib/rustlib/src/rust/library/core/Cargo.toml",
                "rust-web-src",
            ),
            // Debian's cargo runs the cargo-clippy beside it.
            need("/usr/bin/cargo-clippy", "rust-web-clippy"),
            need("ld.lld", "lld"),
        ]);
    }
    needs
}

/// Set the machine up for the whole suite before anything runs: the arm64
/// architecture for Xen's arm64 package (when it is to be fetched), then
/// one `apt-get update` and one `apt-get install` of whatever is missing
/// (root on Debian); otherwise what to install.
fn set_up() -> Result<(), String> {
    let arm_xen = env::var_os(setup::xen_variable(Arch::Aarch64)).is_some_and(|v| !v.is_empty())
        || setup::xen_cached(XenRelease::DEFAULT, Arch::Aarch64, &dirs::target_dir()).is_file();
    if !arm_xen && setup::may_install() {
        setup::add_arm64_architecture()?;
    }
    setup::provide(&system_needs())
}

pub fn run(options: &Options) -> i32 {
    let start = Instant::now();
    let mut tally = Tally::default();
    if let Err(e) = set_up() {
        print_block(&format!("test setup ... FAILED\n{}", indent(&e)));
        tally.failed += 1;
    }
    if options.host {
        tally.add(host_checks(options));
    }

    tally.add(size_checks(options));

    let (steps, missing): (Vec<Step>, Vec<Step>) = steps()
        .into_iter()
        .filter(|s| selected(options, &s.name))
        .partition(|s| runtime_present(s.arch));
    for s in &missing {
        // Reported, and counted as skipped, so the gap is visible in
        // every run until the architecture's boot code exists.
        report_no_runtime(&s.name, s.arch);
        tally.skipped += 1;
    }

    // The domU cases, one Linux dom0 boot per release and architecture.
    type DomuPlan = (XenRelease, Arch, Vec<(&'static str, dom0::Case)>);
    let mut domu_plans: Vec<DomuPlan> = Vec::new();
    for xen in XenRelease::ALL {
        let Ok(release) = dom0::release_of(xen) else {
            continue;
        };
        for arch in [Arch::X86_64, Arch::Aarch64] {
            let prefix = dom0::boot_prefix(release, arch);
            // The boot's own test selects all its cases.
            let whole = selected(options, &format!("{prefix}::boot"));
            let cases: Vec<_> = dom0::suite_cases(arch)
                .into_iter()
                .filter(|(_, c)| whole || selected(options, &c.test_name(&prefix)))
                .collect();
            if cases.is_empty() {
                continue;
            }
            if !runtime_present(arch) {
                for (_, c) in &cases {
                    report_no_runtime(&c.test_name(&prefix), arch);
                    tally.skipped += 1;
                }
                continue;
            }
            domu_plans.push((xen, arch, cases));
        }
    }

    // Set-up, once per arch (and Xen) and guest; failures fail the steps
    // needing them.
    let mut qemus: HashMap<&str, Result<PathBuf, String>> = HashMap::new();
    let mut xens: HashMap<(XenRelease, &str), Result<PathBuf, String>> = HashMap::new();
    let mut built: HashMap<(&str, &str), Result<PathBuf, String>> = HashMap::new();
    let mut need_guest = |arch: Arch, example: &'static str| {
        built.entry((arch.name(), example)).or_insert_with(|| {
            let t = Instant::now();
            let what = format!("{example} for {}", arch.triple());
            eprintln!("cargo qemu: building {what} ...");
            let r = if guests::FIXTURES.contains(&example) {
                guests::build_fixture(arch, example, true)
            } else {
                build_guest(arch, example, true)
            };
            let secs = t.elapsed().as_secs_f64();
            match r {
                Ok(path) => {
                    eprintln!("cargo qemu: built {what} ({secs:.1} s)");
                    Ok(path)
                }
                Err(e) => {
                    // Once here, not under every boot that needs it.
                    print_block(&format!(
                        "cargo qemu: FAILED to build {what} ({secs:.1} s):\n{}",
                        indent(&e)
                    ));
                    Err(format!("guest {what} did not build (see above)"))
                }
            }
        });
    };
    for (_, arch, cases) in &domu_plans {
        qemus
            .entry(arch.name())
            .or_insert_with(|| setup::qemu(*arch));
        for (example, _) in cases {
            need_guest(*arch, example);
        }
    }
    for s in &steps {
        let a = s.arch.name();
        qemus.entry(a).or_insert_with(|| setup::qemu(s.arch));
        if !s.no_xen {
            xens.entry((s.xen, a)).or_insert_with(|| {
                let t = Instant::now();
                let r = setup::xen(s.arch, s.xen, &dirs::target_dir());
                if let Err(e) = &r {
                    print_block(&format!(
                        "cargo qemu: no {} for {}:\n{}",
                        s.xen.test_name(),
                        a,
                        indent(e)
                    ));
                } else if t.elapsed() > Duration::from_secs(5) {
                    eprintln!(
                        "cargo qemu: {} for {a} ready in {:.1} s (once)",
                        s.xen.test_name(),
                        t.elapsed().as_secs_f64()
                    );
                }
                r
            });
        }
        if matches!(s.expect, Expect::LinkFails(_)) {
            // Built by the step itself: the build failing is the test.
            continue;
        }
        need_guest(s.arch, s.example);
    }

    // Every boot is a job for the workers; the dom0 boots first, being
    // the longest (about 12 s each, unloaded), the releases interleaved.
    let mut ready: VecDeque<Job> = VecDeque::new();
    for (xen, arch, plan) in domu_plans {
        let release = dom0::release_of(xen).expect("planned above");
        let prefix = dom0::boot_prefix(release, arch);
        let mut cases = Vec::new();
        let mut problem = qemus[arch.name()].as_ref().err().cloned();
        for (example, case) in plan {
            match &built[&(arch.name(), example)] {
                Ok(kernel) => cases.push(dom0::Case {
                    kernel: kernel.clone(),
                    ..case
                }),
                Err(e) => problem = problem.or(Some(e.clone())),
            }
        }
        // A missing QEMU or guest is in `problem`: set-up needs neither.
        let setup = match problem {
            None => dom0::prepare(xen, arch, &dirs::target_dir())
                .and_then(|a| Ok((a, qemus[arch.name()].clone()?))),
            Some(e) => Err(e),
        };
        let (assets, qemu) = match setup {
            Ok(ready) => ready,
            Err(e) => {
                let whole = selected(options, &format!("{prefix}::boot"));
                for (_, c) in dom0::suite_cases(arch) {
                    let name = c.test_name(&prefix);
                    if whole || selected(options, &name) {
                        print_block(&format!("test {name} ... FAILED\n{}", indent(&e)));
                        tally.failed += 1;
                    }
                }
                continue;
            }
        };
        ready.push_back(Job::new(format!("{prefix}::boot"), move || {
            let name = format!("{}-{}-domu", xen.test_name(), dom0::prefix(arch));
            match dom0::run(&assets, &cases, &qemu, &name, false) {
                Ok(run) => {
                    let (text, passed, failed) = dom0::render(&run);
                    let t = Tally {
                        passed,
                        failed,
                        skipped: 0,
                    };
                    (text, t)
                }
                Err(e) => {
                    let mut t = Tally::default();
                    t.failed += 1;
                    (format!("test {prefix}::boot ... FAILED\n{}", indent(&e)), t)
                }
            }
        }));
    }
    // A user's own crate, outside the workspace, on the packaged xencall
    // and the installed runner (user_crate.rs): built now, booted by a job.
    let (prepared, jobs) = crate::user_crate::prepare(&|name| selected(options, name));
    print_block(&prepared.text);
    tally.passed += prepared.passed;
    tally.failed += prepared.failed;
    for job in jobs {
        ready.push_back(Job::new("user-crate::boots".into(), move || {
            let o = job();
            let t = Tally {
                passed: o.passed,
                failed: o.failed,
                skipped: 0,
            };
            (o.text, t)
        }));
    }
    for s in steps {
        let a = s.arch.name();
        let need = [
            qemus[a].as_ref().err(),
            if s.no_xen {
                None
            } else {
                xens[&(s.xen, a)].as_ref().err()
            },
            built.get(&(a, s.example)).and_then(|r| r.as_ref().err()),
        ];
        if let Some(e) = need.into_iter().flatten().next() {
            print_block(&format!("test {} ... FAILED\n{}", s.name, indent(e)));
            tally.failed += 1;
            continue;
        }
        // LinkFails steps build their own (and boot nothing).
        let guest = match built.get(&(a, s.example)) {
            Some(r) => r.clone().unwrap(),
            None => PathBuf::new(),
        };
        let qemu = qemus[a].clone().unwrap();
        let xen = if s.no_xen {
            None
        } else {
            Some(xens[&(s.xen, a)].clone().unwrap())
        };
        ready.push_back(Job::new(s.name.clone(), move || {
            run_step(&s, &guest, &qemu, xen.as_deref())
        }));
    }

    tally.add(run_jobs(ready, options.jobs, print_block));

    if tally.passed + tally.failed + tally.skipped == 0 {
        // Nothing matched: a mistyped filter must not read as a pass.
        print_block(&format!(
            "test selection ... FAILED\n    no test matches {}\n",
            options
                .filter
                .as_deref()
                .map_or("(no filter)".to_string(), |f| format!("--filter {f:?}"))
        ));
        tally.failed += 1;
    }

    tally.add(support_table(options));

    eprintln!(
        "cargo qemu: finished in {:.1} s; logs in {}",
        start.elapsed().as_secs_f64(),
        dirs::target_dir().join("qemu-logs").display()
    );
    println!(
        "\n{} passed, {} failed, {} skipped",
        tally.passed, tally.failed, tally.skipped
    );
    i32::from(tally.failed > 0)
}

/// Write this run's support table to `<target dir>/support-table.md`; on
/// a full run, check the README's copy (`readme::support-table`), or
/// replace it with `--write-support-table`.
fn support_table(options: &Options) -> Tally {
    let mut tally = Tally::default();
    let transcript = TRANSCRIPT.lock().unwrap_or_else(|e| e.into_inner()).clone();
    let table = SupportTable::from_transcript(&transcript).render();
    let path = dirs::target_dir().join("support-table.md");
    if let Err(e) = std::fs::write(&path, &table) {
        eprintln!("cargo qemu: write {}: {e}", path.display());
    }
    let name = "readme::support-table";
    if options.filter.is_some() {
        if options.write_support_table {
            print_block(&format!(
                "test {name} ... FAILED\n    --write-support-table needs a full run (no --filter)\n"
            ));
            tally.failed += 1;
        }
        return tally;
    }
    let readme_path = dirs::source_tree().join("README.md");
    let readme = std::fs::read_to_string(&readme_path).unwrap_or_default();
    let verdict = if options.write_support_table {
        match support_table::replace_in_readme(&readme, &table) {
            Some(new) => std::fs::write(&readme_path, new)
                .map(|()| "ok (written to README.md)".to_string())
                .map_err(|e| format!("write {}: {e}", readme_path.display())),
            None => Err("README.md has no support-table markers".into()),
        }
    } else {
        match support_table::in_readme(&readme) {
            Some(copy) if copy == table.trim_matches('\n') => Ok("ok".into()),
            // Never filled yet: say so rather than fail every run until then.
            Some("") => {
                print_block(&format!(
                    "test {name} ... ignored (README.md's table is empty: \
                     `cargo qemu test --write-support-table` fills it)\n"
                ));
                tally.skipped += 1;
                return tally;
            }
            Some(_) => Err(format!(
                "README.md's support table differs from this run's ({}): \
                 `cargo qemu test --write-support-table` puts this run's there",
                path.display()
            )),
            None => Err("README.md has no support-table markers".into()),
        }
    };
    match verdict {
        Ok(v) => {
            print_block(&format!("test {name} ... {v}\n"));
            tally.passed += 1;
        }
        Err(e) => {
            print_block(&format!("test {name} ... FAILED\n{}", indent(&e)));
            tally.failed += 1;
        }
    }
    tally
}

/// One boot (or dom0 run) for the workers, named for its report.
struct Job {
    name: String,
    run: Box<dyn FnOnce() -> (String, Tally) + Send>,
}

impl Job {
    fn new(name: String, run: impl FnOnce() -> (String, Tally) + Send + 'static) -> Job {
        Job {
            name,
            run: Box::new(run),
        }
    }
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".into())
}

/// Run the jobs on `workers` threads, printing each report as it ends;
/// the tally. A job that panics fails by name (the worker goes on with the
/// next); a worker that dies anyway fails the run, and so does every job
/// left unrun: nothing is dropped silently. Reports go to `print`.
///
/// The `cargo qemu` binary is built with the workspace's dev profile,
/// `panic = "abort"`: there a job's panic aborts the whole run (status
/// 134, with the message), which fails it as loudly; this catching is for
/// builds that unwind (its unit test shows it).
fn run_jobs(jobs: VecDeque<Job>, workers: usize, print: fn(&str)) -> Tally {
    let queue = Arc::new(Mutex::new(jobs));
    let totals = Arc::new(Mutex::new(Tally::default()));
    let threads: Vec<_> = (0..workers.max(1))
        .map(|_| {
            let queue = queue.clone();
            let totals = totals.clone();
            thread::spawn(move || loop {
                let Some(job) = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front() else {
                    break;
                };
                let (text, t) =
                    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(job.run)) {
                        Ok(report) => report,
                        Err(payload) => (
                            format!(
                                "test {} ... FAILED\n    the runner panicked: {}\n",
                                job.name,
                                panic_message(payload.as_ref())
                            ),
                            Tally {
                                failed: 1,
                                ..Tally::default()
                            },
                        ),
                    };
                print(&text);
                totals.lock().unwrap_or_else(|p| p.into_inner()).add(t);
            })
        })
        .collect();
    let mut tally = Tally::default();
    for w in threads {
        if let Err(payload) = w.join() {
            print(&format!(
                "test runner::worker ... FAILED\n    a worker thread panicked: {}\n",
                panic_message(payload.as_ref())
            ));
            tally.failed += 1;
        }
    }
    for job in queue.lock().unwrap_or_else(|p| p.into_inner()).drain(..) {
        print(&format!(
            "test {} ... FAILED\n    never run: no worker was left\n",
            job.name
        ));
        tally.failed += 1;
    }
    tally.add(*totals.lock().unwrap_or_else(|p| p.into_inner()));
    tally
}

#[cfg(test)]
mod tests {
    use super::*;

    fn passing_job() -> (String, Tally) {
        let t = Tally {
            passed: 1,
            ..Tally::default()
        };
        (String::new(), t)
    }

    fn jobs_with_a_panic() -> VecDeque<Job> {
        VecDeque::from([
            Job::new("a".into(), passing_job),
            Job::new("boom".into(), || panic!("deliberate")),
            Job::new("c".into(), passing_job),
        ])
    }

    #[test]
    fn a_panicking_job_fails_the_run_and_the_others_still_run() {
        for workers in [1, 2] {
            let t = run_jobs(jobs_with_a_panic(), workers, |_| {});
            assert_eq!((t.passed, t.failed), (2, 1), "{workers} worker(s)");
        }
        assert_eq!(
            panic_message(&*Box::new("x") as &(dyn std::any::Any + Send)),
            "x"
        );
    }

    #[test]
    fn doc_coverage_report_is_read_per_file() {
        let json = r#"{"src/a.rs":{"total":3,"with_docs":3,"total_examples":2,"with_examples":1},
            "/t/out/x \"y\".rs":{"total":1,"with_docs":1,"total_examples":0,"with_examples":0}}"#;
        assert_eq!(
            parse_doc_coverage(json),
            // In file order (serde_json's map is sorted).
            Ok(vec![
                DocCoverage {
                    file: "/t/out/x \"y\".rs".into(),
                    total_examples: 0,
                    with_examples: 0
                },
                DocCoverage {
                    file: "src/a.rs".into(),
                    total_examples: 2,
                    with_examples: 1
                },
            ])
        );
        assert_eq!(parse_doc_coverage("{}"), Ok(vec![]));
        // A report without the example counts must not pass as "none missing".
        assert!(parse_doc_coverage(r#"{"src/a.rs":{"total":3,"with_docs":3}}"#).is_err());
        assert!(parse_doc_coverage("| File | Documented |").is_err());
    }

    fn outcome(log: &str, ending: Ending) -> boot::Outcome {
        boot::Outcome {
            log: log.into(),
            ending,
            log_path: "/t/x.log".into(),
            elapsed: Duration::from_millis(1200),
            command: "qemu".into(),
            lines: vec![],
        }
    }

    #[test]
    fn render_counts_cases_and_the_boot() {
        let log = "xencall-test: plan 3\nxencall-test: a ... ok\nxencall-test: b ... skipped: pv only\n\
                   xencall-test: c ... FAILED: boom\nxencall-test: done passed=1 failed=1 skipped=1\n";
        let o = outcome(log, Ending::Exited(EXIT_FAIL));
        let v = protocol::judge(&protocol::parse(log), o.ending);
        let (text, t) = render("x86_64-pvh", &v, &o);
        assert!(text.contains("test x86_64-pvh::a ... ok\n"), "{text}");
        assert!(
            text.contains("test x86_64-pvh::b ... ignored (pv only)\n"),
            "{text}"
        );
        assert!(
            text.contains("test x86_64-pvh::c ... FAILED\n    boom\n"),
            "{text}"
        );
        assert!(text.contains("test x86_64-pvh::boot ... FAILED"), "{text}");
        assert!(text.contains("    | xencall-test: done"), "{text}");
        assert_eq!((t.passed, t.failed, t.skipped), (1, 2, 1));
    }

    #[test]
    fn selftest_expectations_hold_for_a_caught_failure() {
        let log = "xencall-test: plan 4\nxencall-test: passes ... ok\n\
                   xencall-test: asserts_false ... FAILED: x.rs:1: expected 4, got 5\n\
                   xencall-test: faults ... skipped: no\nxencall-test: hangs ... skipped: no\n\
                   xencall-test: done passed=1 failed=1 skipped=2\n";
        let o = outcome(log, Ending::Exited(EXIT_FAIL));
        let v = protocol::judge(&protocol::parse(log), o.ending);
        let (text, _) = render("selftest::fail", &v, &o);
        assert!(selftest_expectations("fail", &v, o.ending, &text).is_empty());
        // The same log does not satisfy the fault or hang self-tests.
        assert!(!selftest_expectations("fault", &v, o.ending, &text).is_empty());
        assert!(!selftest_expectations("hang", &v, o.ending, &text).is_empty());
    }

    #[test]
    fn selftest_catches_a_harness_that_passes_everything() {
        let log = "xencall-test: plan 1\nxencall-test: passes ... ok\nxencall-test: done passed=1 failed=0 skipped=0\n";
        let o = outcome(log, Ending::Exited(33));
        let v = protocol::judge(&protocol::parse(log), o.ending);
        let (text, _) = render("selftest::fail", &v, &o);
        assert!(!selftest_expectations("fail", &v, o.ending, &text).is_empty());
    }

    #[test]
    fn hang_expectations() {
        let log = "xencall-test: plan 4\nxencall-test: passes ... ok\n";
        let o = outcome(log, Ending::TimedOut);
        let v = protocol::judge(&protocol::parse(log), o.ending);
        let (text, _) = render("selftest::hang", &v, &o);
        assert!(selftest_expectations("hang", &v, o.ending, &text).is_empty());
    }

    #[test]
    fn filters() {
        let o = |f: &str| Options {
            host: true,
            filter: Some(f.into()),
            jobs: 1,
            write_support_table: false,
        };
        assert!(selected(&o("pvh"), "x86_64-pvh"));
        assert!(selected(&o("x86_64-pvh::detect_xen"), "x86_64-pvh"));
        assert!(!selected(&o("aarch64"), "x86_64-pv"));
        assert!(selected(&o("host"), "host::fmt"));
    }
}
