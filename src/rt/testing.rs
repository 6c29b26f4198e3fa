//! A tiny in-guest test framework in the manner of XTF: each test is one
//! function, each prints exactly one result line, and a line that never
//! appears means the guest crashed or hung in that case.
//!
//! Output protocol (read by the `qemu-tests` runner; Xen may prefix lines):
//!
//! ```text
//! xencall-test: info backend=page
//! xencall-test: plan 3
//! xencall-test: detect_xen ... ok
//! xencall-test: call5 ... FAILED: src/main.rs:40: expected 5, got 4
//! xencall-test: grant_copy ... skipped: not offered in PV mode
//! xencall-test: done passed=1 failed=1 skipped=1
//! ```

use core::fmt::{self, Write};

use super::boot_info::BootInfo;

/// Why a test case did not pass.
///
/// A hypercall error fails the case through `?`, with the error as its
/// message.
///
/// ```
/// use xencall::rt::testing::{Failure, TestResult};
/// use xencall::rt::BootInfo;
/// use xencall::{mock::MockBackend, OpenFlags, Xencall};
///
/// fn yields(_: &BootInfo) -> TestResult {
///     let xc = Xencall::with_backend(MockBackend::new(), None, OpenFlags::empty());
///     xc.backend().set_responder(&|_, _| -38i64 as u64); // -ENOSYS
///     xc.sched_yield()?;
///     Ok(())
/// }
/// # use xencall::rt::{GuestMode, RawBootInfo};
/// # let boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
/// match yields(&boot) {
///     Err(Failure::Fail(m)) => assert_eq!(m.as_str(), "hypervisor error: ENOSYS (function not implemented)"),
///     other => panic!("expected a failure, got {other:?}"),
/// }
/// ```
#[derive(Debug)]
pub enum Failure {
    /// The case failed; the message says where and why.
    Fail(Message),
    /// The case does not apply here; the message says why.
    Skip(Message),
}

/// A failure message: one line (newlines become spaces, so a message
/// cannot forge result lines), at most [`Message::MAX`] bytes.
///
/// ```
/// use xencall::rt::testing::Message;
///
/// // Text from Xen or a device could contain a newline; it stays on one line.
/// let m = Message::new(format_args!("got {:?}\nxencall-test: x ... ok", 3));
/// assert_eq!(m.as_str(), "got 3 xencall-test: x ... ok");
/// let long = Message::new(format_args!("{}", "x".repeat(1000)));
/// assert_eq!(long.as_str().len(), Message::MAX);
/// ```
pub struct Message {
    text: alloc::string::String,
}

impl Message {
    /// Longest message kept; the rest is cut.
    pub const MAX: usize = 300;

    /// Format `args` into a message.
    ///
    /// ```
    /// use xencall::rt::testing::{Failure, Message, TestResult};
    ///
    /// // What `skip!` expands to, spelled out.
    /// fn skip_on_arm(arm: bool) -> TestResult {
    ///     if arm {
    ///         return Err(Failure::Skip(Message::new(format_args!("no {} on Arm", "PV"))));
    ///     }
    ///     Ok(())
    /// }
    /// assert!(matches!(skip_on_arm(true), Err(Failure::Skip(m)) if m.as_str() == "no PV on Arm"));
    /// ```
    pub fn new(args: fmt::Arguments<'_>) -> Message {
        let mut m = Message {
            text: alloc::string::String::new(),
        };
        let _ = m.write_fmt(args);
        m
    }

