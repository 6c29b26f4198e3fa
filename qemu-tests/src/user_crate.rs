//! `user-crate::*` in `cargo qemu test`: xencall as its users get it. A
//! crate of a user's own (`qemu-tests/fixtures/user-crate`, the example
//! the README and the crate docs show) is copied out of the repository and
//! built against the `cargo package`d xencall and its marker crate, as the
//! crates registry would serve them, with the runner installed by
//! `cargo install` and named in the crate's `.cargo/config.toml`, and the
//! toolchain line that runner prints (`cargo-xencall toolchain`). Then its
//! `main` (`cargo run`), its shutdown as crashed, and its `harness = false`
//! in-guest test (`cargo test`) are booted in every mode, each reported as
//! `user-crate::<mode>::<what>`. A file the package forgets, a README
//! setting that does not work, or a runner that needs this repository
//! fails here.
//!
//! The copy lives under the temporary directory, not under `target/`:
//! cargo reads every `.cargo/config.toml` from the current directory up,
//! so inside this repository its own (the `cargo qemu` alias, the
//! targets' `rustflags`, merged into the user's) would apply and could
//! hide a setting the README forgot. Everything that costs time to redo
//! stays under `target/user-crate/`: the installed runner (reinstalled
//! only when its sources change), its build directory, and the user
//! crate's build directory (`CARGO_TARGET_DIR`, where the runner also
//! keeps Xen and the boot logs).

use std::collections::hash_map::DefaultHasher;
use std::env;
use std::fmt::Write as _;
use std::fs;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::boot;
use crate::dirs;
use crate::guests;
use crate::protocol;
use crate::setup::clean_command;
use crate::target::{Arch, Mode};

/// The user's crate, in the source tree.
const FIXTURE: &str = "qemu-tests/fixtures/user-crate";
/// Its package (and binary) name.
const CRATE_NAME: &str = "my-unikernel";
/// The guest argument that makes its `main` shut down as crashed.
const CRASH_ARG: &str = "my-unikernel-shutdown=crash";
/// The packages a user's crate gets from the registry.
const PACKAGES: [(&str, &str); 2] = [
    ("xencall", "Cargo.toml"),
    ("xencall-links", "xencall-links/Cargo.toml"),
];
/// The runner's binary.
const RUNNER: &str = "cargo-xencall";
/// Exit status of `timeout` when the command ran out of time.
const TIMED_OUT: i32 = 124;

/// Test lines, and how many passed and failed.
#[derive(Debug, Default)]
pub struct Outcome {
    pub text: String,
    pub passed: usize,
    pub failed: usize,
}

impl Outcome {
    fn line(&mut self, name: &str, result: Result<String, String>, secs: f64) {
        match result {
            Ok(how) => {
                self.passed += 1;
                let _ = writeln!(self.text, "test {name} ... ok ({secs:.1} s: {how})");
            }
            Err(why) => {
                self.failed += 1;
                let _ = writeln!(self.text, "test {name} ... FAILED ({secs:.1} s)");
                for l in why.lines() {
                    let _ = writeln!(self.text, "    {l}");
                }
            }
        }
    }
}

/// The boots, run later by the suite's workers.
pub type Job = Box<dyn FnOnce() -> Outcome + Send>;

/// What the runs share: where things are.
#[derive(Clone, Debug)]
struct Places {
    /// The xencall source tree.
    source: PathBuf,
    /// `<target>/user-crate`: what is kept between runs.
    kept: PathBuf,
    /// The scratch directory outside the repository: the crate, the
    /// unpacked packages.
    scratch: PathBuf,
}

impl Places {
    fn new() -> Result<Places, String> {
        let target = dirs::target_dir();
        let mut h = DefaultHasher::new();
        target.hash(&mut h);
        let scratch = env::temp_dir().join(format!("xencall-user-crate-{:016x}", h.finish()));
        // No cargo configuration or manifest of anyone else's above the
        // crate: it must build from its own files alone.
        for dir in scratch.ancestors().skip(1) {
            for file in [".cargo/config.toml", ".cargo/config", "Cargo.toml"] {
                if dir.join(file).exists() {
                    return Err(format!(
                        "{} would apply to the user's crate in {}: set TMPDIR elsewhere",
                        dir.join(file).display(),
                        scratch.display()
                    ));
                }
            }
        }
        Ok(Places {
            source: dirs::source_tree().to_path_buf(),
            kept: target.join("user-crate"),
            scratch,
        })
    }

