//! What autoscalers look at: snapshots of cumulative integrals and the fleet at a tick.
//!
//! The simulation keeps cumulative integrals (request-nanoseconds in the system, CPU
//! work done, arrivals) and snapshots them at every tick, so any window average is an
//! exact difference of two snapshots. The decisions built on them are pure given the
//! history and their own small state, which is what lets tests replay hand-worked
//! traces.

use crate::instance::ceil_to_u64;
use crossover_engine::{SimDuration, SimTime};
use std::collections::VecDeque;

/// Cumulative counters at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub at: SimTime,
    /// Integral of requests in the system (queued or in service), request-nanoseconds.
    pub in_system_area: u128,
    /// Requests (jobs) waiting for an instance at that instant: a queue's visible
    /// messages.
    pub waiting: u64,
    /// vCPU-nanoseconds of CPU work done.
    pub cpu_work_ns: f64,
    pub arrivals: u64,
}

/// Recent snapshots, enough to cover the longest window an autoscaler looks at.
#[derive(Clone, Debug, Default)]
pub struct MetricHistory {
    snaps: VecDeque<Snapshot>,
    keep: SimDuration,
}

impl MetricHistory {
    pub fn new(longest_window: SimDuration) -> Self {
        MetricHistory { snaps: VecDeque::new(), keep: longest_window }
    }

    pub fn push(&mut self, s: Snapshot) {
        debug_assert!(self.snaps.back().is_none_or(|b| b.at <= s.at), "snapshots come in time order");
        self.snaps.push_back(s);
        // Keep one snapshot at or before the start of the longest window.
        while self.snaps.len() > 2 && self.snaps[1].at.0 + self.keep.as_nanos() <= s.at.0 {
            self.snaps.pop_front();
        }
    }

    /// The oldest snapshot no older than `window`, and the newest; None without a span.
    fn span(&self, window: SimDuration) -> Option<(&Snapshot, &Snapshot, f64)> {
        let last = self.snaps.back()?;
        let start = last.at.0.saturating_sub(window.as_nanos());
        // Snapshots are in time order (one per tick): a binary search, not a scan of
        // the stable window's thirty-odd snapshots four times a tick.
        let first = self.snaps.get(self.snaps.partition_point(|s| s.at.0 < start))?;
        let dt = (last.at.0 - first.at.0) as f64;
        (dt > 0.0).then_some((first, last, dt))
    }

    /// Average number of requests in the system over the window.
    pub fn avg_concurrency(&self, window: SimDuration) -> f64 {
        self.span(window).map_or(0.0, |(a, b, dt)| (b.in_system_area - a.in_system_area) as f64 / dt)
    }

    /// Average vCPUs busy over the window.
    pub fn cpu_in_use(&self, window: SimDuration) -> f64 {
        self.span(window).map_or(0.0, |(a, b, dt)| (b.cpu_work_ns - a.cpu_work_ns) / dt)
    }

    /// `avg_concurrency` and `cpu_in_use` over the same window, finding it once (a
    /// KPA tick asks both of two windows, every 2 s whatever the traffic).
    pub fn concurrency_and_cpu(&self, window: SimDuration) -> (f64, f64) {
        self.span(window).map_or((0.0, 0.0), |(a, b, dt)| {
            ((b.in_system_area - a.in_system_area) as f64 / dt, (b.cpu_work_ns - a.cpu_work_ns) / dt)
        })
    }

    /// Arrivals in the window.
    pub fn arrivals(&self, window: SimDuration) -> u64 {
        self.span(window).map_or(0, |(a, b, _)| b.arrivals - a.arrivals)
    }

    /// Requests waiting at the newest snapshot (a queue's visible messages).
    pub fn waiting(&self) -> u64 {
        self.snaps.back().map_or(0, |s| s.waiting)
    }

    /// Arrivals per second over the window.
    pub fn arrival_rate(&self, window: SimDuration) -> f64 {
        self.span(window).map_or(0.0, |(a, b, dt)| (b.arrivals - a.arrivals) as f64 / (dt / 1e9))
    }
}

/// What a tick knows about the fleet.
#[derive(Clone, Copy, Debug)]
pub struct Fleet {
    pub now: SimTime,
    /// Instances ready to serve (not starting, not draining).
    pub ready: u32,
    /// The count the autoscaler asked for last time.
    pub desired: u32,
    pub concurrency: u32,
    pub vcpu: f64,
}

pub(crate) fn ceil_div(x: f64, per: f64) -> u32 {
    if per <= 0.0 || x <= 0.0 {
        0
    } else {
        // `(x / per - 1e-9).ceil().clamp(0.0, u32::MAX as f64) as u32`, without the libm
        // call `ceil` is on the baseline target (at every autoscaler tick).
        ceil_to_u64(x / per - 1e-9).min(u64::from(u32::MAX)) as u32
    }
}

#[cfg(test)]
pub(crate) mod testing {
    use super::*;

    pub const S: u64 = 1_000_000_000;

    /// A history where `conc` requests were in the system during each `step` seconds.
    pub fn history(steps: &[(u64, f64, f64, u64)]) -> MetricHistory {
        // (seconds since previous, avg concurrency, avg vCPUs busy, arrivals) per step
        let mut h = MetricHistory::new(SimDuration::from_secs(3600));
        let mut s = Snapshot::default();
        h.push(s);
        for &(dt, conc, cpu, arrivals) in steps {
            s.at = SimTime(s.at.0 + dt * S);
            s.in_system_area += (conc * (dt * S) as f64) as u128;
            s.cpu_work_ns += cpu * (dt * S) as f64;
            s.arrivals += arrivals;
            h.push(s);
        }
        h
    }

    pub fn fleet(now_s: u64, ready: u32, desired: u32) -> Fleet {
        Fleet { now: SimTime(now_s * S), ready, desired, concurrency: 100, vcpu: 1.0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `ceil_div` rounds as `f64::ceil` clamped into a u32 does, at the edges (exact
    /// integers, just above and below them, huge, infinite and NaN quotients) and on
    /// a spread of ordinary ones.
    #[test]
    fn ceil_div_equals_the_float_ceiling() {
        let reference = |x: f64, per: f64| {
            if per <= 0.0 || x <= 0.0 {
                0
            } else {
                (x / per - 1e-9).ceil().clamp(0.0, u32::MAX as f64) as u32
            }
        };
        let mut xs =
            vec![0.0, 1e-12, 1e-9, 2e-9, 0.5, 1.0, 1.0 + 1e-9, 1.0 + 3e-9, 7.0, 1e9, 4.3e9, 1e19, 1e300];
        xs.extend([f64::INFINITY, f64::NAN, -1.0, f64::MIN_POSITIVE, u32::MAX as f64, u64::MAX as f64]);
        let mut u: u64 = 0x853C_49E6_748F_EA9B;
        for _ in 0..10_000 {
            u = u.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            xs.push((u >> 11) as f64 / (1u64 << 40) as f64);
        }
        for &x in &xs {
            for per in [1.0, 0.7, 3.0, 100.0, 1e-6, 0.0, -1.0, f64::INFINITY] {
                assert_eq!(ceil_div(x, per), reference(x, per), "x {x} per {per}");
            }
        }
    }
}
