//! `memory_op`: this domain's memory — reservation sizes, the memory map,
//! giving pages back and taking them again, mapping special pages.

use crate::abi::memory::{
    E820Entry, MapSpace, MemoryOpCmd, XenAddToPhysmap, XenMemoryMap, XenMemoryReservation,
};
use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::bounce::Direction;
use crate::error::Result;
use crate::handle::Xencall;

impl<B: Backend> Xencall<B> {
    /// A `memory_op` whose argument is a `domid_t`.
    fn domain_query(&self, cmd: MemoryOpCmd, domid: u16) -> Result<u64> {
        let arg = self.buffer(domid)?;
        // SAFETY: Xen reads the domain ID in the buffer.
        unsafe { self.call2(HypercallOp::MEMORY_OP, cmd.0.into(), arg.addr()) }
    }

    /// `XENMEM_current_reservation`: pages the domain holds now.
    ///
    /// ```no_run
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let pages = xc.current_reservation(DOMID_SELF)?;
    /// // Pages are 4 KiB on x86 and Arm alike.
    /// println!("this domain holds {} MiB", pages * 4096 >> 20);
    /// # Ok(()) }
    /// ```
    pub fn current_reservation(&self, domid: u16) -> Result<u64> {
        self.domain_query(MemoryOpCmd::CURRENT_RESERVATION, domid)
    }

    /// `XENMEM_maximum_reservation`: pages the domain may hold.
    ///
    /// ```no_run
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let max = xc.maximum_reservation(DOMID_SELF)?;
    /// let now = xc.current_reservation(DOMID_SELF)?;
    /// // How far a balloon driver may grow before Xen refuses more pages.
    /// let headroom = max.saturating_sub(now);
    /// # let _ = headroom;
    /// # Ok(()) }
    /// ```
    pub fn maximum_reservation(&self, domid: u16) -> Result<u64> {
        self.domain_query(MemoryOpCmd::MAXIMUM_RESERVATION, domid)
    }

    /// `XENMEM_maximum_gpfn`: the highest guest frame in use.
    ///
    /// ```no_run
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let top = xc.maximum_gpfn(DOMID_SELF)?;
    /// // The guest-physical address space in use ends here, MMIO holes included.
    /// println!("physmap spans {:#x} bytes", (top + 1) * 4096);
    /// # Ok(()) }
    /// ```
    pub fn maximum_gpfn(&self, domid: u16) -> Result<u64> {
        self.domain_query(MemoryOpCmd::MAXIMUM_GPFN, domid)
    }

