//! What a boot is for: the guest architectures, their dom0 modes, and the
//! Xen releases (and the debug build) the runner boots them under. Every other module builds on
//! these types; this one uses none of them.

/// Guest architecture.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Arch {
    X86_64,
    Aarch64,
}

impl Arch {
    /// Both architectures, x86_64 first.
    pub const ALL: [Arch; 2] = [Arch::X86_64, Arch::Aarch64];

    /// The Rust target the guests are built for.
    pub fn triple(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64-unknown-none",
            Arch::Aarch64 => "aarch64-unknown-none",
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Arch::X86_64 => "x86_64",
            Arch::Aarch64 => "aarch64",
        }
    }

    /// Debian's name for the architecture (package names, apt).
    pub fn debian(self) -> &'static str {
        match self {
            Arch::X86_64 => "amd64",
            Arch::Aarch64 => "arm64",
        }
    }

    /// The boot runtime's linker script for this architecture.
    pub fn linker_script(self) -> String {
        format!("xencall-{}.ld", self.name())
    }

    /// Every dom0 mode Xen offers a guest of this architecture: PVH and PV
    /// on x86_64; one on aarch64 (an HVM container with PV interfaces,
    /// which Xen on Arm also calls PVH, so [`Mode::Pvh`] stands for it).
    pub fn modes(self) -> &'static [Mode] {
        match self {
            Arch::X86_64 => &[Mode::Pvh, Mode::Pv],
            Arch::Aarch64 => &[Mode::Pvh],
        }
    }

    pub fn parse(s: &str) -> Result<Arch, String> {
        match s {
            "x86_64" | "x86-64" | "amd64" | "x86_64-unknown-none" => Ok(Arch::X86_64),
            "aarch64" | "arm64" | "aarch64-unknown-none" => Ok(Arch::Aarch64),
            _ => Err(format!("unknown arch {s:?}: expected x86_64 or aarch64")),
        }
    }
}

/// The dom0 mode on x86_64 (aarch64 has one, see [`Arch::modes`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mode {
    Pvh,
    Pv,
}

impl Mode {
    pub fn name(self) -> &'static str {
        match self {
            Mode::Pvh => "pvh",
            Mode::Pv => "pv",
        }
    }

    pub fn parse(s: &str) -> Result<Mode, String> {
        match s.to_ascii_lowercase().as_str() {
            "pvh" => Ok(Mode::Pvh),
            "pv" => Ok(Mode::Pv),
            _ => Err(format!("unknown mode {s:?}: expected pvh or pv")),
        }
    }
}

/// A Xen the runner boots guests under: Debian's release builds of 4.17
/// (bookworm) and 4.20 (trixie), fetched from Debian's archive, and a
/// debug build of 4.17 (`CONFIG_DEBUG=y`) made from Debian's source
/// package once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum XenRelease {
    /// Xen 4.17, Debian bookworm's (and bookworm-security's) release build.
    Xen4_17,
    /// Xen 4.20, Debian trixie's release build.
    Xen4_20,
    /// Xen 4.17 from bookworm's source package, built with
    /// `CONFIG_DEBUG=y`: it poisons the argument registers a hypercall
    /// used and checks its own assertions.
    Xen4_17Debug,
}

impl XenRelease {
    /// The release booted unless told otherwise.
    pub const DEFAULT: XenRelease = XenRelease::Xen4_17;

    /// Every release, the default first.
    pub const ALL: [XenRelease; 3] = [
        XenRelease::Xen4_17,
        XenRelease::Xen4_20,
        XenRelease::Xen4_17Debug,
    ];

