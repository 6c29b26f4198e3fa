//! Hypercall numbers (`public/xen.h`, `__HYPERVISOR_*`).
//!
//! ```
//! use xencall::abi::{xen_version::XenVersionCmd, HypercallOp};
//! use xencall::{mock::MockBackend, OpenFlags, Xencall};
//!
//! let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
//! xc.backend().set_responder(&|_, _| 0x0004_0011); // Xen 4.17
//! // SAFETY: XENVER_version takes no buffer (and the mock makes no call).
//! let v = unsafe { xc.call2(HypercallOp::XEN_VERSION, XenVersionCmd::VERSION.0.into(), 0)? };
//! assert_eq!((v >> 16, v & 0xffff), (4, 17));
//! assert_eq!(xc.backend().last().unwrap().0, 17); // __HYPERVISOR_xen_version
//! # Ok::<(), xencall::Error>(())
//! ```

xen_code! {
    /// A hypercall number: the `op` of `call0`..`call5`.
    ///
    /// ```
    /// use xencall::abi::HypercallOp;
    ///
    /// assert_eq!(format!("{:?}", HypercallOp::SCHED_OP), "SCHED_OP");
    /// assert_eq!(HypercallOp::SCHED_OP.0, 29); // __HYPERVISOR_sched_op
    /// // What a trace of raw calls shows for a number: 11 is unassigned.
    /// assert_eq!(format!("{:?}", HypercallOp(11)), "HypercallOp(11)");
    /// ```
    pub struct HypercallOp(u32);
    SET_TRAP_TABLE = 0;
    MMU_UPDATE = 1;
    SET_GDT = 2;
    STACK_SWITCH = 3;
    SET_CALLBACKS = 4;
    FPU_TASKSWITCH = 5;
    SCHED_OP_COMPAT = 6;
    PLATFORM_OP = 7;
    SET_DEBUGREG = 8;
    GET_DEBUGREG = 9;
    UPDATE_DESCRIPTOR = 10;
    MEMORY_OP = 12;
    MULTICALL = 13;
    UPDATE_VA_MAPPING = 14;
    SET_TIMER_OP = 15;
    EVENT_CHANNEL_OP_COMPAT = 16;
    XEN_VERSION = 17;
    CONSOLE_IO = 18;
    PHYSDEV_OP_COMPAT = 19;
    GRANT_TABLE_OP = 20;
    VM_ASSIST = 21;
    UPDATE_VA_MAPPING_OTHERDOMAIN = 22;
    IRET = 23;
    VCPU_OP = 24;
    SET_SEGMENT_BASE = 25;
    MMUEXT_OP = 26;
    XSM_OP = 27;
    NMI_OP = 28;
    SCHED_OP = 29;
    CALLBACK_OP = 30;
    XENOPROF_OP = 31;
    EVENT_CHANNEL_OP = 32;
    PHYSDEV_OP = 33;
    HVM_OP = 34;
    SYSCTL = 35;
    DOMCTL = 36;
    KEXEC_OP = 37;
    TMEM_OP = 38;
    ARGO_OP = 39;
    XENPMU_OP = 40;
    DM_OP = 41;
    HYPFS_OP = 42;
    ARCH_0 = 48;
    ARCH_1 = 49;
    ARCH_2 = 50;
    ARCH_3 = 51;
    ARCH_4 = 52;
    ARCH_5 = 53;
    ARCH_6 = 54;
    ARCH_7 = 55;
}

/// One past the highest hypercall number a hypercall page has a stub for:
/// the page is 4096 bytes of 32-byte stubs.
pub const HYPERCALL_PAGE_STUBS: u32 = 128;

/// Bytes per stub in the x86 hypercall page.
pub const HYPERCALL_STUB_SIZE: usize = 32;
