//! `hello`'s image size: the bytes Xen is given in each mode, where they go
//! (by section and by crate/module), and the budget `cargo qemu test`
//! holds it to.
//!
//! "Stripped size" means the same thing everywhere in this repository: the
//! bytes of the file Xen boots once nothing but what it loads is left.
//! x86_64 boots one ELF as PVH and as PV: its size after `llvm-strip`
//! (`--strip-all`: headers, the loaded sections and the section table).
//! aarch64 boots an arm64 Image, the flat copy of the ELF's loaded
//! segments (`elf::flat_binary`), which has no symbols to strip: its size.
//!
//! The breakdown reads the unstripped ELF: the sizes of the sections that
//! take file bytes, and the symbols in them (read with the `object`
//! crate), demangled and grouped by path (`core::fmt`,
//! `xencall::rt::console`, ...). Bytes no symbol covers (string literals,
//! assembly without a size, alignment) are shown per section.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use object::{Object, ObjectSection, ObjectSymbol, SectionFlags, SectionKind};

use crate::setup::{self, capture};
use crate::target::Arch;

/// At most 37 KiB in every mode: XTF's PV example, stripped, is 37 KB
/// (`ls -lh`'s "37K"), the C framework Xen's own CI uses.
pub const BUDGET: u64 = 37 * 1024;

/// Groups smaller than this are summed into one line.
const SMALL_GROUP: u64 = 200;

/// One measured image.
#[derive(Debug, Clone)]
pub struct Image {
    /// The modes it boots in.
    pub label: &'static str,
    /// Stripped size (see the module's documentation).
    pub bytes: u64,
    /// (section, bytes in the booted file), and what lies between them.
    pub sections: Vec<(String, u64)>,
    /// (group, bytes of its symbols), largest first.
    pub groups: Vec<(String, u64)>,
}

/// The modes `arch`'s one image boots in.
pub fn label(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "x86_64 PVH and PV (one ELF)",
        Arch::Aarch64 => "aarch64 (arm64 Image)",
    }
}

/// `llvm-strip` (Debian's `llvm`, or rustup's `llvm-tools` beside the
/// active toolchain), else binutils' `strip` (x86_64 ELF on this host).
fn strip_tool() -> Option<PathBuf> {
    if let Some(p) = setup::in_path("llvm-strip") {
        return Some(p);
    }
    let (ok, sysroot) = capture(setup::clean_command("rustc").args(["--print", "sysroot"]));
    if ok {
        let p = PathBuf::from(sysroot.trim())
            .join("lib/rustlib/x86_64-unknown-linux-gnu/bin/llvm-strip");
        if p.is_file() {
            return Some(p);
        }
    }
    setup::in_path("strip")
}

/// The stripped copy of the x86_64 ELF `elf`, as bytes.
fn stripped_elf(elf: &Path) -> Result<Vec<u8>, String> {
    let tool = strip_tool().ok_or(
        "no llvm-strip or strip to measure the stripped ELF: install llvm (Debian) or \
         binutils",
    )?;
    let out = elf.with_extension("stripped");
    let (ok, text) = capture(
        Command::new(&tool)
            .arg("--strip-all")
            .arg("-o")
            .arg(&out)
            .arg(elf),
    );
    if !ok {
        return Err(format!(
            "{} --strip-all {} failed: {text}",
            tool.display(),
            elf.display()
        ));
    }
    let bytes = fs::read(&out).map_err(|e| format!("read {}: {e}", out.display()));
    let _ = fs::remove_file(&out);
    bytes
}

