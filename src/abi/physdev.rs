//! `__HYPERVISOR_physdev_op` (`public/physdev.h`): the commands the crate
//! uses.

xen_code! {
    /// A `physdev_op` command.
    pub struct PhysdevOpCmd(u32);
    SET_IOPL = 6;
}

/// `struct physdev_set_iopl`: a PV guest's virtual I/O privilege level.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
