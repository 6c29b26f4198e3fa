//! The C drop-in as a library of its own: `libxencall.a`, the crate's C
//! API without the boot runtime (`examples/c-drop-in`), for C runtimes
//! that boot themselves. Built per architecture into
//! `target/drop-in/<arch>/libxencall.a` and checked:
//!
//! * its strong global symbols are exactly the functions the system's
//!   `xencall.h` declares (plus the x86 hypercall page), so it cannot clash
//!   with the C code it is linked into. Rust's own symbols are mangled; the
//!   unmangled ones the compiler adds to every staticlib (its builtins,
//!   its panic entry, which differ from one version to the next) are
//!   learnt from a staticlib without xencall built by the same toolchain
//!   (`qemu-tests/fixtures/symbol-baseline`), not listed;
//! * `__errno_location` is weak;
//! * C code calling every function of the header links against it alone,
//!   both with the library's errno and with a C library's own (which must
//!   win without a duplicate-symbol error).

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::c_guest;
use crate::dirs;
use crate::guests;
use crate::setup::{self, capture, Need};
use crate::target::Arch;
use crate::toolchain::Toolchain;

/// The example that is the library.
pub const EXAMPLE: &str = guests::C_DROP_IN;

/// Symbols the library defines beyond the header's functions.
fn extra_symbols(arch: Arch) -> &'static [&'static str] {
    match arch {
        // Xen fills the page; PV kernels name it in their ELF note.
        Arch::X86_64 => &["xencall_hypercall_page"],
        Arch::Aarch64 => &[],
    }
}

/// Build `libxencall.a` for `arch`; its path.
pub fn build(arch: Arch) -> Result<PathBuf, String> {
    let built = guests::build_example(arch, EXAMPLE, "c-api", true)?
        .join(format!("lib{}.a", EXAMPLE.replace('-', "_")));
    let dir = dirs::target_dir().join("drop-in").join(arch.name());
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let lib = dir.join("libxencall.a");
    fs::copy(&built, &lib).map_err(|e| format!("{} -> {}: {e}", built.display(), lib.display()))?;
    Ok(lib)
}

/// The fixture crate that shows what the compiler alone defines.
const BASELINE: &str = "qemu-tests/fixtures/symbol-baseline";

/// Build the baseline staticlib for `arch` with the toolchain that builds
/// the library; the unmangled globals it defines besides its own
/// function: the compiler's, allowed in `libxencall.a` too.
pub fn compiler_symbols(arch: Arch) -> Result<BTreeSet<String>, String> {
    let triple = arch.triple();
    let toolchain = Toolchain::select(triple)?;
    let root = dirs::source_tree();
    // The guests' build directory: core and alloc, built from source
    // with the same flags, are shared with them.
    let target_dir = guests::guest_target_dir();
    let mut cmd = toolchain.cargo("build", triple);
    cmd.current_dir(root)
        .arg("--release")
        .arg("--manifest-path")
        .arg(root.join(BASELINE).join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    guests::run_build(&mut cmd, &format!("{BASELINE} for {triple}"), true)?;
    let lib = target_dir
        .join(triple)
        .join("release/libxencall_symbol_baseline.a");
    Ok(globals(&lib)?
        .into_iter()
        .filter(|(k, n)| is_strong(*k) && !is_rust_internal(n) && n != "xencall_symbol_baseline")
        .map(|(_, n)| n)
        .collect())
}

/// The functions a `xencall.h` declares.
pub fn header_functions(header: &str) -> BTreeSet<String> {
    let mut names = BTreeSet::new();
    let mut in_comment = false;
    for line in header.lines() {
        let mut code = String::new();
        let mut rest = line;
        while !rest.is_empty() {
            if in_comment {
                match rest.find("*/") {
                    Some(i) => {
                        in_comment = false;
                        rest = &rest[i + 2..];
                    }
                    None => rest = "",
                }
            } else {
                match rest.find("/*") {
                    Some(i) => {
                        code.push_str(&rest[..i]);
                        in_comment = true;
                        rest = &rest[i + 2..];
                    }
                    None => {
                        code.push_str(rest);
                        rest = "";
                    }
                }
            }
        }
        let code = code.trim_start();
        // Declarations start in column 0 with their return type; typedefs
        // and preprocessor lines name no function.
        if code.starts_with('#')
            || code.starts_with("typedef")
            || line.starts_with(char::is_whitespace)
        {
            continue;
        }
        if let Some(paren) = code.find('(') {
            let name: String = code[..paren]
                .trim_end()
                .chars()
                .rev()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            if name.starts_with("xencall") {
                names.insert(name);
            }
        }
    }
    names
}

/// A symbol table line: (type letter, name) of each defined global symbol
/// in `nm -g --defined-only` output.
fn defined_globals(nm_output: &str) -> Vec<(char, String)> {
    nm_output
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace().rev();
            let name = f.next()?;
            let kind = f.next()?.chars().next()?;
            (kind.is_ascii_alphabetic() && !l.ends_with(':')).then(|| (kind, name.to_string()))
        })
        .collect()
}

