//! The ELF `vmlinux` inside an x86 bzImage. Given the bzImage, Xen
//! decompresses the kernel itself, which takes 4–5 s under TCG (the domU
//! recipe, pitfall 3); handed the ELF, its dom0 build takes 0.1–0.5 s.
//!
//! The compressed payload's place is in the boot protocol's setup header
//! (protocol 2.08 and later): `setup_sects` at 0x1f1 (0 means 4), then
//! `payload_offset` (0x248) and `payload_length` (0x24c), counted from
//! the protected-mode code, which starts after the setup sectors and the
//! boot sector. Debian 12 compresses with xz (and the x86 BCJ filter, which
//! is why the decoder is lzma-rust2: pure Rust, no C library to build, and
//! unlike lzma-rs it decodes BCJ); Debian 13 with zstd (decoded by ruzstd,
//! pure Rust too). The payload ends with the 4-byte uncompressed size the
//! kernel build appends after the stream, so only one stream (or frame) is
//! decoded.

use std::io::Read;

const SETUP_SECTS: usize = 0x1f1;
const HEADER_MAGIC: usize = 0x202;
const PROTOCOL_VERSION: usize = 0x206;
const PAYLOAD_OFFSET: usize = 0x248;
const PAYLOAD_LENGTH: usize = 0x24c;

const XZ_MAGIC: &[u8] = b"\xfd7zXZ\0";
const ZSTD_MAGIC: &[u8] = b"\x28\xb5\x2f\xfd";

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

/// The byte range of the compressed kernel in `bzimage`.
pub fn payload_range(bzimage: &[u8]) -> Result<std::ops::Range<usize>, String> {
    if bzimage.get(HEADER_MAGIC..HEADER_MAGIC + 4) != Some(b"HdrS") {
        return Err("not a bzImage (no \"HdrS\" setup header at 0x202)".into());
    }
    let version = u16::from_le_bytes([bzimage[PROTOCOL_VERSION], bzimage[PROTOCOL_VERSION + 1]]);
    if version < 0x208 {
        return Err(format!(
            "boot protocol {}.{:02} has no payload fields (2.08 and later do)",
            version >> 8,
            version & 0xff
        ));
    }
    let setup_sects = match bzimage[SETUP_SECTS] {
        0 => 4,
        n => n as usize,
    };
    let offset = u32_at(bzimage, PAYLOAD_OFFSET).ok_or("truncated setup header")? as usize;
    let length = u32_at(bzimage, PAYLOAD_LENGTH).ok_or("truncated setup header")? as usize;
    let start = (setup_sects + 1) * 512 + offset;
    let end = start
        .checked_add(length)
        .filter(|&end| end <= bzimage.len())
        .ok_or_else(|| {
            format!(
                "payload {start:#x}+{length:#x} lies beyond the file's {:#x} bytes",
                bzimage.len()
            )
        })?;
    Ok(start..end)
}

