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

    /// `GNTTABOP_copy`: run the copies; each one's status is written back
    /// into `ops`, and the first failing one is returned as the error.
    ///
    /// ```no_run
    /// use xencall::abi::grant_table::{GnttabCopy, GnttabCopyPtr, GrantStatus, GNTCOPY_SOURCE_GREF};
    /// use xencall::{abi::memory::DOMID_SELF, Error};
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// # let (frontend, gref, my_gfn) = (5u16, 8u32, 0x1_2345u64);
    /// // Pull 512 bytes the frontend granted into a page of ours, without mapping it.
    /// let mut ops = [GnttabCopy {
    ///     source: GnttabCopyPtr { u: gref.into(), domid: frontend, offset: 0, _pad0: 0 },
    ///     dest: GnttabCopyPtr { u: my_gfn, domid: DOMID_SELF, offset: 0, _pad0: 0 },
    ///     len: 512, flags: GNTCOPY_SOURCE_GREF, status: 0, _pad0: 0,
    /// }];
    /// match xc.gnttab_copy(&mut ops) {
    ///     Ok(()) => {}
    ///     // The frontend revoked the grant (or never made it): drop the request.
    ///     Err(Error::Grant(GrantStatus::BAD_GNTREF)) => {}
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn gnttab_copy(&self, ops: &mut [GnttabCopy]) -> Result<()> {
        self.gnttab_op(GnttabOpCmd::COPY, ops)?;
        ops.iter().try_for_each(|op| status(op.status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::grant_table::GnttabCopyPtr;

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
                        ops[1].status = -10;
                    }
                    _ => unreachable!(),
                }
            }
            0
        });
        assert_eq!(xc.gnttab_query_size(0x7ff0), Ok((1, 64)));
        assert_eq!(xc.gnttab_get_version(0x7ff0), Ok(1));
        let op = GnttabCopy {
            source: GnttabCopyPtr::default(),
            dest: GnttabCopyPtr::default(),
            len: 8,
            flags: 0,
            status: 0,
            _pad0: 0,
        };
        let mut ops = [op, op];
        assert_eq!(
            xc.gnttab_copy(&mut ops),
            Err(Error::Grant(GrantStatus::BAD_COPY_ARG))
        );
        assert_eq!(ops[1].status, -10);
        assert_eq!(Error::Grant(GrantStatus::BAD_COPY_ARG).to_errno(), 22);
        assert_eq!(xc.pool().free_page_count(), 4);
    }
}