    /// The text.
    ///
    /// ```
    /// use xencall::rt::testing::Message;
    ///
    /// let m = Message::new(format_args!("expected {}, got {}", 5, 4));
    /// assert_eq!(m.as_str(), "expected 5, got 4");
    /// assert_eq!(m.to_string(), m.as_str()); // Display shows the same
    /// ```
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl Write for Message {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        for c in s.chars() {
            if self.text.len() + c.len_utf8() > Self::MAX {
                break;
            }
            self.text.push(if c == '\n' || c == '\r' { ' ' } else { c });
        }
        Ok(())
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<crate::Error> for Failure {
    fn from(e: crate::Error) -> Failure {
        Failure::Fail(Message::new(format_args!("{e}")))
    }
}

/// What a test case returns: `Ok(())` passes.
pub type TestResult = Result<(), Failure>;

/// One named test case.
///
/// ```
/// use xencall::rt::testing::{run_with, TestCase, TestResult};
/// use xencall::rt::BootInfo;
///
/// fn has_cmdline(boot: &BootInfo) -> TestResult {
///     xencall::ensure!(!boot.cmdline.is_empty(), "no command line");
///     Ok(())
/// }
/// // A guest lists its cases in the order they run.
/// let cases = [TestCase { name: "has_cmdline", run: has_cmdline }];
/// # use xencall::rt::{GuestMode, RawBootInfo};
/// # let boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
/// let mut out = String::new();
/// let summary = run_with(&mut out, &boot, &cases);
/// assert_eq!(summary.failed, 1);
/// assert!(out.contains("xencall-test: has_cmdline ... FAILED: "));
/// ```
#[derive(Clone, Copy)]
pub struct TestCase {
    /// Reported name; no spaces.
    pub name: &'static str,
    /// The test.
    pub run: fn(&BootInfo) -> TestResult,
}

/// Fail the current case unless `cond` holds.
///
/// The message names the file and line; without a format string it is the
/// condition's text.
///
/// ```
/// use xencall::rt::testing::{Failure, TestResult};
///
/// fn positive(n: i32) -> TestResult {
///     xencall::ensure!(n > 0);
///     xencall::ensure!(n < 100, "{n} is too big");
///     Ok(())
/// }
/// assert!(positive(5).is_ok());
/// let Err(Failure::Fail(m)) = positive(-1) else { panic!("-1 passed") };
/// assert!(m.as_str().ends_with(": n > 0"));
/// let Err(Failure::Fail(m)) = positive(500) else { panic!("500 passed") };
/// assert!(m.as_str().ends_with(": 500 is too big"));
/// ```
#[macro_export]
macro_rules! ensure {
    ($cond:expr) => {
        $crate::ensure!($cond, "{}", stringify!($cond))
    };
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err($crate::rt::testing::Failure::Fail($crate::rt::testing::Message::new(
                format_args!("{}:{}: {}", file!(), line!(), format_args!($($fmt)+)),
            )));
        }
    };
}

/// Fail the current case unless `left == right`.
///
/// ```
/// use xencall::rt::testing::{Failure, TestResult};
///
/// fn version_is(v: (u16, u16)) -> TestResult {
///     xencall::ensure_eq!(v, (4, 19));
///     Ok(())
/// }
/// assert!(version_is((4, 19)).is_ok());
/// // Both sides, as written and as found.
/// let Err(Failure::Fail(m)) = version_is((4, 17)) else { panic!("4.17 passed") };
/// assert!(m.as_str().ends_with("v == (4, 19): left (4, 17), right (4, 19)"));
/// ```
#[macro_export]
macro_rules! ensure_eq {
    ($left:expr, $right:expr $(,)?) => {
        match (&$left, &$right) {
            (l, r) => $crate::ensure!(
                *l == *r,
                "{} == {}: left {:?}, right {:?}",
                stringify!($left),
                stringify!($right),
                l,
                r
            ),
        }
    };
}

/// Skip the current case with a reason.
///
/// ```
/// use xencall::rt::testing::{run_with, TestCase, TestResult};
/// use xencall::rt::{BootInfo, GuestMode};
///
/// fn pv_only(boot: &BootInfo) -> TestResult {
///     if boot.guest_mode != GuestMode::Pv {
///         xencall::skip!("needs a PV guest, this is {}", boot.guest_mode);
///     }
///     Ok(())
/// }
/// # use xencall::rt::RawBootInfo;
/// # let boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
/// let mut out = String::new();
/// let s = run_with(&mut out, &boot, &[TestCase { name: "pv_only", run: pv_only }]);
/// assert_eq!((s.skipped, s.failed), (1, 0));
/// assert!(out.contains("xencall-test: pv_only ... skipped: needs a PV guest, this is PVH\n"));
/// ```
#[macro_export]
macro_rules! skip {
    ($($fmt:tt)+) => {
        return Err($crate::rt::testing::Failure::Skip($crate::rt::testing::Message::new(
            format_args!($($fmt)+),
        )))
    };
}

