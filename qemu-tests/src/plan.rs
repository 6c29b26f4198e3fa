//! What each boot step of `cargo qemu test` must report, kept in the
//! runner rather than taken from the guest: the cases its guest runs, by
//! name; the cases allowed to skip in that step, with why; the hypercall
//! backend the boot must run on; and text the guest's console writes must
//! put on the console.
//!
//! The guest's own `plan N` only says how many cases it meant to run, so a
//! case deleted from a guest, or one a guest build leaves out, would shrink
//! its plan and pass unseen. Here a case that does not report fails, and so
//! does one the runner does not know: adding or removing a guest case means
//! changing this list too (both directions fail loudly, neither drifts).
//!
//! A skip is a claim ("PV has no HVM parameters"): one not listed here for
//! the step fails (a case skipping where it is implemented hides a
//! regression, e.g. `smp` on Arm if PSCI answered NOT_SUPPORTED), and a
//! listed skip whose case *passes* fails too, because the claim recorded
//! here is then false and the list must be corrected rather than left to
//! excuse a later skip.

use crate::protocol::{Outcome, Report, Verdict, MISSING};
use crate::target::{Arch, Mode};

/// A case allowed to skip in a step: its name, and words its reason must
/// contain (the guest's own wording, so a skip for another reason fails).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Skip {
    pub case: &'static str,
    pub reason: &'static str,
}

/// Text a case writes to Xen's console through the hypercall it tests;
/// the runner must find it on the console before the case's result line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConsoleWrite {
    pub case: &'static str,
    pub text: &'static str,
}

/// What one step must report.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Plan {
    /// Every case, in the guest's order.
    pub cases: &'static [&'static str],
    /// The cases that may (and must) skip here.
    pub skips: Vec<Skip>,
    /// The `info backend=` the guest must report, where it reports one.
    pub backend: Option<&'static str>,
    /// Console writes the runner checks on the console.
    pub console: &'static [ConsoleWrite],
}

/// `examples/boot-tests.rs`, in its order.
const BOOT_TESTS: &[&str] = &[
    "xen_detected",
    "hypercall_page_installed",
    "direct_mode",
    "call0_reaches_xen",
    "call1_to_call5_reach_xen",
    "call3_console_write",
    "call5_argument_positions",
    "typed_buffer_argument",
    "raw_buffer_argument",
    "freed_pages_come_back_zeroed",
    "bounce_out",
    "unknown_op_is_enosys",
    "invalid_subcommand_is_refused",
    "bad_pointer_is_efault",
    "wrong_sysctl_version_is_eacces",
    "buffer_misuse_is_refused",
    "boot_info",
    "family_xen_version",
    "family_console_io",
    "family_sched_op",
    "pv_block_without_an_event_callback_is_refused",
    "event_channel_round_trip",
    "grant_table_copy_to_self",
    "multicall_per_entry_results",
    "family_vcpu_op",
    "family_hvm_op",
    "family_physdev_op",
    "sysctl_physinfo_and_readconsole",
    "domctl_and_domain_list",
    "family_memory_op",
    "shared_info_pending_bit",
    "sched_block_sleeps_until_a_timer_event",
    "block_returns_for_an_event_already_pending",
    "memory_give_back_and_repopulate",
    "memory_increase_reservation",
    "frames_are_bounded_and_vouched_for",
    "map_xen_page_grant_frame",
];

const BOOT_TESTS_CONSOLE: &[ConsoleWrite] = &[
    ConsoleWrite {
        case: "call3_console_write",
        text: "boot-tests: written by a 3-argument console_io call",
    },
    ConsoleWrite {
        case: "family_console_io",
        text: "boot-tests: console_write through a bounce buffer",
    },
];

/// `examples/c-guest/main.rs` (the C tests in `guest.c`).
const C_GUEST: &[&str] = &["c_open_close", "c_version", "c_buffers", "c_errors"];

const C_GUEST_CONSOLE: &[ConsoleWrite] = &[ConsoleWrite {
    case: "c_buffers",
    text: "c-guest: hello from C through xencall",
}];

/// `examples/drop-in-guest/guest.c`.
const DROP_IN_GUEST: &[&str] = &["open", "xen_version", "buffers", "open_and_close_another"];

/// `examples/smp-tests.rs`.
const SMP_TESTS: &[&str] = &[
    "second_vcpu_allocates_and_calls_concurrently",
    "a_vcpu_the_domain_lacks_is_refused",
];

