//! The crate's Xen ABI against the real Xen headers.
//!
//! Generates a C program that includes the installed public headers
//! (Debian's `libxen-dev`, with `__XEN_TOOLS__` so sysctl/domctl are
//! visible), prints every item of `xencall::abi::conformance`, compiles and
//! runs it, and compares. Any difference fails. A second test checks that
//! every public constant, type and code in `src/abi` is in the table.
//!
//! Without a C compiler or the headers the test fails and says what to
//! install; built with `XENCALL_SKIP_ABI_CONFORMANCE=1` both tests are
//! `#[ignore]`d, so `cargo test` reports them as ignored, not as passed.

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

use xencall::abi::conformance::{AbiItem, C_NAME_EXCEPTIONS, FAMILIES, LAYOUT, STRUCTS};

const HEADERS: &str = "/usr/include/xen";

/// Every checked item: code families expanded, then the layout table.
fn items() -> Vec<(String, String, u64)> {
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
    for AbiItem { rust, c, value } in LAYOUT.iter().chain(STRUCTS.iter().copied().flatten()) {
        out.push((rust.to_string(), c.to_string(), *value));
    }
    out
}

// Ignored, and reported as such, when built with
// XENCALL_SKIP_ABI_CONFORMANCE=1 (build.rs turns it into this cfg).
#[test]
#[cfg_attr(
    xencall_skip_abi_conformance,
    ignore = "XENCALL_SKIP_ABI_CONFORMANCE=1"
)]
fn every_item_matches_the_installed_xen_headers() {
    assert!(
        Path::new(HEADERS).join("xen.h").exists(),
        "the Xen public headers are missing ({HEADERS}/xen.h): apt-get install libxen-dev gcc \
         (or set XENCALL_SKIP_ABI_CONFORMANCE=1 to skip this test)"
    );
    let items = items();
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
    for (_, expr, _) in &items {
        // Rust spells the field `type` as `r#type`.
        let expr = expr.replace("r#", "");
        c.push_str(&format!(
            "    printf(\"%llu\\n\", (unsigned long long)({expr}));\n"
        ));
    }
    c.push_str("    return 0;\n}\n");

    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("abi_conformance");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("abi.c");
    let exe = dir.join("abi");
    std::fs::write(&src, &c).unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(&cc)
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
        "compiling {} against the Xen headers failed:\n{}",
        src.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let run = Command::new(&exe)
        .output()
        .expect("run the generated program");
    assert!(run.status.success());
    let text = String::from_utf8(run.stdout).unwrap();
    let values: Vec<u64> = text.lines().map(|l| l.parse().unwrap()).collect();
    assert_eq!(values.len(), items.len());

    let mismatches: Vec<String> = items
        .iter()
        .zip(&values)
        .filter(|((_, _, ours), theirs)| ours != *theirs)
        .map(|((rust, expr, ours), theirs)| {
            format!("{rust}: crate {ours:#x}, headers ({expr}) {theirs:#x}")
        })
        .collect();
    assert!(
        mismatches.is_empty(),
        "ABI mismatches:\n  {}",
        mismatches.join("\n  ")
    );
    eprintln!(
        "abi_conformance: {} items match the headers in {HEADERS}",
        items.len()
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
];

#[test]
fn every_abi_definition_is_in_the_conformance_table() {
    let covered: BTreeSet<String> = items()
        .into_iter()
        .flat_map(|(rust, _, _)| {
            let short = rust.rsplit("::").next().unwrap().to_string();
            // `GuestHandle<u8>` and `XenHvmParam.value` cover their type.
            let base = short.split(['<', '.']).next().unwrap().to_string();
            [rust, short, base]
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
/// agree), must give the numbers `src/abi/domctl.rs` asserts for aarch64.
#[test]
#[cfg_attr(
    xencall_skip_abi_conformance,
    ignore = "XENCALL_SKIP_ABI_CONFORMANCE=1"
)]
fn arm_layouts_match_the_headers_arm_branch() {
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
    let mut c = String::from(
        "#define __XEN_TOOLS__ 1\n#include <stddef.h>\n#include <stdint.h>\n\
         #include <xen/xen.h>\n#include <xen/domctl.h>\n#include <xen/sysctl.h>\n\
         #include <xen/memory.h>\n#include <xen/sched.h>\n",
    );
    for (i, (expr, value)) in ARM.iter().enumerate() {
        c.push_str(&format!(
            "_Static_assert(({expr}) == {value}, \"arm item {i}: {expr}\");\n"
        ));
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("abi_conformance");
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("arm.c");
    std::fs::write(&src, c).unwrap();
    // The compiler's own freestanding headers (stddef, stdint), not glibc's
    // x86 ones, which refuse an Arm target.
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".to_string());
    let out = Command::new(&cc)
        .arg("-print-file-name=include")
        .output()
        .expect("run cc");
    let builtin = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let out = Command::new(&cc)
        .args([
            "-ffreestanding",
            "-nostdinc",
            "-isystem",
            &builtin,
            "-isystem",
            "/usr/include",
        ])
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
        "Arm layouts differ from the headers' Arm branch:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
