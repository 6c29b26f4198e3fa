//! `__HYPERVISOR_hvm_op` (`public/hvm/hvm_op.h`, `public/hvm/params.h`):
//! getting and setting HVM parameters (PVH and Arm guests).

xen_code! {
    /// An `hvm_op` command (the parameter ones).
    pub struct HvmOpCmd(u32);
    SET_PARAM = 0;
    GET_PARAM = 1;
}

xen_code! {
    /// An HVM parameter index (`HVM_PARAM_*`), the ones PV-style drivers use.
    pub struct HvmParam(u32);
    CALLBACK_IRQ = 0;
    STORE_PFN = 1;
    STORE_EVTCHN = 2;
    CONSOLE_PFN = 17;
    CONSOLE_EVTCHN = 18;
}

/// `struct xen_hvm_param`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
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
