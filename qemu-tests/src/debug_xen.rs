//! A debug build of Xen (`CONFIG_DEBUG=y`), made once from Debian's source
//! package into `<cache>/xen/<release key>/`: a debug Xen poisons the
//! argument registers a hypercall used, scribbles over multicall entries
//! and checks its own assertions, the strongest test of the crate's
//! clobber and ABI claims.
//!
//! The source comes from the suite's `deb-src` (a private apt, see
//! [`apt`](crate::apt)): the upstream tarball, built as Xen's own build
//! documents it: `make -C xen defconfig`, `CONFIG_DEBUG=y`,
//! `make -C xen olddefconfig`, `make -C xen`. x86_64 only (see
//! [`XenRelease::arches`]).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use crate::apt::PrivateApt;
use crate::setup::{self, capture, Need};
use crate::target::{Arch, XenRelease};

/// What the build needs beyond a C compiler.
const NEEDS: [Need; 4] = [
    Need {
        what: "flex",
        package: "flex",
    },
    Need {
        what: "bison",
        package: "bison",
    },
    Need {
        what: "make",
        package: "make",
    },
    Need {
        what: "python3",
        package: "python3",
    },
];

/// Build `release`'s hypervisor for `arch` into `out` (once: `out` is
/// written only when the build succeeded). Its log is `build.log` beside
/// the source.
pub fn build(release: XenRelease, arch: Arch, cache: &Path, out: &Path) -> Result<PathBuf, String> {
    if arch != Arch::X86_64 {
        return Err(format!("{}: x86_64 only", release.test_name()));
    }
    setup::provide(&NEEDS)?;
    let dir = cache.join("xen").join(release.key());
    let source = unpacked_source(release, cache, &dir)?;
    let start = Instant::now();
    eprintln!(
        "cargo-xencall: building {} from {} (about a minute, once)",
        release.test_name(),
        source.display()
    );
    let log = dir.join("build.log");
    let mut text = String::new();
    let mut step = |args: &[&str]| -> Result<(), String> {
        let (ok, output) = capture(
            Command::new("make")
                .arg("-C")
                .arg(source.join("xen"))
                .args(args),
        );
        text.push_str(&output);
        let _ = fs::write(&log, &text);
        if ok {
            Ok(())
        } else {
            Err(format!(
                "make {} failed (log: {}):\n{}",
                args.join(" "),
                log.display(),
                crate::protocol::tail(&output, 20).join("\n")
            ))
        }
    };
    step(&["defconfig"])?;
    let config = source.join("xen/.config");
    let text_config =
        fs::read_to_string(&config).map_err(|e| format!("read {}: {e}", config.display()))?;
    fs::write(&config, with_debug(&text_config))
        .map_err(|e| format!("write {}: {e}", config.display()))?;
    step(&["olddefconfig"])?;
    let after =
        fs::read_to_string(&config).map_err(|e| format!("read {}: {e}", config.display()))?;
    if !after.lines().any(|l| l == "CONFIG_DEBUG=y") {
        return Err(format!(
            "{}: CONFIG_DEBUG=y did not survive olddefconfig",
            config.display()
        ));
    }
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get());
    step(&[&format!("-j{jobs}")])?;
    let built = source.join("xen/xen");
    let partial = out.with_extension("partial");
    fs::create_dir_all(out.parent().unwrap_or(Path::new(".")))
        .map_err(|e| format!("create {}: {e}", out.display()))?;
    fs::copy(&built, &partial).map_err(|e| format!("copy {}: {e}", built.display()))?;
    fs::rename(&partial, out).map_err(|e| format!("rename {}: {e}", partial.display()))?;
    eprintln!(
        "cargo-xencall: built {} in {:.0} s: {}",
        release.test_name(),
        start.elapsed().as_secs_f64(),
        out.display()
    );
    Ok(out.to_path_buf())
}

/// `.config` with `CONFIG_DEBUG=y` in place of whatever it said.
pub fn with_debug(config: &str) -> String {
    let mut lines: Vec<&str> = config
        .lines()
        .filter(|l| !l.starts_with("CONFIG_DEBUG=") && *l != "# CONFIG_DEBUG is not set")
        .collect();
    lines.push("CONFIG_DEBUG=y");
    lines.join("\n") + "\n"
}

/// The upstream source of the suite's `xen` package, downloaded and
/// unpacked under `dir/src/` once; its top directory.
fn unpacked_source(release: XenRelease, cache: &Path, dir: &Path) -> Result<PathBuf, String> {
    let src = dir.join("src");
    if let Some(top) = top_dir(&src) {
        return Ok(top);
    }
    let download = dir.join("download");
    fs::create_dir_all(&download).map_err(|e| format!("create {}: {e}", download.display()))?;
    let orig = |d: &Path| -> Option<PathBuf> {
        fs::read_dir(d)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.to_string_lossy().contains(".orig.tar."))
    };
    if orig(&download).is_none() {
        let apt = PrivateApt::new(cache, release.suite())?;
        apt.source("xen", &download)?;
    }
    let tarball =
        orig(&download).ok_or_else(|| format!("no .orig.tar.* in {}", download.display()))?;
    let partial = dir.join("src.partial");
    let _ = fs::remove_dir_all(&partial);
    fs::create_dir_all(&partial).map_err(|e| format!("create {}: {e}", partial.display()))?;
    setup::run_loud(
        Command::new("tar")
            .arg("-xf")
            .arg(&tarball)
            .arg("-C")
            .arg(&partial),
    )?;
    fs::rename(&partial, &src).map_err(|e| format!("rename {}: {e}", partial.display()))?;
    top_dir(&src).ok_or_else(|| format!("{} holds no xen/ source", src.display()))
}

/// The one directory under `src` holding `xen/Makefile`.
fn top_dir(src: &Path) -> Option<PathBuf> {
    fs::read_dir(src)
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.join("xen/Makefile").is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_replaces_what_the_config_said() {
        let c = "CONFIG_X=y\n# CONFIG_DEBUG is not set\nCONFIG_Y=m\n";
        assert_eq!(with_debug(c), "CONFIG_X=y\nCONFIG_Y=m\nCONFIG_DEBUG=y\n");
        assert_eq!(with_debug("CONFIG_DEBUG=n\n"), "CONFIG_DEBUG=y\n");
    }
}