/// The uncompressed ELF kernel of `bzimage`.
pub fn vmlinux(bzimage: &[u8]) -> Result<Vec<u8>, String> {
    let payload = &bzimage[payload_range(bzimage)?];
    let mut elf = Vec::with_capacity(payload.len() * 4);
    if payload.starts_with(XZ_MAGIC) {
        lzma_rust2::XzReader::new(payload, false)
            .read_to_end(&mut elf)
            .map_err(|e| format!("decompressing the kernel payload (xz): {e}"))?;
    } else if payload.starts_with(ZSTD_MAGIC) {
        ruzstd::decoding::StreamingDecoder::new(payload)
            .map_err(|e| format!("the kernel payload's zstd frame: {e}"))?
            .read_to_end(&mut elf)
            .map_err(|e| format!("decompressing the kernel payload (zstd): {e}"))?;
    } else {
        let what = match payload.get(..4) {
            Some([0x1f, 0x8b, ..]) => "gzip",
            Some([0x02, 0x21, 0x4c, 0x18]) => "lz4",
            _ => "an unknown format",
        };
        return Err(format!(
            "the kernel payload is {what}, not xz or zstd (only those are unpacked here)"
        ));
    }
    if !elf.starts_with(b"\x7fELF") {
        return Err("the decompressed kernel payload is not an ELF file".into());
    }
    Ok(elf)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A bzImage-shaped buffer: `setup_sects`, protocol version and the
    /// payload fields where the boot protocol puts them.
    fn image(setup_sects: u8, version: u16, offset: u32, payload: &[u8]) -> Vec<u8> {
        let sects = if setup_sects == 0 {
            4
        } else {
            setup_sects as usize
        };
        let code = (sects + 1) * 512;
        let mut b = vec![0u8; code + offset as usize];
        b[SETUP_SECTS] = setup_sects;
        b[HEADER_MAGIC..HEADER_MAGIC + 4].copy_from_slice(b"HdrS");
        b[PROTOCOL_VERSION..PROTOCOL_VERSION + 2].copy_from_slice(&version.to_le_bytes());
        b[PAYLOAD_OFFSET..PAYLOAD_OFFSET + 4].copy_from_slice(&offset.to_le_bytes());
        b[PAYLOAD_LENGTH..PAYLOAD_LENGTH + 4]
            .copy_from_slice(&(payload.len() as u32).to_le_bytes());
        b.extend_from_slice(payload);
        b.extend_from_slice(b"tail");
        b
    }

    #[test]
    fn payload_offsets_follow_the_setup_header() {
        // 27 setup sectors (Debian 6.1's): code at 28 * 512 = 0x3800.
        let b = image(27, 0x20f, 0x3b1, b"PAYLOAD");
        let r = payload_range(&b).unwrap();
        assert_eq!(r.start, 0x3800 + 0x3b1);
        assert_eq!(&b[r], b"PAYLOAD");
        // setup_sects 0 means 4.
        let b = image(0, 0x208, 0x10, b"xy");
        assert_eq!(payload_range(&b).unwrap().start, 5 * 512 + 0x10);
    }

    #[test]
    fn bad_images_are_refused() {
        assert!(payload_range(&[0u8; 0x300]).unwrap_err().contains("HdrS"));
        let old = image(4, 0x206, 0, b"x");
        assert!(payload_range(&old).unwrap_err().contains("2.06"));
        let mut short = image(4, 0x20f, 0, b"x");
        short[PAYLOAD_LENGTH..PAYLOAD_LENGTH + 4].copy_from_slice(&0x10000u32.to_le_bytes());
        assert!(payload_range(&short).unwrap_err().contains("beyond"));
        let gzip = image(4, 0x20f, 0, &[0x1f, 0x8b, 8, 0]);
        assert!(vmlinux(&gzip).unwrap_err().contains("gzip"));
    }

    #[test]
    fn an_xz_payload_with_a_size_tail_decodes() {
        // An xz stream with the x86 BCJ filter and CRC32, as the kernel
        // build makes it, followed by the 4-byte size it appends.
        let elf: Vec<u8> = b"\x7fELF"
            .iter()
            .copied()
            .chain((0..5000u32).flat_map(|i| [0xe8, i as u8, 0, 0, 0]))
            .collect();
        let mut options = lzma_rust2::XzOptions::with_preset(6);
        options.set_check_sum_type(lzma_rust2::CheckType::Crc32);
        options.prepend_pre_filter(lzma_rust2::FilterType::BcjX86, 0);
        let mut writer = lzma_rust2::XzWriter::new(Vec::new(), options).unwrap();
        std::io::Write::write_all(&mut writer, &elf).unwrap();
        let mut payload = writer.finish().unwrap();
        payload.extend_from_slice(&(elf.len() as u32).to_le_bytes());
        assert_eq!(vmlinux(&image(27, 0x20f, 0x100, &payload)).unwrap(), elf);
        // A damaged stream is an error, not a short kernel.
        let mut bad = payload.clone();
        bad[40] ^= 0xff;
        assert!(vmlinux(&image(27, 0x20f, 0x100, &bad)).is_err());
    }

    #[test]
    fn a_zstd_payload_with_a_size_tail_decodes() {
        // Debian 13's kernels: one zstd frame, then the 4-byte size.
        let elf: Vec<u8> = b"\x7fELF"
            .iter()
            .copied()
            .chain((0..5000u32).flat_map(|i| [0xe8, i as u8, 0, 0, 0]))
            .collect();
        let mut payload = ruzstd::encoding::compress_to_vec(
            &elf[..],
            ruzstd::encoding::CompressionLevel::Fastest,
        );
        assert!(payload.starts_with(ZSTD_MAGIC));
        payload.extend_from_slice(&(elf.len() as u32).to_le_bytes());
        assert_eq!(vmlinux(&image(27, 0x20f, 0x100, &payload)).unwrap(), elf);
        // A frame cut short is an error, not a short kernel.
        let cut = &payload[..payload.len() / 2];
        assert!(vmlinux(&image(27, 0x20f, 0x100, cut)).is_err());
    }
}
