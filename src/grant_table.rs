//! Granting pages of our own to another domain: this domain's version-1
//! grant table ([`GrantTable`]), entries written the way the grant protocol
//! wants them, and the grants themselves ([`Grant`]), which hold the page
//! they lend so that it cannot return to the buffer pool while another
//! domain may map it.
//!
//! The protocol (`public/grant_table.h`), and how this module keeps it:
//! * To grant, the granter writes the entry's `domid` and `frame`, then,
//!   after a write barrier, its `flags` (`GTF_permit_access`, plus
//!   `GTF_readonly` for a read-only grant). Xen may read the entry as soon
//!   as `flags` says it is valid, so the order matters.
//! * While the grantee maps the page (or copies from or to it), Xen sets
//!   `GTF_reading` (and `GTF_writing` for a writable mapping) in `flags`.
//! * To end the grant, the granter swaps `flags` to `GTF_invalid` with one
//!   compare-and-exchange, and only if neither bit is set (Linux's
//!   `gnttab_end_foreign_access_ref` for v1): once that succeeds Xen
//!   refuses new mappings, so the page is ours alone again. If a bit is
//!   set, the grant stays as it is and ending it is refused
//!   ([`Error::GrantInUse`]): the page must not be reused while mapped.
//! * References 0 to 7 (`GNTTAB_NR_RESERVED_ENTRIES`) belong to the
//!   toolstack (0: the console page, 1: the xenstore page): never handed
//!   out.
//!
//! One table per domain: [`GrantTable::map`] refuses a second while the
//! first is alive ([`Error::GrantTableTaken`]), since both would hand out
//! the same references.

use core::sync::atomic::{fence, AtomicBool, AtomicU16, Ordering};

use crate::abi::grant_table::{
    GrantEntryV1, GNTTAB_NR_RESERVED_ENTRIES, GTF_INVALID, GTF_PERMIT_ACCESS, GTF_READING,
    GTF_READONLY, GTF_WRITING,
};
use crate::abi::xen::{GrantRef, DOMID_FIRST_RESERVED};
use crate::backend::Backend;
use crate::buffers::{Buffer, Page, XenPage, XenPageKind, PAGE_SIZE};
use crate::error::{Error, Result};
use crate::frames::Frames;
use crate::handle::Xencall;
use crate::hypercalls::XenFeatures;

/// Entries in the table's first frame (8 bytes each): the references this
/// module hands out are below it.
pub const ENTRIES: usize = PAGE_SIZE / core::mem::size_of::<GrantEntryV1>();

/// Whether a [`GrantTable`] is alive in this domain.
static TABLE_TAKEN: AtomicBool = AtomicBool::new(false);

/// What the grantee may do with a granted page.
///
/// ```
/// use xencall::grant_table::GrantAccess;
/// use xencall::abi::grant_table::{GTF_PERMIT_ACCESS, GTF_READONLY};
///
/// assert_eq!(GrantAccess::ReadOnly.flags(), GTF_PERMIT_ACCESS | GTF_READONLY);
/// assert_eq!(GrantAccess::ReadWrite.flags(), GTF_PERMIT_ACCESS);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantAccess {
    /// Map or copy from it only (`GTF_readonly`).
    ReadOnly,
    /// Map it writable, or copy into it too.
    ReadWrite,
}

impl GrantAccess {
    /// The entry's `flags` that grant this access.
    ///
    /// ```
    /// use xencall::grant_table::GrantAccess;
    ///
    /// // The low two bits are the entry's type: GTF_permit_access (1).
    /// assert_eq!(GrantAccess::ReadWrite.flags() & 3, 1);
    /// ```
    pub const fn flags(self) -> u16 {
        match self {
            GrantAccess::ReadOnly => GTF_PERMIT_ACCESS | GTF_READONLY,
            GrantAccess::ReadWrite => GTF_PERMIT_ACCESS,
        }
    }
}

/// The v1 entry that lets `domid` reach guest frame `frame` with `access`:
/// refused for a reserved domain id ([`Error::ReservedDomid`]; `DOMID_SELF`
/// among them) and for a frame a v1 entry cannot name (past 32 bits:
/// [`Error::NoFrame`]).
///
/// ```
/// use xencall::grant_table::{entry_for, GrantAccess};
/// use xencall::abi::grant_table::GrantEntryV1;
/// use xencall::abi::xen::DOMID_SELF;
/// use xencall::Error;
///
/// let e = entry_for(0, 0x1234, GrantAccess::ReadOnly)?;
/// assert_eq!(e, GrantEntryV1 { flags: 0b101, domid: 0, frame: 0x1234 });
/// assert_eq!(entry_for(DOMID_SELF, 0x1234, GrantAccess::ReadOnly), Err(Error::ReservedDomid));
/// assert_eq!(entry_for(0, 1 << 32, GrantAccess::ReadOnly), Err(Error::NoFrame));
/// # Ok::<(), Error>(())
/// ```
pub fn entry_for(domid: u16, frame: u64, access: GrantAccess) -> Result<GrantEntryV1> {
    if domid >= DOMID_FIRST_RESERVED {
        return Err(Error::ReservedDomid);
    }
    let frame = u32::try_from(frame).map_err(|_| Error::NoFrame)?;
    Ok(GrantEntryV1 {
        flags: access.flags(),
        domid,
        frame,
    })
}

