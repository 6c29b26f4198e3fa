//! `memory_op` on pages the caller owns, safe by construction: the frame
//! Xen is given comes from an owned buffer page through [`Frames`], and the
//! page is consumed, so it cannot be used (or freed into the pool) while
//! Xen holds its frame.
//!
//! For translated guests (PVH, HVM, Arm), where Xen keeps the physical map.
//! A PV guest owns its p2m list and page tables: it gives pages back with
//! the `unsafe` [`Xencall::decrease_reservation`] and friends.

use crate::abi::memory::DOMID_SELF;
use crate::backend::Backend;
use crate::buffers::{Buffer, GivenBack, NotPopulated, Page, XenPage, XenPageKind};
use crate::error::{Error, Result};
use crate::frames::Frames;
use crate::handle::Xencall;
use crate::hypercalls::XenFeatures;

impl<B: Backend> Xencall<B> {
    /// [`Error::NotTranslated`] unless Xen keeps this guest's physical map.
    fn require_translated(&self) -> Result<()> {
        if self
            .xen_features()?
            .contains(XenFeatures::AUTO_TRANSLATED_PHYSMAP)
        {
            Ok(())
        } else {
            Err(Error::NotTranslated)
        }
    }

    /// `XENMEM_decrease_reservation` of one buffer page: Xen takes the
    /// memory, the page's frame becomes a hole. The page comes back as a
    /// [`GivenBack`] that nothing can read or write, and that
    /// [`populate_page`](Self::populate_page) turns into the buffer again.
    ///
    /// Errors (the page then goes back to the pool, still ours):
    /// [`Error::NotTranslated`] on PV, [`Error::NoFrame`] if `frames`
    /// knows no frame for it, [`Error::Declined`] if Xen took nothing,
    /// and Xen's own refusals.
    ///
    /// ```no_run
    /// use xencall::buffers::{Page, PAGE_SIZE};
    /// # fn demo(xc: &xencall::Xencall, boot: &xencall::rt::BootInfo) -> xencall::Result<()> {
    /// // A balloon driver lends a page to Xen, and takes it back later.
    /// let page = xc.buffer::<Page>([0; PAGE_SIZE])?;
    /// let lent = xc.give_back_page(boot, page)?;
    /// let page = xc.populate_page(lent)?; // `?` drops it on failure: it stays lent
    /// # drop(page);
    /// # Ok(()) }
    /// ```
    pub fn give_back_page<'h>(
        &'h self,
        frames: &impl Frames,
        page: Buffer<'h, Page>,
    ) -> Result<GivenBack<'h>> {
        self.require_translated()?;
        let frame = frames.frame_of(page.addr() as usize)?;
        // SAFETY: `frame` is the frame of `page` (the `Frames` contract),
        // which this function owns: no reference into it is live, and it
        // is either kept out of use as a `GivenBack` below or, if Xen took
        // nothing (an error or 0 extents: one extent is all or nothing),
        // dropped back into the pool as the memory it still is.
        let taken = unsafe { self.decrease_reservation(DOMID_SELF, &[frame], 0)? };
        if taken != 1 {
            return Err(Error::Declined);
        }
        Ok(GivenBack::new(page, frame))
    }

    /// `XENMEM_populate_physmap` of a page given back with
    /// [`give_back_page`](Self::give_back_page): Xen backs its frame with
    /// new memory, and the buffer is usable again (its contents are what
    /// Xen put there: zeroes in practice, any bytes for the type system).
    ///
    /// On failure the page comes back in [`NotPopulated`], still given
    /// back: [`Error::Declined`] when Xen backed nothing (no memory, or the
    /// domain is at its maximum), or Xen's error.
    ///
    /// ```no_run
    /// use xencall::buffers::{Page, PAGE_SIZE};
    /// use xencall::Error;
    /// # fn demo(xc: &xencall::Xencall, boot: &xencall::rt::BootInfo) -> xencall::Result<()> {
    /// let mut lent = xc.give_back_page(boot, xc.buffer::<Page>([0; PAGE_SIZE])?)?;
    /// let page = loop {
    ///     match xc.populate_page(lent) {
    ///         Ok(page) => break page,
    ///         // No memory now: keep the page lent and try again later.
    ///         Err(failed) if failed.error == Error::Declined => lent = failed.page,
    ///         Err(failed) => return Err(failed.into()),
    ///     }
    /// #   ;
    /// };
    /// # drop(page);
    /// # Ok(()) }
    /// ```
    pub fn populate_page<'h>(
        &'h self,
        page: GivenBack<'h>,
    ) -> core::result::Result<Buffer<'h, Page>, NotPopulated<'h>> {
        let mut frames = [page.frame()];
        // SAFETY: the frame is the hole `give_back_page` left, which
        // nothing uses (the `GivenBack` has no accessor).
        match unsafe { self.populate_physmap(DOMID_SELF, &mut frames, 0) } {
            // SAFETY: Xen backed the frame again: the page is memory.
            Ok(1) => Ok(unsafe { page.into_buffer() }),
            Ok(_) => Err(NotPopulated {
                error: Error::Declined,
                page,
            }),
            Err(error) => Err(NotPopulated { error, page }),
        }
    }

    /// `XENMEM_add_to_physmap`: put Xen's page `kind` (shared info, a
    /// grant-table frame) where the buffer page `page` is, and return it as
    /// a [`XenPage`]. The buffer's own memory goes to Xen, so the page never
    /// returns to the pool.
    ///
    /// Errors: [`Error::NotTranslated`] on PV (which maps Xen's pages by
    /// machine frame instead), [`Error::NoFrame`] (the page goes back to
    /// the pool), and Xen's refusals; after one of those the page is kept
    /// out of the pool too, as Xen may have removed it before failing.
    ///
    /// ```no_run
    /// use xencall::buffers::{Page, XenPageKind, PAGE_SIZE};
    /// # fn demo(xc: &xencall::Xencall, boot: &xencall::rt::BootInfo) -> xencall::Result<()> {
    /// // A PVH guest reaches its grant table through frame 0, mapped here.
    /// let table = xc.map_xen_page(boot, XenPageKind::GrantTable(0), xc.buffer::<Page>([0; PAGE_SIZE])?)?;
    /// // SAFETY: grant entry 1's flags, in the mapped page; Xen writes it too.
    /// let flags = unsafe { table.as_ptr().add(8).cast::<u16>().read_volatile() };
    /// # let _ = flags;
    /// # Ok(()) }
    /// ```
    pub fn map_xen_page<'h>(
        &'h self,
        frames: &impl Frames,
        kind: XenPageKind,
        page: Buffer<'h, Page>,
    ) -> Result<XenPage> {
        self.require_translated()?;
        let gpfn = frames.frame_of(page.addr() as usize)?;
        let (space, idx) = kind.space_and_index();
        // Whatever Xen answers, the buffer's memory is no longer the pool's.
        let mapped = XenPage::new(page);
        // SAFETY: `gpfn` is the frame of the consumed buffer page (the
        // `Frames` contract); nothing else uses it, and `XenPage` keeps it
        // out of the pool for good. The map spaces of `XenPageKind` take
        // an index into Xen's own pages, not a frame of ours.
        unsafe { self.add_to_physmap(DOMID_SELF, space, idx, gpfn)? };
        Ok(mapped)
    }
}

