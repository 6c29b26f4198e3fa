//! Reading what dom0's init (init.sh) printed about each domU case.
//!
//! ```text
//! @@domu hello-pvh begin
//! @@domu hello-pvh created domid=1
//! @@domu hello-pvh shutdown reason=0          (or: hung seconds=30, gone)
//! @@domu hello-pvh script rc=0
//! [hello-pvh] a line of the guest's console (xenconsoled's log)
//! [hello-pvh:dom0] a line the case's dom0 script printed
//! [hello-pvh:xl] a line of xl create's output and of xl's log
//! [hello-pvh:dmesg] a line of `xl dmesg`'s tail (when init saw trouble)
//! @@domu hello-pvh end
//! @@dom0 up | @@dom0 done | @@dom0 failed WHY
//! ```
//!
//! init only reports what happened; whether that is what a case expects
//! is decided here ([`judge`]). Kernel or Xen output may share a line with
//! init's, so markers are found anywhere in a line.

const DOMU: &str = "@@domu ";
const DOM0: &str = "@@dom0 ";

/// How a domain's run ended, as init saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum End {
    /// xl's log: `Domain N has shut down, reason code R`.
    Shutdown(i32),
    /// Still running when the case's time ran out (init destroyed it).
    Hung(u32),
    /// Gone from xenstore with no shutdown reason in xl's log.
    Gone,
}

/// Everything init printed about one domain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseLog {
    pub begun: bool,
    pub ended: bool,
    /// `xl create`'s status when it failed.
    pub create_failed: Option<i32>,
    pub domid: Option<u32>,
    pub end: Option<End>,
    /// The dom0 script's exit status, if the case has one.
    pub script_rc: Option<i32>,
    pub console: Vec<String>,
    pub script: Vec<String>,
    pub xl: Vec<String>,
    pub dmesg: Vec<String>,
}

/// dom0's own markers.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Dom0Log {
    /// The toolstack came up (xenstored, xenconsoled).
    pub up: bool,
    /// init ran every case.
    pub done: bool,
    /// init gave up: why.
    pub failed: Option<String>,
}

/// Parse the serial log for `domain`.
pub fn case_log(lines: &[&str], domain: &str) -> CaseLog {
    let mut log = CaseLog::default();
    let marker = format!("{DOMU}{domain} ");
    let console = format!("[{domain}] ");
    let script = format!("[{domain}:dom0] ");
    let xl = format!("[{domain}:xl] ");
    let dmesg = format!("[{domain}:dmesg] ");
    for line in lines {
        let line = line.trim_end_matches('\r');
        if let Some(at) = line.find(&marker) {
            let rest = line[at + marker.len()..].trim();
            let mut words = rest.split_whitespace();
            let what = words.next().unwrap_or("");
            let value = |key: &str| {
                rest.split_whitespace()
                    .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse::<i64>().ok())
            };
            match what {
                "begin" => log.begun = true,
                "end" => log.ended = true,
                "created" => log.domid = value("domid").and_then(|d| u32::try_from(d).ok()),
                "create-failed" => log.create_failed = Some(value("rc").unwrap_or(-1) as i32),
                "shutdown" => {
                    log.end = value("reason").map(|r| End::Shutdown(r as i32));
                }
                "hung" => log.end = Some(End::Hung(value("seconds").unwrap_or(0) as u32)),
                "gone" => log.end = Some(End::Gone),
                "script" => log.script_rc = value("rc").map(|r| r as i32),
                _ => {}
            }
            continue;
        }
        for (prefix, into) in [
            (&console, &mut log.console),
            (&script, &mut log.script),
            (&xl, &mut log.xl),
            (&dmesg, &mut log.dmesg),
        ] {
            if let Some(at) = line.find(prefix.as_str()) {
                into.push(line[at + prefix.len()..].to_string());
                break;
            }
        }
    }
    log
}

/// Parse dom0's own markers.
pub fn dom0_log(lines: &[&str]) -> Dom0Log {
    let mut log = Dom0Log::default();
    for line in lines {
        let Some(at) = line.find(DOM0) else { continue };
        let rest = line[at + DOM0.len()..].trim();
        match rest.split_once(' ').map_or(rest, |(w, _)| w) {
            "up" => log.up = true,
            "done" => log.done = true,
            "failed" => log.failed = Some(rest["failed".len()..].trim().to_string()),
            _ => {}
        }
    }
    log
}

