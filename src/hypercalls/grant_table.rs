//! `grant_table_op`: the grant table's size and version, setting it up,
//! and grant copies.

use crate::abi::grant_table::{
    GnttabCopy, GnttabGetVersion, GnttabOpCmd, GnttabQuerySize, GnttabSetVersion, GnttabSetupTable,
    GrantStatus,
};
use zerocopy::{FromBytes, IntoBytes};

use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::handle::Xencall;
use crate::hypercalls::GrantCopy;

fn status(s: i16) -> Result<()> {
    match GrantStatus(s) {
        GrantStatus::OKAY => Ok(()),
        other => Err(Error::Grant(other)),
    }
}

impl<B: Backend> Xencall<B> {
    /// Run `count` grant operations of one kind on the `T`s in `ops`.
    fn gnttab_op<T: Copy + FromBytes + IntoBytes>(
        &self,
        cmd: GnttabOpCmd,
        ops: &mut [T],
    ) -> Result<()> {
        let mut buffer = self.buffer_from_slice(ops)?;
        // SAFETY: Xen reads and writes `ops.len()` structures of the
        // command's type in the buffer.
        unsafe {
            self.call3(
                HypercallOp::GRANT_TABLE_OP,
                cmd.0.into(),
                buffer.addr(),
                ops.len() as u64,
            )?
        };
        for (out, slot) in ops.iter_mut().zip(buffer.iter_mut()) {
            // SAFETY: a live element; volatile because Xen wrote it.
            *out = unsafe { core::ptr::read_volatile(slot) };
        }
        Ok(())
    }

    /// `GNTTABOP_query_size`: `(frames in use, most frames allowed)`.
    ///
    /// ```no_run
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let (frames, max_frames) = xc.gnttab_query_size(DOMID_SELF)?;
    /// // A v1 frame holds 512 eight-byte entries: the ceiling on grant refs.
    /// let max_refs = max_frames * 512;
    /// # let _ = (frames, max_refs);
    /// # Ok(()) }
    /// ```
    pub fn gnttab_query_size(&self, dom: u16) -> Result<(u32, u32)> {
        let mut q = [GnttabQuerySize {
            dom,
            ..Default::default()
        }];
        self.gnttab_op(GnttabOpCmd::QUERY_SIZE, &mut q)?;
        status(q[0].status)?;
        Ok((q[0].nr_frames, q[0].max_nr_frames))
    }

    /// `GNTTABOP_get_version`.
    ///
    /// ```no_run
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // The entry layout depends on it: v1 entries are 8 bytes, v2 16 with
    /// // status kept in separate frames.
    /// let v2 = xc.gnttab_get_version(DOMID_SELF)? == 2;
    /// # let _ = v2;
    /// # Ok(()) }
    /// ```
    pub fn gnttab_get_version(&self, dom: u16) -> Result<u32> {
        let mut q = [GnttabGetVersion {
            dom,
            ..Default::default()
        }];
        self.gnttab_op(GnttabOpCmd::GET_VERSION, &mut q)?;
        Ok(q[0].version)
    }

    /// `GNTTABOP_set_version`: ask for `version` (1 or 2); returns the
    /// version in force.
    ///
    /// ```no_run
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // Choose before granting anything: Xen will not switch under live grants.
    /// let v = xc.gnttab_set_version(1)?;
    /// assert_eq!(v, 1);
    /// # Ok(()) }
    /// ```
    pub fn gnttab_set_version(&self, version: u32) -> Result<u32> {
        let mut q = [GnttabSetVersion { version }];
        self.gnttab_op(GnttabOpCmd::SET_VERSION, &mut q)?;
        Ok(q[0].version)
    }

    /// `GNTTABOP_setup_table`: size the table to `frames.len()` frames and
    /// learn where they are (machine frames for PV; guest frames, or
    /// `INVALID_GFN` until mapped, for translated guests).
    ///
    /// ```no_run
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let mut frames = [0u64; 4];
    /// xc.gnttab_setup_table(DOMID_SELF, &mut frames)?;
    /// // PV: map these machine frames to reach the table. A translated guest
    /// // places each one with `add_to_physmap(.., MapSpace::GRANT_TABLE, i, gfn)`.
    /// # let _ = frames;
    /// # Ok(()) }
    /// ```
    pub fn gnttab_setup_table(&self, dom: u16, frames: &mut [u64]) -> Result<()> {
        let mut list = self.buffer_from_slice(frames)?;
        let mut q = [GnttabSetupTable {
            dom,
            _pad0: 0,
            nr_frames: frames.len() as u32,
            status: 0,
            _pad1: [0; 6],
            frame_list: list.addr(),
        }];
        self.gnttab_op(GnttabOpCmd::SETUP_TABLE, &mut q)?;
        status(q[0].status)?;
        for (out, slot) in frames.iter_mut().zip(list.iter_mut()) {
            // SAFETY: a live element; volatile because Xen wrote it.
            *out = unsafe { core::ptr::read_volatile(slot) };
        }
        Ok(())
    }

