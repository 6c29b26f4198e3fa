//! The C test guest: `examples/c-guest/guest.c`, compiled by clang against
//! the system's own `xencall.h` (Debian's libxen-dev), linked by ld.lld
//! with the `c-guest` staticlib (xencall's C API and boot runtime) and the
//! runtime's linker script. The result is a guest like any Rust one.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::dirs;
use crate::setup::{self, capture, Need};
use crate::target::Arch;
use crate::toolchain;

/// The example that is a C guest.
pub const EXAMPLE: &str = "c-guest";

/// Features the staticlib needs on top of the guests' usual ones.
pub const FEATURES: &str = "rt,panic-handler,c-api";

/// Where `xencall.h` is looked for: `XENCALL_INCLUDE_DIR`, else the
/// system's include directory.
pub(crate) fn include_dir() -> PathBuf {
    env::var_os("XENCALL_INCLUDE_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/usr/include"))
}

/// What compiling C against the system's `xencall.h` needs.
pub(crate) fn needs() -> [Need; 3] {
    [
        Need {
            what: "/usr/include/xencall.h",
            package: "libxen-dev",
        },
        Need {
            what: "clang",
            package: "clang",
        },
        Need {
            what: "ld.lld",
            package: "lld",
        },
    ]
}

/// Compiler flags for freestanding C that matches the Rust target's ABI.
pub(crate) fn cflags(arch: Arch) -> &'static [&'static str] {
    match arch {
        // As x86_64-unknown-none: no red zone (exceptions run on the same
        // stack), no SSE/x87 (the runtime does not save that state), and
        // non-PIC code for the fixed PVH load address.
        Arch::X86_64 => &[
            "--target=x86_64-unknown-none-elf",
            "-mno-red-zone",
            "-mno-sse",
            "-mno-mmx",
            "-mno-80387",
            "-fno-pic",
        ],
        // Position-independent, like the Rust side: the Image relocates
        // itself wherever Xen loads it. General registers only, so the C
        // code never depends on FP state.
        Arch::Aarch64 => &[
            "--target=aarch64-unknown-none-elf",
            "-mgeneral-regs-only",
            "-fPIE",
        ],
    }
}

/// Linker flags beyond the script: the same as the Rust guests get.
pub(crate) fn ldflags(arch: Arch) -> &'static [&'static str] {
    match arch {
        Arch::X86_64 => &["-static"],
        Arch::Aarch64 => &["-pie", "--no-dynamic-linker"],
    }
}

/// ld.lld, or rustup's rust-lld told which flavour to be.
pub(crate) fn linker() -> Result<Command, String> {
    if let Some(p) = setup::in_path("ld.lld") {
        return Ok(Command::new(p));
    }
    match toolchain::lld() {
        Some(p) => {
            let mut c = Command::new(p);
            c.args(["-flavor", "gnu"]);
            Ok(c)
        }
        None => Err("the C guest needs ld.lld, which is missing: apt-get install lld".into()),
    }
}

pub(crate) fn run(cmd: &mut Command, what: &str) -> Result<(), String> {
    let (ok, out) = capture(cmd);
    if ok {
        Ok(())
    } else {
        Err(format!("{what} failed: {cmd:?}\n{out}"))
    }
}

/// Compile freestanding C `source` for `arch` against the system's
/// `xencall.h` into `object`, with `extra` flags (`-D...`).
pub(crate) fn compile(
    arch: Arch,
    source: &Path,
    object: &Path,
    extra: &[&str],
) -> Result<(), String> {
    let include = include_dir();
    // clang, and the system's header unless XENCALL_INCLUDE_DIR names
    // another (the linker is looked for when linking: rust-lld serves too).
    let [header, clang, _] = needs();
    let needs: &[Need] = if include == Path::new("/usr/include") {
        &[header, clang]
    } else {
        &[clang]
    };
    setup::provide(needs).map_err(|e| format!("compiling C: {e}"))?;
    if !include.join("xencall.h").is_file() {
        return Err(format!("{}/xencall.h is missing", include.display()));
    }
    let (ok, resource) = capture(Command::new("clang").arg("-print-resource-dir"));
    if !ok {
        return Err(format!("clang -print-resource-dir failed: {resource}"));
    }
    // Freestanding: clang's own stdint.h and stddef.h come first, the
    // system directory only after them, so the one header taken from it
    // is xencall.h itself, not the C library's.
    let mut cc = Command::new("clang");
    cc.args(cflags(arch))
        .args(["-ffreestanding", "-fno-stack-protector", "-nostdinc"])
        .args(["-O2", "-g", "-Wall", "-Wextra", "-Werror"])
        .args(extra)
        .arg("-isystem")
        .arg(Path::new(resource.trim()).join("include"))
        .arg("-idirafter")
        .arg(&include)
        .arg("-c")
        .arg(source)
        .arg("-o")
        .arg(object);
    run(&mut cc, &format!("compiling {}", source.display()))
}

/// Compile `guest.c` and link it with `staticlib` into `out` (an ELF).
pub fn link(arch: Arch, staticlib: &Path, out: &Path) -> Result<(), String> {
    let root = dirs::source_tree();
    let object = out.with_extension("o");
    compile(arch, &root.join("examples/c-guest/guest.c"), &object, &[])?;

    let mut ld = linker()?;
    ld.args(ldflags(arch))
        .arg("-L")
        .arg(root.join("linker"))
        .arg(format!("-Txencall-{}.ld", arch.name()))
        .arg("--gc-sections")
        .arg("-o")
        .arg(out)
        .arg(&object)
        .arg(staticlib);
    run(&mut ld, "linking the C guest")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_match_each_targets_abi() {
        assert!(cflags(Arch::X86_64).contains(&"-mno-red-zone"));
        assert!(cflags(Arch::X86_64).contains(&"-fno-pic"));
        assert!(cflags(Arch::Aarch64).contains(&"-fPIE"));
        assert!(ldflags(Arch::Aarch64).contains(&"-pie"));
        assert!(!ldflags(Arch::X86_64).contains(&"-pie"));
    }
}