/// End a v1 entry's access, given its `flags`: swap them to
/// `GTF_invalid` unless Xen marks the page in use (`GTF_reading` or
/// `GTF_writing`); then `Err` with the flags seen, and nothing changed.
/// Retries when the flags change under it without a use bit (the
/// compare-and-exchange is the only write).
///
/// ```
/// use core::sync::atomic::{AtomicU16, Ordering};
/// use xencall::grant_table::end_access_v1;
/// use xencall::abi::grant_table::{GTF_PERMIT_ACCESS, GTF_READING};
///
/// let mapped = AtomicU16::new(GTF_PERMIT_ACCESS | GTF_READING);
/// assert_eq!(end_access_v1(&mapped), Err(GTF_PERMIT_ACCESS | GTF_READING));
/// let unmapped = AtomicU16::new(GTF_PERMIT_ACCESS);
/// assert_eq!(end_access_v1(&unmapped), Ok(()));
/// assert_eq!(unmapped.load(Ordering::Relaxed), 0);
/// ```
pub fn end_access_v1(flags: &AtomicU16) -> core::result::Result<(), u16> {
    let mut seen = flags.load(Ordering::Acquire);
    loop {
        if seen & (GTF_READING | GTF_WRITING) != 0 {
            return Err(seen);
        }
        match flags.compare_exchange(seen, GTF_INVALID, Ordering::AcqRel, Ordering::Acquire) {
            Ok(_) => return Ok(()),
            Err(now) => seen = now,
        }
    }
}

/// This domain's grant table, version 1, its first frame mapped: up to
/// [`ENTRIES`]` - 8` grants at once.
///
/// ```no_run
/// use xencall::buffers::{Page, PAGE_SIZE};
/// use xencall::grant_table::{GrantAccess, GrantTable};
/// # fn demo(xc: &xencall::Xencall, boot: &xencall::rt::BootInfo) -> xencall::Result<()> {
/// // A frontend lends a page to its backend in dom0 ...
/// let table = GrantTable::map(xc, boot, xc.buffer::<Page>([0; PAGE_SIZE])?)?;
/// let mut page = xc.buffer::<Page>([0; PAGE_SIZE])?;
/// page[..5].copy_from_slice(b"hello");
/// let grant = table.grant(boot, 0, page, GrantAccess::ReadWrite).map_err(|g| g.error)?;
/// let gref = grant.gref(); // ... and publishes this in xenstore
/// # let _ = gref;
/// // Later: ends the grant, refused while dom0 maps the page.
/// let page = grant.end_access().map_err(|g| g.error)?;
/// # drop(page);
/// # Ok(()) }
/// ```
pub struct GrantTable {
    /// Frame 0 of the table.
    frame: XenPage,
    /// One bit per reference of frame 0: handed out by this table.
    used: spin::Mutex<[u64; ENTRIES / 64]>,
}

