//! [`Frames`]: from an address of the guest's own memory to the frame
//! number Xen uses for that page.
//!
//! Some hypercalls name memory by frame, not by address (grant copies to
//! our own pages, giving pages back, mapping Xen's pages). A frame that no
//! buffer of the caller owns would let Xen write anywhere, so the crate's
//! safe functions take an owned buffer and ask a [`Frames`] for its frame:
//! the trait is `unsafe` to implement, and the boot runtime's
//! [`BootInfo`](crate::rt::BootInfo) is the implementation a guest has.

use crate::error::{Error, Result};

/// The bytes per frame, on x86 and Arm alike.
const FRAME_SHIFT: u32 = 12;

/// Gives, for an address inside this guest's own memory, the number of the
/// frame that holds it, as Xen names it for this guest: the guest frame
/// (guest-physical address / 4096) for translated guests (PVH, HVM, Arm),
/// the machine frame for PV guests (from the guest's p2m list).
///
/// # Safety
/// For every address inside memory the caller owns (a live hypercall
/// buffer, a static), `frame_of` must return the frame that really holds
/// that byte, or an error; never the frame of another page. The crate's
/// safe functions hand the result to Xen, which then reads and writes that
/// frame: a wrong number is Xen writing memory no buffer owns.
///
/// ```
/// use xencall::{Frames, IdentityMapped};
///
/// // Memory at guest-physical = virtual (the runtime's PVH/Arm map).
/// // SAFETY: in this example's pretend guest, every address is its own
/// // guest-physical address.
/// let frames = unsafe { IdentityMapped::new() };
/// assert_eq!(frames.frame_of(0x20_1234), Ok(0x201));
/// ```
pub unsafe trait Frames {
    /// The frame Xen uses for the page holding `addr`, or
    /// [`Error::NoFrame`] when none is known.
    ///
    /// ```
    /// use xencall::rt::{BootInfo, GuestMode, RawBootInfo};
    /// use xencall::{Error, Frames};
    ///
    /// // A `BootInfo` the runtime did not fill vouches for nothing.
    /// let made_up = BootInfo::new(GuestMode::Pv, RawBootInfo::StartInfo(0x2000));
    /// assert_eq!(made_up.frame_of(0x10_0000), Err(Error::NoFrame));
    /// ```
    fn frame_of(&self, addr: usize) -> Result<u64>;
}

/// Frames of memory whose virtual addresses are its guest-physical
/// addresses, in a translated guest: `frame_of(addr)` is `addr / 4096`.
/// What a runtime with an identity map (as this crate's on PVH and Arm)
/// has; the boot runtime's own `BootInfo` already says so.
///
/// ```
/// use xencall::{Frames, IdentityMapped};
///
/// // SAFETY: (of the example) no real hypercall is made with the frame.
/// let frames = unsafe { IdentityMapped::new() };
/// assert_eq!(frames.frame_of(0x4000_0fff), Ok(0x4_0000));
/// ```
#[derive(Clone, Copy, Debug)]
pub struct IdentityMapped(());

impl IdentityMapped {
    /// Vouch that this guest is translated (PVH, HVM, Arm) and that every
    /// address of memory it owns equals that memory's guest-physical
    /// address.
    ///
    /// # Safety
    /// Both must hold for as long as the value is used: a PV guest, or
    /// memory mapped elsewhere than at its guest-physical address, would
    /// give Xen the frame of some other page.
    ///
    /// ```
    /// use xencall::{Frames, IdentityMapped};
    ///
    /// // SAFETY: (of the example) nothing is handed to Xen.
    /// let frames = unsafe { IdentityMapped::new() };
    /// assert_eq!(frames.frame_of(4096), Ok(1));
    /// ```
    pub const unsafe fn new() -> IdentityMapped {
        IdentityMapped(())
    }
}

// SAFETY: `new`'s contract: every owned address is its guest-physical
// address, whose frame number is the address shifted by the frame size.
unsafe impl Frames for IdentityMapped {
    fn frame_of(&self, addr: usize) -> Result<u64> {
        Ok(addr as u64 >> FRAME_SHIFT)
    }
}

/// The entry of a PV guest's p2m list that holds the machine frame of the
/// page at `addr`, for a guest of `nr_pages` pages (`start_info.nr_pages`,
/// the list's length) running at virtual = pseudo-physical address: the
/// page number, or [`Error::NoFrame`] at or past the list's end.
///
/// ```
/// use xencall::{frames::p2m_index, Error};
///
/// assert_eq!(p2m_index(2 * 4096 + 12, 3), Ok(2));
/// // Page 3 of a 3-page domain: no entry, rather than whatever follows the list.
/// assert_eq!(p2m_index(3 * 4096, 3), Err(Error::NoFrame));
/// ```
pub fn p2m_index(addr: usize, nr_pages: usize) -> Result<usize> {
    let page = addr >> FRAME_SHIFT;
    if page < nr_pages {
        Ok(page)
    } else {
        Err(Error::NoFrame)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pv_frames_are_bounded_by_the_p2m_list() {
        assert_eq!(p2m_index(0, 4), Ok(0));
        assert_eq!(p2m_index(4 * 4096 - 1, 4), Ok(3));
        assert_eq!(p2m_index(4 * 4096, 4), Err(Error::NoFrame));
        assert_eq!(p2m_index(usize::MAX, 4), Err(Error::NoFrame));
        assert_eq!(p2m_index(0, 0), Err(Error::NoFrame));
    }

    #[test]
    fn identity_frames_are_the_address_in_pages() {
        // SAFETY: the frame is only compared.
        let frames = unsafe { IdentityMapped::new() };
        assert_eq!(frames.frame_of(0), Ok(0));
        assert_eq!(frames.frame_of(0x1fff), Ok(1));
    }
}
