//! A minimal ELF64 reader: the flat binary of an image's `PT_LOAD` segments
//! (what `objcopy -O binary` produces), for the arm64 `Image` Xen loads.

const PT_LOAD: u32 = 1;
const PT_PHDR: u32 = 6;

fn u16_at(b: &[u8], off: usize) -> Result<u16, String> {
    b.get(off..off + 2)
        .map(|s| u16::from_le_bytes([s[0], s[1]]))
        .ok_or_else(|| format!("ELF truncated at {off:#x}"))
}

fn u32_at(b: &[u8], off: usize) -> Result<u32, String> {
    b.get(off..off + 4)
        .map(|s| u32::from_le_bytes(s.try_into().unwrap()))
        .ok_or_else(|| format!("ELF truncated at {off:#x}"))
}

fn u64_at(b: &[u8], off: usize) -> Result<u64, String> {
    b.get(off..off + 8)
        .map(|s| u64::from_le_bytes(s.try_into().unwrap()))
        .ok_or_else(|| format!("ELF truncated at {off:#x}"))
}

/// Copy every non-empty `PT_LOAD` segment's file bytes into a flat image
/// that starts at the lowest segment physical address; gaps and the
/// segments' zero-fill tails inside the image are zeros, the last
/// segment's `.bss` tail is not included (the guest zeroes its own).
pub fn flat_binary(elf: &[u8]) -> Result<Vec<u8>, String> {
    if elf.get(0..4) != Some(b"\x7fELF") {
        return Err("not an ELF file".into());
    }
    if elf.get(4) != Some(&2) || elf.get(5) != Some(&1) {
        return Err("not a little-endian ELF64 file".into());
    }
    let phoff = u64_at(elf, 0x20)? as usize;
    let phentsize = u16_at(elf, 0x36)? as usize;
    let phnum = u16_at(elf, 0x38)? as usize;
    // The end of the ELF and program headers (PT_PHDR may say more).
    let mut headers_end = phoff + phnum * phentsize;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if u32_at(elf, ph)? == PT_PHDR {
            let end = u64_at(elf, ph + 0x08)? + u64_at(elf, ph + 0x20)?;
            headers_end = headers_end.max(end as usize);
        }
    }
    let mut segments = Vec::new();
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        if u32_at(elf, ph)? != PT_LOAD {
            continue;
        }
        let offset = u64_at(elf, ph + 0x08)? as usize;
        let paddr = u64_at(elf, ph + 0x18)?;
        let filesz = u64_at(elf, ph + 0x20)? as usize;
        // Empty, or only the ELF and program headers (a linker without a
        // script maps them): nothing of the image.
        if filesz == 0 || (offset == 0 && filesz <= headers_end) {
            continue;
        }
        let bytes = elf
            .get(offset..offset + filesz)
            .ok_or_else(|| format!("segment {i} lies outside the file"))?;
        segments.push((paddr, bytes));
    }
    let base = segments
        .iter()
        .map(|(p, _)| *p)
        .min()
        .ok_or("no loadable segment with file contents")?;
    let end = segments
        .iter()
        .map(|(p, b)| p + b.len() as u64)
        .max()
        .unwrap_or(base);
    if end - base > 256 << 20 {
        return Err(format!(
            "segments span {:#x} bytes from {base:#x}: not one image",
            end - base
        ));
    }
    let mut image = vec![0u8; (end - base) as usize];
    for (paddr, bytes) in segments {
        let at = (paddr - base) as usize;
        image[at..at + bytes.len()].copy_from_slice(bytes);
    }
    Ok(image)
}