    fn registry(&self) -> PathBuf {
        self.scratch.join("registry")
    }

    fn crate_dir(&self) -> PathBuf {
        self.scratch.join(CRATE_NAME)
    }

    fn runner_root(&self) -> PathBuf {
        self.kept.join("runner")
    }

    fn runner(&self) -> PathBuf {
        self.runner_root().join("bin").join(RUNNER)
    }

    fn build_dir(&self) -> PathBuf {
        self.kept.join("target")
    }
}

/// A command under `timeout` (it signals the whole process group: cargo,
/// the runner and its QEMU); its exit status and output, stdout and stderr
/// together.
fn run_timed(cmd: Command, limit: Duration) -> (Option<i32>, String) {
    let mut timed = clean_command("timeout");
    timed
        .arg("--kill-after=10")
        .arg(limit.as_secs().max(1).to_string())
        .arg(cmd.get_program())
        .args(cmd.get_args());
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    // The variables clean_command removed from `cmd` stay removed.
    for (k, v) in cmd.get_envs() {
        match v {
            Some(v) => timed.env(k, v),
            None => timed.env_remove(k),
        };
    }
    match timed.stdin(Stdio::null()).output() {
        Ok(out) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            (out.status.code(), text)
        }
        Err(e) => (None, format!("cannot run {timed:?}: {e}")),
    }
}

/// Why a finished command failed, or nothing.
fn failure(status: Option<i32>, limit: Duration) -> Option<String> {
    match status {
        Some(0) => None,
        Some(TIMED_OUT) => Some(format!("timed out after {} s", limit.as_secs())),
        Some(c) => Some(format!("exit status {c}")),
        None => Some("killed by a signal".into()),
    }
}

/// `"` `\` escaped: a TOML basic string.
fn toml_string(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// One word for `sh`, single-quoted.
fn sh_word(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The version in a manifest's `[package]` (its first `version = "..."`).
fn manifest_version(manifest: &Path) -> Result<String, String> {
    let text = fs::read_to_string(manifest).map_err(|e| format!("{}: {e}", manifest.display()))?;
    text.lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("version = \"")
                .and_then(|v| v.strip_suffix('"'))
        })
        .map(str::to_string)
        .ok_or_else(|| format!("{}: no version", manifest.display()))
}

/// `cargo package` xencall and its marker, and unpack both where the
/// user's crate is pointed at them; the unpacked directories.
fn package(places: &Places) -> Result<(String, Vec<(String, PathBuf)>), String> {
    let limit = Duration::from_secs(600);
    let build = places.kept.join("package-build");
    let mut cmd = clean_command("cargo");
    cmd.current_dir(&places.source)
        .args(["package", "--allow-dirty", "--no-verify"])
        .args(PACKAGES.iter().flat_map(|(name, _)| ["-p", name]))
        .arg("--target-dir")
        .arg(&build);
    let shown = format!("{cmd:?}");
    let (status, out) = run_timed(cmd, limit);
    if let Some(why) = failure(status, limit) {
        return Err(format!(
            "{shown}: {why}\n{}",
            protocol::tail(&out, 30).join("\n")
        ));
    }
    let registry = places.registry();
    let _ = fs::remove_dir_all(&registry);
    fs::create_dir_all(&registry).map_err(|e| format!("{}: {e}", registry.display()))?;
    let mut unpacked = Vec::new();
    let mut files = Vec::new();
    for (name, manifest) in PACKAGES {
        let version = manifest_version(&places.source.join(manifest))?;
        let file = build
            .join("package")
            .join(format!("{name}-{version}.crate"));
        let mut tar = clean_command("tar");
        tar.arg("-xzf").arg(&file).arg("-C").arg(&registry);
        let (status, out) = run_timed(tar, limit);
        if let Some(why) = failure(status, limit) {
            return Err(format!("unpacking {}: {why}\n{out}", file.display()));
        }
        let dir = registry.join(format!("{name}-{version}"));
        if !dir.join("Cargo.toml").is_file() {
            return Err(format!(
                "{} holds no {name}-{version}/Cargo.toml",
                file.display()
            ));
        }
        files.push(format!("{name}-{version}.crate"));
        unpacked.push((name.to_string(), dir));
    }
    let how = format!(
        "`cargo package`: {}, unpacked into {}",
        files.join(", "),
        registry.display()
    );
    Ok((how, unpacked))
}

