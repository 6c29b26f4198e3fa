//! Reading a guest's console log: the `xencall-test:` protocol and the
//! verdict of one boot.
//!
//! ```text
//! xencall-test: plan 3
//! xencall-test: info backend=vmmcall
//! xencall-test: detect_xen ... ok
//! xencall-test: call5 ... FAILED: src/main.rs:40: expected 5, got 4
//! xencall-test: grant_copy ... skipped: not offered in PV mode
//! xencall-test: done passed=1 failed=1 skipped=1
//! ```
//!
//! Xen may prefix a line (`(d0) `, `(XEN) `), so markers are found anywhere
//! in a line. `info` lines carry `key=value` facts about the run (the
//! runtime prints the hypercall backend in use, which the runner compares
//! with the mode it booted).

const MARKER: &str = "xencall-test: ";

/// The failure message of planned cases that never reported.
pub const MISSING: &str = "guest stopped before reporting: crashed or hung";

/// QEMU's exit status when the guest reported success (x86 debug-exit byte
/// 0x10, aarch64 semihosting exit code 33).
pub const EXIT_PASS: i32 = 33;
/// QEMU's exit status when the guest reported failure (byte 0x11, code 35).
pub const EXIT_FAIL: i32 = 35;

/// One case's result.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Failed(String),
    Skipped(String),
}

/// The `done` line's counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Done {
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
}

/// What the guest printed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Report {
    pub plan: Option<usize>,
    pub cases: Vec<(String, Outcome)>,
    pub done: Option<Done>,
    /// `info` facts, in report order (a later value for a key is kept
    /// beside the earlier one: [`Report::info`] gives the first).
    pub info: Vec<(String, String)>,
}

impl Report {
    /// The first value an `info` line gave `key`.
    pub fn info(&self, key: &str) -> Option<&str> {
        self.info
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Parse the protocol lines out of a whole console log.
pub fn parse(log: &str) -> Report {
    let mut report = Report::default();
    for line in log.lines() {
        let line = line.trim_end_matches('\r');
        let Some(at) = line.find(MARKER) else {
            continue;
        };
        let rest = line[at + MARKER.len()..].trim_end();
        if let Some(n) = rest.strip_prefix("plan ") {
            if let Ok(n) = n.trim().parse() {
                report.plan = Some(n);
            }
        } else if let Some(counts) = rest.strip_prefix("done ") {
            report.done = parse_done(counts);
        } else if let Some(facts) = rest.strip_prefix("info ") {
            report.info.extend(
                facts
                    .split_whitespace()
                    .filter_map(|kv| kv.split_once('='))
                    .map(|(k, v)| (k.to_string(), v.to_string())),
            );
        } else if let Some((name, result)) = rest.split_once(" ... ") {
            let outcome = if result == "ok" {
                Outcome::Ok
            } else if let Some(m) = result.strip_prefix("FAILED") {
                Outcome::Failed(m.trim_start_matches(':').trim().to_string())
            } else if let Some(m) = result.strip_prefix("skipped") {
                Outcome::Skipped(m.trim_start_matches(':').trim().to_string())
            } else {
                continue;
            };
            let name = name.trim().to_string();
            // One line per case; a crash report after an earlier line for
            // the same case replaces it.
            match report.cases.iter_mut().find(|(n, _)| *n == name) {
                Some(slot) => slot.1 = outcome,
                None => report.cases.push((name, outcome)),
            }
        }
    }
    report
}

fn parse_done(counts: &str) -> Option<Done> {
    let mut done = Done {
        passed: 0,
        failed: 0,
        skipped: 0,
    };
    let mut seen = 0;
    for field in counts.split_whitespace() {
        let (key, value) = field.split_once('=')?;
        let value: usize = value.parse().ok()?;
        match key {
            "passed" => done.passed = value,
            "failed" => done.failed = value,
            "skipped" => done.skipped = value,
            _ => continue,
        }
        seen += 1;
    }
    (seen == 3).then_some(done)
}

/// How the QEMU process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// It exited with this status.
    Exited(i32),
    /// Killed by a signal (not by us).
    Signalled,
    /// Killed by the runner after the boot timeout.
    TimedOut,
    /// Killed by the runner once the awaited console line appeared.
    Stopped,
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Exited(EXIT_PASS) => write!(f, "QEMU exited {EXIT_PASS} (guest reported pass)"),
            Ending::Exited(EXIT_FAIL) => write!(f, "QEMU exited {EXIT_FAIL} (guest reported failure)"),
            Ending::Exited(0) => write!(
                f,
                "QEMU exited 0: Xen rebooted or powered off (dom0 crash, Xen panic or no exit device)"
            ),
            Ending::Exited(n) => write!(f, "QEMU exited {n} (QEMU error?)"),
            Ending::Signalled => write!(f, "QEMU was killed by a signal"),
            Ending::TimedOut => write!(f, "timed out: QEMU killed"),
            Ending::Stopped => write!(f, "stopped by the runner after the awaited line"),
        }
    }
}

