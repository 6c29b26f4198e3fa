//! `cargo qemu codegen`: what the release build of `call0`..`call5` costs
//! beyond the trap itself.
//!
//! The probe (`examples/codegen-probe.rs`) puts every path in a function
//! of its own next to a baseline doing the same trap in hand-written
//! `asm!`. This module builds it for a bare-metal target, disassembles the
//! object and compares each probe with its baseline: total instruction
//! counts, and the probe's instructions that the baseline lacks. The goal
//! is that a path adds nothing but argument moves.
//!
//! Counting is static: every instruction of the function, cold paths
//! included, since they cost code size and show what the source asks for.
//! Prologue and epilogue instructions the two have in common cancel in the
//! comparison.

use std::collections::BTreeMap;
use std::env;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use crate::dirs;
use crate::setup;
use crate::target::Arch;
use crate::toolchain::Toolchain;

/// The probe's example name.
const EXAMPLE: &str = "codegen-probe";

/// One disassembled instruction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Insn {
    /// The instruction as printed, whitespace collapsed, with the target of
    /// a relocation on it appended (`-> symbol`).
    pub text: String,
    /// What two instructions must share to count as the same: the text
    /// without comments, branch-target annotations or relocations, so that
    /// the same instruction at another offset still matches.
    pub key: String,
    /// The mnemonic, with any x86 prefix.
    pub mnemonic: String,
    /// What the instruction does, whatever its operand size or encoding:
    /// `shll`/`shlq` are `shl`; a push, a pop or an `add`/`sub` of the
    /// stack pointer are all `stack`.
    pub family: String,
}

/// x86 prefixes the disassemblers print as a separate word.
const PREFIXES: &[&str] = &[
    "lock", "rep", "repe", "repz", "repne", "repnz", "data16", "notrack", "bnd", "cs", "ds",
];

impl Insn {
    fn new(text: &str) -> Insn {
        let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut key = text.as_str();
        // llvm-objdump's `# imm = 0x..`, GNU's `# 0x..` and Arm's `// =..`
        // annotate rather than encode.
        for comment in [" #", " //"] {
            if let Some(i) = key.find(comment) {
                // `#` also starts an Arm immediate (`mov x0, #-16`): only a
                // `#` after whitespace and not followed by a digit or sign
                // is a comment.
                let after = key[i + comment.len()..].chars().next();
                if comment == " //" || matches!(after, Some(' ') | None) {
                    key = &key[..i];
                }
            }
        }
        // A branch or call inside the object: its address differs between
        // probe and baseline, the instruction does not. Keep what comes
        // before the target (`tbnz w8, #0`).
        let key = match key.find(" <") {
            Some(i) if key.ends_with('>') => key[..i]
                .rsplit_once(' ')
                .map_or(&key[..i], |(before, _address)| before)
                .trim_end_matches(','),
            _ => key,
        };
        let mut words = key.split_whitespace();
        let first = words.next().unwrap_or("");
        let mnemonic = if PREFIXES.contains(&first) {
            format!("{first} {}", words.next().unwrap_or(""))
        } else {
            first.to_string()
        };
        let family = family(&mnemonic, key);
        let key = key.to_string();
        Insn {
            text,
            key,
            mnemonic,
            family,
        }
    }

    /// A move that only places a value in a register: register to register
    /// (including the 32-bit move that zero-extends the op) or, on x86, the
    /// fifth argument's load from the caller's stack.
    pub fn is_argument_move(&self) -> bool {
        let operands: Vec<&str> = self.key[self.mnemonic.len()..]
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .collect();
        let [src, dst] = operands[..] else {
            return false;
        };
        match self.mnemonic.as_str() {
            // AT&T (`movq %rdi, %rax`) and GNU's suffixless `mov`.
            "mov" | "movq" | "movl" if src.starts_with('%') || src.contains("(%rsp)") => {
                is_x86_register(dst) && (is_x86_register(src) || src.contains("(%rsp)"))
            }
            "mov" => is_arm_register(src) && is_arm_register(dst),
            _ => false,
        }
    }
}

