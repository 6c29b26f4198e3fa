//! The real x86_64 inline call sequence against a fake hypercall page.
//!
//! The page lives in executable memory; each of its 128 stubs loads its op
//! into `eax` and jumps to a recorder that stores what it received, then
//! overwrites every argument register, `r9`, `rcx` and `r11` with garbage,
//! as a debug Xen (and a PV `syscall` stub) does. The caller's own values,
//! kept live in registers across the call, must survive.
#![cfg(all(target_arch = "x86_64", target_os = "linux"))]

use std::hint::black_box;
use std::sync::Mutex;

use xencall::abi::{HypercallOp, XenErrno};
use xencall::arch::HypercallPage;
use xencall::{Backend, Error, OpenFlags, Xencall};

/// What the recorder saw: op, then the five argument registers.
#[no_mangle]
static mut FAKE_XEN_RECORD: [u64; 6] = [0; 6];

// The recorder. Result: (op << 32) + a1 + 2*a2 + 3*a3 + 4*a4 + 5*a5, so
// each argument's position is checked by the sum as well as the record.
std::arch::global_asm!(
    ".globl fake_xen_recorder",
    "fake_xen_recorder:",
    "mov qword ptr [rip + {rec}], rax",
    "mov qword ptr [rip + {rec} + 8], rdi",
    "mov qword ptr [rip + {rec} + 16], rsi",
    "mov qword ptr [rip + {rec} + 24], rdx",
    "mov qword ptr [rip + {rec} + 32], r10",
    "mov qword ptr [rip + {rec} + 40], r8",
    "shl rax, 32",
    "add rax, rdi",
    "lea rax, [rax + 2*rsi]",
    "lea rax, [rax + 2*rdx]",
    "add rax, rdx",
    "lea rax, [rax + 4*r10]",
    "lea rax, [rax + 4*r8]",
    "add rax, r8",
    "movabs rdi, 0xdead00000000d1d1",
    "movabs rsi, 0xdead00000000d2d2",
    "movabs rdx, 0xdead00000000d3d3",
    "movabs r10, 0xdead00000000d4d4",
    "movabs r8, 0xdead00000000d5d5",
    "movabs r9, 0xdead00000000d6d6",
    "movabs rcx, 0xdead00000000c0c0",
    "movabs r11, 0xdead00000000b0b0",
    "ret",
    rec = sym FAKE_XEN_RECORD,
);

extern "C" {
    fn fake_xen_recorder();
}

/// A special op whose stub answers -EINVAL directly (to check decoding).
const EINVAL_OP: u32 = 99;

/// Serialises tests: they share the recorder's record.
static SERIAL: Mutex<()> = Mutex::new(());

fn fake_page() -> HypercallPage {
    static PAGE: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let addr = *PAGE.get_or_init(|| {
        // SAFETY: an anonymous private mapping; checked for failure.
        let page = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                4096,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        assert_ne!(page, libc::MAP_FAILED);
        let bytes = page.cast::<u8>();
        let target = fake_xen_recorder as *const () as u64;
        for op in 0..128u32 {
            let mut stub = Vec::with_capacity(32);
            if op == EINVAL_OP {
                // mov rax, -22 ; ret
                stub.extend_from_slice(&[0x48, 0xc7, 0xc0]);
                stub.extend_from_slice(&(-22i32).to_le_bytes());
                stub.push(0xc3);
            } else {
                stub.push(0xb8); // mov eax, imm32
                stub.extend_from_slice(&op.to_le_bytes());
                stub.extend_from_slice(&[0x49, 0xbb]); // movabs r11, imm64
                stub.extend_from_slice(&target.to_le_bytes());
                stub.extend_from_slice(&[0x41, 0xff, 0xe3]); // jmp r11
            }
            stub.resize(32, 0xcc);
            // SAFETY: stub `op` lies inside the 4096-byte mapping.
            unsafe {
                std::ptr::copy_nonoverlapping(stub.as_ptr(), bytes.add(op as usize * 32), 32)
            };
        }
        // SAFETY: our own mapping; now read-only and executable, like the
        // real page.
        assert_eq!(
            unsafe { libc::mprotect(page, 4096, libc::PROT_READ | libc::PROT_EXEC) },
            0
        );
        page as usize
    });
    // SAFETY: the mapping is filled, executable and never unmapped.
    unsafe { HypercallPage::from_filled(addr as *const u8) }.expect("fake page accepted")
}

