//! The aarch64 runtime's device-tree reader (`arch/aarch64/rt/fdt.rs`),
//! compiled on the host: it answers the runtime's questions on a tree laid
//! out as Xen gives dom0 on QEMU's `virt` board, and on tens of thousands of
//! corrupted copies it never panics (every read is a checked slice access,
//! so a read outside the blob would be a panic here). This is why the
//! runtime keeps its own reader rather than the `fdt` crate (README, "why we
//! keep our own").

// The file is a module of the runtime; only the reader's own items are used.
#[allow(dead_code)]
#[path = "../arch/aarch64/rt/fdt.rs"]
mod fdt;

use std::panic::{catch_unwind, AssertUnwindSafe};

/// A flattened device tree under construction (version 17).
#[derive(Default)]
struct TreeBuilder {
    structs: Vec<u8>,
    strings: Vec<u8>,
}

impl TreeBuilder {
    fn word(&mut self, w: u32) {
        self.structs.extend(w.to_be_bytes());
    }

    fn pad(&mut self) {
        while self.structs.len() % 4 != 0 {
            self.structs.push(0);
        }
    }

    fn begin(&mut self, name: &str) -> &mut Self {
        self.word(1);
        self.structs.extend(name.as_bytes());
        self.structs.push(0);
        self.pad();
        self
    }

    fn end(&mut self) -> &mut Self {
        self.word(2);
        self
    }

    fn prop(&mut self, name: &str, value: &[u8]) -> &mut Self {
        let name_offset = self.strings.len() as u32;
        self.strings.extend(name.as_bytes());
        self.strings.push(0);
        self.word(3);
        self.word(value.len() as u32);
        self.word(name_offset);
        self.structs.extend(value);
        self.pad();
        self
    }

    fn cells(&mut self, name: &str, cells: &[u32]) -> &mut Self {
        let bytes: Vec<u8> = cells.iter().flat_map(|c| c.to_be_bytes()).collect();
        self.prop(name, &bytes)
    }

    fn finish(&mut self) -> Vec<u8> {
        self.word(9);
        let header = 40u32;
        let reservations = 16u32;
        let structs_at = header + reservations;
        let strings_at = structs_at + self.structs.len() as u32;
        let total = strings_at + self.strings.len() as u32;
        let mut blob = Vec::new();
        for w in [
            0xd00d_feed,
            total,
            structs_at,
            strings_at,
            header,
            17,
            16,
            0,
            self.strings.len() as u32,
            self.structs.len() as u32,
        ] {
            blob.extend(w.to_be_bytes());
        }
        blob.extend([0; 16]); // an empty memory-reservation map
        blob.extend(&self.structs);
        blob.extend(&self.strings);
        blob
    }
}

/// The parts of dom0's tree on QEMU `virt` the runtime reads (values as Xen
/// 4.17 and QEMU 7.2 write them: 2-cell addresses and sizes, the GICv3
/// distributor and redistributor, the timer's four PPIs, Xen's event PPI).
fn xen_dom0_tree() -> Vec<u8> {
    let mut t = TreeBuilder::default();
    t.begin("")
        .cells("#address-cells", &[2])
        .cells("#size-cells", &[2])
        .prop("compatible", b"linux,dummy-virt\0");
    t.begin("chosen")
        .prop("bootargs", b"console=hvc0 xencall-exit=qemu\0")
        .end();
    t.begin("memory@40000000")
        .prop("device_type", b"memory\0")
        .cells("reg", &[0, 0x4000_0000, 0, 0x800_0000])
        .end();
    t.begin("interrupt-controller@8000000")
        .prop("compatible", b"arm,gic-v3\0")
        .cells(
            "reg",
            &[0, 0x800_0000, 0, 0x1_0000, 0, 0x80a_0000, 0, 0xf6_0000],
        )
        .end();
    t.begin("timer")
        .prop("compatible", b"arm,armv8-timer\0arm,armv7-timer\0")
        .cells(
            "interrupts",
            &[1, 13, 0xf08, 1, 14, 0xf08, 1, 11, 0xf08, 1, 10, 0xf08],
        )
        .end();
    t.begin("hypervisor")
        .prop("compatible", b"xen,xen-4.17\0xen,xen\0")
        .cells("interrupts", &[1, 0, 0xf08])
        .end();
    t.end();
    t.finish()
}

