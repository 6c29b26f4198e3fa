//! Building this repository's guests (its examples) for a bare-metal
//! target with the toolchain that builds it here, into `target/guest`.

use std::env;
use std::path::PathBuf;
use std::process::Stdio;

use crate::c_guest;
use crate::dirs;
use crate::drop_in_guest;
use crate::image;
use crate::setup;
use crate::target::{Arch, Mode};
use crate::toolchain::Toolchain;

/// Build `example` for `arch` (release, `rt` and `panic-handler`); the
/// file QEMU boots (checked bootable in every mode of `arch`): the ELF on
/// x86_64, an arm64 Image on aarch64. `quiet` captures cargo's output
/// (returned in the error).
pub fn build_guest(arch: Arch, example: &str, quiet: bool) -> Result<PathBuf, String> {
    if let Some(dir) = env::var_os("XENCALL_PREBUILT_GUESTS").filter(|d| !d.is_empty()) {
        // Guests built elsewhere: DIR/<arch>/<example> (an ELF).
        let elf = PathBuf::from(dir).join(arch.name()).join(example);
        return image::bootable(arch, &elf, arch.modes());
    }
    if example == drop_in_guest::EXAMPLE {
        // No Rust example: C and assembly linked with libxencall.a, with a
        // PVH entry of its own (x86_64).
        return image::bootable(arch, &drop_in_guest::build(arch)?, &[Mode::Pvh]);
    }
    let features = if example == c_guest::EXAMPLE {
        c_guest::FEATURES
    } else {
        "rt,panic-handler"
    };
    let examples = build_example(arch, example, features, quiet)?;
    let elf = examples.join(example);
    if example == c_guest::EXAMPLE {
        // The Rust half is a staticlib: the ELF is linked with the C half.
        let staticlib = examples.join(format!("lib{}.a", example.replace('-', "_")));
        c_guest::link(arch, &staticlib, &elf)?;
    }
    image::bootable(arch, &elf, arch.modes())
}

/// A fixture: xencall's runtime linked without the linker script.
pub const UNSCRIPTED: &str = "unscripted";
/// A fixture: a bare kernel with no Xen ELF notes.
pub const NO_XEN_NOTES: &str = "no-xen-notes";
/// The fixture crates in `qemu-tests/fixtures/` that are guests.
pub const FIXTURES: [&str; 2] = [UNSCRIPTED, NO_XEN_NOTES];

/// Build the fixture crate `name` (`qemu-tests/fixtures/<name>`, a
/// binary of that name) for `arch`, release, as a user's crate would be
/// built here (this repository's `.cargo/config.toml` applies, which
/// names no linker script); the ELF, unchecked.
pub fn build_fixture(arch: Arch, name: &str, quiet: bool) -> Result<PathBuf, String> {
    let triple = arch.triple();
    let toolchain = Toolchain::select(triple)?;
    let root = dirs::source_tree();
    let target_dir = guest_target_dir();
    let mut cmd = toolchain.cargo("build", triple);
    cmd.current_dir(root)
        .arg("--release")
        .arg("--manifest-path")
        .arg(
            root.join("qemu-tests/fixtures")
                .join(name)
                .join("Cargo.toml"),
        )
        .arg("--target-dir")
        .arg(&target_dir);
    run_build(&mut cmd, &format!("fixture {name} for {triple}"), quiet)?;
    Ok(target_dir.join(triple).join("release").join(name))
}

/// The build directory of the guests (one for every toolchain: each
/// target triple gets its own subdirectory).
pub fn guest_target_dir() -> PathBuf {
    dirs::target_dir().join("guest")
}

/// `cargo build --release --example EXAMPLE --features FEATURES` for
/// `arch` with the selected toolchain into `target/guest`; the directory
/// the built examples are in. `quiet` captures cargo's output (returned in
/// the error).
pub fn build_example(
    arch: Arch,
    example: &str,
    features: &str,
    quiet: bool,
) -> Result<PathBuf, String> {
    let triple = arch.triple();
    let toolchain = Toolchain::select(triple)?;
    let target_dir = guest_target_dir();
    let mut cmd = toolchain.cargo("build", triple);
    cmd.current_dir(dirs::source_tree())
        .args(["--release", "--example", example, "--features", features])
        .arg("--target-dir")
        .arg(&target_dir);
    run_build(
        &mut cmd,
        &format!("{example} for {triple} ({})", toolchain.kind),
        quiet,
    )?;
    Ok(target_dir.join(triple).join("release/examples"))
}

/// Run a cargo build; on failure, what failed (with cargo's first errors
/// when `quiet` captured them).
pub fn run_build(cmd: &mut std::process::Command, what: &str, quiet: bool) -> Result<(), String> {
    if quiet {
        let (ok, out) = setup::capture(cmd);
        if !ok {
            return Err(format!("building {what} failed:\n{}", build_errors(&out)));
        }
    } else {
        let status = cmd
            .stdin(Stdio::null())
            .status()
            .map_err(|e| format!("cannot run cargo: {e}"))?;
        if !status.success() {
            return Err(format!("building {what} failed"));
        }
    }
    Ok(())
}

/// The interesting part of a failed cargo build: its first errors, then
/// its last lines.
pub fn build_errors(out: &str) -> String {
    let lines: Vec<&str> = out.lines().collect();
    let first = lines
        .iter()
        .position(|l| l.starts_with("error"))
        .unwrap_or(lines.len().saturating_sub(40));
    let head_end = (first + 30).min(lines.len());
    let mut text = lines[first..head_end].join("\n");
    let tail_start = lines.len().saturating_sub(10).max(head_end);
    if tail_start > head_end {
        text.push_str("\n...\n");
    }
    text.push_str(&lines[tail_start..].join("\n"));
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn build_errors_show_the_first_error_and_the_end() {
        let mut out: Vec<String> = (0..100).map(|i| format!("   Compiling c{i}")).collect();
        out.insert(50, "error[E0425]: cannot find value `x`".into());
        let text = build_errors(&out.join("\n"));
        assert!(text.starts_with("error[E0425]"), "{text}");
        assert!(text.contains("\n...\n"), "{text}");
        assert!(text.ends_with("Compiling c99"), "{text}");
    }
}