fn record() -> [u64; 6] {
    // SAFETY: read under SERIAL after the call returned; nothing else
    // writes the record concurrently.
    unsafe { std::ptr::addr_of!(FAKE_XEN_RECORD).read_volatile() }
}

fn expected(op: u64, a: [u64; 5]) -> u64 {
    (op << 32)
        .wrapping_add(a[0])
        .wrapping_add(a[1].wrapping_mul(2))
        .wrapping_add(a[2].wrapping_mul(3))
        .wrapping_add(a[3].wrapping_mul(4))
        .wrapping_add(a[4].wrapping_mul(5))
}

#[test]
fn each_arity_puts_its_arguments_in_rdi_rsi_rdx_r10_r8() {
    let _g = SERIAL.lock().unwrap();
    let page = fake_page();
    let a = [0x1111, 0x2222_0000_0000, 0x3333, 0x4444_0000, 0x5555];
    // SAFETY: the fake page's stubs only record and clobber registers.
    unsafe {
        assert_eq!(
            page.call0(7),
            expected(
                7,
                [
                    record()[1],
                    record()[2],
                    record()[3],
                    record()[4],
                    record()[5]
                ]
            )
        );
        assert_eq!(record()[0], 7);
        assert_eq!(
            page.call1(11, a[0]),
            expected(
                11,
                [a[0], record()[2], record()[3], record()[4], record()[5]]
            )
        );
        assert_eq!(record()[..2], [11, a[0]]);
        assert_eq!(
            page.call2(12, a[0], a[1]),
            expected(12, [a[0], a[1], record()[3], record()[4], record()[5]])
        );
        assert_eq!(record()[..3], [12, a[0], a[1]]);
        assert_eq!(
            page.call3(13, a[0], a[1], a[2]),
            expected(13, [a[0], a[1], a[2], record()[4], record()[5]])
        );
        assert_eq!(record()[..4], [13, a[0], a[1], a[2]]);
        assert_eq!(
            page.call4(14, a[0], a[1], a[2], a[3]),
            expected(14, [a[0], a[1], a[2], a[3], record()[5]])
        );
        assert_eq!(record()[..5], [14, a[0], a[1], a[2], a[3]]);
        assert_eq!(
            page.call5(127, a[0], a[1], a[2], a[3], a[4]),
            expected(127, a)
        );
        assert_eq!(record(), [127, a[0], a[1], a[2], a[3], a[4]]);
    }
}

/// Twelve values kept live across the call: with only 9 callee-saved-free
/// registers to spare, the compiler must keep some in caller-saved
/// registers or spill them, and only a complete clobber list makes it do
/// that correctly.
#[inline(never)]
fn live_values_survive(page: &HypercallPage, arity: usize, seed: u64) {
    let v: [u64; 12] = std::array::from_fn(|i| black_box(seed.wrapping_mul(i as u64 * 2 + 3)));
    let a = black_box([seed ^ 1, seed ^ 2, seed ^ 3, seed ^ 4, seed ^ 5]);
    // SAFETY: the fake page's stubs only record and clobber registers.
    let r = unsafe {
        match arity {
            0 => page.call0(40),
            1 => page.call1(41, a[0]),
            2 => page.call2(42, a[0], a[1]),
            3 => page.call3(43, a[0], a[1], a[2]),
            4 => page.call4(44, a[0], a[1], a[2], a[3]),
            _ => page.call5(45, a[0], a[1], a[2], a[3], a[4]),
        }
    };
    black_box(r);
    for (i, value) in v.iter().enumerate() {
        assert_eq!(
            *value,
            seed.wrapping_mul(i as u64 * 2 + 3),
            "live value {i} corrupted by a call{arity}"
        );
    }
    assert_eq!(
        a,
        [seed ^ 1, seed ^ 2, seed ^ 3, seed ^ 4, seed ^ 5],
        "arguments corrupted by a call{arity}"
    );
}

/// The page the `across_*` functions call through (set before use), so
/// that their six arguments are the only ones.
static ACROSS_PAGE: std::sync::OnceLock<HypercallPage> = std::sync::OnceLock::new();

/// Mixes the six values position-sensitively into one.
fn checksum(s: [u64; 6]) -> u64 {
    s.iter()
        .enumerate()
        .fold(0, |acc, (i, v)| acc ^ v.rotate_left(i as u32 * 9 + 1))
}

