//! The README's support table (Xen release × mode), filled from the result
//! lines of a `cargo qemu test` run rather than by hand: every
//! `test xen-<release>::<mode>... ... ok|FAILED|ignored` line counts in its
//! release's row and its mode's column. The suite writes the table of each
//! run to `<target dir>/support-table.md`; a full run (no `--filter`)
//! compares it with the README's copy between the two markers, and
//! `--write-support-table` puts it there. A generated file plus a check was
//! chosen over editing the README on every run: a run never changes the
//! source tree unless asked, and a README that no longer matches what the
//! suite measured fails the suite.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use crate::target::XenRelease;

/// The line before the README's table.
pub const BEGIN: &str =
    "<!-- support-table: begin (written by `cargo qemu test --write-support-table`) -->";
/// The line after it.
pub const END: &str = "<!-- support-table: end -->";

/// A column of the table: how the guest ran.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Column {
    Pvh,
    PvhDirect,
    Pv,
    Arm64,
    DomuPvh,
    DomuPv,
    DomuArm64,
}

impl Column {
    pub const ALL: [Column; 7] = [
        Column::Pvh,
        Column::PvhDirect,
        Column::Pv,
        Column::Arm64,
        Column::DomuPvh,
        Column::DomuPv,
        Column::DomuArm64,
    ];

    fn heading(self) -> &'static str {
        match self {
            Column::Pvh => "dom0 x86_64 PVH",
            Column::PvhDirect => "dom0 x86_64 PVH-direct",
            Column::Pv => "dom0 x86_64 PV",
            Column::Arm64 => "dom0 arm64",
            Column::DomuPvh => "domU x86_64 PVH",
            Column::DomuPv => "domU x86_64 PV",
            Column::DomuArm64 => "domU arm64",
        }
    }
}

/// The release and column of a test named `name`, if it is a boot under
/// one of the runner's Xens (self-tests of the harness are not).
pub fn classify(name: &str) -> Option<(XenRelease, Column)> {
    let (release, rest) = name.split_once("::")?;
    let release = XenRelease::ALL
        .into_iter()
        .find(|x| x.test_name() == release)?;
    let mut parts = rest.split("::");
    let column = match (parts.next()?, parts.next()) {
        ("x86_64-pvh", _) => Column::Pvh,
        ("x86_64-pvh-direct", _) => Column::PvhDirect,
        ("x86_64-pv", _) => Column::Pv,
        ("aarch64", _) => Column::Arm64,
        ("x86_64-pv-dom0", Some("domu-pvh")) => Column::DomuPvh,
        ("x86_64-pv-dom0", Some("domu-pv")) => Column::DomuPv,
        ("aarch64-dom0", Some(d)) if d.starts_with("domu-") => Column::DomuArm64,
        _ => return None,
    };
    Some((release, column))
}

/// Results counted per cell.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Cell {
    pub passed: usize,
    pub failed: usize,
    pub ignored: usize,
}

/// The cells of one run.
#[derive(Debug, Default)]
pub struct SupportTable {
    cells: BTreeMap<(XenRelease, Column), Cell>,
}

impl SupportTable {
    /// The table of every result line in `transcript`.
    pub fn from_transcript(transcript: &str) -> SupportTable {
        let mut table = SupportTable::default();
        for line in transcript.lines() {
            let Some((name, verdict)) = line
                .strip_prefix("test ")
                .and_then(|l| l.split_once(" ... "))
            else {
                continue;
            };
            let Some(key) = classify(name) else {
                continue;
            };
            let cell = table.cells.entry(key).or_default();
            match verdict.split_whitespace().next() {
                Some("ok") => cell.passed += 1,
                Some("FAILED") => cell.failed += 1,
                Some("ignored") => cell.ignored += 1,
                _ => {}
            }
        }
        table
    }

    pub fn cell(&self, release: XenRelease, column: Column) -> Cell {
        self.cells
            .get(&(release, column))
            .copied()
            .unwrap_or_default()
    }

