//! `__HYPERVISOR_callback_op` (`public/callback.h`) and the flags of
//! `__HYPERVISOR_update_va_mapping` (`public/xen.h`): what an x86 PV kernel
//! registers so that Xen can enter it, and how it edits its own page
//! tables. Neither exists for translated guests (PVH, Arm).
//!
//! ```
//! use xencall::abi::callback::{CallbackRegister, CallbackType};
//! // The event callback: Xen enters `address` with events masked whenever
//! // an event is pending for the vCPU and the mask is clear.
//! let reg = CallbackRegister { r#type: CallbackType::EVENT, flags: 0, _pad0: 0, address: 0xffff_8000_0010_0000 };
//! assert_eq!(core::mem::size_of_val(&reg), 16);
//! assert_eq!(format!("{:?}", reg.r#type), "EVENT");
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

xen_code! {
    /// A `callback_op` command.
    ///
    /// ```
    /// use xencall::abi::callback::CallbackOpCmd;
    /// assert_eq!(CallbackOpCmd::REGISTER.0, 0);
    /// assert_eq!(format!("{:?}", CallbackOpCmd(7)), "CallbackOpCmd(7)");
    /// ```
    pub struct CallbackOpCmd(u32);
    /// `CALLBACKOP_register`: argument a [`CallbackRegister`].
    REGISTER = 0;
    /// `CALLBACKOP_unregister` (Xen refuses it for the event callback).
    UNREGISTER = 1;
}

xen_code! {
    /// Which entry point a [`CallbackRegister`] sets (`CALLBACKTYPE_*`).
    ///
    /// ```
    /// use xencall::abi::callback::CallbackType;
    /// assert_eq!(CallbackType::EVENT.0, 0);
    /// assert_eq!(format!("{:?}", CallbackType(4)), "NMI");
    /// ```
    pub struct CallbackType(u16);
    /// Event upcalls.
    EVENT = 0;
    /// Entered when Xen cannot restore the guest's segment registers.
    FAILSAFE = 1;
    /// The 64-bit `syscall` entry of the guest's user space.
    SYSCALL = 2;
    /// NMIs.
    NMI = 4;
    /// The 32-bit compatibility `sysenter` entry.
    SYSENTER = 5;
    /// The 32-bit compatibility `syscall` entry.
    SYSCALL32 = 7;
}

/// `CALLBACKF_mask_events`: mask events while in the callback (Xen always
/// masks them for the event callback, whatever this says).
pub const CALLBACKF_MASK_EVENTS: u16 = 1 << 0;

/// `struct callback_register` (x86_64 layout: `xen_callback_t` is the
/// entry's virtual address).
///
/// ```
/// use xencall::abi::callback::{CallbackRegister, CallbackType, CALLBACKF_MASK_EVENTS};
/// let nmi = CallbackRegister { r#type: CallbackType::NMI, flags: CALLBACKF_MASK_EVENTS, _pad0: 0, address: 0x1000 };
/// assert_eq!(nmi.flags, 1);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout)]
#[repr(C)]
pub struct CallbackRegister {
    /// The entry point to set.
    pub r#type: CallbackType,
    /// `CALLBACKF_*`.
    pub flags: u16,
    /// Padding C leaves implicit; zero.
    pub _pad0: u32,
    /// Where Xen enters the guest.
    pub address: u64,
}

abi_layout! {
    CALLBACK_REGISTER = struct CallbackRegister as "struct callback_register", size 16, align 8 {
        r#type @ 0,
        flags @ 2,
        address @ 8,
    }
    rust_padding { _pad0 @ 4 }
}

/// `UVMF_NONE`: `update_va_mapping` flushes no TLB.
pub const UVMF_NONE: u64 = 0;
/// `UVMF_TLB_FLUSH`: flush the whole TLB.
pub const UVMF_TLB_FLUSH: u64 = 1;
/// `UVMF_INVLPG`: flush only the entry for the updated address.
pub const UVMF_INVLPG: u64 = 2;
/// `UVMF_LOCAL`: flush on this vCPU only (combine with a flush type).
pub const UVMF_LOCAL: u64 = 0;
/// `UVMF_ALL`: flush on every vCPU of the domain.
pub const UVMF_ALL: u64 = 1 << 2;
