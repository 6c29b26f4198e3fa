//! Whether Xen can boot a file as dom0, checked before booting, and the
//! file QEMU is given for it: the ELF itself on x86_64, an arm64 `Image`
//! on aarch64 (the ELF's flat binary, or an Image file as it is).
//!
//! Xen boots an x86_64 kernel by its `Xen` ELF notes: PVH enters at
//! `XEN_ELFNOTE_PHYS32_ENTRY`; PV needs `XEN_ELFNOTE_ENTRY` and
//! `XEN_ELFNOTE_HYPERCALL_PAGE`. A guest linked without xencall's linker
//! script has none of them (and entry 0), and Xen would refuse it with
//! nothing but a reboot; an arm64 file without the Image header likewise.

use std::fs;
use std::path::{Path, PathBuf};

use crate::elf::{self, Elf};
use crate::target::{Arch, Mode};

/// `XEN_ELFNOTE_ENTRY` (public/elfnote.h): the PV entry point.
pub const XEN_ELFNOTE_ENTRY: u32 = 1;
/// `XEN_ELFNOTE_HYPERCALL_PAGE`: where a PV kernel wants the stubs.
pub const XEN_ELFNOTE_HYPERCALL_PAGE: u32 = 2;
/// `XEN_ELFNOTE_PHYS32_ENTRY`: the PVH 32-bit entry point.
pub const XEN_ELFNOTE_PHYS32_ENTRY: u32 = 18;

/// Offset and value of the arm64 Image header's magic.
const IMAGE_MAGIC_AT: usize = 0x38;
const IMAGE_MAGIC: &[u8; 4] = b"ARM\x64";

/// How to link a guest Xen can boot, for error messages.
fn linker_hint(arch: Arch) -> String {
    format!(
        "link it with xencall's linker script: `-C link-arg=-T{}` in the `rustflags` of \
         `[target.{}]` in .cargo/config.toml, with xencall's `rt` feature enabled",
        arch.linker_script(),
        arch.triple()
    )
}

/// The architecture a guest file is for: an ELF's machine, or an arm64
/// Image's header.
pub fn arch_of(bytes: &[u8]) -> Option<Arch> {
    if let Ok(elf) = Elf::parse(bytes) {
        return match elf.machine() {
            elf::EM_X86_64 => Some(Arch::X86_64),
            elf::EM_AARCH64 => Some(Arch::Aarch64),
            _ => None,
        };
    }
    is_arm64_image(bytes).then_some(Arch::Aarch64)
}

fn is_arm64_image(bytes: &[u8]) -> bool {
    bytes.get(IMAGE_MAGIC_AT..IMAGE_MAGIC_AT + 4) == Some(IMAGE_MAGIC)
}

/// The Xen notes x86 `mode` needs, by name.
fn needed_notes(mode: Mode) -> &'static [(u32, &'static str)] {
    match mode {
        Mode::Pvh => &[(XEN_ELFNOTE_PHYS32_ENTRY, "XEN_ELFNOTE_PHYS32_ENTRY")],
        Mode::Pv => &[
            (XEN_ELFNOTE_ENTRY, "XEN_ELFNOTE_ENTRY"),
            (XEN_ELFNOTE_HYPERCALL_PAGE, "XEN_ELFNOTE_HYPERCALL_PAGE"),
        ],
    }
}

