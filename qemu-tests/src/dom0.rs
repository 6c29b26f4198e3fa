//! domUs under the real toolstack: Xen with Debian's Linux as dom0, whose
//! init starts xenstored, xen-init-dom0 and xenconsoled, then `xl create`s
//! each domU case and reports its console, xl's verdict and its dom0
//! script's output over the serial line (the project's measured domU
//! recipe, done by the runner itself).
//!
//! One dom0 boot serves every case of an architecture. A case is a guest
//! kernel + its xl configuration + an optional dom0-side shell script
//! (run beside the guest with `$DOMID` and `$NAME`) + the shutdown reason
//! it must end with. Test names: `<prefix>::domu-<type>::<label>`, e.g.
//! `x86_64-pv-dom0::domu-pvh::hello` (x86_64: a PV dom0, PVH and PV domUs;
//! arm64: `aarch64-dom0::domu-pvh::hello`).
//!
//! Uses of the rest of the runner: `setup` (target dir, is_root,
//! capture), `boot::{Spec, Outcome, run_qemu}`, `protocol` (the guest's
//! `xencall-test:` lines).

mod assets;
pub mod bench;
mod bzimage;
mod cpio;
mod initramfs;
mod peer;
mod release;
mod report;

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use assets::Assets;
pub use release::Release;
pub use report::Reason;

use crate::boot::{self, Spec};
use crate::protocol::{self, Ending, Outcome};
use crate::runner;
use crate::setup;
use crate::target::{Arch, Mode, XenRelease};

/// A domU's type (xl's `type =`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomuType {
    Pvh,
    Pv,
}

impl DomuType {
    pub fn name(self) -> &'static str {
        match self {
            DomuType::Pvh => "pvh",
            DomuType::Pv => "pv",
        }
    }

    /// The types `arch` runs: Arm's libxl turns `pv` into PVH.
    pub fn on(arch: Arch) -> &'static [DomuType] {
        match arch {
            Arch::X86_64 => &[DomuType::Pvh, DomuType::Pv],
            Arch::Aarch64 => &[DomuType::Pvh],
        }
    }
}

/// One domU run by dom0's init.
#[derive(Clone, Debug)]
pub struct Case {
    /// `[a-z0-9-]+`; the domain is named `<label>-<type>`.
    pub label: String,
    pub domu: DomuType,
    /// The guest kernel on the host: an ELF on x86_64, an Image on arm64.
    pub kernel: PathBuf,
    /// The guest's command line (xl's `cmdline =`).
    pub cmdline: Vec<String>,
    /// How the domain must shut down.
    pub expect: Reason,
    /// A shell script dom0 runs while the guest runs, in the case's
    /// directory, with `DOMID` and `NAME` set; it must exit 0. The guest
    /// is kept (shut down) until it finishes.
    pub dom0_script: Option<String>,
    /// Files for the script, `(name, host path)`, put beside it; ELF files
    /// get their libraries in the initramfs too.
    pub files: Vec<(String, PathBuf)>,
    /// More xl configuration lines.
    pub xl_extra: Vec<String>,
    pub memory_mib: u32,
    /// How long the domain may run before it counts as hung.
    pub timeout: Duration,
    /// A harness self-test: the case is wrong on purpose and passes only
    /// if the harness fails it with a problem containing this text and
    /// has xl's lines to show with it.
    pub must_fail: Option<&'static str>,
    /// `domu-peer` (`dom0/peer.c`, built for the architecture) is put
    /// beside the dom0 script.
    pub peer: bool,
    /// Text that lines of the guest's console (as xenconsoled logged it)
    /// must contain, each in some line; `{domid}` stands for the domain's
    /// id. Checked for self-tests too.
    pub console_must_show: Vec<String>,
    /// Checks the dom0 script must report as `check NAME ok`; each is a
    /// result of its own (`<case>::dom0::NAME`).
    pub dom0_checks: Vec<String>,
}

/// `secs` scaled like every boot timeout: by `XENCALL_BOOT_TIMEOUT` / 60.
fn scaled(secs: f64) -> Duration {
    Duration::from_secs_f64(secs * boot::default_timeout().as_secs_f64() / 60.0)
}

impl Case {
    /// A case that boots `kernel` and expects it to power off, with 32 MiB
    /// and 30 s (scaled).
    pub fn new(label: &str, domu: DomuType, kernel: PathBuf) -> Case {
        Case {
            label: label.to_string(),
            domu,
            kernel,
            cmdline: vec![],
            expect: Reason::Poweroff,
            dom0_script: None,
            files: vec![],
            xl_extra: vec![],
            memory_mib: 32,
            timeout: scaled(30.0),
            must_fail: None,
            peer: false,
            console_must_show: vec![],
            dom0_checks: vec![],
        }
    }

    /// The domain's name (also its directory in the initramfs).
    pub fn domain(&self) -> String {
        format!("{}-{}", self.label, self.domu.name())
    }

    /// The test's name under a dom0 boot called `prefix`.
    pub fn test_name(&self, prefix: &str) -> String {
        format!("{prefix}::domu-{}::{}", self.domu.name(), self.label)
    }

    /// Refuse what xl's config syntax or the initramfs could not carry.
    pub fn validate(&self) -> Result<(), String> {
        let name_ok = |s: &str| {
            !s.is_empty()
                && s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        };
        if !name_ok(&self.label) {
            return Err(format!(
                "domU case label {:?}: use lower-case letters, digits and '-'",
                self.label
            ));
        }
        for w in &self.cmdline {
            if w.contains(['"', '\\', '\n']) {
                return Err(format!(
                    "{}: guest argument {w:?}: quotes, backslashes and newlines cannot go \
                     into xl's cmdline",
                    self.domain()
                ));
            }
        }
        if self.xl_extra.iter().any(|l| l.contains('\n')) {
            return Err(format!(
                "{}: an xl_extra line holds a newline",
                self.domain()
            ));
        }
        for (name, _) in &self.files {
            let ok = !name.is_empty()
                && !matches!(name.as_str(), "xl.cfg" | "timeout" | "expect" | "dom0.sh")
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c));
            if !ok {
                return Err(format!("{}: bad case file name {name:?}", self.domain()));
            }
        }
        Ok(())
    }
}