impl GrantTable {
    /// Map this domain's grant table over `page` (which goes to Xen for
    /// good): on a translated guest (PVH, HVM, Arm) frame 0 is put at the
    /// page's frame (`XENMAPSPACE_grant_table`, [`Xencall::map_xen_page`]);
    /// on PV, `GNTTABOP_setup_table` names its machine frame, which is
    /// mapped at the page's address with `update_va_mapping`. The table is
    /// set to version 1 first.
    ///
    /// Errors: [`Error::GrantTableTaken`] while another `GrantTable` is
    /// alive (the page comes back to the pool), and Xen's refusals.
    ///
    /// ```
    /// use xencall::buffers::{Page, PAGE_SIZE};
    /// use xencall::grant_table::GrantTable;
    /// use xencall::{mock::MockBackend, Error, IdentityMapped, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // Play Xen for a translated guest: features, then set_version answers 1.
    /// xc.backend().set_responder(&|op, a| match (op, a[0]) {
    ///     (17, 6) => unsafe { (*(a[1] as *mut [u32; 2]))[1] = 1 << 2; 0 },
    ///     (20, 8) => unsafe { *(a[1] as *mut u32) = 1; 0 },
    ///     _ => 0,
    /// });
    /// // SAFETY: (of the example) the mock maps nothing.
    /// let frames = unsafe { IdentityMapped::new() };
    /// let table = GrantTable::map(&xc, &frames, xc.buffer::<Page>([0; PAGE_SIZE])?)?;
    /// // One table per domain at a time.
    /// let again = GrantTable::map(&xc, &frames, xc.buffer::<Page>([0; PAGE_SIZE])?);
    /// assert_eq!(again.err(), Some(Error::GrantTableTaken));
    /// # drop(table);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn map<B: Backend>(
        xc: &Xencall<B>,
        frames: &impl Frames,
        page: Buffer<'_, Page>,
    ) -> Result<GrantTable> {
        if TABLE_TAKEN.swap(true, Ordering::AcqRel) {
            return Err(Error::GrantTableTaken);
        }
        let mapped = Self::map_frame_0(xc, frames, page);
        if mapped.is_err() {
            TABLE_TAKEN.store(false, Ordering::Release);
        }
        Ok(GrantTable {
            frame: mapped?,
            used: spin::Mutex::new([0; ENTRIES / 64]),
        })
    }

    fn map_frame_0<B: Backend>(
        xc: &Xencall<B>,
        frames: &impl Frames,
        page: Buffer<'_, Page>,
    ) -> Result<XenPage> {
        if xc.gnttab_set_version(1)? != 1 {
            return Err(Error::Declined);
        }
        let translated = xc
            .xen_features()?
            .contains(XenFeatures::AUTO_TRANSLATED_PHYSMAP);
        if translated {
            return xc.map_xen_page(frames, XenPageKind::GrantTable(0), page);
        }
        Self::map_pv(xc, page)
    }

    /// PV: the machine frame of table frame 0, mapped over `page`.
    #[cfg(target_arch = "x86_64")]
    fn map_pv<B: Backend>(xc: &Xencall<B>, page: Buffer<'_, Page>) -> Result<XenPage> {
        use crate::abi::callback::UVMF_INVLPG;
        use crate::abi::xen::DOMID_SELF;
        let mut mfn = [0u64; 1];
        xc.gnttab_setup_table(DOMID_SELF, &mut mfn)?;
        let va = page.addr();
        // Whatever Xen answers, the buffer's own memory is out of use.
        let mapped = XenPage::new(page);
        // Present, writable, user (a 64-bit PV kernel runs in ring 3),
        // accessed, dirty.
        let pte = (mfn[0] << 12) | 0x67;
        // SAFETY: `va` is the consumed buffer page, which nothing
        // references and which never returns to the pool (`XenPage`); the
        // frame is this domain's own grant-table frame, which Xen shares
        // with it writable (and checks before mapping).
        unsafe { xc.update_va_mapping(va, pte, UVMF_INVLPG)? };
        Ok(mapped)
    }

    /// Arm guests are all translated: no PV path.
    #[cfg(not(target_arch = "x86_64"))]
    fn map_pv<B: Backend>(_: &Xencall<B>, _: Buffer<'_, Page>) -> Result<XenPage> {
        Err(Error::NotTranslated)
    }

    /// The entry of reference `gref` (below [`ENTRIES`]).
    fn entry(&self, gref: usize) -> *mut GrantEntryV1 {
        debug_assert!(gref < ENTRIES);
        // SAFETY: inside the mapped 4096-byte frame; entries are 8 bytes.
        unsafe { self.frame.as_ptr().cast::<GrantEntryV1>().add(gref) }
    }

    /// The entry's `flags`, which Xen changes atomically.
    fn flags(&self, gref: usize) -> &AtomicU16 {
        // SAFETY: `flags` is the entry's first field, 2-byte aligned in the
        // page-aligned frame, which stays mapped as long as `self`; Xen
        // changes it with atomic operations only.
        unsafe { AtomicU16::from_ptr(core::ptr::addr_of_mut!((*self.entry(gref)).flags)) }
    }

    /// A free reference: not handed out by this table and not marked valid
    /// in the table (a grant an earlier table left behind, still mapped).
    fn take_ref(&self) -> Result<usize> {
        let mut used = self.used.lock();
        for gref in GNTTAB_NR_RESERVED_ENTRIES as usize..ENTRIES {
            let (word, bit) = (gref / 64, 1u64 << (gref % 64));
            if used[word] & bit == 0 && self.flags(gref).load(Ordering::Acquire) == GTF_INVALID {
                used[word] |= bit;
                return Ok(gref);
            }
        }
        Err(Error::NoGrantRef)
    }

    fn release_ref(&self, gref: usize) {
        self.used.lock()[gref / 64] &= !(1u64 << (gref % 64));
    }

    /// Grant `page` to domain `domid` with `access`: the entry is written
    /// (`domid`, the page's frame from `frames`, then after a barrier
    /// `flags`), and the page is held by the returned [`Grant`] until
    /// [`Grant::end_access`] succeeds.
    ///
    /// Refusals give the page back unchanged in [`NotGranted`]:
    /// [`Error::ReservedDomid`], [`Error::NoFrame`] (no frame known, or
    /// one past 32 bits), [`Error::NoGrantRef`] (every reference in use).
    ///
    /// ```
    /// # use xencall::buffers::{Page, PAGE_SIZE};
    /// # use xencall::grant_table::{GrantAccess, GrantTable};
    /// # use xencall::{mock::MockBackend, Error, Frames, OpenFlags, Xencall};
    /// # let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// # xc.backend().set_responder(&|op, a| match (op, a[0]) {
    /// #     (17, 6) => unsafe { (*(a[1] as *mut [u32; 2]))[1] = 1 << 2; 0 },
    /// #     (20, 8) => unsafe { *(a[1] as *mut u32) = 1; 0 },
    /// #     _ => 0,
    /// # });
    /// # struct LowFrames; // host addresses: page numbers past 32 bits, cut to fit
    /// # // SAFETY: (of the example) the mock only records frames.
    /// # unsafe impl xencall::Frames for LowFrames {
    /// #     fn frame_of(&self, a: usize) -> xencall::Result<u64> { Ok((a as u64 >> 12) & 0xffff_ffff) }
    /// # }
    /// # let frames = LowFrames;
    /// let table = GrantTable::map(&xc, &frames, xc.buffer::<Page>([0; PAGE_SIZE])?)?;
    /// let page = xc.buffer::<Page>([7; PAGE_SIZE])?;
    /// let gfn = frames.frame_of(page.addr() as usize)?;
    /// let grant = table.grant(&frames, 0, page, GrantAccess::ReadOnly).map_err(|g| g.error)?;
    /// // The first reference after the toolstack's eight.
    /// assert_eq!((grant.gref(), grant.domid()), (8, 0));
    /// assert_eq!(table.entry_of(grant.gref()).map(|e| u64::from(e.frame)), Some(gfn));
    /// // Granting to ourselves is refused, and the page comes back.
    /// let refused = table.grant(&frames, 0x7ff0, xc.buffer::<Page>([1; PAGE_SIZE])?, GrantAccess::ReadOnly);
    /// let refused = refused.err().unwrap();
    /// assert_eq!((refused.error, refused.page[0]), (Error::ReservedDomid, 1));
    /// # drop(grant);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn grant<'t, 'h>(
        &'t self,
        frames: &impl Frames,
        domid: u16,
        page: Buffer<'h, Page>,
        access: GrantAccess,
    ) -> core::result::Result<Grant<'t, 'h>, NotGranted<'h>> {
        let entry = frames
            .frame_of(page.addr() as usize)
            .and_then(|frame| entry_for(domid, frame, access));
        let entry = match entry {
            Ok(entry) => entry,
            Err(error) => return Err(NotGranted { error, page }),
        };
        let gref = match self.take_ref() {
            Ok(gref) => gref,
            Err(error) => return Err(NotGranted { error, page }),
        };
        let at = self.entry(gref);
        // SAFETY: the entry is inside the mapped frame and this table
        // alone writes it (its reference was free); Xen reads `domid` and
        // `frame` only once `flags` is valid, which is written last.
        unsafe {
            core::ptr::addr_of_mut!((*at).domid).write_volatile(entry.domid);
            core::ptr::addr_of_mut!((*at).frame).write_volatile(entry.frame);
        }
        // The grant protocol's write barrier: domid and frame before flags.
        fence(Ordering::Release);
        self.flags(gref).store(entry.flags, Ordering::Release);
        Ok(Grant {
            table: self,
            gref: gref as GrantRef,
            domid,
            page: Some(page),
        })
    }

    /// The entry of `gref` as it is now (`None` past the mapped frame).
    ///
    /// ```
    /// # use xencall::buffers::{Page, PAGE_SIZE};
    /// # use xencall::grant_table::GrantTable;
    /// # use xencall::{mock::MockBackend, OpenFlags, Xencall};
    /// # let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// # xc.backend().set_responder(&|op, a| match (op, a[0]) {
    /// #     (17, 6) => unsafe { (*(a[1] as *mut [u32; 2]))[1] = 1 << 2; 0 },
    /// #     (20, 8) => unsafe { *(a[1] as *mut u32) = 1; 0 },
    /// #     _ => 0,
    /// # });
    /// # struct LowFrames; // host addresses: page numbers past 32 bits, cut to fit
    /// # // SAFETY: (of the example) the mock only records frames.
    /// # unsafe impl xencall::Frames for LowFrames {
    /// #     fn frame_of(&self, a: usize) -> xencall::Result<u64> { Ok((a as u64 >> 12) & 0xffff_ffff) }
    /// # }
    /// # let frames = LowFrames;
    /// let table = GrantTable::map(&xc, &frames, xc.buffer::<Page>([0; PAGE_SIZE])?)?;
    /// // The toolstack's xenstore grant (reference 1), as it left it.
    /// let store = table.entry_of(1);
    /// assert!(store.is_some() && table.entry_of(512).is_none());
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn entry_of(&self, gref: GrantRef) -> Option<GrantEntryV1> {
        let gref = gref as usize;
        if gref >= ENTRIES {
            return None;
        }
        // SAFETY: inside the mapped frame; volatile, as Xen writes it.
        Some(unsafe { self.entry(gref).read_volatile() })
    }
}

