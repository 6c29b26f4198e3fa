//! Boot to main, per mode: `hello` booted under `-icount shift=0,sleep=off`
//! with `xencall-boot-profile`, whose line of counter stamps (taken by the
//! runtime at the end of each boot phase, `src/rt/boot_profile.rs`) gives
//! the instructions from Xen's hand-off to the first line of `main`, and
//! where they go.
//!
//! Under `-icount shift=0` QEMU's virtual clock advances 1 ns per
//! instruction: the TSC counts instructions, the Arm counter (62.5 MHz)
//! one tick per 16, so Arm figures are multiples of 16. The count is what
//! the emulated CPU retires in the interval, Xen's own instructions on the
//! guest's behalf included (hypercalls, trapped CPUID/MSR/port accesses).

use std::fmt::Write as _;
use std::time::Duration;

use crate::boot::Spec;
use crate::dirs;
use crate::guests::build_guest;
use crate::setup;
use crate::target::{Arch, Mode, XenRelease};

/// The modes measured: (label, arch, mode, extra command line).
const MODES: [(&str, Arch, Mode, &[&str]); 4] = [
    ("x86_64 PVH, hypercall page", Arch::X86_64, Mode::Pvh, &[]),
    (
        "x86_64 PVH, direct vmcall/vmmcall",
        Arch::X86_64,
        Mode::Pvh,
        &["xencall-hypercall=direct"],
    ),
    ("x86_64 PV", Arch::X86_64, Mode::Pv, &[]),
    ("aarch64", Arch::Aarch64, Mode::Pvh, &[]),
];

/// The phases, in the runtime's slot order, with what each covers (it
/// ends at its stamp and starts at the one before it in time).
const PHASES: [(&str, &str); 8] = [
    ("bss", "zero `.bss`"),
    ("page_tables", "page tables"),
    ("paging", "long mode / MMU on"),
    ("relocated", "self-relocation"),
    ("boot_info", "boot info, IDT or traps"),
    ("heap", "heap"),
    ("hypercalls", "hypercall detection"),
    ("main", "memory map, to `main`"),
];

/// One `xencall-boot-profile:` line.
#[derive(Debug, PartialEq)]
pub struct Profile {
    /// Counter ticks per second (0: unknown, the TSC).
    pub hz: u64,
    /// (phase, stamp), as printed.
    pub stamps: Vec<(String, u64)>,
}

/// The profile line of a boot log.
pub fn parse(log: &str) -> Option<Profile> {
    let line = log
        .lines()
        .find_map(|l| l.split_once("xencall-boot-profile: ").map(|(_, r)| r))?;
    let mut hz = None;
    let mut stamps = Vec::new();
    for (key, value) in line.split_whitespace().filter_map(|kv| kv.split_once('=')) {
        match key {
            "counter" => {}
            "hz" => hz = value.parse().ok(),
            _ => stamps.push((key.to_string(), value.parse().ok()?)),
        }
    }
    Some(Profile { hz: hz?, stamps })
}

/// Instructions per phase, in time order, and from the hand-off (`entry`)
/// to `main`. Ticks become instructions at 1 per ns of icount time.
pub fn phases(p: &Profile) -> Option<(Vec<(String, u64)>, u64)> {
    // hz 0: the TSC, one tick per instruction.
    let ns_per_tick = 1_000_000_000u64.checked_div(p.hz).unwrap_or(1);
    let mut stamps = p.stamps.clone();
    stamps.sort_by_key(|(_, t)| *t);
    let entry = stamps.iter().find(|(n, _)| n == "entry")?.1;
    let main = stamps.iter().find(|(n, _)| n == "main")?.1;
    if stamps.first()?.0 != "entry" || stamps.last()?.0 != "main" {
        return None;
    }
    let out = stamps
        .windows(2)
        .map(|w| (w[1].0.clone(), (w[1].1 - w[0].1) * ns_per_tick))
        .collect();
    Some((out, (main - entry) * ns_per_tick))
}