/// The six values arrive in `rdi`, `rsi`, `rdx`, `rcx`, `r8` and `r9`:
/// registers the stub clobbers. A clobber list missing one of them lets the
/// compiler keep the value in that (now garbage) register across the call;
/// an argument declared `in` instead of `inout => _` lets it reuse the
/// argument register afterwards. Either way the checksum comes out wrong.
macro_rules! across {
    ($name:ident, |$p:ident, $s:ident| $call:expr) => {
        #[inline(never)]
        fn $name(s1: u64, s2: u64, s3: u64, s4: u64, s5: u64, s6: u64) -> u64 {
            let $p = ACROSS_PAGE.get().unwrap();
            let $s = [s1, s2, s3, s4, s5];
            // SAFETY: the fake page's stubs only record and clobber registers.
            black_box(unsafe { $call });
            checksum([s1, s2, s3, s4, s5, s6])
        }
    };
}
across!(across_call0, |p, _s| p.call0(50));
across!(across_call1, |p, s| p.call1(51, s[0]));
across!(across_call2, |p, s| p.call2(52, s[0], s[1]));
across!(across_call3, |p, s| p.call3(53, s[0], s[1], s[2]));
across!(across_call4, |p, s| p.call4(54, s[0], s[1], s[2], s[3]));
across!(across_call5, |p, s| p
    .call5(55, s[0], s[1], s[2], s[3], s[4]));

#[test]
fn values_in_clobbered_registers_survive_every_arity() {
    let _g = SERIAL.lock().unwrap();
    ACROSS_PAGE.get_or_init(fake_page);
    let s = [
        0x51,
        0x5200,
        0x53_0000,
        0x5400_0000,
        0x55_0000_0000,
        0x5600_0000_0000,
    ];
    type Across = fn(u64, u64, u64, u64, u64, u64) -> u64;
    let calls: [Across; 6] = [
        across_call0,
        across_call1,
        across_call2,
        across_call3,
        across_call4,
        across_call5,
    ];
    for (arity, call) in calls.iter().enumerate() {
        let got = black_box(call)(s[0], s[1], s[2], s[3], s[4], s[5]);
        assert_eq!(got, checksum(s), "a value did not survive call{arity}");
        assert_eq!(record()[0], 50 + arity as u64);
    }
}

#[test]
fn caller_state_survives_a_debug_xen_clobbering_every_register() {
    let _g = SERIAL.lock().unwrap();
    let page = fake_page();
    for arity in 0..=5 {
        for seed in [1u64, 0x0123_4567_89ab_cdef, u64::MAX] {
            live_values_survive(&page, arity, seed);
        }
    }
}

#[test]
fn ops_past_the_page_are_refused_without_calling() {
    let _g = SERIAL.lock().unwrap();
    let page = fake_page();
    // SAFETY: op 128 has no stub; the backend must not jump anywhere.
    let r = unsafe { page.call1(128, 5) };
    assert_eq!(r as i64, -(XenErrno::ENOSYS.0 as i64));
    // SAFETY: as above.
    let r = unsafe { page.call0(u64::MAX) };
    assert_eq!(r as i64, -38);
}

#[test]
fn the_handle_over_the_real_sequence_decodes_results_and_errors() {
    let _g = SERIAL.lock().unwrap();
    let xc = Xencall::with_backend(fake_page(), None, OpenFlags::empty());
    // SAFETY: fake page.
    unsafe {
        let r = xc.call2(HypercallOp(3), u64::MAX - 5, 3).unwrap();
        assert_eq!(
            r,
            expected(3, [u64::MAX - 5, 3, record()[3], record()[4], record()[5]])
        );
        assert_eq!(
            xc.call0(HypercallOp(EINVAL_OP)),
            Err(Error::Xen(XenErrno::EINVAL))
        );
        assert_eq!(
            xc.call0(HypercallOp(200)),
            Err(Error::Xen(XenErrno::ENOSYS))
        );
    }
}

#[test]
fn a_page_xen_never_filled_is_refused() {
    let poisoned = vec![0xc3u8; 4096];
    // SAFETY: a readable 4096-byte buffer that outlives the check.
    let r = unsafe { HypercallPage::from_filled(poisoned.as_ptr()) };
    assert_eq!(r.err(), Some(Error::HypercallPageNotInstalled));
    let zeros = vec![0u8; 4096];
    // SAFETY: as above.
    let r = unsafe { HypercallPage::from_filled(zeros.as_ptr()) };
    assert_eq!(r.err(), Some(Error::HypercallPageNotInstalled));
}
