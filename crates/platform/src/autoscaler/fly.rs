//! fly-proxy's autostart and autostop over a fixed pool of machines (Fly.io docs,
//! "Autostop/autostart Machines", fly.io/docs/launch/autostop-autostart/): the proxy
//! starts a stopped machine when every running one is at or over its soft limit, and
//! every few minutes stops at most one machine if there is excess capacity. With more
//! than one machine running, the excess is the machines running less those over their
//! soft limit, less one; with one, it is that machine if it has no traffic.

/// Whether a request starts another machine: none runs, or the least-loaded running
/// one has `least` requests, at or over `soft_limit`.
pub(crate) fn starts_another(least: Option<usize>, soft_limit: u32) -> bool {
    least.is_none_or(|l| l >= soft_limit as usize)
}

/// The excess capacity of `running` machines of which `over` are at or over their soft
/// limit; `idle`: some running machine has no traffic.
pub(crate) fn excess(running: u32, over: u32, idle: bool) -> u32 {
    if running == 1 {
        u32::from(idle)
    } else {
        running.saturating_sub(over + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excess_is_the_machines_not_over_the_soft_limit_less_one() {
        // Four running, one over: two in excess (one stops per pass).
        assert_eq!(excess(4, 1, true), 2);
        // Three running, two over: none in excess, however idle the third.
        assert_eq!(excess(3, 2, true), 0);
        // One machine stops only without traffic.
        assert_eq!(excess(1, 0, true), 1);
        assert_eq!(excess(1, 0, false), 0);
        assert_eq!(excess(0, 0, false), 0);
    }

    #[test]
    fn another_machine_starts_only_when_every_running_one_is_at_its_soft_limit() {
        assert!(starts_another(None, 20));
        assert!(starts_another(Some(20), 20));
        assert!(!starts_another(Some(19), 20));
    }
}