/// AT&T mnemonics that take a size suffix (`b`, `w`, `l`, `q`).
const SIZED: &[&str] = &[
    "mov", "add", "sub", "and", "or", "xor", "shl", "shr", "sar", "cmp", "test", "lea", "neg",
    "not", "inc", "dec", "xchg", "push", "pop", "call", "ret",
];

fn family(mnemonic: &str, key: &str) -> String {
    let base = match mnemonic.char_indices().last() {
        Some((i, 'b' | 'w' | 'l' | 'q')) if SIZED.contains(&&mnemonic[..i]) => &mnemonic[..i],
        _ => mnemonic,
    };
    let on_stack_pointer = key.ends_with("%rsp") || key.ends_with(",%rsp");
    match base {
        "push" | "pop" => "stack".into(),
        "add" | "sub" if on_stack_pointer => "stack".into(),
        _ => base.to_string(),
    }
}

fn is_x86_register(operand: &str) -> bool {
    operand.len() > 1
        && operand.starts_with('%')
        && operand[1..].chars().all(|c| c.is_ascii_alphanumeric())
}

/// `x0`..`x30`, `w0`..`w30`: general registers, not `xzr`/`sp`.
fn is_arm_register(operand: &str) -> bool {
    let Some(n) = operand
        .strip_prefix('x')
        .or_else(|| operand.strip_prefix('w'))
    else {
        return false;
    };
    n.parse::<u8>().is_ok_and(|n| n <= 30)
}

/// The functions of an `objdump -d -r` listing (LLVM's or GNU's), by name,
/// each with its instructions in order. Relocation lines are attached to
/// the instruction before them.
pub fn parse_disassembly(listing: &str) -> BTreeMap<String, Vec<Insn>> {
    let mut functions = BTreeMap::new();
    let mut current: Option<(String, Vec<Insn>)> = None;
    for line in listing.lines() {
        if let Some(name) = function_header(line) {
            if let Some((name, insns)) = current.take() {
                functions.insert(name, insns);
            }
            current = Some((name.to_string(), Vec::new()));
            continue;
        }
        let Some((_, insns)) = current.as_mut() else {
            continue;
        };
        let Some((address, rest)) = line.split_once(':') else {
            continue;
        };
        let address = address.trim();
        if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit()) {
            continue;
        }
        let rest = rest.trim();
        if rest.is_empty() {
            continue;
        }
        if rest.starts_with("R_") {
            // `R_X86_64_PLT32  symbol-0x4`: name what the instruction uses.
            let target = rest.split_once(char::is_whitespace).map(|(_, t)| t.trim());
            if let (Some(last), Some(target)) = (insns.last_mut(), target) {
                last.text.push_str(&format!(" -> {target}"));
            }
            continue;
        }
        insns.push(Insn::new(rest));
    }
    if let Some((name, insns)) = current {
        functions.insert(name, insns);
    }
    functions
}

/// Where each function of a listing starts: (section, address) to name.
fn function_locations(listing: &str) -> BTreeMap<(String, u64), String> {
    let mut locations = BTreeMap::new();
    let mut section = String::new();
    for line in listing.lines() {
        if let Some(name) = line
            .strip_prefix("Disassembly of section ")
            .and_then(|l| l.strip_suffix(':'))
        {
            section = name.to_string();
        } else if let Some(name) = function_header(line) {
            let address = line
                .split(' ')
                .next()
                .and_then(|a| u64::from_str_radix(a, 16).ok());
            if let Some(address) = address {
                locations.insert((section.clone(), address), name.to_string());
            }
        }
    }
    locations
}

/// Give every symbol of an `objdump -t` table that the listing shows under
/// another name (rustc merges identical functions into aliases, and a
/// disassembler labels an address with one name only) that function's
/// instructions.
pub fn add_aliases(functions: &mut BTreeMap<String, Vec<Insn>>, listing: &str, symbols: &str) {
    let locations = function_locations(listing);
    for line in symbols.lines() {
        // `0000000000000000 g     F .text.f\t0000000000000020 alias`
        let words: Vec<&str> = line.split_whitespace().collect();
        let [address, .., section, _size, name] = words[..] else {
            continue;
        };
        if words.len() < 5 || functions.contains_key(name) || !section.starts_with(".text") {
            continue;
        }
        let Ok(address) = u64::from_str_radix(address, 16) else {
            continue;
        };
        let shown = locations
            .get(&(section.to_string(), address))
            .and_then(|shown| functions.get(shown))
            .cloned();
        if let Some(insns) = shown {
            functions.insert(name.to_string(), insns);
        }
    }
}

