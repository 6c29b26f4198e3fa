//! A newc ("SVR4, no CRC") cpio writer: the format Linux unpacks as an
//! initramfs. Each entry is a 110-byte ASCII header (`070701` and 13
//! eight-digit hex fields), the NUL-terminated name padded to a multiple of
//! 4 bytes, then the data padded to 4. A `TRAILER!!!` entry ends it.
//!
//! Written here rather than taken from a crate: it is this one header and
//! two paddings, every field is checked by the tests below, and the
//! archive needs parent directories before their children, which the
//! sorted map gives for free.

use std::collections::BTreeMap;
use std::io::{self, Write};

const MAGIC: &[u8; 6] = b"070701";
const TRAILER: &str = "TRAILER!!!";

const S_IFDIR: u32 = 0o040000;
const S_IFREG: u32 = 0o100000;
const S_IFLNK: u32 = 0o120000;

/// One archive member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Entry {
    Dir,
    /// A regular file with its permission bits (e.g. 0o755).
    File {
        mode: u32,
        data: Vec<u8>,
    },
    /// A symbolic link to this target.
    Symlink(String),
}

/// An initramfs being assembled: paths relative to `/`, without a leading
/// slash, in sorted order (so every directory precedes what it holds).
#[derive(Default, Debug)]
pub struct Archive {
    entries: BTreeMap<String, Entry>,
}

impl Archive {
    /// Add a directory (and its parents).
    pub fn dir(&mut self, path: &str) -> Result<(), String> {
        self.add(path, Entry::Dir)
    }

    /// Add a regular file (and its parent directories).
    pub fn file(&mut self, path: &str, mode: u32, data: Vec<u8>) -> Result<(), String> {
        self.add(path, Entry::File { mode, data })
    }

    /// Add a symbolic link (and its parent directories).
    pub fn symlink(&mut self, path: &str, target: &str) -> Result<(), String> {
        self.add(path, Entry::Symlink(target.to_string()))
    }

    /// Whether `path` is in the archive.
    pub fn contains(&self, path: &str) -> bool {
        self.entries.contains_key(path.trim_matches('/'))
    }

    /// Add `entry` at `path`. The same entry twice is fine (two binaries
    /// needing one library); a different one at a taken path is an error,
    /// so nothing is silently replaced.
    pub fn add(&mut self, path: &str, entry: Entry) -> Result<(), String> {
        let path = path.trim_matches('/');
        if path.is_empty()
            || path
                .split('/')
                .any(|c| c.is_empty() || c == "." || c == "..")
        {
            return Err(format!("bad initramfs path {path:?}"));
        }
        if let Some((parent, _)) = path.rsplit_once('/') {
            self.add(parent, Entry::Dir)?;
        }
        match self.entries.get(path) {
            None => {
                self.entries.insert(path.to_string(), entry);
                Ok(())
            }
            Some(old) if *old == entry => Ok(()),
            Some(old) => Err(format!(
                "initramfs: /{path} is already a {}, cannot also add a {}",
                kind(old),
                kind(&entry)
            )),
        }
    }

    /// Bytes of all regular files (for messages).
    pub fn data_bytes(&self) -> usize {
        self.entries
            .values()
            .map(|e| match e {
                Entry::File { data, .. } => data.len(),
                _ => 0,
            })
            .sum()
    }

    /// Write the archive: every entry, then the trailer.
    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        // Inode numbers from 1; the trailer's is 0.
        for (ino, (path, entry)) in (1..).zip(&self.entries) {
            let (mode, nlink, data): (u32, u32, &[u8]) = match entry {
                Entry::Dir => (S_IFDIR | 0o755, 2, &[]),
                Entry::File { mode, data } => (S_IFREG | (mode & 0o7777), 1, data),
                Entry::Symlink(target) => (S_IFLNK | 0o777, 1, target.as_bytes()),
            };
            write_entry(out, ino, mode, nlink, path, data)?;
        }
        write_entry(out, 0, 0, 1, TRAILER, &[])
    }
}

fn kind(e: &Entry) -> &'static str {
    match e {
        Entry::Dir => "directory",
        Entry::File { .. } => "file",
        Entry::Symlink(_) => "symlink",
    }
}

/// The 110-byte header of one entry whose name is `name_len` bytes
/// (without its NUL) and whose data is `size` bytes. uid, gid and mtime
/// are 0: the archive depends on its contents only.
pub fn header(ino: u32, mode: u32, nlink: u32, name_len: usize, size: usize) -> [u8; 110] {
    let fields: [u32; 13] = [
        ino,
        mode,
        0, // uid
        0, // gid
        nlink,
        0, // mtime
        size as u32,
        0, // devmajor
        0, // devminor
        0, // rdevmajor
        0, // rdevminor
        name_len as u32 + 1,
        0, // check (newc has none)
    ];
    let mut h = [0u8; 110];
    h[..6].copy_from_slice(MAGIC);
    for (i, f) in fields.iter().enumerate() {
        let hex = format!("{f:08X}");
        h[6 + i * 8..14 + i * 8].copy_from_slice(hex.as_bytes());
    }
    h
}