/// Counts of a run.
///
/// ```
/// use xencall::rt::testing::{run_with, Summary, TestCase, TestResult};
/// use xencall::rt::{BootInfo, ExitStatus};
///
/// fn passes(_: &BootInfo) -> TestResult { Ok(()) }
/// # use xencall::rt::{GuestMode, RawBootInfo};
/// # let boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
/// let cases = [TestCase { name: "a", run: passes }, TestCase { name: "b", run: passes }];
/// let summary = run_with(&mut String::new(), &boot, &cases);
/// assert_eq!(summary, Summary { passed: 2, failed: 0, skipped: 0 });
/// // As `run` decides how the guest exits.
/// let status = if summary.failed == 0 { ExitStatus::Success } else { ExitStatus::Failure };
/// assert_eq!(status, ExitStatus::Success);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed.
    pub failed: usize,
    /// Cases skipped.
    pub skipped: usize,
}

/// The case running now, for the panic and fault handlers.
static CURRENT: spin::Mutex<Option<&'static str>> = spin::Mutex::new(None);

/// Run `cases` in order, writing the protocol lines to `out`.
///
/// Guests use `run` (bare metal), which writes to the console and exits;
/// this one writes anywhere, so cases can be checked on the host.
///
/// ```
/// use xencall::rt::testing::{run_with, TestCase, TestResult};
/// use xencall::rt::BootInfo;
///
/// fn passes(_: &BootInfo) -> TestResult { Ok(()) }
/// fn fails(_: &BootInfo) -> TestResult {
///     xencall::ensure_eq!(2 + 2, 5);
///     Ok(())
/// }
/// # use xencall::rt::{GuestMode, RawBootInfo};
/// # let boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
/// let mut out = String::new();
/// let cases = [TestCase { name: "passes", run: passes }, TestCase { name: "fails", run: fails }];
/// run_with(&mut out, &boot, &cases);
/// let lines: Vec<&str> = out.lines().collect();
/// assert_eq!(lines[0], "xencall-test: plan 2");
/// assert_eq!(lines[1], "xencall-test: passes ... ok");
/// assert!(lines[2].starts_with("xencall-test: fails ... FAILED: "));
/// assert_eq!(lines[3], "xencall-test: done passed=1 failed=1 skipped=0");
/// ```
pub fn run_with(out: &mut dyn Write, boot: &BootInfo, cases: &[TestCase]) -> Summary {
    let mut summary = Summary::default();
    let _ = writeln!(out, "xencall-test: plan {}", cases.len());
    for case in cases {
        *CURRENT.lock() = Some(case.name);
        let result = (case.run)(boot);
        *CURRENT.lock() = None;
        let _ = match result {
            Ok(()) => {
                summary.passed += 1;
                writeln!(out, "xencall-test: {} ... ok", case.name)
            }
            Err(Failure::Fail(m)) => {
                summary.failed += 1;
                writeln!(out, "xencall-test: {} ... FAILED: {}", case.name, m)
            }
            Err(Failure::Skip(m)) => {
                summary.skipped += 1;
                writeln!(out, "xencall-test: {} ... skipped: {}", case.name, m)
            }
        };
    }
    let _ = writeln!(
        out,
        "xencall-test: done passed={} failed={} skipped={}",
        summary.passed, summary.failed, summary.skipped
    );
    summary
}

