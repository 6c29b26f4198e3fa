//! dom0's ingredients, fetched once and cached under
//! `target/dom0/<release>/<debian arch>/`: the Debian packages
//! (`debs/`), their files unpacked (`tree/`; of the kernel package only the
//! kernel and the Xen driver modules), the hypervisor (`xen`) and, on
//! amd64, the ELF kernel taken out of the bzImage (`vmlinux`).
//!
//! Each directory or file is made under a `.partial` name and renamed when
//! complete, so an interrupted set-up is redone, never half-used. Delete
//! the release's directory to take newer package versions.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

use super::bzimage;
use super::release::{deb_arch, Release};
use crate::setup::{self, capture};
use crate::target::Arch;

/// Everything a dom0 boot needs from Debian, on disk.
#[derive(Clone, Debug)]
pub struct Assets {
    pub arch: Arch,
    pub release: &'static Release,
    /// `<cache>/dom0/<release>/<arch>/`.
    pub dir: PathBuf,
    /// Where the boots' logs go: `<cache>/qemu-logs`.
    pub log_dir: PathBuf,
    /// The unpacked packages.
    pub tree: PathBuf,
    /// The hypervisor QEMU loads (`-kernel`).
    pub xen: PathBuf,
    /// dom0's kernel: the ELF vmlinux on amd64, the Image on arm64.
    pub kernel: PathBuf,
    /// The kernel's module directory name (`6.1.0-57-amd64`).
    pub kernel_release: String,
    /// `package version` lines of what was downloaded.
    pub versions: String,
}

