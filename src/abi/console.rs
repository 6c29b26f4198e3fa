//! The PV console ring (`public/io/console.h`): one page shared between a
//! domU and its console backend (`xenconsoled` in dom0), with an input ring
//! (`in`, backend to guest) and an output ring (`out`, guest to backend).
//!
//! Each ring is a byte array indexed by free-running 32-bit counters: the
//! producer advances `*_prod`, the consumer `*_cons`, and a counter is
//! reduced to an array index by masking with the (power-of-two) array size.
//! The safe API over the page is [`console_ring`](crate::console_ring).
//!
//! ```
//! use xencall::abi::console::XenconsInterface;
//! use zerocopy::FromZeros;
//!
//! // The guest has written "hi" and the backend has taken one byte of it.
//! let mut page = XenconsInterface::new_zeroed();
//! page.out[..2].copy_from_slice(b"hi");
//! page.out_prod = 2;
//! page.out_cons = 1;
//! let waiting = page.out_prod.wrapping_sub(page.out_cons) as usize;
//! assert_eq!(&page.out[page.out_cons as usize % page.out.len()..][..waiting], b"i");
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

/// `XENCONS_RING_IDX`: a free-running ring counter.
///
/// ```
/// use xencall::abi::console::{XenconsRingIdx, XENCONS_OUT_SIZE};
///
/// // Counters wrap at 2^32; their difference is still the fill level.
/// let (prod, cons): (XenconsRingIdx, XenconsRingIdx) = (3, u32::MAX - 4);
/// assert_eq!(prod.wrapping_sub(cons), 8);
/// assert_eq!(prod as usize % XENCONS_OUT_SIZE, 3);
/// ```
pub type XenconsRingIdx = u32;

/// Size of the input ring, `sizeof(((struct xencons_interface *)0)->in)`.
///
/// ```
/// use xencall::abi::console::{XenconsInterface, XENCONS_IN_SIZE};
/// use zerocopy::FromZeros;
///
/// assert_eq!(XenconsInterface::new_zeroed().r#in.len(), XENCONS_IN_SIZE);
/// assert!(XENCONS_IN_SIZE.is_power_of_two()); // so masking gives the index
/// ```
pub const XENCONS_IN_SIZE: usize = 1024;

/// Size of the output ring, `sizeof(((struct xencons_interface *)0)->out)`.
///
/// ```
/// use xencall::abi::console::XENCONS_OUT_SIZE;
///
/// // MASK_XENCONS_IDX(idx, out): the array index of a counter.
/// let mask = |idx: u32| idx as usize & (XENCONS_OUT_SIZE - 1);
/// assert_eq!(mask(2048 + 5), 5);
/// ```
pub const XENCONS_OUT_SIZE: usize = 2048;

/// `struct xencons_interface`: the console page's layout (the rest of the
/// 4 KiB page is unused).
///
/// ```
/// use xencall::abi::console::XenconsInterface;
/// use zerocopy::FromBytes;
///
/// // The page as bytes: in_prod sits right after the two arrays' 3072 bytes
/// // and in_cons.
/// let mut page = [0u8; 4096];
/// page[3076..3080].copy_from_slice(&7u32.to_ne_bytes());
/// let (ring, _rest) = XenconsInterface::ref_from_prefix(&page[..]).unwrap();
/// assert_eq!(ring.in_prod, 7);
/// ```
#[derive(Clone, Debug, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct XenconsInterface {
    /// Input: bytes typed at the console, written by the backend.
    pub r#in: [u8; XENCONS_IN_SIZE],
    /// Output: bytes the guest prints, read by the backend.
    pub out: [u8; XENCONS_OUT_SIZE],
    /// Input consumed by the guest.
    pub in_cons: XenconsRingIdx,
    /// Input produced by the backend.
    pub in_prod: XenconsRingIdx,
    /// Output consumed by the backend.
    pub out_cons: XenconsRingIdx,
    /// Output produced by the guest.
    pub out_prod: XenconsRingIdx,
}

abi_layout! {
    XENCONS_INTERFACE = struct XenconsInterface as "struct xencons_interface", size 3088, align 4 {
        r#in @ 0,
        out @ 1024,
        in_cons @ 3072,
        in_prod @ 3076,
        out_cons @ 3080,
        out_prod @ 3084,
    }
}
