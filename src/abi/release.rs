//! The Xen releases the crate knows and the sysctl and domctl interface
//! versions each one speaks.
//!
//! Every sysctl and domctl carries an interface version, and Xen refuses
//! any other than its own with `EACCES` before looking at the payload:
//! libxenctrl is rebuilt for each release, but a bare-metal binary runs on
//! whichever Xen boots it, so the typed wrappers
//! ([`Xencall::sysctl_physinfo`](crate::Xencall::sysctl_physinfo) and the
//! rest) look the running release up here, from `XENVER_version`.
//!
//! The numbers are those of the release tags' `public/sysctl.h` and
//! `public/domctl.h` (`RELEASE-4.17.0` ... `RELEASE-4.20.0`); the
//! conformance test compares the entries of 4.17 and 4.20 with Debian's
//! headers of those releases. The payloads the crate defines have the
//! same layout in all four (see the README's table of what differs).
//!
//! ```
//! use xencall::abi::release::XenReleaseAbi;
//!
//! let r = XenReleaseAbi::find(4, 20).expect("a release the crate knows");
//! assert_eq!((r.domctl_interface_version, r.sysctl_interface_version), (0x17, 0x15));
//! // 4.16 and older are not in the table: the caller gets a clear error.
//! assert!(XenReleaseAbi::find(4, 16).is_none());
//! ```

/// One Xen release and the interface versions it speaks.
///
/// ```
/// use xencall::abi::release::{XenReleaseAbi, KNOWN_RELEASES};
///
/// // The domctl interface moved on every release from 4.17 to 4.19.
/// let domctl: Vec<u32> = KNOWN_RELEASES.iter().map(|r| r.domctl_interface_version).collect();
/// assert_eq!(domctl, [0x15, 0x16, 0x17, 0x17]);
/// assert_eq!(KNOWN_RELEASES[0], XenReleaseAbi { major: 4, minor: 17,
///     sysctl_interface_version: 0x15, domctl_interface_version: 0x15 });
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct XenReleaseAbi {
    /// Major version, as `XENVER_version` reports it (bits 16..32).
    pub major: u16,
    /// Minor version (bits 0..16).
    pub minor: u16,
    /// Its `XEN_SYSCTL_INTERFACE_VERSION`.
    pub sysctl_interface_version: u32,
    /// Its `XEN_DOMCTL_INTERFACE_VERSION`.
    pub domctl_interface_version: u32,
}

/// Every release the crate knows, oldest first.
pub const KNOWN_RELEASES: &[XenReleaseAbi] = &[
    XenReleaseAbi {
        major: 4,
        minor: 17,
        sysctl_interface_version: 0x15,
        domctl_interface_version: 0x15,
    },
    XenReleaseAbi {
        major: 4,
        minor: 18,
        sysctl_interface_version: 0x15,
        domctl_interface_version: 0x16,
    },
    XenReleaseAbi {
        major: 4,
        minor: 19,
        sysctl_interface_version: 0x15,
        domctl_interface_version: 0x17,
    },
    XenReleaseAbi {
        major: 4,
        minor: 20,
        sysctl_interface_version: 0x15,
        domctl_interface_version: 0x17,
    },
];

// The crate's named constants are 4.17's, the first entry.
const _: () = {
    assert!(KNOWN_RELEASES[0].major == 4 && KNOWN_RELEASES[0].minor == 17);
    assert!(
        KNOWN_RELEASES[0].sysctl_interface_version == super::sysctl::XEN_SYSCTL_INTERFACE_VERSION
    );
    assert!(
        KNOWN_RELEASES[0].domctl_interface_version == super::domctl::XEN_DOMCTL_INTERFACE_VERSION
    );
};

impl XenReleaseAbi {
    /// The entry for Xen `major.minor`, if the crate knows it.
    ///
    /// ```
    /// use xencall::abi::release::XenReleaseAbi;
    ///
    /// assert_eq!(XenReleaseAbi::find(4, 18).map(|r| r.domctl_interface_version), Some(0x16));
    /// assert_eq!(XenReleaseAbi::find(4, 99), None);
    /// ```
    pub fn find(major: u16, minor: u16) -> Option<&'static XenReleaseAbi> {
        KNOWN_RELEASES
            .iter()
            .find(|r| (r.major, r.minor) == (major, minor))
    }
}
