//! How an x86 guest finds Xen through CPUID (`arch-x86/cpuid.h`).
//!
//! The leaves sit at `XEN_CPUID_FIRST_LEAF + n`, but Xen may move the
//! whole block up in steps of 0x100 (to coexist with Viridian), so a guest
//! scans for the signature rather than trusting the first base.
//!
//! ```
//! use xencall::abi::cpuid::*;
//!
//! // A guest compares EBX, ECX, EDX of each candidate base leaf with these;
//! // together they spell Xen's signature.
//! let regs = [XEN_CPUID_SIGNATURE_EBX, XEN_CPUID_SIGNATURE_ECX, XEN_CPUID_SIGNATURE_EDX];
//! let sig: Vec<u8> = regs.iter().flat_map(|r| r.to_le_bytes()).collect();
//! assert_eq!(sig, b"XenVMMXenVMM");
//! // The candidates: the first base, then up in steps of 0x100.
//! let bases: Vec<u32> = (0..3).map(|i| XEN_CPUID_FIRST_LEAF + i * 0x100).collect();
//! assert_eq!(bases, [0x4000_0000, 0x4000_0100, 0x4000_0200]);
//! ```

/// `XEN_CPUID_FIRST_LEAF`: the lowest base the Xen leaves can start at.
pub const XEN_CPUID_FIRST_LEAF: u32 = 0x4000_0000;

/// `XEN_CPUID_SIGNATURE_EBX`: "XenV" of "XenVMMXenVMM" (leaf base+0).
pub const XEN_CPUID_SIGNATURE_EBX: u32 = 0x566e_6558;
/// `XEN_CPUID_SIGNATURE_ECX`: "MMXe".
pub const XEN_CPUID_SIGNATURE_ECX: u32 = 0x6558_4d4d;
/// `XEN_CPUID_SIGNATURE_EDX`: "nVMM".
pub const XEN_CPUID_SIGNATURE_EDX: u32 = 0x4d4d_566e;

/// `XEN_CPUID_MAX_NUM_LEAVES`: highest leaf offset Xen 4.17 defines.
pub const XEN_CPUID_MAX_NUM_LEAVES: u32 = 5;

/// `XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD` (leaf base+2, ECX).
pub const XEN_CPUID_FEAT1_MMU_PT_UPDATE_PRESERVE_AD: u32 = 1 << 0;

/// `XEN_HVM_CPUID_APIC_ACCESS_VIRT` (leaf base+4, EAX).
pub const XEN_HVM_CPUID_APIC_ACCESS_VIRT: u32 = 1 << 0;
/// `XEN_HVM_CPUID_X2APIC_VIRT` (leaf base+4, EAX).
pub const XEN_HVM_CPUID_X2APIC_VIRT: u32 = 1 << 1;
/// `XEN_HVM_CPUID_IOMMU_MAPPINGS` (leaf base+4, EAX).
pub const XEN_HVM_CPUID_IOMMU_MAPPINGS: u32 = 1 << 2;
/// `XEN_HVM_CPUID_VCPU_ID_PRESENT`: EBX of leaf base+4 holds the vCPU ID.
pub const XEN_HVM_CPUID_VCPU_ID_PRESENT: u32 = 1 << 3;
/// `XEN_HVM_CPUID_DOMID_PRESENT`: ECX of leaf base+4 holds the domain ID.
pub const XEN_HVM_CPUID_DOMID_PRESENT: u32 = 1 << 4;
/// `XEN_HVM_CPUID_EXT_DEST_ID` (leaf base+4, EAX).
pub const XEN_HVM_CPUID_EXT_DEST_ID: u32 = 1 << 5;
/// `XEN_HVM_CPUID_UPCALL_VECTOR` (leaf base+4, EAX).
pub const XEN_HVM_CPUID_UPCALL_VECTOR: u32 = 1 << 6;