impl Drop for GrantTable {
    fn drop(&mut self) {
        // No `Grant` outlives the table (it borrows it); the frame stays
        // mapped (a `XenPage` is never freed). A later table skips the
        // entries still valid.
        TABLE_TAKEN.store(false, Ordering::Release);
    }
}

/// A page granted to another domain, held until the grant ends: it is
/// out of the pool, and reachable only through volatile copies
/// ([`read`](Grant::read), [`write`](Grant::write)), since the grantee may
/// write it at any time. Dropping a `Grant` ends it if the grantee no
/// longer uses the page, and otherwise keeps the page out of the pool for
/// good (and its entry valid), rather than free a page another domain
/// still maps.
///
/// ```
/// # use xencall::buffers::{Page, PAGE_SIZE};
/// # use xencall::grant_table::{GrantAccess, GrantTable};
/// # use xencall::{mock::MockBackend, Error, OpenFlags, Xencall};
/// # let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// # xc.backend().set_responder(&|op, a| match (op, a[0]) {
/// #     (17, 6) => unsafe { (*(a[1] as *mut [u32; 2]))[1] = 1 << 2; 0 },
/// #     (20, 8) => unsafe { *(a[1] as *mut u32) = 1; 0 },
/// #     _ => 0,
/// # });
/// # struct LowFrames; // host addresses: page numbers past 32 bits, cut to fit
/// # // SAFETY: (of the example) the mock only records frames.
/// # unsafe impl xencall::Frames for LowFrames {
/// #     fn frame_of(&self, a: usize) -> xencall::Result<u64> { Ok((a as u64 >> 12) & 0xffff_ffff) }
/// # }
/// # let frames = LowFrames;
/// let table = GrantTable::map(&xc, &frames, xc.buffer::<Page>([0; PAGE_SIZE])?)?;
/// let grant = table.grant(&frames, 0, xc.buffer::<Page>([0; PAGE_SIZE])?, GrantAccess::ReadWrite)
///     .map_err(|g| g.error)?;
/// grant.write(0, b"request")?;
/// let mut reply = [0u8; 7];
/// grant.read(0, &mut reply)?;
/// assert_eq!(&reply, b"request");
/// assert_eq!(grant.write(4090, b"too long"), Err(Error::BadRange));
/// let page = grant.end_access().map_err(|g| g.error)?; // nobody maps it
/// assert_eq!(&page[..7], b"request");
/// # Ok::<(), xencall::Error>(())
/// ```
pub struct Grant<'t, 'h> {
    table: &'t GrantTable,
    gref: GrantRef,
    domid: u16,
    /// `Some` until the grant ends or is given up.
    page: Option<Buffer<'h, Page>>,
}

