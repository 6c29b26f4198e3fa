//! dom0's initramfs: busybox, Xen's tools and the libraries they load,
//! the Xen driver modules, `/etc/xen`, the init script and the domU cases
//! (their kernels, xl configs and dom0 scripts). Built in memory from the
//! unpacked packages on every boot (it takes a fraction of a second), so
//! it always holds the current guests and init.

use std::collections::{BTreeMap, VecDeque};
use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use object::read::elf::{Dyn, FileHeader, ProgramHeader};
use object::{elf, Endianness, FileKind};

use super::assets::Assets;
use super::cpio::Archive;
use super::release::triplet;
use super::Case;

/// The init script (see its header for what it expects).
pub const INIT: &str = include_str!("init.sh");

/// The Xen drivers dom0 needs, in load order, under the kernel's
/// `drivers/xen/` (Debian builds them as modules).
const MODULES: &[&str] = &[
    "xen-privcmd",
    "xenfs/xenfs",
    "xen-evtchn",
    "xen-gntdev",
    "xen-gntalloc",
];

/// Where guest kernels go in the initramfs.
const GUESTS: &str = "guests";

/// Build the initramfs for `cases` (in order); `live`: init prints each
/// guest's console as it runs.
pub fn build(assets: &Assets, cases: &[Case], live: bool) -> Result<Archive, String> {
    let mut a = Archive::default();
    let tree = &assets.tree;
    let release = assets.release;
    for d in [
        "dev",
        "proc",
        "sys",
        "tmp",
        "run",
        "sbin",
        "var/log/xen",
        "var/lib/xen",
    ] {
        a.dir(d)?;
    }
    a.symlink("var/run", "/run")?;

    let busybox = ["bin/busybox", "usr/bin/busybox"]
        .into_iter()
        .find(|p| resolve(tree, p).is_some())
        .ok_or("busybox is not in the unpacked busybox-static package")?;
    let busybox_data = read(&resolve(tree, busybox).unwrap())?;
    a.file("bin/busybox", 0o755, busybox_data)?;
    a.symlink("bin/sh", "busybox")?;

    let mut elves = Vec::new();
    for tool in release.tools {
        let path = format!("{}/{tool}", release.tools_dir);
        add_tree_path(&mut a, tree, &path)?;
        elves.push(path);
    }
    for entry in read_dir(&tree.join("usr/bin"))? {
        if entry.starts_with("xenstore") {
            let path = format!("usr/bin/{entry}");
            add_tree_path(&mut a, tree, &path)?;
            elves.push(path);
        }
    }
    add_tree_path(&mut a, tree, "etc/xen/xl.conf")?;
    add_tree_dir(&mut a, tree, "etc/xen/scripts")?;

    let mut modules = Vec::new();
    let drivers = format!(
        "{}/{}/kernel/drivers/xen",
        release.modules_dir, assets.kernel_release
    );
    for m in MODULES {
        let name = m.rsplit('/').next().unwrap_or(m);
        let plain = tree.join(format!("{drivers}/{m}.ko"));
        let xz = tree.join(format!("{drivers}/{m}.ko.xz"));
        let data = if plain.is_file() {
            read(&plain)?
        } else if xz.is_file() {
            // busybox's insmod loads plain modules only.
            unxz(&read(&xz)?).map_err(|e| format!("{}: {e}", xz.display()))?
        } else {
            continue; // built into this kernel
        };
        a.file(&format!("lib/modules/{name}.ko"), 0o644, data)?;
        modules.push(name);
    }

    // The cases: kernels (each once), configs, scripts and their files.
    let mut guests: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut list = String::new();
    check_cases(cases)?;
    for case in cases {
        let domain = case.domain();
        let kernel = match guests.get(&case.kernel) {
            Some(path) => path.clone(),
            None => {
                let path = guest_path(&guests, &case.kernel);
                let data = read(&case.kernel)?;
                let data =
                    strip_debug(&data).map_err(|e| format!("{}: {e}", case.kernel.display()))?;
                a.file(&path, 0o644, data)?;
                guests.insert(case.kernel.clone(), path.clone());
                path
            }
        };
        let dir = format!("cases/{domain}");
        a.file(
            &format!("{dir}/xl.cfg"),
            0o644,
            xl_config(case, &kernel).into_bytes(),
        )?;
        a.file(
            &format!("{dir}/timeout"),
            0o644,
            format!("{}\n", case.timeout.as_secs().max(1)).into_bytes(),
        )?;
        a.file(
            &format!("{dir}/expect"),
            0o644,
            format!("{}\n", case.expect.code()).into_bytes(),
        )?;
        if let Some(script) = &case.dom0_script {
            a.file(
                &format!("{dir}/dom0.sh"),
                0o755,
                script.clone().into_bytes(),
            )?;
        }
        for (name, src) in &case.files {
            let path = format!("{dir}/{name}");
            let data = read(src)?;
            a.file(&path, 0o755, data)?;
            elves.push(path);
        }
        list.push_str(&domain);
        list.push('\n');
    }
    a.file("cases/list", 0o644, list.into_bytes())?;

    // Libraries: what every binary needs, recursively, and libgcc_s, which
    // glibc loads with dlopen() for pthread_cancel (xl aborts without it:
    // the recipe's pitfall 1).
    let lib_dirs = library_dirs(assets);
    let mut queue: VecDeque<String> = elves.into();
    let mut seen: Vec<String> = Vec::new();
    let mut needed_libgcc = false;
    while let Some(path) = queue.pop_front() {
        let data = match resolve(tree, &path) {
            Some(real) => read(&real)?,
            // A case's own file: already in the archive, read it there.
            None => case_file(&path, cases)?,
        };
        let Some(deps) = elf_deps(&data).map_err(|e| format!("/{path}: {e}"))? else {
            continue;
        };
        let mut names = deps.needed;
        if !needed_libgcc {
            names.push("libgcc_s.so.1".into());
            needed_libgcc = true;
        }
        if let Some(interp) = deps.interp {
            let interp = interp.trim_start_matches('/').to_string();
            if !a.contains(&interp) {
                add_tree_path(&mut a, tree, &interp)
                    .map_err(|e| format!("the interpreter of /{path}: {e}"))?;
            }
        }
        for name in names {
            if seen.contains(&name) {
                continue;
            }
            let found = lib_dirs
                .iter()
                .map(|d| format!("{d}/{name}"))
                .find(|p| resolve(tree, p).is_some_and(|r| r.is_file()))
                .ok_or_else(|| {
                    format!(
                        "library {name} (needed by /{path}) is in none of {} in {}: \
                         a package is missing from the release's list",
                        lib_dirs.join(", "),
                        tree.display()
                    )
                })?;
            add_tree_path(&mut a, tree, &found)?;
            seen.push(name);
            queue.push_back(found);
        }
    }

    a.file("init", 0o755, INIT.as_bytes().to_vec())?;
    let env = dom0_env(assets, &modules, live);
    a.file("etc/dom0.env", 0o644, env.into_bytes())?;
    Ok(a)
}

