//! What a Linux dom0 with Xen's own toolstack is made of, per Xen release:
//! the Debian packages and where their files are. A new release is one
//! more entry in [`RELEASES`].

use crate::target::{Arch, XenRelease};

/// One Xen release as Debian packages it.
#[derive(Debug)]
pub struct Release {
    /// `4.17`: names the cache directory `target/dom0/<name>/<arch>/`.
    pub name: &'static str,
    /// The Debian suite whose packages these are (the machine's own apt
    /// for its own suite, a private apt for another: `crate::apt`).
    pub suite: &'static str,
    /// Packages downloaded and unpacked for dom0, `{arch}` replaced by the
    /// Debian architecture. The hypervisor and the tools come from one
    /// download, so their versions match (the recipe's pitfall 7).
    pub packages: &'static [&'static str],
    /// Extra packages on one Debian architecture only.
    pub arch_packages: &'static [(&'static str, &'static [&'static str])],
    /// The meta package whose first `linux-image-*` dependency is the
    /// kernel.
    pub kernel_meta: &'static str,
    /// The hypervisor in the unpacked tree, `{arch}` replaced; gzipped on
    /// amd64.
    pub hypervisor: &'static str,
    /// Where the kernel package puts its modules (`usr/lib/modules` once
    /// Debian's packages are merged-/usr, as in trixie).
    pub modules_dir: &'static str,
    /// Where the real tool binaries are (Debian's `/usr/sbin/xl` is a
    /// wrapper script).
    pub tools_dir: &'static str,
    /// Tools from `tools_dir` that dom0's init runs.
    pub tools: &'static [&'static str],
}

/// Xen 4.17 from Debian 12 (bookworm), as measured in the domU recipe.
pub const XEN_4_17: Release = Release {
    name: "4.17",
    suite: "bookworm",
    packages: &[
        "xen-hypervisor-4.17-{arch}",
        "xen-utils-4.17",
        "xen-utils-common",
        "xenstore-utils",
        "busybox-static",
        "libxencall1",
        "libxendevicemodel1",
        "libxenevtchn1",
        "libxenforeignmemory1",
        "libxengnttab1",
        "libxenhypfs1",
        "libxenmisc4.17",
        "libxenstore4",
        "libxentoolcore1",
        "libxentoollog1",
        "libyajl2",
        "libc6",
        "libgcc-s1",
        "libncurses6",
        "libtinfo6",
        "libuuid1",
        "libzstd1",
        "liblzma5",
        "libbz2-1.0",
        "zlib1g",
    ],
    arch_packages: &[("arm64", &["libfdt1", "liblzo2-2"])],
    kernel_meta: "linux-image-{arch}",
    hypervisor: "boot/xen-4.17-{arch}",
    modules_dir: "lib/modules",
    tools_dir: "usr/lib/xen-4.17/bin",
    tools: &[
        "xl",
        "xenstored",
        "xenconsoled",
        "xen-init-dom0",
        "libxl-save-helper",
    ],
};

/// Xen 4.20 from Debian 13 (trixie): merged-/usr, so the kernel's modules
/// are under `usr/lib/modules`; libxenmisc needs libext2fs there.
pub const XEN_4_20: Release = Release {
    name: "4.20",
    suite: "trixie",
    packages: &[
        "xen-hypervisor-4.20-{arch}",
        "xen-utils-4.20",
        "xen-utils-common",
        "xenstore-utils",
        "busybox-static",
        "libxencall1",
        "libxendevicemodel1",
        "libxenevtchn1",
        "libxenforeignmemory1",
        "libxengnttab1",
        "libxenhypfs1",
        "libxenmisc4.20",
        "libxenstore4",
        "libxentoolcore1",
        "libxentoollog1",
        "libyajl2",
        "libext2fs2t64",
        "libc6",
        "libgcc-s1",
        "libncurses6",
        "libtinfo6",
        "libuuid1",
        "libzstd1",
        "liblzma5",
        "libbz2-1.0",
        "zlib1g",
    ],
    arch_packages: &[("arm64", &["libfdt1", "liblzo2-2"])],
    kernel_meta: "linux-image-{arch}",
    hypervisor: "boot/xen-4.20-{arch}",
    modules_dir: "usr/lib/modules",
    tools_dir: "usr/lib/xen-4.20/bin",
    tools: &[
        "xl",
        "xenstored",
        "xenconsoled",
        "xen-init-dom0",
        "libxl-save-helper",
    ],
};