/// Zero bytes that pad `len` to a multiple of 4.
fn padding(len: usize) -> &'static [u8] {
    &[0u8; 3][..(4 - len % 4) % 4]
}

fn write_entry(
    out: &mut impl Write,
    ino: u32,
    mode: u32,
    nlink: u32,
    name: &str,
    data: &[u8],
) -> io::Result<()> {
    if u32::try_from(data.len()).is_err() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name}: {} bytes is too large for cpio", data.len()),
        ));
    }
    out.write_all(&header(ino, mode, nlink, name.len(), data.len()))?;
    out.write_all(name.as_bytes())?;
    out.write_all(&[0])?;
    out.write_all(padding(110 + name.len() + 1))?;
    out.write_all(data)?;
    out.write_all(padding(data.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(h: &[u8], i: usize) -> u32 {
        u32::from_str_radix(std::str::from_utf8(&h[6 + i * 8..14 + i * 8]).unwrap(), 16).unwrap()
    }

    #[test]
    fn header_layout_is_newc() {
        let h = header(7, S_IFREG | 0o644, 1, 5, 0x1234);
        assert_eq!(h.len(), 110);
        assert_eq!(&h[..6], b"070701");
        // 13 fields of exactly 8 upper-case hex digits each.
        assert!(h[6..]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c)));
        assert_eq!(&h[6..14], b"00000007"); // ino
        assert_eq!(&h[14..22], b"000081A4"); // mode 0100644
        assert_eq!(field(&h, 4), 1); // nlink
        assert_eq!(&h[54..62], b"00001234"); // filesize
        assert_eq!(field(&h, 11), 6); // namesize counts the NUL
        assert_eq!(field(&h, 12), 0); // check
    }

    #[test]
    fn archive_bytes_and_padding() {
        let mut a = Archive::default();
        a.file("init", 0o755, b"#!/bin/sh\n".to_vec()).unwrap();
        let mut out = Vec::new();
        a.write(&mut out).unwrap();
        // init: 110 + "init\0" (5) = 115, padded to 116; data 10, padded to 12.
        assert_eq!(&out[110..115], b"init\0");
        assert_eq!(&out[115..116], &[0]);
        assert_eq!(&out[116..126], b"#!/bin/sh\n");
        assert_eq!(&out[126..128], &[0, 0]);
        // The trailer: 110 + "TRAILER!!!\0" (11) = 121, padded to 124.
        let t = &out[128..];
        assert_eq!(&t[..6], b"070701");
        assert_eq!(&t[110..121], b"TRAILER!!!\0");
        assert_eq!(t.len(), 124);
        assert_eq!(out.len() % 4, 0);
    }

    #[test]
    fn parents_first_and_kinds() {
        let mut a = Archive::default();
        a.symlink("lib64/ld.so", "/lib/x/ld.so").unwrap();
        a.file("a-b", 0o644, vec![1]).unwrap();
        a.file("a/b/c", 0o600, vec![2, 3]).unwrap();
        let names: Vec<&str> = a.entries.keys().map(|k| k.as_str()).collect();
        assert_eq!(names, ["a", "a-b", "a/b", "a/b/c", "lib64", "lib64/ld.so"]);
        let mut out = Vec::new();
        a.write(&mut out).unwrap();
        // Walk the archive back: modes and sizes as written.
        let mut at = 0;
        let mut seen = Vec::new();
        loop {
            let h = &out[at..at + 110];
            let namesize = field(h, 11) as usize;
            let size = field(h, 6) as usize;
            let name = std::str::from_utf8(&out[at + 110..at + 110 + namesize - 1]).unwrap();
            seen.push((name.to_string(), field(h, 1), size));
            at += 110 + namesize;
            at += (4 - at % 4) % 4;
            at += size;
            at += (4 - at % 4) % 4;
            if name == TRAILER {
                break;
            }
        }
        assert_eq!(at, out.len());
        assert_eq!(seen[0], ("a".into(), S_IFDIR | 0o755, 0));
        assert_eq!(seen[3], ("a/b/c".into(), S_IFREG | 0o600, 2));
        assert_eq!(seen[5], ("lib64/ld.so".into(), S_IFLNK | 0o777, 12));
    }

    #[test]
    fn conflicts_and_bad_paths_are_refused() {
        let mut a = Archive::default();
        a.file("etc/x", 0o644, vec![1]).unwrap();
        // The same again is fine, something else is not.
        a.file("etc/x", 0o644, vec![1]).unwrap();
        assert!(a.file("etc/x", 0o644, vec![2]).is_err());
        assert!(a.symlink("etc/x", "y").is_err());
        assert!(a.file("etc/x/y", 0o644, vec![]).is_err());
        assert!(a.file("../etc", 0o644, vec![]).is_err());
        assert!(a.file("a//b", 0o644, vec![]).is_err());
        assert!(a.contains("/etc/x"));
    }
}
