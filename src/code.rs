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
                while i < Self::ALL.len() {
                    if Self::ALL[i].1 .0 == self.0 {
                        return Some(Self::ALL[i].0);
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