    /// `XENMEM_maximum_ram_page`: the highest machine frame of RAM.
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// xc.backend().set_responder(&|_, _| 0x47_ffff); // a host with RAM up to 18 GiB
    /// // A PV guest sizes its machine-to-physical lookups from this.
    /// let top = xc.maximum_ram_page()?;
    /// assert_eq!((top + 1) * 4096, 18 << 30);
    /// assert_eq!(xc.backend().last(), Some((12, 2, [2, 0, 0, 0, 0])));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn maximum_ram_page(&self) -> Result<u64> {
        // SAFETY: XENMEM_maximum_ram_page takes no argument.
        unsafe {
            self.call2(
                HypercallOp::MEMORY_OP,
                MemoryOpCmd::MAXIMUM_RAM_PAGE.0.into(),
                0,
            )
        }
    }

    /// `XENMEM_memory_map`: this domain's E820-style map into `entries`;
    /// returns how many Xen wrote. x86 only (Arm: `ENOSYS`; its map is in
    /// the device tree).
    ///
    /// ```no_run
    /// use xencall::abi::memory::E820Entry;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let mut map = [E820Entry::default(); 32];
    /// let n = xc.memory_map(&mut map)?;
    /// // Type 1 is usable RAM. The entries are packed: copy fields out, never borrow.
    /// let ram: u64 = map[..n].iter().filter(|e| { e.kind } == 1).map(|e| { e.size }).sum();
    /// println!("{n} entries, {} MiB of RAM", ram >> 20);
    /// # Ok(()) }
    /// ```
    pub fn memory_map(&self, entries: &mut [E820Entry]) -> Result<usize> {
        let room = entries.len().min(u32::MAX as usize);
        let mut written = 0;
        self.bounce(&mut entries[..room], Direction::Out, |addr| {
            let map = self.buffer(XenMemoryMap {
                nr_entries: room as u32,
                _pad0: 0,
                buffer: addr,
            })?;
            // SAFETY: Xen writes at most `room` entries at `addr` and the
            // count into `map`.
            unsafe {
                self.call2(
                    HypercallOp::MEMORY_OP,
                    MemoryOpCmd::MEMORY_MAP.0.into(),
                    map.addr(),
                )?
            };
            written = (map.read().nr_entries as usize).min(room);
            Ok(())
        })?;
        Ok(written)
    }

    /// A reservation change over the frame list `frames`; the list as Xen
    /// left it is copied into `out` when given. Returns extents done.
    fn reservation(
        &self,
        cmd: MemoryOpCmd,
        domid: u16,
        frames: &[u64],
        order: u32,
        out: Option<&mut [u64]>,
    ) -> Result<usize> {
        let list = self.buffer_from_slice(frames)?;
        let arg = self.buffer(XenMemoryReservation {
            extent_start: list.addr(),
            nr_extents: frames.len() as u64,
            extent_order: order,
            mem_flags: 0,
            domid,
            _pad0: [0; 6],
        })?;
        // SAFETY: Xen reads (and for increase/populate writes) at most
        // `nr_extents` frame numbers in `list`, and reads the structure;
        // both buffers outlive the call.
        let n = unsafe { self.call2(HypercallOp::MEMORY_OP, cmd.0.into(), arg.addr())? };
        if let Some(out) = out {
            for (i, slot) in out.iter_mut().enumerate().take(frames.len()) {
                // Volatile: Xen wrote the list behind the compiler's back.
                // SAFETY: `i < frames.len()`, the buffer's length.
                *slot = unsafe { list.as_ptr().add(i).read_volatile() };
            }
        }
        Ok(n as usize)
    }

    /// `XENMEM_decrease_reservation`: give the `2^order`-page extents at
    /// `frames` back to Xen. Returns how many extents it took. The safe
    /// way for a page of a hypercall buffer is
    /// [`give_back_page`](Self::give_back_page).
    ///
    /// # Safety
    /// For this domain, every frame must be one the caller owns and gives
    /// up: nothing may use the memory afterwards (Xen hands it to others;
    /// a translated guest's address becomes a hole), and it must not be
    /// memory a pool, allocator or live buffer will hand out again. On PV,
    /// the guest must also unmap the page and keep its p2m list right. For
    /// another domain, the caller answers for that domain's memory.
    ///
    /// A live buffer's frame given away from safe code no longer compiles:
    ///
    /// ```compile_fail,E0133
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let b = xc.buffer([0u8; 4096])?;
    /// // `b` would stay in use (and go back to the pool) on a frame Xen took.
    /// xc.decrease_reservation(DOMID_SELF, &[b.addr() >> 12], 0)?;
    /// # Ok(()) }
    /// ```
    ///
    /// ```no_run
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // A PV guest gives back a machine frame it took with
    /// // `increase_reservation` and never mapped.
    /// let mut mfns = [0u64; 1];
    /// if xc.increase_reservation(DOMID_SELF, &mut mfns, 0)? == 1 {
    ///     // SAFETY: the frame was never mapped or used.
    ///     let taken = unsafe { xc.decrease_reservation(DOMID_SELF, &mfns, 0)? };
    ///     assert_eq!(taken, 1);
    /// }
    /// # Ok(()) }
    /// ```
    pub unsafe fn decrease_reservation(
        &self,
        domid: u16,
        frames: &[u64],
        order: u32,
    ) -> Result<usize> {
        self.reservation(
            MemoryOpCmd::DECREASE_RESERVATION,
            domid,
            frames,
            order,
            None,
        )
    }

    /// `XENMEM_populate_physmap`: back the guest frames in `frames` with
    /// new memory (translated guests: PVH, HVM, Arm; a PV guest gets the
    /// new machine frames written back). Returns extents done. The safe
    /// way back for a page given with
    /// [`give_back_page`](Self::give_back_page) is
    /// [`populate_page`](Self::populate_page).
    ///
    /// # Safety
    /// For this domain, no memory in use may be at those frames: a frame
    /// that still holds a page (a live buffer, code, a page table) has it
    /// replaced (translated guests) and every reference to the old page now
    /// reaches the new one.
    ///
    /// ```compile_fail,E0133
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // Frame 0x100 is in use: its page would be swapped for a new one.
    /// xc.populate_physmap(DOMID_SELF, &mut [0x100], 0)?;
    /// # Ok(()) }
    /// ```
    ///
    /// ```no_run
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let gfn = 0x1_2345u64;
    /// // Refill two holes a balloon left earlier, one 4 KiB page per frame.
    /// let mut frames = [gfn, gfn + 1];
    /// // SAFETY: both frames are holes that nothing uses.
    /// let done = unsafe { xc.populate_physmap(DOMID_SELF, &mut frames, 0)? };
    /// // Fewer than asked: Xen is out of memory or the domain hit its maximum.
    /// if done < frames.len() {
    ///     println!("only {done} of {} pages backed", frames.len());
    /// }
    /// # Ok(()) }
    /// ```
    pub unsafe fn populate_physmap(
        &self,
        domid: u16,
        frames: &mut [u64],
        order: u32,
    ) -> Result<usize> {
        let input = self.buffer_from_slice(frames)?;
        self.reservation(
            MemoryOpCmd::POPULATE_PHYSMAP,
            domid,
            &input,
            order,
            Some(frames),
        )
    }

    /// `XENMEM_increase_reservation`: take new extents; Xen writes their
    /// frame numbers into `frames`. Returns extents done.
    ///
    /// Safe: Xen writes only the crate's copy of the list (the numbers in
    /// `frames` are not read), and the new pages are the domain's but in
    /// no one's use: mapped nowhere (PV) and outside the physical map
    /// (translated guests, where Xen writes no number).
    ///
    /// ```no_run
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // A PV guest asks for machine frames and learns their numbers.
    /// let mut mfns = [0u64; 4];
    /// let n = xc.increase_reservation(DOMID_SELF, &mut mfns, 0)?;
    /// for mfn in &mfns[..n] {
    ///     println!("new machine frame {mfn:#x}"); // still to be entered in the P2M
    /// }
    /// # Ok(()) }
    /// ```
    pub fn increase_reservation(
        &self,
        domid: u16,
        frames: &mut [u64],
        order: u32,
    ) -> Result<usize> {
        let input = self.buffer_from_slice(frames)?;
        self.reservation(
            MemoryOpCmd::INCREASE_RESERVATION,
            domid,
            &input,
            order,
            Some(frames),
        )
    }

    /// `XENMEM_add_to_physmap`: make page `idx` of `space` (for example
    /// the shared-info page) appear at guest frame `gpfn`. The safe way,
    /// for a page of a hypercall buffer, is
    /// [`map_xen_page`](Self::map_xen_page).
    ///
    /// # Safety
    /// For this domain, whatever page was at `gpfn` is replaced (Xen frees
    /// it): nothing may use it, and it must never return to a pool or
    /// allocator as ordinary memory. With `MapSpace::GMFN` and friends
    /// `idx` is itself a frame of ours, which moves and leaves a hole.
    ///
    /// Replacing a caller-chosen frame from safe code no longer compiles:
    ///
    /// ```compile_fail,E0133
    /// use xencall::abi::memory::{MapSpace, DOMID_SELF};
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // Frame 0x100: whatever lives there (code, a page table) is replaced.
    /// xc.add_to_physmap(DOMID_SELF, MapSpace::SHARED_INFO, 0, 0x100)?;
    /// # Ok(()) }
    /// ```
    ///
    /// ```no_run
    /// use xencall::abi::memory::{MapSpace, DOMID_SELF};
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// #[repr(C, align(4096))]
    /// struct Page([u8; 4096]);
    /// static mut SHARED_INFO: Page = Page([0; 4096]);
    ///
    /// // An identity-mapped PVH guest puts Xen's shared-info page at a
    /// // page of its own that nothing else uses.
    /// let gpfn = core::ptr::addr_of!(SHARED_INFO) as u64 >> 12;
    /// // SAFETY: the static is only ever read as Xen's page from now on.
    /// unsafe { xc.add_to_physmap(DOMID_SELF, MapSpace::SHARED_INFO, 0, gpfn)? };
    /// # Ok(()) }
    /// ```
    pub unsafe fn add_to_physmap(
        &self,
        domid: u16,
        space: MapSpace,
        idx: u64,
        gpfn: u64,
    ) -> Result<()> {
        let arg = self.buffer(XenAddToPhysmap {
            domid,
            size: 0,
            space: space.0,
            idx,
            gpfn,
        })?;
        // SAFETY: Xen reads the structure; the caller vouches for what the
        // mapping replaces.
        unsafe {
            self.call2(
                HypercallOp::MEMORY_OP,
                MemoryOpCmd::ADD_TO_PHYSMAP.0.into(),
                arg.addr(),
            )?
        };
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::abi::memory::{E820Entry, DOMID_SELF};

    #[test]
    fn arguments_and_results_cross_as_the_abi_says() {
        let xc = crate::mock::mock_handle(8);
        xc.backend().respond(|op, a| {
            assert_eq!(op, 12);
            match a[0] {
                // current / maximum reservation: a domid_t argument.
                3 | 4 => {
                    // SAFETY: a domid_t buffer.
                    assert_eq!(unsafe { *(a[1] as *const u16) }, 0x7ff0);
                    if a[0] == 3 {
                        100
                    } else {
                        200
                    }
                }
                2 => 0x12_3456,
                // populate: write new frame numbers back.
                6 => {
                    // SAFETY: a xen_memory_reservation and its list.
                    let r = unsafe { *(a[1] as *const crate::abi::memory::XenMemoryReservation) };
                    assert_eq!((r.nr_extents, r.extent_order, r.domid), (2, 0, 0x7ff0));
                    // SAFETY: as above.
                    let list =
                        unsafe { std::slice::from_raw_parts_mut(r.extent_start as *mut u64, 2) };
                    list[1] = 77;
                    1
                }
                9 => {
                    // SAFETY: a xen_memory_map and its buffer.
                    let m = unsafe { &mut *(a[1] as *mut crate::abi::memory::XenMemoryMap) };
                    assert_eq!(m.nr_entries, 4);
                    // SAFETY: as above, room for 4 entries.
                    unsafe {
                        *(m.buffer as *mut E820Entry) = E820Entry {
                            addr: 0,
                            size: 4096,
                            kind: 1,
                        };
                    }
                    m.nr_entries = 1;
                    0
                }
                _ => -38i64 as u64,
            }
        });
        assert_eq!(xc.current_reservation(DOMID_SELF), Ok(100));
        assert_eq!(xc.maximum_reservation(DOMID_SELF), Ok(200));
        assert_eq!(xc.maximum_ram_page(), Ok(0x12_3456));
        let mut frames = [5u64, 6];
        // SAFETY: the mock writes only the crate's own list buffer.
        let populated = unsafe { xc.populate_physmap(DOMID_SELF, &mut frames, 0) };
        assert_eq!(populated, Ok(1));
        assert_eq!(frames, [5, 77]);
        let mut map = [E820Entry::default(); 4];
        assert_eq!(xc.memory_map(&mut map), Ok(1));
        assert_eq!({ map[0].size }, 4096);
        // SAFETY: the mock refuses it (ENOSYS) and touches no memory.
        assert!(unsafe { xc.decrease_reservation(DOMID_SELF, &[1], 0) }.is_err());
        assert_eq!(xc.pool().free_page_count(), 8);
    }
}
