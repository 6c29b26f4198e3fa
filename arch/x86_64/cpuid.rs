//! Finding Xen through CPUID, and the CPU vendor.

use core::arch::x86_64::{__cpuid, CpuidResult};

/// The first hypervisor leaf base and the last one (inclusive) to scan.
const FIRST_BASE: u32 = 0x4000_0000;
const LAST_BASE: u32 = 0x4000_ff00;
/// Hypervisor bases are 0x100 apart (Xen moves up when it also offers a
/// Viridian interface at 0x40000000).
const BASE_STEP: u32 = 0x100;

/// The full signature in EBX, ECX, EDX of the base leaf.
const XEN_SIGNATURE: &[u8; 12] = b"XenVMMXenVMM";

#[inline]
fn cpuid(leaf: u32) -> CpuidResult {
    // `__cpuid` is an `unsafe fn` in older Rust releases and safe in newer
    // ones; the allow keeps both building.
    #[allow(unused_unsafe)]
    // SAFETY: CPUID exists on every x86_64 CPU and only reads.
    unsafe {
        __cpuid(leaf)
    }
}

fn signature(r: &CpuidResult) -> [u8; 12] {
    let mut s = [0u8; 12];
    s[0..4].copy_from_slice(&r.ebx.to_le_bytes());
    s[4..8].copy_from_slice(&r.ecx.to_le_bytes());
    s[8..12].copy_from_slice(&r.edx.to_le_bytes());
    s
}

/// Xen's CPUID leaves, once found.
///
/// ```
/// use xencall::arch::XenCpuid;
///
/// // `None` here unless this test runs in a Xen HVM/PVH guest.
/// if let Some(xen) = XenCpuid::detect() {
///     assert_eq!((xen.base - 0x4000_0000) % 0x100, 0);
///     let (major, _minor) = xen.version();
///     assert!(major >= 3);
///     let (_msr, pages) = xen.hypercall_page_msr();
///     assert!(pages >= 1);
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XenCpuid {
    /// The base leaf (0x40000000 + n*0x100).
    pub base: u32,
    /// The highest Xen leaf (EAX of the base leaf).
    pub max_leaf: u32,
}

impl XenCpuid {
    /// Scan the hypervisor leaves for Xen's whole signature. `None` on bare
    /// metal, under another hypervisor (QEMU's TCG answers "TCGTCGTCGTCG"),
    /// or in a PV guest whose CPUID is not intercepted.
    ///
    /// ```
    /// use xencall::arch::XenCpuid;
    ///
    /// // CPUID needs no privilege: this runs anywhere, and finds Xen only in a
    /// // Xen HVM/PVH guest.
    /// match XenCpuid::detect() {
    ///     Some(xen) => assert!(xen.max_leaf >= xen.base + 2),
    ///     None => println!("not under Xen (or Xen's CPUID is not visible)"),
    /// }
    /// ```
    pub fn detect() -> Option<XenCpuid> {
        let mut base = FIRST_BASE;
        while base <= LAST_BASE {
            let r = cpuid(base);
            if &signature(&r) == XEN_SIGNATURE && r.eax >= base + 2 {
                return Some(XenCpuid {
                    base,
                    max_leaf: r.eax,
                });
            }
            base += BASE_STEP;
        }
        None
    }

    /// Xen's version as (major, minor), from leaf base+1.
    ///
    /// ```
    /// use xencall::arch::XenCpuid;
    ///
    /// if let Some(xen) = XenCpuid::detect() {
    ///     let (major, minor) = xen.version();
    ///     // The hypervisor leaves date from Xen 3.
    ///     assert!(major >= 3);
    ///     println!("Xen {major}.{minor}");
    /// }
    /// ```
    pub fn version(&self) -> (u16, u16) {
        let eax = cpuid(self.base + 1).eax;
        ((eax >> 16) as u16, eax as u16)
    }

    /// The MSR that installs the hypercall page (EBX of leaf base+2), and
    /// the number of hypercall pages Xen wants (EAX).
    ///
    /// ```
    /// use xencall::arch::XenCpuid;
    ///
    /// if let Some(xen) = XenCpuid::detect() {
    ///     let (msr, pages) = xen.hypercall_page_msr();
    ///     // Xen's MSRs are in the range reserved for hypervisors.
    ///     assert_eq!(msr & 0xffff_0000, 0x4000_0000);
    ///     assert!(pages >= 1);
    /// }
    /// ```
    pub fn hypercall_page_msr(&self) -> (u32, u32) {
        let r = cpuid(self.base + 2);
        (r.ebx, r.eax)
    }