/// Measure `elf`, the unstripped guest ELF for `arch`.
pub fn measure(arch: Arch, elf: &Path) -> Result<Image, String> {
    let data = fs::read(elf).map_err(|e| format!("read {}: {e}", elf.display()))?;
    let unstripped = object::File::parse(&*data).map_err(|e| format!("{}: {e}", elf.display()))?;
    let (bytes, sections) = match arch {
        Arch::X86_64 => {
            let stripped = stripped_elf(elf)?;
            let file = object::File::parse(&*stripped)
                .map_err(|e| format!("stripped {}: {e}", elf.display()))?;
            let sections = file_sections(&file, None);
            (stripped.len() as u64, sections)
        }
        Arch::Aarch64 => {
            let image = crate::elf::Elf::parse(&data)?.flat_binary()?;
            let base = lowest_loaded_address(&unstripped);
            let sections = file_sections(&unstripped, Some((base, image.len() as u64)));
            (image.len() as u64, sections)
        }
    };
    let mut sections = sections;
    let listed: u64 = sections.iter().map(|(_, b)| b).sum();
    sections.push((
        match arch {
            Arch::X86_64 => "ELF headers, section table, alignment".to_string(),
            Arch::Aarch64 => "alignment between sections".to_string(),
        },
        bytes.saturating_sub(listed),
    ));
    Ok(Image {
        label: label(arch),
        bytes,
        sections,
        groups: symbol_groups(&unstripped),
    })
}

fn is_loaded(section: &object::Section<'_, '_>) -> bool {
    let alloc = match section.flags() {
        SectionFlags::Elf { sh_flags } => sh_flags & u64::from(object::elf::SHF_ALLOC) != 0,
        _ => false,
    };
    alloc && section.kind() != SectionKind::UninitializedData && section.size() > 0
}

fn lowest_loaded_address(file: &object::File<'_>) -> u64 {
    file.sections()
        .filter(is_loaded)
        .map(|s| s.address())
        .min()
        .unwrap_or(0)
}

/// The loaded sections with file bytes; with `window` (image base and
/// length) only the part of each inside the image.
fn file_sections(file: &object::File<'_>, window: Option<(u64, u64)>) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    for s in file.sections().filter(is_loaded) {
        let mut size = s.size();
        if let Some((base, len)) = window {
            let start = s.address().saturating_sub(base);
            size = size.min(len.saturating_sub(start));
        }
        if size > 0 {
            out.push((s.name().unwrap_or("?").to_string(), size));
        }
    }
    out
}

/// Symbol bytes by group, largest first, small groups summed, and per
/// section the bytes no symbol covers.
fn symbol_groups(file: &object::File<'_>) -> Vec<(String, u64)> {
    let loaded: BTreeMap<usize, (String, u64)> = file
        .sections()
        .filter(is_loaded)
        .map(|s| (s.index().0, (s.name().unwrap_or("?").to_string(), s.size())))
        .collect();
    // One entry per address: aliases (identical functions folded into
    // one, `u64` and `usize` Display) count once, under the largest.
    let mut by_address: BTreeMap<u64, (u64, String, usize)> = BTreeMap::new();
    for sym in file.symbols() {
        let (Some(index), Ok(name)) = (sym.section_index(), sym.name()) else {
            continue;
        };
        if sym.size() == 0 || !loaded.contains_key(&index.0) {
            continue;
        }
        let entry = by_address
            .entry(sym.address())
            .or_insert((0, String::new(), index.0));
        if sym.size() > entry.0 {
            *entry = (sym.size(), name.to_string(), index.0);
        }
    }
    let mut groups: BTreeMap<String, u64> = BTreeMap::new();
    let mut covered: BTreeMap<usize, u64> = BTreeMap::new();
    for (size, name, index) in by_address.values() {
        *groups.entry(group_of(name)).or_default() += size;
        *covered.entry(*index).or_default() += size;
    }
    for (index, (name, size)) in &loaded {
        let rest = size.saturating_sub(covered.get(index).copied().unwrap_or(0));
        if rest > 0 {
            *groups
                .entry(format!(
                    "{name}: no symbol (string literals, tables, assembly, alignment)"
                ))
                .or_default() += rest;
        }
    }
    let mut list: Vec<(String, u64)> = groups.into_iter().collect();
    list.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let (mut big, small): (Vec<_>, Vec<_>) = list.into_iter().partition(|(_, b)| *b >= SMALL_GROUP);
    if !small.is_empty() {
        let total = small.iter().map(|(_, b)| b).sum();
        big.push((format!("{} smaller groups", small.len()), total));
    }
    big
}

