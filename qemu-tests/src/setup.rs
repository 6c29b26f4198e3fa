//! Finding (or fetching) what a boot needs: QEMU, Xen, a toolchain that
//! builds for the bare-metal targets.

use std::env;
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::Arch;

/// The workspace root (this package's parent directory).
pub fn workspace_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().unwrap_or(here).to_path_buf()
}

/// `target/` of the workspace (or `CARGO_TARGET_DIR`).
pub fn target_dir() -> PathBuf {
    match env::var_os("CARGO_TARGET_DIR") {
        Some(d) if !d.is_empty() => {
            let d = PathBuf::from(d);
            if d.is_absolute() {
                d
            } else {
                workspace_root().join(d)
            }
        }
        _ => workspace_root().join("target"),
    }
}

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

pub fn in_path(program: &str) -> Option<PathBuf> {
    let path = env::var_os("PATH")?;
    env::split_paths(&path)
        .map(|d| d.join(program))
        .find(|p| p.is_file())
}

/// Run `cmd` with inherited output, announcing it; Err on failure.
fn run_loud(cmd: &mut Command) -> Result<(), String> {
    eprintln!("cargo qemu: running {cmd:?}");
    match cmd.stdin(Stdio::null()).status() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("{cmd:?} failed: {s}")),
        Err(e) => Err(format!("cannot run {cmd:?}: {e}")),
    }
}

pub fn apt_install(packages: &[&str]) -> Result<(), String> {
    let mut cmd = Command::new("apt-get");
    cmd.args(["install", "-y", "--no-install-recommends"])
        .args(packages)
        .env("DEBIAN_FRONTEND", "noninteractive");
    if run_loud(&mut cmd).is_ok() {
        return Ok(());
    }
    // The package lists may be stale or missing (fresh container).
    run_loud(Command::new("apt-get").arg("update"))?;
    run_loud(&mut cmd)
}

/// The QEMU binary for `arch`: `XENCALL_QEMU_<ARCH>`, else PATH, else
/// installed with apt-get when root on Debian.
pub fn qemu(arch: Arch) -> Result<PathBuf, String> {
    let (var, program) = match arch {
        Arch::X86_64 => ("XENCALL_QEMU_X86_64", "qemu-system-x86_64"),
        Arch::Aarch64 => ("XENCALL_QEMU_AARCH64", "qemu-system-aarch64"),
    };
    if let Some(p) = env::var_os(var).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    if let Some(p) = in_path(program) {
        return Ok(p);
    }
    // Both at once: one apt run. Recommends conflict on Debian bookworm.
    let packages = ["qemu-system-x86", "qemu-system-arm"];
    let command = format!(
        "apt-get install -y --no-install-recommends {}",
        packages.join(" ")
    );
    if is_root() && is_debian() {
        apt_install(&packages)?;
        return in_path(program)
            .ok_or_else(|| format!("{program} still missing after `{command}`"));
    }
    Err(format!(
        "{program} not found: install it (`sudo {command}` on Debian/Ubuntu) or set {var}"
    ))
}

