//! Naming a PV guest's stack overflow from what Xen prints.
//!
//! Xen delivers a PV guest's exceptions by writing the exception frame onto
//! the guest's current stack itself (`create_bounce_frame`). When the
//! stack overflowed into its unmapped guard page, that write faults inside
//! Xen: it prints the page walk of the address it could not write, then
//! "domain_crash_sync called from entry.S" and crashes the domain. No
//! guest code runs again, so the guest cannot report; this reads Xen's
//! lines instead. The runtime unmaps nothing inside the image but its
//! guard pages, so an unmapped address inside the image is one of them.
//!
//! ```text
//! (XEN) Pagetable walk from 000000000021ef38:
//! (XEN)  L4[0x000] = 000000001e456067 0000000000000456
//! (XEN)  L3[0x000] = 000000001e455067 0000000000000455
//! (XEN)  L2[0x001] = 000000001e457067 0000000000000457
//! (XEN)  L1[0x01e] = 0000000000000000 ffffffffffffffff
//! (XEN) domain_crash_sync called from entry.S: fault at ffff82d0403602d0 ...
//! ```

/// Xen could not write a PV guest's exception frame at `address`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameFault {
    pub address: u64,
    /// The walk ended at an entry without the present bit.
    pub unmapped: bool,
}

/// The last frame-write fault in `log` that Xen crashed the domain for.
pub fn frame_fault(log: &str) -> Option<FrameFault> {
    let mut walk: Option<FrameFault> = None;
    let mut found = None;
    for line in log.lines() {
        if let Some(rest) = line.split("Pagetable walk from ").nth(1) {
            let hex = rest.trim().trim_end_matches(':');
            walk = u64::from_str_radix(hex, 16).ok().map(|address| FrameFault {
                address,
                unmapped: false,
            });
        } else if let (Some(w), Some(entry)) = (walk.as_mut(), walk_entry(line)) {
            // Each level printed; the last one decides.
            w.unmapped = entry & 1 == 0;
        } else if line.contains("domain_crash_sync called from entry.S") {
            found = walk.take().or(found);
        }
    }
    found
}

/// The value of a page-walk line's entry (` L1[0x01e] = 0000...`).
fn walk_entry(line: &str) -> Option<u64> {
    let (level, rest) = line.split_once("] = ")?;
    // "(XEN)  L1[0x01e": the word before '[' is the level, L1 to L4.
    let name = level.rsplit_once('[')?.0.split_whitespace().last()?;
    if !matches!(name, "L1" | "L2" | "L3" | "L4") {
        return None;
    }
    u64::from_str_radix(rest.split_whitespace().next()?, 16).ok()
}

/// A line explaining Xen's crash of the guest whose image spans
/// `image` (virtual addresses), if Xen crashed it for a frame it could not
/// write.
pub fn explain(log: &str, image: (u64, u64)) -> Option<String> {
    let fault = frame_fault(log)?;
    let inside = (image.0..image.1).contains(&fault.address);
    Some(if fault.unmapped && inside {
        format!(
            "stack overflow: Xen crashed the PV guest, unable to write an exception frame at \
             {:#x}, an unmapped page inside the image (a stack's guard page)",
            fault.address
        )
    } else {
        format!(
            "Xen crashed the PV guest, unable to write an exception frame at {:#x} \
             (its stack pointer was {})",
            fault.address,
            if inside {
                "inside the image"
            } else {
                "outside the image"
            }
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const OVERFLOW: &str = "\
xencall-test: faults_while_printing ... skipped: not given
(XEN) Pagetable walk from 000000000021ef38:
(XEN)  L4[0x000] = 000000001e456067 0000000000000456
(XEN)  L3[0x000] = 000000001e455067 0000000000000455
(XEN)  L2[0x001] = 000000001e457067 0000000000000457
(XEN)  L1[0x01e] = 0000000000000000 ffffffffffffffff
(XEN) domain_crash_sync called from entry.S: fault at ffff82d0403602d0 x86_64/entry.S#domain_crash_page_fault_6x8+0/0x4
(XEN) Domain 0 (vcpu#0) crashed on cpu#0:
";

    #[test]
    fn an_unmapped_page_inside_the_image_is_a_stack_overflow() {
        assert_eq!(
            frame_fault(OVERFLOW),
            Some(FrameFault {
                address: 0x21ef38,
                unmapped: true
            })
        );
        let line = explain(OVERFLOW, (0x10_0000, 0x40_0000)).unwrap();
        assert!(line.starts_with("stack overflow: "), "{line}");
        assert!(line.contains("0x21ef38"));
    }

    #[test]
    fn elsewhere_it_is_a_bad_stack_pointer_not_an_overflow() {
        let line = explain(OVERFLOW, (0x40_0000, 0x80_0000)).unwrap();
        assert!(!line.contains("stack overflow"), "{line}");
        let mapped = OVERFLOW.replace(
            "L1[0x01e] = 0000000000000000",
            "L1[0x01e] = 000000000021e067",
        );
        assert_eq!(frame_fault(&mapped).map(|f| f.unmapped), Some(false));
        assert!(!explain(&mapped, (0x10_0000, 0x40_0000))
            .unwrap()
            .contains("overflow"));
    }

    #[test]
    fn a_walk_without_a_domain_crash_or_no_walk_explains_nothing() {
        let walk_only = OVERFLOW.replace("domain_crash_sync", "something else");
        assert_eq!(frame_fault(&walk_only), None);
        assert_eq!(
            explain("(XEN) Hardware Dom0 crashed\n", (0, u64::MAX)),
            None
        );
        // The null-callback crash prints no walk.
        let no_walk = "(XEN) domain_crash_sync called from entry.S: fault at ffff82d040204b78 \
                       x86_64/entry.S#create_bounce_frame+0x14f/0x177\n";
        assert_eq!(frame_fault(no_walk), None);
    }
}