    /// `4.17`: the Xen version (`XENVER_version`).
    pub fn version(self) -> &'static str {
        match self {
            XenRelease::Xen4_17 | XenRelease::Xen4_17Debug => "4.17",
            XenRelease::Xen4_20 => "4.20",
        }
    }

    /// `4.17`, `4.20`, `4.17-debug`: what `--xen` takes, and the name of
    /// the cache directory (`<cache>/xen/<key>/`).
    pub fn key(self) -> &'static str {
        match self {
            XenRelease::Xen4_17 => "4.17",
            XenRelease::Xen4_20 => "4.20",
            XenRelease::Xen4_17Debug => "4.17-debug",
        }
    }

    /// `xen-4.17`, `xen-4.20`, `xen-4.17-debug`: the first part of the
    /// name of every test booted under it.
    pub fn test_name(self) -> String {
        format!("xen-{}", self.key())
    }

    /// The Debian suite its packages (or its source) come from.
    pub fn suite(self) -> &'static str {
        match self {
            XenRelease::Xen4_17 | XenRelease::Xen4_17Debug => "bookworm",
            XenRelease::Xen4_20 => "trixie",
        }
    }

    /// Built from source with `CONFIG_DEBUG=y` (not a Debian binary).
    pub fn debug(self) -> bool {
        self == XenRelease::Xen4_17Debug
    }

    /// The architectures it is available for. The debug build is x86_64
    /// only: building Xen for arm64 needs a cross compiler
    /// (`gcc-aarch64-linux-gnu`), which the runner does not install.
    pub fn arches(self) -> &'static [Arch] {
        match self {
            XenRelease::Xen4_17Debug => &[Arch::X86_64],
            _ => &Arch::ALL,
        }
    }

    /// Debian's hypervisor package for `arch`, as `apt-get download` takes
    /// it (`:arm64` selects the foreign architecture).
    pub fn package(self, arch: Arch) -> String {
        let v = self.version();
        match arch {
            Arch::X86_64 => format!("xen-hypervisor-{v}-amd64"),
            Arch::Aarch64 => format!("xen-hypervisor-{v}-arm64:arm64"),
        }
    }

    /// The file QEMU boots, under the release's directory for `arch`: of a
    /// Debian package, on x86_64 the gunzipped multiboot ELF (the package
    /// holds `<file>.gz`), on aarch64 an arm64 Image; of the debug build,
    /// the `xen/xen` ELF Xen's build leaves.
    pub fn boot_file(self, arch: Arch) -> String {
        if self.debug() {
            return "xen".into();
        }
        format!("boot/xen-{}-{}", self.version(), arch.debian())
    }

    /// Whether the package holds [`boot_file`](Self::boot_file) gzipped.
    pub fn gzipped(self, arch: Arch) -> bool {
        arch == Arch::X86_64 && !self.debug()
    }

    pub fn parse(s: &str) -> Result<XenRelease, String> {
        XenRelease::ALL
            .into_iter()
            .find(|r| r.key() == s || r.test_name() == s)
            .ok_or_else(|| format!("unknown Xen {s:?}: expected 4.17, 4.20 or 4.17-debug"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse() {
        assert_eq!(Arch::parse("arm64"), Ok(Arch::Aarch64));
        assert_eq!(Arch::parse("x86_64-unknown-none"), Ok(Arch::X86_64));
        assert_eq!(Mode::parse("PV"), Ok(Mode::Pv));
        assert!(Arch::parse("riscv64").is_err());
        assert!(Mode::parse("hvm").is_err());
    }

    #[test]
    fn every_mode_of_each_architecture() {
        assert_eq!(Arch::X86_64.modes(), [Mode::Pvh, Mode::Pv]);
        assert_eq!(Arch::Aarch64.modes().len(), 1);
    }

    #[test]
    fn xen_packages_and_files() {
        let x = XenRelease::DEFAULT;
        assert_eq!(x.package(Arch::X86_64), "xen-hypervisor-4.17-amd64");
        assert_eq!(x.package(Arch::Aarch64), "xen-hypervisor-4.17-arm64:arm64");
        assert_eq!(x.boot_file(Arch::X86_64), "boot/xen-4.17-amd64");
        assert_eq!(x.boot_file(Arch::Aarch64), "boot/xen-4.17-arm64");
        assert_eq!(Arch::Aarch64.linker_script(), "xencall-aarch64.ld");
        let t = XenRelease::Xen4_20;
        assert_eq!(t.package(Arch::Aarch64), "xen-hypervisor-4.20-arm64:arm64");
        assert_eq!(t.boot_file(Arch::X86_64), "boot/xen-4.20-amd64");
        assert_eq!((t.suite(), t.test_name()), ("trixie", "xen-4.20".into()));
        let d = XenRelease::Xen4_17Debug;
        assert_eq!(
            (d.key(), d.version(), d.boot_file(Arch::X86_64)),
            ("4.17-debug", "4.17", "xen".into())
        );
        assert!(!d.gzipped(Arch::X86_64) && d.arches() == [Arch::X86_64]);
        assert_eq!(XenRelease::parse("4.20"), Ok(XenRelease::Xen4_20));
        assert_eq!(XenRelease::parse("xen-4.17-debug"), Ok(d));
        assert!(XenRelease::parse("4.18")
            .unwrap_err()
            .contains("4.17, 4.20"));
    }
}