#[cfg(test)]
mod tests {
    use crate::abi::memory::{XenAddToPhysmap, XenMemoryReservation};
    use crate::buffers::{Page, XenPageKind, PAGE_SIZE};
    use crate::error::Error;
    use crate::frames::{Frames, IdentityMapped};
    use crate::mock::MockBackend;
    use crate::Xencall;

    /// A mock Xen: translated or not; memory_op answers `extents`, and
    /// every frame named in a reservation or physmap change is recorded.
    fn xen(translated: bool, extents: u64) -> Xencall<MockBackend> {
        let xc = crate::mock::mock_handle(8);
        let responder: &'static (dyn Fn(u64, [u64; 5]) -> u64 + Sync) =
            Box::leak(Box::new(move |op: u64, a: [u64; 5]| match (op, a[0]) {
                (17, 6) => {
                    // SAFETY: a xen_feature_info buffer.
                    unsafe { (*(a[1] as *mut [u32; 2]))[1] = u32::from(translated) << 2 };
                    0
                }
                (12, 1 | 6) => {
                    // SAFETY: a xen_memory_reservation and its one-entry list.
                    let r = unsafe { *(a[1] as *const XenMemoryReservation) };
                    assert_eq!((r.nr_extents, r.extent_order, r.domid), (1, 0, 0x7ff0));
                    // SAFETY: as above.
                    let frame = unsafe { *(r.extent_start as *const u64) };
                    FRAMES.lock().unwrap().push((a[0], frame));
                    extents
                }
                (12, 7) => {
                    // SAFETY: a xen_add_to_physmap buffer.
                    let m = unsafe { *(a[1] as *const XenAddToPhysmap) };
                    FRAMES.lock().unwrap().push((7, m.gpfn));
                    if extents == 1 {
                        0
                    } else {
                        -22i64 as u64
                    }
                }
                other => panic!("unexpected {other:?}"),
            }));
        xc.backend().set_responder(responder);
        xc
    }

