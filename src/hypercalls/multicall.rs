//! `multicall`: several hypercalls for the price of one trap.

use crate::abi::multicall::MulticallEntry;
use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::handle::Xencall;

impl<B: Backend> Xencall<B> {
    /// `HYPERVISOR_multicall`: run `entries` in order; each entry's result
    /// (decode with [`Error::from_hypercall`]) is written back into it. The
    /// arguments are raw: pointer arguments must be hypercall buffers.
    ///
    /// # Safety
    /// Every entry must be a hypercall that is safe to make with its
    /// arguments, as for [`Xencall::call5`].
    ///
    /// ```no_run
    /// use xencall::abi::{multicall::MulticallEntry, HypercallOp};
    /// use xencall::hypercalls::entry_result;
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let ver = |cmd| MulticallEntry {
    ///     op: HypercallOp::XEN_VERSION.0.into(),
    ///     args: [cmd, 0, 0, 0, 0, 0],
    ///     ..Default::default()
    /// };
    /// let mut batch = [ver(0), ver(7)]; // XENVER_version, XENVER_pagesize
    /// // SAFETY: neither sub-command takes a buffer.
    /// unsafe { xc.multicall(&mut batch)? };
    /// // Ok above only means the batch ran: each entry has its own result.
    /// let (version, page_size) = (entry_result(&batch[0])?, entry_result(&batch[1])?);
    /// # let _ = (version, page_size);
    /// # Ok(()) }
    /// ```
    pub unsafe fn multicall(&self, entries: &mut [MulticallEntry]) -> Result<()> {
        let mut list = self.buffer_from_slice(entries)?;
        // SAFETY: Xen reads the entries and writes their results; the
        // caller vouches for the calls themselves.
        unsafe { self.call2(HypercallOp::MULTICALL, list.addr(), entries.len() as u64)? };
        for (out, slot) in entries.iter_mut().zip(list.iter_mut()) {
            // SAFETY: a live element; volatile because Xen wrote it.
            *out = unsafe { core::ptr::read_volatile(slot) };
        }
        Ok(())
    }
}

/// The decoded result of one multicall entry.
///
/// ```
/// use xencall::{abi::{multicall::MulticallEntry, XenErrno}, hypercalls::entry_result, Error};
///
/// // As Xen leaves an entry whose hypercall it does not implement.
/// let entry = MulticallEntry { result: -38i64 as u64, ..Default::default() };
/// assert_eq!(entry_result(&entry), Err(Error::Xen(XenErrno::ENOSYS)));
/// let ok = MulticallEntry { result: 0x0004_0011, ..entry };
/// assert_eq!(entry_result(&ok), Ok(0x0004_0011));
/// ```
pub fn entry_result(entry: &MulticallEntry) -> Result<u64> {
    Error::from_hypercall(entry.result)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::XenErrno;

    #[test]
    fn entries_cross_and_results_come_back_per_entry() {
        let xc = crate::mock::mock_handle(2);
        xc.backend().respond(|op, a| {
            assert_eq!((op, a[1]), (13, 2));
            // SAFETY: two multicall entries in a hypercall buffer.
            let e = unsafe { std::slice::from_raw_parts_mut(a[0] as *mut MulticallEntry, 2) };
            assert_eq!((e[0].op, e[0].args[0]), (17, 7));
            e[0].result = 4096;
            e[1].result = -38i64 as u64;
            0
        });
        let mut batch = [MulticallEntry {
            op: 17,
            args: [7, 0, 0, 0, 0, 0],
            ..Default::default()
        }; 2];
        // SAFETY: mock backend.
        unsafe { xc.multicall(&mut batch).unwrap() };
        assert_eq!(entry_result(&batch[0]), Ok(4096));
        assert_eq!(entry_result(&batch[1]), Err(Error::Xen(XenErrno::ENOSYS)));
    }
}