/// Every release the runner knows, the default first.
pub const RELEASES: &[&Release] = &[&XEN_4_17, &XEN_4_20];

/// The dom0 release of `xen`; the debug build has none (its toolstack
/// would have to be built from the same source: Xen's hypervisor and tools
/// must match).
pub fn of(xen: XenRelease) -> Result<&'static Release, String> {
    if xen.debug() {
        return Err(format!(
            "{}: the domU harness boots Debian's packaged Xen with its own toolstack; \
             a debug build has none",
            xen.test_name()
        ));
    }
    RELEASES
        .iter()
        .copied()
        .find(|r| r.name == xen.version())
        .ok_or_else(|| format!("no dom0 packages known for Xen {}", xen.version()))
}

/// Debian's name for `arch`.
pub fn deb_arch(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "amd64",
        Arch::Aarch64 => "arm64",
    }
}

/// The multiarch triplet of `arch`'s libraries (`lib/<triplet>`).
pub fn triplet(arch: Arch) -> &'static str {
    match arch {
        Arch::X86_64 => "x86_64-linux-gnu",
        Arch::Aarch64 => "aarch64-linux-gnu",
    }
}

impl Release {
    /// `xen-4.17`: the first part of its tests' names.
    pub fn test_name(&self) -> String {
        format!("xen-{}", self.name)
    }

    /// Every package name for `arch`, `{arch}` replaced.
    pub fn package_names(&self, arch: Arch) -> Vec<String> {
        let a = deb_arch(arch);
        let extra = self
            .arch_packages
            .iter()
            .filter(|(on, _)| *on == a)
            .flat_map(|(_, p)| p.iter());
        self.packages
            .iter()
            .chain(extra)
            .map(|p| p.replace("{arch}", a))
            .collect()
    }

    /// The hypervisor's path in the unpacked tree for `arch`.
    pub fn hypervisor_path(&self, arch: Arch) -> String {
        let path = self.hypervisor.replace("{arch}", deb_arch(arch));
        match arch {
            Arch::X86_64 => format!("{path}.gz"),
            Arch::Aarch64 => path,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_names_per_arch() {
        let amd64 = XEN_4_17.package_names(Arch::X86_64);
        assert!(amd64.contains(&"xen-hypervisor-4.17-amd64".to_string()));
        assert!(!amd64.iter().any(|p| p == "libfdt1"));
        let arm64 = XEN_4_17.package_names(Arch::Aarch64);
        assert!(arm64.contains(&"xen-hypervisor-4.17-arm64".to_string()));
        assert!(arm64.iter().any(|p| p == "libfdt1"));
        assert!(arm64.iter().all(|p| !p.contains('{')));
        assert_eq!(
            XEN_4_17.hypervisor_path(Arch::X86_64),
            "boot/xen-4.17-amd64.gz"
        );
        assert_eq!(
            XEN_4_17.hypervisor_path(Arch::Aarch64),
            "boot/xen-4.17-arm64"
        );
        let trixie = XEN_4_20.package_names(Arch::X86_64);
        assert!(trixie.contains(&"xen-utils-4.20".to_string()));
        assert_eq!(
            XEN_4_20.hypervisor_path(Arch::X86_64),
            "boot/xen-4.20-amd64.gz"
        );
    }

    #[test]
    fn each_release_of_the_runner_has_its_dom0_but_the_debug_build() {
        assert_eq!(of(XenRelease::Xen4_17).unwrap().suite, "bookworm");
        assert_eq!(of(XenRelease::Xen4_20).unwrap().test_name(), "xen-4.20");
        assert!(of(XenRelease::Xen4_17Debug).unwrap_err().contains("debug"));
    }
}