/// A fingerprint of what the installed runner is built from.
fn runner_sources(source: &Path) -> Result<u64, String> {
    fn walk(dir: &Path, skip: &Path, out: &mut Vec<PathBuf>) -> Result<(), String> {
        let entries = fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for entry in entries {
            let path = entry.map_err(|e| e.to_string())?.path();
            if path == skip {
                continue;
            }
            if path.is_dir() {
                walk(&path, skip, out)?;
            } else {
                out.push(path);
            }
        }
        Ok(())
    }
    let runner = source.join("qemu-tests");
    let mut files = vec![source.join("Cargo.toml")];
    walk(&runner, &runner.join("fixtures"), &mut files)?;
    files.sort();
    let mut h = DefaultHasher::new();
    for f in &files {
        f.hash(&mut h);
        fs::read(f)
            .map_err(|e| format!("{}: {e}", f.display()))?
            .hash(&mut h);
    }
    Ok(h.finish())
}

/// `cargo install --path qemu-tests --root <kept>/runner`, as the README
/// tells a user, unless the installed one was built from the same
/// sources; how it went.
fn install(places: &Places) -> Result<String, String> {
    let stamp = places.runner_root().join("xencall-sources");
    let fingerprint = runner_sources(&places.source)?.to_string();
    if places.runner().is_file() && fs::read_to_string(&stamp).ok().as_deref() == Some(&fingerprint)
    {
        return Ok(format!(
            "cached: {} installed from the same sources",
            places.runner().display()
        ));
    }
    let _ = fs::remove_file(&stamp);
    let limit = Duration::from_secs(1800);
    let mut cmd = clean_command("cargo");
    cmd.current_dir(&places.source)
        .args(["install", "--path", "qemu-tests", "--root"])
        .arg(places.runner_root())
        // Its own build directory, kept: a reinstall rebuilds what changed.
        .arg("--target-dir")
        .arg(places.kept.join("runner-build"));
    let shown = format!("{cmd:?}");
    let (status, out) = run_timed(cmd, limit);
    if let Some(why) = failure(status, limit) {
        return Err(format!("{shown}: {why}\n{}", guests::build_errors(&out)));
    }
    if !places.runner().is_file() {
        return Err(format!(
            "{shown} installed no {}",
            places.runner().display()
        ));
    }
    fs::write(&stamp, &fingerprint).map_err(|e| format!("{}: {e}", stamp.display()))?;
    Ok(format!(
        "`cargo install --path qemu-tests --root {}`",
        places.runner_root().display()
    ))
}

/// PATH with the installed runner's directory first and no other
/// `cargo-xencall`: the only one a boot can reach is the installed one.
fn user_path(places: &Places) -> Result<std::ffi::OsString, String> {
    let bin = places.runner_root().join("bin");
    let path = env::var_os("PATH").unwrap_or_default();
    let mut dirs = vec![bin];
    dirs.extend(env::split_paths(&path).filter(|d| !d.join(RUNNER).exists()));
    env::join_paths(dirs).map_err(|e| format!("PATH: {e}"))
}

/// The shell line `cargo-xencall toolchain` prints for `triple`.
fn toolchain_line(recipe: &str, triple: &str) -> Result<String, String> {
    let mut lines = recipe.lines();
    let header = format!("# {triple}:");
    lines
        .by_ref()
        .find(|l| l.starts_with(&header))
        .and_then(|_| lines.next())
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .ok_or_else(|| format!("no line for {triple} in `{RUNNER} toolchain`'s output:\n{recipe}"))
}

/// `line` (`... cargo build ARGS`) with `build` replaced by `subcommand`
/// and `extra` appended: what a user does with the printed line.
fn cargo_line(line: &str, subcommand: &str, extra: &[String]) -> Result<String, String> {
    let mut words: Vec<String> = line.split(' ').map(str::to_string).collect();
    let at = words
        .iter()
        .enumerate()
        .position(|(i, w)| w == "build" && i > 0 && words[i - 1].ends_with("cargo"))
        .ok_or_else(|| format!("no `cargo build` in the toolchain line {line:?}"))?;
    words[at] = subcommand.to_string();
    words.extend(extra.iter().cloned());
    Ok(words.join(" "))
}

