//! Finding, or fetching, what a boot needs: QEMU and Xen; and the system
//! packages the suite needs, installed with apt-get when run as root on
//! Debian. The package lists are refreshed (`apt-get update`) once, before
//! the first install or download: stale lists give stale packages.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use crate::target::{Arch, XenRelease};

/// Variables that `cargo run` and rustup set for this process and that
/// would steer a child cargo to the wrong toolchain or package.
fn leaks(name: &OsStr) -> bool {
    let Some(name) = name.to_str() else {
        return false;
    };
    const EXACT: &[&str] = &[
        "CARGO",
        "RUSTC",
        "RUSTDOC",
        "RUSTC_WRAPPER",
        "RUSTC_WORKSPACE_WRAPPER",
        "RUSTUP_TOOLCHAIN",
        "CARGO_ENCODED_RUSTFLAGS",
        "CARGO_MAKEFLAGS",
        "CARGO_PRIMARY_PACKAGE",
        "CARGO_CRATE_NAME",
        "CARGO_BIN_NAME",
        "CARGO_RUSTC_CURRENT_DIR",
        "CARGO_TARGET_TMPDIR",
        "CARGO_BUILD_TARGET",
        "OUT_DIR",
        "RUSTC_BOOTSTRAP",
    ];
    EXACT.contains(&name)
        || name.starts_with("CARGO_PKG_")
        || name.starts_with("CARGO_MANIFEST_")
        || name.starts_with("CARGO_BIN_EXE_")
        || name.starts_with("CARGO_CFG_")
        || name.starts_with("__CARGO")
}

/// A command with the leaked cargo/rustup variables removed.
pub fn clean_command(program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(program);
    for (name, _) in env::vars_os() {
        if leaks(&name) {
            cmd.env_remove(name);
        }
    }
    cmd
}

/// Run a command, return (success, stdout+stderr).
pub fn capture(cmd: &mut Command) -> (bool, String) {
    match cmd.stdin(Stdio::null()).output() {
        Ok(out) => {
            let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
            text.push_str(&String::from_utf8_lossy(&out.stderr));
            (out.status.success(), text)
        }
        Err(e) => (false, format!("cannot run {cmd:?}: {e}")),
    }
}

pub fn is_root() -> bool {
    let (ok, out) = capture(Command::new("id").arg("-u"));
    ok && out.trim() == "0"
}

pub fn is_debian() -> bool {
    Path::new("/etc/debian_version").exists()
}

/// Whether this process may install packages: root on Debian.
pub fn may_install() -> bool {
    is_root() && is_debian()
}

pub fn in_path(program: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Run `cmd` with its output on stderr (stdout may be a test report),
/// announcing it; Err on failure.
pub fn run_loud(cmd: &mut Command) -> Result<(), String> {
    eprintln!("cargo-xencall: running {cmd:?}");
    use std::os::fd::AsFd;
    let stderr = std::io::stderr()
        .as_fd()
        .try_clone_to_owned()
        .map(Stdio::from)
        .unwrap_or_else(|_| Stdio::inherit());
    match cmd.stdin(Stdio::null()).stdout(stderr).status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("{cmd:?} failed: {s}")),
        Err(e) => Err(format!("cannot run {cmd:?}: {e}")),
    }
}

/// apt-get with the options every run here wants: no questions, and a
/// wait for the package lock instead of failing when another apt holds it.
pub fn apt_get(args: &[&str]) -> Command {
    let mut cmd = Command::new("apt-get");
    cmd.args(["-o", "DPkg::Lock::Timeout=600"])
        .args(args)
        .env("DEBIAN_FRONTEND", "noninteractive");
    cmd
}

/// Whether `apt-get update` ran in this process (with the architectures
/// apt had then).
static UPDATED: Mutex<bool> = Mutex::new(false);

/// `apt-get update`, once per run, before the first install or download.
pub fn apt_update_once() -> Result<(), String> {
    let mut updated = UPDATED.lock().unwrap_or_else(|e| e.into_inner());
    if !*updated {
        run_loud(&mut apt_get(&["update"]))?;
        *updated = true;
    }
    Ok(())
}

/// `apt-get install` (after the run's `apt-get update`).
pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    apt_update_once()?;
    // --no-install-recommends: QEMU's recommends conflict on bookworm.
    let mut args = vec!["install", "-y", "--no-install-recommends"];
    args.extend_from_slice(packages);
    run_loud(&mut apt_get(&args))
}