/// Every case valid, and each domain name used once.
pub fn check_cases(cases: &[Case]) -> Result<(), String> {
    let mut names = Vec::new();
    for case in cases {
        case.validate()?;
        let domain = case.domain();
        if names.contains(&domain) {
            return Err(format!("two domU cases are both named {domain}"));
        }
        names.push(domain);
    }
    Ok(())
}

/// `/etc/dom0.env`, which init sources.
pub fn dom0_env(assets: &Assets, modules: &[&str], live: bool) -> String {
    let t = triplet(assets.arch);
    format!(
        "TOOLS=/{}\nLD_LIBRARY_PATH=/lib/{t}:/usr/lib/{t}\nMODULES=\"{}\"\nLIVE={}\n",
        assets.release.tools_dir,
        modules.join(" "),
        u8::from(live)
    )
}

/// The directories searched for a needed library, as the dynamic loader
/// does with Debian's multiarch configuration.
fn library_dirs(assets: &Assets) -> Vec<String> {
    let t = triplet(assets.arch);
    vec![
        format!("lib/{t}"),
        format!("usr/lib/{t}"),
        "lib".into(),
        "usr/lib".into(),
    ]
}

/// The xl configuration of `case`, its kernel at `/<kernel>`. Every
/// shutdown is preserved: init reads the reason, lets the dom0 script
/// look at the stopped domain, then destroys it.
pub fn xl_config(case: &Case, kernel: &str) -> String {
    let mut c = format!(
        "name = \"{}\"\ntype = \"{}\"\nkernel = \"/{kernel}\"\n",
        case.domain(),
        case.domu.name()
    );
    if !case.cmdline.is_empty() {
        c.push_str(&format!("cmdline = \"{}\"\n", case.cmdline.join(" ")));
    }
    c.push_str(&format!(
        "memory = {}\nvcpus = 1\n\
         on_poweroff = \"preserve\"\non_reboot = \"preserve\"\non_watchdog = \"preserve\"\n\
         on_crash = \"preserve\"\non_soft_reset = \"preserve\"\n",
        case.memory_mib
    ));
    for line in &case.xl_extra {
        c.push_str(line);
        c.push('\n');
    }
    c
}