/// Why Xen could not boot this x86_64 ELF as a `mode` dom0, or nothing.
pub fn x86_problem(bytes: &[u8], mode: Mode) -> Option<String> {
    let elf = match Elf::parse(bytes) {
        Ok(elf) => elf,
        Err(e) => return Some(format!("{e}: an x86_64 guest is an ELF64 file")),
    };
    if elf.machine() != elf::EM_X86_64 {
        return Some(match arch_of(bytes) {
            Some(other) => format!(
                "an {} ELF, not x86_64: boot it with `--arch {}`",
                other.name(),
                other.name()
            ),
            None => format!("ELF machine {} is not x86_64", elf.machine()),
        });
    }
    let notes = match elf.segment_notes() {
        Ok(notes) => notes,
        Err(e) => return Some(e),
    };
    let xen: Vec<u32> = notes
        .iter()
        .filter(|n| n.name == b"Xen")
        .map(|n| n.kind)
        .collect();
    let missing: Vec<&str> = needed_notes(mode)
        .iter()
        .filter(|(kind, _)| !xen.contains(kind))
        .map(|(_, name)| *name)
        .collect();
    if !missing.is_empty() {
        let what = if xen.is_empty() {
            "no Xen ELF notes".to_string()
        } else {
            format!("no {} Xen ELF note", missing.join(" or "))
        };
        return Some(format!(
            "{what} (in a PT_NOTE segment): Xen cannot boot it as a {} dom0; {}",
            mode.name().to_uppercase(),
            linker_hint(Arch::X86_64)
        ));
    }
    if elf.entry() == 0 {
        return Some(format!(
            "entry point 0 (the linker found no entry symbol); {}",
            linker_hint(Arch::X86_64)
        ));
    }
    None
}

/// The arm64 Image for `bytes` (an ELF's flat binary, or the file as it
/// is), or why there is none.
pub fn arm64_image(bytes: &[u8]) -> Result<Vec<u8>, String> {
    let image = if Elf::is_elf(bytes) {
        let elf = Elf::parse(bytes)?;
        if elf.machine() != elf::EM_AARCH64 {
            return Err(match arch_of(bytes) {
                Some(other) => format!(
                    "an {} ELF, not aarch64: boot it with `--arch {}`",
                    other.name(),
                    other.name()
                ),
                None => format!("ELF machine {} is not aarch64", elf.machine()),
            });
        }
        elf.flat_binary()?
    } else {
        bytes.to_vec()
    };
    if !is_arm64_image(&image) {
        return Err(format!(
            "not an arm64 Image (no magic \"ARM\\x64\" at {IMAGE_MAGIC_AT:#x}{}): Xen cannot \
             boot it as dom0; {}",
            if Elf::is_elf(bytes) {
                " of its flat binary"
            } else {
                ""
            },
            linker_hint(Arch::Aarch64)
        ));
    }
    Ok(image)
}

