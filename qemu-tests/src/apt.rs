//! A private apt for another Debian suite than the host's (trixie's Xen
//! 4.20 on a bookworm machine), or for the host suite's sources: its own
//! source list and state under `<cache>/apt/<suite>/`, so the machine's
//! apt set-up is never touched and no root is needed. Both architectures
//! (amd64, arm64) are served. The lists are refreshed once per run, and
//! only when something is to be fetched.

use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::setup::{capture, is_root, run_loud};

/// The archive the machine's own apt uses for Debian (`URIs:` of a
/// deb822 `.sources` entry, or the URI of a one-line `deb` entry, that
/// serves a suite other than `-security`), else `deb.debian.org`.
pub fn mirror() -> String {
    let mut texts = Vec::new();
    if let Ok(dir) = fs::read_dir("/etc/apt/sources.list.d") {
        for e in dir.flatten() {
            let p = e.path();
            if p.extension().is_some_and(|x| x == "sources" || x == "list") {
                texts.push(fs::read_to_string(&p).unwrap_or_default());
            }
        }
    }
    texts.push(fs::read_to_string("/etc/apt/sources.list").unwrap_or_default());
    texts
        .iter()
        .find_map(|t| mirror_in(t))
        .unwrap_or_else(|| "http://deb.debian.org/debian".into())
}

/// The first Debian (non-security) archive URI named in `text`.
pub fn mirror_in(text: &str) -> Option<String> {
    let debian = |uri: &str| uri.contains("debian") && !uri.contains("security");
    // deb822: one stanza per paragraph.
    for stanza in text.split("\n\n") {
        let field = |name: &str| {
            stanza
                .lines()
                .find_map(|l| l.strip_prefix(name).map(|v| v.trim().to_string()))
        };
        if let (Some(uris), Some(suites)) = (field("URIs:"), field("Suites:")) {
            let uri = uris.split_whitespace().next()?.to_string();
            if debian(&uri) && !suites.contains("security") {
                return Some(uri);
            }
        }
    }
    // One-line form: `deb [options] URI suite components`.
    text.lines().find_map(|l| {
        let words: Vec<&str> = l.split_whitespace().collect();
        if words.first() != Some(&"deb") {
            return None;
        }
        let rest: Vec<&str> = words[1..]
            .iter()
            .copied()
            .skip_while(|w| w.starts_with('['))
            .filter(|w| !w.ends_with(']'))
            .collect();
        let uri = rest.first()?;
        (debian(uri) && !rest.get(1)?.contains("security")).then(|| uri.to_string())
    })
}

/// The suites whose lists this run refreshed already.
static UPDATED: Mutex<Option<HashSet<PathBuf>>> = Mutex::new(None);

/// One suite's private apt.
#[derive(Clone, Debug)]
pub struct PrivateApt {
    /// `<cache>/apt/<suite>/`.
    pub dir: PathBuf,
    pub suite: String,
}

impl PrivateApt {
    /// The private apt of `suite` under `cache`, its source list written
    /// (binary packages for amd64 and arm64, and the sources).
    pub fn new(cache: &Path, suite: &str) -> Result<PrivateApt, String> {
        let dir = cache.join("apt").join(suite);
        for sub in ["lists/partial", "cache/archives/partial"] {
            let d = dir.join(sub);
            fs::create_dir_all(&d).map_err(|e| format!("create {}: {e}", d.display()))?;
        }
        let keyring = "/usr/share/keyrings/debian-archive-keyring.gpg";
        let uri = mirror();
        let list = format!(
            "deb [arch=amd64,arm64 signed-by={keyring}] {uri} {suite} main\n\
             deb-src [signed-by={keyring}] {uri} {suite} main\n"
        );
        let path = dir.join("sources.list");
        if fs::read_to_string(&path).ok().as_deref() != Some(list.as_str()) {
            fs::write(&path, list).map_err(|e| format!("write {}: {e}", path.display()))?;
        }
        Ok(PrivateApt {
            dir,
            suite: suite.into(),
        })
    }

