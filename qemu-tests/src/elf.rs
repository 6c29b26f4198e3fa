//! Reading guest ELF files (with the `object` crate): the machine, the
//! entry point, the `Xen` ELF notes Xen boots a kernel by, and the flat
//! binary of the `PT_LOAD` segments (what `objcopy -O binary` produces)
//! for the arm64 `Image` Xen loads.

use object::elf::{FileHeader64, ProgramHeader64, PT_LOAD, PT_PHDR};
use object::read::elf::{FileHeader, ProgramHeader};
use object::LittleEndian;

/// `e_machine` of x86_64 and aarch64 ELF files.
pub use object::elf::{EM_AARCH64, EM_X86_64};

type Header = FileHeader64<LittleEndian>;
type Segment = ProgramHeader64<LittleEndian>;

/// A little-endian ELF64 file and its program headers.
pub struct Elf<'a> {
    bytes: &'a [u8],
    header: &'a Header,
    segments: &'a [Segment],
}

/// One ELF note: its owner's name, type and descriptor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    pub name: Vec<u8>,
    pub kind: u32,
    pub desc: Vec<u8>,
}

impl<'a> Elf<'a> {
    /// Whether `bytes` starts like an ELF file (of any class).
    pub fn is_elf(bytes: &[u8]) -> bool {
        bytes.starts_with(b"\x7fELF")
    }

    pub fn parse(bytes: &'a [u8]) -> Result<Elf<'a>, String> {
        if !Elf::is_elf(bytes) {
            return Err("not an ELF file".into());
        }
        let header =
            Header::parse(bytes).map_err(|e| format!("not a little-endian ELF64 file: {e}"))?;
        let segments = header
            .program_headers(LittleEndian, bytes)
            .map_err(|e| format!("unreadable program headers: {e}"))?;
        Ok(Elf {
            bytes,
            header,
            segments,
        })
    }

    /// `e_machine`: [`EM_X86_64`], [`EM_AARCH64`], ...
    pub fn machine(&self) -> u16 {
        self.header.e_machine(LittleEndian)
    }

    /// `e_entry`: 0 when the linker found no entry symbol.
    pub fn entry(&self) -> u64 {
        self.header.e_entry(LittleEndian)
    }

    /// Every note in the `PT_NOTE` segments (where Xen looks for them).
    pub fn segment_notes(&self) -> Result<Vec<Note>, String> {
        let mut notes = Vec::new();
        for segment in self.segments {
            let Some(mut iter) = segment
                .notes(LittleEndian, self.bytes)
                .map_err(|e| format!("unreadable note segment: {e}"))?
            else {
                continue;
            };
            while let Some(note) = iter.next().map_err(|e| format!("unreadable note: {e}"))? {
                notes.push(Note {
                    name: note.name().to_vec(),
                    kind: note.n_type(LittleEndian),
                    desc: note.desc().to_vec(),
                });
            }
        }
        Ok(notes)
    }

    /// The end of the ELF and program headers (`PT_PHDR` may say more).
    fn headers_end(&self) -> u64 {
        let e = LittleEndian;
        let table = self.header.e_phoff(e)
            + u64::from(self.header.e_phnum(e)) * u64::from(self.header.e_phentsize(e));
        self.segments
            .iter()
            .filter(|s| s.p_type(e) == PT_PHDR)
            .map(|s| s.p_offset(e) + s.p_filesz(e))
            .fold(table, u64::max)
    }

    /// The virtual address range `[start, end)` the `PT_LOAD` segments
    /// cover in memory, `.bss` included.
    pub fn loaded_range(&self) -> Result<(u64, u64), String> {
        let e = LittleEndian;
        self.segments
            .iter()
            .filter(|s| s.p_type(e) == PT_LOAD && s.p_memsz(e) > 0)
            .map(|s| {
                let start = s.p_vaddr(e);
                (start, start.saturating_add(s.p_memsz(e)))
            })
            .reduce(|(s0, e0), (s1, e1)| (s0.min(s1), e0.max(e1)))
            .ok_or_else(|| "no loadable segment".into())
    }

    /// Copy every non-empty `PT_LOAD` segment's file bytes into a flat
    /// image that starts at the lowest segment physical address; gaps and
    /// the segments' zero-fill tails inside the image are zeros, the last
    /// segment's `.bss` tail is not included (the guest zeroes its own).
    pub fn flat_binary(&self) -> Result<Vec<u8>, String> {
        let e = LittleEndian;
        let headers_end = self.headers_end();
        let mut parts = Vec::new();
        for (i, segment) in self.segments.iter().enumerate() {
            if segment.p_type(e) != PT_LOAD {
                continue;
            }
            let (offset, filesz) = (segment.p_offset(e), segment.p_filesz(e));
            // Empty, or only the ELF and program headers (a linker without
            // a script maps them): nothing of the image.
            if filesz == 0 || (offset == 0 && filesz <= headers_end) {
                continue;
            }
            let bytes = segment
                .data(e, self.bytes)
                .map_err(|_| format!("segment {i} lies outside the file"))?;
            parts.push((segment.p_paddr(e), bytes));
        }
        let base = parts
            .iter()
            .map(|(p, _)| *p)
            .min()
            .ok_or("no loadable segment with file contents")?;
        let end = parts
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
        for (paddr, bytes) in parts {
            let at = (paddr - base) as usize;
            image[at..at + bytes.len()].copy_from_slice(bytes);
        }
        Ok(image)
    }
}

/// Test images: little-endian ELF64 files written field by field.
#[cfg(test)]
pub mod fake {
    use object::elf::{PT_LOAD, PT_NOTE};