/// The verdict of one boot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// Every case, in report order, then the planned cases that never
    /// reported (named `#k`, their names are unknown) as failures.
    pub cases: Vec<(String, Outcome)>,
    /// Why the boot failed (empty when it passed).
    pub problems: Vec<String>,
}

impl Verdict {
    pub fn passed(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The suite's rule for how its guests end: QEMU exited [`EXIT_PASS`]
/// (they all exit through the debug-exit device), or why not.
pub fn exited_pass(ending: Ending) -> Result<(), String> {
    if ending == Ending::Exited(EXIT_PASS) {
        Ok(())
    } else {
        Err(ending.to_string())
    }
}

/// A boot passes only if QEMU exited [`EXIT_PASS`], every planned case
/// reported without failing, no more cases reported than planned, and
/// `done` was seen with the counts of the result lines.
pub fn judge(report: &Report, ending: Ending) -> Verdict {
    judge_ended(report, exited_pass(ending))
}

/// As [`judge`], with the guest's end already judged: `end` is `Ok` if
/// the guest ended as a passing guest ends, else why not.
pub fn judge_ended(report: &Report, end: Result<(), String>) -> Verdict {
    let mut cases = report.cases.clone();
    let mut problems = Vec::new();
    let failed = cases
        .iter()
        .filter(|(_, o)| matches!(o, Outcome::Failed(_)))
        .count();
    if failed > 0 {
        problems.push(format!("{failed} case(s) failed"));
    }
    match report.plan {
        None => {
            problems.push("no `xencall-test: plan` line: the guest never started its tests".into())
        }
        Some(plan) if cases.len() < plan => {
            let missing = plan - cases.len();
            for k in cases.len()..plan {
                cases.push((format!("#{}", k + 1), Outcome::Failed(MISSING.into())));
            }
            problems.push(format!(
                "{missing} of {plan} planned case(s) never reported: {MISSING}"
            ));
        }
        Some(plan) if cases.len() > plan => problems.push(format!(
            "{} cases reported, {plan} planned: the guest ran cases it did not announce",
            cases.len()
        )),
        Some(_) => {}
    }
    match report.done {
        None => problems.push("no `xencall-test: done` line".into()),
        Some(done) => {
            let counted = counts(&report.cases);
            if done != counted {
                problems.push(format!(
                    "the guest's summary (passed={} failed={} skipped={}) disagrees with its \
                     result lines (passed={} failed={} skipped={})",
                    done.passed,
                    done.failed,
                    done.skipped,
                    counted.passed,
                    counted.failed,
                    counted.skipped
                ));
            }
        }
    }
    if let Err(why) = end {
        problems.push(why);
    }
    Verdict { cases, problems }
}

/// The result lines' counts, as a `done` line would give them.
fn counts(cases: &[(String, Outcome)]) -> Done {
    let mut done = Done {
        passed: 0,
        failed: 0,
        skipped: 0,
    };
    for (_, outcome) in cases {
        match outcome {
            Outcome::Ok => done.passed += 1,
            Outcome::Failed(_) => done.failed += 1,
            Outcome::Skipped(_) => done.skipped += 1,
        }
    }
    done
}

/// The last `n` lines of `log`.
pub fn tail(log: &str, n: usize) -> Vec<&str> {
    let lines: Vec<&str> = log.lines().collect();
    lines[lines.len().saturating_sub(n)..].to_vec()
}

/// `test result: ok. 5 passed; 1 failed; 2 ignored; ...` lines of
/// `cargo test` output, summed: (passed, failed, ignored, result lines).
pub fn cargo_test_counts(output: &str) -> (usize, usize, usize, usize) {
    let mut sums = (0, 0, 0, 0);
    for line in output.lines() {
        let Some(at) = line.find("test result: ") else {
            continue;
        };
        let rest = &line[at..];
        let Some((_, counts)) = rest.split_once(". ") else {
            continue;
        };
        sums.3 += 1;
        for part in counts.split(';') {
            let mut words = part.split_whitespace();
            let (Some(n), Some(what)) = (words.next(), words.next()) else {
                continue;
            };
            let Ok(n) = n.parse::<usize>() else { continue };
            match what {
                "passed" => sums.0 += n,
                "failed" => sums.1 += n,
                "ignored" => sums.2 += n,
                _ => {}
            }
        }
    }
    sums
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSING: &str = "\
(XEN) Xen version 4.17.7 (Debian 4.17.7+13-g2445b30a44-0+deb12u1)
(XEN) Freed 640kB init memory
xencall-test: plan 3
xencall-test: detect_xen ... ok
xencall-test: version ... ok
xencall-test: grant_copy ... skipped: not offered in PV mode
xencall-test: done passed=2 failed=0 skipped=1
";

    #[test]
    fn passing_log_passes() {
        let r = parse(PASSING);
        assert_eq!(r.plan, Some(3));
        assert_eq!(r.cases.len(), 3);
        assert_eq!(r.cases[0], ("detect_xen".into(), Outcome::Ok));
        assert_eq!(
            r.cases[2],
            (
                "grant_copy".into(),
                Outcome::Skipped("not offered in PV mode".into())
            )
        );
        assert_eq!(
            r.done,
            Some(Done {
                passed: 2,
                failed: 0,
                skipped: 1
            })
        );
        let v = judge(&r, Ending::Exited(EXIT_PASS));
        assert!(v.passed(), "{:?}", v.problems);
    }

    #[test]
    fn passing_log_with_wrong_exit_fails() {
        let r = parse(PASSING);
        for ending in [
            Ending::Exited(0),
            Ending::Exited(EXIT_FAIL),
            Ending::Exited(1),
            Ending::TimedOut,
            Ending::Signalled,
        ] {
            let v = judge(&r, ending);
            assert!(!v.passed(), "{ending:?}");
            assert_eq!(v.problems, vec![ending.to_string()]);
        }
    }

    #[test]
    fn prefixed_lines_and_crlf() {
        let log = "(d0) xencall-test: plan 2\r\n(XEN) (d0) xencall-test: a ... ok\r\n\
                   (d0) xencall-test: b ... FAILED: x.rs:1: expected 5, got 4\r\n\
                   (d0) xencall-test: done passed=1 failed=1 skipped=0\r\n";
        let r = parse(log);
        assert_eq!(r.plan, Some(2));
        assert_eq!(
            r.cases,
            vec![
                ("a".into(), Outcome::Ok),
                (
                    "b".into(),
                    Outcome::Failed("x.rs:1: expected 5, got 4".into())
                )
            ]
        );
        assert_eq!(r.done.map(|d| d.failed), Some(1));
    }

    #[test]
    fn failing_case_fails_the_boot() {
        let log = "xencall-test: plan 2\nxencall-test: a ... ok\n\
                   xencall-test: asserts_false ... FAILED: src/x.rs:3: expected 4, got 5\n\
                   xencall-test: done passed=1 failed=1 skipped=0\n";
        let v = judge(&parse(log), Ending::Exited(EXIT_FAIL));
        assert!(!v.passed());
        assert!(v.problems.iter().any(|p| p.contains("1 case(s) failed")));
        assert!(
            matches!(&v.cases[1], (n, Outcome::Failed(m)) if n == "asserts_false" && m.contains("expected 4"))
        );
    }

    #[test]
    fn missing_cases_fail_the_boot() {
        let log =
            "(XEN) boot\nxencall-test: plan 4\nxencall-test: a ... ok\nxencall-test: b ... ok\n";
        let v = judge(&parse(log), Ending::TimedOut);
        assert!(!v.passed());
        assert_eq!(v.cases.len(), 4);
        assert_eq!(v.cases[2], ("#3".into(), Outcome::Failed(MISSING.into())));
        assert_eq!(v.cases[3], ("#4".into(), Outcome::Failed(MISSING.into())));
        assert!(v.problems.iter().any(|p| p.contains("2 of 4 planned")));
        assert!(v
            .problems
            .iter()
            .any(|p| p.contains("no `xencall-test: done`")));
        assert!(v.problems.iter().any(|p| p.contains("timed out")));
    }

    #[test]
    fn crash_report_names_the_case() {
        let log = "xencall-test: plan 2\nxencall-test: passes ... ok\n\
                   (d0) xencall-test: faults ... FAILED: crashed: invalid opcode at 0x1234\n";
        let v = judge(&parse(log), Ending::Exited(EXIT_FAIL));
        assert!(!v.passed());
        assert!(
            matches!(&v.cases[1], (n, Outcome::Failed(m)) if n == "faults" && m.starts_with("crashed"))
        );
    }

    #[test]
    fn no_plan_fails() {
        let v = judge(&parse("(XEN) panic\n"), Ending::Exited(0));
        assert!(!v.passed());
        assert!(v.problems.iter().any(|p| p.contains("plan")));
    }

    #[test]
    fn summary_disagreeing_with_lines_fails() {
        let log = "xencall-test: plan 1\nxencall-test: a ... ok\nxencall-test: done passed=0 failed=1 skipped=0\n";
        assert!(!judge(&parse(log), Ending::Exited(EXIT_PASS)).passed());
        // Any count that differs, not only `failed`: a summary claiming a
        // pass the lines do not show, or hiding a skip.
        for done in [
            "passed=2 failed=0 skipped=0",
            "passed=1 failed=0 skipped=1",
            "passed=0 failed=0 skipped=0",
        ] {
            let log = format!(
                "xencall-test: plan 1\nxencall-test: a ... ok\nxencall-test: done {done}\n"
            );
            let v = judge(&parse(&log), Ending::Exited(EXIT_PASS));
            assert!(
                v.problems.iter().any(|p| p.contains("disagrees")),
                "{done}: {:?}",
                v.problems
            );
        }
    }

    #[test]
    fn more_reports_than_planned_fail() {
        let log = "xencall-test: plan 1\nxencall-test: a ... ok\nxencall-test: b ... ok\n\
                   xencall-test: done passed=2 failed=0 skipped=0\n";
        let v = judge(&parse(log), Ending::Exited(EXIT_PASS));
        assert_eq!(
            v.problems,
            ["2 cases reported, 1 planned: the guest ran cases it did not announce"]
        );
    }

    #[test]
    fn info_lines_are_facts_not_cases() {
        let log = "xencall-test: plan 1\n(XEN) xencall-test: info backend=vmmcall mode=pvh\n\
                   xencall-test: a ... ok\nxencall-test: info backend=page\n\
                   xencall-test: done passed=1 failed=0 skipped=0\n";
        let r = parse(log);
        assert_eq!(r.info("backend"), Some("vmmcall"));
        assert_eq!(r.info("mode"), Some("pvh"));
        assert_eq!(r.info("absent"), None);
        assert_eq!(r.cases.len(), 1);
        assert!(judge(&r, Ending::Exited(EXIT_PASS)).passed());
    }

    #[test]
    fn unrelated_lines_are_ignored() {
        let log = "hello ... ok\nxencall-test: nonsense\nxencall-test: done passed=x\n";
        assert_eq!(parse(log), Report::default());
    }

    #[test]
    fn tail_takes_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), vec!["b", "c"]);
        assert_eq!(tail("a\n", 40), vec!["a"]);
    }

    #[test]
    fn cargo_test_summary_lines() {
        let out = "running 3 tests\ntest a ... ok\n\
            test result: ok. 3 passed; 0 failed; 1 ignored; 0 measured; 0 filtered out; finished in 0.01s\n\
            test result: FAILED. 2 passed; 1 failed; 0 ignored; 0 measured; 0 filtered out; finished in 0.00s\n";
        assert_eq!(cargo_test_counts(out), (5, 1, 1, 2));
    }
}