/// One architecture's crate, built: how to run cargo on it.
#[derive(Clone, Debug)]
struct Built {
    arch: Arch,
    /// The toolchain line, `build` standing for the subcommand.
    line: String,
    /// `--config` words pointing cargo at the unpacked packages.
    patches: Vec<String>,
    path: std::ffi::OsString,
    places: Places,
}

impl Built {
    /// `cargo <subcommand> ... <args>` in the crate, through `sh` as the
    /// printed line is meant to be used, stderr into stdout (one stream,
    /// in order).
    fn cargo(
        &self,
        subcommand: &str,
        args: &[&str],
        limit: Duration,
    ) -> (String, Option<i32>, String) {
        let mut extra = self.patches.clone();
        extra.extend(args.iter().map(|a| sh_word(a)));
        let line = match cargo_line(&self.line, subcommand, &extra) {
            Ok(l) => l,
            Err(e) => return (String::new(), None, e),
        };
        let mut cmd = clean_command("sh");
        cmd.current_dir(self.places.crate_dir())
            .arg("-c")
            .arg(format!("{line} 2>&1"))
            .env("PATH", &self.path)
            .env("CARGO_TARGET_DIR", self.places.build_dir())
            // The runner's settings are the crate's (`--all-modes`), not
            // this run's.
            .env_remove("XENCALL_BOOT_MODE")
            .env_remove("XENCALL_BOOT_DOMU");
        let (status, out) = run_timed(cmd, limit);
        (line, status, out)
    }
}

/// Copy the fixture directory (dotfiles included) to `to`, afresh.
fn copy_tree(from: &Path, to: &Path) -> Result<(), String> {
    let _ = fs::remove_dir_all(to);
    fs::create_dir_all(to).map_err(|e| format!("{}: {e}", to.display()))?;
    for entry in fs::read_dir(from).map_err(|e| format!("{}: {e}", from.display()))? {
        let entry = entry.map_err(|e| e.to_string())?;
        let (src, dst) = (entry.path(), to.join(entry.file_name()));
        if src.is_dir() {
            copy_tree(&src, &dst)?;
        } else {
            fs::copy(&src, &dst)
                .map_err(|e| format!("{} -> {}: {e}", src.display(), dst.display()))?;
        }
    }
    Ok(())
}

/// Check with `cargo metadata` that xencall and its marker come from the
/// unpacked packages and nothing from the source tree.
fn check_resolution(
    places: &Places,
    patches: &[String],
    unpacked: &[(String, PathBuf)],
) -> Result<(), String> {
    let limit = Duration::from_secs(300);
    let mut cmd = clean_command("sh");
    // Only stdout is JSON.
    cmd.current_dir(places.crate_dir()).arg("-c").arg(format!(
        "cargo metadata --format-version 1 --offline {} 2>/dev/null",
        patches.join(" ")
    ));
    let (status, out) = run_timed(cmd, limit);
    if let Some(why) = failure(status, limit) {
        return Err(format!("cargo metadata: {why}"));
    }
    let json: serde_json::Value =
        serde_json::from_str(&out).map_err(|e| format!("cargo metadata: {e}"))?;
    let packages = json["packages"]
        .as_array()
        .ok_or("cargo metadata: no packages")?;
    let mut wrong = Vec::new();
    for p in packages {
        let name = p["name"].as_str().unwrap_or("?");
        let manifest = PathBuf::from(p["manifest_path"].as_str().unwrap_or(""));
        if manifest.starts_with(&places.source) {
            wrong.push(format!(
                "{name} comes from the source tree ({})",
                manifest.display()
            ));
        }
        if let Some((_, dir)) = unpacked.iter().find(|(n, _)| n == name) {
            if manifest != dir.join("Cargo.toml") {
                wrong.push(format!(
                    "{name} resolved to {}, not the packaged {}",
                    manifest.display(),
                    dir.display()
                ));
            }
        }
    }
    for (name, _) in unpacked {
        if !packages.iter().any(|p| p["name"] == name.as_str()) {
            wrong.push(format!("{name} is not in the crate's graph"));
        }
    }
    if wrong.is_empty() {
        Ok(())
    } else {
        Err(wrong.join("\n"))
    }
}

