//! Node permissions as xenstore spells them: a list of `<letter><domid>`
//! strings, the first naming the owner (who may always read and write) and
//! the access every domain not listed gets, the rest one domain each.

use alloc::vec::Vec;
use core::fmt::Write;

use super::error::Protocol;

/// What a domain may do with a node.
///
/// ```
/// use xencall::xenstore::Access;
///
/// assert_eq!(Access::from_letter(b'b'), Some(Access::ReadWrite));
/// assert_eq!(Access::ReadWrite.letter(), b'b');
/// assert_eq!(Access::from_letter(b'x'), None);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    /// `n`: no access.
    None,
    /// `r`: read only.
    Read,
    /// `w`: write only.
    Write,
    /// `b`: both read and write.
    ReadWrite,
}

impl Access {
    /// The wire letter.
    ///
    /// ```
    /// use xencall::xenstore::Access;
    ///
    /// assert_eq!([Access::None, Access::Read, Access::Write].map(Access::letter), *b"nrw");
    /// ```
    pub fn letter(self) -> u8 {
        match self {
            Access::None => b'n',
            Access::Read => b'r',
            Access::Write => b'w',
            Access::ReadWrite => b'b',
        }
    }

    /// From the wire letter.
    ///
    /// ```
    /// use xencall::xenstore::Access;
    ///
    /// assert_eq!(Access::from_letter(b'r'), Some(Access::Read));
    /// ```
    pub fn from_letter(letter: u8) -> Option<Access> {
        Some(match letter {
            b'n' => Access::None,
            b'r' => Access::Read,
            b'w' => Access::Write,
            b'b' => Access::ReadWrite,
            _ => return None,
        })
    }
}

/// One entry of a node's permission list.
///
/// ```
/// use xencall::xenstore::{Access, Permission};
///
/// // Owned by domain 5, readable by everyone else.
/// let perms = [Permission { domid: 5, access: Access::Read }];
/// assert_eq!(perms[0].to_string(), "r5");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Permission {
    /// The domain (the owner, for the first entry).
    pub domid: u16,
    /// Its access (for the first entry: that of unlisted domains).
    pub access: Access,
}

impl core::fmt::Display for Permission {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_char(self.access.letter() as char)?;
        write!(f, "{}", self.domid)
    }
}

/// Parse a `GET_PERMS` reply: NUL-terminated `<letter><domid>` strings.
pub(super) fn parse(payload: &[u8]) -> Result<Vec<Permission>, Protocol> {
    let bad = Protocol::Malformed("permission list");
    let body = payload.strip_suffix(&[0]).ok_or(bad.clone())?;
    let mut out = Vec::new();
    for entry in body.split(|&b| b == 0) {
        let (&letter, digits) = entry.split_first().ok_or(bad.clone())?;
        let access = Access::from_letter(letter).ok_or(bad.clone())?;
        let domid = core::str::from_utf8(digits)
            .ok()
            .and_then(|d| d.parse::<u16>().ok())
            .ok_or(bad.clone())?;
        out.push(Permission { domid, access });
    }
    Ok(out)
}