    /// This domain's id, from leaf base+4 (ECX) when Xen says it is there
    /// (`XEN_HVM_CPUID_DOMID_PRESENT` in EAX): HVM and PVH guests only,
    /// and only if that leaf exists.
    ///
    /// ```
    /// use xencall::arch::XenCpuid;
    ///
    /// if let Some(id) = XenCpuid::detect().and_then(|xen| xen.domain_id()) {
    ///     println!("this is domain {id}");
    /// }
    /// ```
    pub fn domain_id(&self) -> Option<u16> {
        use crate::abi::cpuid::XEN_HVM_CPUID_DOMID_PRESENT;
        if self.max_leaf < self.base + 4 {
            return None;
        }
        let r = cpuid(self.base + 4);
        (r.eax & XEN_HVM_CPUID_DOMID_PRESENT != 0).then_some(r.ecx as u16)
    }
}

/// The CPU vendor, which decides between `vmcall` and `vmmcall`.
///
/// ```
/// use xencall::arch::CpuVendor;
///
/// assert_eq!(CpuVendor::from_vendor_string(b"AuthenticAMD"), CpuVendor::Amd);
/// assert!(CpuVendor::Hygon.uses_vmmcall());
/// // Intel and everyone else (Zhaoxin, Centaur, ...) implement VMX.
/// let zhaoxin = CpuVendor::from_vendor_string(b"  Shanghai  ");
/// assert_eq!(zhaoxin, CpuVendor::Other);
/// assert!(!zhaoxin.uses_vmmcall());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CpuVendor {
    /// "GenuineIntel".
    Intel,
    /// "AuthenticAMD".
    Amd,
    /// "HygonGenuine".
    Hygon,
    /// Anything else (Zhaoxin, Centaur, ...): these implement VMX.
    Other,
}

impl CpuVendor {
    /// Classify a leaf-0 vendor string (EBX, EDX, ECX order).
    ///
    /// ```
    /// use xencall::arch::CpuVendor;
    ///
    /// // Leaf 0's EBX, EDX, ECX on an Intel CPU: "Genu", "ineI", "ntel".
    /// let mut s = [0u8; 12];
    /// for (i, reg) in [0x756e_6547u32, 0x4965_6e69, 0x6c65_746e].iter().enumerate() {
    ///     s[i * 4..i * 4 + 4].copy_from_slice(&reg.to_le_bytes());
    /// }
    /// assert_eq!(CpuVendor::from_vendor_string(&s), CpuVendor::Intel);
    /// assert_eq!(CpuVendor::from_vendor_string(b"HygonGenuine"), CpuVendor::Hygon);
    /// ```
    pub fn from_vendor_string(s: &[u8; 12]) -> CpuVendor {
        match s {
            b"GenuineIntel" => CpuVendor::Intel,
            b"AuthenticAMD" => CpuVendor::Amd,
            b"HygonGenuine" => CpuVendor::Hygon,
            _ => CpuVendor::Other,
        }
    }

    /// `true` if this vendor's hypercall instruction is `vmmcall` (SVM).
    ///
    /// ```
    /// use xencall::arch::CpuVendor;
    ///
    /// assert!(CpuVendor::Amd.uses_vmmcall() && CpuVendor::Hygon.uses_vmmcall());
    /// assert!(!CpuVendor::Intel.uses_vmmcall());
    /// assert!(!CpuVendor::Other.uses_vmmcall());
    /// ```
    pub fn uses_vmmcall(self) -> bool {
        matches!(self, CpuVendor::Amd | CpuVendor::Hygon)
    }
}

/// The running CPU's vendor (CPUID leaf 0).
///
/// ```
/// use xencall::arch::{cpu_vendor, CpuVendor};
///
/// let insn = if cpu_vendor().uses_vmmcall() { "vmmcall" } else { "vmcall" };
/// // Leaf 0 works everywhere, Xen or not.
/// assert_eq!(insn == "vmmcall", matches!(cpu_vendor(), CpuVendor::Amd | CpuVendor::Hygon));
/// ```
pub fn cpu_vendor() -> CpuVendor {
    let r = cpuid(0);
    let mut s = [0u8; 12];
    s[0..4].copy_from_slice(&r.ebx.to_le_bytes());
    s[4..8].copy_from_slice(&r.edx.to_le_bytes());
    s[8..12].copy_from_slice(&r.ecx.to_le_bytes());
    CpuVendor::from_vendor_string(&s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vendors_pick_the_right_instruction() {
        assert!(CpuVendor::from_vendor_string(b"AuthenticAMD").uses_vmmcall());
        assert!(CpuVendor::from_vendor_string(b"HygonGenuine").uses_vmmcall());
        assert!(!CpuVendor::from_vendor_string(b"GenuineIntel").uses_vmmcall());
        assert!(!CpuVendor::from_vendor_string(b"CentaurHauls").uses_vmmcall());
    }

    #[test]
    fn host_is_not_xen_unless_it_is() {
        // The host test machine is not a Xen guest; if it ever is, the
        // detected base must still be a valid hypervisor leaf.
        if let Some(x) = XenCpuid::detect() {
            assert!((FIRST_BASE..=LAST_BASE).contains(&x.base));
            assert_eq!(x.base % BASE_STEP, 0);
        }
        let _ = cpu_vendor();
    }
}
