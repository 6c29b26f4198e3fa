//! The user-facing boot (`cargo xencall boot`, and the runner cargo calls
//! for the bare-metal targets): check the image, boot it in one mode or in
//! every mode of its architecture, stream its console, and say how it
//! ended: per test case when the guest speaks the `xencall-test:`
//! protocol (libtest's `test NAME ... ok` lines), otherwise by its exit;
//! the process status is the verdict. Everything it needs is fetched into
//! the guest's own build directory ([`dirs::boot_dir`]).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::boot::{self, Spec};
use crate::dirs;
use crate::image;
use crate::protocol::{self, Outcome, Verdict};
use crate::setup;
use crate::shutdown;
use crate::target::{Arch, Mode, XenRelease};

/// What to boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    /// `None`: read from the file (its ELF machine, or an Image header).
    pub arch: Option<Arch>,
    /// The modes to boot it in, one after the other (empty: the default
    /// mode).
    pub modes: Vec<Mode>,
    /// Every mode of the architecture (`--all-modes`).
    pub all_modes: bool,
    pub guest: PathBuf,
    /// Words for the guest's command line (cargo's extra arguments among
    /// them), after the runner's own.
    pub cmdline: Vec<String>,
    pub no_xen: bool,
    /// The Xen to boot under (`--xen`).
    pub xen: XenRelease,
    /// Log name prefix; `None`: `boot-<file name>`.
    pub name: Option<String>,
    pub timeout: Duration,
}

/// Process status: every boot passed.
pub const PASSED: i32 = 0;
/// Process status: a boot failed.
pub const FAILED: i32 = 1;
/// Process status: nothing booted (bad arguments, refused image, no QEMU).
pub const NOT_BOOTED: i32 = 2;

fn say(message: &str) {
    eprintln!("cargo-xencall: {message}");
}

/// The architecture of `guest`: the one asked for, checked against the
/// file, or the file's.
fn arch_for(request: &Request) -> Result<Arch, String> {
    let bytes =
        std::fs::read(&request.guest).map_err(|e| format!("{}: {e}", request.guest.display()))?;
    match (request.arch, image::arch_of(&bytes)) {
        (Some(asked), _) => Ok(asked),
        (None, Some(found)) => Ok(found),
        (None, None) => Err(format!(
            "{}: neither an x86_64 or aarch64 ELF nor an arm64 Image: pass --arch, or {}",
            request.guest.display(),
            "check that this is the guest cargo built"
        )),
    }
}

/// The modes to boot in.
fn modes_for(request: &Request, arch: Arch) -> Result<Vec<Mode>, String> {
    if request.all_modes {
        return Ok(arch.modes().to_vec());
    }
    let modes = if request.modes.is_empty() {
        vec![Mode::Pvh]
    } else {
        request.modes.clone()
    };
    if arch == Arch::Aarch64 && modes.iter().any(|&m| m != Mode::Pvh) {
        return Err("aarch64 has one dom0 mode: --mode pv is x86_64's".into());
    }
    if request.no_xen && (arch != Arch::X86_64 || modes != [Mode::Pvh]) {
        return Err(
            "--no-xen boots the x86_64 PVH entry: use it with --arch x86_64 --mode pvh".into(),
        );
    }
    Ok(modes)
}

/// The test name of one boot: `x86_64-pvh`, `aarch64`, `no-xen`.
fn boot_label(arch: Arch, mode: Mode, no_xen: bool) -> String {
    if no_xen {
        "no-xen".into()
    } else if arch.modes().len() == 1 {
        arch.name().into()
    } else {
        format!("{}-{}", arch.name(), mode.name())
    }
}

/// The architecture of a `boot --domu` request and the file to hand xl
/// (checked as for a dom0 boot: Xen's notes for the domU types asked for,
/// or an arm64 Image).
pub fn domu_guest(request: &Request) -> Result<(Arch, PathBuf), String> {
    let arch = arch_for(request)?;
    let modes = if request.modes.is_empty() {
        arch.modes().to_vec()
    } else {
        modes_for(request, arch)?
    };
    Ok((arch, image::bootable(arch, &request.guest, &modes)?))
}

/// Boot the request; the process status.
pub fn boot_guest(request: &Request) -> i32 {
    let boots = match prepare(request) {
        Ok(boots) => boots,
        Err(e) => {
            say(&format!("error: {e}"));
            return NOT_BOOTED;
        }
    };
    let several = boots.len() > 1;
    let results: Vec<bool> = boots.iter().map(|b| run_one(b, several)).collect();
    let failed: Vec<&str> = boots
        .iter()
        .zip(&results)
        .filter(|(_, ok)| !**ok)
        .map(|(b, _)| b.label.as_str())
        .collect();
    if several {
        say(&format!(
            "{} of {} modes passed{}",
            boots.len() - failed.len(),
            boots.len(),
            if failed.is_empty() {
                String::new()
            } else {
                format!("; FAILED: {}", failed.join(", "))
            }
        ));
    }
    if failed.is_empty() {
        PASSED
    } else {
        FAILED
    }
}