    /// `GNTTABOP_copy`: run the copies; each one's status is recorded in
    /// it ([`GrantCopy::status`]), and the first failing one is returned
    /// as the error. Safe: a [`GrantCopy`] names only memory the caller
    /// lends it (see there). A raw operation naming a frame of ours by
    /// number is no longer taken by the safe call:
    ///
    /// ```compile_fail,E0308
    /// use xencall::abi::grant_table::{GnttabCopy, GnttabCopyPtr};
    /// use xencall::abi::memory::DOMID_SELF;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// // Xen would write 512 bytes of domain 5's grant into frame 0x100.
    /// let mut ops = [GnttabCopy {
    ///     source: GnttabCopyPtr { u: 8, domid: 5, offset: 0, _pad0: 0 },
    ///     dest: GnttabCopyPtr { u: 0x100, domid: DOMID_SELF, offset: 0, _pad0: 0 },
    ///     len: 512, flags: 1, status: 0, _pad0: 0,
    /// }];
    /// xc.gnttab_copy(&mut ops)?;
    /// # Ok(()) }
    /// ```
    ///
    /// ```no_run
    /// use xencall::abi::grant_table::GrantStatus;
    /// use xencall::hypercalls::{CopyDest, CopySource, GrantCopy};
    /// use xencall::Error;
    /// # fn demo(xc: &xencall::Xencall, boot: &xencall::rt::BootInfo) -> xencall::Result<()> {
    /// # let (frontend, gref) = (5u16, 8u32);
    /// // Pull 512 bytes the frontend granted into a buffer of ours, without mapping it.
    /// let mut request = [0u8; 512];
    /// let granted = CopySource::Grant { domid: frontend, gref, offset: 0 };
    /// let mut ops = [GrantCopy::new(boot, granted, CopyDest::Local(&mut request), 512)?];
    /// match xc.gnttab_copy(&mut ops) {
    ///     Ok(()) => {}
    ///     // The frontend revoked the grant (or never made it): drop the request.
    ///     Err(Error::Grant(GrantStatus::BAD_GNTREF)) => {}
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn gnttab_copy(&self, ops: &mut [GrantCopy<'_>]) -> Result<()> {
        let mut raw = self.buffer_array(ops.len(), GnttabCopy::default())?;
        for (slot, op) in raw.iter_mut().zip(ops.iter()) {
            *slot = op.raw();
        }
        // SAFETY: every operation's local ends are frames of slices the
        // caller lends for as long as `ops` lives (`GrantCopy::new` checked
        // their ranges and took their frames from `Frames`); Xen reads and
        // writes the `ops.len()` structures in the buffer.
        unsafe {
            self.call3(
                HypercallOp::GRANT_TABLE_OP,
                GnttabOpCmd::COPY.0.into(),
                raw.addr(),
                ops.len() as u64,
            )?
        };
        for (op, slot) in ops.iter_mut().zip(raw.iter_mut()) {
            // SAFETY: a live element; volatile because Xen wrote it.
            op.set_status(unsafe { core::ptr::read_volatile(slot) }.status);
        }
        ops.iter().try_for_each(|op| status(op.status().0))
    }

    /// `GNTTABOP_copy` on raw operations: each one's status is written
    /// back into `ops`, and the first failing one is returned as the error.
    ///
    /// # Safety
    /// An end that is not a grant reference names a frame of this domain
    /// (`DOMID_SELF`) by number: every destination frame must be memory
    /// the caller owns and lends for the call, its `offset..offset + len`
    /// bytes free to be written with anything. [`gnttab_copy`](Self::gnttab_copy)
    /// builds such operations from borrowed slices.
    ///
    /// ```no_run
    /// use xencall::abi::grant_table::{GnttabCopy, GnttabCopyPtr, GrantStatus};
    /// use xencall::abi::memory::DOMID_SELF;
    /// use xencall::Error;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>, my_gfn: u64) -> xencall::Result<()> {
    /// // A copy running past the end of its page is refused per operation.
    /// let end = GnttabCopyPtr { u: my_gfn, domid: DOMID_SELF, offset: 4090, _pad0: 0 };
    /// let mut ops = [GnttabCopy { source: end, dest: end, len: 100, ..Default::default() }];
    /// // SAFETY: Xen refuses the range before reading or writing the frame.
    /// let r = unsafe { xc.gnttab_copy_raw(&mut ops) };
    /// assert_eq!(r, Err(Error::Grant(GrantStatus::BAD_COPY_ARG)));
    /// # Ok(()) }
    /// ```
    pub unsafe fn gnttab_copy_raw(&self, ops: &mut [GnttabCopy]) -> Result<()> {
        self.gnttab_op(GnttabOpCmd::COPY, ops)?;
        ops.iter().try_for_each(|op| status(op.status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::grant_table::{GnttabCopyPtr, GNTCOPY_DEST_GREF, GNTCOPY_SOURCE_GREF};
    use crate::hypercalls::{CopyDest, CopySource};
    use crate::IdentityMapped;

    /// The copy operations the mock Xen was last given.
    static SEEN: std::sync::Mutex<Vec<GnttabCopy>> = std::sync::Mutex::new(Vec::new());

    #[test]
    fn statuses_become_errors_and_results_come_back() {
        let xc = crate::mock::mock_handle(4);
        xc.backend().respond(|op, a| {
            assert_eq!(op, 20);
            // SAFETY: each command's structures, in a hypercall buffer.
            unsafe {
                match a[0] {
                    6 => {
                        let q = &mut *(a[1] as *mut GnttabQuerySize);
                        (q.nr_frames, q.max_nr_frames) = (1, 64);
                    }
                    10 => (*(a[1] as *mut GnttabGetVersion)).version = 1,
                    5 => {
                        assert_eq!(a[2], 2);
                        let ops = std::slice::from_raw_parts_mut(a[1] as *mut GnttabCopy, 2);
                        *SEEN.lock().unwrap() = ops.to_vec();
                        ops[1].status = -10;
                    }
                    _ => unreachable!(),
                }
            }
            0
        });
        assert_eq!(xc.gnttab_query_size(0x7ff0), Ok((1, 64)));
        assert_eq!(xc.gnttab_get_version(0x7ff0), Ok(1));

        // Local ends by frame and offset of the lent slices, grant ends by
        // reference, flags to match.
        // SAFETY: the mock records the frames and touches no memory.
        let frames = unsafe { IdentityMapped::new() };
        let src = xc.buffer_array(4096, 5u8).unwrap();
        let mut dst = xc.buffer_array(4096, 0u8).unwrap();
        let (src_at, dst_at) = (src.addr(), dst.addr());
        let mut ops = [
            GrantCopy::new(
                &frames,
                CopySource::Local(&src[16..]),
                CopyDest::Grant {
                    domid: 3,
                    gref: 1,
                    offset: 0,
                },
                8,
            )
            .unwrap(),
            GrantCopy::new(
                &frames,
                CopySource::Grant {
                    domid: 3,
                    gref: 9,
                    offset: 4,
                },
                CopyDest::Local(&mut dst[100..108]),
                8,
            )
            .unwrap(),
        ];
        assert_eq!(
            xc.gnttab_copy(&mut ops),
            Err(Error::Grant(GrantStatus::BAD_COPY_ARG))
        );
        assert_eq!(ops[0].status(), GrantStatus::OKAY);
        assert_eq!(ops[1].status(), GrantStatus::BAD_COPY_ARG);
        let seen = SEEN.lock().unwrap().clone();
        let ptr = |u, domid, offset| GnttabCopyPtr {
            u,
            domid,
            offset,
            _pad0: 0,
        };
        assert_eq!(
            (seen[0].source, seen[0].dest, seen[0].flags, seen[0].len),
            (
                ptr(src_at >> 12, 0x7ff0, 16),
                ptr(1, 3, 0),
                GNTCOPY_DEST_GREF,
                8
            )
        );
        assert_eq!(
            (seen[1].source, seen[1].dest, seen[1].flags),
            (
                ptr(9, 3, 4),
                ptr(dst_at >> 12, 0x7ff0, 100),
                GNTCOPY_SOURCE_GREF
            )
        );
        drop((src, dst));

        // The raw form writes the statuses back into the caller's array.
        let op = GnttabCopy {
            len: 8,
            ..Default::default()
        };
        let mut raw = [op, op];
        // SAFETY: the mock writes only the statuses.
        let r = unsafe { xc.gnttab_copy_raw(&mut raw) };
        assert_eq!(r, Err(Error::Grant(GrantStatus::BAD_COPY_ARG)));
        assert_eq!(raw[1].status, -10);
        assert_eq!(Error::Grant(GrantStatus::BAD_COPY_ARG).to_errno(), 22);
        assert_eq!(xc.pool().free_page_count(), 4);
    }

    #[test]
    fn a_local_end_must_lie_in_its_slice_and_one_page() {
        // SAFETY: nothing reaches Xen.
        let frames = unsafe { IdentityMapped::new() };
        let xc = crate::mock::mock_handle(2);
        let mut two = xc.buffer_array(8192, 0u8).unwrap();
        let granted = CopySource::Grant {
            domid: 3,
            gref: 9,
            offset: 0,
        };
        let across = GrantCopy::new(&frames, granted, CopyDest::Local(&mut two[4090..4100]), 10);
        assert_eq!(across.err(), Some(Error::BadRange));
        let short = GrantCopy::new(&frames, granted, CopyDest::Local(&mut two[..4]), 10);
        assert_eq!(short.err(), Some(Error::BadRange));
        let last = GrantCopy::new(&frames, granted, CopyDest::Local(&mut two[4086..4096]), 10);
        assert!(last.is_ok());
    }
}