    /// A segment of a fake ELF: type, physical address, file contents.
    pub struct Part<'a> {
        pub kind: u32,
        pub paddr: u64,
        pub bytes: &'a [u8],
    }

    pub fn load(paddr: u64, bytes: &[u8]) -> Part<'_> {
        Part {
            kind: PT_LOAD,
            paddr,
            bytes,
        }
    }

    /// One `PT_NOTE` segment's contents: `(name, type, desc)` notes.
    pub fn notes(list: &[(&str, u32, &[u8])]) -> Vec<u8> {
        let pad = |v: &mut Vec<u8>| v.resize(v.len().next_multiple_of(4), 0);
        let mut out = Vec::new();
        for (name, kind, desc) in list {
            out.extend_from_slice(&(name.len() as u32 + 1).to_le_bytes());
            out.extend_from_slice(&(desc.len() as u32).to_le_bytes());
            out.extend_from_slice(&kind.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.push(0);
            pad(&mut out);
            out.extend_from_slice(desc);
            pad(&mut out);
        }
        out
    }

    pub fn note_segment(bytes: &[u8]) -> Part<'_> {
        Part {
            kind: PT_NOTE,
            paddr: 0,
            bytes,
        }
    }

    /// An ELF64 file for `machine` with entry `entry` and these segments.
    pub fn elf(machine: u16, entry: u64, parts: &[Part<'_>]) -> Vec<u8> {
        let phoff = 64usize;
        let mut f = vec![0u8; phoff + 56 * parts.len()];
        f[0..4].copy_from_slice(b"\x7fELF");
        f[4] = 2; // ELFCLASS64
        f[5] = 1; // ELFDATA2LSB
        f[6] = 1; // EV_CURRENT
        f[0x10..0x12].copy_from_slice(&2u16.to_le_bytes()); // ET_EXEC
        f[0x12..0x14].copy_from_slice(&machine.to_le_bytes());
        f[0x14..0x18].copy_from_slice(&1u32.to_le_bytes());
        f[0x18..0x20].copy_from_slice(&entry.to_le_bytes());
        f[0x20..0x28].copy_from_slice(&(phoff as u64).to_le_bytes());
        f[0x34..0x36].copy_from_slice(&64u16.to_le_bytes());
        f[0x36..0x38].copy_from_slice(&56u16.to_le_bytes());
        f[0x38..0x3a].copy_from_slice(&(parts.len() as u16).to_le_bytes());
        for (i, part) in parts.iter().enumerate() {
            let ph = phoff + 56 * i;
            let offset = f.len() as u64;
            f[ph..ph + 4].copy_from_slice(&part.kind.to_le_bytes());
            f[ph + 8..ph + 16].copy_from_slice(&offset.to_le_bytes());
            let vaddr = part.paddr + 0xffff_0000_0000;
            f[ph + 0x10..ph + 0x18].copy_from_slice(&vaddr.to_le_bytes());
            f[ph + 0x18..ph + 0x20].copy_from_slice(&part.paddr.to_le_bytes());
            let len = (part.bytes.len() as u64).to_le_bytes();
            f[ph + 0x20..ph + 0x28].copy_from_slice(&len);
            f[ph + 0x28..ph + 0x30].copy_from_slice(&len);
            f[ph + 0x30..ph + 0x38].copy_from_slice(&4u64.to_le_bytes());
            f.extend_from_slice(part.bytes);
            f.resize(f.len().next_multiple_of(8), 0);
        }
        f
    }
}

