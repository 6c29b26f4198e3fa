//! `callback_op`: the entry points of an x86 PV kernel.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::abi::callback::{CallbackOpCmd, CallbackRegister, CallbackType};
use crate::abi::HypercallOp;
use crate::backend::Backend;
use crate::error::Result;
use crate::handle::Xencall;

/// Set once an event callback was registered through
/// [`Xencall::callback_register`]: from then on Xen has somewhere to
/// deliver events to a PV guest (it cannot be unregistered).
static EVENT_CALLBACK_REGISTERED: AtomicBool = AtomicBool::new(false);

/// `true` once an event callback was registered through the crate.
pub(crate) fn event_callback_registered() -> bool {
    EVENT_CALLBACK_REGISTERED.load(Ordering::Acquire)
}

impl<B: Backend> Xencall<B> {
    /// `CALLBACKOP_register`: tell Xen where to enter this PV guest for
    /// `callback.type` (events, failsafe, NMI, ...). Translated guests
    /// (PVH, Arm) get `ENOSYS`.
    ///
    /// ```
    /// use xencall::abi::callback::{CallbackRegister, CallbackType};
    /// use xencall::{mock::MockBackend, OpenFlags, Xencall};
    ///
    /// let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
    /// let entry = CallbackRegister { r#type: CallbackType::EVENT, flags: 0, _pad0: 0, address: 0x20_0000 };
    /// // SAFETY (of the example): the mock only records the call.
    /// unsafe { xc.callback_register(entry)? };
    /// let (op, nargs, args) = xc.backend().last().unwrap();
    /// assert_eq!((op, nargs, args[0]), (30, 2, 0)); // callback_op, CALLBACKOP_register
    /// # Ok::<(), xencall::Error>(())
    /// ```
    ///
    /// # Safety
    /// `callback.address` must be code that handles Xen's entry frame for
    /// that callback type (for events: `rcx` and `r11` above an `iret`
    /// frame, left through `HYPERVISOR_iret`) for as long as it stays
    /// registered; Xen jumps there asynchronously.
    pub unsafe fn callback_register(&self, callback: CallbackRegister) -> Result<()> {
        let arg = self.buffer(callback)?;
        // SAFETY: Xen reads the structure; the caller vouches for the
        // entry point it names.
        unsafe {
            self.call2(
                HypercallOp::CALLBACK_OP,
                CallbackOpCmd::REGISTER.0.into(),
                arg.addr(),
            )?
        };
        if callback.r#type == CallbackType::EVENT {
            EVENT_CALLBACK_REGISTERED.store(true, Ordering::Release);
        }
        Ok(())
    }
}