/// One boot ready to run.
struct Boot {
    spec: Spec,
    qemu: PathBuf,
    xen: Option<PathBuf>,
    label: String,
}

/// Everything checked and fetched before the first boot: the image in
/// every mode asked, QEMU, Xen.
fn prepare(request: &Request) -> Result<Vec<Boot>, String> {
    let arch = arch_for(request)?;
    let modes = modes_for(request, arch)?;
    let guest = image::bootable(arch, &request.guest, &modes)?;
    let cache = dirs::boot_dir(&request.guest);
    let qemu = setup::qemu(arch)?;
    let xen = if request.no_xen {
        None
    } else {
        Some(setup::xen(arch, request.xen, &cache)?)
    };
    let stem = request
        .guest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "guest".into());
    let prefix = request.name.clone().unwrap_or(format!("boot-{stem}"));
    Ok(modes
        .into_iter()
        .map(|mode| {
            let label = boot_label(arch, mode, request.no_xen);
            Boot {
                spec: Spec {
                    name: if request.xen == XenRelease::DEFAULT || request.no_xen {
                        format!("{prefix}-{label}")
                    } else {
                        format!("{prefix}-{}-{label}", request.xen.test_name())
                    },
                    log_dir: cache.join("qemu-logs"),
                    arch,
                    mode,
                    guest: guest.clone(),
                    cmdline: request.cmdline.clone(),
                    no_xen: request.no_xen,
                    timeout: request.timeout,
                    stream: true,
                    qemu_exit: true,
                    stop_on: None,
                    stop_at_shutdown: true,
                    icount: false,
                    cpus: 1,
                },
                qemu: qemu.clone(),
                xen: xen.clone(),
                label,
            }
        })
        .collect())
}

/// Run one boot and report it; whether it passed.
fn run_one(b: &Boot, several: bool) -> bool {
    if several {
        say(&format!(
            "booting {} as {}",
            b.spec.guest.display(),
            b.label
        ));
    }
    let outcome = match boot::boot(&b.spec, &b.qemu, b.xen.as_deref()) {
        Ok(o) => o,
        Err(e) => {
            say(&format!("{}: error: {e}", b.label));
            return false;
        }
    };
    let end = shutdown::judge(outcome.ending, &outcome.log);
    let report = protocol::parse(&outcome.log);
    let secs = outcome.elapsed.as_secs_f64();
    let prefix = if several {
        format!("{}::", b.label)
    } else {
        String::new()
    };
    let passed = if report.plan.is_some() || report.done.is_some() {
        let verdict = protocol::judge_ended(&report, end.clone().map(|_| ()));
        print!("{}", per_case(&prefix, &verdict, secs));
        verdict.passed()
    } else {
        end.is_ok()
    };
    eprintln!();
    match &end {
        Ok(how) if passed => say(&format!(
            "{}: passed in {secs:.1} s: {how} (log: {})",
            b.label,
            outcome.log_path.display()
        )),
        _ => {
            if let Err(why) = &end {
                say(&format!("{}: {why}", b.label));
            }
            say(&format!(
                "{}: FAILED (log: {})",
                b.label,
                outcome.log_path.display()
            ));
        }
    }
    passed
}

/// libtest's lines for a boot's cases: `test NAME ... ok|FAILED|ignored`,
/// the failures' messages, and the `test result:` line.
pub fn per_case(prefix: &str, verdict: &Verdict, secs: f64) -> String {
    let mut text = format!("\nrunning {} tests\n", verdict.cases.len());
    let (mut passed, mut failed, mut ignored) = (0, 0, 0);
    let mut failures = Vec::new();
    for (case, result) in &verdict.cases {
        match result {
            Outcome::Ok => {
                passed += 1;
                let _ = writeln!(text, "test {prefix}{case} ... ok");
            }
            Outcome::Skipped(reason) => {
                ignored += 1;
                let _ = writeln!(text, "test {prefix}{case} ... ignored, {reason}");
            }
            Outcome::Failed(message) => {
                failed += 1;
                let _ = writeln!(text, "test {prefix}{case} ... FAILED");
                failures.push((case, message));
            }
        }
    }
    if !failures.is_empty() || !verdict.passed() {
        text.push_str("\nfailures:\n");
        for (case, message) in &failures {
            let _ = writeln!(text, "    {prefix}{case}: {message}");
        }
        for problem in &verdict.problems {
            let _ = writeln!(text, "    boot: {problem}");
        }
    }
    let result = if verdict.passed() { "ok" } else { "FAILED" };
    let _ = writeln!(
        text,
        "\ntest result: {result}. {passed} passed; {failed} failed; {ignored} ignored; \
         0 measured; 0 filtered out; finished in {secs:.2}s\n"
    );
    text
}

