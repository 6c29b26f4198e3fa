//! A domU's console: the PV console ring ([`ConsoleRing`]) over the page
//! and event channel the toolstack gave it, set up by `rt::start` when the
//! guest is a domU with a console page. From then on `print!`, `println!`
//! and the crash reports go there ([`super::console`] picks it); dom0
//! keeps Xen's console (`CONSOLEIO_write`). Input is read here.
//!
//! [`ConsoleRing`]: crate::console_ring::ConsoleRing

use super::event_doorbell::EventChannelDoorbell;
use super::{BootInfo, DomainRole};
use crate::console_ring::ConsoleRing;
use crate::shared_ring::Doorbell;

static CONSOLE: spin::Once<ConsoleRing<EventChannelDoorbell>> = spin::Once::new();

/// Use the PV console if `boot` describes a domU that has one.
pub(super) fn init(boot: &BootInfo) {
    let (DomainRole::DomU, Some(ring)) = (boot.domain_role, boot.console_ring) else {
        return;
    };
    let Ok(doorbell) = EventChannelDoorbell::new(boot, ring.event_channel) else {
        return;
    };
    CONSOLE.call_once(|| {
        // SAFETY: `rt::domain` mapped the console page at `address` for the
        // rest of the boot; only this console (and the backend) uses it.
        unsafe { ConsoleRing::new(ring.address as *mut _, doorbell) }
    });
}

/// Write `bytes` to the PV console if it is in use (waiting for room as
/// long as it takes); `false` if the guest does not use one.
pub(super) fn write(bytes: &[u8]) -> bool {
    match CONSOLE.get() {
        Some(console) => {
            console.write(bytes);
            true
        }
        None => false,
    }
}

/// How many times [`flush`] lets the backend run before giving up.
const FLUSH_YIELDS: usize = 100_000;

/// Before the domain goes away: give the backend the chance to take what is
/// still in the ring (a destroyed domain's ring is never read again). Yields
/// the CPU rather than waiting on the event, so a dead backend delays the
/// exit by a bounded time instead of holding it for good.
pub(super) fn flush() {
    let Some(console) = CONSOLE.get() else {
        return;
    };
    for _ in 0..FLUSH_YIELDS {
        if console.output_len() == 0 {
            return;
        }
        console.doorbell().notify();
        let _ = crate::arch::registered_native().map(|native| {
            use crate::backend::Backend;
            // SAFETY: SCHEDOP_yield takes no argument.
            unsafe {
                native.call2(
                    crate::abi::HypercallOp::SCHED_OP.0.into(),
                    crate::abi::sched::SchedOpCmd::YIELD.0.into(),
                    0,
                )
            }
        });
    }
}

/// Whether the console is the PV console (a domU), rather than Xen's.
///
/// ```no_run
/// use xencall::rt::pv_console;
///
/// // Only a domU's console has input.
/// if pv_console::is_active() {
///     xencall::println!("type a line:");
/// }
/// ```
pub fn is_active() -> bool {
    CONSOLE.get().is_some()
}

/// Read what has been typed at the console into `buf`, without waiting:
/// how many bytes (0 if none, or without a PV console).
///
/// ```no_run
/// use xencall::rt::pv_console;
///
/// let mut buf = [0u8; 64];
/// let n = pv_console::try_read(&mut buf);
/// if n > 0 {
///     xencall::println!("got {:?}", core::str::from_utf8(&buf[..n]));
/// }
/// ```
pub fn try_read(buf: &mut [u8]) -> usize {
    CONSOLE.get().map_or(0, |c| c.try_read(buf))
}

/// Read at least one typed byte into `buf`, waiting for it; how many
/// (0 only without a PV console, or for an empty `buf`).
///
/// ```no_run
/// use xencall::rt::pv_console;
///
/// // A one-line prompt.
/// xencall::print!("name? ");
/// let mut line = [0u8; 80];
/// let mut len = 0;
/// while len < line.len() {
///     let n = pv_console::read(&mut line[len..]);
///     if n == 0 { break; }
///     len += n;
///     if line[..len].contains(&b'\n') || line[..len].contains(&b'\r') { break; }
/// }
/// ```
pub fn read(buf: &mut [u8]) -> usize {
    CONSOLE.get().map_or(0, |c| c.read(buf))
}
