//! One boot: the QEMU command line, the guest console captured to a log
//! (and optionally streamed), the timeout.

use std::fs::{self, File};
use std::io::{self, BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use crate::protocol::Ending;
use crate::shutdown;
use crate::target::{Arch, Mode};

/// Where the guest's command line tells the runtime to exit through QEMU.
pub const EXIT_OPTION: &str = "xencall-exit=qemu";

/// What to boot and how.
#[derive(Clone, Debug)]
pub struct Spec {
    /// Log name: `<log_dir>/<name>.log`.
    pub name: String,
    /// Where the log goes (`target/qemu-logs` of the guest's build).
    pub log_dir: PathBuf,
    pub arch: Arch,
    pub mode: Mode,
    /// The guest: an ELF on x86_64, an arm64 Image on aarch64.
    pub guest: PathBuf,
    /// Extra words for the guest's command line.
    pub cmdline: Vec<String>,
    /// Boot the guest by QEMU directly, no Xen (x86_64 PVH only).
    pub no_xen: bool,
    pub timeout: Duration,
    /// Copy the console to stdout as it arrives.
    pub stream: bool,
    /// Put `xencall-exit=qemu` on the guest command line (the guest then
    /// ends QEMU with its status); without it the guest shuts down through
    /// Xen (`SCHEDOP_shutdown`).
    pub qemu_exit: bool,
    /// End the boot (as [`Ending::Stopped`]) once the console shows this:
    /// after a dom0 poweroff, x86 Xen halts and QEMU never exits by itself.
    pub stop_on: Option<&'static str>,
    /// End the boot (as [`Ending::Stopped`]) shortly after Xen reports
    /// dom0's shutdown or a panic ([`shutdown::ended`]), for guests that
    /// leave through `SCHEDOP_shutdown` rather than QEMU's exit device.
    pub stop_at_shutdown: bool,
    /// Run QEMU with `-icount shift=0,sleep=off`: the guest's clocks then
    /// count its instructions (1 ns each), so timings repeat run to run.
    pub icount: bool,
    /// CPUs for the machine and vCPUs for dom0 (`-smp`, `dom0_max_vcpus=`).
    pub cpus: u32,
}

/// How a boot went.
#[derive(Debug)]
pub struct Outcome {
    pub log: String,
    pub ending: Ending,
    pub log_path: PathBuf,
    pub elapsed: Duration,
    /// The QEMU command, quoted for a shell.
    pub command: String,
    /// Each console line with when it arrived, from QEMU's start.
    pub lines: Vec<(Duration, String)>,
}

/// The boot timeout: `XENCALL_BOOT_TIMEOUT` seconds, default 60.
pub fn default_timeout() -> Duration {
    let secs = std::env::var("XENCALL_BOOT_TIMEOUT")
        .ok()
        .and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|s| *s > 0.0)
        .unwrap_or(60.0);
    Duration::from_secs_f64(secs)
}

/// The guest command line the runner passes.
pub fn guest_cmdline(spec: &Spec) -> String {
    let mut words = Vec::new();
    if spec.arch == Arch::Aarch64 && !spec.no_xen {
        words.push("console=hvc0".to_string());
    }
    if spec.qemu_exit {
        words.push(EXIT_OPTION.to_string());
    }
    words.extend(spec.cmdline.iter().cloned());
    words.join(" ")
}

