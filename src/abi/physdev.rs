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

const _: () = assert!(core::mem::size_of::<PhysdevSetIopl>() == 4);

// Alignment, identical on x86_64 and aarch64 (both LP64 with 8-byte
// aligned u64); sizes and offsets are asserted beside each structure.
static_assertions::const_assert_eq!(core::mem::align_of::<PhysdevSetIopl>(), 4);