impl<'t, 'h> Grant<'t, 'h> {
    /// The grant reference, for the grantee (published in xenstore).
    ///
    /// ```no_run
    /// # fn demo(grant: &xencall::grant_table::Grant<'_, '_>) {
    /// let for_xenstore = grant.gref().to_string();
    /// # let _ = for_xenstore;
    /// # }
    /// ```
    pub fn gref(&self) -> GrantRef {
        self.gref
    }

    /// The domain the page is granted to.
    ///
    /// ```no_run
    /// # fn demo(grant: &xencall::grant_table::Grant<'_, '_>) {
    /// assert_eq!(grant.domid(), 0); // a backend in dom0
    /// # }
    /// ```
    pub fn domid(&self) -> u16 {
        self.domid
    }

    fn base(&self) -> *mut u8 {
        // The page is `Some` for as long as `self` is usable.
        self.page
            .as_ref()
            .map_or(core::ptr::null_mut(), |p| p.as_ptr().cast())
    }

    /// Copy `out.len()` bytes of the page from `offset` into `out`
    /// (volatile: the grantee may be writing them). [`Error::BadRange`]
    /// past the page's end.
    ///
    /// ```no_run
    /// # fn demo(grant: &xencall::grant_table::Grant<'_, '_>) -> xencall::Result<()> {
    /// let mut reply = [0u8; 16];
    /// grant.read(2048, &mut reply)?; // what the backend wrote there
    /// # Ok(()) }
    /// ```
    pub fn read(&self, offset: usize, out: &mut [u8]) -> Result<()> {
        check_range(offset, out.len())?;
        let base = self.base();
        for (i, byte) in out.iter_mut().enumerate() {
            // SAFETY: inside the page (checked), which this grant owns;
            // volatile, as another domain may write it concurrently.
            *byte = unsafe { base.add(offset + i).read_volatile() };
        }
        fence(Ordering::Acquire);
        Ok(())
    }

    /// Copy `data` into the page at `offset` (volatile).
    /// [`Error::BadRange`] past the page's end.
    ///
    /// ```no_run
    /// # fn demo(grant: &xencall::grant_table::Grant<'_, '_>) -> xencall::Result<()> {
    /// grant.write(0, b"request 1")?; // then notify the backend
    /// # Ok(()) }
    /// ```
    pub fn write(&self, offset: usize, data: &[u8]) -> Result<()> {
        check_range(offset, data.len())?;
        let base = self.base();
        for (i, &byte) in data.iter().enumerate() {
            // SAFETY: inside the page (checked), which this grant owns.
            unsafe { base.add(offset + i).write_volatile(byte) };
        }
        fence(Ordering::Release);
        Ok(())
    }