/// `examples/harness-selftest.rs`.
const HARNESS_SELFTEST: &[&str] = &[
    "passes",
    "asserts_false",
    "faults",
    "bad_memory_access",
    "faults_while_printing",
    "overflows_the_stack",
    "hangs",
];

/// The harness-selftest case each `xencall-selftest=` value sets off.
const SELFTEST_CASES: &[(&str, &str)] = &[
    ("fail", "asserts_false"),
    ("fault", "faults"),
    ("badaccess", "bad_memory_access"),
    ("faultinprint", "faults_while_printing"),
    ("stackoverflow", "overflows_the_stack"),
    ("hang", "hangs"),
];

/// The backend a boot runs on, as the runtime names it: the hypercall
/// page by default; with `xencall-hypercall=direct` on PVH, `vmmcall`,
/// because the runner boots PVH on `-cpu qemu64,+svm,+npt`, an AMD vendor
/// (Intel's `vmx` is not emulated by QEMU's TCG); `hvc` on Arm.
fn backend(arch: Arch, mode: Mode, direct: bool) -> &'static str {
    match (arch, mode, direct) {
        (Arch::Aarch64, _, _) => "hvc",
        (Arch::X86_64, Mode::Pvh, true) => "vmmcall",
        (Arch::X86_64, _, _) => "page",
    }
}

/// The plan of a step booting `example` in `arch`/`mode` with `cmdline`,
/// or `None` for a guest that speaks no test protocol.
pub fn for_step(example: &str, arch: Arch, mode: Mode, cmdline: &[String]) -> Option<Plan> {
    let option = |key: &str| {
        cmdline
            .iter()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('='))
    };
    let direct = option("xencall-hypercall") == Some("direct");
    let backend = Some(backend(arch, mode, direct));
    let skip = |case, reason| Skip { case, reason };
    let pv = arch == Arch::X86_64 && mode == Mode::Pv;
    let arm = arch == Arch::Aarch64;
    Some(match example {
        "boot-tests" => {
            let mut skips = Vec::new();
            if arm {
                skips.push(skip(
                    "hypercall_page_installed",
                    "Arm has no hypercall page",
                ));
                skips.push(skip(
                    "family_vcpu_op",
                    "Arm's vcpu_op has only the registration commands",
                ));
            } else if direct {
                skips.push(skip(
                    "hypercall_page_installed",
                    "this boot uses direct hypercalls",
                ));
            }
            if pv {
                skips.push(skip("direct_mode", "PV guests trap with syscall"));
                skips.push(skip(
                    "family_hvm_op",
                    "HVM parameters exist for PVH and Arm",
                ));
            } else {
                skips.push(skip(
                    "pv_block_without_an_event_callback_is_refused",
                    "only PV guests take events at a callback address",
                ));
                skips.push(skip(
                    "family_physdev_op",
                    "PHYSDEVOP_set_iopl is for PV guests",
                ));
            }
            Plan {
                cases: BOOT_TESTS,
                skips,
                backend,
                console: BOOT_TESTS_CONSOLE,
            }
        }
        "c-guest" => Plan {
            cases: C_GUEST,
            skips: vec![],
            backend,
            console: C_GUEST_CONSOLE,
        },
        // The library alone, no runtime: it prints no `info` line (C has
        // no call that names the backend).
        "drop-in-guest" => Plan {
            cases: DROP_IN_GUEST,
            skips: vec![],
            backend: None,
            console: &[],
        },
        // Every mode starts vCPUs: no skip is expected anywhere.
        "smp-tests" => Plan {
            cases: SMP_TESTS,
            skips: vec![],
            backend,
            console: &[],
        },
        "harness-selftest" => {
            let asked = option("xencall-selftest");
            let skips = SELFTEST_CASES
                .iter()
                .filter(|(what, _)| Some(*what) != asked)
                .map(|&(_, case)| skip(case, "not given"))
                .collect();
            Plan {
                cases: HARNESS_SELFTEST,
                skips,
                backend,
                console: &[],
            }
        }
        _ => return None,
    })
}