/// The file QEMU loads for `guest` booted in each of `modes`, after
/// checking that Xen can boot it there: the ELF itself on x86_64,
/// `<guest>.Image` on aarch64 (an Image file is used as it is).
pub fn bootable(arch: Arch, guest: &Path, modes: &[Mode]) -> Result<PathBuf, String> {
    let bytes = fs::read(guest).map_err(|e| format!("{}: {e}", guest.display()))?;
    let refuse = |why: String| format!("{}: refused before booting: {why}", guest.display());
    match arch {
        Arch::X86_64 => {
            for &mode in modes {
                if let Some(why) = x86_problem(&bytes, mode) {
                    return Err(refuse(why));
                }
            }
            Ok(guest.to_path_buf())
        }
        Arch::Aarch64 => {
            let image = arm64_image(&bytes).map_err(refuse)?;
            if !Elf::is_elf(&bytes) {
                return Ok(guest.to_path_buf());
            }
            let mut path = guest.as_os_str().to_owned();
            path.push(".Image");
            let path = PathBuf::from(path);
            fs::write(&path, image).map_err(|e| format!("write {}: {e}", path.display()))?;
            Ok(path)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::fake::{self, load, note_segment};

    fn x86(entry: u64, notes: &[(&str, u32, &[u8])]) -> Vec<u8> {
        let notes = fake::notes(notes);
        fake::elf(
            elf::EM_X86_64,
            entry,
            &[load(0x10_0000, b"text"), note_segment(&notes)],
        )
    }

    const PHYS32: (&str, u32, &[u8]) = ("Xen", XEN_ELFNOTE_PHYS32_ENTRY, &[0, 0, 0x10, 0]);
    const ENTRY: (&str, u32, &[u8]) = ("Xen", XEN_ELFNOTE_ENTRY, &[0xbc, 0, 0x10, 0, 0, 0, 0, 0]);
    const PAGE: (&str, u32, &[u8]) = (
        "Xen",
        XEN_ELFNOTE_HYPERCALL_PAGE,
        &[0, 0x10, 0x10, 0, 0, 0, 0, 0],
    );

    #[test]
    fn an_elf_with_the_notes_boots_in_both_modes() {
        let f = x86(0x1000bc, &[ENTRY, PAGE, PHYS32]);
        assert_eq!(x86_problem(&f, Mode::Pvh), None);
        assert_eq!(x86_problem(&f, Mode::Pv), None);
        assert_eq!(arch_of(&f), Some(Arch::X86_64));
    }

    #[test]
    fn an_elf_without_notes_is_refused_naming_the_linker_script() {
        // What a guest linked without the script looks like: no PT_NOTE.
        let f = fake::elf(elf::EM_X86_64, 0, &[load(0x20_0000, b"text")]);
        for mode in [Mode::Pvh, Mode::Pv] {
            let why = x86_problem(&f, mode).expect("refused");
            assert!(why.starts_with("no Xen ELF notes"), "{why}");
            assert!(why.contains("-C link-arg=-Txencall-x86_64.ld"), "{why}");
            assert!(why.contains("[target.x86_64-unknown-none]"), "{why}");
        }
    }

    #[test]
    fn each_mode_needs_its_own_notes() {
        // PVH only: PV lacks its entry and hypercall page.
        let pvh_only = x86(0x1000bc, &[PHYS32]);
        assert_eq!(x86_problem(&pvh_only, Mode::Pvh), None);
        let why = x86_problem(&pvh_only, Mode::Pv).unwrap();
        assert!(
            why.contains("XEN_ELFNOTE_ENTRY or XEN_ELFNOTE_HYPERCALL_PAGE"),
            "{why}"
        );
        let pv_only = x86(0x1000bc, &[ENTRY, PAGE]);
        assert!(x86_problem(&pv_only, Mode::Pvh)
            .unwrap()
            .contains("XEN_ELFNOTE_PHYS32_ENTRY"));
        // Another owner's note of the same number does not count.
        let gnu = x86(0x1000bc, &[("GNU", XEN_ELFNOTE_PHYS32_ENTRY, &[0; 4])]);
        assert!(x86_problem(&gnu, Mode::Pvh).is_some());
    }

    #[test]
    fn entry_zero_is_refused() {
        let f = x86(0, &[ENTRY, PAGE, PHYS32]);
        let why = x86_problem(&f, Mode::Pvh).unwrap();
        assert!(why.starts_with("entry point 0"), "{why}");
        assert!(why.contains("-Txencall-x86_64.ld"), "{why}");
    }

    #[test]
    fn the_wrong_architecture_is_named() {
        let arm = fake::elf(elf::EM_AARCH64, 0, &[load(0x4000_0000, b"text")]);
        assert!(x86_problem(&arm, Mode::Pvh)
            .unwrap()
            .contains("`--arch aarch64`"));
        let f = x86(0x1000bc, &[PHYS32]);
        assert!(arm64_image(&f).unwrap_err().contains("`--arch x86_64`"));
        assert!(x86_problem(b"#!/bin/sh\n", Mode::Pvh)
            .unwrap()
            .contains("not an ELF"));
    }

    #[test]
    fn arm64_images_need_the_header() {
        let mut text = vec![0u8; 0x40];
        text[0x38..0x3c].copy_from_slice(IMAGE_MAGIC);
        let good = fake::elf(elf::EM_AARCH64, 0, &[load(0x4000_0000, &text)]);
        assert_eq!(arm64_image(&good).unwrap(), text);
        assert_eq!(arch_of(&good), Some(Arch::Aarch64));
        // An Image file (not an ELF) is taken as it is.
        assert_eq!(arm64_image(&text).unwrap(), text);
        assert_eq!(arch_of(&text), Some(Arch::Aarch64));

        let bad = fake::elf(elf::EM_AARCH64, 0, &[load(0x4000_0000, &[0u8; 0x40])]);
        let why = arm64_image(&bad).unwrap_err();
        assert!(why.starts_with("not an arm64 Image"), "{why}");
        assert!(why.contains("-C link-arg=-Txencall-aarch64.ld"), "{why}");
        assert!(arm64_image(&[0u8; 0x40]).is_err());
    }
}
