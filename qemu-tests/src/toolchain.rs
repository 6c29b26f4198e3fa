//! The Rust toolchain that builds for a bare-metal target on this
//! machine, and the recipe for it as shell lines (`cargo xencall
//! toolchain`), so a user's own CI can build the same way.
//!
//! In order: rustup's target, if installed; the active toolchain's
//! `rust-src` with `-Zbuild-std`; Debian's `rustc-web` with `-Zbuild-std`
//! and `ld.lld` (Debian's rustc has no `rust-lld`); installing Debian's
//! when root on Debian.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::setup::{self, capture, clean_command};

/// How to build for a bare-metal target.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Toolchain {
    /// Short description for messages.
    pub kind: &'static str,
    /// The cargo to run: `cargo` on PATH or an absolute path.
    pub cargo: PathBuf,
    /// Variables to set for it.
    pub env: Vec<(String, String)>,
    /// Whether core and alloc are built from source.
    pub build_std: bool,
}

/// cargo's arguments to build core and alloc from source. With
/// build-std, `cargo test` would build core twice (the test profile drops
/// a `panic = "abort"` the other profiles pass, and two cores collide:
/// "duplicate lang item"): `-Zpanic-abort-tests` keeps tests on abort.
pub const BUILD_STD: [&str; 3] = [
    "-Zbuild-std=core,alloc",
    "-Zbuild-std-features=compiler-builtins-mem",
    "-Zpanic-abort-tests",
];

/// Debian's toolchain for the bare-metal targets, with its clippy (the
/// suite lints the boot code for bare metal) and the linker.
pub const DEBIAN_PACKAGES: [&str; 5] = [
    "rustc-web",
    "cargo-web",
    "rust-web-src",
    "rust-web-clippy",
    "lld",
];

/// `x86_64-unknown-none` -> `X86_64_UNKNOWN_NONE`, as in cargo's
/// `CARGO_TARGET_<TRIPLE>_LINKER`.
pub fn env_key(triple: &str) -> String {
    triple.to_uppercase().replace('-', "_")
}

/// `ld.lld` on PATH (Debian's `lld`: a path a user's CI can name too),
/// else rustup's `rust-lld`.
pub fn lld() -> Option<PathBuf> {
    if let Some(p) = setup::in_path("ld.lld") {
        return Some(p);
    }
    let (ok, sysroot) = capture(clean_command("rustc").args(["--print", "sysroot"]));
    let p = PathBuf::from(sysroot.trim()).join("lib/rustlib/x86_64-unknown-linux-gnu/bin/rust-lld");
    (ok && p.is_file()).then_some(p)
}

impl Toolchain {
    /// The toolchain that builds `triple` here, installing Debian's when
    /// none does and this process is root on Debian.
    pub fn select(triple: &str) -> Result<Toolchain, String> {
        if let Some(t) = Self::find(triple) {
            return Ok(t);
        }
        if setup::may_install() {
            eprintln!("cargo-xencall: no toolchain builds {triple}: installing Debian's rustc-web");
            setup::apt_install(&DEBIAN_PACKAGES)?;
            if let Some(t) = Self::find(triple) {
                return Ok(t);
            }
        }
        Err(Self::missing(triple))
    }

    /// What to do when nothing here builds `triple`.
    pub fn missing(triple: &str) -> String {
        format!(
            "no Rust toolchain here builds {triple}. Either\n  \
             rustup target add x86_64-unknown-none aarch64-unknown-none\nor (Debian)\n  \
             apt-get install {}",
            DEBIAN_PACKAGES.join(" ")
        )
    }

