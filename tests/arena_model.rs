//! Model-based property test of the buffer arena: long random sequences of
//! allocations and frees (good and bad) against a plain model.
//!
//! Checked after every step: live buffers never overlap, are page-aligned
//! and inside the arena; a buffer is zero when handed out; the contents of
//! live buffers are never disturbed by other operations; exhaustion is an
//! error, not a panic; refused frees change nothing; and once everything is
//! freed every page is free again.

use std::collections::BTreeMap;

use proptest::prelude::*;
use xencall::buffers::{Arena, PAGE_SIZE};
use xencall::{Error, InvalidBuffer};

const PAGES: usize = 64;

#[derive(Clone, Debug)]
enum Op {
    Alloc(usize),
    /// Free the n-th live buffer (modulo the count).
    Free(usize),
    /// Free with a wrong page count.
    FreeWrongCount(usize, usize),
    /// Free a pointer `offset` bytes into the n-th live buffer.
    FreeInterior(usize, usize),
    /// Free something already freed.
    DoubleFree,
    /// Free a pointer outside the arena.
    FreeForeign,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0usize..20).prop_map(Op::Alloc),
        4 => any::<usize>().prop_map(Op::Free),
        1 => (any::<usize>(), 0usize..100).prop_map(|(i, n)| Op::FreeWrongCount(i, n)),
        1 => (any::<usize>(), 1usize..3 * PAGE_SIZE).prop_map(|(i, o)| Op::FreeInterior(i, o)),
        1 => Just(Op::DoubleFree),
        1 => Just(Op::FreeForeign),
    ]
}

fn new_arena() -> (Arena, usize) {
    let layout = std::alloc::Layout::from_size_align(PAGES * PAGE_SIZE, PAGE_SIZE).unwrap();
    // SAFETY: non-zero size; leaked, so the memory lives forever and only
    // this arena uses it.
    unsafe {
        let base = std::alloc::alloc_zeroed(layout);
        let state = Box::leak(vec![0u32; PAGES].into_boxed_slice()).as_mut_ptr();
        (Arena::from_raw_parts(base, PAGES, state), base as usize)
    }
}

/// The model frees pointers it allocated and never reads a freed buffer
/// again (it checks the scrubbing through the arena's own memory, which
/// stays mapped).
fn free(arena: &mut Arena, ptr: *const u8) -> Result<usize, InvalidBuffer> {
    // SAFETY: no `Buffer` owns arena memory here, and the model never uses
    // a freed buffer as live.
    unsafe { arena.free(ptr) }
}

/// As `free`, with the page count checked.
fn free_exact(arena: &mut Arena, ptr: *const u8, count: usize) -> Result<(), InvalidBuffer> {
    // SAFETY: as in `free`.
    unsafe { arena.free_pages_exact(ptr, count) }
}

/// The byte each live buffer is filled with, so disturbance shows.
fn tag(addr: usize) -> u8 {
    ((addr / PAGE_SIZE) % 251) as u8 + 1
}