    static FRAMES: std::sync::Mutex<Vec<(u64, u64)>> = std::sync::Mutex::new(Vec::new());
    /// The tests share `FRAMES`: one at a time.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

    fn identity() -> IdentityMapped {
        // SAFETY: the mock Xen only records the frames.
        unsafe { IdentityMapped::new() }
    }

    #[test]
    fn a_page_given_back_is_out_of_the_pool_until_populated() {
        let _one = ONE_AT_A_TIME.lock().unwrap();
        FRAMES.lock().unwrap().clear();
        let xc = xen(true, 1);
        let free = xc.pool().free_page_count();
        let page = xc.buffer::<Page>([7; PAGE_SIZE]).unwrap();
        let gfn = page.addr() >> 12;
        let lent = xc.give_back_page(&identity(), page).unwrap();
        // Xen got the buffer's own frame, and the page is still taken.
        assert_eq!(lent.frame(), gfn);
        assert_eq!(xc.pool().free_page_count(), free - 1);
        let page = xc.populate_page(lent).unwrap();
        assert_eq!(page.addr() >> 12, gfn);
        assert_eq!(*FRAMES.lock().unwrap(), [(1, gfn), (6, gfn)]);
        drop(page);
        assert_eq!(xc.pool().free_page_count(), free);
    }

    #[test]
    fn refusals_keep_the_page_where_it_is_safe() {
        let _one = ONE_AT_A_TIME.lock().unwrap();
        // PV: nothing reaches memory_op, the page goes back to the pool.
        let xc = xen(false, 1);
        let free = xc.pool().free_page_count();
        let page = xc.buffer::<Page>([0; PAGE_SIZE]).unwrap();
        assert_eq!(
            xc.give_back_page(&identity(), page).err(),
            Some(Error::NotTranslated)
        );
        let page = xc.buffer::<Page>([0; PAGE_SIZE]).unwrap();
        assert_eq!(
            xc.map_xen_page(&identity(), XenPageKind::SharedInfo, page)
                .err(),
            Some(Error::NotTranslated)
        );
        assert_eq!(xc.pool().free_page_count(), free);

        // No frame known: refused before Xen, the page is still ours.
        struct Nothing;
        // SAFETY: never gives a frame.
        unsafe impl Frames for Nothing {
            fn frame_of(&self, _: usize) -> crate::Result<u64> {
                Err(Error::NoFrame)
            }
        }
        let xc = xen(true, 1);
        let free = xc.pool().free_page_count();
        let page = xc.buffer::<Page>([0; PAGE_SIZE]).unwrap();
        assert_eq!(
            xc.give_back_page(&Nothing, page).err(),
            Some(Error::NoFrame)
        );
        assert_eq!(xc.pool().free_page_count(), free);

        // Xen takes nothing: the page is still memory, back in the pool.
        let xc = xen(true, 0);
        let free = xc.pool().free_page_count();
        let page = xc.buffer::<Page>([0; PAGE_SIZE]).unwrap();
        assert_eq!(
            xc.give_back_page(&identity(), page).err(),
            Some(Error::Declined)
        );
        // A failed mapping keeps the page out of the pool: Xen may have
        // removed it before failing.
        let page = xc.buffer::<Page>([0; PAGE_SIZE]).unwrap();
        assert_eq!(
            xc.map_xen_page(&identity(), XenPageKind::GrantTable(0), page)
                .err(),
            Some(Error::Xen(crate::abi::XenErrno::EINVAL))
        );
        assert_eq!(xc.pool().free_page_count(), free - 1);
    }

    #[test]
    fn a_page_that_cannot_be_populated_comes_back_still_given() {
        let _one = ONE_AT_A_TIME.lock().unwrap();
        let xc = xen(true, 1);
        let free = xc.pool().free_page_count();
        let lent = xc
            .give_back_page(&identity(), xc.buffer::<Page>([0; PAGE_SIZE]).unwrap())
            .unwrap();
        let frame = lent.frame();
        // The same handle with a Xen out of memory.
        let dry = xen(true, 0);
        {
            let failed = dry.populate_page(lent).err().unwrap();
            assert_eq!(
                (failed.error, failed.page.frame()),
                (Error::Declined, frame)
            );
        }
        // Dropping the token left the page with Xen: never back in the pool.
        assert_eq!(xc.pool().free_page_count(), free - 1);
    }
}