/// Hold `report` (and the console `log`) to `plan`: add to `verdict` a
/// failing case for each planned case that never reported, fail each case
/// the plan does not know, each unexpected skip and each expected skip
/// that passed, a backend other than the planned one, and a console write
/// that never reached the console.
pub fn check(plan: &Plan, report: &Report, log: &str, verdict: &mut Verdict) {
    let mut problems = Vec::new();
    // The protocol's placeholders (`#k`) for unreported cases: the names
    // are known here.
    verdict.cases.retain(|(name, _)| !name.starts_with('#'));
    if report.plan.is_some_and(|n| n != plan.cases.len()) {
        problems.push(format!(
            "the guest planned {} case(s); the runner's plan has {}",
            report.plan.unwrap_or(0),
            plan.cases.len()
        ));
    }
    for &name in plan.cases {
        if !report.cases.iter().any(|(n, _)| n == name) {
            verdict
                .cases
                .push((name.to_string(), Outcome::Failed(MISSING.into())));
            problems.push(format!("case {name} never reported"));
        }
    }
    for (name, outcome) in verdict.cases.iter_mut() {
        if !plan.cases.contains(&name.as_str()) {
            problems.push(format!("case {name} is not in the runner's plan"));
            *outcome = Outcome::Failed(format!(
                "not in the runner's plan for this step (qemu-tests/src/plan.rs); it reported: {}",
                describe(outcome)
            ));
            continue;
        }
        let expected = plan.skips.iter().find(|s| s.case == name);
        match (&*outcome, expected) {
            (Outcome::Skipped(reason), Some(s)) if reason.contains(s.reason) => {}
            (Outcome::Skipped(reason), _) => {
                problems.push(format!("case {name} skipped unexpectedly"));
                *outcome = Outcome::Failed(format!(
                    "skipped where the runner expects it to run: {reason}"
                ));
            }
            (Outcome::Ok, Some(s)) => {
                problems.push(format!("case {name} passed where it should skip"));
                *outcome = Outcome::Failed(format!(
                    "passed, but the runner's plan says it skips here (\"{}\"): \
                     correct qemu-tests/src/plan.rs",
                    s.reason
                ));
            }
            _ => {}
        }
    }
    if let Some(want) = plan.backend {
        match report.info("backend") {
            Some(got) if got == want => {}
            Some(got) => problems.push(format!(
                "the guest ran on backend {got}, not {want} as this step boots it"
            )),
            None => problems.push(format!(
                "the guest reported no backend (`xencall-test: info backend=`); expected {want}"
            )),
        }
    }
    for w in plan.console {
        let result = format!("xencall-test: {} ... ", w.case);
        let written = log.find(w.text);
        let reported = log.find(&result);
        if reported.is_some() && written.is_none_or(|at| Some(at) > reported) {
            problems.push(format!(
                "case {}: {:?} never appeared on the console before its result",
                w.case, w.text
            ));
            if let Some((_, outcome)) = verdict.cases.iter_mut().find(|(n, _)| n == w.case) {
                if *outcome == Outcome::Ok {
                    *outcome = Outcome::Failed(format!(
                        "its console write {:?} never reached the console",
                        w.text
                    ));
                }
            }
        }
    }
    verdict.problems.extend(problems);
}

