//! How a guest ended, read as its user means it: QEMU's exit status from
//! the debug-exit device (x86 `isa-debug-exit`, Arm semihosting) is the
//! fast path; a guest that shuts itself down through Xen
//! (`SCHEDOP_shutdown`) is judged by the line Xen prints for dom0, since
//! x86 Xen then halts (QEMU never exits) and Arm Xen powers the machine
//! off through PSCI (QEMU exits 0 for poweroff, crash and panic alike).

use crate::protocol::{Ending, EXIT_FAIL, EXIT_PASS};

/// A `SCHEDOP_shutdown` reason (public/sched.h `SHUTDOWN_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    Poweroff,
    Reboot,
    Suspend,
    Crash,
    Watchdog,
    SoftReset,
    /// A number Xen does not name.
    Other(u32),
}

impl Reason {
    /// The reason's number in `SHUTDOWN_*`.
    pub fn from_code(code: u32) -> Reason {
        match code {
            0 => Reason::Poweroff,
            1 => Reason::Reboot,
            2 => Reason::Suspend,
            3 => Reason::Crash,
            4 => Reason::Watchdog,
            5 => Reason::SoftReset,
            n => Reason::Other(n),
        }
    }

    /// The name a guest passes it by (`ShutdownReason::POWEROFF` ...).
    pub fn name(self) -> String {
        match self {
            Reason::Poweroff => "poweroff".into(),
            Reason::Reboot => "reboot".into(),
            Reason::Suspend => "suspend".into(),
            Reason::Crash => "crash".into(),
            Reason::Watchdog => "watchdog".into(),
            Reason::SoftReset => "soft_reset".into(),
            Reason::Other(n) => format!("reason {n}"),
        }
    }
}

/// Xen 4.17's line for dom0 shutting down with each reason it names
/// (`hwdom_shutdown`; soft reset from `domain_soft_reset`), as seen here.
/// The more specific text first: "watchdog rebooting" also contains
/// "rebooting".
pub const XEN_LINES: [(&str, Reason); 5] = [
    ("Hardware Dom0 halted", Reason::Poweroff),
    ("Hardware Dom0 crashed", Reason::Crash),
    (
        "Hardware Dom0 shutdown: watchdog rebooting machine",
        Reason::Watchdog,
    ),
    ("Hardware Dom0 shutdown: rebooting machine", Reason::Reboot),
    ("did unsupported soft reset", Reason::SoftReset),
];

/// What Xen prints for a reason it has no line for (suspend on 4.17).
const UNKNOWN_REASON: &str = "Hardware Dom0 shutdown (unknown reason ";

/// What Xen prints when it panics.
const XEN_PANIC: &str = "Panic on CPU";

/// Whether Xen printed this console line (`(XEN) ...`), not the guest:
/// a guest's own text cannot end its boot or make it pass.
fn from_xen(line: &str) -> bool {
    line.trim_start().starts_with("(XEN)")
}