/// The group a symbol's bytes count under: its demangled path cut to the
/// crate and module (`core::fmt`, `linked_list_allocator::hole`), with
/// xencall's own paths one level deeper (`xencall::rt::console`,
/// `xencall::arch::aarch64::rt`). A method of `<T as Trait>` counts under
/// `T` when `T` has a path, else under the trait (`<u64 as
/// core::fmt::Display>::fmt` is `core::fmt`). Unmangled symbols (assembly,
/// `#[no_mangle]` functions) are their own group.
pub fn group_of(mangled: &str) -> String {
    let demangled = format!("{:#}", rustc_demangle::demangle(mangled));
    if demangled.starts_with("anon.") {
        return "anonymous constants".into();
    }
    let path = impl_path(&demangled);
    let segments: Vec<&str> = path
        .split("::")
        .map(|s| {
            s.trim_start_matches(['&', '*'])
                .trim_start_matches("mut ")
                .trim_start_matches("const ")
        })
        .filter(|s| !s.is_empty())
        .collect();
    if segments.len() < 2 {
        return format!("symbol {demangled}");
    }
    let depth = match (segments[0], segments.get(1).copied()) {
        ("xencall", Some("arch")) => {
            if segments.get(3) == Some(&"rt") {
                4
            } else {
                3
            }
        }
        ("xencall", Some("rt")) => 3,
        _ => 2,
    };
    segments[..depth.min(segments.len())].join("::")
}

/// The path that names what a demangled symbol belongs to, without
/// generic arguments: `<A as B>::f` gives A if it has a path, else B;
/// `<A>::f` gives A.
fn impl_path(demangled: &str) -> String {
    let Some(rest) = demangled.strip_prefix('<') else {
        return strip_generics(demangled);
    };
    // The matching '>' of the leading '<'.
    let mut depth = 1;
    let mut end = rest.len();
    for (i, c) in rest.char_indices() {
        match c {
            '<' => depth += 1,
            '>' => {
                depth -= 1;
                if depth == 0 {
                    end = i;
                    break;
                }
            }
            _ => {}
        }
    }
    let inner = &rest[..end];
    let (ty, tr) = match split_as(inner) {
        Some((ty, tr)) => (ty, Some(tr)),
        None => (inner, None),
    };
    let ty = strip_generics(ty.trim_start_matches(['&', '*']).trim_start_matches("mut "));
    match tr {
        Some(tr) if !ty.contains("::") => strip_generics(tr),
        // An inherent method of a primitive (`<char>::escape_debug_ext`):
        // core's.
        None if !ty.contains("::") => format!("core::{ty}"),
        _ => ty,
    }
}

/// `A as B` at nesting depth 0.
fn split_as(s: &str) -> Option<(&str, &str)> {
    let mut depth = 0;
    let bytes = s.as_bytes();
    for i in 0..bytes.len() {
        match bytes[i] {
            b'<' | b'[' | b'(' => depth += 1,
            b'>' | b']' | b')' => depth -= 1,
            b' ' if depth == 0 && s[i..].starts_with(" as ") => {
                return Some((&s[..i], &s[i + 4..]))
            }
            _ => {}
        }
    }
    None
}

