//! The crate's Xen ABI against the real Xen headers, of every release
//! given.
//!
//! Generates a C program that includes a set of public headers (with
//! `__XEN_TOOLS__` so sysctl/domctl are visible), prints every item of
//! `xencall::abi::conformance`, compiles and runs it, and compares. Any
//! difference fails. Items that depend on the release (the sysctl/domctl
//! interface versions) are compared with the crate's release table entry
//! for the header set's release. With more than one set, the test also
//! reports, per release, which header values differ from the first set's.
//! A second test checks that every public constant, type and code in
//! `src/abi` is in the table; a third checks the Arm layouts against each
//! set's Arm branch.
//!
//! The header sets: `XENCALL_XEN_HEADERS=4.17=/usr/include,4.20=DIR`
//! (each `DIR/xen/xen.h`; `cargo qemu test` passes the installed set and
//! trixie's `libxen-dev`, which it unpacks under `target/xen/4.20/`), else
//! the installed headers (Debian's `libxen-dev`, release from dpkg).
//! Without a C compiler or the headers the test fails and says what to
//! install; built with `XENCALL_SKIP_ABI_CONFORMANCE=1` both tests are
//! `#[ignore]`d, so `cargo test` reports them as ignored, not as passed.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use xencall::abi::conformance::{
    release_items, AbiItem, C_NAME_EXCEPTIONS, FAMILIES, LAYOUT, STRUCTS,
};
use xencall::abi::release::XenReleaseAbi;

/// One set of Xen public headers: `include/xen/*.h`, of one release.
#[derive(Debug)]
struct HeaderSet {
    major: u16,
    minor: u16,
    /// The directory holding `xen/`.
    include: PathBuf,
}

impl HeaderSet {
    fn name(&self) -> String {
        format!(
            "Xen {}.{} ({})",
            self.major,
            self.minor,
            self.include.display()
        )
    }

    fn release(&self) -> &'static XenReleaseAbi {
        XenReleaseAbi::find(self.major, self.minor).unwrap_or_else(|| {
            panic!(
                "{}: a release the crate does not know: add it to abi::release::KNOWN_RELEASES",
                self.name()
            )
        })
    }
}

