//! [`CString`]: a NUL-padded C string of fixed capacity, as Xen fills them.

use core::fmt;

/// A NUL-padded string of at most `N` bytes, as in Xen's `char x[N]`
/// fields; no allocator needed.
///
/// ```
/// use xencall::hypercalls::CString;
///
/// let extra = CString::from_bytes(*b".7\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
/// // Display and Debug stop at the NUL, so the padding never shows.
/// assert_eq!(format!("4.17{extra}"), "4.17.7");
/// assert_eq!(format!("{extra:?}"), "\".7\"");
/// ```
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CString<const N: usize> {
    bytes: [u8; N],
}

impl<const N: usize> CString<N> {
    /// Wrap the raw bytes.
    ///
    /// ```
    /// use xencall::hypercalls::CString;
    ///
    /// // A field Xen filled to the brim has no NUL; all of it is kept.
    /// let full = CString::from_bytes(*b"0123456789abcdef");
    /// assert_eq!(full.as_str().len(), 16);
    /// ```
    pub const fn from_bytes(bytes: [u8; N]) -> Self {
        CString { bytes }
    }

    /// The bytes up to the first NUL.
    ///
    /// ```
    /// use xencall::hypercalls::CString;
    ///
    /// // The raw bytes survive even when they are not UTF-8.
    /// let s = CString::from_bytes(*b"caf\xe9\0\0\0\0");
    /// assert_eq!(s.to_bytes(), b"caf\xe9");
    /// ```
    pub fn to_bytes(&self) -> &[u8] {
        let len = self.bytes.iter().position(|&b| b == 0).unwrap_or(N);
        &self.bytes[..len]
    }

    /// The text up to the first NUL, or the longest valid UTF-8 prefix.
    ///
    /// ```
    /// use xencall::hypercalls::CString;
    ///
    /// let s = CString::from_bytes(*b"caf\xe9\0\0\0\0");
    /// // No panic and no allocation for a Latin-1 byte: the valid part is kept.
    /// assert_eq!(s.as_str(), "caf");
    /// ```
    pub fn as_str(&self) -> &str {
        let b = self.to_bytes();
        match core::str::from_utf8(b) {
            Ok(s) => s,
            Err(e) => core::str::from_utf8(&b[..e.valid_up_to()]).unwrap_or(""),
        }
    }
}

impl<const N: usize> fmt::Display for CString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl<const N: usize> fmt::Debug for CString<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::CString;

    #[test]
    fn stops_at_nul_and_survives_bad_utf8() {
        assert_eq!(CString::from_bytes(*b".7\0\0").as_str(), ".7");
        assert_eq!(CString::from_bytes(*b"full").as_str(), "full");
        assert_eq!(CString::from_bytes(*b"ok\xff\0").as_str(), "ok");
        assert_eq!(CString::from_bytes(*b"ok\xff\0").to_bytes(), b"ok\xff");
    }
}
