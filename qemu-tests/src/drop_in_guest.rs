//! The drop-in library booted alone: `examples/drop-in-guest`, a guest
//! with an entry of its own (assembly: PVH on x86_64, an arm64 Image) and
//! C code against the system's `xencall.h`, linked with nothing but
//! `target/drop-in/<arch>/libxencall.a`: no xencall runtime. It opens a
//! handle, makes hypercalls, allocates and frees buffers and reports with
//! the `xencall-test:` protocol; its entry code ends QEMU with the status
//! (x86: isa-debug-exit, Arm: semihosting).

use std::fs;
use std::path::PathBuf;

use crate::c_guest;
use crate::dirs;
use crate::target::Arch;

/// The guest's name, as `--example` and in step names.
pub const EXAMPLE: &str = "drop-in-guest";

/// Build the library, then compile and link the guest; its ELF.
pub fn build(arch: Arch) -> Result<PathBuf, String> {
    let lib = crate::drop_in::build(arch)?;
    let src = dirs::source_tree().join("examples").join(EXAMPLE);
    let dir = dirs::target_dir().join("drop-in").join(arch.name());
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let entry = dir.join("drop-in-guest-entry.o");
    let guest = dir.join("drop-in-guest.o");
    let out = dir.join(EXAMPLE);
    c_guest::compile(
        arch,
        &src.join(format!("entry-{}.S", arch.name())),
        &entry,
        &[],
    )?;
    c_guest::compile(arch, &src.join("guest.c"), &guest, &[])?;
    let mut ld = c_guest::linker()?;
    ld.args(c_guest::ldflags(arch))
        .arg("-T")
        .arg(src.join(format!("{}.ld", arch.name())))
        .arg("--gc-sections")
        .arg("-o")
        .arg(&out)
        .arg(&entry)
        .arg(&guest)
        .arg(&lib);
    c_guest::run(&mut ld, "linking the drop-in guest")?;
    Ok(out)
}
