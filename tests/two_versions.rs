//! Two versions of xencall in one build graph: a library that uses xencall
//! without the boot runtime (or the C API) must coexist with another
//! version of xencall; only two copies of what puts unmangled symbols into
//! the link (features `rt` and `c-api`) may conflict, and cargo's resolver
//! must say so before anything is built.
//!
//! Each case writes a scratch graph under cargo's per-test temporary
//! directory: two copies of this package (its real `Cargo.toml`, version
//! rewritten to 0.1.0 and 0.2.0, its sources linked in), the marker crate
//! beside each, two libraries depending on them with the features of the
//! case, and an application depending on both libraries. `cargo fetch`
//! downloads what a fresh machine's build has not, then `cargo metadata
//! --offline` resolves it. One case also builds and links the
//! application on the host, so two copies of the crate's statics are linked
//! side by side.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// This package's root.
fn package_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The directory of marker crate that carries the `links` key.
const MARKER_DIR: &str = "xencall-links";

/// `manifest` with its `[package]` version set to `version`, every
/// dependency on the marker crate pinned to the same version (the marker's
/// version follows the crate's), and the `[workspace]` table dropped (the
/// copy is a plain dependency, not a workspace root).
fn rewrite_manifest(manifest: &str, version: &str) -> String {
    let mut out = String::new();
    let mut section = String::new();
    let mut version_done = false;
    for line in manifest.lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with('[') {
            section = trimmed.to_string();
        }
        if section == "[workspace]" {
            continue;
        }
        if section == "[package]" && !version_done && trimmed.starts_with("version = ") {
            out.push_str(&format!("version = \"{version}\"\n"));
            version_done = true;
            continue;
        }
        if trimmed.starts_with(&format!("{MARKER_DIR} = ")) {
            out.push_str(&format!(
                "{MARKER_DIR} = {{ version = \"={version}\", path = \"{MARKER_DIR}\", optional = true }}\n"
            ));
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    assert!(version_done, "no version in [package] of:\n{manifest}");
    out
}

fn symlink(from: &Path, to: &Path) {
    #[cfg(unix)]
    std::os::unix::fs::symlink(from, to)
        .unwrap_or_else(|e| panic!("symlink {} -> {}: {e}", to.display(), from.display()));
    #[cfg(not(unix))]
    compile_error!("this test links the package's sources with symlinks");
}

/// A copy of package `src` at `dst` with version `version`: the manifest
/// rewritten, the other entries (`keep`) linked to the originals.
fn copy_package(src: &Path, dst: &Path, version: &str, keep: &[&str]) {
    fs::create_dir_all(dst).unwrap();
    let manifest = fs::read_to_string(src.join("Cargo.toml")).unwrap();
    fs::write(dst.join("Cargo.toml"), rewrite_manifest(&manifest, version)).unwrap();
    for entry in keep {
        if src.join(entry).exists() {
            symlink(&src.join(entry), &dst.join(entry));
        }
    }
}

/// Version `version` of xencall (and of its marker crate, if there is
/// one) at `dir`.
fn xencall_copy(dir: &Path, version: &str) {
    let root = package_root();
    copy_package(
        &root,
        dir,
        version,
        &[
            "build.rs",
            "src",
            "arch",
            "linker",
            "examples",
            "benches",
            "tests",
            "README.md",
        ],
    );
    if root.join(MARKER_DIR).exists() {
        copy_package(
            &root.join(MARKER_DIR),
            &dir.join(MARKER_DIR),
            version,
            &["build.rs", "src"],
        );
    }
}

/// A library `name` at `dir` depending on the xencall copy at `xencall`
/// with `features`; its source `lib_rs`.
fn library(dir: &Path, name: &str, xencall: &Path, features: &[&str], lib_rs: &str) {
    fs::create_dir_all(dir.join("src")).unwrap();
    let features: Vec<String> = features.iter().map(|f| format!("\"{f}\"")).collect();
    fs::write(
        dir.join("Cargo.toml"),
        format!(
            "[package]\nname = \"{name}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
             [dependencies]\nxencall = {{ path = \"{}\", features = [{}] }}\n",
            xencall.display(),
            features.join(", ")
        ),
    )
    .unwrap();
    fs::write(dir.join("src/lib.rs"), lib_rs).unwrap();
}

/// What each library does with its xencall: names a static of the crate,
/// so that linking the application pulls in both copies' definitions.
const LIB_RS: &str = "pub fn storage() -> usize {\n\
    #[cfg(target_arch = \"x86_64\")]\n\
    return xencall::arch::HYPERCALL_PAGE_STORAGE.as_ptr() as usize;\n\
    #[cfg(not(target_arch = \"x86_64\"))]\n\
    return xencall::abi::HypercallOp::XEN_VERSION.0 as usize;\n\
}\n";

/// The scratch graph of one case: `liba` on xencall 0.1.0 with
/// `features_a`, `libb` on xencall `version_b` with `features_b`, and an
/// application (its own workspace) on both. The application's directory.
fn graph(case: &str, features_a: &[&str], version_b: &str, features_b: &[&str]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("two-versions")
        .join(case);
    if dir.exists() {
        fs::remove_dir_all(&dir).unwrap();
    }
    let v1 = dir.join("xencall-0.1.0");
    xencall_copy(&v1, "0.1.0");
    let vb = dir.join(format!("xencall-{version_b}"));
    if version_b != "0.1.0" {
        xencall_copy(&vb, version_b);
    }
    library(&dir.join("liba"), "liba", &v1, features_a, LIB_RS);
    library(&dir.join("libb"), "libb", &vb, features_b, LIB_RS);
    let app = dir.join("app");
    fs::create_dir_all(app.join("src")).unwrap();
    fs::write(
        app.join("Cargo.toml"),
        "[package]\nname = \"app\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nliba = { path = \"../liba\" }\nlibb = { path = \"../libb\" }\n\n\
         # Its own workspace, not the one of the directory above.\n[workspace]\n",
    )
    .unwrap();
    fs::write(
        app.join("src/main.rs"),
        "fn main() {\n    println!(\"{} {}\", liba::storage(), libb::storage());\n}\n",
    )
    .unwrap();
    // The versions this package's own build already uses (and so has
    // downloaded): the offline resolution picks those.
    fs::copy(package_root().join("Cargo.lock"), app.join("Cargo.lock")).unwrap();
    app
}

/// `cargo SUBCOMMAND --offline` in `app`, with nothing of the enclosing
/// test run's cargo settings.
fn cargo(app: &Path, args: &[&str]) -> Output {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    Command::new(cargo)
        .current_dir(app)
        .args(args)
        .arg("--offline")
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTFLAGS")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .output()
        .expect("run cargo")
}

/// Download what the graph needs and its build has not fetched: a build
/// downloads only the host's dependencies, and the offline resolution
/// below needs every platform's (e.g. `aarch64-cpu`), which on a fresh
/// machine were never downloaded. The only step that may use the network;
/// a graph that cannot resolve fails here too, and `resolve` says why.
fn fetch(app: &Path) {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let _ = Command::new(cargo)
        .current_dir(app)
        .args(["fetch", "--quiet"])
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("CARGO_BUILD_TARGET")
        .output()
        .expect("run cargo fetch");
}

/// Resolve the graph: `Ok` or cargo's error text.
fn resolve(app: &Path) -> Result<(), String> {
    fetch(app);
    let out = cargo(app, &["metadata", "--format-version", "1"]);
    if out.status.success() {
        Ok(())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

/// The resolver's complaint about two packages claiming the same `links`.
fn assert_links_conflict(result: Result<(), String>) {
    let err = result.expect_err("two copies of xencall's symbols must not resolve");
    assert!(
        err.contains("links to the native library `xencall`"),
        "expected the `links = \"xencall\"` conflict, got:\n{err}"
    );
}

#[test]
fn two_versions_without_runtime_resolve_and_link() {
    let app = graph("plain", &[], "0.2.0", &[]);
    resolve(&app).expect("two versions of xencall without rt or c-api must share a graph");
    // Not just resolved: both copies' statics link side by side (on
    // x86_64 the hypercall page's storage is a named static: it must not
    // be exported under a fixed symbol unless `rt` or `c-api` asks).
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("two-versions-target");
    let out = cargo(
        &app,
        &["build", "--quiet", "--target-dir", target.to_str().unwrap()],
    );
    assert!(
        out.status.success(),
        "building two versions side by side failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn a_runtime_beside_a_plain_second_version_resolves() {
    let app = graph("rt-and-plain", &["rt", "panic-handler"], "0.2.0", &[]);
    resolve(&app).expect("one runtime and another version without it must share a graph");
}

#[test]
fn the_c_api_beside_a_plain_second_version_resolves() {
    let app = graph("c-api-and-plain", &[], "0.2.0", &["c-api"]);
    resolve(&app).expect("one C API and another version without it must share a graph");
}

#[test]
fn two_runtimes_of_two_versions_are_refused() {
    assert_links_conflict(resolve(&graph("rt-and-rt", &["rt"], "0.2.0", &["rt"])));
}

#[test]
fn a_runtime_and_the_c_api_of_two_versions_are_refused() {
    assert_links_conflict(resolve(&graph(
        "rt-and-c-api",
        &["rt"],
        "0.2.0",
        &["c-api"],
    )));
}

#[test]
fn two_c_apis_of_two_versions_are_refused() {
    assert_links_conflict(resolve(&graph(
        "c-api-and-c-api",
        &["c-api"],
        "0.2.0",
        &["c-api"],
    )));
}

#[test]
fn one_version_with_its_runtime_wanted_twice_unifies() {
    let app = graph("one-version", &["rt"], "0.1.0", &["rt", "c-api"]);
    resolve(&app).expect("one version of xencall wanted by two libraries is one package");
}

/// The value of `key = "..."` in `[section]` of `manifest`.
fn manifest_value(manifest: &str, section: &str, key: &str) -> Option<String> {
    let mut current = "";
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            current = line;
        } else if current == section {
            if let Some(value) = line.strip_prefix(&format!("{key} = ")) {
                return Some(value.to_string());
            }
        }
    }
    None
}

/// The mechanism holds only while the marker's version is the crate's and
/// the crate asks for exactly it: a release that bumps one without the
/// other would let two runtimes share one marker, and so one graph.
#[test]
fn the_marker_is_pinned_at_the_crates_own_version() {
    let root = package_root();
    let crate_manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let marker_manifest = fs::read_to_string(root.join(MARKER_DIR).join("Cargo.toml")).unwrap();
    let version = manifest_value(&crate_manifest, "[package]", "version").unwrap();
    assert_eq!(
        manifest_value(&marker_manifest, "[package]", "version").as_deref(),
        Some(version.as_str()),
        "{MARKER_DIR}'s version must be xencall's"
    );
    assert_eq!(
        manifest_value(&marker_manifest, "[package]", "links").as_deref(),
        Some("\"xencall\"")
    );
    assert_eq!(
        manifest_value(&crate_manifest, "[package]", "links"),
        None,
        "xencall itself must not claim `links`: that would apply without rt too"
    );
    let dependency = manifest_value(&crate_manifest, "[dependencies]", MARKER_DIR).unwrap();
    let pinned = format!("version = \"={}\"", version.trim_matches('"'));
    assert!(
        dependency.contains(&pinned) && dependency.contains("optional = true"),
        "the marker dependency must be optional and pinned with `{pinned}`: {dependency}"
    );
    let features = |name: &str| manifest_value(&crate_manifest, "[features]", name).unwrap();
    for feature in ["rt", "c-api"] {
        assert!(
            features(feature).contains(&format!("\"dep:{MARKER_DIR}\"")),
            "feature {feature} must enable the marker"
        );
    }
}
