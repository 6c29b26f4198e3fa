//! What `cargo package` puts in the published crate: everything the build
//! needs (the sources, the boot code, the linker scripts the build script
//! exports, the README the manifest names) and nothing of this repository's
//! own tooling (the host runner, CI, fuzzing, benchmarks, host tests, the
//! workspace's cargo aliases).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Paths (relative, `/`-separated) of the files under `dir` in `root`.
fn files_under(root: &Path, dir: &str, out: &mut BTreeSet<String>) {
    let path = root.join(dir);
    for entry in fs::read_dir(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())) {
        let entry = entry.unwrap();
        let name = format!("{dir}/{}", entry.file_name().to_string_lossy());
        if entry.file_type().unwrap().is_dir() {
            files_under(root, &name, out);
        } else {
            out.insert(name);
        }
    }
}

/// `cargo package --list` of this package.
fn package_list() -> BTreeSet<String> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "package",
            "--list",
            "--allow-dirty",
            "--offline",
            "-p",
            "xencall",
        ])
        .output()
        .expect("run cargo package --list");
    assert!(
        out.status.success(),
        "cargo package --list failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn the_package_holds_what_the_build_needs_and_no_repository_tooling() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let listed = package_list();

    let mut needed = BTreeSet::new();
    for dir in ["src", "arch", "linker"] {
        files_under(&root, dir, &mut needed);
    }
    needed.extend(["build.rs", "README.md", "Cargo.toml"].map(String::from));
    let missing: Vec<&String> = needed.difference(&listed).collect();
    assert!(missing.is_empty(), "the package lacks {missing:?}");

    let repository_only = [
        "qemu-tests/",
        "fuzz/",
        ".ci/",
        ".cargo/",
        "target/",
        "tests/",
        "benches/",
        "xencall-links/",
        "BENCHMARKS.md",
        ".gitignore",
    ];
    let unwanted: Vec<&String> = listed
        .iter()
        .filter(|path| repository_only.iter().any(|p| path.starts_with(p)))
        .collect();
    assert!(unwanted.is_empty(), "the package holds {unwanted:?}");
}