/// The shutdown Xen reported for dom0 in this console line, if any.
pub fn reason_in_line(line: &str) -> Option<Reason> {
    if !from_xen(line) {
        return None;
    }
    if let Some(&(_, reason)) = XEN_LINES.iter().find(|(text, _)| line.contains(text)) {
        return Some(reason);
    }
    let at = line.find(UNKNOWN_REASON)? + UNKNOWN_REASON.len();
    let digits: String = line[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits.parse().ok().map(Reason::from_code)
}

/// The first dom0 shutdown Xen reported in `log`.
pub fn reported_reason(log: &str) -> Option<Reason> {
    log.lines().find_map(reason_in_line)
}

/// Whether the boot has ended as far as the guest is concerned: Xen
/// reported dom0's shutdown or panicked (QEMU may run on: x86 Xen halts).
pub fn ended(log: &str) -> bool {
    log.lines()
        .any(|l| reason_in_line(l).is_some() || (from_xen(l) && l.contains(XEN_PANIC)))
}

/// How the guest ended: `Ok` with how it passed, or `Err` with why it
/// failed. Success is QEMU's pass status, or dom0 powering off through
/// `SCHEDOP_shutdown(poweroff)`; `crash` and every other reason fail, by
/// name.
pub fn judge(ending: Ending, log: &str) -> Result<String, String> {
    match ending {
        Ending::Exited(EXIT_PASS) => {
            return Ok(format!(
                "the guest reported success (QEMU exited {EXIT_PASS})"
            ))
        }
        Ending::Exited(EXIT_FAIL) => {
            return Err(format!(
                "the guest reported failure (QEMU exited {EXIT_FAIL})"
            ))
        }
        _ => {}
    }
    if let Some(line) = log.lines().find(|l| from_xen(l) && l.contains(XEN_PANIC)) {
        return Err(format!("Xen panicked: \"{}\"", line.trim()));
    }
    let Some(line) = log.lines().find(|l| reason_in_line(l).is_some()) else {
        return Err(match ending {
            Ending::Exited(0) => "QEMU exited 0 and Xen reported no dom0 shutdown: \
                                  Xen rebooted or powered off by itself"
                .into(),
            other => other.to_string(),
        });
    };
    let reason = reason_in_line(line).expect("found above");
    let xen = line.trim().trim_start_matches("(XEN)").trim();
    match reason {
        Reason::Poweroff => Ok(format!(
            "dom0 powered off: SCHEDOP_shutdown(poweroff) (Xen: \"{xen}\")"
        )),
        Reason::Crash => Err(format!(
            "dom0 crashed: SCHEDOP_shutdown(crash) (Xen: \"{xen}\")"
        )),
        other => Err(format!(
            "dom0 shut down with reason {}, not poweroff: SCHEDOP_shutdown({}) (Xen: \"{xen}\")",
            other.name(),
            other.name()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BOOT: &str = "(XEN) Xen version 4.17.7\n(XEN) Freed 640kB init memory\nhello: goodbye\n";

    fn with(line: &str) -> String {
        format!("{BOOT}{line}\n")
    }

    #[test]
    fn the_exit_device_is_the_fast_path() {
        assert!(judge(Ending::Exited(EXIT_PASS), BOOT).is_ok());
        let why = judge(Ending::Exited(EXIT_FAIL), BOOT).unwrap_err();
        assert!(why.contains("reported failure"), "{why}");
        // The status wins over a line a guest could print itself.
        assert!(judge(
            Ending::Exited(EXIT_FAIL),
            &with("(XEN) Hardware Dom0 halted")
        )
        .is_err());
    }

    #[test]
    fn poweroff_passes_on_x86_and_arm() {
        let log = with("(XEN) Hardware Dom0 halted: halting machine");
        // x86: Xen halts, the runner stops QEMU; Arm: QEMU exits 0.
        for ending in [Ending::Stopped, Ending::Exited(0)] {
            let how = judge(ending, &log).unwrap();
            assert!(how.contains("SCHEDOP_shutdown(poweroff)"), "{how}");
        }
    }

    #[test]
    fn crash_fails_and_every_other_reason_is_named() {
        let crash = with("(XEN) Hardware Dom0 crashed: rebooting machine in 5 seconds.");
        let why = judge(Ending::Exited(0), &crash).unwrap_err();
        assert!(
            why.starts_with("dom0 crashed: SCHEDOP_shutdown(crash)"),
            "{why}"
        );
        for (line, name) in [
            ("(XEN) Hardware Dom0 shutdown: rebooting machine", "reboot"),
            ("(XEN) Hardware Dom0 shutdown (unknown reason 2)", "suspend"),
            (
                "(XEN) Hardware Dom0 shutdown: watchdog rebooting machine",
                "watchdog",
            ),
            (
                "(XEN) Hardware domain 0 did unsupported soft reset, rebooting.",
                "soft_reset",
            ),
            (
                "(XEN) Hardware Dom0 shutdown (unknown reason 9)",
                "reason 9",
            ),
        ] {
            let why = judge(Ending::Stopped, &with(line)).unwrap_err();
            assert!(
                why.contains(&format!("reason {name},")) || why.contains(name),
                "{why}"
            );
            assert!(why.contains("not poweroff"), "{why}");
            assert_eq!(
                reported_reason(&with(line)).map(|r| r.name()),
                Some(name.to_string())
            );
        }
    }

    #[test]
    fn only_xens_own_lines_count() {
        // A guest printing Xen's words (then hanging) does not pass.
        let log = with("hello: (XEN) is what Xen prints: Hardware Dom0 halted");
        assert_eq!(reported_reason(&log), None);
        assert!(!ended(&log));
        assert!(judge(Ending::TimedOut, &log).is_err());
        assert!(!ended(&with("guest: Panic on CPU 0 is Xen's line")));
    }

    #[test]
    fn no_line_fails_with_the_ending() {
        let why = judge(Ending::Exited(0), BOOT).unwrap_err();
        assert!(why.contains("no dom0 shutdown"), "{why}");
        let why = judge(Ending::TimedOut, BOOT).unwrap_err();
        assert!(why.contains("timed out"), "{why}");
        assert!(!ended(BOOT));
    }

    #[test]
    fn a_xen_panic_fails() {
        let log = with("(XEN) Panic on CPU 0:\n(XEN) Could not set up DOM0 guest OS (rc = -22)");
        assert!(ended(&log));
        let why = judge(Ending::Exited(0), &log).unwrap_err();
        assert!(why.starts_with("Xen panicked"), "{why}");
    }
}