/// The `check NAME ok` and `check NAME FAILED: why` lines of a dom0
/// script's output (its own and those of programs it runs), in order.
pub fn checks(script: &[String]) -> Vec<(String, Result<(), String>)> {
    let mut out = Vec::new();
    for line in script {
        let Some(rest) = line.trim_end_matches('\r').strip_prefix("check ") else {
            continue;
        };
        let Some((name, verdict)) = rest.split_once(' ') else {
            continue;
        };
        let result = if verdict == "ok" {
            Ok(())
        } else if let Some(why) = verdict.strip_prefix("FAILED") {
            Err(why.trim_start_matches(':').trim().to_string())
        } else {
            continue;
        };
        out.push((name.to_string(), result));
    }
    out
}

/// A shutdown reason, numbered as Xen's `SHUTDOWN_*` (sched.h), which is
/// also the code xl's log prints.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Poweroff = 0,
    Reboot = 1,
    Suspend = 2,
    Crash = 3,
    Watchdog = 4,
    SoftReset = 5,
}

impl Reason {
    pub const ALL: [Reason; 6] = [
        Reason::Poweroff,
        Reason::Reboot,
        Reason::Suspend,
        Reason::Crash,
        Reason::Watchdog,
        Reason::SoftReset,
    ];

    pub fn code(self) -> i32 {
        self as i32
    }

    pub fn name(self) -> &'static str {
        match self {
            Reason::Poweroff => "poweroff",
            Reason::Reboot => "reboot",
            Reason::Suspend => "suspend",
            Reason::Crash => "crash",
            Reason::Watchdog => "watchdog",
            Reason::SoftReset => "soft_reset",
        }
    }
}

/// The name of a shutdown reason code from xl's log.
pub fn reason_name(code: i32) -> String {
    Reason::ALL.iter().find(|r| r.code() == code).map_or_else(
        || format!("unknown reason {code}"),
        |r| r.name().to_string(),
    )
}