/// Whether apt knows the arm64 architecture (for Xen's arm64 package).
fn has_arm64_architecture() -> bool {
    let (_, foreign) = capture(Command::new("dpkg").arg("--print-foreign-architectures"));
    foreign.split_whitespace().any(|a| a == "arm64")
}

/// Add arm64 to apt's architectures (root only); the lists are read again
/// if this run had already read them without it.
pub fn add_arm64_architecture() -> Result<(), String> {
    if has_arm64_architecture() {
        return Ok(());
    }
    run_loud(Command::new("dpkg").args(["--add-architecture", "arm64"]))?;
    // The new architecture's lists: now if this run's update already ran,
    // else at the update still to come.
    let updated = UPDATED.lock().unwrap_or_else(|e| e.into_inner());
    if *updated {
        run_loud(&mut apt_get(&["update"]))?;
    }
    Ok(())
}

/// Something a run needs from the system, and the Debian package that
/// provides it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Need {
    /// A program looked for on PATH, or an absolute path to a file.
    pub what: &'static str,
    pub package: &'static str,
}

impl Need {
    pub fn present(&self) -> bool {
        if self.what.starts_with('/') {
            Path::new(self.what).is_file()
        } else {
            in_path(self.what).is_some()
        }
    }
}

/// The needs not met, in order, each once.
fn missing(needs: &[Need]) -> Vec<Need> {
    let mut todo: Vec<Need> = Vec::new();
    for n in needs {
        if !todo.contains(n) && !n.present() {
            todo.push(*n);
        }
    }
    todo
}

/// The packages of `needs`, in order, each once.
fn packages(needs: &[Need]) -> Vec<&'static str> {
    let mut packages: Vec<&str> = Vec::new();
    for n in needs {
        if !packages.contains(&n.package) {
            packages.push(n.package);
        }
    }
    packages
}

/// What to tell a user who cannot have `missing` installed for them.
fn install_hint(missing: &[Need]) -> String {
    let names: Vec<&str> = missing.iter().map(|n| n.what).collect();
    let packages = packages(missing);
    format!(
        "missing {}: install {} (`sudo apt-get update && sudo apt-get install -y \
         --no-install-recommends {}` on Debian/Ubuntu)",
        names.join(", "),
        if packages.len() == 1 { "it" } else { "them" },
        packages.join(" ")
    )
}

/// Install, in one apt-get run, the packages of every missing need (when
/// root on Debian); otherwise, or if some are still missing, say how.
pub fn provide(needs: &[Need]) -> Result<(), String> {
    let todo = missing(needs);
    if todo.is_empty() {
        return Ok(());
    }
    if may_install() {
        let names: Vec<&str> = todo.iter().map(|n| n.what).collect();
        eprintln!(
            "cargo-xencall: missing {}: installing them",
            names.join(", ")
        );
        apt_install(&packages(&todo))?;
    }
    let still = missing(&todo);
    if still.is_empty() {
        Ok(())
    } else {
        Err(install_hint(&still))
    }
}

/// Both QEMUs: installed together, in one apt run.
pub const QEMU: [Need; 2] = [
    Need {
        what: "qemu-system-x86_64",
        package: "qemu-system-x86",
    },
    Need {
        what: "qemu-system-aarch64",
        package: "qemu-system-arm",
    },
];

/// The QEMU binary for `arch`: `XENCALL_QEMU_<ARCH>`, else PATH, else
/// installed with apt-get when root on Debian.
pub fn qemu(arch: Arch) -> Result<PathBuf, String> {
    let (var, name) = match arch {
        Arch::X86_64 => ("XENCALL_QEMU_X86_64", "qemu-system-x86_64"),
        Arch::Aarch64 => ("XENCALL_QEMU_AARCH64", "qemu-system-aarch64"),
    };
    if let Some(p) = env::var_os(var).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    if let Some(p) = in_path(name) {
        return Ok(p);
    }
    provide(&QEMU).map_err(|e| format!("{e}, or set {var}"))?;
    in_path(name).ok_or_else(|| format!("{name} still missing after installing it"))
}

/// The variable that names another Xen binary for `arch`.
pub fn xen_variable(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "XENCALL_XEN_X86_64",
        Arch::Aarch64 => "XENCALL_XEN_AARCH64",
    }
}

