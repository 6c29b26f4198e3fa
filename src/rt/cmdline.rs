//! Reading `key=value` options from the guest command line.

/// The value of the last `key=value` word on `cmdline`, or `""` for a bare
/// `key`. Words are separated by spaces; no quoting.
///
/// ```
/// use xencall::rt::cmdline::option;
///
/// let cmdline = "console=hvc0 xencall-exit=qemu quiet xencall-exit=none";
/// assert_eq!(option(cmdline, "xencall-exit"), Some("none")); // the last one wins
/// assert_eq!(option(cmdline, "quiet"), Some(""));
/// // Whole keys only: `console` is not `con`.
/// assert_eq!(option(cmdline, "con"), None);
/// ```
pub fn option<'a>(cmdline: &'a str, key: &str) -> Option<&'a str> {
    // On bytes, as `split_ascii_whitespace` and `split_once('=')` would
    // split the words, but without core's string searchers (and their
    // panic paths) in every guest: every guest's runtime calls this.
    let mut found = None;
    let words = cmdline
        .as_bytes()
        .split(u8::is_ascii_whitespace)
        .filter(|w| !w.is_empty());
    for word in words {
        let mut halves = word.splitn(2, |&b| b == b'=');
        if halves.next() != Some(key.as_bytes()) {
            continue;
        }
        // Split at ASCII bytes: the value is UTF-8 as the line is.
        found = match halves.next() {
            Some(value) => core::str::from_utf8(value).ok(),
            None => Some(""),
        };
    }
    found
}

/// Turn a NUL-terminated string at `addr` (at most `max` bytes) into a
/// `&'static str`, keeping the longest valid UTF-8 prefix.
///
/// ```
/// use xencall::rt::cmdline::from_c_string;
///
/// // As the entry code reads `start_info.cmd_line` (a 1024-byte array).
/// static CMD_LINE: [u8; 16] = *b"quiet\0stale text";
/// // SAFETY: a static, readable for its 16 bytes and never changed.
/// let cmdline = unsafe { from_c_string(CMD_LINE.as_ptr() as u64, CMD_LINE.len()) };
/// assert_eq!(cmdline, "quiet");
/// // A NULL pointer (no command line at all) reads as empty.
/// // SAFETY: 0 is never read.
/// assert_eq!(unsafe { from_c_string(0, 1024) }, "");
/// ```
///
/// # Safety
/// `addr` must be readable for up to `max` bytes or up to its NUL, and the
/// memory must stay unchanged for the rest of the program.
pub unsafe fn from_c_string(addr: u64, max: usize) -> &'static str {
    if addr == 0 {
        return "";
    }
    let ptr = addr as *const u8;
    let mut len = 0;
    // SAFETY: the caller guarantees the bytes up to the NUL (or `max`) are
    // readable.
    while len < max && unsafe { *ptr.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: `len` bytes were just read; they stay unchanged by contract.
    let bytes = unsafe { core::slice::from_raw_parts(ptr, len) };
    match core::str::from_utf8(bytes) {
        Ok(s) => s,
        // `get`: `valid_up_to` is within `bytes`; no panic path.
        Err(e) => match bytes.get(..e.valid_up_to()) {
            // SAFETY: `valid_up_to` bytes are valid UTF-8.
            Some(valid) => unsafe { core::str::from_utf8_unchecked(valid) },
            None => "",
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_are_found_by_whole_key() {
        let c = "console=hvc0 xencall-exit=qemu quiet xencall-exit2=x";
        assert_eq!(option(c, "xencall-exit"), Some("qemu"));
        assert_eq!(option(c, "quiet"), Some(""));
        assert_eq!(option(c, "xencall"), None);
        assert_eq!(option("a=1 a=2", "a"), Some("2"));
        // Any ASCII whitespace separates; the first `=` splits.
        assert_eq!(option("x\ta=1=2\n b", "a"), Some("1=2"));
        assert_eq!(option("a=1=2", "a=1"), None);
        assert_eq!(option("a= b", "a"), Some(""));
        assert_eq!(option("=v", ""), Some("v"));
        assert_eq!(option("  ", ""), None);
        assert_eq!(option("é=ü", "é"), Some("ü"));
    }

    #[test]
    fn c_strings_stop_at_nul_max_or_bad_utf8() {
        let s = b"hello\0world";
        // SAFETY: a live byte string.
        unsafe {
            assert_eq!(from_c_string(s.as_ptr() as u64, 64), "hello");
            assert_eq!(from_c_string(s.as_ptr() as u64, 3), "hel");
            assert_eq!(from_c_string(c"ok\xff".as_ptr() as u64, 64), "ok");
            assert_eq!(from_c_string(0, 64), "");
        }
    }
}
