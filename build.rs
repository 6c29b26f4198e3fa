//! Build script: sizes the static hypercall-buffer arena and exports the boot
//! runtime's linker scripts (the way `cortex-m-rt` exports `link.x`).

use std::env;
use std::fs;
use std::path::PathBuf;

/// Pages in the built-in buffer arena when `XENCALL_ARENA_PAGES` is unset:
/// 1 MiB, far more than libxenctrl-style callers keep live at once.
const DEFAULT_ARENA_PAGES: usize = 256;

fn main() {
    println!("cargo:rerun-if-env-changed=XENCALL_ARENA_PAGES");
    // tests/abi_conformance.rs: `XENCALL_SKIP_ABI_CONFORMANCE=1` marks its
    // tests ignored (a test cannot ignore itself at run time, and one that
    // returns early is reported as passed).
    println!("cargo:rerun-if-env-changed=XENCALL_SKIP_ABI_CONFORMANCE");
    println!("cargo:rustc-check-cfg=cfg(xencall_skip_abi_conformance)");
    if env::var_os("XENCALL_SKIP_ABI_CONFORMANCE").is_some_and(|v| v == "1") {
        println!("cargo:rustc-cfg=xencall_skip_abi_conformance");
    }
    let pages = match env::var("XENCALL_ARENA_PAGES") {
        Ok(text) => match text.trim().parse::<usize>() {
            // 0: no static arena; buffers come only from `buffers::add_region`.
            Ok(n) if n <= 1 << 20 => n,
            _ => panic!(
                "XENCALL_ARENA_PAGES={text:?}: expected a page count from 0 (no static arena: \
                 buffers only from buffers::add_region) to 1048576"
            ),
        },
        Err(_) => DEFAULT_ARENA_PAGES,
    };
    let out = PathBuf::from(env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    fs::write(
        out.join("arena_pages.rs"),
        format!("/// Pages in the built-in arena (`XENCALL_ARENA_PAGES`, default {DEFAULT_ARENA_PAGES}).\npub const ARENA_PAGES: usize = {pages};\n"),
    )
    .expect("write arena_pages.rs");

    // Linker scripts, with the boot runtime only: copied into OUT_DIR and put
    // on the search path so that a dependent unikernel links with
    // `-C link-arg=-Txencall-<arch>.ld` without copying them. Without `rt`
    // they stay out of the search path, so another version of the crate
    // that has its runtime in the same graph is the only one offering them.
    let rt = env::var_os("CARGO_FEATURE_RT").is_some();
    for script in ["xencall-x86_64.ld", "xencall-aarch64.ld"] {
        let src = PathBuf::from("linker").join(script);
        println!("cargo:rerun-if-changed={}", src.display());
        if rt {
            fs::copy(&src, out.join(script))
                .unwrap_or_else(|e| panic!("copy the linker script {}: {e}", src.display()));
        }
    }
    if rt {
        println!("cargo:rustc-link-search={}", out.display());
    }

    // This package's own examples are unikernels: link them with the boot
    // runtime's script. A dependent crate adds `-Txencall-<arch>.ld` itself.
    let target_os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let target_arch = env::var("CARGO_CFG_TARGET_ARCH").unwrap_or_default();
    if target_os == "none" && rt {
        println!("cargo:rustc-link-arg-examples=-Txencall-{target_arch}.ld");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
