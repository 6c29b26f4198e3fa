//! [`CString`]: a NUL-padded C string of fixed capacity, as Xen fills them.

use core::fmt;

/// A NUL-padded string of at most `N` bytes, as in Xen's `char x[N]`
/// fields; no allocator needed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct CString<const N: usize> {
    bytes: [u8; N],
}

impl<const N: usize> CString<N> {
    /// Wrap the raw bytes.
    pub const fn from_bytes(bytes: [u8; N]) -> Self {
        CString { bytes }
    }

    /// The bytes up to the first NUL.
    pub fn to_bytes(&self) -> &[u8] {
        let len = self.bytes.iter().position(|&b| b == 0).unwrap_or(N);
        &self.bytes[..len]
    }

    /// The text up to the first NUL, or the longest valid UTF-8 prefix.
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