/// Where `release`'s binary for `arch` is cached under `cache`
/// (`<cache>/xen/<release key>/<debian arch>/boot/...`).
pub fn xen_cached(release: XenRelease, arch: Arch, cache: &Path) -> PathBuf {
    xen_root(release, arch, cache).join(release.boot_file(arch))
}

fn xen_root(release: XenRelease, arch: Arch, cache: &Path) -> PathBuf {
    cache.join("xen").join(release.key()).join(arch.debian())
}

/// The Xen binary of `release` for `arch`: for the default release
/// `XENCALL_XEN_<ARCH>` if set; else, fetched (or built) under `cache`
/// once: Debian's package of the release from the host's apt (its own
/// suite) or a private apt (another suite: [`apt`](crate::apt)), or the
/// debug build from Debian's source package ([`debug_xen`](crate::debug_xen)).
pub fn xen(arch: Arch, release: XenRelease, cache: &Path) -> Result<PathBuf, String> {
    let var = xen_variable(arch);
    if release == XenRelease::DEFAULT {
        if let Some(p) = env::var_os(var).filter(|p| !p.is_empty()) {
            return Ok(PathBuf::from(p));
        }
    }
    if !release.arches().contains(&arch) {
        return Err(format!(
            "{} is not available for {}",
            release.test_name(),
            arch.name()
        ));
    }
    let xen = xen_cached(release, arch, cache);
    if xen.is_file() {
        return Ok(xen);
    }
    if release.debug() {
        return crate::debug_xen::build(release, arch, cache, &xen);
    }
    let root = xen_root(release, arch, cache);
    let debs = root.with_file_name(format!("deb-{}", arch.debian()));
    fs::create_dir_all(&debs).map_err(|e| format!("create {}: {e}", debs.display()))?;
    let find_deb = || -> Option<PathBuf> {
        fs::read_dir(&debs)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension() == Some(OsStr::new("deb")))
    };
    let package = release.package(arch);
    if find_deb().is_none() {
        if is_debian() && crate::apt::host_suite() != release.suite() {
            let apt = crate::apt::PrivateApt::new(cache, release.suite())?;
            apt.download(std::slice::from_ref(&package), &debs)
                .map_err(|e| {
                    format!(
                        "{e}
downloading {package} from Debian {} failed",
                        release.suite()
                    )
                })?;
        } else {
            download_from_host_apt(arch, &package, &debs)?;
        }
    }
    let deb = find_deb().ok_or_else(|| format!("no .deb in {}", debs.display()))?;
    run_loud(Command::new("dpkg").arg("-x").arg(&deb).arg(&root))?;
    if release.gzipped(arch) {
        let mut gz = xen.as_os_str().to_owned();
        gz.push(".gz");
        let out = Command::new("gzip")
            .arg("-dc")
            .arg(&gz)
            .output()
            .map_err(|e| format!("gzip: {e}"))?;
        if !out.status.success() {
            return Err(format!("gzip -dc {} failed", Path::new(&gz).display()));
        }
        fs::write(&xen, out.stdout).map_err(|e| format!("write {}: {e}", xen.display()))?;
    }
    if xen.is_file() {
        Ok(xen)
    } else {
        Err(format!(
            "{} missing after extracting {}",
            xen.display(),
            deb.display()
        ))
    }
}

/// `apt-get download PACKAGE` into `debs` through the machine's own apt.
fn download_from_host_apt(arch: Arch, package: &str, debs: &Path) -> Result<(), String> {
    let var = xen_variable(arch);
    if may_install() {
        if arch == Arch::Aarch64 {
            add_arm64_architecture()?;
        }
        apt_update_once()?;
    } else if arch == Arch::Aarch64 && !has_arm64_architecture() {
        return Err(format!(
            "the arm64 Xen package needs the arm64 architecture in apt: run \
             `sudo dpkg --add-architecture arm64 && sudo apt-get update`, \
             or set {var} to a Xen arm64 Image"
        ));
    }
    let mut download = apt_get(&["download", package]);
    download.current_dir(debs);
    run_loud(&mut download).map_err(|e| {
        format!(
            "{e}\n`apt-get download {package}` failed{}: or set {var} to a Xen binary",
            if is_root() {
                ""
            } else {
                " (stale package lists? run `sudo apt-get update`)"
            }
        )
    })
}