/// Whether a symbol name is in Rust's mangling schemes (legacy `_ZN`, v0
/// `_R`) or one of LLVM's private `anon.<hash>` labels: no C name can be.
fn is_rust_internal(name: &str) -> bool {
    name.starts_with("_ZN") || name.starts_with("_R") || name.starts_with("anon.")
}

/// Whether an `nm` type letter is a strong definition (not weak).
fn is_strong(kind: char) -> bool {
    !matches!(kind, 'W' | 'w' | 'V' | 'v')
}

fn nm() -> Result<Command, String> {
    let find = || ["llvm-nm", "nm"].iter().find_map(|t| setup::in_path(t));
    if find().is_none() {
        setup::provide(&[Need {
            what: "nm",
            package: "binutils",
        }])?;
    }
    find()
        .map(Command::new)
        .ok_or_else(|| "no nm: apt-get install binutils (or llvm)".to_string())
}

fn globals(file: &Path) -> Result<Vec<(char, String)>, String> {
    let mut cmd = nm()?;
    cmd.args(["-g", "--defined-only"]).arg(file);
    let (ok, out) = capture(&mut cmd);
    if !ok {
        return Err(format!("{cmd:?} failed:\n{out}"));
    }
    Ok(defined_globals(&out))
}

/// Compare the library's strong globals with what the header declares
/// (and `extra`, and what the `compiler` defines in every staticlib);
/// every difference, or nothing.
pub fn symbol_problems(
    globals: &[(char, String)],
    header: &BTreeSet<String>,
    extra: &[&str],
    compiler: &BTreeSet<String>,
) -> Vec<String> {
    let strong: BTreeSet<&str> = globals
        .iter()
        .filter(|(k, n)| is_strong(*k) && !is_rust_internal(n) && !compiler.contains(n))
        .map(|(_, n)| n.as_str())
        .collect();
    let mut problems = Vec::new();
    for f in header {
        if !strong.contains(f.as_str()) {
            problems.push(format!(
                "xencall.h declares {f}, the library does not define it"
            ));
        }
    }
    for s in &strong {
        // __errno_location has its own check below.
        if !header.contains(*s) && !extra.contains(s) && *s != "__errno_location" {
            problems.push(format!(
                "the library defines {s}, which xencall.h does not declare"
            ));
        }
    }
    match globals.iter().find(|(_, n)| n == "__errno_location") {
        Some(('W' | 'w', _)) => {}
        Some((k, _)) => problems.push(format!(
            "__errno_location is `{k}`, not weak: it would clash with a C library's"
        )),
        None => problems.push("the library does not define __errno_location".into()),
    }
    problems
}

/// Link the check program against `lib`, with or without its own errno;
/// the linked file's globals.
fn link_check(arch: Arch, lib: &Path, own_errno: bool) -> Result<Vec<(char, String)>, String> {
    let root = dirs::source_tree();
    let dir = lib.parent().unwrap_or(Path::new("."));
    let tag = if own_errno { "own-errno" } else { "lib-errno" };
    let object = dir.join(format!("link-check-{tag}.o"));
    let out = dir.join(format!("link-check-{tag}"));
    let defines: &[&str] = if own_errno { &["-DOWN_ERRNO"] } else { &[] };
    c_guest::compile(
        arch,
        &root.join("examples/c-drop-in/link-check.c"),
        &object,
        defines,
    )?;
    let mut ld = c_guest::linker()?;
    // -static: an undefined symbol is an error; nothing but the C file
    // and the library is offered.
    ld.args(["-static", "-e", "xencall_link_check", "--gc-sections", "-o"])
        .arg(&out)
        .arg(&object)
        .arg(lib);
    c_guest::run(&mut ld, &format!("linking the C check ({tag})"))?;
    globals(&out)
}

