//! Bounce buffers, as libxenctrl's `DECLARE_HYPERCALL_BOUNCE`: the caller's
//! data lives anywhere (the stack, a heap), and is copied into a hypercall
//! buffer before the call and/or back out after it.

use zerocopy::{FromBytes, IntoBytes};

use crate::backend::Backend;
use crate::error::Result;
use crate::handle::Xencall;

/// Which way data crosses the hypercall.
///
/// ```
/// use xencall::{bounce::Direction, mock::MockBackend, OpenFlags, Xencall};
///
/// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
/// let mut reply = [0xaau8; 8];
/// // `Out`: Xen only writes, so the buffer starts zeroed, not with our bytes.
/// xc.bounce(&mut reply, Direction::Out, |addr| {
///     // SAFETY: a live 8-byte hypercall buffer.
///     let seen = unsafe { *(addr as *const [u8; 8]) };
///     assert_eq!(seen, [0; 8]);
///     Ok(())
/// })?;
/// // Copied back even though nothing was written: `Out` data is Xen's answer.
/// assert_eq!(reply, [0; 8]);
/// # Ok::<(), xencall::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// Xen reads it: copied in before the call.
    In,
    /// Xen writes it: copied out after the call (the buffer starts zeroed).
    Out,
    /// Xen reads and writes it: copied in before and out after.
    Both,
}

impl<B: Backend> Xencall<B> {
    /// Run `call` with the address of a hypercall buffer holding `data`
    /// (copied in for [`Direction::In`]/[`Both`](Direction::Both)), then
    /// copy the buffer back into `data` for [`Direction::Out`]/`Both`.
    ///
    /// `T` is bounded as a buffer's element is ([`Buffer`](crate::Buffer)
    /// says why): with [`Direction::Out`] the crate zeroes the buffer and
    /// copies back whatever Xen wrote, so every bit pattern must be a `T`.
    ///
    /// ```compile_fail,E0277
    /// use core::num::NonZeroU32;
    /// use xencall::{bounce::Direction, mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let mut ids = [NonZeroU32::new(1).unwrap(); 4];
    /// // The zeroed buffer alone would read back as four invalid zeros.
    /// xc.bounce(&mut ids, Direction::Out, |_addr| Ok(()))?;
    /// # Ok::<(), xencall::Error>(())
    /// ```
    ///
    /// The copy out happens whether `call` succeeded or not, as libxenctrl
    /// does: Xen may have written part of the result before failing. If
    /// the buffer cannot be allocated, `call` is not run and `data` is
    /// untouched.
    ///
    /// ```
    /// use xencall::{bounce::Direction, mock::MockBackend, OpenFlags, Xencall};
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let mut version = [0u8; 16];
    /// let ret = xc.bounce(&mut version, Direction::Out, |addr| {
    ///     // SAFETY: `addr` is a 16-byte hypercall buffer; the mock writes nothing.
    ///     unsafe { xc.call2(xencall::abi::HypercallOp::XEN_VERSION, 1, addr) }
    /// });
    /// assert_eq!(ret, Ok(0));
    /// ```
    pub fn bounce<T: Copy + FromBytes + IntoBytes, R>(
        &self,
        data: &mut [T],
        direction: Direction,
        call: impl FnOnce(u64) -> Result<R>,
    ) -> Result<R> {
        let mut buffer = match direction {
            Direction::In | Direction::Both => self.buffer_from_slice(data)?,
            Direction::Out => {
                let mut b = self.buffer_from_slice(data)?;
                // SAFETY: zero the Ts byte-wise: the buffer is ours and
                // `Direction::Out` promises Xen a zeroed area.
                unsafe { core::ptr::write_bytes(b.as_mut_ptr(), 0, b.len()) };
                b
            }
        };
        let result = call(buffer.addr());
        if direction != Direction::In {
            // Read back what Xen wrote: volatile, as the writes happened
            // outside the compiler's view.
            for (i, slot) in data.iter_mut().enumerate() {
                // SAFETY: `i < len`, the buffer holds `len` initialised Ts.
                *slot = unsafe { buffer.as_mut_ptr().add(i).read_volatile() };
            }
        }
        result
    }

    /// [`bounce`](Self::bounce) for data Xen only reads.
    ///
    /// ```
    /// use xencall::{abi::HypercallOp, mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let text = b"boot ok\n"; // in .rodata: Xen must not be given this address
    /// xc.bounce_in(text, |addr| {
    ///     // SAFETY: CONSOLEIO_write (0) reads `len` bytes at `addr`, a live buffer.
    ///     unsafe { xc.call3(HypercallOp::CONSOLE_IO, 0, text.len() as u64, addr) }
    /// })?;
    /// assert_eq!(xc.backend().last().map(|(op, _, a)| (op, a[1])), Some((18, 8)));
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn bounce_in<T: Copy + FromBytes + IntoBytes, R>(
        &self,
        data: &[T],
        call: impl FnOnce(u64) -> Result<R>,
    ) -> Result<R> {
        let buffer = self.buffer_from_slice(data)?;
        call(buffer.addr())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;
    use crate::mock::MockBackend;

    fn handle(pages: usize) -> Xencall<MockBackend> {
        crate::mock::mock_handle(pages)
    }

    /// A fake hypercall that adds 1 to each byte at `addr` and reports the
    /// first byte it saw.
    fn add_one(addr: u64, len: usize) -> Result<u64> {
        // SAFETY: tests pass a live buffer of `len` bytes.
        let bytes = unsafe { core::slice::from_raw_parts_mut(addr as *mut u8, len) };
        let first = bytes[0];
        bytes.iter_mut().for_each(|b| *b += 1);
        Ok(first.into())
    }

    #[test]
    fn each_direction_copies_the_right_way() {
        let xc = handle(1);
        let mut data = [5u8; 8];
        assert_eq!(
            xc.bounce(&mut data, Direction::In, |a| add_one(a, 8)),
            Ok(5)
        );
        assert_eq!(data, [5; 8]);
        assert_eq!(
            xc.bounce(&mut data, Direction::Out, |a| add_one(a, 8)),
            Ok(0)
        );
        assert_eq!(data, [1; 8]);
        assert_eq!(
            xc.bounce(&mut data, Direction::Both, |a| add_one(a, 8)),
            Ok(1)
        );
        assert_eq!(data, [2; 8]);
        assert_eq!(xc.bounce_in(&data, |a| add_one(a, 8)), Ok(2));
        assert_eq!(xc.pool().free_page_count(), 1);
    }

    #[test]
    fn out_data_is_copied_back_even_when_the_call_fails() {
        let xc = handle(1);
        let mut data = [0u8; 4];
        let r: Result<()> = xc.bounce(&mut data, Direction::Out, |a| {
            add_one(a, 4)?;
            Err(Error::Xen(crate::abi::XenErrno::EINVAL))
        });
        assert!(r.is_err());
        assert_eq!(data, [1; 4]);
    }

    #[test]
    fn no_buffer_means_no_call_and_untouched_data() {
        let xc = handle(1);
        let mut data = vec![9u8; 8192];
        let mut ran = false;
        let r = xc.bounce(&mut data, Direction::Both, |_| {
            ran = true;
            Ok(())
        });
        assert_eq!(r, Err(Error::OutOfBufferMemory));
        assert!(!ran);
        assert!(data.iter().all(|&b| b == 9));
    }
}
