//! `console_io`: Xen's own console. Release builds of Xen accept it only
//! from dom0 (a domU gets `EPERM`).

use crate::abi::console_io::ConsoleIoCmd;
use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::{Error, Result};
use crate::handle::Xencall;

/// Bytes copied through one bounce buffer per call.
const CHUNK: usize = 4096;

impl<B: Backend> Xencall<B> {
    /// `CONSOLEIO_write` all of `bytes` (in page-sized pieces).
    ///
    /// ```
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// // 5000 bytes need two hypercalls: one bounce page each.
    /// xc.console_write(&[b'.'; 5000])?;
    /// assert_eq!(xc.backend().calls(), 2);
    /// let (op, _, args) = xc.backend().last().unwrap();
    /// assert_eq!((op, args[0], args[1]), (18, 0, 5000 - 4096)); // CONSOLEIO_write, length
    /// # Ok::<(), xencall::Error>(())
    /// ```
    pub fn console_write(&self, bytes: &[u8]) -> Result<()> {
        for chunk in bytes.chunks(CHUNK) {
            let mut rest = chunk;
            while !rest.is_empty() {
                let n = self.bounce_in(rest, |addr| {
                    // SAFETY: Xen reads `rest.len()` bytes of the buffer.
                    unsafe {
                        self.call3(
                            HypercallOp::CONSOLE_IO,
                            ConsoleIoCmd::WRITE.0.into(),
                            rest.len() as u64,
                            addr,
                        )
                    }
                })?;
                // Xen reports 0 for "all of it" on current releases, or how
                // much it took; never more than asked.
                let taken = if n == 0 {
                    rest.len()
                } else {
                    (n as usize).min(rest.len())
                };
                rest = &rest[taken..];
            }
        }
        Ok(())
    }

    /// `CONSOLEIO_read`: copy pending console input into `buf`; returns
    /// how many bytes (0 when there is none).
    ///
    /// ```no_run
    /// use xencall::{abi::XenErrno, Error};
    /// # fn demo<B: xencall::Backend>(xc: &xencall::Xencall<B>) -> xencall::Result<()> {
    /// let mut line = [0u8; 128];
    /// match xc.console_read(&mut line) {
    ///     Ok(0) => {} // nothing typed since the last read
    ///     Ok(n) => println!("got {:?}", &line[..n]),
    ///     // Only dom0 owns Xen's console input.
    ///     Err(Error::Xen(XenErrno::EPERM)) => {}
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub fn console_read(&self, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        let len = buf.len().min(CHUNK);
        let n = self.bounce(&mut buf[..len], crate::bounce::Direction::Out, |addr| {
            // SAFETY: Xen writes at most `len` bytes into the buffer.
            unsafe {
                self.call3(
                    HypercallOp::CONSOLE_IO,
                    ConsoleIoCmd::READ.0.into(),
                    len as u64,
                    addr,
                )
            }
        })?;
        if n as usize > len {
            return Err(Error::Xen(crate::abi::XenErrno::EOVERFLOW));
        }
        Ok(n as usize)
    }
}

#[cfg(test)]
mod tests {
    use crate::mock::MockBackend;
    use crate::Xencall;

    fn handle() -> Xencall<MockBackend> {
        crate::mock::mock_handle(2)
    }

    #[test]
    fn writes_go_out_in_pieces_and_reads_come_back() {
        let xc = handle();
        static WRITTEN: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());
        xc.backend().respond(|op, a| {
            assert_eq!(op, 18);
            match a[0] {
                0 => {
                    // SAFETY: the crate passed `a[1]` readable bytes.
                    let s = unsafe { std::slice::from_raw_parts(a[2] as *const u8, a[1] as usize) };
                    WRITTEN.lock().unwrap().extend_from_slice(s);
                    0
                }
                1 => {
                    // SAFETY: the crate passed a writable buffer of `a[1]` bytes.
                    unsafe { std::ptr::copy_nonoverlapping(b"hi".as_ptr(), a[2] as *mut u8, 2) };
                    2
                }
                _ => unreachable!(),
            }
        });
        let text = vec![b'x'; 5000];
        xc.console_write(&text).unwrap();
        assert_eq!(WRITTEN.lock().unwrap().len(), 5000);
        let mut buf = [0u8; 8];
        assert_eq!(xc.console_read(&mut buf), Ok(2));
        assert_eq!(&buf[..2], b"hi");
        assert_eq!(xc.console_read(&mut []), Ok(0));
        assert_eq!(xc.pool().free_page_count(), 2);
    }
}