/// Build and check `libxencall.a` for `arch`; a summary line.
pub fn check(arch: Arch) -> Result<String, String> {
    let header_path = c_guest::include_dir().join("xencall.h");
    let header = fs::read_to_string(&header_path).map_err(|e| {
        format!(
            "{}: {e} (apt-get install libxen-dev)",
            header_path.display()
        )
    })?;
    let declared = header_functions(&header);
    if declared.len() < 10 {
        return Err(format!(
            "found only {declared:?} in {}: not libxencall's header?",
            header_path.display()
        ));
    }
    let lib = build(arch)?;
    let compiler = compiler_symbols(arch)?;
    let problems = symbol_problems(&globals(&lib)?, &declared, extra_symbols(arch), &compiler);
    if !problems.is_empty() {
        return Err(problems.join("\n"));
    }
    for own_errno in [false, true] {
        let linked = link_check(arch, &lib, own_errno)?;
        let errno = linked.iter().find(|(_, n)| n == "__errno_location");
        // The C library's definition is strong; the library's is weak.
        let expected_weak = !own_errno;
        match errno {
            Some((k, _)) if matches!(k, 'W' | 'w') == expected_weak => {}
            other => {
                return Err(format!(
                    "linked {} the C file's errno, __errno_location is {other:?}",
                    if own_errno { "with" } else { "without" }
                ))
            }
        }
    }
    Ok(format!(
        "{}: the {} functions of xencall.h, weak __errno_location; links with and without a C library's errno",
        lib.display(),
        declared.len()
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "\
/* xencall_fake(int) in a comment */
typedef struct xencall_handle xencall_handle;
xencall_handle *xencall_open(struct xentoollog_logger *logger,
                             unsigned open_flags);
int xencall2(xencall_handle *xcall, unsigned int op,
             uint64_t arg1, uint64_t arg2);
 * int xencall_in_a_block_comment(void);
#define XENCALL_OPENFLAG_NON_REENTRANT (1U << 0)
";

    #[test]
    fn header_functions_are_the_declarations_only() {
        let names: Vec<String> = header_functions(HEADER).into_iter().collect();
        assert_eq!(names, ["xencall2", "xencall_open"]);
    }

    #[test]
    fn symbol_problems_name_missing_extra_and_strong_errno() {
        let header = header_functions(HEADER);
        let ok = vec![
            ('T', "xencall_open".to_string()),
            ('T', "xencall2".to_string()),
            ('W', "__errno_location".to_string()),
            ('W', "memcpy".to_string()),
            ('T', "_ZN4core3fmt5write17h0123E".to_string()),
        ];
        let none = BTreeSet::new();
        assert!(symbol_problems(&ok, &header, &[], &none).is_empty());

        let mut bad = ok.clone();
        bad.retain(|(_, n)| n != "xencall2");
        bad.push(('T', "memset".to_string()));
        bad.iter_mut()
            .filter(|(_, n)| n == "__errno_location")
            .for_each(|(k, _)| *k = 'T');
        let p = symbol_problems(&bad, &header, &[], &none);
        assert_eq!(p.len(), 3, "{p:?}");
        assert!(p[0].contains("xencall2"));
        assert!(p.iter().any(|m| m.contains("memset")));
        assert!(p.iter().any(|m| m.contains("not weak")));
    }

    #[test]
    fn the_compilers_own_symbols_are_learnt_not_listed() {
        // rustc 1.85 leaves these strong and unmangled; later ones do not.
        let header = header_functions(HEADER);
        let old_rustc = vec![
            ('T', "xencall_open".to_string()),
            ('T', "xencall2".to_string()),
            ('W', "__errno_location".to_string()),
            ('T', "rust_begin_unwind".to_string()),
            ('T', "__rust_probestack".to_string()),
        ];
        let p = symbol_problems(&old_rustc, &header, &[], &BTreeSet::new());
        assert_eq!(p.len(), 2, "{p:?}");
        // The same toolchain's empty staticlib defines them too: allowed.
        let compiler: BTreeSet<String> = ["rust_begin_unwind", "__rust_probestack"]
            .map(String::from)
            .into();
        assert!(symbol_problems(&old_rustc, &header, &[], &compiler).is_empty());
        // A C name the baseline does not define is still caught.
        let mut clash = old_rustc.clone();
        clash.push(('T', "malloc".to_string()));
        let p = symbol_problems(&clash, &header, &[], &compiler);
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p[0].contains("malloc"));
    }

    #[test]
    fn nm_lines_parse_with_and_without_addresses() {
        let out = "\nlib.o:\n0000000000000000 T xencall0\n                 W __errno_location\n";
        assert_eq!(
            defined_globals(out),
            [
                ('T', "xencall0".to_string()),
                ('W', "__errno_location".to_string())
            ]
        );
    }
}