/// `0000000000000000 <name>:` gives `name`.
fn function_header(line: &str) -> Option<&str> {
    let (address, rest) = line.split_once(' ')?;
    if address.is_empty() || !address.chars().all(|c| c.is_ascii_hexdigit()) {
        return None;
    }
    rest.strip_prefix('<')?.strip_suffix(">:")
}

/// What one instruction list has that another lacks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diff {
    /// In the probe, not in the baseline.
    pub extra: Vec<Insn>,
    /// In the baseline, not in the probe.
    pub missing: Vec<Insn>,
}

/// The multiset difference of two instruction lists. Instructions pair up
/// first by their whole text, then what is left by mnemonic alone (the same
/// move between other registers is still the same move), then by family
/// (`popq %rcx` and `addq $8, %rsp` both drop the slot the prologue
/// pushed); what finds no partner is extra or missing, in its original
/// order.
pub fn diff(probe: &[Insn], baseline: &[Insn]) -> Diff {
    let mut probe_left: Vec<Option<&Insn>> = probe.iter().map(Some).collect();
    let mut base_left: Vec<Option<&Insn>> = baseline.iter().map(Some).collect();
    // After the exact pass, an argument move only pairs with another one:
    // a constant load is never the same work as a register copy.
    let passes: [fn(&Insn) -> String; 3] = [
        |i| i.key.clone(),
        |i| format!("{} {}", i.mnemonic, i.is_argument_move()),
        |i| format!("{} {}", i.family, i.is_argument_move()),
    ];
    for field in passes {
        for p in probe_left.iter_mut() {
            let Some(pi) = *p else { continue };
            let partner = base_left
                .iter_mut()
                .find(|b| b.is_some_and(|bi| field(bi) == field(pi)));
            if let Some(b) = partner {
                *b = None;
                *p = None;
            }
        }
    }
    Diff {
        extra: probe_left.into_iter().flatten().cloned().collect(),
        missing: base_left.into_iter().flatten().cloned().collect(),
    }
}

/// Which API a probe goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Layer {
    /// `Xencall::<B>::callK`: what users call.
    Handle,
    /// `Backend::callK` of `B` alone.
    Backend,
}

impl Layer {
    fn prefix(self) -> &'static str {
        match self {
            Layer::Handle => "xencall_probe_",
            Layer::Backend => "xencall_backend_",
        }
    }
}

impl fmt::Display for Layer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Layer::Handle => "Xencall",
            Layer::Backend => "Backend",
        })
    }
}

/// The comparison of one path with its baseline.
#[derive(Clone, Debug)]
pub struct PathReport {
    /// Handle or backend alone.
    pub layer: Layer,
    /// The backend: `page`, `vmcall`, `vmmcall`, `native` or `hvc`.
    pub backend: String,
    /// 0..=5.
    pub arity: u8,
    /// The probe's symbol.
    pub probe_symbol: String,
    /// The baseline's symbol (`native` is compared with the default mode's:
    /// the page on x86_64, `hvc` on aarch64).
    pub baseline_symbol: String,
    /// Instructions in the probe.
    pub probe: Vec<Insn>,
    /// Instructions in the baseline.
    pub baseline: Vec<Insn>,
    /// The difference.
    pub diff: Diff,
}

impl PathReport {
    /// Instructions beyond the baseline (negative when fewer).
    pub fn delta(&self) -> isize {
        self.probe.len() as isize - self.baseline.len() as isize
    }

    /// The target: nothing beyond argument moves.
    pub fn passes(&self) -> bool {
        self.diff.extra.iter().all(Insn::is_argument_move)
    }

    /// The extra instructions that are not argument moves.
    pub fn overhead(&self) -> Vec<&Insn> {
        self.diff
            .extra
            .iter()
            .filter(|i| !i.is_argument_move())
            .collect()
    }
}

