//! Self-checks run on every replication: a result that fails one is a bug in the model,
//! never a number to report.
//!
//! - Conservation: arrived = completed + rejected + timed out + in flight at the end.
//! - Little's law, L = lambda W, as the identity it is over a finite horizon T: the area
//!   under the number in system is the sojourns of the requests that left plus the time
//!   the ones still in flight have spent so far, so with lambda = arrived / T
//!   `L - lambda W` lies in `[-in_flight x W / T, in_flight]`. A relative 1% (and an
//!   absolute 1e-9 for rounding) is allowed on top, so the check cannot fire on a valid
//!   run, yet catches requests whose time is counted in one place and not the other.

use crate::ReplicationMetrics;
use crossover_engine::SimDuration;
use crossover_platform::Counters;
use std::fmt;

/// A replication whose bookkeeping does not add up: a bug, never a result.
#[derive(Debug, Clone, PartialEq)]
pub struct ConservationError {
    pub platform: String,
    pub replication: u32,
    pub counters: Counters,
}

impl fmt::Display for ConservationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = &self.counters;
        write!(
            f,
            "internal error: platform \"{}\" replication {} does not conserve requests: \
             arrived {} != completed {} + rejected {} + timed out {} + in flight {}",
            self.platform, self.replication, c.arrived, c.completed, c.rejected, c.timed_out, c.in_flight
        )
    }
}

impl std::error::Error for ConservationError {}

/// A replication whose time-average number in system is not what its arrivals and
/// sojourns imply.
#[derive(Debug, Clone, PartialEq)]
pub struct LittleError {
    pub platform: String,
    pub replication: u32,
    /// Time-average number in system.
    pub l: f64,
    /// Arrival rate times mean sojourn.
    pub lambda_w: f64,
    /// The allowed interval of `l - lambda_w`.
    pub allowed: (f64, f64),
}

impl fmt::Display for LittleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "internal error: platform \"{}\" replication {} breaks Little's law: mean in system {} vs \
             arrival rate x mean time in system {} (difference {}, allowed {} to {})",
            self.platform,
            self.replication,
            self.l,
            self.lambda_w,
            self.l - self.lambda_w,
            self.allowed.0,
            self.allowed.1
        )
    }
}

impl std::error::Error for LittleError {}

pub fn conservation(platform: &str, m: &ReplicationMetrics) -> Result<(), ConservationError> {
    if m.counters.is_conserved() {
        Ok(())
    } else {
        Err(ConservationError { platform: platform.into(), replication: m.replication, counters: m.counters })
    }
}

/// Little's law over `horizon` (see the module documentation).
pub fn littles_law(platform: &str, m: &ReplicationMetrics, horizon: SimDuration) -> Result<(), LittleError> {
    let t = horizon.as_secs_f64();
    let (l, w) = (m.mean_in_system, m.mean_sojourn_secs);
    let lambda_w = m.counters.arrived as f64 / t * w;
    let in_flight = m.counters.in_flight as f64;
    let slack = 0.01 * l.abs().max(lambda_w.abs()) + 1e-9;
    let allowed = (-in_flight * w / t - slack, in_flight + slack);
    let d = l - lambda_w;
    // Written so that NaN fails.
    if d >= allowed.0 && d <= allowed.1 {
        Ok(())
    } else {
        Err(LittleError { platform: platform.into(), replication: m.replication, l, lambda_w, allowed })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossover_platform::CostBreakdown;

    fn metrics(arrived: u64, in_flight: u64, l: f64, w: f64) -> ReplicationMetrics {
        ReplicationMetrics {
            replication: 3,
            cost: CostBreakdown::default(),
            p50_ms: 0.0,
            p90_ms: 0.0,
            p99_ms: 0.0,
            p999_ms: 0.0,
            mean_ms: 0.0,
            counters: Counters { arrived, completed: arrived - in_flight, in_flight, ..Counters::default() },
            mean_instances: 0.0,
            peak_instances: 0,
            mean_busy_instances: 0.0,
            utilization: 0.0,
            mean_in_system: l,
            mean_sojourn_secs: w,
            mean_queue_wait_secs: 0.0,
            mean_nodes: 0.0,
            peak_nodes: 0,
            pending_pods: 0,
            mean_pending_secs: 0.0,
            overflow_cost: 0.0,
            base_p99_ms: 0.0,
            overflow_p99_ms: 0.0,
        }
    }

    const HOUR: SimDuration = SimDuration::from_hours(1);

    #[test]
    fn an_exact_run_passes() {
        // 3600 arrivals in an hour, 2 s each: L = 2.
        assert_eq!(littles_law("p", &metrics(3600, 0, 2.0, 2.0), HOUR), Ok(()));
        assert_eq!(littles_law("p", &metrics(0, 0, 0.0, 0.0), HOUR), Ok(()));
        // Within 1%.
        assert_eq!(littles_law("p", &metrics(3600, 0, 2.015, 2.0), HOUR), Ok(()));
    }

    #[test]
    fn requests_in_flight_widen_the_interval() {
        // 10 requests still in system at the end add up to 10 to L and nothing to W.
        assert_eq!(littles_law("p", &metrics(3610, 10, 12.0, 2.0), HOUR), Ok(()));
        assert!(littles_law("p", &metrics(3610, 10, 12.5, 2.0), HOUR).is_err());
    }

    #[test]
    fn a_violation_names_platform_and_replication() {
        let e = littles_law("api", &metrics(3600, 0, 3.0, 2.0), HOUR).unwrap_err();
        let text = e.to_string();
        assert!(text.contains("platform \"api\" replication 3") && text.contains("Little"), "{text}");
        assert!(littles_law("api", &metrics(3600, 0, f64::NAN, 2.0), HOUR).is_err());
        assert!(littles_law("api", &metrics(3600, 0, 1.0, 2.0), HOUR).is_err());
    }

    #[test]
    fn conservation_names_platform_and_replication() {
        let mut m = metrics(10, 0, 0.0, 0.0);
        assert_eq!(conservation("api", &m), Ok(()));
        m.counters.completed = 9;
        let e = conservation("api", &m).unwrap_err();
        assert!(e.to_string().contains("platform \"api\" replication 3 does not conserve"), "{e}");
    }
}
