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
    pub fn current_reservation(&self, domid: u16) -> Result<u64> {
        self.domain_query(MemoryOpCmd::CURRENT_RESERVATION, domid)
    }

    /// `XENMEM_maximum_reservation`: pages the domain may hold.
    pub fn maximum_reservation(&self, domid: u16) -> Result<u64> {
        self.domain_query(MemoryOpCmd::MAXIMUM_RESERVATION, domid)
    }

    /// `XENMEM_maximum_gpfn`: the highest guest frame in use.
    pub fn maximum_gpfn(&self, domid: u16) -> Result<u64> {
        self.domain_query(MemoryOpCmd::MAXIMUM_GPFN, domid)
    }

    /// `XENMEM_maximum_ram_page`: the highest machine frame of RAM.
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
    pub fn memory_map(&self, entries: &mut [E820Entry]) -> Result<usize> {
        let room = entries.len().min(u32::MAX as usize);
        let mut written = 0;
        self.bounce(&mut entries[..room], Direction::Out, |addr| {
            let map = self.buffer(XenMemoryMap {
                nr_entries: room as u32,
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
    /// `frames` back to Xen. Returns how many extents it took. The memory
    /// must not be touched afterwards.
    pub fn decrease_reservation(&self, domid: u16, frames: &[u64], order: u32) -> Result<usize> {
        self.reservation(
            MemoryOpCmd::DECREASE_RESERVATION,
            domid,
            frames,
            order,
            None,
        )
    }

    /// `XENMEM_populate_physmap`: back the guest frames in `frames` with
    /// new memory (translated guests: PVH, HVM, Arm). Returns extents done.
    pub fn populate_physmap(&self, domid: u16, frames: &mut [u64], order: u32) -> Result<usize> {
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
    /// the shared-info page) appear at guest frame `gpfn`.
    pub fn add_to_physmap(&self, domid: u16, space: MapSpace, idx: u64, gpfn: u64) -> Result<()> {
        let arg = self.buffer(XenAddToPhysmap {
            domid,
            size: 0,
            space: space.0,
            idx,
            gpfn,
        })?;
        // SAFETY: Xen reads the structure.
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
        assert_eq!(xc.populate_physmap(DOMID_SELF, &mut frames, 0), Ok(1));
        assert_eq!(frames, [5, 77]);
        let mut map = [E820Entry::default(); 4];
        assert_eq!(xc.memory_map(&mut map), Ok(1));
        assert_eq!({ map[0].size }, 4096);
        assert!(xc.decrease_reservation(DOMID_SELF, &[1], 0).is_err());
        assert_eq!(xc.pool().free_page_count(), 8);
    }
}
