//! Coverage-guided twin of `tests/arena_model.rs`: the input is decoded
//! into a sequence of arena operations, good and bad, and after every one
//! the arena is checked against a plain model of what must be true.
//!
//! Checked after every step: live buffers never overlap, are page-aligned
//! and inside the arena; a buffer is zero when handed out, even where an
//! earlier holder wrote to it; live contents are never disturbed; an
//! allocation fails exactly when no free run is long enough, and fails with
//! an error, not a panic; refused frees change nothing; and once everything
//! is freed every page is free (and zero) again. Any violation panics, which
//! libFuzzer reports as a crash.
//!
//! Input format, one operation after another (a missing byte reads as 0,
//! so every input decodes and truncation never hides an operation):
//!
//! | first byte % 10 | operation                     | argument bytes         |
//! |-----------------|-------------------------------|------------------------|
//! | 0, 1, 2         | alloc                         | size                   |
//! | 3, 4            | free the k-th live buffer     | k                      |
//! | 5               | `free_pages_exact`, any count | k, size                |
//! | 6               | free an interior pointer      | k, offset hi, offset lo|
//! | 7               | free something already freed  | k                      |
//! | 8               | free a foreign pointer        | which                  |
//! | 9               | write a tag into a buffer     | k, tag                 |
//!
//! A size byte below 0xF8 means `byte % 72` pages (0, fits, and more than
//! the 64-page arena); 0xF8..=0xFF pick the edge cases in `EDGE_SIZES`.

#![no_main]

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

use libfuzzer_sys::fuzz_target;
use xencall::buffers::{Arena, MAX_BUFFER_PAGES, PAGE_SIZE};
use xencall::{Error, InvalidBuffer};

/// Small, so that exhaustion and fragmentation are reached in a few bytes.
const PAGES: usize = 64;

/// Sizes a byte can't reach by `% 72`: overflow of the byte count, the
/// state encoding's limit either side, and the arena's own size.
const EDGE_SIZES: [usize; 8] = [
    usize::MAX,
    usize::MAX / PAGE_SIZE + 1,
    usize::MAX / PAGE_SIZE,
    MAX_BUFFER_PAGES,
    MAX_BUFFER_PAGES + 1,
    PAGES,
    PAGES + 1,
    1,
];

/// The arena's memory, allocated once and leaked: libFuzzer runs millions
/// of inputs per process and a fresh 256 KiB zeroed allocation for each
/// would dominate the run. Addresses are kept as integers so the static is
/// `Sync`; the mutex also keeps two inputs from ever sharing the memory.
struct Memory {
    base: usize,
    state: usize,
}

static MEMORY: Mutex<Option<Memory>> = Mutex::new(None);

fn leak_memory() -> Memory {
    let layout = std::alloc::Layout::from_size_align(PAGES * PAGE_SIZE, PAGE_SIZE).unwrap();
    // SAFETY: non-zero size. Leaked: it lives for the whole process.
    let base = unsafe { std::alloc::alloc_zeroed(layout) };
    assert!(!base.is_null(), "out of host memory");
    let state = Box::leak(vec![0u32; PAGES].into_boxed_slice()).as_mut_ptr();
    Memory {
        base: base as usize,
        state: state as usize,
    }
}

/// The fuzzer frees pointers it allocated and never uses a freed buffer as
/// live again.
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

fn bytes(addr: usize, pages: usize) -> &'static mut [u8] {
    // SAFETY: only called on pages of the leaked arena memory, and no other
    // reference to them is held across the call (the arena keeps raw
    // pointers only).
    unsafe { std::slice::from_raw_parts_mut(addr as *mut u8, pages * PAGE_SIZE) }
}

/// Every byte of the range is `byte`. Page-sized slice comparisons become
/// `memcmp`: a byte-at-a-time loop over up to 64 live pages after every
/// step would cost more than the arena operations being tested.
fn holds(addr: usize, pages: usize, byte: u8) -> bool {
    let pattern = [byte; PAGE_SIZE];
    bytes(addr, pages)
        .chunks_exact(PAGE_SIZE)
        .all(|page| page == pattern)
}

/// The fill a fresh buffer gets: non-zero, so that a buffer handed out
/// again without its pages having been scrubbed shows.
fn first_tag(addr: usize) -> u8 {
    ((addr / PAGE_SIZE) % 251) as u8 + 1
}

struct Input<'a>(&'a [u8]);

impl Input<'_> {
    fn byte(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }

    fn size(&mut self) -> usize {
        match self.byte() {
            b @ 0xf8.. => EDGE_SIZES[(b - 0xf8) as usize],
            b => b as usize % (PAGES + 8),
        }
    }
}

/// What the arena must look like: live buffers by address, with their page
/// count and the byte they are filled with; and addresses freed since last
/// handed out, for double frees.
struct Model {
    base: usize,
    /// The state table's address, as a foreign pointer to try.
    state: usize,
    live: BTreeMap<usize, (usize, u8)>,
    freed: BTreeSet<usize>,
}