/// `4.17` of `4.17.5+72-g...`.
fn major_minor(version: &str) -> Option<(u16, u16)> {
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// The header sets to check (see the module's documentation).
fn header_sets() -> Vec<HeaderSet> {
    let sets: Vec<HeaderSet> = match std::env::var("XENCALL_XEN_HEADERS") {
        Ok(list) if !list.is_empty() => list
            .split(',')
            .map(|entry| {
                let (version, dir) = entry.split_once('=').unwrap_or_else(|| {
                    panic!("XENCALL_XEN_HEADERS: {entry:?} is not MAJOR.MINOR=DIR")
                });
                let (major, minor) = major_minor(version).unwrap_or_else(|| {
                    panic!("XENCALL_XEN_HEADERS: {version:?} is not MAJOR.MINOR")
                });
                HeaderSet {
                    major,
                    minor,
                    include: PathBuf::from(dir),
                }
            })
            .collect(),
        _ => {
            let out = Command::new("dpkg-query")
                .args(["-W", "-f", "${Version}", "libxen-dev"])
                .output();
            let version = match out {
                Ok(o) if o.status.success() => String::from_utf8_lossy(&o.stdout).into_owned(),
                _ => panic!(
                    "the Xen public headers are missing (no libxen-dev package): apt-get install \
                     libxen-dev gcc, or name a header set with XENCALL_XEN_HEADERS=4.17=DIR \
                     (or set XENCALL_SKIP_ABI_CONFORMANCE=1 to skip this test)"
                ),
            };
            let (major, minor) = major_minor(&version)
                .unwrap_or_else(|| panic!("libxen-dev's version {version:?}: no MAJOR.MINOR"));
            vec![HeaderSet {
                major,
                minor,
                include: PathBuf::from("/usr/include"),
            }]
        }
    };
    for set in &sets {
        assert!(
            set.include.join("xen/xen.h").is_file(),
            "{}: no xen/xen.h there: apt-get install libxen-dev gcc \
             (or set XENCALL_SKIP_ABI_CONFORMANCE=1 to skip this test)",
            set.name()
        );
    }
    sets
}

/// Every checked item for `release`: code families expanded, then the
/// layout table, the release-dependent items in place of the constants
/// with the same C expression.
fn items(release: &XenReleaseAbi) -> Vec<(String, String, u64)> {
    let mut out = Vec::new();
    for f in FAMILIES {
        for &(name, value) in f.codes {
            let c_name = if f.lowercase {
                name.to_lowercase()
            } else {
                name.to_string()
            };
            // errno.h is read through its list macro (see the C program).
            let c_name = if f.rust_type == "XenErrno" {
                format!("XENCALL_ERRNO_{c_name}")
            } else {
                format!("{}{c_name}", f.c_prefix)
            };
            let rust = format!("{}::{name}", f.rust_type);
            let c_name = C_NAME_EXCEPTIONS
                .iter()
                .find(|(r, _)| *r == rust)
                .map_or(c_name, |(_, c)| c.to_string());
            out.push((rust, c_name, value));
        }
    }
    let per_release = release_items(release);
    for AbiItem { rust, c, value } in LAYOUT.iter().chain(STRUCTS.iter().copied().flatten()) {
        if per_release.iter().any(|r| r.c == *c) {
            continue;
        }
        out.push((rust.to_string(), c.to_string(), *value));
    }
    for AbiItem { rust, c, value } in per_release {
        out.push((
            format!("{rust} (Xen {}.{})", release.major, release.minor),
            c.to_string(),
            value,
        ));
    }
    out
}

/// The C compiler (`CC`, else `cc`).
fn cc() -> String {
    std::env::var("CC").unwrap_or_else(|_| "cc".to_string())
}

/// Compile and run a program printing each item's C expression against
/// `set`; the values, in order.
fn header_values(set: &HeaderSet, items: &[(String, String, u64)]) -> Vec<u64> {
    let mut c = String::from(
        "#define __XEN_TOOLS__ 1\n#include <stdio.h>\n#include <stddef.h>\n#include <stdint.h>\n\
         /* errno.h first: xs_wire.h defines its error table only after it. */\n\
         #include <errno.h>\n#include <string.h>\n#include <xen/io/console.h>\n#include <xen/io/xs_wire.h>\n\
         #include <xen/xen.h>\n#include <xen/version.h>\n#include <xen/sched.h>\n\
         #include <xen/physdev.h>\n#include <xen/callback.h>\n#include <xen/event_channel.h>\n#include <xen/grant_table.h>\n#include <xen/vcpu.h>\n#include <xen/hvm/hvm_op.h>\n#include <xen/hvm/params.h>\n#include <xen/sysctl.h>\n#include <xen/domctl.h>\n#include <xen/memory.h>\n#include <xen/elfnote.h>\n\
         #include <xen/features.h>\n#include <xen/arch-x86/hvm/start_info.h>\n#include <xen/arch-x86/cpuid.h>\n\
         /* Every number in errno.h, Xen-internal ones included. */\n\
         #define __XEN__ 1\n\
         #define XEN_ERRNO(name, value) static const long long XENCALL_ERRNO_##name = value;\n\
         #include <xen/errno.h>\n#undef __XEN__\n\
         int main(void) {\n",
    );
    for (_, expr, _) in items {
        // Rust spells the field `type` as `r#type`.
        let expr = expr.replace("r#", "");
        c.push_str(&format!(
            "    printf(\"%llu\\n\", (unsigned long long)({expr}));\n"
        ));
    }
    c.push_str("    return 0;\n}\n");

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("abi_conformance")
        .join(format!("{}.{}", set.major, set.minor));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("abi.c");
    let exe = dir.join("abi");
    std::fs::write(&src, &c).unwrap();
    let cc = cc();
    let out = Command::new(&cc)
        // Before the system's directories: this set's `xen/` is the one
        // included.
        .arg("-I")
        .arg(&set.include)
        .arg("-o")
        .arg(&exe)
        .arg(&src)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run the C compiler `{cc}` ({e}): apt-get install libxen-dev gcc \
                 (or set XENCALL_SKIP_ABI_CONFORMANCE=1 to skip this test)"
            )
        });
    assert!(
        out.status.success(),
        "compiling {} against {} failed:\n{}",
        src.display(),
        set.name(),
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe)
        .output()
        .expect("run the generated program");
    assert!(run.status.success());
    let text = String::from_utf8(run.stdout).unwrap();
    let values: Vec<u64> = text.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(values.len(), items.len());
    values
}

