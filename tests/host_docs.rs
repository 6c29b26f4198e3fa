//! `cargo doc` on the host, as a newcomer first runs it (no features, no
//! target), documents the boot runtime too: the runtime's items are
//! compiled for rustdoc (`cfg(doc)`) even where they cannot be built, so
//! the host docs show `rt`, `entry!`, `BootInfo`, `println!` and the
//! guest-only functions, without warnings.

use std::path::PathBuf;
use std::process::Command;

#[test]
fn host_docs_without_features_show_the_runtime() {
    let target = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("host-docs");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let out = Command::new(cargo)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args([
            "doc",
            "--no-deps",
            "-p",
            "xencall",
            "--offline",
            "--target-dir",
        ])
        .arg(&target)
        .env("RUSTDOCFLAGS", "-Dwarnings")
        .env_remove("CARGO_BUILD_TARGET")
        .env_remove("RUSTC_BOOTSTRAP")
        .output()
        .expect("run cargo doc");
    assert!(
        out.status.success(),
        "cargo doc failed or warned:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc = target.join("doc/xencall");
    let missing: Vec<&str> = [
        "rt/index.html",
        "rt/boot_info/struct.BootInfo.html",
        "rt/fn.start.html",
        "rt/exit/fn.exit.html",
        "rt/events/fn.block.html",
        "rt/smp/fn.start_vcpu.html",
        "rt/shared_info/fn.map.html",
        "rt/testing/fn.run.html",
        "macro.entry.html",
        "macro.println.html",
        "macro.print.html",
        "ffi/index.html",
    ]
    .into_iter()
    .filter(|page| !doc.join(page).exists())
    .collect();
    assert!(
        missing.is_empty(),
        "host docs lack {missing:?} (in {})",
        doc.display()
    );
}
