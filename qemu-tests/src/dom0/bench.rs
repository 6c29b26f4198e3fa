//! `cargo qemu bench`'s Linux dom0: one boot under `-icount
//! shift=0,sleep=off` that runs the crate's benchmark guest
//! (`examples/bench.rs`) as a domU of every type the architecture has,
//! then, once the last domU has shut down, `libxencall-bench` in dom0:
//! the same operations through Debian's libxencall, on the same Xen, in
//! the same QEMU run. Nothing else runs while either side measures (init
//! waits for the script; the script waits for the domain's shutdown).

use std::path::{Path, PathBuf};
use std::time::Duration;

use super::{peer, report, Case, DomuType};
use crate::bench::{parse_ops, Ops};
use crate::target::{Arch, XenRelease};

/// The domain's label (domains are `bench-pvh`, `bench-pv`).
const LABEL: &str = "bench";

/// The last case's dom0 script: wait for the shutdown (xl list's state
/// column shows `s`; the domain is preserved), then measure libxencall.
const SCRIPT: &str = "\
while ! xl list \"$NAME\" 2>/dev/null | awk 'NR == 2 && $5 ~ /s/ { up = 1 } END { exit !up }'; do
    sleep 1
done
./libxencall-bench
";

/// What one dom0 boot measured.
pub struct BenchRun {
    /// The crate's figures as each domU type.
    pub domus: Vec<(DomuType, Result<Ops, String>)>,
    /// libxencall's figures in dom0.
    pub libxencall: Result<Ops, String>,
    /// The boot's log.
    pub log: PathBuf,
    /// The dom0 packages' versions.
    pub packages: String,
}

/// Boot the Linux dom0 of Xen's default release on `arch` with `guest`
/// (the bench guest's kernel) as its domUs.
pub fn run(arch: Arch, guest: &Path, qemu: &Path, cache: &Path) -> Result<BenchRun, String> {
    let assets = super::prepare(XenRelease::DEFAULT, arch, cache)?;
    let program = peer::build(&assets, &peer::LIBXENCALL_BENCH)?;
    let types = DomuType::on(arch);
    let cases: Vec<Case> = types
        .iter()
        .enumerate()
        .map(|(i, &t)| {
            let mut case = Case::new(LABEL, t, guest.to_path_buf());
            // Virtual time under -icount: generous, a hang still ends.
            case.timeout = Duration::from_secs(300);
            case.memory_mib = 64;
            if i + 1 == types.len() {
                case.dom0_script = Some(SCRIPT.into());
                case.files
                    .push((peer::LIBXENCALL_BENCH.file.into(), program.clone()));
            }
            case
        })
        .collect();
    let name = format!("bench-{}-linux-dom0", arch.name());
    let run = super::run_with(&assets, &cases, qemu, &name, false, true)?;
    let lines: Vec<&str> = run.outcome.log.lines().collect();
    let mut domus = Vec::new();
    let mut libxencall = Err("no domU case ran the libxencall side".to_string());
    for (case, result) in cases.iter().zip(&run.cases) {
        let log = report::case_log(&lines, &case.domain());
        let failed = |what: &str| {
            format!(
                "{what} ({}; log {})",
                if result.problems.is_empty() {
                    result.ending.clone()
                } else {
                    result.problems.join("; ")
                },
                run.outcome.log_path.display()
            )
        };
        let ops = parse_ops(log.console.iter().map(String::as_str), "xencall-bench: ");
        domus.push((
            case.domu,
            if ops.is_empty() || !result.problems.is_empty() {
                Err(failed("the domU measured nothing"))
            } else {
                Ok(ops)
            },
        ));
        if case.dom0_script.is_some() {
            let ops = parse_ops(log.script.iter().map(String::as_str), "libxencall-bench: ");
            libxencall = match (log.script_rc, ops.is_empty()) {
                (Some(0), false) => Ok(ops),
                (rc, _) => Err(failed(&format!(
                    "libxencall-bench measured nothing (script status {rc:?}; its output: {})",
                    log.script.join(" / ")
                ))),
            };
        }
    }
    if !run.problems.is_empty() {
        let why = run.problems.join("; ");
        for (_, ops) in &mut domus {
            if ops.is_ok() {
                *ops = Err(format!("the dom0 boot failed: {why}"));
            }
        }
        libxencall = libxencall.and(Err(format!("the dom0 boot failed: {why}")));
    }
    Ok(BenchRun {
        domus,
        libxencall,
        log: run.outcome.log_path.clone(),
        packages: assets.summary(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs;
    use std::os::unix::fs::PermissionsExt;
    use std::process::Command;

    /// Run SCRIPT in a directory with a fake `xl` whose `list` prints
    /// `listing` and a fake `libxencall-bench`; what it printed, or None
    /// if it was still waiting after `secs`.
    fn script_with(listing: &str, secs: u32) -> Option<String> {
        let dir = std::env::temp_dir().join(format!(
            "xencall-bench-script-{}-{}",
            std::process::id(),
            listing.len()
        ));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        let exe = |name: &str, body: String| {
            let path = dir.join(name);
            fs::write(&path, body).unwrap();
            fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).unwrap();
        };
        exe("xl", format!("#!/bin/sh\nprintf '%s' '{listing}'\n"));
        exe("libxencall-bench", "#!/bin/sh\necho measured\n".into());
        let out = Command::new("timeout")
            .arg(secs.to_string())
            .args(["sh", "-c", SCRIPT])
            .current_dir(&dir)
            .env("PATH", format!("{}:/usr/bin:/bin", dir.display()))
            .env("NAME", "bench-pv")
            .output()
            .unwrap();
        let _ = fs::remove_dir_all(&dir);
        out.status
            .success()
            .then(|| String::from_utf8_lossy(&out.stdout).into_owned())
    }

    #[test]
    fn the_script_measures_only_after_the_shutdown() {
        let header = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n";
        let shut = format!("{header}bench-pv                                     2    64     1     ---s--       0.5\n");
        assert_eq!(script_with(&shut, 5).as_deref(), Some("measured\n"));
        let running = format!("{header}bench-pv                                     2    64     1     r-----       0.5\n");
        assert_eq!(
            script_with(&running, 2),
            None,
            "measured while the domU ran"
        );
        // xl list printing nothing (the domain not yet listed) is no shutdown.
        assert_eq!(script_with("", 2), None);
    }
}
