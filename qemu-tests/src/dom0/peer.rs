//! dom0's C programs: `libxencall-bench` (`libxencall-bench.c`, the
//! libxencall side of `cargo qemu bench`) and, described here,
//! `domu-peer` (`peer.c`): dom0's program for the domU cases that need a
//! real peer (an event channel in both directions, a transaction it makes
//! conflict, the grant handshake), built for the dom0's architecture
//! against the Xen libraries of the unpacked dom0 packages, so that it
//! loads the very `libxenevtchn`, `libxengnttab` and `libxenstore` the
//! initramfs carries (the harness copies them by `DT_NEEDED`). The headers
//! are libxen-dev's in `/usr/include` (the same on every architecture:
//! `xen/xen.h` picks the architecture's part by the compiler's macros).
//!
//! x86_64: the host's C compiler. arm64: Debian's cross compiler
//! (`gcc-aarch64-linux-gnu` with `libc6-dev-arm64-cross`), installed with
//! apt-get when the runner is root on Debian, as QEMU is.

use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::assets::Assets;
use super::release::triplet;
use crate::setup;
use crate::target::Arch;

/// A C program for the dom0, built as `domu-peer` is.
pub struct Program {
    /// Its name beside the dom0 script (and its build directory's).
    pub file: &'static str,
    pub source: &'static str,
    /// The libraries it links, by soname.
    pub libraries: &'static [&'static str],
}

/// `domu-peer`.
pub const PEER: Program = Program {
    file: "domu-peer",
    source: include_str!("peer.c"),
    libraries: &["libxenevtchn.so.1", "libxengnttab.so.1", "libxenstore.so.4"],
};

/// `libxencall-bench` (`cargo qemu bench`'s libxencall side).
pub const LIBXENCALL_BENCH: Program = Program {
    file: "libxencall-bench",
    source: include_str!("libxencall-bench.c"),
    libraries: &["libxencall.so.1"],
};

/// The peer's name beside the dom0 script.
pub const FILE: &str = PEER.file;

/// libxen-dev's headers the program includes (and those they include).
const HEADERS: &[&str] = &[
    "xencall.h",
    "xenevtchn.h",
    "xengnttab.h",
    "xenstore.h",
    "xenstore_lib.h",
    "xentoollog.h",
    "xs.h",
    "xs_lib.h",
    "xen",
];

/// Whether the peer runs on `arch`'s dom0 (both: x86_64 with the host's
/// compiler, arm64 with Debian's cross compiler).
pub fn supported(arch: Arch) -> bool {
    matches!(arch, Arch::X86_64 | Arch::Aarch64)
}