/// The virtual address range `[start, end)` the `PT_LOAD` segments cover
/// in memory, `.bss` included.
pub fn loaded_range(elf: &[u8]) -> Result<(u64, u64), String> {
    if elf.get(0..4) != Some(b"\x7fELF") {
        return Err("not an ELF file".into());
    }
    let phoff = u64_at(elf, 0x20)? as usize;
    let phentsize = u16_at(elf, 0x36)? as usize;
    let phnum = u16_at(elf, 0x38)? as usize;
    let mut range: Option<(u64, u64)> = None;
    for i in 0..phnum {
        let ph = phoff + i * phentsize;
        let memsz = u64_at(elf, ph + 0x28)?;
        if u32_at(elf, ph)? != PT_LOAD || memsz == 0 {
            continue;
        }
        let vaddr = u64_at(elf, ph + 0x10)?;
        let end = vaddr.saturating_add(memsz);
        range = Some(range.map_or((vaddr, end), |(s, e)| (s.min(vaddr), e.max(end))));
    }
    range.ok_or_else(|| "no loadable segment".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An ELF64 file with the given (paddr, contents, memsz) PT_LOAD segments.
    fn elf(segments: &[(u64, &[u8], u64)]) -> Vec<u8> {
        let phoff = 64usize;
        let data = phoff + 56 * (segments.len() + 1);
        let mut f = vec![0u8; data];
        f[0..4].copy_from_slice(b"\x7fELF");
        f[4] = 2;
        f[5] = 1;
        f[0x20..0x28].copy_from_slice(&(phoff as u64).to_le_bytes());
        f[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        f[0x38..0x3a].copy_from_slice(&((segments.len() + 1) as u16).to_le_bytes());
        // A non-load header first (PT_NOTE), to be skipped.
        f[phoff..phoff + 4].copy_from_slice(&4u32.to_le_bytes());
        for (i, (paddr, bytes, memsz)) in segments.iter().enumerate() {
            let ph = phoff + 56 * (i + 1);
            let offset = f.len() as u64;
            f[ph..ph + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
            f[ph + 8..ph + 16].copy_from_slice(&offset.to_le_bytes());
            f[ph + 0x10..ph + 0x18].copy_from_slice(&(paddr + 0xffff_0000_0000).to_le_bytes());
            f[ph + 0x18..ph + 0x20].copy_from_slice(&paddr.to_le_bytes());
            f[ph + 0x20..ph + 0x28].copy_from_slice(&(bytes.len() as u64).to_le_bytes());
            f[ph + 0x28..ph + 0x30].copy_from_slice(&memsz.to_le_bytes());
            f.extend_from_slice(bytes);
        }
        f
    }

    #[test]
    fn segments_are_placed_by_physical_address() {
        let f = elf(&[(0x1010, b"cd", 4), (0x1000, b"ab", 2), (0x2000, b"", 0x100)]);
        let image = flat_binary(&f).unwrap();
        assert_eq!(image.len(), 0x12);
        assert_eq!(&image[..2], b"ab");
        assert!(image[2..0x10].iter().all(|&b| b == 0));
        assert_eq!(&image[0x10..], b"cd");
    }

    #[test]
    fn a_header_only_segment_is_skipped() {
        let mut f = elf(&[(0x4000_0000, b"code", 4)]);
        // A second PT_LOAD covering only the headers, at offset 0.
        let ph = 64;
        f[ph..ph + 4].copy_from_slice(&PT_LOAD.to_le_bytes());
        f[ph + 0x18..ph + 0x20].copy_from_slice(&0x20_0000u64.to_le_bytes());
        f[ph + 0x20..ph + 0x28].copy_from_slice(&0x40u64.to_le_bytes());
        assert_eq!(flat_binary(&f).unwrap(), b"code");
    }

    #[test]
    fn the_loaded_range_spans_every_segment_with_its_bss() {
        let f = elf(&[(0x1010, b"cd", 4), (0x1000, b"ab", 2), (0x2000, b"", 0x100)]);
        let base = 0xffff_0000_0000;
        assert_eq!(loaded_range(&f), Ok((base + 0x1000, base + 0x2100)));
        assert!(loaded_range(&elf(&[])).is_err());
    }

    #[test]
    fn rejects_non_elf() {
        assert!(flat_binary(b"MZ\0\0").is_err());
        assert!(flat_binary(&elf(&[])).is_err());
    }
}