impl Assets {
    /// The hypervisor's and the kernel's package versions, for reports.
    pub fn summary(&self) -> String {
        self.versions
            .lines()
            .filter(|l| l.starts_with("xen-hypervisor-") || l.starts_with("linux-image-"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// Fetch (if not cached) and unpack `release` for `arch` under `cache`
/// (a build directory: the source tree's `target/`, or a user's).
pub fn prepare(release: &'static Release, arch: Arch, cache: &Path) -> Result<Assets, String> {
    let dir = cache.join("dom0").join(release.name).join(deb_arch(arch));
    let debs = dir.join("debs");
    if !debs.is_dir() {
        download(release, arch, cache, &debs)?;
    }
    let tree = dir.join("tree");
    if !tree.is_dir() {
        unpack(release, &debs, &tree)?;
    }
    merged_usr_links(&tree)?;
    let versions = fs::read_to_string(debs.join("versions.txt"))
        .map_err(|e| format!("read {}: {e}", debs.join("versions.txt").display()))?;
    let kernel_release = kernel_release(release, &tree)?;

    let xen = dir.join("xen");
    if !xen.is_file() {
        let packed = tree.join(release.hypervisor_path(arch));
        let bytes = match arch {
            Arch::X86_64 => gunzip(&packed)?,
            Arch::Aarch64 => read(&packed)?,
        };
        write_whole(&xen, &bytes)?;
    }
    let vmlinuz = tree.join(format!("boot/vmlinuz-{kernel_release}"));
    let kernel = match arch {
        Arch::X86_64 => {
            let vmlinux = dir.join("vmlinux");
            if !vmlinux.is_file() {
                let start = Instant::now();
                let elf = bzimage::vmlinux(&read(&vmlinuz)?)
                    .map_err(|e| format!("{}: {e}", vmlinuz.display()))?;
                write_whole(&vmlinux, &elf)?;
                eprintln!(
                    "cargo qemu: unpacked the ELF kernel from {} ({} MB, {:.1} s, once)",
                    vmlinuz.display(),
                    elf.len() >> 20,
                    start.elapsed().as_secs_f64()
                );
            }
            vmlinux
        }
        // Debian's arm64 vmlinuz is a plain (EFI-stub) Image already.
        Arch::Aarch64 => {
            let image = read(&vmlinuz)?;
            if image.get(0x38..0x3c) != Some(b"ARM\x64") {
                return Err(format!(
                    "{} is not an arm64 Image (no \"ARM\\x64\" at 0x38)",
                    vmlinuz.display()
                ));
            }
            vmlinuz
        }
    };
    Ok(Assets {
        arch,
        release,
        dir,
        log_dir: cache.join("qemu-logs"),
        tree,
        xen,
        kernel,
        kernel_release,
        versions,
    })
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))
}

/// Write `path` through `path.partial`, so it exists only when whole.
fn write_whole(path: &Path, bytes: &[u8]) -> Result<(), String> {
    let partial = partial(path);
    fs::write(&partial, bytes).map_err(|e| format!("write {}: {e}", partial.display()))?;
    fs::rename(&partial, path).map_err(|e| format!("rename {}: {e}", partial.display()))
}

fn partial(path: &Path) -> PathBuf {
    let mut p = path.as_os_str().to_owned();
    p.push(".partial");
    PathBuf::from(p)
}

fn fresh_dir(path: &Path) -> Result<(), String> {
    if path.exists() {
        fs::remove_dir_all(path).map_err(|e| format!("remove {}: {e}", path.display()))?;
    }
    fs::create_dir_all(path).map_err(|e| format!("create {}: {e}", path.display()))
}

fn gunzip(path: &Path) -> Result<Vec<u8>, String> {
    let out = Command::new("gzip")
        .arg("-dc")
        .arg(path)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run gzip: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "gzip -dc {} failed: {}",
            path.display(),
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(out.stdout)
}

/// Run `cmd`, announcing it; its output on success, an error with the
/// output otherwise.
fn run(cmd: &mut Command) -> Result<String, String> {
    eprintln!("cargo qemu: running {cmd:?}");
    let (ok, out) = capture(cmd);
    if ok {
        Ok(out)
    } else {
        Err(format!(
            "{cmd:?} failed:\n{}",
            crate::protocol::tail(&out, 20).join("\n")
        ))
    }
}

/// `apt-get update` once per run (the run's one, shared with the rest of
/// set-up), when root; without root the lists are used as they are (and a
/// failing download says what to run).
fn apt_update_once() -> Result<(), String> {
    if setup::is_root() {
        setup::apt_update_once()?;
    }
    Ok(())
}

/// Make apt serve `arch`'s packages: the native architecture, or a
/// foreign one added (root only).
fn ensure_apt_arch(arch: &str) -> Result<(), String> {
    let (_, native) = capture(Command::new("dpkg").arg("--print-architecture"));
    let (_, foreign) = capture(Command::new("dpkg").arg("--print-foreign-architectures"));
    if native.trim() == arch || foreign.split_whitespace().any(|a| a == arch) {
        return Ok(());
    }
    if !setup::is_root() {
        return Err(format!(
            "dom0's {arch} packages need the {arch} architecture in apt: run \
             `sudo dpkg --add-architecture {arch} && sudo apt-get update`"
        ));
    }
    if arch != "arm64" {
        return Err(format!("no {arch} packages on a {} host", native.trim()));
    }
    // It also makes the run's next `apt-get update` fetch the new lists.
    setup::add_arm64_architecture()
}

/// The kernel package `release.kernel_meta` depends on now, e.g.
/// `linux-image-6.1.0-57-amd64`.
pub fn kernel_package(apt_cache_depends: &str) -> Option<String> {
    apt_cache_depends.lines().find_map(|l| {
        let dep = l.trim().strip_prefix("Depends:")?.trim();
        let name = dep.split(':').next()?;
        name.starts_with("linux-image-").then(|| name.to_string())
    })
}

/// On a merged-/usr suite (Debian 13) libc6 ships the dynamic loader in
/// `usr/lib` (`usr/lib64` on amd64) only, and `base-files` makes `/lib`
/// (and `/lib64`) links to them; the binaries name the old path
/// (`/lib/ld-linux-aarch64.so.1`). The unpacked tree gets a link at that
/// path for each loader, so the interpreter resolves, and the tree's
/// `lib/` stays a directory, as the initramfs expects. A tree whose
/// packages ship the loader's old path (Debian 12) is left as it is.
pub fn merged_usr_links(tree: &Path) -> Result<(), String> {
    for top in ["lib", "lib64"] {
        let Ok(entries) = fs::read_dir(tree.join("usr").join(top)) else {
            continue;
        };
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let link = tree.join(top).join(&name);
            if !name.starts_with("ld-linux") || fs::symlink_metadata(&link).is_ok() {
                continue;
            }
            fs::create_dir_all(tree.join(top))
                .map_err(|e| format!("create {}: {e}", tree.join(top).display()))?;
            std::os::unix::fs::symlink(format!("/usr/{top}/{name}"), &link)
                .map_err(|e| format!("link {}: {e}", link.display()))?;
        }
    }
    Ok(())
}

fn download(release: &Release, arch: Arch, cache: &Path, debs: &Path) -> Result<(), String> {
    let a = deb_arch(arch);
    if !setup::is_debian() {
        return Err(format!(
            "dom0 for domU tests is built from Debian packages (apt-get download): \
             this host is not Debian; put the .deb files in {} by hand",
            debs.display()
        ));
    }
    // Another suite's packages (trixie's Xen 4.20 on bookworm) come
    // through a private apt list and state under the cache directory.
    let private = if crate::apt::host_suite() == release.suite {
        ensure_apt_arch(a)?;
        apt_update_once()?;
        None
    } else {
        Some(crate::apt::PrivateApt::new(cache, release.suite)?)
    };
    let meta = format!("{}:{a}", release.kernel_meta.replace("{arch}", a));
    let (ok, depends) = match &private {
        Some(apt) => match apt.depends(&meta) {
            Ok(out) => (true, out),
            Err(e) => (false, e),
        },
        None => capture(Command::new("apt-cache").args(["depends", &meta])),
    };
    let kernel = kernel_package(&depends).filter(|_| ok).ok_or_else(|| {
        format!(
            "`apt-cache depends {meta}` names no linux-image package:\n{}\n\
             (as root, `apt-get update` may fix it)",
            depends.trim()
        )
    })?;
    let partial = partial(debs);
    fresh_dir(&partial)?;
    let mut packages: Vec<String> = release
        .package_names(arch)
        .into_iter()
        .map(|p| format!("{p}:{a}"))
        .collect();
    packages.push(format!("{kernel}:{a}"));
    eprintln!(
        "cargo qemu: downloading dom0's packages for {a} (Xen {}, {kernel}; about 70 MB, once)",
        release.name
    );
    let mut cmd = match &private {
        Some(apt) => apt.command("apt-get"),
        None => {
            let mut cmd = Command::new("apt-get");
            // As root, apt drops to its `_apt` user, who cannot write here.
            if setup::is_root() {
                cmd.args(["-o", "APT::Sandbox::User=root"]);
            }
            cmd
        }
    };
    cmd.args(["download", "-q"])
        .args(&packages)
        .current_dir(&partial);
    run(&mut cmd).map_err(|e| {
        format!("{e}\ndownloading dom0's packages failed (as root, `apt-get update` may fix it)")
    })?;
    let mut versions = String::new();
    for deb in list_debs(&partial)? {
        let (ok, out) = capture(
            Command::new("dpkg-deb")
                .args(["--show", "--showformat=${Package} ${Version}\\n"])
                .arg(&deb),
        );
        if !ok {
            return Err(format!("dpkg-deb --show {}: {out}", deb.display()));
        }
        versions.push_str(&out);
    }
    fs::write(partial.join("versions.txt"), &versions)
        .map_err(|e| format!("write versions.txt: {e}"))?;
    fs::rename(&partial, debs).map_err(|e| format!("rename {}: {e}", partial.display()))
}

fn list_debs(dir: &Path) -> Result<Vec<PathBuf>, String> {
    let mut debs: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    debs.sort();
    Ok(debs)
}

fn unpack(release: &Release, debs: &Path, tree: &Path) -> Result<(), String> {
    let partial = partial(tree);
    fresh_dir(&partial)?;
    let start = Instant::now();
    for deb in list_debs(debs)? {
        let name = deb.file_name().unwrap_or_default().to_string_lossy();
        if name.starts_with("linux-image-") {
            // Of the kernel (about 400 MB unpacked) only the kernel itself
            // and the Xen drivers' modules.
            let mut dpkg = Command::new("dpkg-deb")
                .arg("--fsys-tarfile")
                .arg(&deb)
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .spawn()
                .map_err(|e| format!("cannot run dpkg-deb: {e}"))?;
            let stdout = dpkg.stdout.take().expect("piped");
            let modules = format!("./{}/*/kernel/drivers/xen/*", release.modules_dir);
            let tar = Command::new("tar")
                .args(["-x", "-C"])
                .arg(&partial)
                .args(["--wildcards", "./boot/vmlinuz-*", &modules])
                .stdin(stdout)
                .output()
                .map_err(|e| format!("cannot run tar: {e}"))?;
            let dpkg_ok = dpkg.wait().is_ok_and(|s| s.success());
            if !tar.status.success() || !dpkg_ok {
                return Err(format!(
                    "unpacking {}: {}",
                    deb.display(),
                    String::from_utf8_lossy(&tar.stderr).trim()
                ));
            }
        } else {
            let (ok, out) = capture(Command::new("dpkg-deb").arg("-x").arg(&deb).arg(&partial));
            if !ok {
                return Err(format!("dpkg-deb -x {}: {out}", deb.display()));
            }
        }
    }
    fs::rename(&partial, tree).map_err(|e| format!("rename {}: {e}", partial.display()))?;
    eprintln!(
        "cargo qemu: unpacked dom0's packages into {} ({:.1} s, once)",
        tree.display(),
        start.elapsed().as_secs_f64()
    );
    Ok(())
}

/// The one kernel release under the tree's module directory.
fn kernel_release(release: &Release, tree: &Path) -> Result<String, String> {
    let modules = tree.join(release.modules_dir);
    let names: Vec<String> = fs::read_dir(&modules)
        .map_err(|e| format!("read {}: {e}", modules.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    match names.as_slice() {
        [one] => Ok(one.clone()),
        _ => Err(format!(
            "expected one kernel under {}, found {names:?}",
            modules.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kernel_package_from_apt_cache_depends() {
        let out = "linux-image-amd64\n  Depends: linux-image-6.1.0-57-amd64\n";
        assert_eq!(
            kernel_package(out).as_deref(),
            Some("linux-image-6.1.0-57-amd64")
        );
        let foreign = "linux-image-arm64:arm64\n  Depends: linux-image-6.1.0-57-arm64:arm64\n";
        assert_eq!(
            kernel_package(foreign).as_deref(),
            Some("linux-image-6.1.0-57-arm64")
        );
        assert_eq!(kernel_package("N: Unable to locate package x\n"), None);
    }
}

#[cfg(test)]
mod merged_usr_tests {
    use super::*;

    #[test]
    fn a_merged_usr_tree_gets_the_loader_at_its_old_path() {
        let root = std::env::temp_dir().join(format!("xencall-usrmerge-{}", std::process::id()));
        let merged = root.join("merged");
        fs::create_dir_all(merged.join("usr/lib")).unwrap();
        fs::write(merged.join("usr/lib/ld-linux-aarch64.so.1"), b"ld").unwrap();
        fs::write(merged.join("usr/lib/libc.so.6"), b"c").unwrap();
        merged_usr_links(&merged).unwrap();
        let link = merged.join("lib/ld-linux-aarch64.so.1");
        assert_eq!(
            fs::read_link(&link).unwrap(),
            Path::new("/usr/lib/ld-linux-aarch64.so.1")
        );
        assert!(!merged.join("lib/libc.so.6").exists() && !merged.join("lib64").exists());
        // Again: the link is there, nothing changes.
        merged_usr_links(&merged).unwrap();
        // Debian 12: the loader is at its old path already.
        let split = root.join("split");
        fs::create_dir_all(split.join("lib64")).unwrap();
        fs::create_dir_all(split.join("usr/lib64")).unwrap();
        fs::write(split.join("lib64/ld-linux-x86-64.so.2"), b"ld").unwrap();
        fs::write(split.join("usr/lib64/ld-linux-x86-64.so.2"), b"ld").unwrap();
        merged_usr_links(&split).unwrap();
        assert!(
            !fs::symlink_metadata(split.join("lib64/ld-linux-x86-64.so.2"))
                .unwrap()
                .file_type()
                .is_symlink()
        );
        let _ = fs::remove_dir_all(&root);
    }
}