/// The C compiler for `arch`, and the Debian packages that provide it.
fn compiler(arch: Arch) -> (&'static str, &'static [&'static str]) {
    match arch {
        Arch::X86_64 => ("gcc", &["gcc", "libc6-dev"]),
        Arch::Aarch64 => (
            "aarch64-linux-gnu-gcc",
            &["gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross"],
        ),
    }
}

/// Find (or, as root on Debian, install) the compiler for `arch`.
fn find_compiler(arch: Arch) -> Result<PathBuf, String> {
    let (cc, packages) = compiler(arch);
    if let Some(path) = setup::in_path(cc) {
        return Ok(path);
    }
    let command = format!(
        "apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    );
    if setup::is_root() && setup::is_debian() {
        setup::apt_install(packages)?;
        return setup::in_path(cc).ok_or_else(|| format!("{cc} still missing after `{command}`"));
    }
    Err(format!(
        "{cc} not found: dom0's domu-peer is built with it (`sudo {command}` on Debian/Ubuntu)"
    ))
}

/// A directory holding only libxen-dev's headers (as links), so that a
/// cross compiler sees them without the host's C library headers.
fn header_dir(dir: &Path) -> Result<PathBuf, String> {
    let include = dir.join("include");
    let _ = fs::remove_dir_all(&include);
    fs::create_dir_all(&include).map_err(|e| format!("{}: {e}", include.display()))?;
    for h in HEADERS {
        let from = Path::new("/usr/include").join(h);
        if !from.exists() {
            return Err(format!(
                "{} is missing: dom0's domu-peer needs libxen-dev's headers \
                 (`apt-get install libxen-dev`)",
                from.display()
            ));
        }
        symlink(&from, include.join(h)).map_err(|e| format!("link {}: {e}", from.display()))?;
    }
    Ok(include)
}

/// The compiler's command for `assets`'s architecture: `program`'s source,
/// written into `dir` as `<file>.c`, linked into `out` against the
/// unpacked tree's libraries.
pub fn command(
    cc: &Path,
    program: &Program,
    assets: &Assets,
    include: &Path,
    dir: &Path,
    out: &Path,
) -> Command {
    let libs = assets
        .tree
        .join(format!("usr/lib/{}", triplet(assets.arch)));
    let mut cmd = setup::clean_command(cc);
    cmd.args(["-O2", "-Wall", "-Wextra", "-Werror", "-o"])
        .arg(out)
        .arg(dir.join(format!("{}.c", program.file)))
        .arg("-I")
        .arg(include)
        .arg("-L")
        .arg(&libs)
        .arg(format!("-Wl,-rpath-link,{}", libs.display()))
        // The tree's libraries may need a newer glibc than the build
        // machine's (trixie's libxenstore wants GLIBC_2.38 symbols, bookworm
        // has 2.36): the dom0 that runs the program has it, so those
        // references are left for its loader.
        .arg("-Wl,--allow-shlib-undefined");
    for lib in program.libraries {
        cmd.arg(format!("-l:{lib}"));
    }
    cmd
}

/// Build `program` for `assets.arch` into the dom0 cache directory.
pub fn build(assets: &Assets, program: &Program) -> Result<PathBuf, String> {
    let cc = find_compiler(assets.arch)?;
    let dir = assets.dir.join(program.file);
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let source = dir.join(format!("{}.c", program.file));
    fs::write(&source, program.source).map_err(|e| format!("{}: {e}", source.display()))?;
    let include = header_dir(&dir)?;
    let out = dir.join(program.file);
    let mut cmd = command(&cc, program, assets, &include, &dir, &out);
    let (ok, output) = setup::capture(&mut cmd);
    if !ok {
        return Err(format!(
            "building dom0's {} for {} failed: {cmd:?}\n{output}",
            program.file,
            assets.arch.name()
        ));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_peer_reports_every_check_the_cases_expect() {
        for check in super::super::PEER_CHECKS {
            assert!(
                PEER.source.contains(&format!("check(\"{check}\"")),
                "peer.c never reports {check}"
            );
        }
    }

    #[test]
    fn links_the_unpacked_libraries() {
        let assets = Assets {
            arch: Arch::Aarch64,
            release: &super::super::release::XEN_4_17,
            dir: "/c".into(),
            log_dir: "/c/logs".into(),
            tree: "/c/tree".into(),
            xen: "/c/xen".into(),
            kernel: "/c/Image".into(),
            kernel_release: "6.1.0-57-arm64".into(),
            versions: String::new(),
        };
        let cmd = command(
            Path::new("/usr/bin/aarch64-linux-gnu-gcc"),
            &LIBXENCALL_BENCH,
            &assets,
            Path::new("/c/peer/include"),
            Path::new("/c/peer"),
            Path::new("/c/peer/domu-peer"),
        );
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        let line = args.join(" ");
        assert!(
            line.contains("-L /c/tree/usr/lib/aarch64-linux-gnu"),
            "{line}"
        );
        assert!(line.contains("-l:libxencall.so.1"), "{line}");
        assert!(line.contains("/c/peer/libxencall-bench.c"), "{line}");
        assert!(line.contains("-I /c/peer/include"), "{line}");
    }
}