    /// The Markdown table (no timings: the same results give the same text).
    pub fn render(&self) -> String {
        let mut out = String::from("| Xen |");
        for c in Column::ALL {
            let _ = write!(out, " {} |", c.heading());
        }
        out.push_str("\n|---|");
        out.push_str(&"---|".repeat(Column::ALL.len()));
        out.push('\n');
        for release in XenRelease::ALL {
            let _ = write!(out, "| {} |", release.test_name());
            for column in Column::ALL {
                let c = self.cell(release, column);
                let text = match (c.passed, c.failed) {
                    (0, 0) if c.ignored == 0 => "–".to_string(),
                    (0, 0) => format!("not run: {} ignored", c.ignored),
                    (p, 0) => format!("✓ {p} passed"),
                    (p, f) => format!("✗ {f} failed, {p} passed"),
                };
                let ignored = if c.ignored > 0 && c.passed + c.failed > 0 {
                    format!(", {} ignored", c.ignored)
                } else {
                    String::new()
                };
                let _ = write!(out, " {text}{ignored} |");
            }
            out.push('\n');
        }
        out
    }
}

/// The table between the markers of `readme`, if both are there.
pub fn in_readme(readme: &str) -> Option<&str> {
    let start = readme.find(BEGIN)? + BEGIN.len();
    let end = start + readme[start..].find(END)?;
    Some(readme[start..end].trim_matches('\n'))
}

/// `readme` with `table` between the markers (`None`: no markers).
pub fn replace_in_readme(readme: &str, table: &str) -> Option<String> {
    let start = readme.find(BEGIN)? + BEGIN.len();
    let end = start + readme[start..].find(END)?;
    Some(format!(
        "{}\n{}\n{}",
        &readme[..start],
        table.trim_matches('\n'),
        &readme[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_counted_in_their_release_and_mode() {
        assert_eq!(
            classify("xen-4.20::x86_64-pvh::hypercall_page"),
            Some((XenRelease::Xen4_20, Column::Pvh))
        );
        assert_eq!(
            classify("xen-4.17-debug::x86_64-pvh-direct"),
            Some((XenRelease::Xen4_17Debug, Column::PvhDirect))
        );
        assert_eq!(
            classify("xen-4.17::x86_64-pv::c-guest"),
            Some((XenRelease::Xen4_17, Column::Pv))
        );
        assert_eq!(
            classify("xen-4.20::aarch64-dom0::domu-pvh::hello"),
            Some((XenRelease::Xen4_20, Column::DomuArm64))
        );
        assert_eq!(
            classify("xen-4.17::x86_64-pv-dom0::domu-pv::hello"),
            Some((XenRelease::Xen4_17, Column::DomuPv))
        );
        // The harness's own tests, the boot without Xen, another release.
        assert_eq!(classify("xen-4.17::selftest::hang"), None);
        assert_eq!(classify("no-xen"), None);
        assert_eq!(classify("xen-4.18::x86_64-pvh"), None);
    }

    #[test]
    fn the_table_says_what_ran_and_what_failed() {
        let transcript = "test xen-4.17::x86_64-pvh ... ok (12.1 s: SCHEDOP_shutdown(poweroff))\n\
             test xen-4.17::x86_64-pvh::a ... ok\n\
             test xen-4.20::aarch64::a ... FAILED\n    why\n\
             test xen-4.20::aarch64::b ... ok\n\
             test xen-4.20::aarch64::c ... ignored (no)\n\
             test host::fmt ... ok (1.0 s)\n";
        let t = SupportTable::from_transcript(transcript);
        assert_eq!(
            t.cell(XenRelease::Xen4_17, Column::Pvh),
            Cell {
                passed: 2,
                failed: 0,
                ignored: 0
            }
        );
        let text = t.render();
        let row = |r: &str| text.lines().find(|l| l.starts_with(r)).unwrap().to_string();
        assert!(row("| xen-4.17 |").starts_with("| xen-4.17 | ✓ 2 passed | – |"));
        assert!(row("| xen-4.20 |").contains("| ✗ 1 failed, 1 passed, 1 ignored |"));
        assert_eq!(text.lines().count(), 2 + XenRelease::ALL.len());
        let only_ignored =
            SupportTable::from_transcript("test xen-4.20::aarch64 ... ignored (x)\n");
        assert!(only_ignored.render().contains("| not run: 1 ignored |"));
    }

    #[test]
    fn the_readme_copy_is_found_and_replaced_between_the_markers() {
        let readme = format!("a\n{BEGIN}\nold\n{END}\nb\n");
        assert_eq!(in_readme(&readme), Some("old"));
        let new = replace_in_readme(&readme, "| new |\n").unwrap();
        assert_eq!(new, format!("a\n{BEGIN}\n| new |\n{END}\nb\n"));
        assert_eq!(in_readme("no markers"), None);
    }
}