/// The ELF a built guest's bootable file came from (`<elf>.Image` on
/// aarch64, the ELF itself on x86_64).
pub fn elf_of(bootable: &Path) -> PathBuf {
    let s = bootable.to_string_lossy();
    match s.strip_suffix(".Image") {
        Some(elf) => PathBuf::from(elf),
        None => bootable.to_path_buf(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(arch: Option<Arch>, modes: &[Mode], all: bool, no_xen: bool) -> Request {
        Request {
            arch,
            modes: modes.to_vec(),
            all_modes: all,
            guest: "/g/guest".into(),
            cmdline: vec![],
            no_xen,
            xen: XenRelease::DEFAULT,
            name: None,
            timeout: Duration::from_secs(1),
        }
    }

    #[test]
    fn all_modes_is_every_mode_of_the_architecture() {
        let r = request(None, &[], true, false);
        assert_eq!(modes_for(&r, Arch::X86_64).unwrap(), [Mode::Pvh, Mode::Pv]);
        assert_eq!(modes_for(&r, Arch::Aarch64).unwrap(), [Mode::Pvh]);
        let r = request(None, &[], false, false);
        assert_eq!(modes_for(&r, Arch::X86_64).unwrap(), [Mode::Pvh]);
        let r = request(None, &[Mode::Pv], false, false);
        assert_eq!(modes_for(&r, Arch::X86_64).unwrap(), [Mode::Pv]);
        assert!(modes_for(&r, Arch::Aarch64).is_err());
        assert!(modes_for(&request(None, &[Mode::Pv], false, true), Arch::X86_64).is_err());
        assert!(modes_for(&request(None, &[], false, true), Arch::X86_64).is_ok());
    }

    #[test]
    fn labels() {
        assert_eq!(boot_label(Arch::X86_64, Mode::Pv, false), "x86_64-pv");
        assert_eq!(boot_label(Arch::Aarch64, Mode::Pvh, false), "aarch64");
        assert_eq!(boot_label(Arch::X86_64, Mode::Pvh, true), "no-xen");
    }

    #[test]
    fn cases_are_reported_as_libtest_does() {
        let log = "xencall-test: plan 3\nxencall-test: a ... ok\nxencall-test: b ... skipped: pv only\n\
                   xencall-test: c ... FAILED: x.rs:3: boom\nxencall-test: done passed=1 failed=1 skipped=1\n";
        let v = protocol::judge_ended(
            &protocol::parse(log),
            Err("the guest reported failure".into()),
        );
        let text = per_case("x86_64-pv::", &v, 1.5);
        assert!(text.contains("running 3 tests\n"), "{text}");
        assert!(text.contains("test x86_64-pv::a ... ok\n"), "{text}");
        assert!(
            text.contains("test x86_64-pv::b ... ignored, pv only\n"),
            "{text}"
        );
        assert!(text.contains("test x86_64-pv::c ... FAILED\n"), "{text}");
        assert!(text.contains("    x86_64-pv::c: x.rs:3: boom\n"), "{text}");
        assert!(
            text.contains("test result: FAILED. 1 passed; 1 failed; 1 ignored;"),
            "{text}"
        );
        // Every case passing, and a poweroff end: ok.
        let log = "xencall-test: plan 1\nxencall-test: a ... ok\nxencall-test: done passed=1 failed=0 skipped=0\n";
        let v = protocol::judge_ended(&protocol::parse(log), Ok(()));
        assert!(per_case("", &v, 0.1).contains("test result: ok. 1 passed; 0 failed; 0 ignored;"));
        // The cases passing but the guest crashing afterwards: FAILED.
        let v = protocol::judge_ended(&protocol::parse(log), Err("dom0 crashed".into()));
        let text = per_case("", &v, 0.1);
        assert!(text.contains("boot: dom0 crashed"), "{text}");
        assert!(
            text.contains("test result: FAILED. 1 passed; 0 failed"),
            "{text}"
        );
    }

    #[test]
    fn the_elf_behind_an_image() {
        assert_eq!(elf_of(Path::new("/t/hello.Image")), Path::new("/t/hello"));
        assert_eq!(
            elf_of(Path::new("/t/boot-tests")),
            Path::new("/t/boot-tests")
        );
    }
}