fn describe(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Ok => "ok".into(),
        Outcome::Failed(m) => format!("FAILED: {m}"),
        Outcome::Skipped(m) => format!("skipped: {m}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::{judge, parse, Ending, EXIT_PASS};

    fn plan() -> Plan {
        Plan {
            cases: &["a", "b", "c"],
            skips: vec![Skip {
                case: "c",
                reason: "not in PV",
            }],
            backend: Some("vmmcall"),
            console: &[ConsoleWrite {
                case: "b",
                text: "b wrote this",
            }],
        }
    }

    const GOOD: &str = "xencall-test: plan 3\nxencall-test: info backend=vmmcall\n\
        xencall-test: a ... ok\nb wrote this\nxencall-test: b ... ok\n\
        xencall-test: c ... skipped: not in PV mode\n\
        xencall-test: done passed=2 failed=0 skipped=1\n";

    fn checked(log: &str) -> Verdict {
        let report = parse(log);
        let mut v = judge(&report, Ending::Exited(EXIT_PASS));
        check(&plan(), &report, log, &mut v);
        v
    }

    fn failed(v: &Verdict, case: &str) -> String {
        match v.cases.iter().find(|(n, _)| n == case) {
            Some((_, Outcome::Failed(m))) => m.clone(),
            other => panic!("{case}: {other:?}"),
        }
    }

    #[test]
    fn a_boot_as_planned_passes() {
        let v = checked(GOOD);
        assert!(v.passed(), "{:?}", v.problems);
    }

    #[test]
    fn a_vanished_case_fails_by_name() {
        // `b` deleted from the guest: its plan shrinks with it.
        let log = GOOD
            .replace("plan 3", "plan 2")
            .replace("xencall-test: b ... ok\n", "")
            .replace("passed=2", "passed=1");
        let v = checked(&log);
        assert!(!v.passed());
        assert_eq!(failed(&v, "b"), MISSING);
        assert!(v.problems.iter().any(|p| p == "case b never reported"));
        assert!(v.problems.iter().any(|p| p.contains("planned 2 case(s)")));
        // Stopped early: the protocol's `#3` placeholder becomes `c`.
        let log =
            "xencall-test: plan 3\nxencall-test: info backend=vmmcall\nxencall-test: a ... ok\n";
        let v = checked(log);
        assert!(
            v.cases.iter().all(|(n, _)| !n.starts_with('#')),
            "{:?}",
            v.cases
        );
        assert_eq!(failed(&v, "b"), MISSING);
        assert_eq!(failed(&v, "c"), MISSING);
    }

    #[test]
    fn an_unknown_case_fails() {
        let log = GOOD
            .replace("plan 3", "plan 4")
            .replace("passed=2", "passed=3")
            .replace(
                "xencall-test: done",
                "xencall-test: d ... ok\nxencall-test: done",
            );
        let v = checked(&log);
        assert!(failed(&v, "d").contains("not in the runner's plan"));
    }

    #[test]
    fn skips_must_be_the_planned_ones() {
        // `a` skipping (for any reason) fails.
        let log = GOOD
            .replace("a ... ok", "a ... skipped: EOPNOTSUPP")
            .replace("passed=2 failed=0 skipped=1", "passed=1 failed=0 skipped=2");
        let v = checked(&log);
        assert!(failed(&v, "a").contains("skipped where the runner expects it to run"));
        // `c` skipping for another reason fails.
        let v = checked(&GOOD.replace("not in PV mode", "no hypfs"));
        assert!(failed(&v, "c").contains("no hypfs"));
        // `c` passing where it should skip fails: the plan is wrong.
        let log = GOOD
            .replace("c ... skipped: not in PV mode", "c ... ok")
            .replace("passed=2 failed=0 skipped=1", "passed=3 failed=0 skipped=0");
        let v = checked(&log);
        assert!(failed(&v, "c").contains("says it skips here"));
    }

    #[test]
    fn the_backend_must_be_the_planned_one() {
        let v = checked(&GOOD.replace("backend=vmmcall", "backend=page"));
        assert!(v
            .problems
            .iter()
            .any(|p| p == "the guest ran on backend page, not vmmcall as this step boots it"));
        let v = checked(&GOOD.replace("xencall-test: info backend=vmmcall\n", ""));
        assert!(v.problems.iter().any(|p| p.contains("reported no backend")));
    }

    #[test]
    fn a_console_write_must_reach_the_console_first() {
        let v = checked(&GOOD.replace("b wrote this\n", ""));
        assert!(failed(&v, "b").contains("never reached the console"));
        // After the result line does not count.
        let log = GOOD
            .replace("b wrote this\n", "")
            .replace("xencall-test: done", "b wrote this\nxencall-test: done");
        assert!(!checked(&log).passed());
    }

    #[test]
    fn every_step_guest_has_a_plan() {
        let none: [String; 0] = [];
        for example in ["boot-tests", "c-guest", "drop-in-guest", "smp-tests"] {
            for (arch, mode) in [
                (Arch::X86_64, Mode::Pvh),
                (Arch::X86_64, Mode::Pv),
                (Arch::Aarch64, Mode::Pvh),
            ] {
                let p = for_step(example, arch, mode, &none).unwrap();
                for s in &p.skips {
                    assert!(p.cases.contains(&s.case), "{example}: {}", s.case);
                }
            }
        }
        let direct = ["xencall-hypercall=direct".to_string()];
        let p = for_step("boot-tests", Arch::X86_64, Mode::Pvh, &direct).unwrap();
        assert_eq!(p.backend, Some("vmmcall"));
        assert!(p.skips.iter().any(|s| s.case == "hypercall_page_installed"));
        let fail = ["xencall-selftest=fail".to_string()];
        let p = for_step("harness-selftest", Arch::X86_64, Mode::Pvh, &fail).unwrap();
        assert!(!p.skips.iter().any(|s| s.case == "asserts_false"));
        assert_eq!(p.skips.len(), SELFTEST_CASES.len() - 1);
        assert_eq!(for_step("hello", Arch::X86_64, Mode::Pvh, &none), None);
    }
}