    /// End the grant (`gnttab_end_foreign_access`): the entry is swapped
    /// to invalid unless the grantee maps or copies the page, and the page
    /// comes back as a buffer of ours alone. Refused with
    /// [`Error::GrantInUse`] while Xen marks it in use (`GTF_reading` or
    /// `GTF_writing`): the grant comes back unchanged in [`StillGranted`],
    /// to try again once the grantee has unmapped it.
    ///
    /// ```
    /// # use xencall::buffers::{Page, PAGE_SIZE};
    /// # use xencall::grant_table::{GrantAccess, GrantTable};
    /// # use xencall::{mock::MockBackend, Error, OpenFlags, Xencall};
    /// # use xencall::abi::grant_table::GTF_READING;
    /// # let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// # xc.backend().set_responder(&|op, a| match (op, a[0]) {
    /// #     (17, 6) => unsafe { (*(a[1] as *mut [u32; 2]))[1] = 1 << 2; 0 },
    /// #     (20, 8) => unsafe { *(a[1] as *mut u32) = 1; 0 },
    /// #     _ => 0,
    /// # });
    /// # struct LowFrames; // host addresses: page numbers past 32 bits, cut to fit
    /// # // SAFETY: (of the example) the mock only records frames.
    /// # unsafe impl xencall::Frames for LowFrames {
    /// #     fn frame_of(&self, a: usize) -> xencall::Result<u64> { Ok((a as u64 >> 12) & 0xffff_ffff) }
    /// # }
    /// # let frames = LowFrames;
    /// # let table = GrantTable::map(&xc, &frames, xc.buffer::<Page>([0; PAGE_SIZE])?)?;
    /// let grant = table.grant(&frames, 0, xc.buffer::<Page>([0; PAGE_SIZE])?, GrantAccess::ReadWrite)
    ///     .map_err(|g| g.error)?;
    /// // Nobody maps it (Xen set neither GTF_reading nor GTF_writing).
    /// assert_eq!(table.entry_of(grant.gref()).unwrap().flags & GTF_READING, 0);
    /// let page = grant.end_access().map_err(|g| g.error)?;
    /// assert_eq!(table.entry_of(8).unwrap().flags, 0); // GTF_invalid
    /// # drop(page);
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn end_access(mut self) -> core::result::Result<Buffer<'h, Page>, StillGranted<'t, 'h>> {
        match end_access_v1(self.table.flags(self.gref as usize)) {
            Ok(()) => {
                self.table.release_ref(self.gref as usize);
                // The page is ours alone again: Xen refuses new mappings of
                // an invalid entry, and no mapping or copy was in progress.
                Ok(self.page.take().expect("a live grant holds its page"))
            }
            Err(flags) => Err(StillGranted {
                error: Error::GrantInUse,
                flags,
                grant: self,
            }),
        }
    }
}

impl Drop for Grant<'_, '_> {
    fn drop(&mut self) {
        let Some(page) = self.page.take() else {
            return;
        };
        if end_access_v1(self.table.flags(self.gref as usize)).is_ok() {
            self.table.release_ref(self.gref as usize);
            drop(page);
        } else {
            // Still mapped by the grantee: the page must never be handed
            // out again. Its entry stays valid and its reference used.
            let _kept_out_of_the_pool = page.into_raw();
        }
    }
}

fn check_range(offset: usize, len: usize) -> Result<()> {
    match offset.checked_add(len) {
        Some(end) if end <= PAGE_SIZE => Ok(()),
        _ => Err(Error::BadRange),
    }
}

/// [`GrantTable::grant`] refused: why, and the page, unchanged.
///
/// ```
/// use xencall::grant_table::NotGranted;
/// # fn demo(refused: NotGranted<'_>) {
/// let NotGranted { error, page } = refused; // nothing lost
/// # let _ = (error, page);
/// # }
/// ```
pub struct NotGranted<'h> {
    /// Why.
    pub error: Error,
    /// The page, still ours.
    pub page: Buffer<'h, Page>,
}

impl core::fmt::Debug for NotGranted<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "NotGranted({:?})", self.error)
    }
}

/// [`Grant::end_access`] refused: the grantee still uses the page.
///
/// ```no_run
/// use xencall::grant_table::Grant;
/// # fn demo(mut grant: Grant<'_, '_>) {
/// // Wait for the backend to unmap, then end again.
/// let page = loop {
///     match grant.end_access() {
///         Ok(page) => break page,
///         Err(still) => grant = still.grant, // e.g. after its next event
///     }
/// };
/// # drop(page);
/// # }
/// ```
pub struct StillGranted<'t, 'h> {
    /// [`Error::GrantInUse`].
    pub error: Error,
    /// The entry's `flags` as seen (`GTF_reading`/`GTF_writing` set).
    pub flags: u16,
    /// The grant, unchanged.
    pub grant: Grant<'t, 'h>,
}