/// `guests/<file name>` for a new kernel, made unique.
fn guest_path(taken: &BTreeMap<PathBuf, String>, kernel: &Path) -> String {
    let name = kernel
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "guest".into());
    let mut path = format!("{GUESTS}/{name}");
    let mut n = 2;
    while taken.values().any(|p| *p == path) {
        path = format!("{GUESTS}/{name}-{n}");
        n += 1;
    }
    path
}

/// The bytes of the case file at `path` in the archive (from its host path).
fn case_file(path: &str, cases: &[Case]) -> Result<Vec<u8>, String> {
    for case in cases {
        for (name, src) in &case.files {
            if format!("cases/{}/{name}", case.domain()) == path {
                return read(src);
            }
        }
    }
    Err(format!(
        "/{path} is neither in the unpacked packages nor a case file"
    ))
}

fn read(path: &Path) -> Result<Vec<u8>, String> {
    fs::read(path).map_err(|e| format!("read {}: {e}", path.display()))
}

fn read_dir(dir: &Path) -> Result<Vec<String>, String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map_err(|e| format!("read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    Ok(names)
}

fn components(path: &str) -> VecDeque<String> {
    path.split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .map(String::from)
        .collect()
}

/// Walk `path` inside `tree` as if `tree` were `/`: symbolic links are
/// followed within the tree (an absolute target means the tree's root,
/// never the host's). `visit` sees every link on the way (its path and
/// target) and the final path. None if something on the way is missing.
fn walk(tree: &Path, path: &str, mut visit: impl FnMut(&str, &str)) -> Option<String> {
    let mut todo = components(path);
    let mut done: Vec<String> = Vec::new();
    let mut hops = 0;
    while let Some(c) = todo.pop_front() {
        if c == ".." {
            done.pop();
            continue;
        }
        let here = if done.is_empty() {
            c.clone()
        } else {
            format!("{}/{c}", done.join("/"))
        };
        let meta = fs::symlink_metadata(tree.join(&here)).ok()?;
        if meta.file_type().is_symlink() {
            hops += 1;
            if hops > 40 {
                return None;
            }
            let target = fs::read_link(tree.join(&here)).ok()?;
            let target = target.to_str()?;
            visit(&here, target);
            if target.starts_with('/') {
                done.clear();
            }
            let mut next = components(target);
            next.extend(todo);
            todo = next;
        } else {
            done.push(c);
        }
    }
    Some(done.join("/"))
}

/// The real file behind `path` in `tree`.
fn resolve(tree: &Path, path: &str) -> Option<PathBuf> {
    walk(tree, path, |_, _| {}).map(|p| tree.join(p))
}

/// Add `path` from `tree`, with every symbolic link on the way (as links)
/// and the file it ends at, so the archive has the tree's layout.
fn add_tree_path(a: &mut Archive, tree: &Path, path: &str) -> Result<(), String> {
    let mut links = Vec::new();
    let real = walk(tree, path, |link, target| {
        links.push((link.to_string(), target.to_string()))
    })
    .ok_or_else(|| {
        format!(
            "/{path} is not in the unpacked packages ({})",
            tree.display()
        )
    })?;
    for (link, target) in links {
        a.symlink(&link, &target)?;
    }
    let full = tree.join(&real);
    let meta = fs::metadata(&full).map_err(|e| format!("{}: {e}", full.display()))?;
    if meta.is_dir() {
        return a.dir(&real);
    }
    a.file(&real, meta.permissions().mode() & 0o7777, read(&full)?)
}

/// Add the directory `path` from `tree` with everything in it.
fn add_tree_dir(a: &mut Archive, tree: &Path, path: &str) -> Result<(), String> {
    a.dir(path)?;
    for name in read_dir(&tree.join(path))? {
        let child = format!("{path}/{name}");
        let meta = fs::symlink_metadata(tree.join(&child))
            .map_err(|e| format!("{}: {e}", tree.join(&child).display()))?;
        if meta.file_type().is_symlink() {
            let target = fs::read_link(tree.join(&child)).map_err(|e| e.to_string())?;
            a.symlink(&child, &target.to_string_lossy())?;
        } else if meta.is_dir() {
            add_tree_dir(a, tree, &child)?;
        } else {
            a.file(
                &child,
                meta.permissions().mode() & 0o7777,
                read(&tree.join(&child))?,
            )?;
        }
    }
    Ok(())
}

/// What an ELF file needs from the dynamic loader.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ElfDeps {
    /// `PT_INTERP`: the loader's path.
    pub interp: Option<String>,
    /// `DT_NEEDED` names.
    pub needed: Vec<String>,
}