/// Build the crate for `arch` (`cargo build`, `cargo test --no-run`) with
/// the installed runner's toolchain line.
fn build(
    places: &Places,
    unpacked: &[(String, PathBuf)],
    arch: Arch,
) -> Result<(String, Built), String> {
    let path = user_path(places)?;
    let mut cmd = clean_command(places.runner());
    cmd.args(["toolchain", "--target", arch.triple()])
        .env("PATH", &path);
    let (status, recipe) = run_timed(cmd, Duration::from_secs(120));
    if let Some(why) = failure(status, Duration::from_secs(120)) {
        return Err(format!("`{RUNNER} toolchain`: {why}\n{recipe}"));
    }
    let line = toolchain_line(&recipe, arch.triple())?;
    let patches: Vec<String> = unpacked
        .iter()
        .map(|(name, dir)| {
            let value = format!(
                "patch.crates-io.{name}.path={}",
                toml_string(&dir.to_string_lossy())
            );
            format!("--config {}", sh_word(&value))
        })
        .collect();
    let built = Built {
        arch,
        line,
        patches,
        path,
        places: places.clone(),
    };
    let limit = Duration::from_secs(1800);
    for (sub, args) in [("build", &[][..]), ("test", &["--no-run"][..])] {
        let (line, status, out) = built.cargo(sub, args, limit);
        if let Some(why) = failure(status, limit) {
            return Err(format!("{line}: {why}\n{}", guests::build_errors(&out)));
        }
    }
    check_resolution(places, &built.patches, unpacked)?;
    Ok((
        format!(
            "`cargo build` and `cargo test --no-run` with `{}`",
            built.line
        ),
        built,
    ))
}

/// What a command boots and must show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Run {
    /// `cargo run`: `main` ends in `sched_shutdown(POWEROFF)`, passes.
    Main,
    /// `cargo run -- my-unikernel-shutdown=crash`: ends in `CRASH`, fails.
    Crash,
    /// `cargo test`: the in-guest cases, per case.
    Test,
}

impl Run {
    const ALL: [Run; 3] = [Run::Main, Run::Crash, Run::Test];

    fn name(self) -> &'static str {
        match self {
            Run::Main => "main",
            Run::Crash => "crash",
            Run::Test => "test",
        }
    }

    fn cargo(self) -> (&'static str, &'static [&'static str]) {
        match self {
            Run::Main => ("run", &[]),
            Run::Crash => ("run", &["--", CRASH_ARG]),
            Run::Test => ("test", &[]),
        }
    }
}

/// A boot's label, as the runner prints it: `x86_64-pvh`, `aarch64`.
fn label(arch: Arch, mode: Mode) -> String {
    if arch.modes().len() == 1 {
        arch.name().to_string()
    } else {
        format!("{}-{}", arch.name(), mode.name())
    }
}

/// How the guest names its mode (`BootInfo::guest_mode`).
fn guest_mode(arch: Arch, mode: Mode) -> &'static str {
    match (arch, mode) {
        (Arch::Aarch64, _) => "Arm",
        (_, Mode::Pvh) => "PVH",
        (_, Mode::Pv) => "PV",
    }
}

/// The part of the runner's output about the boot `label`: from its
/// `booting ... as LABEL` line when it booted several, to the next boot.
fn section<'a>(output: &'a str, label: &str, several: bool) -> &'a str {
    if !several {
        return output;
    }
    let starts: Vec<usize> = output
        .match_indices("cargo-xencall: booting ")
        .map(|(i, _)| i)
        .collect();
    let ours = starts.iter().position(|&i| {
        output[i..]
            .lines()
            .next()
            .is_some_and(|l| l.ends_with(&format!(" as {label}")))
    });
    match ours {
        Some(k) => &output[starts[k]..starts.get(k + 1).copied().unwrap_or(output.len())],
        None => "",
    }
}