/// The backends each target's probe has, in report order.
fn backends(arch: Arch) -> &'static [&'static str] {
    match arch {
        Arch::X86_64 => &["page", "vmcall", "vmmcall", "native"],
        Arch::Aarch64 => &["hvc", "native"],
    }
}

/// The baseline a backend is held to: `native` to the default mode's.
fn baseline_backend(arch: Arch, backend: &str) -> &str {
    match (arch, backend) {
        (Arch::X86_64, "native") => "page",
        (Arch::Aarch64, "native") => "hvc",
        _ => backend,
    }
}

/// Pair the probes of a parsed object with their baselines.
pub fn compare(
    arch: Arch,
    functions: &BTreeMap<String, Vec<Insn>>,
) -> Result<Vec<PathReport>, String> {
    let mut reports = Vec::new();
    let mut absent = Vec::new();
    for layer in [Layer::Handle, Layer::Backend] {
        for &backend in backends(arch) {
            for arity in 0..=5u8 {
                let probe_symbol = format!("{}{backend}_call{arity}", layer.prefix());
                let baseline_symbol = format!(
                    "xencall_baseline_{}_call{arity}",
                    baseline_backend(arch, backend)
                );
                let (Some(probe), Some(baseline)) = (
                    functions.get(&probe_symbol),
                    functions.get(&baseline_symbol),
                ) else {
                    for s in [&probe_symbol, &baseline_symbol] {
                        if !functions.contains_key(s) && !absent.contains(s) {
                            absent.push(s.clone());
                        }
                    }
                    continue;
                };
                reports.push(PathReport {
                    layer,
                    backend: backend.to_string(),
                    arity,
                    diff: diff(probe, baseline),
                    probe: probe.clone(),
                    baseline: baseline.clone(),
                    probe_symbol,
                    baseline_symbol,
                });
            }
        }
    }
    if absent.is_empty() {
        Ok(reports)
    } else {
        Err(format!(
            "the {} probe object lacks {}",
            arch.name(),
            absent.join(", ")
        ))
    }
}

/// The disassembler: `XENCALL_OBJDUMP`, else `llvm-objdump` (Debian's
/// `llvm`; both targets), else the target's GNU objdump.
fn disassembler(arch: Arch) -> Result<PathBuf, String> {
    if let Some(p) = env::var_os("XENCALL_OBJDUMP").filter(|p| !p.is_empty()) {
        return Ok(PathBuf::from(p));
    }
    let gnu: &[&str] = match arch {
        Arch::X86_64 => &["x86_64-linux-gnu-objdump", "objdump"],
        Arch::Aarch64 => &["aarch64-linux-gnu-objdump"],
    };
    std::iter::once("llvm-objdump")
        .chain(gnu.iter().copied())
        .find_map(crate::setup::in_path)
        .ok_or_else(|| {
            format!(
                "no disassembler for {}: install llvm-objdump (`apt-get install llvm`){}, \
                 or set XENCALL_OBJDUMP",
                arch.name(),
                match arch {
                    Arch::X86_64 => " or binutils",
                    Arch::Aarch64 => " or binutils-aarch64-linux-gnu",
                }
            )
        })
}

/// Build the probe for `arch` and return its object file.
///
/// `cargo rustc ... -- --emit=obj=PATH`: the object holds every probe
/// whether or not anything calls it, so the probe needs no entry point,
/// linker script or `rt` feature (cargo still links an executable beside
/// it, which the linker's section GC empties; it is not used). One codegen
/// unit, because rustc writes one object to an explicit path only then.
fn build(arch: Arch) -> Result<(PathBuf, &'static str), String> {
    let triple = arch.triple();
    let toolchain = Toolchain::select(triple)?;
    let target_dir = dirs::target_dir().join("codegen");
    let object = target_dir.join(format!("{EXAMPLE}-{}.o", arch.name()));
    let mut cmd = toolchain.cargo("rustc", triple);
    cmd.current_dir(dirs::source_tree());
    cmd.args(["--release", "-p", "xencall", "--example", EXAMPLE])
        .arg("--target-dir")
        .arg(&target_dir)
        .arg("--")
        .arg(format!("--emit=obj={}", object.display()))
        .args(["-C", "codegen-units=1"]);
    let (ok, out) = setup::capture(&mut cmd);
    if !ok {
        let tail: Vec<&str> = out.lines().rev().take(40).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        return Err(format!(
            "building {EXAMPLE} for {triple} ({}) failed:\n{}",
            toolchain.kind,
            tail.join("\n")
        ));
    }
    if !object.is_file() {
        // Cargo saw nothing to rebuild, so rustc did not write it again.
        return Err(format!(
            "{} is missing although cargo found the probe up to date: \
             `rm -r {}` and run again",
            object.display(),
            target_dir.join(triple).display()
        ));
    }
    Ok((object, toolchain.kind))
}