/// The name of the dom0 boot on `arch` (the first part of its tests'
/// names).
pub fn prefix(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "x86_64-pv-dom0",
        Arch::Aarch64 => "aarch64-dom0",
    }
}

/// The name of the dom0 boot of `release` on `arch`, as its tests begin:
/// `xen-4.20::x86_64-pv-dom0`.
pub fn boot_prefix(release: &Release, arch: Arch) -> String {
    format!("{}::{}", release.test_name(), prefix(arch))
}

/// A dom0 script: the domain is in xenstore under its name.
const NAME_IN_XENSTORE: &str = "\
name=$(xenstore-read /local/domain/$DOMID/name) || exit 1
echo \"/local/domain/$DOMID/name = $name\"
[ \"$name\" = \"$NAME\" ]
";

/// dom0's side of `domu-tests` (see the script's header).
const DOMU_TESTS_SCRIPT: &str = include_str!("dom0/domu-tests.sh");

/// The checks `DOMU_TESTS_SCRIPT` reports.
const SCRIPT_CHECKS: &[&str] = &[
    "guest_read_its_domid_and_name",
    "guest_answered_under_data",
    "guest_read_the_typed_line",
];

/// The checks `domu-peer` reports.
const PEER_CHECKS: &[&str] = &[
    "event_channel_both_ways",
    "transaction_retried_and_committed",
    "grant_mapped",
    "grant_holds_the_guests_bytes",
    "grant_unmapped",
    "revoked_grant_cannot_be_mapped",
];

/// Whether `domu-peer` is built and run on `arch` (see [`peer`]).
pub fn peer_on(arch: Arch) -> bool {
    peer::supported(arch)
}

/// `domu-tests` as a `domu` case of type `t` on `arch`, its dom0 side
/// taking part: the script everywhere, the peer program where it builds.
fn domu_tests_case(arch: Arch, t: DomuType) -> Case {
    let with_peer = peer_on(arch);
    let mut checks: Vec<String> = SCRIPT_CHECKS.iter().map(|c| c.to_string()).collect();
    if with_peer {
        checks.extend(PEER_CHECKS.iter().map(|c| c.to_string()));
    }
    Case {
        cmdline: vec![format!(
            "domu-tests-dom0={}",
            if with_peer { "peer" } else { "script" }
        )],
        dom0_script: Some(DOMU_TESTS_SCRIPT.into()),
        peer: with_peer,
        // Lines the guest printed, as xenconsoled passed them on: one the
        // guest can only print after reading its domid from xenstore.
        console_must_show: vec![
            "domu-tests: this line went through the PV console ring".into(),
            "domu-tests: xenstore says domid {domid}, name \"domu-tests-".into(),
            "domu-tests: line 63 of 64".into(),
        ],
        dom0_checks: checks,
        timeout: scaled(90.0),
        ..Case::new("domu-tests", t, PathBuf::new())
    }
}

/// The domU cases of `cargo qemu test` on `arch`: `(example, case)`, the
/// case's kernel left empty until the example is built. Per domU type:
/// `domu-tests` with its dom0 side, `hello` shutting down with poweroff,
/// reboot and crash (each must reach xl as that reason), and the C guest
/// (PVH); then `hello` as every type with dom0 checking its name, and
/// harness self-tests that must fail: a guest whose case fails (with its
/// console to show), a crash, a hang, a config naming a missing kernel.
pub fn suite_cases(arch: Arch) -> Vec<(&'static str, Case)> {
    let case = |label: &str, t| Case::new(label, t, PathBuf::new());
    let mut cases: Vec<(&'static str, Case)> = Vec::new();
    for &t in DomuType::on(arch) {
        cases.push(("domu-tests", domu_tests_case(arch, t)));
        for (label, reason) in [
            ("shutdown-poweroff", Reason::Poweroff),
            ("shutdown-reboot", Reason::Reboot),
            ("shutdown-crash", Reason::Crash),
        ] {
            let name = reason.name();
            let shutdown = Case {
                cmdline: vec![format!("hello-shutdown={name}")],
                expect: reason,
                // hello names the path before taking it (#15's check).
                console_must_show: vec![format!(
                    "hello: shutting down: Xencall::sched_shutdown({name})"
                )],
                ..case(label, t)
            };
            cases.push(("hello", shutdown));
        }
    }
    cases.push((
        "c-guest",
        Case {
            console_must_show: vec!["xencall-test: c_buffers ... ok".into()],
            ..case("c-guest", DomuType::Pvh)
        },
    ));
    for &t in DomuType::on(arch) {
        let hello = Case {
            dom0_script: Some(NAME_IN_XENSTORE.into()),
            console_must_show: vec!["hello: goodbye".into()],
            ..case("hello", t)
        };
        cases.push(("hello", hello));
    }
    let crash = |t| Case {
        cmdline: vec!["hello-shutdown=crash".into()],
        must_fail: Some("crashed"),
        ..case("selftest-crash", t)
    };
    // A guest that prints the protocol and fails a case: caught, with the
    // failing case's line in the console tail it shows.
    cases.push((
        "harness-selftest",
        Case {
            cmdline: vec!["xencall-selftest=fail".into()],
            must_fail: Some("guest: 1 case(s) failed"),
            console_must_show: vec!["xencall-test: asserts_false ... FAILED".into()],
            ..case("selftest-fail", DomuType::Pvh)
        },
    ));
    match arch {
        Arch::X86_64 => {
            cases.push(("hello", crash(DomuType::Pv)));
            cases.push((
                "hello",
                Case {
                    // xl's config: the last setting of a key is the one used.
                    xl_extra: vec!["kernel = \"/guests/nosuch\"".into()],
                    must_fail: Some("xl create failed"),
                    ..case("selftest-nokernel", DomuType::Pvh)
                },
            ));
            cases.push((
                "harness-selftest",
                Case {
                    cmdline: vec!["xencall-selftest=hang".into()],
                    timeout: scaled(5.0),
                    must_fail: Some("hung"),
                    ..case("selftest-hang", DomuType::Pvh)
                },
            ));
        }
        Arch::Aarch64 => cases.push(("hello", crash(DomuType::Pvh))),
    }
    cases
}

/// The result of one case.
#[derive(Clone, Debug)]
pub struct CaseResult {
    pub name: String,
    /// Empty when it passed.
    pub problems: Vec<String>,
    /// How it ended, for the `ok` line (`poweroff`).
    pub ending: String,
    /// From `begin` to `end`, as the host saw the lines arrive.
    pub secs: Option<f64>,
    /// From `begin` to `xl create`'s return.
    pub create_secs: Option<f64>,
    /// The guest's own test cases, if it speaks the protocol.
    pub guest_cases: Vec<(String, Outcome)>,
    /// What to show when it failed: console tail, script, xl, xl dmesg.
    pub details: String,
    /// Lines the guest printed on its console.
    pub console_lines: usize,
}

/// How a dom0 boot went.
#[derive(Debug)]
pub struct Dom0Run {
    pub prefix: String,
    pub outcome: boot::Outcome,
    pub cases: Vec<CaseResult>,
    /// Why the boot itself failed (empty when it did its job).
    pub problems: Vec<String>,
    /// When dom0's toolstack was up, seconds from QEMU's start.
    pub up_secs: Option<f64>,
    /// The Xen and Linux packages booted.
    pub packages: String,
}

impl Dom0Run {
    pub fn passed(&self) -> bool {
        self.problems.is_empty() && self.cases.iter().all(|c| c.problems.is_empty())
    }
}

/// The dom0 boot's timeout: 90 s for Xen, Linux and the toolstack (about
/// 7 s unloaded, 3× that at load 6 in the recipe), plus each case's own
/// time and 5 s for xl around it; scaled by `XENCALL_BOOT_TIMEOUT`.
pub fn boot_timeout(cases: &[Case]) -> Duration {
    scaled(90.0)
        + cases
            .iter()
            .map(|c| c.timeout + Duration::from_secs(5))
            .sum::<Duration>()
}

/// QEMU's arguments for a dom0 boot (the recipe's command lines).
pub fn qemu_args(assets: &Assets, initrd: &Path) -> Vec<String> {
    let xen = assets.xen.display().to_string();
    let kernel = assets.kernel.display().to_string().replace(',', ",,");
    let initrd = initrd.display().to_string().replace(',', ",,");
    let mut a: Vec<String> = Vec::new();
    let mut push = |s: &[&str]| a.extend(s.iter().map(|s| s.to_string()));
    match assets.arch {
        Arch::X86_64 => {
            push(&[
                "-display",
                "none",
                "-m",
                "384",
                "-no-reboot",
                "-monitor",
                "none",
            ]);
            push(&["-serial", "stdio"]);
            // SVM + NPT: Xen's HAP, without which it cannot build a PVH
            // domU (this Xen has no shadow paging). RDRAND: the dom0
            // kernel's CRNG initialises at once, instead of xl stalling
            // 3 s in libuuid (the recipe's pitfall 2).
            push(&["-cpu", "qemu64,+svm,+npt,+rdrand"]);
            push(&["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
            push(&["-kernel", &xen]);
            push(&[
                "-append",
                "console=com1 com1=115200 dom0_mem=192M,max:192M loglvl=all guest_loglvl=all",
            ]);
            // Xen drops the module string's first word (the file); the
            // rest is dom0's command line. Commas separate modules.
            let modules = format!("{kernel} console=hvc0 earlyprintk=xen loglevel=6,{initrd}");
            push(&["-initrd", &modules]);
        }
        Arch::Aarch64 => {
            push(&["-machine", "virt,virtualization=on,gic-version=3"]);
            // 1 GiB, of which dom0 gets 192 MB: Linux 6.12 (Xen 4.20's
            // dom0) maps a domU's pages into "unpopulated" memory carved
            // from Xen's extended regions, in 128 MiB-aligned sections.
            // With 384 MB the only region (0x40400000-0x49e00000) holds no
            // such section and `xl create` failed with ENOMEM in
            // xc_dom_boot_domU_map; with 1 GiB it is 0x40400000-0x6fe00000.
            push(&["-cpu", "cortex-a57", "-m", "1024", "-display", "none"]);
            push(&["-no-reboot", "-monitor", "none", "-serial", "stdio"]);
            push(&["-kernel", &xen]);
            push(&[
                "-append",
                "dom0_mem=192M console=dtuart loglvl=all guest_loglvl=all",
            ]);
            let loader = format!(
                "guest-loader,addr={KERNEL_ADDR:#x},kernel={kernel},\
                 bootargs=console=hvc0 earlycon=xen loglevel=6"
            );
            push(&["-device", &loader]);
            let initrd = format!("guest-loader,addr={INITRD_ADDR:#x},initrd={initrd}");
            push(&["-device", &initrd]);
        }
    }
    a
}

/// arm64: where QEMU's guest-loader puts dom0's kernel and initramfs;
/// Xen's device tree follows at 0x48000000.
const KERNEL_ADDR: u64 = 0x4040_0000;
const INITRD_ADDR: u64 = 0x4400_0000;
const DTB_ADDR: u64 = 0x4800_0000;

/// arm64: refuse a module of `len` bytes that would not fit between
/// `from` and the next one at `to`.
fn fits(what: &str, len: u64, from: u64, to: u64) -> Result<(), String> {
    if len > to - from {
        return Err(format!(
            "{what} is {} MiB: more than the {} MiB between {from:#x} and {to:#x}",
            len >> 20,
            (to - from) >> 20
        ));
    }
    Ok(())
}

/// Boot dom0 on `assets.arch` and run `cases`, logging to
/// `target/qemu-logs/<name>.log`; `stream` copies the console to stdout
/// (and init then prints each guest's console as it runs).
pub fn run(
    assets: &Assets,
    cases: &[Case],
    qemu: &Path,
    name: &str,
    stream: bool,
) -> Result<Dom0Run, String> {
    run_with(assets, cases, qemu, name, stream, false)
}

/// [`run`], under `-icount shift=0,sleep=off` when `icount` (the guests'
/// counters then count instructions: `cargo qemu bench`).
fn run_with(
    assets: &Assets,
    cases: &[Case],
    qemu: &Path,
    name: &str,
    stream: bool,
    icount: bool,
) -> Result<Dom0Run, String> {
    let prefix = boot_prefix(assets.release, assets.arch);
    // The peer program, built for this dom0, beside the scripts that run it.
    let mut cases = cases.to_vec();
    if cases.iter().any(|c| c.peer) {
        let program = peer::build(assets, &peer::PEER)?;
        for case in cases.iter_mut().filter(|c| c.peer) {
            case.files.push((peer::FILE.into(), program.clone()));
        }
    }
    let cases = &cases[..];
    let archive = initramfs::build(assets, cases, stream)?;
    let mut bytes = Vec::with_capacity(archive.data_bytes() + (1 << 20));
    archive
        .write(&mut bytes)
        .map_err(|e| format!("writing the initramfs: {e}"))?;
    if assets.arch == Arch::Aarch64 {
        let kernel = fs::metadata(&assets.kernel)
            .map_err(|e| format!("{}: {e}", assets.kernel.display()))?
            .len();
        fits("dom0's kernel", kernel, KERNEL_ADDR, INITRD_ADDR)?;
        fits("the initramfs", bytes.len() as u64, INITRD_ADDR, DTB_ADDR)?;
    }
    let name = name.to_string();
    let initrd = assets.dir.join(format!("initrd-{name}.cpio"));
    fs::write(&initrd, &bytes).map_err(|e| format!("write {}: {e}", initrd.display()))?;
    let spec = Spec {
        name,
        log_dir: assets.log_dir.clone(),
        stop_at_shutdown: false,
        arch: assets.arch,
        mode: Mode::Pv,
        guest: assets.kernel.clone(),
        cmdline: vec![],
        no_xen: false,
        timeout: boot_timeout(cases),
        stream,
        qemu_exit: false,
        stop_on: None,
        icount,
        cpus: 1,
    };
    let mut args = qemu_args(assets, &initrd);
    if icount {
        args.splice(
            0..0,
            ["-icount".to_string(), "shift=0,sleep=off".to_string()],
        );
    }
    let outcome = boot::run_qemu(&spec, qemu, &args)?;
    let mut run = judge(&prefix, assets.arch, cases, outcome);
    run.packages = assets.summary();
    Ok(run)
}

/// Judge a dom0 boot's log against its cases.
pub fn judge(prefix: &str, arch: Arch, cases: &[Case], outcome: boot::Outcome) -> Dom0Run {
    let lines: Vec<&str> = outcome.log.lines().collect();
    let dom0 = report::dom0_log(&lines);
    // When the first line containing `marker` arrived.
    let at = |marker: &str| {
        outcome
            .lines
            .iter()
            .find(|(_, l)| l.contains(marker))
            .map(|(t, _)| t.as_secs_f64())
    };
    let mut results = Vec::new();
    for case in cases {
        let log = report::case_log(&lines, &case.domain());
        let mut problems = report::judge(&log, case.expect, case.dom0_script.is_some());
        // A guest speaking the test protocol is judged by it too. Its
        // QEMU-exit check does not apply to a domU (xl's reason does), so
        // the verdict is asked for as if QEMU had exited with a pass.
        let console = log.console.join("\n");
        let protocol_report = protocol::parse(&console);
        let mut guest_cases = Vec::new();
        if protocol_report.plan.is_some() || protocol_report.done.is_some() {
            let verdict = protocol::judge(&protocol_report, Ending::Exited(protocol::EXIT_PASS));
            problems.extend(verdict.problems.iter().map(|p| format!("guest: {p}")));
            guest_cases = verdict.cases;
        }
        let ending = match &log.end {
            Some(report::End::Shutdown(r)) => report::reason_name(*r),
            Some(report::End::Hung(s)) => format!("hung {s} s"),
            Some(report::End::Gone) => "gone".into(),
            None if log.create_failed.is_some() => "not created".into(),
            None => "no verdict".into(),
        };
        // dom0's checks, each a result of its own; one missing fails.
        let checks = report::checks(&log.script);
        for name in &case.dom0_checks {
            let outcome = match checks.iter().find(|(n, _)| n == name) {
                Some((_, Ok(()))) => Outcome::Ok,
                Some((_, Err(why))) => Outcome::Failed(why.clone()),
                None => Outcome::Failed("dom0's script never reported this check".into()),
            };
            if let Outcome::Failed(why) = &outcome {
                problems.push(format!("dom0: {name}: {why}"));
            }
            guest_cases.push((format!("dom0::{name}"), outcome));
        }
        // Lines the console must show: checked apart from the rest, so a
        // self-test caught for another reason still needs them.
        let mut console_problems = Vec::new();
        for want in &case.console_must_show {
            let want = match log.domid {
                Some(id) => want.replace("{domid}", &id.to_string()),
                None => want.clone(),
            };
            if !log.console.iter().any(|l| l.contains(&want)) {
                console_problems.push(format!(
                    "the guest's console (xenconsoled's log) never showed {want:?}"
                ));
            }
        }
        let d = case.domain();
        let begin = at(&format!("@@domu {d} begin"));
        let span = |to: Option<f64>| Some(to? - begin?);
        let secs = span(at(&format!("@@domu {d} end")));
        let create_secs = span(at(&format!("@@domu {d} created")));
        let mut ending = ending;
        if let Some(expected) = case.must_fail {
            // A self-test: the harness must have failed it, for the
            // right reason, with xl's lines to show.
            let caught = problems.iter().any(|p| p.contains(expected));
            if caught && !log.xl.is_empty() {
                ending = format!("harness caught it: {}", problems.join("; "));
                problems.clear();
                // The guest's failed or missing cases are the failure the
                // harness was to catch (named in the ending), not failures
                // of this suite.
                guest_cases.retain(|(_, o)| !matches!(o, Outcome::Failed(_)));
            } else {
                problems = vec![format!(
                    "the harness should have failed this case with \"{expected}\" and xl's \
                     lines; it reported: {}",
                    if problems.is_empty() {
                        "a pass".to_string()
                    } else {
                        problems.join("; ")
                    }
                )];
            }
        }
        problems.extend(console_problems);
        let details = if problems.is_empty() {
            String::new()
        } else {
            case_details(&log)
        };
        results.push(CaseResult {
            name: case.test_name(prefix),
            problems,
            ending,
            secs,
            create_secs,
            guest_cases,
            details,
            console_lines: log.console.len(),
        });
    }
    let mut problems = Vec::new();
    if let Some(why) = &dom0.failed {
        problems.push(format!("dom0's init gave up: {why}"));
    } else if !dom0.up {
        problems.push("dom0's toolstack never came up (no `@@dom0 up`)".into());
    } else if !dom0.done {
        problems.push("dom0's init did not finish its cases (no `@@dom0 done`)".into());
    }
    // x86: init ends QEMU with 33 when done; arm64: Xen powers off (0).
    let expected = match arch {
        Arch::X86_64 => Ending::Exited(protocol::EXIT_PASS),
        Arch::Aarch64 => Ending::Exited(0),
    };
    if outcome.ending != expected && dom0.failed.is_none() {
        problems.push(match outcome.ending {
            Ending::TimedOut => format!(
                "timed out after {:.0} s: QEMU killed",
                outcome.elapsed.as_secs_f64()
            ),
            e => format!("{e} (expected {expected:?} from dom0's init)"),
        });
    }
    let up_secs = at("@@dom0 up");
    Dom0Run {
        prefix: prefix.to_string(),
        outcome,
        cases: results,
        problems,
        up_secs,
        packages: String::new(),
    }
}

/// The console tail, script output, xl's lines and `xl dmesg` of a
/// failed case.
fn case_details(log: &report::CaseLog) -> String {
    let mut text = String::new();
    let mut section = |title: &str, lines: &[String], n: usize| {
        if lines.is_empty() {
            let _ = writeln!(text, "    {title}: (nothing)");
            return;
        }
        let from = lines.len().saturating_sub(n);
        let _ = writeln!(
            text,
            "    {title}{}:",
            if from > 0 {
                format!(" (last {n} lines)")
            } else {
                String::new()
            }
        );
        for l in &lines[from..] {
            let _ = writeln!(text, "    | {l}");
        }
    };
    section("guest console (xenconsoled's log)", &log.console, 20);
    if log.script_rc.is_some() || !log.script.is_empty() {
        section("dom0 script", &log.script, 20);
    }
    section("xl", &log.xl, 20);
    if !log.dmesg.is_empty() {
        section("xl dmesg", &log.dmesg, 25);
    }
    text
}

/// `test NAME ... ok|FAILED` lines for a dom0 boot, and (passed, failed).
pub fn render(run: &Dom0Run) -> (String, usize, usize) {
    let mut text = String::new();
    let (mut passed, mut failed) = (0, 0);
    for case in &run.cases {
        for (sub, outcome) in &case.guest_cases {
            match outcome {
                Outcome::Ok => {
                    passed += 1;
                    let _ = writeln!(text, "test {}::{sub} ... ok", case.name);
                }
                // Skipped guest cases count as passed lines here: the
                // suite's tally has no skip for a domU's own cases.
                Outcome::Skipped(why) => {
                    let _ = writeln!(text, "test {}::{sub} ... ignored ({why})", case.name);
                }
                Outcome::Failed(m) => {
                    failed += 1;
                    let _ = writeln!(text, "test {}::{sub} ... FAILED\n    {m}", case.name);
                }
            }
        }
        let mut secs = case.secs.map_or(String::new(), |s| format!(", {s:.1} s"));
        if let Some(c) = case.create_secs {
            secs.push_str(&format!("; xl create {c:.1} s"));
        }
        if case.problems.is_empty() {
            passed += 1;
            let _ = writeln!(text, "test {} ... ok ({}{secs})", case.name, case.ending);
        } else {
            failed += 1;
            let _ = writeln!(
                text,
                "test {} ... FAILED ({}{secs})",
                case.name, case.ending
            );
            for p in &case.problems {
                let _ = writeln!(text, "    - {p}");
            }
            text.push_str(&case.details);
            let _ = writeln!(text, "    full log: {}", run.outcome.log_path.display());
        }
    }
    let secs = run.outcome.elapsed.as_secs_f64();
    let mut up = run
        .up_secs
        .map_or(String::new(), |s| format!(", toolstack up at {s:.1} s"));
    if !run.packages.is_empty() {
        up.push_str(&format!("; {}", run.packages));
    }
    if run.problems.is_empty() {
        passed += 1;
        let _ = writeln!(text, "test {}::boot ... ok ({secs:.1} s{up})", run.prefix);
    } else {
        failed += 1;
        let _ = writeln!(
            text,
            "test {}::boot ... FAILED ({secs:.1} s{up})",
            run.prefix
        );
        for p in &run.problems {
            let _ = writeln!(text, "    - {p}");
        }
        let _ = writeln!(
            text,
            "    command: {}\n    last 40 lines of {}:",
            run.outcome.command,
            run.outcome.log_path.display()
        );
        for line in protocol::tail(&run.outcome.log, 40) {
            let _ = writeln!(text, "    | {line}");
        }
    }
    (text, passed, failed)
}

/// The dom0 packages of `xen` (none for the debug build).
pub fn release_of(xen: XenRelease) -> Result<&'static Release, String> {
    release::of(xen)
}

/// Fetch and unpack dom0's packages of `xen` for `arch` (cached).
pub fn prepare(xen: XenRelease, arch: Arch, cache: &Path) -> Result<Assets, String> {
    assets::prepare(release_of(xen)?, arch, cache)
}

/// `run --domu` and `boot --domu`: `guest` as a domU of a Linux dom0
/// (x86_64: PVH and PV, or the one `mode` names; arm64: PVH), its
/// console streamed; the domain is named after `label`. The process
/// status ([`runner::PASSED`], [`runner::FAILED`], [`runner::NOT_BOOTED`]).
#[allow(clippy::too_many_arguments)]
pub fn run_domu(
    cache: &Path,
    xen: XenRelease,
    arch: Arch,
    mode: Option<Mode>,
    label: &str,
    guest: PathBuf,
    cmdline: Vec<String>,
    name: &str,
) -> i32 {
    let say = |e: &str| eprintln!("cargo-xencall: error: {e}");
    let types: Vec<DomuType> = DomuType::on(arch)
        .iter()
        .copied()
        .filter(|t| mode.is_none_or(|m| m.name() == t.name()))
        .collect();
    if types.is_empty() {
        say("an arm64 domU is PVH: use --mode pvh or no --mode");
        return runner::NOT_BOOTED;
    }
    let setup = setup::qemu(arch).and_then(|qemu| Ok((qemu, prepare(xen, arch, cache)?)));
    let (qemu, assets) = match setup {
        Ok(ready) => ready,
        Err(e) => {
            say(&e);
            return runner::NOT_BOOTED;
        }
    };
    // A domain name: lower-case letters, digits and '-'.
    let label: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '-'
            }
        })
        .collect();
    let cases: Vec<Case> = types
        .iter()
        .map(|&t| Case {
            cmdline: cmdline.clone(),
            ..Case::new(&label, t, guest.clone())
        })
        .collect();
    let run = match run(&assets, &cases, &qemu, name, true) {
        Ok(run) => run,
        Err(e) => {
            say(&e);
            return runner::NOT_BOOTED;
        }
    };
    let (text, _, _) = render(&run);
    eprintln!("\n{text}");
    for case in run.cases.iter().filter(|c| c.console_lines == 0) {
        eprintln!(
            "cargo-xencall: note: {}: the guest printed nothing on its PV console \
             (xenconsoled's log is empty)",
            case.name
        );
    }
    if run.passed() {
        eprintln!(
            "cargo-xencall: {name}: passed in {:.1} s (log: {})",
            run.outcome.elapsed.as_secs_f64(),
            run.outcome.log_path.display()
        );
        runner::PASSED
    } else {
        eprintln!(
            "cargo-xencall: {name}: FAILED (log: {})",
            run.outcome.log_path.display()
        );
        runner::FAILED
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcome(log: &str, ending: Ending) -> boot::Outcome {
        boot::Outcome {
            log: log.into(),
            ending,
            log_path: "/t/x.log".into(),
            elapsed: Duration::from_secs(12),
            command: "qemu".into(),
            lines: log
                .lines()
                .enumerate()
                .map(|(i, l)| (Duration::from_millis(100 * i as u64), l.to_string()))
                .collect(),
        }
    }

    fn hello(domu: DomuType) -> Case {
        Case::new("hello", domu, PathBuf::from("/t/hello"))
    }

    const TWO_PASS: &str = "@@dom0 up\n\
        @@domu hello-pvh begin\n@@domu hello-pvh created domid=1\n@@domu hello-pvh shutdown reason=0\n\
        [hello-pvh:xl] Domain 1 has shut down, reason code 0 0x0\n@@domu hello-pvh end\n\
        @@domu hello-pv begin\n@@domu hello-pv created domid=2\n@@domu hello-pv shutdown reason=0\n\
        @@domu hello-pv end\n@@dom0 done\n";

    #[test]
    fn names() {
        let c = hello(DomuType::Pv);
        assert_eq!(c.domain(), "hello-pv");
        assert_eq!(
            c.test_name(prefix(Arch::X86_64)),
            "x86_64-pv-dom0::domu-pv::hello"
        );
        assert_eq!(
            hello(DomuType::Pvh).test_name(prefix(Arch::Aarch64)),
            "aarch64-dom0::domu-pvh::hello"
        );
        let names: Vec<String> = suite_cases(Arch::X86_64)
            .iter()
            .map(|(_, c)| c.test_name(prefix(Arch::X86_64)))
            .collect();
        let mut want = Vec::new();
        for t in ["pvh", "pv"] {
            for label in [
                "domu-tests",
                "shutdown-poweroff",
                "shutdown-reboot",
                "shutdown-crash",
            ] {
                want.push(format!("x86_64-pv-dom0::domu-{t}::{label}"));
            }
        }
        for name in [
            "domu-pvh::c-guest",
            "domu-pvh::hello",
            "domu-pv::hello",
            "domu-pvh::selftest-fail",
            "domu-pv::selftest-crash",
            "domu-pvh::selftest-nokernel",
            "domu-pvh::selftest-hang",
        ] {
            want.push(format!("x86_64-pv-dom0::{name}"));
        }
        assert_eq!(names, want);
        let arm: Vec<String> = suite_cases(Arch::Aarch64)
            .iter()
            .map(|(_, c)| c.test_name(prefix(Arch::Aarch64)))
            .collect();
        assert_eq!(
            arm,
            [
                "aarch64-dom0::domu-pvh::domu-tests",
                "aarch64-dom0::domu-pvh::shutdown-poweroff",
                "aarch64-dom0::domu-pvh::shutdown-reboot",
                "aarch64-dom0::domu-pvh::shutdown-crash",
                "aarch64-dom0::domu-pvh::c-guest",
                "aarch64-dom0::domu-pvh::hello",
                "aarch64-dom0::domu-pvh::selftest-fail",
                "aarch64-dom0::domu-pvh::selftest-crash",
            ]
        );
        // Each shutdown case expects its own reason; domu-tests has its
        // dom0 side, with the peer where it builds.
        for arch in [Arch::X86_64, Arch::Aarch64] {
            for (example, c) in suite_cases(arch) {
                if let Some(reason) = c.label.strip_prefix("shutdown-") {
                    assert_eq!((example, c.expect.name()), ("hello", reason));
                    assert_eq!(c.cmdline, [format!("hello-shutdown={reason}")]);
                }
                if c.label == "domu-tests" {
                    assert!(c.dom0_script.is_some() && c.peer == peer_on(arch));
                    assert_eq!(c.dom0_checks.len(), 3 + 6 * usize::from(c.peer));
                }
            }
        }
        for arch in [Arch::X86_64, Arch::Aarch64] {
            for (_, c) in suite_cases(arch) {
                c.validate().unwrap();
            }
        }
    }

    #[test]
    fn validation() {
        assert!(hello(DomuType::Pvh).validate().is_ok());
        let bad = |f: fn(&mut Case)| {
            let mut c = hello(DomuType::Pvh);
            f(&mut c);
            c.validate().is_err()
        };
        assert!(bad(|c| c.label = "Hello".into()));
        assert!(bad(|c| c.label = "a::b".into()));
        assert!(bad(|c| c.cmdline = vec!["a\"b".into()]));
        assert!(bad(|c| c.xl_extra = vec!["a\nb".into()]));
        assert!(bad(|c| c.files = vec![("../x".into(), "/x".into())]));
        assert!(bad(|c| c.files = vec![("xl.cfg".into(), "/x".into())]));
    }

    #[test]
    fn a_passing_boot() {
        let cases = [hello(DomuType::Pvh), hello(DomuType::Pv)];
        let run = judge(
            "x86_64-pv-dom0",
            Arch::X86_64,
            &cases,
            outcome(TWO_PASS, Ending::Exited(33)),
        );
        assert!(run.passed(), "{run:?}");
        let (text, passed, failed) = render(&run);
        assert_eq!((passed, failed), (3, 0), "{text}");
        assert!(
            text.contains(
                "test x86_64-pv-dom0::domu-pvh::hello ... ok (poweroff, 0.4 s; xl create 0.1 s)\n"
            ),
            "{text}"
        );
        assert!(text.contains("test x86_64-pv-dom0::boot ... ok (12.0 s, toolstack up at 0.0 s)"));
        // The same log on arm64 needs QEMU's 0, not 33.
        let arm = judge(
            "aarch64-dom0",
            Arch::Aarch64,
            &cases,
            outcome(TWO_PASS, Ending::Exited(33)),
        );
        assert!(!arm.passed());
    }

    #[test]
    fn a_crashed_domu_fails_naming_it_with_its_tail() {
        let log = TWO_PASS
            .replace("@@domu hello-pv shutdown reason=0", "@@domu hello-pv shutdown reason=3")
            .replace(
                "@@domu hello-pv end",
                "[hello-pv] hello: about to crash\n[hello-pv:dmesg] (XEN) d2 crashed\n@@domu hello-pv end",
            );
        let cases = [hello(DomuType::Pvh), hello(DomuType::Pv)];
        let run = judge(
            "x86_64-pv-dom0",
            Arch::X86_64,
            &cases,
            outcome(&log, Ending::Exited(33)),
        );
        assert!(!run.passed());
        let (text, passed, failed) = render(&run);
        assert_eq!((passed, failed), (2, 1), "{text}");
        assert!(
            text.contains("test x86_64-pv-dom0::domu-pv::hello ... FAILED (crash"),
            "{text}"
        );
        assert!(text.contains("the domain crashed"), "{text}");
        assert!(text.contains("    | hello: about to crash\n"), "{text}");
        assert!(text.contains("    | (XEN) d2 crashed\n"), "{text}");
        assert!(text.contains("full log: /t/x.log"), "{text}");
    }

    #[test]
    fn a_hung_dom0_fails_every_unfinished_case() {
        let log = "@@dom0 up\n@@domu hello-pvh begin\n@@domu hello-pvh created domid=1\n";
        let cases = [hello(DomuType::Pvh), hello(DomuType::Pv)];
        let run = judge(
            "x86_64-pv-dom0",
            Arch::X86_64,
            &cases,
            outcome(log, Ending::TimedOut),
        );
        let (text, passed, failed) = render(&run);
        assert_eq!((passed, failed), (0, 3), "{text}");
        assert!(text.contains("dom0 never started this case"), "{text}");
        assert!(text.contains("timed out"), "{text}");
        assert!(text.contains("last 40 lines of /t/x.log"), "{text}");
    }

    #[test]
    fn a_guest_speaking_the_protocol_is_judged_by_it() {
        let log = "@@dom0 up\n@@domu t-pvh begin\n@@domu t-pvh created domid=1\n\
            @@domu t-pvh shutdown reason=0\n[t-pvh] xencall-test: plan 2\n\
            [t-pvh] xencall-test: a ... ok\n[t-pvh] xencall-test: b ... FAILED: x.rs:1: no\n\
            [t-pvh] xencall-test: done passed=1 failed=1 skipped=0\n@@domu t-pvh end\n@@dom0 done\n";
        let cases = [Case::new("t", DomuType::Pvh, PathBuf::from("/t/t"))];
        let run = judge(
            "x86_64-pv-dom0",
            Arch::X86_64,
            &cases,
            outcome(log, Ending::Exited(33)),
        );
        let (text, passed, failed) = render(&run);
        assert!(
            text.contains("test x86_64-pv-dom0::domu-pvh::t::a ... ok"),
            "{text}"
        );
        assert!(
            text.contains("test x86_64-pv-dom0::domu-pvh::t::b ... FAILED"),
            "{text}"
        );
        assert!(
            text.contains("test x86_64-pv-dom0::domu-pvh::t ... FAILED"),
            "{text}"
        );
        assert_eq!((passed, failed), (2, 2), "{text}");
    }

    #[test]
    fn dom0_checks_and_console_lines_are_results() {
        let case = Case {
            dom0_script: Some("true".into()),
            dom0_checks: vec!["a".into(), "b".into(), "never".into()],
            console_must_show: vec!["domid {domid}, ".into()],
            ..Case::new("t", DomuType::Pvh, PathBuf::from("/t/t"))
        };
        let log = |console: &str| {
            format!(
                "@@dom0 up\n@@domu t-pvh begin\n@@domu t-pvh created domid=7\n\
                 @@domu t-pvh shutdown reason=0\n@@domu t-pvh script rc=0\n[t-pvh] {console}\n\
                 [t-pvh:dom0] check a ok\n[t-pvh:dom0] check b FAILED: read 'x'\n\
                 @@domu t-pvh end\n@@dom0 done\n"
            )
        };
        let run = judge(
            "p",
            Arch::X86_64,
            std::slice::from_ref(&case),
            outcome(&log("says domid 7, name"), Ending::Exited(33)),
        );
        let (text, passed, failed) = render(&run);
        assert!(
            text.contains("test p::domu-pvh::t::dom0::a ... ok"),
            "{text}"
        );
        assert!(
            text.contains("test p::domu-pvh::t::dom0::b ... FAILED\n    read 'x'"),
            "{text}"
        );
        assert!(
            text.contains(
                "test p::domu-pvh::t::dom0::never ... FAILED\n    dom0's script never reported"
            ),
            "{text}"
        );
        // a, the boot; b, never and the case itself.
        assert_eq!((passed, failed), (2, 3), "{text}");
        assert!(!text.contains("never showed"), "{text}");
        // The console line names the domain's id: another id does not do.
        let run = judge(
            "p",
            Arch::X86_64,
            std::slice::from_ref(&case),
            outcome(&log("says domid 8, name"), Ending::Exited(33)),
        );
        let (text, _, _) = render(&run);
        assert!(text.contains("never showed \"domid 7, \""), "{text}");
        // A self-test caught for its own reason still needs its lines.
        let selftest = Case {
            must_fail: Some("crashed"),
            console_must_show: vec!["FAILED: x.rs".into()],
            ..Case::new("s", DomuType::Pvh, PathBuf::from("/t/s"))
        };
        let crashed = "@@dom0 up\n@@domu s-pvh begin\n@@domu s-pvh created domid=2\n\
            @@domu s-pvh shutdown reason=3\n[s-pvh] xencall-test: plan 1\n\
            [s-pvh] xencall-test: c ... FAILED: x.rs:1: no\n[s-pvh:xl] Domain 2 has shut down\n\
            @@domu s-pvh end\n@@dom0 done\n";
        let caught = judge(
            "p",
            Arch::X86_64,
            std::slice::from_ref(&selftest),
            outcome(crashed, Ending::Exited(33)),
        );
        let (text, passed, failed) = render(&caught);
        // Its failing guest case is what was caught, not a failure.
        assert_eq!((passed, failed), (2, 0), "{text}");
        let silent = crashed.replace("[s-pvh] xencall-test: c ... FAILED: x.rs:1: no\n", "");
        let missed = judge(
            "p",
            Arch::X86_64,
            std::slice::from_ref(&selftest),
            outcome(&silent, Ending::Exited(33)),
        );
        assert!(!missed.passed());
        assert!(missed.cases[0].problems[0].contains("never showed"));
    }

    #[test]
    fn a_self_test_passes_only_when_the_harness_catches_it() {
        let crash = Case {
            must_fail: Some("crashed"),
            ..Case::new("c", DomuType::Pv, PathBuf::from("/t/hello"))
        };
        let log = |reason: i32| {
            format!(
                "@@dom0 up\n@@domu c-pv begin\n@@domu c-pv created domid=1\n\
                 @@domu c-pv shutdown reason={reason}\n[c-pv:xl] Domain 1 has shut down\n\
                 @@domu c-pv end\n@@dom0 done\n"
            )
        };
        let judged = |log: &str, case: &Case| {
            judge(
                "p",
                Arch::X86_64,
                std::slice::from_ref(case),
                outcome(log, Ending::Exited(33)),
            )
        };
        let caught = judged(&log(3), &crash);
        assert!(caught.passed(), "{caught:?}");
        assert!(caught.cases[0]
            .ending
            .starts_with("harness caught it: the domain crashed"));
        // The guest did not crash: the self-test fails, saying so.
        let missed = judged(&log(0), &crash);
        assert!(!missed.passed());
        assert!(missed.cases[0].problems[0].contains("it reported: a pass"));
        // Failed for another reason: not caught either.
        let hung = judged(
            &log(0).replace("shutdown reason=0", "hung seconds=5"),
            &crash,
        );
        assert!(hung.cases[0].problems[0].contains("it reported: the domain hung"));
    }

    #[test]
    fn a_caught_hang_counts_the_guest_cases_that_reported_and_no_failure() {
        let hang = Case {
            must_fail: Some("hung"),
            ..Case::new("h", DomuType::Pvh, PathBuf::from("/t/h"))
        };
        let log = "@@dom0 up\n@@domu h-pvh begin\n@@domu h-pvh created domid=1\n\
            [h-pvh] xencall-test: plan 2\n[h-pvh] xencall-test: a ... ok\n\
            @@domu h-pvh hung seconds=5\n[h-pvh:xl] Domain 1 destroyed\n\
            @@domu h-pvh end\n@@dom0 done\n";
        let run = judge(
            "p",
            Arch::X86_64,
            std::slice::from_ref(&hang),
            outcome(log, Ending::Exited(33)),
        );
        let (text, passed, failed) = render(&run);
        assert!(text.contains("test p::domu-pvh::h::a ... ok"), "{text}");
        assert!(
            text.contains("harness caught it: the domain hung"),
            "{text}"
        );
        assert!(text.contains("never reported"), "{text}");
        // a, h and the boot.
        assert_eq!((passed, failed), (3, 0), "{text}");
    }

    fn assets(arch: Arch) -> Assets {
        Assets {
            arch,
            release: release::RELEASES[0],
            dir: "/c".into(),
            log_dir: "/c/logs".into(),
            tree: "/c/tree".into(),
            xen: "/c/xen".into(),
            kernel: "/c/vmlinux".into(),
            kernel_release: "6.1.0-57-amd64".into(),
            versions: String::new(),
        }
    }

    #[test]
    fn dom0_command_lines() {
        let x86 = boot::shell_words(&qemu_args(&assets(Arch::X86_64), Path::new("/c/i,1.cpio")));
        assert!(x86.contains("-m 384 "), "{x86}");
        assert!(x86.contains("-cpu qemu64,+svm,+npt,+rdrand"), "{x86}");
        assert!(
            x86.contains("-append 'console=com1 com1=115200 dom0_mem=192M,max:192M loglvl=all guest_loglvl=all'"),
            "{x86}"
        );
        // The module string: kernel + command line, then the initramfs,
        // a comma in a path doubled.
        assert!(
            x86.contains(
                "-initrd '/c/vmlinux console=hvc0 earlyprintk=xen loglevel=6,/c/i,,1.cpio'"
            ),
            "{x86}"
        );
        let arm = boot::shell_words(&qemu_args(&assets(Arch::Aarch64), Path::new("/c/i.cpio")));
        assert!(
            arm.contains("virt,virtualization=on,gic-version=3"),
            "{arm}"
        );
        assert!(
            arm.contains("'guest-loader,addr=0x40400000,kernel=/c/vmlinux,bootargs=console=hvc0 earlycon=xen loglevel=6'"),
            "{arm}"
        );
        assert!(
            arm.contains("guest-loader,addr=0x44000000,initrd=/c/i.cpio"),
            "{arm}"
        );
        assert!(fits("x", 64 << 20, INITRD_ADDR, DTB_ADDR).is_ok());
        assert!(fits("x", (64 << 20) + 1, INITRD_ADDR, DTB_ADDR).is_err());
    }

    #[test]
    fn timeouts_scale_with_the_cases() {
        let one = boot_timeout(&[hello(DomuType::Pvh)]);
        let two = boot_timeout(&[hello(DomuType::Pvh), hello(DomuType::Pv)]);
        assert_eq!(
            two - one,
            hello(DomuType::Pv).timeout + Duration::from_secs(5)
        );
    }
}