impl Model {
    fn end(&self) -> usize {
        self.base + PAGES * PAGE_SIZE
    }

    fn nth_live(&self, k: u8) -> Option<(usize, usize)> {
        if self.live.is_empty() {
            return None;
        }
        let (&a, &(n, _)) = self.live.iter().nth(k as usize % self.live.len())?;
        Some((a, n))
    }

    fn used_pages(&self) -> usize {
        self.live.values().map(|&(n, _)| n).sum()
    }

    /// Longest run of pages no live buffer covers: an allocation of more
    /// must fail, of up to this many must succeed.
    fn longest_free_run(&self) -> usize {
        let (mut longest, mut next) = (0, self.base);
        for (&a, &(n, _)) in &self.live {
            longest = longest.max((a - next) / PAGE_SIZE);
            next = a + n * PAGE_SIZE;
        }
        longest.max((self.end() - next) / PAGE_SIZE)
    }

    fn freed_now(&mut self, a: usize) {
        let (n, _) = self.live.remove(&a).expect("model frees only live buffers");
        self.freed.insert(a);
        assert!(
            holds(a, n, 0),
            "freed buffer at {a:#x} ({n} pages) not scrubbed"
        );
    }
}

/// The invariants that must hold between any two operations.
fn check(arena: &Arena, model: &Model) {
    assert_eq!(arena.total_pages(), PAGES);
    assert_eq!(
        arena.free_pages(),
        PAGES - model.used_pages(),
        "free page count disagrees with the live buffers"
    );
    let mut prev_end = model.base;
    for (&a, &(n, tag)) in &model.live {
        assert!(a >= prev_end, "live buffers overlap at {a:#x}");
        prev_end = a + n * PAGE_SIZE;
        assert!(
            prev_end <= model.end(),
            "buffer at {a:#x} runs past the arena"
        );
        assert!(arena.contains(a));
        assert_eq!(
            arena.lookup(a as *const u8),
            Ok(((a - model.base) / PAGE_SIZE, n))
        );
        assert!(
            holds(a, n, tag),
            "live buffer at {a:#x} ({n} pages) disturbed"
        );
    }
}

fn alloc(arena: &mut Arena, model: &mut Model, n: usize) {
    let fits = model.longest_free_run();
    match arena.alloc(n) {
        Ok(p) => {
            let a = p.as_ptr() as usize;
            assert!(
                n > 0 && n <= fits,
                "handed out {n} pages with a longest free run of {fits}"
            );
            assert_eq!(a % PAGE_SIZE, 0, "misaligned buffer {a:#x}");
            assert!(
                a >= model.base && a + n * PAGE_SIZE <= model.end(),
                "buffer {a:#x} outside the arena"
            );
            for (&b, &(m, _)) in &model.live {
                assert!(
                    a + n * PAGE_SIZE <= b || b + m * PAGE_SIZE <= a,
                    "{a:#x}+{n} overlaps {b:#x}+{m}"
                );
            }
            assert!(
                holds(a, n, 0),
                "buffer at {a:#x} ({n} pages) not zero when handed out"
            );
            let tag = first_tag(a);
            bytes(a, n).fill(tag);
            model.live.insert(a, (n, tag));
            model.freed.remove(&a);
        }
        Err(Error::InvalidSize) => {
            assert!(
                n == 0 || n.checked_mul(PAGE_SIZE).is_none(),
                "{n} pages refused as an invalid size"
            );
        }
        Err(Error::OutOfBufferMemory) => {
            assert!(
                n > 0 && n.checked_mul(PAGE_SIZE).is_some(),
                "{n} pages: wrong error"
            );
            assert!(fits < n, "refused {n} pages with a free run of {fits}");
        }
        Err(e) => panic!("alloc({n}): unexpected {e:?}"),
    }
}

