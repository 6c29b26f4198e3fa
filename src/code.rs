//! `xen_code!`: integer newtypes for Xen's numeric codes (error numbers,
//! hypercall numbers, sub-commands) whose `Debug` prints the Xen name.

/// Declares `pub struct $name(pub $int)` with one associated constant per
/// code, `name()` returning the code's Xen name, and a `Debug` that prints
/// that name (or the raw number for a code Xen does not define).
macro_rules! xen_code {
    (
        $(#[$meta:meta])*
        pub struct $name:ident($int:ty);
        $(
            $(#[$cmeta:meta])*
            $code:ident = $value:expr;
        )*
    ) => {
        $(#[$meta])*
        // Any integer is a code (unknown ones print raw), so any bytes Xen
        // writes are a valid value: zerocopy's traits hold.
        #[derive(
            Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord,
            ::zerocopy::FromBytes, ::zerocopy::IntoBytes, ::zerocopy::Immutable, ::zerocopy::KnownLayout,
        )]
        #[repr(transparent)]
        pub struct $name(pub $int);

        #[allow(missing_docs)]
        impl $name {
            $(
                $(#[$cmeta])*
                pub const $code: $name = $name($value);
            )*

            /// Every named code, in declaration order (aliases included).
            pub const ALL: &'static [(&'static str, $name)] = &[$((stringify!($code), $name($value))),*];

            /// The values of [`ALL`](Self::ALL), in its order: `name()`
            /// searches these and cuts the name out of `NAMES`, so a guest
            /// holds no table of string pointers (each costs 16 bytes, and
            /// a relocation in a position-independent image).
            const VALUES: &'static [$int] = &[$($value),*];
            /// The names of [`ALL`](Self::ALL), each followed by a NUL.
            const NAMES: &'static str = concat!($(stringify!($code), "\0"),*);

            /// The Xen name of this code, or `None` for a number Xen does
            /// not define. For aliased values the first name wins.
            ///
            /// ```
            #[doc = concat!("use ", module_path!(), "::", stringify!($name), ";")]
            ///
            #[doc = concat!("let (first, code) = ", stringify!($name), "::ALL[0];")]
            /// assert_eq!(code.name(), Some(first));
            #[doc = concat!("assert_eq!(", stringify!($name), "(<", stringify!($int), ">::MAX).name(), None);")]
            /// ```
            pub const fn name(self) -> Option<&'static str> {
                let mut i = 0;
                while i < Self::VALUES.len() {
                    if Self::VALUES[i] == self.0 {
                        return Some($crate::code::nth_entry(Self::NAMES, i));
                    }
                    i += 1;
                }
                None
            }
        }

        impl core::fmt::Debug for $name {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                match self.name() {
                    Some(name) => f.write_str(name),
                    None => write!(f, "{}({})", stringify!($name), self.0),
                }
            }
        }

        impl From<$int> for $name {
            fn from(value: $int) -> Self {
                $name(value)
            }
        }

        impl From<$name> for $int {
            fn from(code: $name) -> Self {
                code.0
            }
        }
    };
}

/// Entry `index` of `entries`, a list of NUL-terminated strings (`""`
/// past the end): how [`xen_code!`] and the error descriptions keep their
/// names in one string instead of a table of pointers.
pub(crate) const fn nth_entry(entries: &'static str, index: usize) -> &'static str {
    let bytes = entries.as_bytes();
    let (mut start, mut seen) = (0, 0);
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == 0 {
            if seen == index {
                // Checked splits (`start <= i < len` anyway): no panic
                // path and location in every image.
                let Some((_, rest)) = bytes.split_at_checked(start) else {
                    return "";
                };
                let Some((entry, _)) = rest.split_at_checked(i - start) else {
                    return "";
                };
                // Cut at NULs, which are ASCII: always valid UTF-8.
                return match core::str::from_utf8(entry) {
                    Ok(entry) => entry,
                    Err(_) => "",
                };
            }
            seen += 1;
            start = i + 1;
        }
        i += 1;
    }
    ""
}

#[cfg(test)]
mod tests {
    use super::nth_entry;

    #[test]
    fn entries_are_cut_at_nuls() {
        let list = "EPERM\0ENOENT\0\0ESRCH\0";
        assert_eq!(nth_entry(list, 0), "EPERM");
        assert_eq!(nth_entry(list, 1), "ENOENT");
        assert_eq!(nth_entry(list, 2), "");
        assert_eq!(nth_entry(list, 3), "ESRCH");
        assert_eq!(nth_entry(list, 4), "");
        assert_eq!(nth_entry("", 0), "");
    }

    #[test]
    fn every_code_names_itself_as_declared() {
        use crate::abi::{HypercallOp, XenErrno};
        for (name, code) in XenErrno::ALL {
            // Aliases (EWOULDBLOCK) print as the first name of their value.
            let first = XenErrno::ALL.iter().find(|(_, c)| c == code).unwrap().0;
            assert_eq!(code.name(), Some(first), "{name}");
        }
        for (name, code) in HypercallOp::ALL {
            assert_eq!(code.name(), Some(*name));
        }
        assert_eq!(XenErrno(1000).name(), None);
    }
}
