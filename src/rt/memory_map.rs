//! The memory map from `XENMEM_memory_map`, for boots whose start-of-day
//! structure carries none (a PVH dom0's `hvm_start_info` has no map).

use crate::abi::memory::{E820Entry, MemoryOpCmd, XenMemoryMap};
use crate::abi::HypercallOp;
use crate::rt::{BootInfo, MemoryKind, MemoryRegion};
use crate::{OpenFlags, Xencall};

/// Ask Xen for this domain's memory map and add it to `boot`. Failures
/// (Arm has no such call) leave the map empty.
pub(super) fn from_xen(boot: &mut BootInfo) {
    const MAX: usize = crate::rt::boot_info::MAX_MEMORY_REGIONS;
    let Ok(xc) = Xencall::open(None, OpenFlags::empty()) else {
        return;
    };
    let Ok(entries) = xc.buffer_array(
        MAX,
        E820Entry {
            addr: 0,
            size: 0,
            kind: 0,
        },
    ) else {
        return;
    };
    let Ok(map) = xc.buffer(XenMemoryMap {
        nr_entries: MAX as u32,
        _pad0: 0,
        buffer: entries.addr(),
    }) else {
        return;
    };
    // SAFETY: Xen reads the count and writes at most that many entries
    // into `entries`, then the count back into `map`.
    if unsafe {
        xc.call2(
            HypercallOp::MEMORY_OP,
            MemoryOpCmd::MEMORY_MAP.0.into(),
            map.addr(),
        )
    }
    .is_err()
    {
        return;
    }
    let n = (map.read().nr_entries as usize).min(MAX);
    // `take`, not `[..n]`: no panic path for a bound already checked.
    for e in entries.iter().take(n) {
        let e = *e;
        boot.push_memory(MemoryRegion {
            start: e.addr,
            len: e.size,
            kind: MemoryKind::from_e820(e.kind),
        });
    }
}
