//! The cargo-fuzz target in `fuzz/` (a workspace of its own, so the
//! workspace's build and clippy never see it): the commands that build,
//! lint and run it for `cargo qemu test`, and the check that its
//! `fuzz/LAST_RUN.md` record names a committed tree.
//!
//! Building needs no fuzzing toolchain: `libfuzzer-sys` compiles libFuzzer
//! with the system's C++ compiler and the target links against it with
//! plain cargo (uninstrumented). Running it for real needs `cargo fuzz`,
//! which passes the sanitizer and coverage flags (`-Z...`, accepted here
//! with `RUSTC_BOOTSTRAP=1`, as `.ci/fuzz` does).

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::setup::clean_command;

/// Seconds `cargo qemu test` fuzzes for: enough to show the target runs
/// and finds nothing in its first few tens of thousands of inputs; the
/// long runs are `.ci/fuzz`'s.
pub const RUN_SECONDS: u32 = 20;

fn manifest(root: &Path) -> PathBuf {
    root.join("fuzz").join("Cargo.toml")
}

/// `cargo build` of the fuzz target, uninstrumented.
pub fn build(root: &Path, target_dir: &Path) -> Command {
    let mut c = clean_command("cargo");
    c.current_dir(root)
        .args(["build", "--locked", "--manifest-path"])
        .arg(manifest(root))
        .arg("--target-dir")
        .arg(target_dir);
    c
}

/// `cargo clippy` of the fuzz target, warnings denied.
pub fn clippy(root: &Path, target_dir: &Path) -> Command {
    let mut c = clean_command("cargo");
    c.current_dir(root)
        .args(["clippy", "--locked", "--all-targets", "--manifest-path"])
        .arg(manifest(root))
        .arg("--target-dir")
        .arg(target_dir)
        .args(["--", "-D", "warnings"]);
    c
}

/// Why the target cannot be fuzzed here (no `cargo fuzz`), or `None`.
pub fn no_fuzzer(root: &Path) -> Option<String> {
    let out = clean_command("cargo")
        .current_dir(root)
        .args(["fuzz", "--version"])
        .output();
    match out {
        Ok(o) if o.status.success() => None,
        _ => Some(
            "no fuzzing toolchain: `cargo fuzz` is not installed (`cargo install cargo-fuzz`; \
             `.ci/fuzz` installs it)"
                .into(),
        ),
    }
}

/// `cargo fuzz run arena` for [`RUN_SECONDS`], on a scratch corpus (the
/// committed seeds are read, never written), without AddressSanitizer
/// (which `.ci/fuzz` uses; here the run is a bounded smoke run).
pub fn run(root: &Path, corpus: &Path) -> Command {
    let mut c = clean_command("cargo");
    c.current_dir(root)
        .env("RUSTC_BOOTSTRAP", "1")
        .args(["fuzz", "run", "--sanitizer", "none", "arena"])
        .arg(corpus)
        .arg(root.join("fuzz").join("seeds").join("arena"))
        .arg("--")
        .arg(format!("-max_total_time={RUN_SECONDS}"))
        .args(["-max_len=4096", "-timeout=30"]);
    c
}

/// The commit `LAST_RUN.md` names, if it names one and nothing else (a
/// record of a run on uncommitted changes names "<hash>, plus uncommitted
/// changes to: ...").
pub fn recorded_commit(last_run: &str) -> Result<String, String> {
    let row = last_run
        .lines()
        .find_map(|l| l.strip_prefix("| commit |"))
        .ok_or("no `| commit |` row")?;
    let value = row.trim().trim_end_matches('|').trim();
    let is_hash = value.len() == 40 && value.bytes().all(|b| b.is_ascii_hexdigit());
    if is_hash {
        Ok(value.to_string())
    } else {
        Err(format!(
            "the record names {value:?}, not a committed tree: rerun `.ci/fuzz` on a clean one"
        ))
    }
}

/// `Ok` with the commit if `LAST_RUN.md` names a commit of this
/// repository's history (an ancestor of HEAD), else why not.
pub fn check_last_run(root: &Path) -> Result<String, String> {
    let path = root.join("fuzz").join("LAST_RUN.md");
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    let commit = recorded_commit(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let ancestor = Command::new("git")
        .current_dir(root)
        .args(["merge-base", "--is-ancestor", &commit, "HEAD"])
        .status()
        .map_err(|e| format!("cannot run git: {e}"))?;
    if ancestor.success() {
        Ok(commit)
    } else {
        Err(format!(
            "{}: commit {commit} is not in this branch's history",
            path.display()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_must_name_a_commit_alone() {
        let hash = "8b202184e110fdf63b881690cf9706c35b8d206d";
        assert_eq!(
            recorded_commit(&format!("| | |\n|---|---|\n| commit | {hash} |\n")),
            Ok(hash.to_string())
        );
        let dirty = format!("| commit | {hash}, plus uncommitted changes to: src/handle.rs |\n");
        assert!(recorded_commit(&dirty)
            .unwrap_err()
            .contains("not a committed tree"));
        assert!(recorded_commit("| commit | unknown |\n").is_err());
        assert!(recorded_commit("# no table\n").is_err());
    }
}
