//! Every public function has an example in its doc comment.
//!
//! Why this exists: rustdoc's coverage report (checked by `cargo run -p
//! qemu-tests -- test --filter doc-examples`) does not count the methods of
//! types that live in private modules and are re-exported with `pub use`
//! (`buffers::Arena`, `arch::x86_64::Native`, ...), so those methods could
//! lose, or never get, an example without that check noticing.
//!
//! This is a plain text scan, deliberately simple: in `src/**/*.rs` and
//! `arch/**/*.rs` (but not `arch/*/rt/`, the crate-private boot code, and
//! not `#[cfg(test)]` modules), every line declaring a `pub fn`,
//! `pub const fn`, `pub unsafe fn` or `pub const unsafe fn` (not
//! `pub(crate)`/`pub(super)`, not `extern "C"`) must be preceded by a `///`
//! doc block containing a code fence. Exempt, as rustdoc does not show
//! them: functions marked `#[doc(hidden)]` or `#[cfg(test)]`, and the files
//! of `#[doc(hidden)]` modules listed in [`HIDDEN_MODULES`].

use std::fs;
use std::path::{Path, PathBuf};

/// Files of `#[doc(hidden)]` public modules: public only so that the
/// crate's exported macros can reach them, not part of the documented API.
const HIDDEN_MODULES: &[&str] = &[
    // `#[doc(hidden)] pub mod conformance` in src/abi/mod.rs: the helpers
    // behind `abi_layout!` and the tables of tests/abi_conformance.rs.
    "src/abi/conformance.rs",
];

/// `.rs` files under `dir`, recursively, sorted; `arch/*/rt/` left out.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<PathBuf> = fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            let is_arch_rt = path.file_name().is_some_and(|n| n == "rt")
                && path
                    .parent()
                    .and_then(Path::parent)
                    .and_then(Path::file_name)
                    .is_some_and(|n| n == "arch");
            if !is_arch_rt {
                rust_files(&path, out);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The function name if `line` defines a public (not restricted-visibility)
/// Rust-ABI function: `pub [const] [unsafe] fn name`. A declaration without
/// a body (ending in `;`, as in an `extern` block) is not one.
fn public_fn_name(line: &str) -> Option<&str> {
    if line.trim_end().ends_with(';') {
        return None;
    }
    let mut rest = line.trim_start().strip_prefix("pub ")?;
    for qualifier in ["const ", "unsafe "] {
        if let Some(r) = rest.strip_prefix(qualifier) {
            rest = r;
        }
    }
    let rest = rest.strip_prefix("fn ")?;
    let end = rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// What the lines directly above line `at` say about its example:
/// `Some(true)` if the `///` block has a code fence, `Some(false)` if not,
/// `None` if the item is exempt (`#[doc(hidden)]` or `#[cfg(test)]`).
/// Attributes, which may span several lines, are stepped over.
fn doc_block_has_fence(lines: &[&str], at: usize) -> Option<bool> {
    let mut has_fence = false;
    let mut in_attribute = false;
    let mut i = at;
    while i > 0 {
        i -= 1;
        let line = lines[i].trim();
        if let Some(doc) = line.strip_prefix("///") {
            in_attribute = false;
            has_fence |= doc.trim_start().starts_with("```");
        } else if line.starts_with("#[") {
            in_attribute = false;
            if line == "#[doc(hidden)]" || line == "#[cfg(test)]" {
                return None;
            }
        } else if line.ends_with(']') {
            // The last line of a multi-line attribute: skip up to its `#[`.
            in_attribute = true;
        } else if !in_attribute {
            break;
        }
    }
    Some(has_fence)
}

/// Every undocumented-by-example public function in `text`, as
/// `path:line: fn name`.
fn missing_examples(path: &str, text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut missing = Vec::new();
    // Closing line (indentation + `}`) of the `#[cfg(test)]` module we are
    // in, if any.
    let mut test_module_end: Option<String> = None;
    for (n, line) in lines.iter().enumerate() {
        if let Some(end) = &test_module_end {
            if line == end {
                test_module_end = None;
            }
            continue;
        }
        if line.trim() == "#[cfg(test)]" {
            let next = lines.get(n + 1).map_or("", |l| l.trim());
            let is_module = next.starts_with("mod ") || next.contains(" mod ");
            if is_module && next.ends_with('{') {
                let indent = &line[..line.len() - line.trim_start().len()];
                test_module_end = Some(format!("{indent}}}"));
            }
            continue;
        }
        if let Some(name) = public_fn_name(line) {
            if doc_block_has_fence(&lines, n) == Some(false) {
                missing.push(format!("{path}:{}: fn {name}", n + 1));
            }
        }
    }
    missing
}

#[test]
fn every_public_fn_has_a_doc_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    rust_files(&root.join("src"), &mut files);
    rust_files(&root.join("arch"), &mut files);
    assert!(files.len() > 20, "found only {} source files", files.len());
    let mut missing = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = fs::read_to_string(file).unwrap();
        let rel = file.strip_prefix(root).unwrap().display().to_string();
        if HIDDEN_MODULES.contains(&rel.as_str()) {
            continue;
        }
        checked += text.lines().filter(|l| public_fn_name(l).is_some()).count();
        missing.extend(missing_examples(&rel, &text));
    }
    assert!(checked > 50, "found only {checked} public functions");
    assert!(
        missing.is_empty(),
        "{} of {checked} public functions have no example (a ``` block in \
         their /// doc comment):\n{}",
        missing.len(),
        missing.join("\n")
    );
}

#[test]
fn the_scan_sees_what_it_should() {
    let text = "\
/// Documented.
///
/// ```
/// assert!(true);
/// ```
#[inline]
#[cfg(any(
    unix,
    windows
))]
pub fn with_example() {}

/// No example.
#[must_use]
pub const unsafe fn without_example() {}

pub(crate) fn restricted() {}
pub extern \"C\" fn c_abi() {}
extern \"C\" {
    pub fn declared() -> i32;
}
#[doc(hidden)]
pub fn hidden() {}

#[cfg(test)]
mod tests {
    pub fn in_tests() {}
}
pub fn undocumented() {}
";
    assert_eq!(
        missing_examples("x.rs", text),
        ["x.rs:15: fn without_example", "x.rs:29: fn undocumented"]
    );
}