/// What is wrong with one mode's part of a run's output.
fn check(run: Run, arch: Arch, mode: Mode, status: Option<i32>, output: &str) -> Vec<String> {
    let label = label(arch, mode);
    let several = arch.modes().len() > 1;
    let text = section(output, &label, several);
    let prefix = if several {
        format!("{label}::")
    } else {
        String::new()
    };
    let hello = format!("hello from a {} guest", guest_mode(arch, mode));
    let passed = format!("cargo-xencall: {label}: passed in");
    let (shows, not): (Vec<String>, Vec<String>) = match run {
        Run::Main => (
            vec![
                hello,
                "Xen 4.".into(),
                passed,
                "dom0 powered off: SCHEDOP_shutdown(poweroff)".into(),
            ],
            vec![],
        ),
        Run::Crash => (
            vec![
                hello,
                format!("cargo-xencall: {label}: dom0 crashed: SCHEDOP_shutdown(crash)"),
                format!("cargo-xencall: {label}: FAILED"),
            ],
            vec![passed],
        ),
        Run::Test => (
            vec![
                // Printed by the case from what Xen answered: it ran, under Xen.
                "in_guest: running on Xen 4.".into(),
                format!("test {prefix}xen_version ... ok"),
                format!("test {prefix}extraversion_through_a_buffer ... ok"),
                "test result: ok. 2 passed; 0 failed;".into(),
                passed,
            ],
            vec![],
        ),
    };
    let mut wrong = Vec::new();
    if text.is_empty() {
        wrong.push(format!("no boot as {label} in the output"));
    }
    for s in &shows {
        if !text.contains(s.as_str()) {
            wrong.push(format!("no {s:?} in the {label} boot's output"));
        }
    }
    for s in &not {
        if text.contains(s.as_str()) {
            wrong.push(format!("{s:?} in the {label} boot's output"));
        }
    }
    match (run, status) {
        (_, Some(TIMED_OUT)) | (_, None) => {
            wrong.push(format!("cargo ended {status:?}: timed out or killed"))
        }
        (Run::Crash, Some(0)) => wrong.push("cargo exited 0: the crash passed".into()),
        (Run::Crash, _) | (_, Some(0)) => {}
        (_, Some(c)) => wrong.push(format!("cargo exited {c}")),
    }
    wrong
}

/// Boot one architecture's crate: each run, each mode a line.
fn boots(built: &Built, selected: &dyn Fn(&str) -> bool) -> Outcome {
    let mut outcome = Outcome::default();
    let arch = built.arch;
    let modes = arch.modes();
    let limit = boot::default_timeout() * (modes.len() as u32 + 1) + Duration::from_secs(300);
    for run in Run::ALL {
        let names: Vec<(Mode, String)> = modes
            .iter()
            .map(|&m| (m, format!("user-crate::{}::{}", label(arch, m), run.name())))
            .filter(|(_, n)| selected(n))
            .collect();
        if names.is_empty() {
            continue;
        }
        let (sub, args) = run.cargo();
        let start = Instant::now();
        let (line, status, output) = built.cargo(sub, args, limit);
        let secs = start.elapsed().as_secs_f64();
        for (mode, name) in names {
            let wrong = check(run, arch, mode, status, &output);
            let result = if wrong.is_empty() {
                Ok(format!(
                    "`cargo {sub}{}` exited {}",
                    args.iter().map(|a| format!(" {a}")).collect::<String>(),
                    status.unwrap_or(-1)
                ))
            } else {
                Err(format!(
                    "{}\ncommand: {line}\n{}",
                    wrong.join("\n"),
                    protocol::tail(section(&output, &label(arch, mode), modes.len() > 1), 30)
                        .join("\n")
                ))
            };
            outcome.line(&name, result, secs);
        }
    }
    outcome
}

/// Every test name of the steps.
fn names_for(arch: Arch) -> Vec<String> {
    let mut names = vec![format!("user-crate::{}::build", arch.name())];
    for &m in arch.modes() {
        for run in Run::ALL {
            names.push(format!("user-crate::{}::{}", label(arch, m), run.name()));
        }
    }
    names
}

