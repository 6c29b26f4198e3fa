//! The Arm generic timer's virtual timer, as a wake-up source for
//! `SCHEDOP_block`. Xen on Arm has neither `VCPUOP_set_singleshot_timer`
//! nor `set_timer_op`: a guest's timer is the virtual timer, which it
//! programs directly. While the vCPU is blocked Xen keeps a timer of its
//! own for the deadline and, when it passes, raises the virtual timer's
//! PPI, which wakes the vCPU.
//!
//! The runtime's IRQ handler takes that PPI: it disables the timer (its
//! output is level: left enabled, it would interrupt again at once) and
//! counts ([`interrupts`]). Use after `events::enable_upcall`, which sets
//! up the GIC.

use crate::error::Result;

/// The counter's frequency in Hz (`CNTFRQ_EL0`).
///
/// ```no_run
/// # #[cfg(all(target_os = "none", target_arch = "aarch64"))]
/// # fn demo() -> xencall::Result<()> {
/// use xencall::rt::events::arm_timer;
///
/// let ticks_per_ms = arm_timer::frequency() / 1000;
/// # let _ = ticks_per_ms;
/// # Ok(())
/// # }
/// ```
pub fn frequency() -> u64 {
    let f: u64;
    // SAFETY: reading CNTFRQ_EL0 has no side effects.
    unsafe { core::arch::asm!("mrs {}, cntfrq_el0", out(reg) f, options(nomem, nostack)) };
    f
}

/// The virtual count now (`CNTVCT_EL0`), read after earlier instructions
/// complete (`isb`).
///
/// ```no_run
/// # #[cfg(all(target_os = "none", target_arch = "aarch64"))]
/// # fn demo() -> xencall::Result<()> {
/// use xencall::rt::events::arm_timer;
///
/// let start = arm_timer::now();
/// // ... work ...
/// let elapsed_ticks = arm_timer::now() - start;
/// # let _ = elapsed_ticks;
/// # Ok(())
/// # }
/// ```
pub fn now() -> u64 {
    let t: u64;
    // SAFETY: reading CNTVCT_EL0 has no side effects; the `isb` only
    // orders it after earlier instructions.
    unsafe { core::arch::asm!("isb", "mrs {}, cntvct_el0", out(reg) t, options(nomem, nostack)) };
    t
}

/// Arm the virtual timer to fire once when the virtual count reaches
/// `deadline`, and enable its PPI: the next `events::block` returns by
/// then at the latest, and the handler takes the interrupt. `EOPNOTSUPP`
/// if the GIC is not set up (`events::enable_upcall` first) or the device
/// tree names no virtual timer interrupt.
///
/// ```no_run
/// # #[cfg(all(target_os = "none", target_arch = "aarch64"))]
/// # fn demo() -> xencall::Result<()> {
/// use xencall::rt::events::{self, arm_timer};
///
/// // After events::enable_upcall (which sets up the GIC): sleep 20 ms.
/// let deadline = arm_timer::now() + arm_timer::frequency() / 50;
/// arm_timer::arm(deadline)?;
/// events::block()?;
/// assert!(arm_timer::now() >= deadline);
/// # Ok(())
/// # }
/// ```
pub fn arm(deadline: u64) -> Result<()> {
    super::gic::enable_timer_irq(true)?;
    // SAFETY: programs the virtual timer, which belongs to this vCPU (Xen
    // saves and restores it across scheduling): compare value first, then
    // ENABLE = 1 with IMASK = 0.
    unsafe {
        core::arch::asm!(
            "msr cntv_cval_el0, {d}",
            "mov {t}, #1",
            "msr cntv_ctl_el0, {t}",
            "isb",
            d = in(reg) deadline,
            t = out(reg) _,
            options(nomem, nostack),
        );
    }
    Ok(())
}

/// Disable the virtual timer and its PPI.
///
/// ```no_run
/// # #[cfg(all(target_os = "none", target_arch = "aarch64"))]
/// # fn demo() -> xencall::Result<()> {
/// use xencall::rt::events::arm_timer;
///
/// arm_timer::arm(arm_timer::now() + arm_timer::frequency())?;
/// // Not needed after all:
/// arm_timer::disarm()?;
/// # Ok(())
/// # }
/// ```
pub fn disarm() -> Result<()> {
    // SAFETY: CNTV_CTL_EL0 = 0 stops this vCPU's virtual timer.
    unsafe { core::arch::asm!("msr cntv_ctl_el0, xzr", "isb", options(nomem, nostack)) };
    super::gic::enable_timer_irq(false)
}

/// Virtual-timer interrupts the handler has taken since boot.
///
/// ```no_run
/// # #[cfg(all(target_os = "none", target_arch = "aarch64"))]
/// # fn demo() -> xencall::Result<()> {
/// use xencall::rt::events::{self, arm_timer};
///
/// let before = arm_timer::interrupts();
/// arm_timer::arm(arm_timer::now() + arm_timer::frequency() / 100)?;
/// events::block()?;
/// assert!(arm_timer::interrupts() > before);
/// # Ok(())
/// # }
/// ```
pub fn interrupts() -> u64 {
    super::gic::timer_irq_count()
}