#[cfg(test)]
mod tests {
    use super::fake::{self, load};
    use super::*;

    fn flat(f: &[u8]) -> Result<Vec<u8>, String> {
        Elf::parse(f)?.flat_binary()
    }

    #[test]
    fn the_loaded_range_spans_every_segment() {
        let f = fake::elf(
            EM_X86_64,
            0x1000,
            &[load(0x1010, b"cd"), load(0x1000, b"ab"), load(0x2000, b"x")],
        );
        let base = 0xffff_0000_0000;
        assert_eq!(
            Elf::parse(&f).unwrap().loaded_range(),
            Ok((base + 0x1000, base + 0x2001))
        );
        let empty = fake::elf(EM_X86_64, 0x1000, &[]);
        assert!(Elf::parse(&empty).unwrap().loaded_range().is_err());
    }

    #[test]
    fn segments_are_placed_by_physical_address() {
        let notes = fake::notes(&[("Xen", 18, &[0, 0, 0x10, 0])]);
        let f = fake::elf(
            EM_AARCH64,
            0x1000,
            &[
                fake::note_segment(&notes),
                load(0x1010, b"cd"),
                load(0x1000, b"ab"),
                load(0x2000, b""),
            ],
        );
        let image = flat(&f).unwrap();
        assert_eq!(image.len(), 0x12);
        assert_eq!(&image[..2], b"ab");
        assert!(image[2..0x10].iter().all(|&b| b == 0));
        assert_eq!(&image[0x10..], b"cd");
    }

    #[test]
    fn a_header_only_segment_is_skipped() {
        let mut f = fake::elf(EM_AARCH64, 0, &[load(0x4000_0000, b"code"), load(0, b"")]);
        // The second PT_LOAD covers only the headers, at offset 0.
        let ph = 64 + 56;
        f[ph + 8..ph + 16].copy_from_slice(&0u64.to_le_bytes());
        f[ph + 0x18..ph + 0x20].copy_from_slice(&0x20_0000u64.to_le_bytes());
        f[ph + 0x20..ph + 0x28].copy_from_slice(&0x40u64.to_le_bytes());
        assert_eq!(flat(&f).unwrap(), b"code");
    }

    #[test]
    fn rejects_non_elf_and_empty_images() {
        assert!(flat(b"MZ\0\0").is_err());
        assert!(flat(b"\x7fELF\x01\x01\x01").is_err());
        assert!(flat(&fake::elf(EM_AARCH64, 0, &[])).is_err());
    }

    #[test]
    fn notes_machine_and_entry_are_read() {
        let notes = fake::notes(&[
            ("Xen", 18, &0x10_0000u32.to_le_bytes()),
            ("GNU", 3, b"build-id"),
        ]);
        let f = fake::elf(
            EM_X86_64,
            0x1000bc,
            &[load(0x10_0000, b"text"), fake::note_segment(&notes)],
        );
        let elf = Elf::parse(&f).unwrap();
        assert_eq!(elf.machine(), EM_X86_64);
        assert_eq!(elf.entry(), 0x1000bc);
        let notes = elf.segment_notes().unwrap();
        assert_eq!(notes.len(), 2);
        assert_eq!(
            notes[0],
            Note {
                name: b"Xen".to_vec(),
                kind: 18,
                desc: 0x10_0000u32.to_le_bytes().to_vec()
            }
        );
        assert_eq!(notes[1].name, b"GNU");
    }
}