/// The loader and libraries `data` needs; None if it is not a 64-bit
/// ELF file (a script, a text file, a 32-bit binary).
pub fn elf_deps(data: &[u8]) -> Result<Option<ElfDeps>, String> {
    if FileKind::parse(data) != Ok(FileKind::Elf64) {
        return Ok(None);
    }
    let e = |err: object::Error| err.to_string();
    let header = elf::FileHeader64::<Endianness>::parse(data).map_err(e)?;
    let endian = header.endian().map_err(e)?;
    let mut deps = ElfDeps::default();
    for ph in header.program_headers(endian, data).map_err(e)? {
        if let Some(interp) = ph.interpreter(endian, data).map_err(e)? {
            deps.interp = Some(String::from_utf8_lossy(interp).into_owned());
        }
    }
    let sections = header.sections(endian, data).map_err(e)?;
    if let Some((dynamic, link)) = sections.dynamic(endian, data).map_err(e)? {
        let strings = sections.strings(endian, data, link).map_err(e)?;
        for d in dynamic {
            if d.tag32(endian) == Some(elf::DT_NEEDED) {
                let name = d.string(endian, strings).map_err(e)?;
                deps.needed.push(String::from_utf8_lossy(name).into_owned());
            }
        }
    }
    Ok(Some(deps))
}

/// The part of an ELF guest a loader reads: the file up to the end of
/// its last segment, without section headers (a guest as built is mostly
/// debug information and symbols, after its segments). Xen's ELF loader
/// takes the segments and the `PT_NOTE` notes from the program headers.
/// Segments are kept byte for byte; anything else (an arm64 Image) is
/// returned unchanged.
pub fn strip_debug(data: &[u8]) -> Result<Vec<u8>, String> {
    if FileKind::parse(data) != Ok(FileKind::Elf64) {
        return Ok(data.to_vec());
    }
    let e = |err: object::Error| err.to_string();
    let header = elf::FileHeader64::<Endianness>::parse(data).map_err(e)?;
    let endian = header.endian().map_err(e)?;
    let mut end = header.e_phoff(endian) as usize
        + header.e_phnum(endian) as usize * header.e_phentsize(endian) as usize;
    for ph in header.program_headers(endian, data).map_err(e)? {
        end = end.max(ph.p_offset(endian) as usize + ph.p_filesz(endian) as usize);
    }
    let mut out = data
        .get(..end)
        .ok_or("segments beyond the end of the file")?
        .to_vec();
    // e_shoff (8 bytes at 0x28), e_shnum (0x3c) and e_shstrndx (0x3e).
    out[0x28..0x30].fill(0);
    out[0x3c..0x40].fill(0);
    Ok(out)
}