// Ignored, and reported as such, when built with
// XENCALL_SKIP_ABI_CONFORMANCE=1 (build.rs turns it into this cfg).
#[test]
#[cfg_attr(
    xencall_skip_abi_conformance,
    ignore = "XENCALL_SKIP_ABI_CONFORMANCE=1"
)]
fn every_item_matches_the_headers_of_every_release() {
    let sets = header_sets();
    let mut mismatches = Vec::new();
    // (C expression -> header value) of the first set, for the report.
    let mut first: Vec<(String, u64)> = Vec::new();
    for (n, set) in sets.iter().enumerate() {
        let items = items(set.release());
        let values = header_values(set, &items);
        for ((rust, expr, ours), theirs) in items.iter().zip(&values) {
            if ours != theirs {
                mismatches.push(format!(
                    "{}: {rust}: crate {ours:#x}, headers ({expr}) {theirs:#x}",
                    set.name()
                ));
            }
        }
        let here: Vec<(String, u64)> = items
            .iter()
            .map(|(_, e, _)| e.clone())
            .zip(values)
            .collect();
        if n == 0 {
            eprintln!(
                "abi_conformance: {}: {} items checked",
                set.name(),
                here.len()
            );
            first = here;
            continue;
        }
        let changed: Vec<String> = here
            .iter()
            .filter_map(|(expr, v)| {
                let (_, was) = first.iter().find(|(e, _)| e == expr)?;
                (was != v).then(|| format!("{expr} {was:#x} -> {v:#x}"))
            })
            .collect();
        eprintln!(
            "abi_conformance: {}: {} items checked; changed from Xen {}.{}: {}",
            set.name(),
            here.len(),
            sets[0].major,
            sets[0].minor,
            if changed.is_empty() {
                "nothing".to_string()
            } else {
                changed.join(", ")
            }
        );
    }
    assert!(
        mismatches.is_empty(),
        "ABI mismatches:\n  {}",
        mismatches.join("\n  ")
    );
}

/// Items that exist only on the Rust side, with the reason.
const RUST_ONLY: &[(&str, &str)] = &[
    ("AbiItem", "the conformance table's own type"),
    ("CodeFamily", "the conformance table's own type"),
    ("FAMILIES", "the conformance table itself"),
    ("LAYOUT", "the conformance table itself"),
    ("STRUCTS", "the conformance table itself"),
    ("C_NAME_EXCEPTIONS", "the conformance table itself"),
    (
        "E820Entry",
        "the PC BIOS layout; Xen's public headers do not define it",
    ),
    (
        "NULL",
        "GuestHandle::NULL, a Rust constructor; the type itself is checked",
    ),
    (
        "XEN_SYSCTL_INTERFACE_VERSION",
        "4.17's: asserted equal to KNOWN_RELEASES[0] at compile time (abi/release.rs), \
         whose entries are checked against each header set",
    ),
    (
        "XEN_DOMCTL_INTERFACE_VERSION",
        "as XEN_SYSCTL_INTERFACE_VERSION",
    ),
];

#[test]
fn every_abi_definition_is_in_the_conformance_table() {
    let covered: BTreeSet<String> = xencall::abi::release::KNOWN_RELEASES
        .iter()
        .flat_map(items)
        .flat_map(|(rust, _, _)| {
            // `KNOWN_RELEASES::XenReleaseAbi.x` covers the table and its type.
            let head = rust.split("::").next().unwrap().to_string();
            let short = rust.rsplit("::").next().unwrap().to_string();
            // `GuestHandle<u8>` and `XenHvmParam.value` cover their type.
            let base = short.split(['<', '.']).next().unwrap().to_string();
            [rust, head, short, base]
        })
        .chain(FAMILIES.iter().map(|f| f.rust_type.to_string()))
        .collect();
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/abi");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        // `pub const|struct|type|enum NAME`, at any indentation: code types
        // are declared inside `xen_code!`.
        for line in text
            .lines()
            .map(str::trim_start)
            .filter(|l| l.starts_with("pub "))
        {
            let mut words = line.split_whitespace();
            if words.next() != Some("pub") {
                continue;
            }
            let kind = words.next().unwrap_or("");
            if !["const", "struct", "type", "enum", "static"].contains(&kind) {
                continue;
            }
            let mut name = words.next().unwrap_or("");
            if name == "fn" {
                continue;
            }
            let name: String = std::mem::take(&mut name)
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_')
                .collect();
            if name.is_empty()
                || covered.contains(&name)
                || RUST_ONLY.iter().any(|(n, _)| *n == name)
            {
                continue;
            }
            missing.push(format!(
                "{}: {kind} {name}",
                path.file_name().unwrap().to_string_lossy()
            ));
        }
    }
    assert!(
        missing.is_empty(),
        "ABI definitions not checked against the headers (add them to abi::conformance):\n  {}",
        missing.join("\n  ")
    );
}