    /// `tool` (`apt-get`, `apt-cache`) on this apt's list and state only.
    pub fn command(&self, tool: &str) -> Command {
        let d = self.dir.display();
        let mut cmd = Command::new(tool);
        for option in [
            "APT::Architectures::=amd64".to_string(),
            "APT::Architectures::=arm64".to_string(),
            format!("Dir::Etc::SourceList={d}/sources.list"),
            "Dir::Etc::SourceParts=/dev/null".to_string(),
            format!("Dir::State::Lists={d}/lists"),
            format!("Dir::Cache={d}/cache"),
        ] {
            cmd.args(["-o", &option]);
        }
        // As root, apt drops to `_apt` for downloads, who may not write
        // under the build directory.
        if is_root() {
            cmd.args(["-o", "APT::Sandbox::User=root"]);
        }
        cmd.env("DEBIAN_FRONTEND", "noninteractive");
        cmd
    }

    /// `apt-get update` of this apt, once per run.
    pub fn update_once(&self) -> Result<(), String> {
        let mut updated = UPDATED.lock().unwrap_or_else(|e| e.into_inner());
        let set = updated.get_or_insert_with(HashSet::new);
        if !set.contains(&self.dir) {
            run_loud(self.command("apt-get").args(["-q", "update"]))
                .map_err(|e| format!("{e}\n(the {} package lists)", self.suite))?;
            set.insert(self.dir.clone());
        }
        Ok(())
    }

    /// `apt-get download` of `packages` (`name` or `name:arch`) into `dir`.
    pub fn download(&self, packages: &[String], dir: &Path) -> Result<(), String> {
        self.update_once()?;
        let mut cmd = self.command("apt-get");
        cmd.args(["-q", "download"]).args(packages).current_dir(dir);
        run_loud(&mut cmd)
    }

    /// `apt-get source --download-only PACKAGE` into `dir`.
    pub fn source(&self, package: &str, dir: &Path) -> Result<(), String> {
        self.update_once()?;
        let mut cmd = self.command("apt-get");
        cmd.args(["-q", "source", "--download-only", package])
            .current_dir(dir);
        run_loud(&mut cmd)
    }

    /// `apt-cache depends PACKAGE`'s output.
    pub fn depends(&self, package: &str) -> Result<String, String> {
        self.update_once()?;
        let (ok, out) = capture(self.command("apt-cache").args(["depends", package]));
        if ok {
            Ok(out)
        } else {
            Err(format!(
                "apt-cache depends {package} ({}): {out}",
                self.suite
            ))
        }
    }
}

/// The host's Debian suite (`VERSION_CODENAME` of `/etc/os-release`).
pub fn host_suite() -> String {
    let os_release = fs::read_to_string("/etc/os-release").unwrap_or_default();
    os_release
        .lines()
        .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
        .unwrap_or("")
        .trim_matches('"')
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_machines_mirror_is_found_in_either_format() {
        let deb822 = "Types: deb\nURIs: http://deb.debian.org/debian-security\n\
                      Suites: bookworm-security\n\nTypes: deb\n\
                      URIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\n";
        assert_eq!(
            mirror_in(deb822).as_deref(),
            Some("http://mirror.example/debian")
        );
        let one_line = "deb http://security.debian.org/debian-security bookworm-security main\n\
                        deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian bookworm main\n";
        assert_eq!(
            mirror_in(one_line).as_deref(),
            Some("http://m.example/debian")
        );
        assert_eq!(
            mirror_in("deb https://packages.cloud.google.com/apt x main"),
            None
        );
    }

    #[test]
    fn the_private_apt_keeps_to_its_directory() {
        let cache = std::env::temp_dir().join(format!("cargo-xencall-apt-{}", std::process::id()));
        let apt = PrivateApt::new(&cache, "trixie").unwrap();
        let list = fs::read_to_string(apt.dir.join("sources.list")).unwrap();
        assert!(list.contains(" trixie main\n") && list.starts_with("deb [arch=amd64,arm64"));
        assert!(list.contains("deb-src "));
        let cmd = format!("{:?}", apt.command("apt-get"));
        assert!(cmd.contains("Dir::Etc::SourceParts=/dev/null"), "{cmd}");
        assert!(cmd.contains(&format!("Dir::State::Lists={}/lists", apt.dir.display())));
        let _ = fs::remove_dir_all(&cache);
    }
}