/// The BENCHMARKS.md section: a table of instructions per mode and phase.
pub fn bench_section() -> String {
    let mut s = String::from(
        "Guest instructions from Xen's hand-off (the entry code's first instruction) to the \
         first line of `main`, `hello` booted with `xencall-boot-profile` under `-icount \
         shift=0,sleep=off` (`qemu-tests/src/boot_profile.rs`). The runtime stamps the TSC \
         (x86_64) or `CNTVCT_EL0` (aarch64, one tick per 16 instructions) at the end of each \
         phase (`src/rt/boot_profile.rs`); a phase runs from the previous stamp in time to its \
         own. The counts include what Xen executes on the guest's behalf (hypercalls, trapped \
         CPUID/MSR accesses). `rep stosb` counts one instruction per byte under QEMU.\n\n",
    );
    let _ = write!(s, "| mode | hand-off to `main` |");
    for (_, what) in PHASES {
        let _ = write!(s, " {what} |");
    }
    s.push_str("\n|---|---:|");
    s.push_str(&"---:|".repeat(PHASES.len()));
    s.push('\n');
    for (label, arch, mode, cmdline) in MODES {
        let measured = build_guest(arch, "hello", true).and_then(|guest| {
            let mut args: Vec<String> = cmdline.iter().map(|a| a.to_string()).collect();
            args.push("xencall-boot-profile".into());
            let spec = Spec {
                name: format!(
                    "bench-boot-profile-{}-{}{}",
                    arch.name(),
                    mode.name(),
                    if cmdline.is_empty() { "" } else { "-direct" }
                ),
                log_dir: dirs::target_dir().join("qemu-logs"),
                stop_at_shutdown: false,
                arch,
                mode,
                guest,
                cmdline: args,
                no_xen: false,
                // Under -icount Xen alone takes some 10 s to boot.
                timeout: Duration::from_secs(300),
                stream: false,
                qemu_exit: true,
                stop_on: None,
                icount: true,
                cpus: 1,
            };
            let qemu = setup::qemu(arch)?;
            let xen = setup::xen(arch, XenRelease::DEFAULT, &dirs::target_dir())?;
            let o = crate::boot::boot(&spec, &qemu, Some(&xen))?;
            parse(&o.log).as_ref().and_then(phases).ok_or_else(|| {
                format!(
                    "no usable profile line ({}; log {})",
                    o.ending,
                    o.log_path.display()
                )
            })
        });
        match measured {
            Ok((list, total)) => {
                let _ = write!(s, "| {label} | {total} |");
                for (name, _) in PHASES {
                    match list.iter().find(|(n, _)| n == name) {
                        Some((_, n)) => {
                            let _ = write!(s, " {n} |");
                        }
                        None => s.push_str(" – |"),
                    }
                }
                s.push('\n');
            }
            Err(e) => {
                let _ = writeln!(
                    s,
                    "| {label} | not measured: {e} |{}",
                    " |".repeat(PHASES.len())
                );
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_profile_line_gives_phases_in_time_order() {
        // aarch64's order: page tables and MMU before .bss.
        let log = "(XEN) x\nxencall-boot-profile: counter=cntvct hz=62500000 entry=100 bss=110 \
                   page_tables=102 paging=105 relocated=106 boot_info=120 heap=121 hypercalls=130 main=131\nhello";
        let p = parse(log).unwrap();
        assert_eq!(p.hz, 62_500_000);
        let (list, total) = phases(&p).unwrap();
        let names: Vec<&str> = list.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "page_tables",
                "paging",
                "relocated",
                "bss",
                "boot_info",
                "heap",
                "hypercalls",
                "main"
            ]
        );
        // 16 instructions per tick at 62.5 MHz.
        assert_eq!(list[0].1, 2 * 16);
        assert_eq!(total, 31 * 16);
        assert!(parse("hello: goodbye").is_none());
        // A line without its end stamp is refused, not half-read.
        let p = parse("xencall-boot-profile: counter=tsc hz=0 entry=5 bss=9").unwrap();
        assert!(phases(&p).is_none());
    }
}
