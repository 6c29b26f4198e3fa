//! A small, bounds-checked flattened-device-tree reader: just what the boot
//! runtime needs (Xen's node and its event interrupt, `/chosen/bootargs`,
//! `/memory` ranges, the GICv3 frames and the virtual timer's interrupt).
//! Malformed input ends the walk; it never reads outside the blob.

/// `FDT_MAGIC`, big-endian at offset 0.
const MAGIC: u32 = 0xd00d_feed;
const BEGIN_NODE: u32 = 1;
const END_NODE: u32 = 2;
const PROP: u32 = 3;
const NOP: u32 = 4;
const END: u32 = 9;
/// Largest tree accepted (Linux's limit too); bounds a corrupt header.
const MAX_SIZE: usize = 2 << 20;

/// A device tree blob in memory.
pub(super) struct Fdt {
    blob: &'static [u8],
    structs: core::ops::Range<usize>,
    strings: core::ops::Range<usize>,
}

fn be32(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_be_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

impl Fdt {
    /// The tree at `addr`, if its header is sane: the magic, a version
    /// with the structure-block size (17 or later, what Xen and QEMU
    /// write), a size of at most [`MAX_SIZE`], and blocks inside it.
    ///
    /// # Safety
    /// `addr` must point to a device tree (or at least to [`MAX_SIZE`]
    /// readable bytes) that stays mapped and unchanged.
    pub(super) unsafe fn from_addr(addr: u64) -> Option<Fdt> {
        if addr == 0 || addr % 8 != 0 {
            return None;
        }
        // SAFETY: the header is 40 bytes at a valid tree, by the contract.
        let header = unsafe { core::slice::from_raw_parts(addr as *const u8, 40) };
        if be32(header, 0)? != MAGIC || be32(header, 20)? < 17 {
            return None;
        }
        let total = be32(header, 4)? as usize;
        if !(40..=MAX_SIZE).contains(&total) {
            return None;
        }
        // SAFETY: `totalsize` bytes form the tree, by the contract, and
        // it is bounded above.
        let blob = unsafe { core::slice::from_raw_parts(addr as *const u8, total) };
        // A block: its offset and size header fields, checked to lie inside.
        let block = |off: usize, size: usize| {
            let start = be32(blob, off)? as usize;
            let end = start.checked_add(be32(blob, size)? as usize)?;
            (end <= total).then_some(start..end)
        };
        Some(Fdt {
            blob,
            structs: block(8, 36)?,
            strings: block(12, 32)?,
        })
    }

    fn string(&self, offset: usize) -> &'static str {
        let start = self.strings.start.saturating_add(offset);
        let bytes = self.blob.get(start..self.strings.end).unwrap_or(&[]);
        let len = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        core::str::from_utf8(&bytes[..len]).unwrap_or("")
    }

    /// Call `f(depth, node name, property name, value)` for every property.
    pub(super) fn for_each_property(&self, mut f: impl FnMut(usize, &str, &str, &'static [u8])) {
        self.walk(|_, depth, node, prop, value| f(depth, node, prop, value));
    }

    /// [`for_each_property`](Self::for_each_property), also passing the
    /// node's index (its position in the tree, counting from the root's
    /// 0), which tells nodes of the same name apart.
    fn walk(&self, mut f: impl FnMut(usize, usize, &str, &str, &'static [u8])) {
        let b = self.blob;
        let mut at = self.structs.start;
        let mut depth = 0usize;
        let mut names: [&str; 16] = [""; 16];
        let mut nodes = 0usize;
        let mut node_index = 0usize;
        while at + 4 <= self.structs.end {
            let Some(token) = be32(b, at) else { return };
            at += 4;
            match token {
                BEGIN_NODE => {
                    let rest = b.get(at..self.structs.end).unwrap_or(&[]);
                    let len = rest.iter().position(|&c| c == 0).unwrap_or(rest.len());
                    let name = core::str::from_utf8(&rest[..len]).unwrap_or("");
                    if depth < names.len() {
                        names[depth] = name;
                    }
                    depth += 1;
                    node_index = nodes;
                    nodes += 1;
                    at += (len + 1).next_multiple_of(4);
                }
                END_NODE => depth = depth.saturating_sub(1),
                PROP => {
                    let (Some(len), Some(nameoff)) = (be32(b, at), be32(b, at + 4)) else {
                        return;
                    };
                    at += 8;
                    let end = at.saturating_add(len as usize);
                    if end > self.structs.end {
                        return;
                    }
                    let Some(value) = b.get(at..end) else {
                        return;
                    };
                    let node = names.get(depth.wrapping_sub(1)).copied().unwrap_or("");
                    f(
                        node_index,
                        depth,
                        node,
                        self.string(nameoff as usize),
                        value,
                    );
                    at += (len as usize).next_multiple_of(4);
                }
                NOP => {}
                END => return,
                _ => return,
            }
        }
    }

    /// `true` if a child of the root (Xen's is `/hypervisor`) is
    /// compatible with `"xen,xen"`, as the Xen device-tree binding says.
    pub(super) fn has_xen(&self) -> bool {
        let mut found = false;
        self.for_each_property(|depth, _, prop, value| {
            if depth == 2
                && prop == "compatible"
                && value.split(|&c| c == 0).any(|s| s == b"xen,xen")
            {
                found = true;
            }
        });
        found
    }

    /// `/chosen/bootargs`.
    pub(super) fn bootargs(&self) -> &'static str {
        let mut args = "";
        self.for_each_property(|depth, node, prop, value| {
            if depth == 2 && node == "chosen" && prop == "bootargs" {
                let len = value.iter().position(|&c| c == 0).unwrap_or(value.len());
                args = core::str::from_utf8(&value[..len]).unwrap_or("");
            }
        });
        args
    }

    /// `(start, size)` of every `/memory*` `reg` entry, with the root's
    /// `#address-cells`/`#size-cells` (2 and 1 by default).
    pub(super) fn memory(&self, mut f: impl FnMut(u64, u64)) {
        let (acells, scells) = self.root_cells();
        let cells = |v: &[u8], n: usize| -> Option<u64> {
            (0..n).try_fold(0u64, |acc, i| {
                Some((acc << 32) | u64::from(be32(v, i * 4)?))
            })
        };
        self.for_each_property(|depth, node, prop, value| {
            if depth == 2 && (node == "memory" || node.starts_with("memory@")) && prop == "reg" {
                let entry = (acells + scells) * 4;
                if entry == 0 {
                    return;
                }
                for chunk in value.chunks_exact(entry) {
                    if let (Some(start), Some(size)) =
                        (cells(chunk, acells), cells(&chunk[acells * 4..], scells))
                    {
                        f(start, size);
                    }
                }
            }
        });
    }

    /// The root's `#address-cells` and `#size-cells` (2 and 1 by default).
    fn root_cells(&self) -> (usize, usize) {
        let (mut acells, mut scells) = (2usize, 1usize);
        self.for_each_property(|depth, _, prop, value| {
            if depth == 1 && prop == "#address-cells" {
                acells = be32(value, 0).unwrap_or(2) as usize;
            }
            if depth == 1 && prop == "#size-cells" {
                scells = be32(value, 0).unwrap_or(1) as usize;
            }
        });
        (acells, scells)
    }

    /// The index of the first child of the root whose `compatible` list
    /// holds one of `compatibles`.
    fn root_child_compatible(&self, compatibles: &[&[u8]]) -> Option<usize> {
        let mut found = None;
        self.walk(|index, depth, _, prop, value| {
            if found.is_none()
                && depth == 2
                && prop == "compatible"
                && value.split(|&c| c == 0).any(|s| compatibles.contains(&s))
            {
                found = Some(index);
            }
        });
        found
    }

    /// Property `name` of the node at `index`.
    fn property(&self, index: usize, name: &str) -> Option<&'static [u8]> {
        let mut found = None;
        self.walk(|i, _, _, prop, value| {
            if i == index && prop == name {
                found = Some(value);
            }
        });
        found
    }

    /// The GIC interrupt ID of entry `n` of a node's `interrupts`, read as
    /// the GICv3 binding's three cells: type (0 SPI, 1 PPI), number (from
    /// 32 for SPIs, from 16 for PPIs), flags.
    fn gic_interrupt(interrupts: &[u8], n: usize) -> Option<u32> {
        let kind = be32(interrupts, n * 12)?;
        let number = be32(interrupts, n * 12 + 4)?;
        match kind {
            0 => number.checked_add(32),
            1 => number.checked_add(16),
            _ => None,
        }
    }

    /// The interrupt ID Xen raises for events: `/hypervisor`'s
    /// (`xen,xen`) `interrupts`, a PPI. `None` if the node or property is
    /// missing or not a GIC interrupt.
    pub(super) fn xen_event_interrupt(&self) -> Option<u32> {
        let node = self.root_child_compatible(&[b"xen,xen"])?;
        Self::gic_interrupt(self.property(node, "interrupts")?, 0)
    }

    /// The virtual timer's interrupt ID: the third entry of the
    /// architected timer node's `interrupts` (secure physical, non-secure
    /// physical, virtual, hypervisor).
    pub(super) fn virtual_timer_interrupt(&self) -> Option<u32> {
        let node = self.root_child_compatible(&[b"arm,armv8-timer", b"arm,armv7-timer"])?;
        Self::gic_interrupt(self.property(node, "interrupts")?, 2)
    }

    /// `(GICD, GICR)`: the distributor's base and the first redistributor
    /// region's base and size, from the `arm,gic-v3` node's `reg` (with
    /// the root's cell sizes: the node is a child of the root). `None`
    /// without a GICv3.
    pub(super) fn gic_v3(&self) -> Option<(u64, (u64, u64))> {
        let node = self.root_child_compatible(&[b"arm,gic-v3"])?;
        let reg = self.property(node, "reg")?;
        let (acells, scells) = self.root_cells();
        let cells = |at: usize, n: usize| -> Option<u64> {
            (0..n).try_fold(0u64, |acc, i| {
                Some((acc << 32) | u64::from(be32(reg, at + i * 4)?))
            })
        };
        let entry = (acells + scells) * 4;
        if entry == 0 || acells > 2 || scells > 2 {
            return None;
        }
        let gicd = cells(0, acells)?;
        let gicr = cells(entry, acells)?;
        let gicr_size = cells(entry + acells * 4, scells)?;
        Some((gicd, (gicr, gicr_size)))
    }
}
