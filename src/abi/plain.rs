//! Plain data: the payloads of the generic `sysctl` and `domctl` calls.

/// A type whose every byte is an initialised integer byte: no padding,
/// every bit pattern a valid value, no pointers or references (guest
/// handles are `u64` addresses). The payload of
/// [`XenSysctl`](crate::abi::sysctl::XenSysctl) and
/// [`XenDomctl`](crate::abi::domctl::XenDomctl) must be one, since it is
/// stored as raw words and read back from whatever Xen wrote.
///
/// The crate's payload structures implement it (their `abi_layout!` checks
/// that the fields cover every byte); so do integers and arrays of `Plain`.
///
/// ```
/// use xencall::abi::Plain;
///
/// /// A sysctl payload this crate does not define, with no padding.
/// #[derive(Clone, Copy)]
/// #[repr(C)]
/// struct MyPayload {
///     which: u32,
///     count: u32,
///     buffer: u64,
/// }
/// const _: () = assert!(core::mem::size_of::<MyPayload>() == 16);
/// // SAFETY: three integers, 4 + 4 + 8 bytes: no padding, any bits valid.
/// unsafe impl Plain for MyPayload {}
/// ```
///
/// A reference is not plain data: Xen's bytes could make it dangle.
///
/// ```compile_fail,E0277
/// use xencall::abi::{sysctl::{SysctlCmd, XenSysctl}, Plain};
/// let s = XenSysctl::new(SysctlCmd::PHYSINFO, 0x15, 0u64);
/// let r: &'static u8 = s.payload();
/// ```
///
/// # Safety
/// Implement only for `Copy` types with no padding bytes whose every bit
/// pattern is a valid value.
pub unsafe trait Plain: Copy + 'static {}

macro_rules! plain_integers {
    ($($t:ty),*) => {
        $(
            // SAFETY: integers have no padding and no invalid bit patterns.
            unsafe impl Plain for $t {}
        )*
    };
}
plain_integers!(u8, u16, u32, u64, i8, i16, i32, i64);

// SAFETY: no bytes at all: a command without a payload.
unsafe impl Plain for () {}

// SAFETY: an array of plain elements has no padding between them (size is
// a multiple of alignment) and every element is valid for any bits.
unsafe impl<T: Plain, const N: usize> Plain for [T; N] {}
