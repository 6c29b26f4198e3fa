//! `__HYPERVISOR_hvm_op` (`public/hvm/hvm_op.h`, `public/hvm/params.h`):
//! getting and setting HVM parameters (PVH and Arm guests).
//!
//! ```
//! use xencall::abi::{hvm::{HvmParam, XenHvmParam}, xen::DOMID_SELF};
//! use xencall::{mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! // Play Xen: HVMOP_get_param writes the value into the structure.
//! xc.backend().set_responder(&|_, a| {
//!     let p = unsafe { &mut *(a[1] as *mut XenHvmParam) };
//!     p.value = if p.index == HvmParam::STORE_EVTCHN.0 { 1 } else { 0 };
//!     0
//! });
//! assert_eq!(xc.hvm_get_param(DOMID_SELF, HvmParam::STORE_EVTCHN)?, 1);
//! # Ok::<(), xencall::Error>(())
//! ```

use zerocopy::{FromBytes, Immutable, IntoBytes, KnownLayout};

xen_code! {
    /// An `hvm_op` command (the parameter ones).
    ///
    /// ```
    /// use xencall::abi::hvm::HvmOpCmd;
    ///
    /// assert_eq!(format!("{:?}", HvmOpCmd::GET_PARAM), "GET_PARAM");
    /// assert_eq!(HvmOpCmd::GET_PARAM.0, 1); // HVMOP_get_param
    /// assert_eq!(format!("{:?}", HvmOpCmd(2)), "HvmOpCmd(2)");
    /// ```
    pub struct HvmOpCmd(u32);
    SET_PARAM = 0;
    GET_PARAM = 1;
}

xen_code! {
    /// An HVM parameter index (`HVM_PARAM_*`), the ones PV-style drivers use.
    ///
    /// ```
    /// use xencall::abi::hvm::HvmParam;
    ///
    /// assert_eq!(format!("{:?}", HvmParam::CONSOLE_PFN), "CONSOLE_PFN");
    /// assert_eq!(HvmParam::CONSOLE_PFN.0, 17); // HVM_PARAM_CONSOLE_PFN
    /// // Parameters the crate does not name print raw (5 is HVM_PARAM_IOREQ_PFN).
    /// assert_eq!(format!("{:?}", HvmParam(5)), "HvmParam(5)");
    /// ```
    pub struct HvmParam(u32);
    CALLBACK_IRQ = 0;
    STORE_PFN = 1;
    STORE_EVTCHN = 2;
    CONSOLE_PFN = 17;
    CONSOLE_EVTCHN = 18;
}

/// `struct xen_hvm_param`.
///
/// ```
/// use xencall::abi::{hvm::{HvmParam, XenHvmParam}, xen::DOMID_SELF};
///
/// // HVMOP_set_param's argument that routes event upcalls to vector 0xf3:
/// // type 2 in the top byte means "this vector, on the event's vCPU".
/// let via = (2 << 56) | 0xf3;
/// let p = XenHvmParam { domid: DOMID_SELF, pad: 0, index: HvmParam::CALLBACK_IRQ.0, value: via };
/// assert_eq!(core::mem::size_of_val(&p), 16); // sizeof(struct xen_hvm_param)
/// assert_eq!(p.value >> 56, 2); // HVM_PARAM_CALLBACK_TYPE_VECTOR
/// ```
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, FromBytes, IntoBytes, Immutable, KnownLayout,
)]
#[repr(C)]
pub struct XenHvmParam {
    /// Domain (`DOMID_SELF`).
    pub domid: u16,
    /// Must be zero.
    pub pad: u16,
    /// An [`HvmParam`] value.
    pub index: u32,
    /// In (set) or out (get).
    pub value: u64,
}

abi_layout! {
    XEN_HVM_PARAM = struct XenHvmParam as "struct xen_hvm_param", size 16, align 8 {
        domid @ 0,
        pad @ 2,
        index @ 4,
        value @ 8,
    }
}