/// The Xen binary for `arch`: `XENCALL_XEN_<ARCH>`, else Debian's package
/// cached under `target/xen/`.
pub fn xen(arch: Arch) -> Result<PathBuf, String> {
    let (var, package, dir, file) = match arch {
        Arch::X86_64 => (
            "XENCALL_XEN_X86_64",
            "xen-hypervisor-4.17-amd64",
            "amd64",
            "boot/xen-4.17-amd64",
        ),
        Arch::Aarch64 => (
            "XENCALL_XEN_AARCH64",
            "xen-hypervisor-4.17-arm64:arm64",
            "arm64",
            "boot/xen-4.17-arm64",
        ),
    };
    if let Some(p) = env::var_os(var).filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let cache = target_dir().join("xen");
    let root = cache.join(dir);
    let xen = root.join(file);
    if xen.is_file() {
        return Ok(xen);
    }
    let debs = cache.join(format!("deb-{dir}"));
    fs::create_dir_all(&debs).map_err(|e| format!("create {}: {e}", debs.display()))?;
    let find_deb = || -> Option<PathBuf> {
        fs::read_dir(&debs)
            .ok()?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .find(|p| p.extension() == Some(OsStr::new("deb")))
    };
    if find_deb().is_none() {
        if arch == Arch::Aarch64 {
            let (_, foreign) = capture(Command::new("dpkg").arg("--print-foreign-architectures"));
            if !foreign.split_whitespace().any(|a| a == "arm64") {
                if is_root() {
                    run_loud(Command::new("dpkg").args(["--add-architecture", "arm64"]))?;
                    run_loud(Command::new("apt-get").arg("update"))?;
                } else {
                    return Err(format!(
                        "the arm64 Xen package needs the arm64 architecture in apt: run \
                         `sudo dpkg --add-architecture arm64 && sudo apt-get update`, \
                         or set {var} to a Xen arm64 Image"
                    ));
                }
            }
        }
        let mut download = Command::new("apt-get");
        download.args(["download", package]).current_dir(&debs);
        if let Err(e) = run_loud(&mut download) {
            // Stale lists: refresh once when we may.
            if !is_root() {
                return Err(format!(
                    "{e}\n`apt-get download {package}` failed: run `sudo apt-get update` first, \
                     or set {var} to a Xen binary"
                ));
            }
            run_loud(Command::new("apt-get").arg("update"))?;
            run_loud(&mut download)?;
        }
    }
    let deb = find_deb().ok_or_else(|| format!("no .deb in {}", debs.display()))?;
    run_loud(Command::new("dpkg").arg("-x").arg(&deb).arg(&root))?;
    if arch == Arch::X86_64 {
        let gz = root.join("boot/xen-4.17-amd64.gz");
        let out = Command::new("gzip")
            .arg("-dc")
            .arg(&gz)
            .output()
            .map_err(|e| format!("gzip: {e}"))?;
        if !out.status.success() {
            return Err(format!("gzip -dc {} failed", gz.display()));
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

/// How to build for a bare-metal target.
#[derive(Clone, Debug)]
pub struct Toolchain {
    /// Short description for messages.
    pub kind: &'static str,
    cargo: PathBuf,
    env: Vec<(String, String)>,
    build_std: bool,
}

const BUILD_STD: [&str; 2] = [
    "-Zbuild-std=core,alloc",
    "-Zbuild-std-features=compiler-builtins-mem",
];

fn env_key(triple: &str) -> String {
    triple.to_uppercase().replace('-', "_")
}

/// rustup's `rust-lld`, or `ld.lld` on PATH.
pub fn lld() -> Option<PathBuf> {
    let (ok, sysroot) = capture(clean_command("rustc").args(["--print", "sysroot"]));
    if ok {
        let p =
            PathBuf::from(sysroot.trim()).join("lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld");
        if p.is_file() {
            return Some(p);
        }
    }
    in_path("ld.lld")
}

impl Toolchain {
    /// Choose, in order: the rustup target; the active toolchain's
    /// rust-src with build-std; Debian's rustc-web with build-std;
    /// installing Debian's when root.
    pub fn select(triple: &str) -> Result<Toolchain, String> {
        if let Some(t) = Self::probe(triple) {
            return Ok(t);
        }
        if is_root() && is_debian() {
            eprintln!("cargo qemu: no toolchain builds {triple}: installing Debian's rustc-web");
            apt_install(&["rustc-web", "cargo-web", "rust-web-src", "lld"])?;
            if let Some(t) = Self::probe(triple) {
                return Ok(t);
            }
        }
        Err(format!(
            "no Rust toolchain here builds {triple}. Either\n  \
             rustup target add x86_64-unknown-none aarch64-unknown-none\nor (Debian)\n  \
             apt-get install rustc-web cargo-web rust-web-src lld"
        ))
    }

    fn probe(triple: &str) -> Option<Toolchain> {
        let (ok, installed) =
            capture(clean_command("rustup").args(["target", "list", "--installed"]));
        if ok && installed.lines().any(|l| l.trim() == triple) {
            return Some(Toolchain {
                kind: "rustup target",
                cargo: "cargo".into(),
                env: vec![],
                build_std: false,
            });
        }
        let (ok, sysroot) = capture(clean_command("rustc").args(["--print", "sysroot"]));
        let sysroot = PathBuf::from(sysroot.trim());
        if ok && sysroot.join("lib/rustlib/src/rust/library").is_dir() {
            let mut env = vec![("RUSTC_BOOTSTRAP".into(), "1".into())];
            // A distribution's rustc (Debian's, first on PATH) may lack
            // its own rust-lld.
            let own_lld = fs::read_dir(sysroot.join("lib/rustlib"))
                .into_iter()
                .flatten()
                .filter_map(|e| e.ok())
                .any(|e| e.path().join("bin/rust-lld").is_file());
            if !own_lld {
                env.push((
                    format!("CARGO_TARGET_{}_LINKER", env_key(triple)),
                    lld()?.display().to_string(),
                ));
            }
            return Some(Toolchain {
                kind: "active toolchain rust-src + build-std",
                cargo: "cargo".into(),
                env,
                build_std: true,
            });
        }
        let debian = Path::new("/usr/bin/rustc").is_file()
            && Path::new("/usr/bin/cargo").is_file()
            && Path::new("/usr/lib/rustlib/src/rust/library").is_dir();
        if debian {
            let mut env = vec![
                ("RUSTC".into(), "/usr/bin/rustc".into()),
                ("RUSTC_BOOTSTRAP".into(), "1".into()),
            ];
            // Debian's rustc has no rust-lld: the none targets' default
            // linker flavour is ld.lld's, so naming the linker suffices
            // (and leaves the config's target rustflags in force).
            let linker = lld()?;
            env.push((
                format!("CARGO_TARGET_{}_LINKER", env_key(triple)),
                linker.display().to_string(),
            ));
            return Some(Toolchain {
                kind: "Debian rustc-web + build-std",
                cargo: "/usr/bin/cargo".into(),
                env,
                build_std: true,
            });
        }
        None
    }

    /// `cargo <subcommand> --target <triple>` with this toolchain's
    /// environment and flags, run from the workspace root.
    pub fn cargo(&self, subcommand: &str, triple: &str) -> Command {
        let mut cmd = clean_command(&self.cargo);
        // Cargo finds its subcommands (`cargo-clippy`) on PATH: make it
        // find the ones beside this cargo, not another toolchain's.
        if let Some(dir) = self.cargo.parent().filter(|d| d.is_absolute()) {
            let path = env::var_os("PATH").unwrap_or_default();
            let mut dirs = vec![dir.to_path_buf()];
            dirs.extend(env::split_paths(&path));
            if let Ok(joined) = env::join_paths(dirs) {
                cmd.env("PATH", joined);
            }
        }
        cmd.current_dir(workspace_root()).arg(subcommand);
        if self.build_std {
            cmd.args(BUILD_STD);
        }
        cmd.args(["--target", triple]);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
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
    fn env_keys() {
        assert_eq!(env_key("x86_64-unknown-none"), "X86_64_UNKNOWN_NONE");
    }
}