/// The Arm-specific layouts, which the host's headers only describe under
/// `__aarch64__`: the headers' Arm branch, compiled freestanding by the host
/// compiler (both targets are LP64 with natural alignment, so the layouts
/// agree), must give the numbers `src/abi/domctl.rs` asserts for aarch64,
/// in every header set.
#[test]
#[cfg_attr(
    xencall_skip_abi_conformance,
    ignore = "XENCALL_SKIP_ABI_CONFORMANCE=1"
)]
fn arm_layouts_match_every_releases_arm_branch() {
    const ARM: &[(&str, u64)] = &[
        ("sizeof(struct xen_arch_domainconfig)", 12),
        ("offsetof(struct xen_arch_domainconfig, tee_type)", 2),
        ("offsetof(struct xen_arch_domainconfig, nr_spis)", 4),
        ("offsetof(struct xen_arch_domainconfig, clock_frequency)", 8),
        ("sizeof(struct xen_domctl_getdomaininfo)", 120),
        (
            "offsetof(struct xen_domctl_getdomaininfo, arch_config)",
            104,
        ),
        ("sizeof(struct multicall_entry)", 64),
        // `src/abi/shared_info.rs`, the aarch64 branches.
        ("XEN_LEGACY_MAX_VCPUS", 1),
        ("sizeof(struct arch_vcpu_info)", 0),
        ("sizeof(struct arch_shared_info)", 0),
        ("sizeof(struct vcpu_info)", 48),
        ("offsetof(struct vcpu_info, pad0)", 1),
        ("offsetof(struct vcpu_info, evtchn_pending_sel)", 8),
        ("offsetof(struct vcpu_info, time)", 16),
        ("sizeof(struct shared_info)", 1088),
        ("offsetof(struct shared_info, evtchn_pending)", 48),
        ("offsetof(struct shared_info, evtchn_mask)", 560),
        ("offsetof(struct shared_info, wc_version)", 1072),
        ("offsetof(struct shared_info, wc_sec_hi)", 1084),
        ("offsetof(struct shared_info, arch)", 1088),
        ("sizeof(xen_ulong_t)", 8),
        ("sizeof(xen_pfn_t)", 8),
        ("sizeof(XEN_GUEST_HANDLE(char))", 8),
        ("_Alignof(XEN_GUEST_HANDLE(char))", 8),
        ("sizeof(struct xen_sysctl_readconsole)", 24),
        ("sizeof(struct xen_sysctl_getdomaininfolist)", 24),
        ("offsetof(struct xen_sysctl_getdomaininfolist, buffer)", 8),
        ("sizeof(struct xen_memory_reservation)", 32),
        ("sizeof(struct sched_poll)", 24),
        ("sizeof(struct xen_domctl)", 144),
    ];
    // Xen 4.18 named byte 1 of the Arm domain configuration (padding in
    // 4.17), where the crate's `sve_vl` is in every release.
    const ARM_SINCE_4_18: &[(&str, u64)] = &[
        ("offsetof(struct xen_arch_domainconfig, sve_vl)", 1),
        ("sizeof(((struct xen_arch_domainconfig *)0)->sve_vl)", 1),
    ];
    for set in header_sets() {
        let mut checks: Vec<(&str, u64)> = ARM.to_vec();
        if (set.major, set.minor) >= (4, 18) {
            checks.extend_from_slice(ARM_SINCE_4_18);
        }
        arm_branch_holds(&set, &checks);
        eprintln!(
            "abi_conformance: {}: {} Arm items checked",
            set.name(),
            checks.len()
        );
    }
}

/// Compile `checks` as static assertions against `set`'s Arm branch.
fn arm_branch_holds(set: &HeaderSet, checks: &[(&str, u64)]) {
    let mut c = String::from(
        "#define __XEN_TOOLS__ 1\n#include <stddef.h>\n#include <stdint.h>\n\
         #include <xen/xen.h>\n#include <xen/domctl.h>\n#include <xen/sysctl.h>\n\
         #include <xen/memory.h>\n#include <xen/sched.h>\n",
    );
    for (i, (expr, value)) in checks.iter().enumerate() {
        c.push_str(&format!(
            "_Static_assert(({expr}) == {value}, \"arm item {i}: {expr}\");\n"
        ));
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("abi_conformance")
        .join(format!("{}.{}", set.major, set.minor));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("arm.c");
    std::fs::write(&src, c).unwrap();
    // The compiler's own freestanding headers (stddef, stdint), not glibc's
    // x86 ones, which refuse an Arm target.
    let cc = cc();
    let out = Command::new(&cc)
        .arg("-print-file-name=include")
        .output()
        .expect("run cc");
    let builtin = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let out = Command::new(&cc)
        .args(["-ffreestanding", "-nostdinc", "-isystem", &builtin])
        // This set's `xen/` first.
        .arg("-isystem")
        .arg(&set.include)
        .args(["-isystem", "/usr/include"])
        .args([
            "-U__x86_64__",
            "-U__i386__",
            "-D__aarch64__",
            "-fsyntax-only",
        ])
        .arg(&src)
        .output()
        .unwrap_or_else(|e| panic!("cannot run `{cc}` ({e}): apt-get install gcc"));
    assert!(
        out.status.success(),
        "Arm layouts differ from {}'s Arm branch:\n{}",
        set.name(),
        String::from_utf8_lossy(&out.stderr)
    );
}