fn strip_generics(s: &str) -> String {
    let mut out = String::new();
    let mut depth = 0;
    for c in s.chars() {
        match c {
            '<' => depth += 1,
            '>' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// The breakdown, as Markdown (also readable as text in a test failure).
pub fn render(images: &[Image]) -> String {
    let mut s = String::new();
    for image in images {
        let _ = writeln!(
            s,
            "**{}**: {} bytes stripped (budget {BUDGET}).\n",
            image.label, image.bytes
        );
        let _ = writeln!(s, "| section | bytes |\n|---|---:|");
        for (name, bytes) in &image.sections {
            let _ = writeln!(s, "| {name} | {bytes} |");
        }
        let _ = writeln!(s, "\n| crate/module (symbols) | bytes |\n|---|---:|");
        for (name, bytes) in &image.groups {
            let _ = writeln!(s, "| {} | {bytes} |", name.replace('|', "\\|"));
        }
        s.push('\n');
    }
    s
}

/// Whether `image` fits the budget; the line to print, with the breakdown
/// when it does not.
pub fn verdict(image: &Image, budget: u64) -> (bool, String) {
    if image.bytes <= budget {
        (
            true,
            format!(
                "{} bytes of {budget} ({} spare)",
                image.bytes,
                budget - image.bytes
            ),
        )
    } else {
        (
            false,
            format!(
                "{} bytes: {} over the budget of {budget}\n{}",
                image.bytes,
                image.bytes - budget,
                render(std::slice::from_ref(image))
            ),
        )
    }
}

/// Build `hello` for `arch` and measure it.
pub fn hello(arch: Arch) -> Result<Image, String> {
    let bootable = crate::guests::build_guest(arch, "hello", true)?;
    let elf = match arch {
        Arch::X86_64 => bootable,
        // `<elf>.Image` beside the ELF.
        Arch::Aarch64 => bootable.with_extension(""),
    };
    measure(arch, &elf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbols_group_by_crate_and_module() {
        // Names as rustc (v0 mangling) wrote them in hello's ELF.
        let cases = [
            ("_RNvNtCshQiJ1uNAgyn_4core3fmt5write", "core::fmt"),
            ("_RNvXsd_NtNtNtCshQiJ1uNAgyn_4core3fmt3num3impyNtB9_7Display3fmt", "core::fmt"),
            (
                "_RNvXNtNtCs5tWkVK3cXvD_7xencall2rt7consoleNtB2_7ConsoleNtNtCshQiJ1uNAgyn_4core3fmt5Write9write_str",
                "xencall::rt::console",
            ),
            (
                "_RNvMNtNtNtNtCseOzgdmEwF0x_7xencall4arch7aarch642rt3fdtNtB2_3Fdt6string",
                "xencall::arch::aarch64::rt",
            ),
            (
                "_RNvMs_NtNtCs5tWkVK3cXvD_7xencall7buffers4poolNtB4_4Pool11alloc_pages",
                "xencall::buffers",
            ),
            (
                "_RNvXs1_NtCs5tWkVK3cXvD_7xencall5errorNtB5_5ErrorNtNtCshQiJ1uNAgyn_4core3fmt7Display3fmt",
                "xencall::error",
            ),
            ("_RNvMs2_NtCse11MavEZzsu_4spin4onceNtB5_4Once4pollCs5tWkVK3cXvD_7xencall", "spin::once"),
            ("xencall_main", "symbol xencall_main"),
            (
                "anon.ee1d793951e8287c02a88261fb7efd5f.14.llvm.5525288685913085468",
                "anonymous constants",
            ),
        ];
        for (mangled, group) in cases {
            assert_eq!(group_of(mangled), group, "{mangled}");
        }
        assert_eq!(
            impl_path("<spin::once::Once<T>>::try_call_once_slow"),
            "spin::once::Once"
        );
        assert_eq!(
            impl_path("<&xencall::error::Error as core::fmt::Debug>::fmt"),
            "xencall::error::Error"
        );
        assert_eq!(
            impl_path("<[u8; 16] as core::fmt::Debug>::fmt"),
            "core::fmt::Debug"
        );
        assert_eq!(impl_path("<char>::escape_debug_ext"), "core::char");
    }

    fn image(bytes: u64) -> Image {
        Image {
            label: "x86_64 PVH and PV (one ELF)",
            bytes,
            sections: vec![(".text".into(), bytes - 100), ("ELF headers".into(), 100)],
            groups: vec![
                ("core::fmt".into(), 4000),
                ("xencall::rt::console".into(), 300),
            ],
        }
    }

    #[test]
    fn over_the_budget_fails_with_the_breakdown() {
        let (ok, text) = verdict(&image(BUDGET + 1), BUDGET);
        assert!(!ok);
        assert!(text.contains("1 over the budget"), "{text}");
        assert!(text.contains("| core::fmt | 4000 |"), "{text}");
        assert!(text.contains("| .text |"), "{text}");
        let (ok, text) = verdict(&image(BUDGET), BUDGET);
        assert!(ok, "{text}");
    }
}
