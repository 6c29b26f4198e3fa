//! [`GrantCopy`]: one `GNTTABOP_copy` operation built so that Xen can write
//! only memory the caller lends it: a local end is a borrowed slice, whose
//! frame comes from [`Frames`] and whose range is checked.

use core::marker::PhantomData;

use crate::abi::grant_table::{
    GnttabCopy, GnttabCopyPtr, GrantStatus, GNTCOPY_DEST_GREF, GNTCOPY_SOURCE_GREF,
};
use crate::abi::memory::DOMID_SELF;
use crate::buffers::PAGE_SIZE;
use crate::error::{Error, Result};
use crate::frames::Frames;

/// Where a grant copy reads.
///
/// ```
/// use xencall::hypercalls::CopySource;
///
/// let bytes = [1u8; 64];
/// // Bytes of ours, or bytes another domain granted us (reference 8 of domain 5).
/// let ours = CopySource::Local(&bytes);
/// let theirs = CopySource::Grant { domid: 5, gref: 8, offset: 0 };
/// # let _ = (ours, theirs);
/// ```
#[derive(Clone, Copy, Debug)]
pub enum CopySource<'b> {
    /// `offset` bytes into the page that domain `domid` granted as `gref`.
    Grant {
        /// The granting domain.
        domid: u16,
        /// Its grant reference.
        gref: u32,
        /// Byte offset inside the granted page.
        offset: u16,
    },
    /// The first bytes of this slice of our own memory.
    Local(&'b [u8]),
}

/// Where a grant copy writes.
///
/// ```
/// use xencall::hypercalls::CopyDest;
///
/// let mut reply = [0u8; 64];
/// // Into our slice (borrowed for as long as the operation lives), or
/// // into a page domain 5 granted us for writing.
/// let ours = CopyDest::Local(&mut reply);
/// let theirs = CopyDest::Grant { domid: 5, gref: 9, offset: 128 };
/// # let _ = (ours, theirs);
/// ```
#[derive(Debug)]
pub enum CopyDest<'b> {
    /// `offset` bytes into the page that domain `domid` granted as `gref`.
    Grant {
        /// The granting domain.
        domid: u16,
        /// Its grant reference.
        gref: u32,
        /// Byte offset inside the granted page.
        offset: u16,
    },
    /// The first bytes of this slice of our own memory, borrowed
    /// exclusively while the operation exists.
    Local(&'b mut [u8]),
}

/// One grant copy of `len` bytes, for [`Xencall::gnttab_copy`](crate::Xencall::gnttab_copy).
/// A local end names its page by frame (from [`Frames`]) and must lie
/// inside its slice and inside one page; the slices stay borrowed while the
/// operation lives, so the memory Xen writes is the caller's, lent.
///
/// A grant reference of `DOMID_SELF` names an entry of our own grant
/// table: writing such an entry is `unsafe` (raw writes into the table),
/// and that code answers for the frame it grants.
///
/// ```
/// use xencall::hypercalls::{CopyDest, CopySource, GrantCopy};
/// use xencall::{Error, IdentityMapped};
///
/// // SAFETY: (of the example) nothing is handed to Xen.
/// let frames = unsafe { IdentityMapped::new() };
/// let mut bytes = vec![0u8; 8192];
/// let at = 4096 - (bytes.as_ptr() as usize % 4096); // a page boundary inside
/// let granted = CopySource::Grant { domid: 5, gref: 8, offset: 0 };
/// let op = GrantCopy::new(&frames, granted, CopyDest::Local(&mut bytes[at..at + 512]), 512)?;
/// # drop(op);
/// // 16 bytes across the boundary: one operation reaches one page only.
/// let across = CopyDest::Local(&mut bytes[at - 8..at + 8]);
/// assert_eq!(GrantCopy::new(&frames, granted, across, 16).err(), Some(Error::BadRange));
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(Debug)]
pub struct GrantCopy<'b> {
    op: GnttabCopy,
    _lent: PhantomData<&'b mut [u8]>,
}