fn bytes(addr: usize, pages: usize) -> &'static mut [u8] {
    // SAFETY: only called for live buffers of the test's own arena.
    unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, pages * PAGE_SIZE) }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, .. ProptestConfig::default() })]

    #[test]
    fn arena_matches_the_model(ops in prop::collection::vec(op(), 1..200)) {
        let (mut arena, base) = new_arena();
        // Model: live buffers by address -> pages; and what was freed.
        let mut live: BTreeMap<usize, usize> = BTreeMap::new();
        let mut freed: Vec<usize> = Vec::new();
        for op in ops {
            match op {
                Op::Alloc(n) => {
                    let free_before = arena.free_pages();
                    match arena.alloc(n) {
                        Ok(p) => {
                            let a = p.as_ptr() as usize;
                            prop_assert!(n > 0);
                            prop_assert_eq!(a % PAGE_SIZE, 0);
                            prop_assert!(a >= base && a + n * PAGE_SIZE <= base + PAGES * PAGE_SIZE);
                            for (&b, &m) in &live {
                                prop_assert!(a + n * PAGE_SIZE <= b || b + m * PAGE_SIZE <= a, "overlap");
                            }
                            let buf = bytes(a, n);
                            prop_assert!(buf.iter().all(|&x| x == 0), "not zeroed on hand-out");
                            buf.fill(tag(a));
                            live.insert(a, n);
                            freed.retain(|&f| f != a);
                        }
                        Err(Error::InvalidSize) => prop_assert_eq!(n, 0),
                        Err(Error::OutOfBufferMemory) => {
                            // Only when no free run of n pages exists.
                            prop_assert!(n > 0);
                            prop_assert_eq!(arena.free_pages(), free_before);
                            let mut run = 0;
                            let mut longest = 0;
                            for page in 0..PAGES {
                                let addr = base + page * PAGE_SIZE;
                                let used = live.iter().any(|(&b, &m)| addr >= b && addr < b + m * PAGE_SIZE);
                                run = if used { 0 } else { run + 1 };
                                longest = longest.max(run);
                            }
                            prop_assert!(longest < n, "refused {} pages with a free run of {}", n, longest);
                        }
                        Err(e) => prop_assert!(false, "unexpected {:?}", e),
                    }
                }
                Op::Free(i) if !live.is_empty() => {
                    let (&a, &n) = live.iter().nth(i % live.len()).unwrap();
                    prop_assert_eq!(free(&mut arena, a as *const u8), Ok(n));
                    live.remove(&a);
                    freed.push(a);
                    prop_assert!(bytes(a, n).iter().all(|&x| x == 0), "not scrubbed on free");
                }
                Op::FreeWrongCount(i, count) if !live.is_empty() => {
                    let (&a, &n) = live.iter().nth(i % live.len()).unwrap();
                    let r = free_exact(&mut arena, a as *const u8, count);
                    if count == n {
                        prop_assert_eq!(r, Ok(()));
                        live.remove(&a);
                        freed.push(a);
                    } else {
                        prop_assert_eq!(r, Err(InvalidBuffer::WrongPageCount { allocated: n, given: count }));
                    }
                }
                Op::FreeInterior(i, offset) if !live.is_empty() => {
                    let (&a, &n) = live.iter().nth(i % live.len()).unwrap();
                    let p = a + offset;
                    let r = free(&mut arena, p as *const u8);
                    if p >= base + PAGES * PAGE_SIZE {
                        prop_assert_eq!(r, Err(InvalidBuffer::Foreign));
                    } else if offset % PAGE_SIZE != 0 {
                        prop_assert_eq!(r, Err(InvalidBuffer::Misaligned));
                    } else if let Some(&m) = live.get(&p) {
                        // Landed exactly on the next live buffer: a valid free.
                        prop_assert_eq!(r, Ok(m));
                        live.remove(&p);
                        freed.push(p);
                    } else {
                        prop_assert_eq!(r, Err(InvalidBuffer::NotAllocated), "offset {} into {} pages", offset, n);
                    }
                }
                Op::DoubleFree => {
                    if let Some(&a) = freed.last() {
                        prop_assert_eq!(free(&mut arena, a as *const u8), Err(InvalidBuffer::NotAllocated));
                    }
                }
                Op::FreeForeign => {
                    let x = 0u8;
                    prop_assert_eq!(free(&mut arena, &x), Err(InvalidBuffer::Foreign));
                    prop_assert_eq!(free(&mut arena, std::ptr::null()), Err(InvalidBuffer::Null));
                }
                _ => {}
            }
            // Live contents are never disturbed, and accounting matches.
            for (&a, &n) in &live {
                prop_assert!(bytes(a, n).iter().all(|&x| x == tag(a)), "live buffer disturbed");
            }
            prop_assert_eq!(arena.free_pages(), PAGES - live.values().sum::<usize>());
        }
        for &a in live.keys() {
            prop_assert!(free(&mut arena, a as *const u8).is_ok());
        }
        prop_assert_eq!(arena.free_pages(), PAGES);
        prop_assert!(arena.alloc(PAGES).is_ok(), "all memory back after everything is freed");
    }
}
