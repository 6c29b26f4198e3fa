//! `__HYPERVISOR_physdev_op` (`public/physdev.h`): the commands the crate
//! uses.
//!
//! ```
//! use xencall::abi::physdev::{PhysdevOpCmd, PhysdevSetIopl};
//! use xencall::{mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // Play Xen: physdev_op(PHYSDEVOP_set_iopl, &physdev_set_iopl) arrives.
//! xc.backend().set_responder(&|op, a| {
//!     assert_eq!((op, a[0]), (33, PhysdevOpCmd::SET_IOPL.0.into()));
//!     assert_eq!(unsafe { *(a[1] as *const PhysdevSetIopl) }, PhysdevSetIopl { iopl: 1 });
//!     0
//! });
//! xc.physdev_set_iopl(1)?;
//! # Ok::<(), xencall::Error>(())
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

xen_code! {
    /// A `physdev_op` command.
    ///
    /// ```
    /// use xencall::abi::physdev::PhysdevOpCmd;
    ///
    /// assert_eq!(format!("{:?}", PhysdevOpCmd::SET_IOPL), "SET_IOPL");
    /// assert_eq!(PhysdevOpCmd::SET_IOPL.0, 6); // PHYSDEVOP_set_iopl
    /// // The commands the crate does not use print raw: 5 is PHYSDEVOP_irq_status_query.
    /// assert_eq!(format!("{:?}", PhysdevOpCmd(5)), "PhysdevOpCmd(5)");
    /// ```
    pub struct PhysdevOpCmd(u32);
    SET_IOPL = 6;
}

/// `struct physdev_set_iopl`: a PV guest's virtual I/O privilege level.
///
/// ```
/// use xencall::abi::physdev::PhysdevSetIopl;
///
/// // The kernel's `in`/`out` reach the allowed ports from IOPL 1 up; IOPL 3
/// // lets its user space do the same.
/// let arg = PhysdevSetIopl { iopl: 1 };
/// assert_eq!(core::mem::size_of_val(&arg), 4); // sizeof(struct physdev_set_iopl)
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct PhysdevSetIopl {
    /// The new IOPL (0..=3).
    pub iopl: u32,
}

abi_layout! {
    PHYSDEV_SET_IOPL = struct PhysdevSetIopl as "struct physdev_set_iopl", size 4, align 4 {
        iopl @ 0,
    }
}