/// Run `cases` on the console and exit: success when none failed.
///
/// Guest-only (it exists for `target_os = "none"`, so the example builds
/// only there); this is how `examples/boot-tests.rs` runs its cases. On
/// the host, use [`run_with`].
///
/// ```no_run
/// # #[cfg(target_os = "none")]
/// # mod guest {
/// use xencall::rt::testing::{run, TestCase, TestResult};
/// use xencall::rt::BootInfo;
/// use xencall::{OpenFlags, Xencall};
///
/// xencall::entry!(guest_main);
///
/// fn guest_main(boot: &BootInfo) {
///     run(boot, &[TestCase { name: "xen_version", run: xen_version }]);
/// }
///
/// fn xen_version(_: &BootInfo) -> TestResult {
///     let xc = Xencall::open(None, OpenFlags::empty())?;
///     xencall::ensure!(xc.xen_version()?.major >= 4);
///     Ok(())
/// }
/// # }
/// ```
#[cfg(any(doc, target_os = "none"))]
pub fn run(boot: &BootInfo, cases: &[TestCase]) -> ! {
    // The mechanism every handle uses, for the runner to compare with the
    // mode it booted (a boot asked for `vmmcall` that silently used the
    // page would otherwise pass as one in page mode).
    if let Some(native) = crate::arch::registered_native() {
        crate::println!("xencall-test: info backend={}", native.name());
    }
    let summary = run_with(&mut super::console::Console, boot, cases);
    super::exit(if summary.failed == 0 {
        super::ExitStatus::Success
    } else {
        super::ExitStatus::Failure
    })
}

/// Report a crash (panic or CPU exception): as the running case's result
/// line if a case is running, so the runner names it, and as a plain line
/// otherwise.
///
/// In a guest the line goes to the console; on the host it is dropped.
///
/// ```no_run
/// // A `#[panic_handler]` for a guest that does not use the crate's
/// // (feature `panic-handler`), which does exactly this, then exits.
/// fn on_panic(info: &core::panic::PanicInfo<'_>) {
///     xencall::rt::testing::report_crash(format_args!("{info}"));
/// }
/// ```
pub fn report_crash(what: fmt::Arguments<'_>) {
    // `try_lock`: the crash may have happened with the lock held.
    let current = CURRENT.try_lock().and_then(|c| *c);
    let message = Message::new(what);
    match current {
        Some(name) => crate::rt::console::fault_println!(
            "xencall-test: {name} ... FAILED: crashed: {message}"
        ),
        None => crate::rt::console::fault_println!("xencall: crashed: {message}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rt::{GuestMode, RawBootInfo};

    fn passes(boot: &BootInfo) -> TestResult {
        crate::ensure!(boot.cmdline.is_empty());
        Ok(())
    }

    fn fails(_: &BootInfo) -> TestResult {
        crate::ensure_eq!(2 + 2, 5);
        Ok(())
    }

    fn skips(_: &BootInfo) -> TestResult {
        crate::skip!("not in {} mode", "this");
    }

    fn errs(_: &BootInfo) -> TestResult {
        Err(crate::Error::Xen(crate::abi::XenErrno::ENOSYS))?;
        Ok(())
    }

    #[test]
    fn each_case_prints_one_line_and_the_summary_counts() {
        let boot = BootInfo::new(GuestMode::Pvh, RawBootInfo::HvmStartInfo(0));
        let mut out = String::new();
        let cases = [
            TestCase {
                name: "a",
                run: passes,
            },
            TestCase {
                name: "b",
                run: fails,
            },
            TestCase {
                name: "c",
                run: skips,
            },
            TestCase {
                name: "d",
                run: errs,
            },
        ];
        let s = run_with(&mut out, &boot, &cases);
        assert_eq!(
            s,
            Summary {
                passed: 1,
                failed: 2,
                skipped: 1
            }
        );
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], "xencall-test: plan 4");
        assert_eq!(lines[1], "xencall-test: a ... ok");
        assert!(lines[2].starts_with("xencall-test: b ... FAILED: src/rt/testing.rs:"));
        assert!(lines[2].ends_with("2 + 2 == 5: left 4, right 5"));
        assert_eq!(lines[3], "xencall-test: c ... skipped: not in this mode");
        assert!(lines[4].contains("d ... FAILED: hypervisor error: ENOSYS"));
        assert_eq!(lines[5], "xencall-test: done passed=1 failed=2 skipped=1");
    }

    #[test]
    fn messages_cannot_forge_lines_and_are_bounded() {
        let m = Message::new(format_args!("a\nxencall-test: x ... ok"));
        assert!(!m.as_str().contains('\n'));
        let long = Message::new(format_args!("{}", "é".repeat(300)));
        assert!(long.as_str().len() <= Message::MAX);
    }
}