/// QEMU's arguments (the notes' command lines).
pub fn qemu_args(spec: &Spec, xen: Option<&Path>) -> Vec<String> {
    let guest = spec.guest.display().to_string();
    let cmdline = guest_cmdline(spec);
    let mut a: Vec<String> = Vec::new();
    let mut push = |s: &[&str]| a.extend(s.iter().map(|s| s.to_string()));
    if spec.icount {
        push(&["-icount", "shift=0,sleep=off"]);
    }
    let cpus = spec.cpus.max(1).to_string();
    if spec.cpus > 1 {
        push(&["-smp", &cpus]);
    }
    let dom0_vcpus = format!(" dom0_max_vcpus={cpus}");
    match spec.arch {
        Arch::X86_64 => {
            push(&[
                "-display",
                "none",
                "-m",
                "512",
                "-no-reboot",
                "-monitor",
                "none",
            ]);
            push(&["-serial", "stdio"]);
            push(&["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]);
            if !spec.no_xen && spec.mode == Mode::Pvh {
                // AMD SVM with nested paging: Xen's HAP, needed for PVH dom0.
                push(&["-cpu", "qemu64,+svm,+npt"]);
            }
            match xen {
                None => {
                    push(&["-kernel", &guest, "-append", &cmdline]);
                }
                Some(xen) => {
                    let mut xen_args = match spec.mode {
                        Mode::Pv => "console=com1",
                        Mode::Pvh => "console=com1 dom0=pvh dom0-iommu=none",
                    }
                    .to_string();
                    if spec.cpus > 1 {
                        xen_args.push_str(&dom0_vcpus);
                    }
                    // Xen drops the module string's first word (the file).
                    let module = format!("{} {cmdline}", guest.replace(',', ",,"));
                    push(&["-kernel", &xen.display().to_string()]);
                    push(&["-append", &xen_args, "-initrd", &module]);
                }
            }
        }
        Arch::Aarch64 => {
            push(&["-machine", "virt,virtualization=on,gic-version=3"]);
            push(&["-cpu", "cortex-a57", "-m", "1G", "-nographic", "-no-reboot"]);
            push(&["-semihosting-config", "enable=on,target=native"]);
            match xen {
                None => push(&["-kernel", &guest, "-append", &cmdline]),
                Some(xen) => {
                    push(&["-kernel", &xen.display().to_string()]);
                    let mut xen_args =
                        "dom0_mem=128M loglvl=all guest_loglvl=all console=dtuart".to_string();
                    if spec.cpus > 1 {
                        xen_args.push_str(&dom0_vcpus);
                    }
                    push(&["-append", &xen_args]);
                    let loader = format!(
                        "guest-loader,addr=0x42000000,kernel={},bootargs={}",
                        guest.replace(',', ",,"),
                        cmdline.replace(',', ",,")
                    );
                    push(&["-device", &loader]);
                }
            }
        }
    }
    a
}

/// Process groups of running QEMUs, killed on Ctrl-C.
static GROUPS: [AtomicI32; 64] = [const { AtomicI32::new(0) }; 64];

extern "C" {
    fn kill(pid: i32, sig: i32) -> i32;
    fn signal(signum: i32, handler: extern "C" fn(i32)) -> usize;
    fn _exit(status: i32) -> !;
}
const SIGINT: i32 = 2;
const SIGKILL: i32 = 9;
const SIGTERM: i32 = 15;

extern "C" fn on_interrupt(_: i32) {
    for g in &GROUPS {
        let pid = g.load(Ordering::Relaxed);
        if pid > 0 {
            // SAFETY: kill(2) is async-signal-safe.
            unsafe { kill(-pid, SIGKILL) };
        }
    }
    // SAFETY: _exit(2) is async-signal-safe.
    unsafe { _exit(130) }
}

/// Kill every QEMU on Ctrl-C or SIGTERM (they run in their own process
/// groups, out of reach of the terminal's signal).
pub fn install_interrupt_handler() {
    // SAFETY: the handler only calls async-signal-safe functions.
    unsafe {
        signal(SIGINT, on_interrupt);
        signal(SIGTERM, on_interrupt);
    }
}

fn register(pid: i32) -> Option<usize> {
    GROUPS.iter().position(|g| {
        g.compare_exchange(0, pid, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
    })
}

/// Boot `spec` under QEMU (with Xen unless `no_xen`).
pub fn boot(spec: &Spec, qemu: &Path, xen: Option<&Path>) -> Result<Outcome, String> {
    run_qemu(spec, qemu, &qemu_args(spec, xen))
}

/// Run `qemu` with `args`, under `spec`'s timeout, logging the console to
/// `<spec.log_dir>/<name>.log` (and streaming it if `spec.stream`). Of
/// `spec` only `name`, `log_dir`, `timeout`, `stream`, `stop_on` and
/// `stop_at_shutdown` are used: the arguments are the caller's (a Linux
/// dom0 boot builds its own).
pub fn run_qemu(spec: &Spec, qemu: &Path, args: &[String]) -> Result<Outcome, String> {
    let logs = &spec.log_dir;
    fs::create_dir_all(logs).map_err(|e| format!("create {}: {e}", logs.display()))?;
    let log_path = logs.join(format!("{}.log", spec.name));
    let mut file =
        File::create(&log_path).map_err(|e| format!("create {}: {e}", log_path.display()))?;
    let command = format!("{} {}", qemu.display(), shell_words(args));
    let _ = writeln!(file, "# {command}");
    let file = Arc::new(Mutex::new(file));

    let start = Instant::now();
    let mut cmd = Command::new(qemu);
    {
        use std::os::unix::process::CommandExt;
        cmd.process_group(0);
    }
    let mut child = cmd
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", qemu.display()))?;
    let pid = child.id() as i32;
    let slot = register(pid);

    let log = Arc::new(Mutex::new(String::new()));
    let lines = Arc::new(Mutex::new(Vec::new()));
    let stdout = child.stdout.take().expect("piped");
    let stderr = child.stderr.take().expect("piped");
    let sink = |is_stderr| Sink {
        log: log.clone(),
        lines: lines.clone(),
        file: file.clone(),
        start,
        stream: spec.stream,
        is_stderr,
    };
    let readers = [reader(stdout, sink(false)), reader(stderr, sink(true))];

    // When Xen's shutdown line appeared: the lines after it (a panic's
    // message) get a moment to arrive.
    let mut shutdown_seen: Option<Instant> = None;
    let ending = loop {
        match child.try_wait() {
            Ok(Some(status)) => {
                break match status.code() {
                    Some(c) => Ending::Exited(c),
                    None => Ending::Signalled,
                }
            }
            Ok(None) => {}
            Err(e) => return Err(format!("waiting for QEMU: {e}")),
        }
        if let Some(marker) = spec.stop_on {
            if log.lock().unwrap().contains(marker) {
                // SAFETY: kill(2) on QEMU's own process group.
                unsafe { kill(-pid, SIGKILL) };
                let _ = child.wait();
                break Ending::Stopped;
            }
        }
        if spec.stop_at_shutdown {
            match shutdown_seen {
                None if shutdown::ended(&log.lock().unwrap()) => {
                    shutdown_seen = Some(Instant::now());
                }
                Some(at) if at.elapsed() >= Duration::from_millis(300) => {
                    // SAFETY: kill(2) on QEMU's own process group.
                    unsafe { kill(-pid, SIGKILL) };
                    let _ = child.wait();
                    break Ending::Stopped;
                }
                _ => {}
            }
        }
        if start.elapsed() >= spec.timeout {
            // SAFETY: kill(2) on QEMU's own process group.
            unsafe { kill(-pid, SIGKILL) };
            let _ = child.wait();
            break Ending::TimedOut;
        }
        thread::sleep(Duration::from_millis(20));
    };
    let elapsed = start.elapsed();
    // Whatever QEMU left running in its group must not hold the pipes.
    // SAFETY: as above; the group may be gone already.
    unsafe { kill(-pid, SIGKILL) };
    if let Some(i) = slot {
        GROUPS[i].store(0, Ordering::SeqCst);
    }
    for r in readers {
        let _ = r.join();
    }
    if ending == Ending::TimedOut {
        let note = format!(
            "[cargo-xencall: timed out after {:.0} s, QEMU killed]\n",
            spec.timeout.as_secs_f64()
        );
        let _ = file.lock().unwrap().write_all(note.as_bytes());
        log.lock().unwrap().push_str(&note);
        if spec.stream {
            print!("{note}");
        }
    }
    let log = std::mem::take(&mut *log.lock().unwrap());
    let lines = std::mem::take(&mut *lines.lock().unwrap());
    Ok(Outcome {
        log,
        ending,
        log_path,
        elapsed,
        command,
        lines,
    })
}

/// Where a reader thread puts what it reads.
struct Sink {
    log: Arc<Mutex<String>>,
    lines: Arc<Mutex<Vec<(Duration, String)>>>,
    file: Arc<Mutex<File>>,
    start: Instant,
    stream: bool,
    is_stderr: bool,
}

fn reader(from: impl Read + Send + 'static, sink: Sink) -> thread::JoinHandle<()> {
    thread::spawn(move || {
        let mut from = BufReader::new(from);
        let mut buf = Vec::new();
        loop {
            buf.clear();
            match from.read_until(b'\n', &mut buf) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            let at = sink.start.elapsed();
            // Serial consoles end lines with CR LF.
            while matches!(buf.last(), Some(b'\n' | b'\r')) {
                buf.pop();
            }
            let mut line = String::from_utf8_lossy(&buf).into_owned();
            sink.lines.lock().unwrap().push((at, line.clone()));
            line.push('\n');
            let _ = sink.file.lock().unwrap().write_all(line.as_bytes());
            sink.log.lock().unwrap().push_str(&line);
            if sink.stream {
                if sink.is_stderr {
                    let _ = io::stderr().write_all(line.as_bytes());
                } else {
                    let mut out = io::stdout().lock();
                    let _ = out.write_all(line.as_bytes());
                    let _ = out.flush();
                }
            }
        }
    })
}

/// `args` quoted for a shell (for the log header and messages).
pub fn shell_words(args: &[String]) -> String {
    args.iter()
        .map(|a| {
            if !a.is_empty()
                && a.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_=.,/:+@".contains(c))
            {
                a.clone()
            } else {
                format!("'{}'", a.replace('\'', "'\\''"))
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(arch: Arch, mode: Mode, no_xen: bool) -> Spec {
        Spec {
            name: "t".into(),
            log_dir: "/t/logs".into(),
            arch,
            mode,
            guest: "/g/guest.elf".into(),
            cmdline: vec!["xencall-selftest=fail".into()],
            no_xen,
            timeout: Duration::from_secs(1),
            stream: false,
            qemu_exit: true,
            stop_on: None,
            stop_at_shutdown: false,
            icount: false,
            cpus: 1,
        }
    }

    #[test]
    fn x86_pvh_command_line() {
        let a = qemu_args(
            &spec(Arch::X86_64, Mode::Pvh, false),
            Some(Path::new("/x/xen")),
        );
        let s = shell_words(&a);
        assert!(s.contains("-cpu qemu64,+svm,+npt"), "{s}");
        assert!(
            s.contains("-append 'console=com1 dom0=pvh dom0-iommu=none'"),
            "{s}"
        );
        assert!(
            s.contains("-initrd '/g/guest.elf xencall-exit=qemu xencall-selftest=fail'"),
            "{s}"
        );
        assert!(s.contains("-kernel /x/xen"), "{s}");
        assert!(s.contains("isa-debug-exit,iobase=0xf4,iosize=0x04"), "{s}");
    }

    #[test]
    fn x86_pv_command_line() {
        let s = shell_words(&qemu_args(
            &spec(Arch::X86_64, Mode::Pv, false),
            Some(Path::new("/x/xen")),
        ));
        assert!(s.contains("-append console=com1 "), "{s}");
        assert!(!s.contains("-cpu"), "{s}");
    }

    #[test]
    fn no_xen_command_line() {
        let s = shell_words(&qemu_args(&spec(Arch::X86_64, Mode::Pvh, true), None));
        assert!(
            s.contains("-kernel /g/guest.elf -append 'xencall-exit=qemu xencall-selftest=fail'"),
            "{s}"
        );
    }

    #[test]
    fn aarch64_command_line() {
        let s = shell_words(&qemu_args(
            &spec(Arch::Aarch64, Mode::Pvh, false),
            Some(Path::new("/x/xen")),
        ));
        assert!(s.contains("virt,virtualization=on,gic-version=3"), "{s}");
        assert!(
            s.contains("-semihosting-config enable=on,target=native"),
            "{s}"
        );
        assert!(
            s.contains("'guest-loader,addr=0x42000000,kernel=/g/guest.elf,bootargs=console=hvc0 xencall-exit=qemu xencall-selftest=fail'"),
            "{s}"
        );
    }
}