/// The frame and offset of the first `len` bytes of `bytes`, which must
/// hold them and keep them inside one page.
fn local_end(frames: &impl Frames, bytes: &[u8], len: u16) -> Result<GnttabCopyPtr> {
    let addr = bytes.as_ptr() as usize;
    let offset = addr % PAGE_SIZE;
    if bytes.len() < usize::from(len) || offset + usize::from(len) > PAGE_SIZE {
        return Err(Error::BadRange);
    }
    Ok(GnttabCopyPtr {
        u: frames.frame_of(addr)?,
        domid: DOMID_SELF,
        offset: offset as u16,
        _pad0: 0,
    })
}

fn grant_end(domid: u16, gref: u32, offset: u16) -> GnttabCopyPtr {
    GnttabCopyPtr {
        u: gref.into(),
        domid,
        offset,
        _pad0: 0,
    }
}

impl<'b> GrantCopy<'b> {
    /// Copy `len` bytes from `source` to `dest`. [`Error::BadRange`] if a
    /// local end's slice is shorter than `len` or its bytes cross a page;
    /// [`Error::NoFrame`] if `frames` knows no frame for it. (Xen checks a
    /// grant end's own range itself, per operation.)
    ///
    /// ```
    /// use xencall::hypercalls::{CopyDest, CopySource, GrantCopy};
    /// use xencall::{Error, IdentityMapped};
    ///
    /// // SAFETY: (of the example) nothing is handed to Xen.
    /// let frames = unsafe { IdentityMapped::new() };
    /// let mut short = [0u8; 8];
    /// let from = CopySource::Grant { domid: 5, gref: 8, offset: 0 };
    /// let r = GrantCopy::new(&frames, from, CopyDest::Local(&mut short), 64);
    /// assert_eq!(r.err(), Some(Error::BadRange)); // 64 bytes do not fit in 8
    /// ```
    pub fn new(
        frames: &impl Frames,
        source: CopySource<'b>,
        dest: CopyDest<'b>,
        len: u16,
    ) -> Result<GrantCopy<'b>> {
        let mut flags = 0;
        let source = match source {
            CopySource::Grant {
                domid,
                gref,
                offset,
            } => {
                flags |= GNTCOPY_SOURCE_GREF;
                grant_end(domid, gref, offset)
            }
            CopySource::Local(bytes) => local_end(frames, bytes, len)?,
        };
        let dest = match dest {
            CopyDest::Grant {
                domid,
                gref,
                offset,
            } => {
                flags |= GNTCOPY_DEST_GREF;
                grant_end(domid, gref, offset)
            }
            CopyDest::Local(bytes) => local_end(frames, bytes, len)?,
        };
        Ok(GrantCopy {
            op: GnttabCopy {
                source,
                dest,
                len,
                flags,
                status: GrantStatus::OKAY.0,
                _pad0: 0,
            },
            _lent: PhantomData,
        })
    }

    /// The operation as Xen sees it.
    pub(crate) fn raw(&self) -> GnttabCopy {
        self.op
    }

    /// Record the status Xen wrote.
    pub(crate) fn set_status(&mut self, status: i16) {
        self.op.status = status;
    }

    /// This operation's status after [`Xencall::gnttab_copy`](crate::Xencall::gnttab_copy)
    /// (`OKAY` before it ran).
    ///
    /// ```
    /// use xencall::abi::grant_table::GrantStatus;
    /// use xencall::hypercalls::{CopyDest, CopySource, GrantCopy};
    /// use xencall::IdentityMapped;
    ///
    /// // SAFETY: (of the example) nothing is handed to Xen.
    /// let frames = unsafe { IdentityMapped::new() };
    /// let from = CopySource::Grant { domid: 5, gref: 8, offset: 0 };
    /// let to = CopyDest::Grant { domid: 6, gref: 3, offset: 0 };
    /// let op = GrantCopy::new(&frames, from, to, 16)?;
    /// assert_eq!(op.status(), GrantStatus::OKAY);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn status(&self) -> GrantStatus {
        GrantStatus(self.op.status)
    }
}
