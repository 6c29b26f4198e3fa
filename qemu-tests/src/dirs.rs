//! Where things are: the xencall source tree (for the subcommands that
//! build this repository's guests) and the directory a boot keeps Xen and
//! its logs in. An installed runner carries nothing of the repository: the
//! source tree is looked for from the current directory, never taken from
//! where the runner was compiled.

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

static SOURCE_TREE: OnceLock<PathBuf> = OnceLock::new();

/// Whether `dir` is the root of a xencall checkout: its `Cargo.toml` is
/// the `xencall` package and the runner's own sources are beside it.
fn is_source_tree(dir: &Path) -> bool {
    let Ok(manifest) = fs::read_to_string(dir.join("Cargo.toml")) else {
        return false;
    };
    manifest.lines().any(|l| l.trim() == "name = \"xencall\"")
        && dir.join("qemu-tests/Cargo.toml").is_file()
        && dir.join("arch").is_dir()
}

/// The xencall source tree containing `start` (or `start` itself).
pub fn source_tree_from(start: &Path) -> Option<PathBuf> {
    start
        .ancestors()
        .find(|d| is_source_tree(d))
        .map(Path::to_path_buf)
}

/// Find the xencall source tree from the current directory and remember
/// it for [`source_tree`]; the error says what to do elsewhere.
pub fn find_source_tree(subcommand: &str) -> Result<&'static Path, String> {
    if let Some(root) = SOURCE_TREE.get() {
        return Ok(root);
    }
    let cwd = env::current_dir().map_err(|e| format!("current directory: {e}"))?;
    match source_tree_from(&cwd) {
        Some(root) => Ok(SOURCE_TREE.get_or_init(|| root)),
        None => Err(format!(
            "`{subcommand}` builds and tests xencall itself: run it inside a xencall source \
             tree (none contains {}). For your own guest, use `cargo xencall boot ELF` \
             (or name it as the runner of the bare-metal targets)",
            cwd.display()
        )),
    }
}

/// The source tree found by [`find_source_tree`]. The repository-only
/// subcommands look it up before anything else runs.
pub fn source_tree() -> &'static Path {
    SOURCE_TREE
        .get()
        .expect("find_source_tree runs before any repository-only work")
}

/// `CARGO_TARGET_DIR` if set (relative to the current directory, as
/// cargo reads it).
fn cargo_target_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env::var_os("CARGO_TARGET_DIR").filter(|d| !d.is_empty())?);
    if dir.is_absolute() {
        Some(dir)
    } else {
        env::current_dir().ok().map(|cwd| cwd.join(dir))
    }
}

/// The source tree's build directory: `CARGO_TARGET_DIR`, else
/// `<source tree>/target`.
pub fn target_dir() -> PathBuf {
    cargo_target_dir().unwrap_or_else(|| source_tree().join("target"))
}

/// Where a boot of `guest` keeps Xen and its logs: `CARGO_TARGET_DIR`;
/// else the cargo build directory holding the guest (the nearest
/// ancestor called `target`, or else the nearest with cargo's
/// `CACHEDIR.TAG`); else a per-user cache directory.
pub fn boot_dir(guest: &Path) -> PathBuf {
    if let Some(dir) = cargo_target_dir() {
        return dir;
    }
    let guest = fs::canonicalize(guest).unwrap_or_else(|_| guest.to_path_buf());
    let parents = || guest.ancestors().skip(1);
    parents()
        .find(|d| d.file_name().is_some_and(|n| n == "target"))
        .or_else(|| parents().find(|d| d.join("CACHEDIR.TAG").is_file()))
        .map(Path::to_path_buf)
        .unwrap_or_else(user_cache_dir)
}

/// `$XDG_CACHE_HOME/cargo-xencall`, else `~/.cache/cargo-xencall`, else
/// one under the temporary directory.
pub fn user_cache_dir() -> PathBuf {
    let base = env::var_os("XDG_CACHE_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| {
            env::var_os("HOME")
                .filter(|d| !d.is_empty())
                .map(|h| PathBuf::from(h).join(".cache"))
        });
    match base {
        Some(b) => b.join("cargo-xencall"),
        None => env::temp_dir().join("cargo-xencall"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = env::temp_dir().join(format!("cargo-xencall-dirs-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn boot_dir_is_the_target_dir_holding_the_guest() {
        // CARGO_TARGET_DIR, when the test runs under cargo with one set,
        // would win: only check the search when it is unset.
        if env::var_os("CARGO_TARGET_DIR").is_some() {
            return;
        }
        let d = scratch("target");
        let elf = d.join("target/x86_64-unknown-none/debug/deps/guest");
        fs::create_dir_all(elf.parent().unwrap()).unwrap();
        fs::write(&elf, b"x").unwrap();
        assert_eq!(boot_dir(&elf), fs::canonicalize(d.join("target")).unwrap());

        // A --target-dir of another name: cargo's CACHEDIR.TAG marks it.
        let elf = d.join("build/x86_64-unknown-none/debug/guest");
        fs::create_dir_all(elf.parent().unwrap()).unwrap();
        fs::write(&elf, b"x").unwrap();
        fs::write(d.join("build/CACHEDIR.TAG"), b"Signature").unwrap();
        assert_eq!(boot_dir(&elf), fs::canonicalize(d.join("build")).unwrap());

        // Neither: the per-user cache.
        let elf = d.join("loose/guest");
        fs::create_dir_all(elf.parent().unwrap()).unwrap();
        fs::write(&elf, b"x").unwrap();
        let got = boot_dir(&elf);
        if !got.starts_with(&d) {
            assert_eq!(got, user_cache_dir());
        }
        let _ = fs::remove_dir_all(&d);
    }

    #[test]
    fn the_source_tree_is_found_from_inside_it_only() {
        let here = Path::new(env!("CARGO_MANIFEST_DIR"));
        let root = source_tree_from(here).expect("qemu-tests lies in the source tree");
        assert!(root.join("qemu-tests").is_dir());
        assert_eq!(source_tree_from(&root.join("src/abi")), Some(root.clone()));
        let d = scratch("elsewhere");
        // A crate of its own that merely depends on xencall is not it.
        fs::write(
            d.join("Cargo.toml"),
            "[package]\nname = \"my-guest\"\n[dependencies]\nxencall = \"0.1\"\n",
        )
        .unwrap();
        assert_eq!(source_tree_from(&d), None);
        let _ = fs::remove_dir_all(&d);
    }
}