/// The `rustc version ...` string rustc leaves in the object's `.comment`.
fn rustc_version(object: &Path) -> Option<String> {
    let bytes = std::fs::read(object).ok()?;
    // The string on its own, not the copy inside `clang LLVM (...)`.
    let needle = b"\0rustc version ";
    let start = bytes.windows(needle.len()).position(|w| w == needle)? + 1;
    let end = bytes[start..].iter().position(|&b| b == 0)? + start;
    Some(String::from_utf8_lossy(&bytes[start..end]).into_owned())
}

/// Run `tool` (an objdump) with `args` on `object`; its standard output.
fn objdump(tool: &Path, args: &[&str], object: &Path) -> Result<String, String> {
    let out = setup::clean_command(tool)
        .args(args)
        .arg(object)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run {}: {e}", tool.display()))?;
    if !out.status.success() {
        return Err(format!(
            "{} {} {} failed: {}",
            tool.display(),
            args.join(" "),
            object.display(),
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// What was measured, and with what.
pub struct Measurement {
    /// One report per path.
    pub paths: Vec<PathReport>,
    /// The toolchain, compiler and disassembler used.
    pub tools: String,
}

/// Build, disassemble and compare every path of `arch`.
pub fn report(arch: Arch) -> Result<Measurement, String> {
    let tool = disassembler(arch)?;
    let (object, kind) = build(arch)?;
    let listing = objdump(&tool, &["-d", "-r", "-C", "--no-show-raw-insn"], &object)?;
    let symbols = objdump(&tool, &["-t", "-C"], &object)?;
    let mut functions = parse_disassembly(&listing);
    add_aliases(&mut functions, &listing, &symbols);
    let paths = compare(arch, &functions)?;
    let tools = format!(
        "{kind}, {}, {}",
        rustc_version(&object).unwrap_or_else(|| "rustc version unknown".into()),
        tool.file_name().map_or_else(
            || tool.display().to_string(),
            |n| n.to_string_lossy().into_owned()
        )
    );
    Ok(Measurement { paths, tools })
}

/// The report as text: a table, then each failing path's extra
/// instructions.
pub fn render(arch: Arch, m: &Measurement) -> String {
    let mut s = format!(
        "codegen {} ({}): instructions per function, release build\n",
        arch.name(),
        m.tools
    );
    s.push_str(&format!(
        "  {:<8} {:<8} {:<6} {:>6} {:>9} {:>6}  {}\n",
        "layer", "backend", "call", "probe", "baseline", "delta", "verdict"
    ));
    for p in &m.paths {
        let overhead = p.overhead().len();
        s.push_str(&format!(
            "  {:<8} {:<8} call{:<2} {:>6} {:>9} {:>+6}  {}\n",
            p.layer.to_string(),
            p.backend,
            p.arity,
            p.probe.len(),
            p.baseline.len(),
            p.delta(),
            if p.passes() {
                "ok".to_string()
            } else {
                format!("{overhead} beyond argument moves")
            }
        ));
    }
    for p in m.paths.iter().filter(|p| !p.passes()) {
        s.push_str(&format!(
            "\n{} vs {} ({} vs {}):\n",
            p.probe_symbol,
            p.baseline_symbol,
            p.probe.len(),
            p.baseline.len()
        ));
        for i in &p.diff.extra {
            let mark = if i.is_argument_move() { "  (move)" } else { "" };
            s.push_str(&format!("    + {}{mark}\n", i.text));
        }
        for i in &p.diff.missing {
            s.push_str(&format!("    - {}\n", i.text));
        }
    }
    s
}

/// `cargo qemu codegen`: report every path of each `arch`; 0 when all
/// meet the target, 1 when some do not, 2 when the check could not run.
pub fn run(arches: &[Arch]) -> i32 {
    let mut code = 0;
    for &arch in arches {
        match report(arch) {
            Ok(m) => {
                print!("{}", render(arch, &m));
                let failing = m.paths.iter().filter(|p| !p.passes()).count();
                println!(
                    "codegen {}: {} of {} paths add nothing beyond argument moves\n",
                    arch.name(),
                    m.paths.len() - failing,
                    m.paths.len()
                );
                if failing > 0 && code == 0 {
                    code = 1;
                }
            }
            Err(e) => {
                eprintln!("cargo qemu: codegen {}: {e}", arch.name());
                code = 2;
            }
        }
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    /// llvm-objdump 14, x86_64, `-d -r -C --no-show-raw-insn`.
    const LLVM_X86: &str = "
target/codegen/codegen-probe-x86_64.o:\tfile format elf64-x86-64

Disassembly of section .text.xencall_baseline_vmcall_call1:

0000000000000000 <xencall_baseline_vmcall_call1>:
       0:      \tmovl\t%esi, %eax
       2:      \tmovq\t%rdx, %rdi
       5:      \tvmcall
       8:      \tretq

Disassembly of section .text.xencall_probe_vmcall_call1:

0000000000000000 <xencall_probe_vmcall_call1>:
       0:      \tpushq\t%rbx
       1:      \ttestb\t$1, 24(%rdi)
       5:      \tjne\t0x15 <xencall_probe_vmcall_call1+0x15>
       7:      \tmovl\t%esi, %eax
       9:      \tmovq\t%rdx, %rdi
       c:      \tvmcall
       f:      \tcmpq\t$-4096, %rax            # imm = 0xF000
      15:      \tmovq\t$0, %rcx
\t\t0000000000000018:  R_X86_64_32S\t.rodata..Lanon.0
      1c:      \tcallq\t0x21 <xencall_probe_vmcall_call1+0x21>
\t\t000000000000001d:  R_X86_64_PLT32\txencall::handle::log_to-0x4
      21:      \tpopq\t%rbx
      22:      \tretq

Disassembly of section .text.xencall_backend_vmcall_call1:

0000000000000000 <xencall_backend_vmcall_call1>:
       0:      \tmovl\t%esi, %eax
       2:      \tmovq\t%rdx, %rdi
       5:      \tvmcall
       8:      \tretq
";

    /// GNU objdump, the same functions.
    const GNU_X86: &str = "
Disassembly of section .text.xencall_probe_vmcall_call1:

0000000000000000 <xencall_probe_vmcall_call1>:
   0:\tpush   %rbx
   1:\ttestb  $0x1,0x18(%rdi)
   5:\tjne    15 <xencall_probe_vmcall_call1+0x15>
   7:\tmov    %esi,%eax
   9:\tmov    %rdx,%rdi
   c:\tvmcall
   f:\tcmp    $0xfffffffffffff000,%rax
  15:\tmov    $0x0,%rcx
\t\t\t18: R_X86_64_32S\t.rodata..Lanon.0
  1c:\tcall   21 <xencall_probe_vmcall_call1+0x21>
\t\t\t1d: R_X86_64_PLT32\txencall::handle::log_to-0x4
  21:\tpop    %rbx
  22:\tret
";

    /// llvm-objdump, aarch64.
    const LLVM_ARM: &str = "
0000000000000000 <xencall_baseline_hvc_call2>:
       0:      \tmov\tw16, w1
       4:      \tmov\tx0, x2
       8:      \tmov\tx1, x3
       c:      \thvc\t#0xea1
      10:      \tret

0000000000000000 <xencall_probe_hvc_call2>:
       0:      \tldrb\tw8, [x0, #24]
       4:      \ttbnz\tw8, #0, 0x14 <xencall_probe_hvc_call2+0x14>
       8:      \tmov\tx1, x3
       c:      \tmov\tw16, w1
      10:      \tmov\tx0, x2
      14:      \tmov\tx8, xzr
      18:      \thvc\t#0xea1
      1c:      \tret
";

    fn texts(insns: &[Insn]) -> Vec<&str> {
        insns.iter().map(|i| i.text.as_str()).collect()
    }

    #[test]
    fn parses_llvm_listing_with_relocations() {
        let f = parse_disassembly(LLVM_X86);
        assert_eq!(
            f.keys().collect::<Vec<_>>(),
            [
                "xencall_backend_vmcall_call1",
                "xencall_baseline_vmcall_call1",
                "xencall_probe_vmcall_call1"
            ]
        );
        let probe = &f["xencall_probe_vmcall_call1"];
        assert_eq!(probe.len(), 11);
        assert_eq!(probe[1].text, "testb $1, 24(%rdi)");
        assert_eq!(probe[2].key, "jne");
        assert_eq!(probe[6].key, "cmpq $-4096, %rax");
        assert_eq!(probe[6].mnemonic, "cmpq");
        assert_eq!(
            probe[8].text,
            "callq 0x21 <xencall_probe_vmcall_call1+0x21> -> xencall::handle::log_to-0x4"
        );
        assert_eq!(texts(&f["xencall_baseline_vmcall_call1"]).len(), 4);
    }

    #[test]
    fn parses_gnu_listing() {
        let f = parse_disassembly(GNU_X86);
        let probe = &f["xencall_probe_vmcall_call1"];
        assert_eq!(probe.len(), 11);
        assert_eq!(probe[2].key, "jne");
        assert_eq!(probe[3].text, "mov %esi,%eax");
        assert!(probe[3].is_argument_move());
        assert!(!probe[7].is_argument_move(), "{:?}", probe[7]);
        assert!(probe[8].text.ends_with("-> xencall::handle::log_to-0x4"));
    }

    #[test]
    fn identical_functions_pass() {
        let f = parse_disassembly(LLVM_X86);
        let d = diff(
            &f["xencall_backend_vmcall_call1"],
            &f["xencall_baseline_vmcall_call1"],
        );
        assert_eq!(d, Diff::default());
    }

    #[test]
    fn extra_instructions_are_detected() {
        let f = parse_disassembly(LLVM_X86);
        let d = diff(
            &f["xencall_probe_vmcall_call1"],
            &f["xencall_baseline_vmcall_call1"],
        );
        assert_eq!(
            texts(&d.extra),
            [
                "pushq %rbx",
                "testb $1, 24(%rdi)",
                "jne 0x15 <xencall_probe_vmcall_call1+0x15>",
                "cmpq $-4096, %rax # imm = 0xF000",
                "movq $0, %rcx -> .rodata..Lanon.0",
                "callq 0x21 <xencall_probe_vmcall_call1+0x21> -> xencall::handle::log_to-0x4",
                "popq %rbx",
            ]
        );
        assert!(d.missing.is_empty());
        let report = compare(Arch::X86_64, &f);
        // The object has only one arity: the rest must be reported absent.
        assert!(report.unwrap_err().contains("xencall_probe_page_call0"));
    }

    #[test]
    fn one_extra_instruction_fails_the_path() {
        let base = parse_disassembly(LLVM_X86)["xencall_baseline_vmcall_call1"].clone();
        let mut probe = base.clone();
        probe.insert(2, Insn::new("cmpl\t$127, %esi"));
        let d = diff(&probe, &base);
        assert_eq!(texts(&d.extra), ["cmpl $127, %esi"]);
        let report = PathReport {
            layer: Layer::Backend,
            backend: "vmcall".into(),
            arity: 1,
            probe_symbol: "p".into(),
            baseline_symbol: "b".into(),
            probe,
            baseline: base,
            diff: d,
        };
        assert_eq!(report.delta(), 1);
        assert!(!report.passes());
        assert_eq!(report.overhead().len(), 1);
    }

    #[test]
    fn moves_between_other_registers_still_pair_up() {
        let probe = [Insn::new("movq %rcx, %rsi"), Insn::new("vmcall")];
        let base = [Insn::new("movq %rdx, %rsi"), Insn::new("vmcall")];
        assert_eq!(diff(&probe, &base), Diff::default());
        // A surplus move is reported but is only an argument move.
        let probe = [
            Insn::new("movq %rcx, %rsi"),
            Insn::new("movq 16(%rsp), %r8"),
            Insn::new("vmcall"),
        ];
        let d = diff(&probe, &base);
        assert_eq!(texts(&d.extra), ["movq 16(%rsp), %r8"]);
        assert!(d.extra.iter().all(Insn::is_argument_move));
        // A constant load or a store is not.
        assert!(!Insn::new("movq $-38, %rax").is_argument_move());
        assert!(!Insn::new("movb $0, (%rbx)").is_argument_move());
        assert!(!Insn::new("movq 8(%rdi), %rax").is_argument_move());
    }

    #[test]
    fn arm_listing() {
        let f = parse_disassembly(LLVM_ARM);
        let probe = &f["xencall_probe_hvc_call2"];
        assert_eq!(probe[1].key, "tbnz w8, #0");
        assert_eq!(
            probe[2].key, "mov x1, x3",
            "Arm immediates are not comments"
        );
        assert_eq!(Insn::new("mov\tx0, #-16").key, "mov x0, #-16");
        let d = diff(probe, &f["xencall_baseline_hvc_call2"]);
        assert_eq!(
            texts(&d.extra),
            [
                "ldrb w8, [x0, #24]",
                "tbnz w8, #0, 0x14 <xencall_probe_hvc_call2+0x14>",
                "mov x8, xzr"
            ]
        );
        assert!(d.extra.iter().all(|i| !i.is_argument_move()));
        assert!(Insn::new("mov\tw16, w1").is_argument_move());
    }

    #[test]
    fn merged_functions_are_found_under_every_name() {
        let listing = "
Disassembly of section .text.xencall_probe_native_call0:

0000000000000000 <xencall_probe_native_call0>:
       0:      \tmov\tw16, w1
       4:      \thvc\t#0xea1
       8:      \tret

Disassembly of section .text.xencall_baseline_hvc_call0:

0000000000000000 <xencall_baseline_hvc_call0>:
       0:      \tmov\tw16, w1
       4:      \thvc\t#0xea1
       8:      \tret
";
        let symbols = "
SYMBOL TABLE:
0000000000000000 l    df *ABS*\t0000000000000000 codegen_probe.1c2f
0000000000000000 g     F .text.xencall_probe_native_call0\t000000000000000c xencall_probe_native_call0
0000000000000000 g     F .text.xencall_probe_native_call0\t000000000000000c xencall_probe_hvc_call0
0000000000000000 g     F .text.xencall_baseline_hvc_call0\t000000000000000c xencall_baseline_hvc_call0
";
        let mut f = parse_disassembly(listing);
        assert_eq!(f.len(), 2);
        add_aliases(&mut f, listing, symbols);
        assert_eq!(f.len(), 3);
        assert_eq!(
            f["xencall_probe_hvc_call0"],
            f["xencall_probe_native_call0"]
        );
    }

    #[test]
    fn equivalent_encodings_pair_up() {
        let probe = [
            Insn::new("shll\t$5, %esi"),
            Insn::new("addq\t$8, %rsp"),
            Insn::new("movq\t$-38, %rax"),
        ];
        let base = [Insn::new("shlq\t$5, %rax"), Insn::new("popq\t%rcx")];
        let d = diff(&probe, &base);
        assert_eq!(texts(&d.extra), ["movq $-38, %rax"]);
        assert!(d.missing.is_empty());
        // The constant load comes first but must not take the argument
        // move's partner.
        let probe = [Insn::new("movq\t$-38, %rax"), Insn::new("movq\t%rsi, %rax")];
        let base = [Insn::new("movl\t%esi, %eax")];
        assert_eq!(texts(&diff(&probe, &base).extra), ["movq $-38, %rax"]);
        assert_eq!(Insn::new("add $0x8,%rsp").family, "stack");
        assert_eq!(Insn::new("addq $8, %rdi").family, "add");
    }

    #[test]
    fn rustc_version_from_comment() {
        let dir = env::temp_dir().join(format!("codegen-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("x.o");
        std::fs::write(
            &path,
            b"\x7fELF\0clang LLVM (rustc version 1.2.3 (abc))\0rustc version 1.2.3 (abc)\0",
        )
        .unwrap();
        assert_eq!(
            rustc_version(&path).as_deref(),
            Some("rustc version 1.2.3 (abc)")
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