fn run(arena: &mut Arena, model: &mut Model, mut input: Input) {
    while !input.0.is_empty() {
        match input.byte() % 10 {
            0..=2 => {
                let n = input.size();
                alloc(arena, model, n);
            }
            3 | 4 => {
                let k = input.byte();
                if let Some((a, n)) = model.nth_live(k) {
                    assert_eq!(free(arena, a as *const u8), Ok(n));
                    model.freed_now(a);
                }
            }
            5 => {
                let (k, count) = (input.byte(), input.size());
                if let Some((a, n)) = model.nth_live(k) {
                    let r = free_exact(arena, a as *const u8, count);
                    if count == n {
                        assert_eq!(r, Ok(()));
                        model.freed_now(a);
                    } else {
                        assert_eq!(
                            r,
                            Err(InvalidBuffer::WrongPageCount {
                                allocated: n,
                                given: count
                            })
                        );
                    }
                }
            }
            6 => {
                let (k, hi, lo) = (input.byte(), input.byte(), input.byte());
                // Even `hi`: a whole number of pages in, landing on a tail,
                // a free page, the next buffer or past the arena; odd: a
                // misaligned address. Uniform offsets would almost never be
                // page-aligned.
                let whole = (hi as usize >> 1) % 4;
                let offset = if hi & 1 == 0 {
                    whole.max(1) * PAGE_SIZE
                } else {
                    whole * PAGE_SIZE + 1 + lo as usize * 16
                };
                if let Some((a, n)) = model.nth_live(k) {
                    let p = a + offset;
                    let r = free(arena, p as *const u8);
                    if p >= model.end() {
                        assert_eq!(r, Err(InvalidBuffer::Foreign));
                    } else if offset % PAGE_SIZE != 0 {
                        assert_eq!(r, Err(InvalidBuffer::Misaligned));
                    } else if let Some(&(m, _)) = model.live.get(&p) {
                        // Landed exactly on the next live buffer: a good free.
                        assert_eq!(r, Ok(m));
                        model.freed_now(p);
                    } else {
                        assert_eq!(
                            r,
                            Err(InvalidBuffer::NotAllocated),
                            "offset {offset} into {n} pages"
                        );
                    }
                }
            }
            7 => {
                let k = input.byte() as usize;
                if !model.freed.is_empty() {
                    let a = *model.freed.iter().nth(k % model.freed.len()).unwrap();
                    // Freed and not handed out again at that address: at
                    // most a tail of a newer buffer now.
                    assert_eq!(
                        free(arena, a as *const u8),
                        Err(InvalidBuffer::NotAllocated)
                    );
                }
            }
            8 => {
                let which = input.byte();
                let local = 0u8;
                let heap = Box::new(0u8);
                let (p, expected) = match which % 8 {
                    0 => (0, InvalidBuffer::Null),
                    1 => (&local as *const u8 as usize, InvalidBuffer::Foreign),
                    // One past the end, and the page and byte just before.
                    2 => (model.end(), InvalidBuffer::Foreign),
                    3 => (model.base - PAGE_SIZE, InvalidBuffer::Foreign),
                    4 => (model.base - 1, InvalidBuffer::Foreign),
                    // The arena's own bookkeeping is not a buffer either.
                    5 => (model.state, InvalidBuffer::Foreign),
                    6 => (usize::MAX & !(PAGE_SIZE - 1), InvalidBuffer::Foreign),
                    _ => (&*heap as *const u8 as usize, InvalidBuffer::Foreign),
                };
                // Both entry points share the check; exercise both.
                if which & 8 == 0 {
                    assert_eq!(free(arena, p as *const u8), Err(expected), "free({p:#x})");
                } else {
                    assert_eq!(
                        free_exact(arena, p as *const u8, 1),
                        Err(expected),
                        "free_pages_exact({p:#x})"
                    );
                }
            }
            _ => {
                let (k, tag) = (input.byte(), input.byte());
                if let Some((a, n)) = model.nth_live(k) {
                    bytes(a, n).fill(tag);
                    model.live.get_mut(&a).unwrap().1 = tag;
                }
            }
        }
        check(arena, model);
    }
}

fuzz_target!(|data: &[u8]| {
    let mut memory = MEMORY.lock().unwrap();
    let memory = memory.get_or_insert_with(leak_memory);
    // A fresh arena per input, over the same memory: the previous input
    // ended with every page zero and every state word FREE (checked below),
    // which is exactly the constructor's contract. Rebuilding rather than
    // reusing also resets the next-fit cursor, so a crash replays from its
    // input alone.
    // SAFETY: page-aligned, PAGES pages, all zero; PAGES zeroed state words;
    // used by nothing else while the lock is held.
    let mut arena =
        unsafe { Arena::from_raw_parts(memory.base as *mut u8, PAGES, memory.state as *mut u32) };
    let mut model = Model {
        base: memory.base,
        state: memory.state,
        live: BTreeMap::new(),
        freed: BTreeSet::new(),
    };
    check(&arena, &model);

    run(&mut arena, &mut model, Input(data));

    let live: Vec<(usize, usize)> = model.live.iter().map(|(&a, &(n, _))| (a, n)).collect();
    for (a, n) in live {
        assert_eq!(free(&mut arena, a as *const u8), Ok(n));
        model.freed_now(a);
    }
    check(&arena, &model);
    assert_eq!(
        arena.free_pages(),
        PAGES,
        "pages lost after freeing everything"
    );
    let all = arena
        .alloc(PAGES)
        .expect("the whole arena is one free run again");
    assert_eq!(free(&mut arena, all.as_ptr()), Ok(PAGES));
    // No data left behind anywhere, and the bookkeeping is back to the
    // state the next input's constructor requires.
    assert!(
        holds(memory.base, PAGES, 0),
        "a page is not zero after freeing everything"
    );
    // SAFETY: the leaked table of PAGES words; the arena that used it is
    // no longer called.
    let state = unsafe { std::slice::from_raw_parts(memory.state as *const u32, PAGES) };
    assert!(
        state.iter().all(|&s| s == 0),
        "state table not all FREE after freeing everything"
    );
});