    /// The toolchain that builds `triple` here, without installing one.
    pub fn find(triple: &str) -> Option<Toolchain> {
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
            // Debian's rustc has no rust-lld: the none targets' default
            // linker flavour is ld.lld's, so naming the linker suffices
            // (and leaves the user's target rustflags in force).
            let linker = lld()?;
            return Some(Toolchain {
                kind: "Debian rustc-web + build-std",
                cargo: "/usr/bin/cargo".into(),
                env: vec![
                    ("RUSTC".into(), "/usr/bin/rustc".into()),
                    ("RUSTC_BOOTSTRAP".into(), "1".into()),
                    (
                        format!("CARGO_TARGET_{}_LINKER", env_key(triple)),
                        linker.display().to_string(),
                    ),
                ],
                build_std: true,
            });
        }
        None
    }

    /// The arguments after `cargo <subcommand>`: build-std, the target.
    fn target_args(&self, triple: &str) -> Vec<String> {
        let mut args: Vec<String> = Vec::new();
        if self.build_std {
            args.extend(BUILD_STD.iter().map(|s| s.to_string()));
        }
        args.extend(["--target".to_string(), triple.to_string()]);
        args
    }

    /// `cargo <subcommand> --target <triple>` with this toolchain's
    /// environment and flags (the caller sets the directory).
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
        cmd.arg(subcommand).args(self.target_args(triple));
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// The shell line that builds `triple` with this toolchain: its
    /// variables, then cargo with its arguments (`build` stands for any
    /// subcommand: `run`, `test`).
    pub fn shell_line(&self, triple: &str) -> String {
        let mut words: Vec<String> = self.env.iter().map(|(k, v)| format!("{k}={v}")).collect();
        if self.cargo.parent().is_some_and(|d| d.is_absolute()) {
            // As `cargo()` does: its own cargo-clippy first on PATH.
            let dir = self.cargo.parent().unwrap().display().to_string();
            words.push(format!("PATH={dir}:\"$PATH\""));
        }
        words.push(self.cargo.display().to_string());
        words.push("build".into());
        words.extend(self.target_args(triple));
        words.join(" ")
    }
}

/// The recipe for each of `triples` on this machine, as shell lines.
pub fn recipe(triples: &[&str]) -> Result<String, String> {
    let mut text = String::new();
    let mut missing = Vec::new();
    for triple in triples {
        match Toolchain::find(triple) {
            Some(t) => {
                let version = {
                    let mut rustc = match t.env.iter().find(|(k, _)| k == "RUSTC") {
                        Some((_, v)) => clean_command(v),
                        None => clean_command("rustc"),
                    };
                    let (ok, v) = capture(rustc.arg("--version"));
                    if ok {
                        v.trim().to_string()
                    } else {
                        "rustc".to_string()
                    }
                };
                text.push_str(&format!(
                    "# {triple}: {} ({version})\n{}\n",
                    t.kind,
                    t.shell_line(triple)
                ));
            }
            None => {
                text.push_str(&format!("# {triple}: no toolchain here builds it\n"));
                missing.push(*triple);
            }
        }
    }
    if missing.is_empty() {
        Ok(text)
    } else {
        Err(format!("{text}{}", Toolchain::missing(missing[0])))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_keys() {
        assert_eq!(env_key("x86_64-unknown-none"), "X86_64_UNKNOWN_NONE");
    }

    #[test]
    fn shell_lines_name_every_variable_and_argument() {
        let debian = Toolchain {
            kind: "Debian rustc-web + build-std",
            cargo: "/usr/bin/cargo".into(),
            env: vec![
                ("RUSTC".into(), "/usr/bin/rustc".into()),
                ("RUSTC_BOOTSTRAP".into(), "1".into()),
                (
                    "CARGO_TARGET_AARCH64_UNKNOWN_NONE_LINKER".into(),
                    "/usr/bin/ld.lld".into(),
                ),
            ],
            build_std: true,
        };
        assert_eq!(
            debian.shell_line("aarch64-unknown-none"),
            "RUSTC=/usr/bin/rustc RUSTC_BOOTSTRAP=1 \
             CARGO_TARGET_AARCH64_UNKNOWN_NONE_LINKER=/usr/bin/ld.lld PATH=/usr/bin:\"$PATH\" \
             /usr/bin/cargo build -Zbuild-std=core,alloc \
             -Zbuild-std-features=compiler-builtins-mem -Zpanic-abort-tests \
             --target aarch64-unknown-none"
        );
        let rustup = Toolchain {
            kind: "rustup target",
            cargo: "cargo".into(),
            env: vec![],
            build_std: false,
        };
        assert_eq!(
            rustup.shell_line("x86_64-unknown-none"),
            "cargo build --target x86_64-unknown-none"
        );
        // The command the runner runs is the one printed.
        let cmd = debian.cargo("build", "aarch64-unknown-none");
        let args: Vec<String> = cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        assert!(debian
            .shell_line("aarch64-unknown-none")
            .ends_with(&args.join(" ")));
        for (k, v) in &debian.env {
            assert!(cmd
                .get_envs()
                .any(|(ek, ev)| ek == k.as_str() && ev.is_some_and(|ev| ev == v.as_str())));
        }
    }
}
