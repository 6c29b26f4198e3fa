//! Checking paths and strings before they go into a request, by the rules
//! of `docs/misc/xenstore.txt` and the limits of `xs_wire.h`: a bad path
//! gets a clear error here instead of an `EINVAL` (or, for an overlong
//! payload, a killed connection) from the daemon.

use super::error::Invalid;
use crate::abi::xenstore::{XENSTORE_ABS_PATH_MAX, XENSTORE_REL_PATH_MAX};

/// Check a node path: absolute (`/local/domain/3/name`) or relative to the
/// domain's home (`name`, `data/x`). `watch` also accepts the special
/// watch paths (`@introduceDomain`, `@releaseDomain`).
///
/// Allowed: ASCII letters, digits and `-/_@`; no `//`, no trailing `/`
/// (except the root `/`); at most `XENSTORE_ABS_PATH_MAX` bytes when
/// absolute, `XENSTORE_REL_PATH_MAX` when relative.
///
/// ```
/// use xencall::xenstore::{check_path, Invalid};
///
/// assert_eq!(check_path("data/result", false), Ok(()));
/// assert_eq!(check_path("/", false), Ok(()));
/// assert_eq!(check_path("data\0x", false), Err(Invalid::Nul));
/// assert_eq!(check_path("data/", false), Err(Invalid::TrailingSlash));
/// assert_eq!(check_path("@releaseDomain", false), Err(Invalid::SpecialPath));
/// assert_eq!(check_path("@releaseDomain", true), Ok(()));
/// let long = "a".repeat(2049);
/// assert_eq!(check_path(&long, false), Err(Invalid::PathTooLong { len: 2049, max: 2048 }));
/// ```
pub fn check_path(path: &str, watch: bool) -> Result<(), Invalid> {
    if path.is_empty() {
        return Err(Invalid::EmptyPath);
    }
    if path.as_bytes().contains(&0) {
        return Err(Invalid::Nul);
    }
    let max = if path.starts_with('/') {
        XENSTORE_ABS_PATH_MAX
    } else {
        XENSTORE_REL_PATH_MAX
    };
    if path.len() > max {
        return Err(Invalid::PathTooLong {
            len: path.len(),
            max,
        });
    }
    if path.starts_with('@') && !watch {
        return Err(Invalid::SpecialPath);
    }
    if let Some(c) = path
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '/' | '_' | '@')))
    {
        return Err(Invalid::PathChar(c));
    }
    if path.contains("//") {
        return Err(Invalid::DoubleSlash);
    }
    if path.len() > 1 && path.ends_with('/') {
        return Err(Invalid::TrailingSlash);
    }
    Ok(())
}

/// Check a string that travels NUL-terminated (a watch token): it may
/// not contain a NUL.
///
/// ```
/// use xencall::xenstore::{check_string, Invalid};
///
/// assert_eq!(check_string("my-token 1"), Ok(()));
/// assert_eq!(check_string("a\0b"), Err(Invalid::Nul));
/// ```
pub fn check_string(s: &str) -> Result<(), Invalid> {
    if s.as_bytes().contains(&0) {
        return Err(Invalid::Nul);
    }
    Ok(())
}