/// What is wrong with a case, given the reason it must shut down with and
/// whether it has a dom0 script; empty when it passed.
pub fn judge(log: &CaseLog, expect: Reason, has_script: bool) -> Vec<String> {
    let mut problems = Vec::new();
    if !log.begun {
        problems.push("dom0 never started this case".to_string());
        return problems;
    }
    if let Some(rc) = log.create_failed {
        problems.push(format!("xl create failed (status {rc})"));
    } else {
        match &log.end {
            Some(End::Shutdown(r)) if *r == expect.code() => {}
            Some(End::Shutdown(3)) => problems.push(format!(
                "the domain crashed (xl: reason code 3), expected {}",
                expect.name()
            )),
            Some(End::Shutdown(r)) => problems.push(format!(
                "the domain shut down with {} (xl: reason code {r}), expected {}",
                reason_name(*r),
                expect.name()
            )),
            Some(End::Hung(s)) => problems.push(format!(
                "the domain hung: still running after {s} s (destroyed)"
            )),
            Some(End::Gone) => {
                problems.push("the domain disappeared without a shutdown reason".into())
            }
            None if log.domid.is_none() => {
                problems.push("xl create never reported the domain".into())
            }
            None => problems.push("no shutdown reported for the domain".into()),
        }
        if has_script {
            match log.script_rc {
                Some(0) => {}
                Some(rc) => problems.push(format!("the dom0 script exited {rc}")),
                None => problems.push("the dom0 script's status was never reported".into()),
            }
        }
    }
    if !log.ended {
        problems.push("dom0 stopped in the middle of this case".into());
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSING: &str = "\
(XEN) Xen version 4.17.7
[    6.1] xenfs: loaded
@@dom0 up
@@domu hello-pvh begin
@@domu hello-pvh created domid=1
(XEN) d1: some Xen line
@@domu hello-pvh shutdown reason=0
[hello-pvh] hello: Xen 4.17
[hello-pvh:xl] Parsing config from /cases/hello-pvh/xl.cfg
[hello-pvh:xl] Domain 1 has shut down, reason code 0 0x0
@@domu hello-pvh end
@@domu hello-pv begin
@@domu hello-pv created domid=2
@@domu hello-pv shutdown reason=0
@@domu hello-pv script rc=0
[hello-pv:dom0] read 42
@@domu hello-pv end
@@dom0 done
";

    fn lines(s: &str) -> Vec<&str> {
        s.lines().collect()
    }

    #[test]
    fn a_passing_log() {
        let l = lines(PASSING);
        let pvh = case_log(&l, "hello-pvh");
        assert!(pvh.begun && pvh.ended);
        assert_eq!(pvh.domid, Some(1));
        assert_eq!(pvh.end, Some(End::Shutdown(0)));
        assert_eq!(pvh.console, vec!["hello: Xen 4.17"]);
        assert_eq!(pvh.xl.len(), 2);
        assert!(judge(&pvh, Reason::Poweroff, false).is_empty());
        let pv = case_log(&l, "hello-pv");
        // Another domain's lines are not this one's ("hello-pv" is a
        // prefix of "hello-pvh").
        assert!(pv.console.is_empty() && pv.xl.is_empty());
        assert_eq!(pv.script, vec!["read 42"]);
        assert!(judge(&pv, Reason::Poweroff, true).is_empty());
        // Expecting a reboot: the same log fails.
        assert!(judge(&pv, Reason::Reboot, true)[0].contains("with poweroff"));
        let d = dom0_log(&l);
        assert!(d.up && d.done && d.failed.is_none());
    }

    #[test]
    fn a_crashed_domu() {
        let log = "@@domu c-pvh begin\n@@domu c-pvh created domid=3\n\
                   @@domu c-pvh shutdown reason=3\n[c-pvh:dmesg] (XEN) d3v0 Triple fault\n\
                   @@domu c-pvh end\n";
        let c = case_log(&lines(log), "c-pvh");
        assert_eq!(c.end, Some(End::Shutdown(3)));
        assert_eq!(c.dmesg, vec!["(XEN) d3v0 Triple fault"]);
        let p = judge(&c, Reason::Poweroff, false);
        assert_eq!(p.len(), 1);
        assert!(p[0].contains("crashed"), "{p:?}");
        // A case expecting the crash passes.
        assert!(judge(&c, Reason::Crash, false).is_empty());
    }

    #[test]
    fn a_hung_domu_and_a_failed_script() {
        let log = "@@domu h-pv begin\n@@domu h-pv created domid=4\n\
                   @@domu h-pv hung seconds=30\n@@domu h-pv script rc=143\n@@domu h-pv end\n";
        let p = judge(&case_log(&lines(log), "h-pv"), Reason::Poweroff, true);
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(p[0].contains("hung") && p[0].contains("30 s"));
        assert!(p[1].contains("script exited 143"));
    }

    #[test]
    fn a_missing_case_and_an_unfinished_one() {
        let l = lines(PASSING);
        let p = judge(&case_log(&l, "nosuch-pvh"), Reason::Poweroff, false);
        assert_eq!(p, vec!["dom0 never started this case".to_string()]);
        // dom0 died after xl create: no shutdown, no end.
        let log = "@@domu x-pvh begin\n@@domu x-pvh created domid=1\n(XEN) Hardware Dom0 crashed\n";
        let p = judge(&case_log(&lines(log), "x-pvh"), Reason::Poweroff, false);
        assert!(p.iter().any(|p| p.contains("no shutdown")), "{p:?}");
        assert!(p.iter().any(|p| p.contains("middle")), "{p:?}");
    }

    #[test]
    fn dom0_checks_are_read_from_the_script_output() {
        let script: Vec<String> = [
            "typing 'typed-1' into /dev/pts/2",
            "check a ok",
            "check b FAILED: wrote 'x', read back 'y'",
            "check c maybe",
            "checking nothing",
            "check d ok\r",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(
            checks(&script),
            vec![
                ("a".to_string(), Ok(())),
                ("b".to_string(), Err("wrote 'x', read back 'y'".to_string())),
                ("d".to_string(), Ok(())),
            ]
        );
    }

    #[test]
    fn xl_create_failure_and_interleaved_output() {
        let log = "@@domu n-pvh begin\n\
                   [   9.9] xen: some kernel line@@domu n-pvh create-failed rc=3\n\
                   [n-pvh:xl] libxl: error: kernel /guests/nosuch: No such file\n@@domu n-pvh end\n\
                   @@dom0 failed xenstored did not start\n";
        let l = lines(log);
        let c = case_log(&l, "n-pvh");
        assert_eq!(c.create_failed, Some(3));
        assert_eq!(
            judge(&c, Reason::Poweroff, false),
            vec!["xl create failed (status 3)"]
        );
        assert_eq!(
            dom0_log(&l).failed.as_deref(),
            Some("xenstored did not start")
        );
    }
}