impl core::fmt::Debug for StillGranted<'_, '_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "StillGranted({:?}, flags {:#x}, gref {})",
            self.error, self.flags, self.grant.gref
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::grant_table::{GnttabSetupTable, GTF_READONLY};
    use crate::abi::xen::DOMID_SELF;
    use crate::mock::MockBackend;

    /// One table per process: the tests take turns.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn xen(translated: bool) -> Xencall<MockBackend> {
        let xc = crate::mock::mock_handle(16);
        let responder: &'static (dyn Fn(u64, [u64; 5]) -> u64 + Sync) =
            Box::leak(Box::new(move |op: u64, a: [u64; 5]| match (op, a[0]) {
                (17, 6) => {
                    // SAFETY: a xen_feature_info buffer.
                    unsafe { (*(a[1] as *mut [u32; 2]))[1] = u32::from(translated) << 2 };
                    0
                }
                // SAFETY: a gnttab_set_version buffer.
                (20, 8) => unsafe {
                    *(a[1] as *mut u32) = 1;
                    0
                },
                (20, 2) => {
                    // SAFETY: a gnttab_setup_table and its frame list.
                    unsafe {
                        let t = *(a[1] as *const GnttabSetupTable);
                        *(t.frame_list as *mut u64) = 0xabcde;
                    }
                    0
                }
                (12, 7) | (14, _) => 0,
                other => panic!("unexpected {other:?}"),
            }));
        xc.backend().set_responder(responder);
        xc
    }

    /// Host addresses are past what a v1 entry's 32-bit frame holds:
    /// the low 32 bits of the page number (the mock only records them).
    fn identity() -> LowFrames {
        LowFrames
    }

    struct LowFrames;

    // SAFETY: the mock Xen only records frames.
    unsafe impl Frames for LowFrames {
        fn frame_of(&self, addr: usize) -> Result<u64> {
            Ok((addr as u64 >> 12) & 0xffff_ffff)
        }
    }

    fn page(xc: &Xencall<MockBackend>, fill: u8) -> Buffer<'_, Page> {
        xc.buffer::<Page>([fill; PAGE_SIZE]).unwrap()
    }

    /// Play Xen: the grantee maps (or unmaps) the page of `gref`.
    fn set_in_use(table: &GrantTable, gref: GrantRef, bits: u16, on: bool) {
        let flags = table.flags(gref as usize);
        if on {
            flags.fetch_or(bits, Ordering::AcqRel);
        } else {
            flags.fetch_and(!bits, Ordering::AcqRel);
        }
    }

    #[test]
    fn an_entry_is_written_as_the_protocol_says() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let xc = xen(true);
        let table = GrantTable::map(&xc, &identity(), page(&xc, 0)).unwrap();
        let p = page(&xc, 0x5a);
        let gfn = identity().frame_of(p.addr() as usize).unwrap();
        let grant = table
            .grant(&identity(), 3, p, GrantAccess::ReadOnly)
            .unwrap();
        assert_eq!(grant.gref(), GNTTAB_NR_RESERVED_ENTRIES);
        assert_eq!(
            table.entry_of(grant.gref()),
            Some(GrantEntryV1 {
                flags: GTF_PERMIT_ACCESS | GTF_READONLY,
                domid: 3,
                frame: gfn as u32
            })
        );
        // The bytes, as grant_table.h lays them out: flags, domid, frame.
        // SAFETY: entry 8's 8 bytes, inside the (mock-)mapped frame.
        let raw = unsafe { core::slice::from_raw_parts(table.entry(8).cast::<u8>(), 8) };
        let mut want = Vec::new();
        want.extend_from_slice(&(GTF_PERMIT_ACCESS | GTF_READONLY).to_le_bytes());
        want.extend_from_slice(&3u16.to_le_bytes());
        want.extend_from_slice(&(gfn as u32).to_le_bytes());
        assert_eq!(raw, &want[..]);
        // The toolstack's eight are never handed out; the next is 9.
        let second = table
            .grant(&identity(), 3, page(&xc, 0), GrantAccess::ReadWrite)
            .unwrap();
        assert_eq!(second.gref(), 9);
        assert_eq!(table.entry_of(9).unwrap().flags, GTF_PERMIT_ACCESS);
    }

    #[test]
    fn ending_is_refused_while_mapped_and_the_page_stays_out_of_the_pool() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let xc = xen(true);
        let table = GrantTable::map(&xc, &identity(), page(&xc, 0)).unwrap();
        let free = xc.pool().free_page_count();
        let grant = table
            .grant(&identity(), 0, page(&xc, 1), GrantAccess::ReadWrite)
            .unwrap();
        let gref = grant.gref();
        assert_eq!(xc.pool().free_page_count(), free - 1);
        // Each use bit alone, then both (a writable mapping): refused,
        // nothing changed, the page still held.
        let mut grant = grant;
        for bits in [GTF_READING, GTF_WRITING, GTF_READING | GTF_WRITING] {
            set_in_use(&table, gref, bits, true);
            let still = grant.end_access().err().unwrap();
            assert_eq!(still.error, Error::GrantInUse);
            assert_eq!(still.flags, GTF_PERMIT_ACCESS | bits);
            assert_eq!(
                table.entry_of(gref).unwrap().flags,
                GTF_PERMIT_ACCESS | bits
            );
            assert_eq!(xc.pool().free_page_count(), free - 1);
            grant = still.grant;
            set_in_use(&table, gref, bits, false);
        }
        let back = grant.end_access().unwrap();
        assert_eq!(back[0], 1);
        assert_eq!(table.entry_of(gref).unwrap().flags, GTF_INVALID);
        drop(back);
        assert_eq!(xc.pool().free_page_count(), free);
        // Its reference is free again.
        let again = table
            .grant(&identity(), 0, page(&xc, 2), GrantAccess::ReadOnly)
            .unwrap();
        assert_eq!(again.gref(), gref);
    }

    #[test]
    fn a_grant_dropped_while_mapped_keeps_its_page_and_entry() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let xc = xen(true);
        let table = GrantTable::map(&xc, &identity(), page(&xc, 0)).unwrap();
        let free = xc.pool().free_page_count();
        let grant = table
            .grant(&identity(), 0, page(&xc, 1), GrantAccess::ReadWrite)
            .unwrap();
        let gref = grant.gref();
        set_in_use(&table, gref, GTF_READING, true);
        drop(grant);
        // Never back in the pool, entry still valid, reference not reused.
        assert_eq!(xc.pool().free_page_count(), free - 1);
        assert_ne!(table.entry_of(gref).unwrap().flags & GTF_PERMIT_ACCESS, 0);
        let next = table
            .grant(&identity(), 0, page(&xc, 2), GrantAccess::ReadOnly)
            .unwrap();
        assert_ne!(next.gref(), gref);
        // An unmapped grant dropped is ended and its page freed.
        let next_ref = next.gref();
        drop(next);
        assert_eq!(table.entry_of(next_ref).unwrap().flags, GTF_INVALID);
        assert_eq!(xc.pool().free_page_count(), free - 1);
        // A table made later (the same frame 0 in a real Xen; here an
        // entry marked valid by hand) skips an entry still valid.
        drop(table);
        let table = GrantTable::map(&xc, &identity(), page(&xc, 0)).unwrap();
        table
            .flags(8)
            .store(GTF_PERMIT_ACCESS | GTF_READING, Ordering::Release);
        let after = table
            .grant(&identity(), 0, page(&xc, 3), GrantAccess::ReadOnly)
            .unwrap();
        assert_eq!(after.gref(), 9, "a mapped grant's entry was reused");
    }

    #[test]
    fn bad_input_is_refused_and_gives_the_page_back() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let xc = xen(true);
        let table = GrantTable::map(&xc, &identity(), page(&xc, 0)).unwrap();
        let free = xc.pool().free_page_count();
        for domid in [DOMID_SELF, DOMID_FIRST_RESERVED, 0x7fff, u16::MAX] {
            let r = table.grant(&identity(), domid, page(&xc, 4), GrantAccess::ReadOnly);
            let refused = r.err().unwrap();
            assert_eq!(refused.error, Error::ReservedDomid);
            assert_eq!(refused.page[100], 4);
        }
        struct Far;
        // SAFETY: never used with Xen.
        unsafe impl Frames for Far {
            fn frame_of(&self, _: usize) -> Result<u64> {
                Ok(1 << 32)
            }
        }
        let r = table.grant(&Far, 0, page(&xc, 5), GrantAccess::ReadOnly);
        assert_eq!(r.err().unwrap().error, Error::NoFrame);
        // Every reference taken (pages from a pool of their own): the
        // next is refused.
        let many = crate::mock::mock_handle(ENTRIES);
        let mut grants = Vec::new();
        for _ in GNTTAB_NR_RESERVED_ENTRIES as usize..ENTRIES {
            let p = many.buffer::<Page>([0; PAGE_SIZE]).unwrap();
            grants.push(
                table
                    .grant(&identity(), 0, p, GrantAccess::ReadOnly)
                    .unwrap(),
            );
        }
        let full = table.grant(&identity(), 0, page(&xc, 7), GrantAccess::ReadOnly);
        let full = full.err().unwrap();
        assert_eq!((full.error, full.page[0]), (Error::NoGrantRef, 7));
        drop(full);
        drop(grants);
        assert_eq!(xc.pool().free_page_count(), free);
        // Ranges past the page.
        let g = table
            .grant(&identity(), 0, page(&xc, 0), GrantAccess::ReadOnly)
            .unwrap();
        let mut buf = [0u8; 8];
        assert_eq!(g.read(4089, &mut buf), Err(Error::BadRange));
        assert_eq!(g.write(usize::MAX, b"x"), Err(Error::BadRange));
        assert_eq!(g.read(4088, &mut buf), Ok(()));
    }

    #[test]
    fn pv_maps_the_machine_frame_setup_table_names() {
        let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
        let xc = xen(false);
        let free = xc.pool().free_page_count();
        let p = page(&xc, 0);
        let va = p.addr();
        let table = GrantTable::map(&xc, &identity(), p).unwrap();
        // update_va_mapping(va, mfn << 12 | present rw user accessed dirty, INVLPG).
        assert_eq!(
            xc.backend().last(),
            Some((14, 3, [va, (0xabcde << 12) | 0x67, 2, 0, 0]))
        );
        // The page under the table never returns to the pool.
        drop(table);
        assert_eq!(xc.pool().free_page_count(), free - 1);
        // A second table while one is alive is refused, and its page kept.
        let one = GrantTable::map(&xc, &identity(), page(&xc, 0)).unwrap();
        let free = xc.pool().free_page_count();
        let two = GrantTable::map(&xc, &identity(), page(&xc, 0));
        assert_eq!(two.err(), Some(Error::GrantTableTaken));
        assert_eq!(xc.pool().free_page_count(), free);
        drop(one);
    }

    #[test]
    fn end_access_state_machine() {
        // Every combination of the use bits refuses; none changes flags.
        for flags in 0..=u16::MAX {
            let f = AtomicU16::new(flags);
            let r = end_access_v1(&f);
            if flags & (GTF_READING | GTF_WRITING) != 0 {
                assert_eq!(r, Err(flags));
                assert_eq!(f.load(Ordering::Relaxed), flags);
            } else {
                assert_eq!(r, Ok(()));
                assert_eq!(f.load(Ordering::Relaxed), GTF_INVALID);
            }
        }
    }
}