fn unxz(data: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let mut out = Vec::new();
    lzma_rust2::XzReader::new(data, false)
        .read_to_end(&mut out)
        .map_err(|e| format!("xz: {e}"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::{DomuType, Reason};
    use super::*;
    use std::time::Duration;

    fn case(label: &str, domu: DomuType) -> Case {
        Case {
            cmdline: vec!["hello-shutdown=crash".into()],
            xl_extra: vec!["# extra".into()],
            ..Case::new(label, domu, PathBuf::from("/t/hello"))
        }
    }

    #[test]
    fn xl_config_of_a_case() {
        let c = xl_config(&case("hello", DomuType::Pv), "guests/hello");
        assert_eq!(
            c,
            "name = \"hello-pv\"\ntype = \"pv\"\nkernel = \"/guests/hello\"\n\
             cmdline = \"hello-shutdown=crash\"\nmemory = 32\nvcpus = 1\n\
             on_poweroff = \"preserve\"\non_reboot = \"preserve\"\non_watchdog = \"preserve\"\n\
             on_crash = \"preserve\"\non_soft_reset = \"preserve\"\n# extra\n"
        );
        let plain = Case::new("hello", DomuType::Pvh, PathBuf::from("/t/hello"));
        let c = xl_config(&plain, "guests/hello");
        assert!(
            c.contains("type = \"pvh\"\n") && !c.contains("cmdline"),
            "{c}"
        );
        assert_eq!(plain.expect, Reason::Poweroff);
        assert_eq!(plain.timeout, Duration::from_secs(30));
    }

    #[test]
    fn dom0_env_for_init() {
        let assets = Assets {
            arch: crate::target::Arch::Aarch64,
            release: &super::super::release::XEN_4_17,
            dir: "/t".into(),
            log_dir: "/t/logs".into(),
            tree: "/t/tree".into(),
            xen: "/t/xen".into(),
            kernel: "/t/Image".into(),
            kernel_release: "6.1.0-57-arm64".into(),
            versions: String::new(),
        };
        assert_eq!(
            dom0_env(&assets, &["xen-privcmd", "xenfs"], true),
            "TOOLS=/usr/lib/xen-4.17/bin\n\
             LD_LIBRARY_PATH=/lib/aarch64-linux-gnu:/usr/lib/aarch64-linux-gnu\n\
             MODULES=\"xen-privcmd xenfs\"\nLIVE=1\n"
        );
        // init reads what the runner writes.
        for key in ["TOOLS", "LD_LIBRARY_PATH", "MODULES", "LIVE"] {
            assert!(INIT.contains(key), "init never uses {key}");
        }
        for file in ["xl.cfg", "timeout", "expect", "dom0.sh", "/cases/list"] {
            assert!(INIT.contains(file), "init never reads {file}");
        }
    }

    #[test]
    fn cases_are_checked_before_anything_is_built() {
        let hello = |t| Case::new("hello", t, PathBuf::from("/t/hello"));
        assert!(check_cases(&[hello(DomuType::Pvh), hello(DomuType::Pv)]).is_ok());
        let twice = check_cases(&[hello(DomuType::Pv), hello(DomuType::Pv)]);
        assert!(twice.unwrap_err().contains("hello-pv"));
        let bad = Case {
            cmdline: vec!["say=\"hi\"".into()],
            ..hello(DomuType::Pvh)
        };
        assert!(check_cases(&[bad]).unwrap_err().contains("quotes"));
    }

    #[test]
    fn guest_names_are_unique() {
        let mut taken = BTreeMap::new();
        taken.insert(PathBuf::from("/a/hello"), "guests/hello".to_string());
        assert_eq!(guest_path(&taken, Path::new("/b/hello")), "guests/hello-2");
        assert_eq!(guest_path(&taken, Path::new("/b/other")), "guests/other");
    }

    #[test]
    fn links_are_followed_inside_the_tree() {
        let tree = std::env::temp_dir().join(format!("dom0-walk-{}", std::process::id()));
        let _ = fs::remove_dir_all(&tree);
        fs::create_dir_all(tree.join("lib/x86_64-linux-gnu")).unwrap();
        fs::create_dir_all(tree.join("lib64")).unwrap();
        fs::write(tree.join("lib/x86_64-linux-gnu/ld.so.2"), b"ld").unwrap();
        fs::write(tree.join("lib/x86_64-linux-gnu/libz.so.1.2"), b"z").unwrap();
        // An absolute link means the tree's root, a relative one its dir.
        std::os::unix::fs::symlink("/lib/x86_64-linux-gnu/ld.so.2", tree.join("lib64/ld.so.2"))
            .unwrap();
        std::os::unix::fs::symlink("libz.so.1.2", tree.join("lib/x86_64-linux-gnu/libz.so.1"))
            .unwrap();
        let mut a = Archive::default();
        add_tree_path(&mut a, &tree, "/lib64/ld.so.2").unwrap();
        add_tree_path(&mut a, &tree, "lib/x86_64-linux-gnu/libz.so.1").unwrap();
        assert!(a.contains("lib64/ld.so.2") && a.contains("lib/x86_64-linux-gnu/ld.so.2"));
        assert!(a.contains("lib/x86_64-linux-gnu/libz.so.1.2"));
        assert!(resolve(&tree, "lib/nosuch").is_none());
        assert!(add_tree_path(&mut a, &tree, "nosuch").is_err());
        fs::remove_dir_all(&tree).unwrap();
    }

    #[test]
    fn elf_deps_of_a_host_binary() {
        // This test binary itself: dynamically linked against libc.
        let me = fs::read(std::env::current_exe().unwrap()).unwrap();
        let deps = elf_deps(&me).unwrap().unwrap();
        assert!(
            deps.needed.iter().any(|n| n.starts_with("libc.so")),
            "{deps:?}"
        );
        assert!(deps.interp.is_some_and(|i| i.contains("ld-linux")));
        assert_eq!(elf_deps(b"#!/bin/sh\n").unwrap(), None);
    }

    #[test]
    fn strip_debug_keeps_the_segments() {
        let me = fs::read(std::env::current_exe().unwrap()).unwrap();
        let stripped = strip_debug(&me).unwrap();
        assert!(stripped.len() < me.len());
        // Every program header's addresses, sizes and flags; the bytes of
        // each PT_LOAD segment past the ELF and program headers (which
        // the first one holds, and which change).
        let segments = |d: &[u8]| {
            let h = elf::FileHeader64::<Endianness>::parse(d).unwrap();
            let en = h.endian().unwrap();
            let headers =
                h.e_phoff(en) as usize + h.e_phnum(en) as usize * h.e_phentsize(en) as usize;
            h.program_headers(en, d)
                .unwrap()
                .iter()
                .map(|p| {
                    let skip = headers.saturating_sub(p.p_offset(en) as usize);
                    let data = if p.p_type(en) == elf::PT_LOAD {
                        p.data(en, d).unwrap().get(skip..).unwrap_or(&[]).to_vec()
                    } else {
                        vec![]
                    };
                    let fields = (
                        p.p_type(en),
                        p.p_vaddr(en),
                        p.p_paddr(en),
                        p.p_memsz(en),
                        p.p_filesz(en),
                        p.p_flags(en),
                    );
                    (fields, data)
                })
                .collect::<Vec<_>>()
        };
        let (before, after) = (segments(&me), segments(&stripped));
        assert_eq!(before.len(), after.len());
        for (b, a) in before.iter().zip(&after) {
            assert_eq!(b.0, a.0);
            assert!(b.1 == a.1, "segment {:x?} changed", b.0);
        }
        assert_eq!(strip_debug(b"ARM\x64 image").unwrap(), b"ARM\x64 image");
    }
}