/// The directory holding `xen/*.h`, the public headers of `release`: the
/// installed ones (`libxen-dev`) for the host suite's release; another
/// suite's `libxen-dev`, downloaded with a private apt and unpacked (not
/// installed) under `<cache>/xen/<version>/headers/`.
pub fn xen_headers(release: XenRelease, cache: &Path) -> Result<PathBuf, String> {
    if !is_debian() || crate::apt::host_suite() == release.suite() {
        return Ok(PathBuf::from("/usr/include"));
    }
    let root = cache.join("xen").join(release.version()).join("headers");
    let include = root.join("usr/include");
    if include.join("xen/xen.h").is_file() {
        return Ok(include);
    }
    let debs = root.with_file_name("deb-headers");
    fs::create_dir_all(&debs).map_err(|e| format!("create {}: {e}", debs.display()))?;
    let apt = crate::apt::PrivateApt::new(cache, release.suite())?;
    apt.download(&["libxen-dev".to_string()], &debs)?;
    let deb = fs::read_dir(&debs)
        .map_err(|e| format!("read {}: {e}", debs.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().contains("libxen-dev_"))
        .ok_or_else(|| format!("no libxen-dev .deb in {}", debs.display()))?;
    run_loud(Command::new("dpkg").arg("-x").arg(&deb).arg(&root))?;
    if include.join("xen/xen.h").is_file() {
        Ok(include)
    } else {
        Err(format!("{} has no xen/xen.h", deb.display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaked_variables() {
        for v in [
            "CARGO",
            "RUSTC",
            "RUSTUP_TOOLCHAIN",
            "CARGO_PKG_NAME",
            "CARGO_MANIFEST_DIR",
        ] {
            assert!(leaks(OsStr::new(v)), "{v}");
        }
        for v in [
            "PATH",
            "HOME",
            "CARGO_HOME",
            "RUSTUP_HOME",
            "CARGO_TARGET_DIR",
        ] {
            assert!(!leaks(OsStr::new(v)), "{v}");
        }
    }

    #[test]
    fn xen_is_cached_per_release_and_architecture() {
        let c = Path::new("/c");
        assert_eq!(
            xen_cached(XenRelease::Xen4_17, Arch::X86_64, c),
            Path::new("/c/xen/4.17/amd64/boot/xen-4.17-amd64")
        );
        assert_eq!(
            xen_cached(XenRelease::Xen4_17, Arch::Aarch64, c),
            Path::new("/c/xen/4.17/arm64/boot/xen-4.17-arm64")
        );
        assert_eq!(
            xen_cached(XenRelease::Xen4_20, Arch::X86_64, c),
            Path::new("/c/xen/4.20/amd64/boot/xen-4.20-amd64")
        );
        assert_eq!(
            xen_cached(XenRelease::Xen4_17Debug, Arch::X86_64, c),
            Path::new("/c/xen/4.17-debug/amd64/xen")
        );
        assert!(xen(Arch::Aarch64, XenRelease::Xen4_17Debug, c)
            .unwrap_err()
            .contains("not available for aarch64"));
    }

    #[test]
    fn missing_needs_name_their_packages() {
        let gone = Need {
            what: "/nonexistent/frobnicator.h",
            package: "libfrob-dev",
        };
        let gone2 = Need {
            what: "frobnicate-no-such-program",
            package: "frob",
        };
        let here = Need {
            what: "sh",
            package: "dash",
        };
        assert!(here.present() && !gone.present() && !gone2.present());
        let todo = missing(&[here, gone, gone2, gone]);
        assert_eq!(todo, [gone, gone2]);
        let gone3 = Need {
            what: "/nonexistent/frob.h",
            package: "libfrob-dev",
        };
        // One apt-get line names each package once.
        assert_eq!(packages(&[gone, gone2, gone3]), ["libfrob-dev", "frob"]);
        let hint = install_hint(&todo);
        assert!(
            hint.starts_with("missing /nonexistent/frobnicator.h, frobnicate-no-such-program"),
            "{hint}"
        );
        assert!(
            hint.contains("install -y --no-install-recommends libfrob-dev frob`"),
            "{hint}"
        );
        assert!(provide(&[here]).is_ok());
    }
}