/// What the runtime asks of a tree.
#[derive(Debug, PartialEq)]
struct Answers {
    xen: bool,
    bootargs: String,
    memory: Vec<(u64, u64)>,
    gic: Option<(u64, (u64, u64))>,
    event: Option<u32>,
    timer: Option<u32>,
}

/// The largest tree the reader accepts; its contract wants that many
/// readable bytes at the address.
const MAX_SIZE: usize = 2 << 20;

/// Copy `blob` to the start of `words` (8-aligned memory).
fn write(words: &mut [u64], blob: &[u8]) {
    for (word, chunk) in words.iter_mut().zip(blob.chunks(8)) {
        let mut w = [0u8; 8];
        w[..chunk.len()].copy_from_slice(chunk);
        *word = u64::from_ne_bytes(w);
    }
}

/// `blob` at the start of a zeroed, 8-aligned buffer of [`MAX_SIZE`] bytes.
fn placed(blob: &[u8]) -> Vec<u64> {
    let mut words = vec![0u64; MAX_SIZE / 8];
    write(&mut words, blob);
    words
}

fn ask(buffer: &[u64]) -> Option<Answers> {
    // SAFETY: `buffer` is MAX_SIZE readable bytes, unchanged while read.
    let tree = unsafe { fdt::Fdt::from_addr(buffer.as_ptr() as u64) }?;
    let mut memory = Vec::new();
    tree.memory(|start, len| memory.push((start, len)));
    Some(Answers {
        xen: tree.has_xen(),
        bootargs: tree.bootargs().to_string(),
        memory,
        gic: tree.gic_v3(),
        event: tree.xen_event_interrupt(),
        timer: tree.virtual_timer_interrupt(),
    })
}

#[test]
fn the_reader_answers_the_runtimes_questions() {
    let answers = ask(&placed(&xen_dom0_tree())).expect("a sane header");
    assert_eq!(
        answers,
        Answers {
            xen: true,
            bootargs: "console=hvc0 xencall-exit=qemu".into(),
            memory: vec![(0x4000_0000, 0x800_0000)],
            gic: Some((0x800_0000, (0x80a_0000, 0xf6_0000))),
            event: Some(16),      // PPI 0
            timer: Some(16 + 11), // the third entry: the virtual timer
        }
    );
}

#[test]
fn a_bad_header_is_no_tree() {
    let good = xen_dom0_tree();
    let with = |at: usize, value: u32| {
        let mut b = good.clone();
        b[at..at + 4].copy_from_slice(&value.to_be_bytes());
        ask(&placed(&b))
    };
    assert!(with(0, 0xfeed_d00d).is_none(), "wrong magic");
    assert!(
        with(4, (MAX_SIZE + 1) as u32).is_none(),
        "larger than MAX_SIZE"
    );
    assert!(with(4, 39).is_none(), "smaller than a header");
    assert!(
        with(8, good.len() as u32).is_none(),
        "structure block past the end"
    );
    assert!(with(20, 16).is_none(), "version without the block sizes");
}

#[test]
fn corrupted_trees_never_make_the_reader_panic() {
    let good = xen_dom0_tree();
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let mut buffer = placed(&good);
    let mut panicked = Vec::new();
    for round in 0..20_000 {
        let mut blob = good.clone();
        for _ in 0..1 + next() % 4 {
            let at = (next() % blob.len() as u64) as usize;
            blob[at] = next() as u8;
        }
        // Same length as the good tree: the rest of the buffer stays zero.
        write(&mut buffer, &blob);
        if catch_unwind(AssertUnwindSafe(|| ask(&buffer))).is_err() {
            panicked.push(round);
        }
    }
    assert!(panicked.is_empty(), "panicked in rounds {panicked:?}");
}