/// Package, install and build what the selected `user-crate::*` steps
/// need (now, one after the other: the suite's boots run later), with
/// their lines; then the boots, as one job (they share the crate and its
/// build directory, and the runner fetches Xen there once).
pub fn prepare(selected: &dyn Fn(&str) -> bool) -> (Outcome, Vec<Job>) {
    let mut outcome = Outcome::default();
    let arches: Vec<Arch> = Arch::ALL
        .into_iter()
        .filter(|&a| names_for(a).iter().any(|n| selected(n)))
        .collect();
    let want_package = selected("user-crate::package") || !arches.is_empty();
    let want_install = selected("user-crate::install") || !arches.is_empty();
    if !want_package && !want_install {
        return (outcome, vec![]);
    }
    let places = match Places::new() {
        Ok(p) => p,
        Err(e) => {
            outcome.line("user-crate::setup", Err(e), 0.0);
            return (outcome, vec![]);
        }
    };
    eprintln!("cargo qemu: packaging xencall and installing the runner for a user's crate ...");
    let start = Instant::now();
    let unpacked = package(&places);
    let secs = start.elapsed().as_secs_f64();
    let (result, unpacked) = match unpacked {
        Ok((how, dirs)) => (Ok(how), Some(dirs)),
        Err(e) => (Err(e), None),
    };
    outcome.line("user-crate::package", result, secs);
    let start = Instant::now();
    let installed = install(&places);
    let ok_install = installed.is_ok();
    outcome.line(
        "user-crate::install",
        installed,
        start.elapsed().as_secs_f64(),
    );
    let copied = copy_tree(&places.source.join(FIXTURE), &places.crate_dir());

    let mut built = Vec::new();
    for arch in arches {
        let name = format!("user-crate::{}::build", arch.name());
        let start = Instant::now();
        let result = match (&unpacked, ok_install, &copied) {
            (_, _, Err(e)) => Err(format!("copying the crate: {e}")),
            (None, _, _) => Err("xencall was not packaged (see user-crate::package)".into()),
            (_, false, _) => Err("the runner was not installed (see user-crate::install)".into()),
            (Some(unpacked), true, Ok(())) => {
                eprintln!(
                    "cargo qemu: building the user's crate for {} ...",
                    arch.triple()
                );
                build(&places, unpacked, arch)
            }
        };
        let secs = start.elapsed().as_secs_f64();
        match result {
            Ok((how, b)) => {
                outcome.line(&name, Ok(how), secs);
                built.push(Ok(b));
            }
            Err(e) => {
                outcome.line(&name, Err(e), secs);
                built.push(Err(arch));
            }
        }
    }
    if built.is_empty() {
        return (outcome, vec![]);
    }
    let names: Vec<(Arch, Vec<String>)> = Arch::ALL
        .into_iter()
        .map(|a| {
            (
                a,
                names_for(a)
                    .into_iter()
                    .skip(1)
                    .filter(|n| selected(n))
                    .collect(),
            )
        })
        .collect();
    let mut jobs: Vec<Job> = Vec::new();
    jobs.push(Box::new(move || {
        let mut all = Outcome::default();
        for b in built {
            match b {
                Ok(b) => {
                    let wanted: Vec<String> = names
                        .iter()
                        .find(|(a, _)| *a == b.arch)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default();
                    let o = boots(&b, &|n: &str| wanted.iter().any(|w| w == n));
                    all.text.push_str(&o.text);
                    all.passed += o.passed;
                    all.failed += o.failed;
                }
                Err(arch) => {
                    let wanted = names
                        .iter()
                        .find(|(a, _)| *a == arch)
                        .map(|(_, n)| n.clone())
                        .unwrap_or_default();
                    for n in wanted {
                        all.line(
                            &n,
                            Err(format!(
                                "the crate did not build (see user-crate::{}::build)",
                                arch.name()
                            )),
                            0.0,
                        );
                    }
                }
            }
        }
        all
    }));
    (outcome, jobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_MODES: &str = "\
     Running `cargo-xencall boot --all-modes /t/x86_64-unknown-none/debug/my-unikernel`
cargo-xencall: booting /t/my-unikernel as x86_64-pvh
hello from a PVH guest, command line \"xencall-exit=qemu\"
Xen 4.17.7
cargo-xencall: x86_64-pvh: passed in 4.1 s: dom0 powered off: SCHEDOP_shutdown(poweroff) (Xen: \"Hardware Dom0 halted: halting machine\") (log: /t/a.log)
cargo-xencall: booting /t/my-unikernel as x86_64-pv
hello from a PV guest, command line \"xencall-exit=qemu\"
Xen 4.17.7
cargo-xencall: x86_64-pv: passed in 2.7 s: dom0 powered off: SCHEDOP_shutdown(poweroff) (Xen: \"Hardware Dom0 halted: halting machine\") (log: /t/b.log)
cargo-xencall: 2 of 2 modes passed
";

    #[test]
    fn each_mode_is_judged_on_its_own_part() {
        assert!(section(TWO_MODES, "x86_64-pvh", true).contains("a PVH guest"));
        assert!(!section(TWO_MODES, "x86_64-pvh", true).contains("a PV guest"));
        assert!(section(TWO_MODES, "x86_64-pv", true).contains("a PV guest"));
        assert!(!section(TWO_MODES, "x86_64-pv", true).contains("PVH"));
        assert_eq!(section(TWO_MODES, "aarch64", true), "");
        for mode in [Mode::Pvh, Mode::Pv] {
            assert_eq!(
                check(Run::Main, Arch::X86_64, mode, Some(0), TWO_MODES),
                Vec::<String>::new()
            );
            // The same output is no crash, and a crash must not exit 0.
            assert!(!check(Run::Crash, Arch::X86_64, mode, Some(0), TWO_MODES).is_empty());
        }
        // PV failing fails its line only.
        let pv_failed = TWO_MODES.replace(
            "x86_64-pv: passed in 2.7 s: dom0 powered off: SCHEDOP_shutdown(poweroff)",
            "x86_64-pv: timed out\ncargo-xencall: x86_64-pv: FAILED",
        );
        assert!(check(Run::Main, Arch::X86_64, Mode::Pvh, Some(0), &pv_failed).is_empty());
        assert!(!check(Run::Main, Arch::X86_64, Mode::Pv, Some(0), &pv_failed).is_empty());
        // A nonzero exit fails every line of the run.
        assert!(!check(Run::Main, Arch::X86_64, Mode::Pvh, Some(1), TWO_MODES).is_empty());
        assert!(!check(
            Run::Main,
            Arch::X86_64,
            Mode::Pvh,
            Some(TIMED_OUT),
            TWO_MODES
        )
        .is_empty());
    }

    #[test]
    fn a_crash_and_the_tests_are_read_per_mode() {
        let crash = "\
hello from a Arm guest, command line \"console=hvc0 xencall-exit=qemu my-unikernel-shutdown=crash\"
cargo-xencall: aarch64: dom0 crashed: SCHEDOP_shutdown(crash) (Xen: \"Hardware Dom0 crashed\")
cargo-xencall: aarch64: FAILED (log: /t/c.log)
";
        assert!(check(Run::Crash, Arch::Aarch64, Mode::Pvh, Some(1), crash).is_empty());
        assert!(!check(Run::Main, Arch::Aarch64, Mode::Pvh, Some(1), crash).is_empty());
        let tests = "\
in_guest: running on Xen 4.17
running 2 tests
test xen_version ... ok
test extraversion_through_a_buffer ... ok

test result: ok. 2 passed; 0 failed; 0 ignored; 0 measured; 0 filtered out; finished in 1.01s
cargo-xencall: aarch64: passed in 1.0 s: the guest reported success (QEMU exited 33)
";
        assert!(check(Run::Test, Arch::Aarch64, Mode::Pvh, Some(0), tests).is_empty());
        // Reported ok without the case's own line: it did not really run.
        let unrun = tests.replace("in_guest: running on Xen 4.17\n", "");
        assert!(!check(Run::Test, Arch::Aarch64, Mode::Pvh, Some(0), &unrun).is_empty());
    }

    #[test]
    fn the_printed_toolchain_line_is_what_runs() {
        let recipe = "\
# x86_64-unknown-none: Debian rustc-web + build-std (rustc 1.96.0)
RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 PATH=/usr/bin:\"$PATH\" /usr/bin/cargo build -Zbuild-std=core,alloc --target x86_64-unknown-none
# aarch64-unknown-none: rustup target (rustc 1.95.0)
cargo build --target aarch64-unknown-none
";
        let line = toolchain_line(recipe, "x86_64-unknown-none").unwrap();
        assert!(line.starts_with("RUSTC=/usr/bin/rustc"), "{line}");
        assert_eq!(
            cargo_line(&line, "test", &["--no-run".into()]).unwrap(),
            "RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 PATH=/usr/bin:\"$PATH\" /usr/bin/cargo test \
             -Zbuild-std=core,alloc --target x86_64-unknown-none --no-run"
        );
        let line = toolchain_line(recipe, "aarch64-unknown-none").unwrap();
        assert_eq!(
            cargo_line(&line, "run", &[]).unwrap(),
            "cargo run --target aarch64-unknown-none"
        );
        assert!(toolchain_line(
            "# x86_64-unknown-none: no toolchain here builds it\n",
            "x86_64-unknown-none"
        )
        .is_err());
        assert!(cargo_line("make all", "run", &[]).is_err());
        assert_eq!(sh_word("a'b"), "'a'\\''b'");
        assert_eq!(toml_string("/t/\"x\""), "\"/t/\\\"x\\\"\"");
    }
}
