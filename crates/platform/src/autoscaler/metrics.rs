//! What autoscalers look at: snapshots of cumulative integrals and the fleet at a tick.
//!
//! The simulation keeps cumulative integrals (request-nanoseconds in the system, CPU
//! work done, arrivals) and snapshots them at every tick, so any window average is an
//! exact difference of two snapshots. The decisions built on them are pure given the
//! history and their own small state, which is what lets tests replay hand-worked
//! traces.

use crate::instance::ceil_to_u64;
use crossover_engine::{SimDuration, SimTime};

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
    /// Snapshots in time order; those before `oldest` have left the longest window.
    /// A vector read from an offset rather than a ring buffer: a window is then a plain
    /// slice, where a `VecDeque`'s index pays its wrap-around at every look (about 110
    /// instructions of a KPA tick's two windows).
    all: Vec<Snapshot>,
    oldest: usize,
    keep: SimDuration,
}

impl MetricHistory {
    pub fn new(longest_window: SimDuration) -> Self {
        MetricHistory { all: Vec::new(), oldest: 0, keep: longest_window }
    }

    /// The snapshots kept, oldest first.
    #[inline]
    fn snaps(&self) -> &[Snapshot] {
        &self.all[self.oldest..]
    }

    pub fn push(&mut self, s: Snapshot) {
        debug_assert!(self.all.last().is_none_or(|b| b.at <= s.at), "snapshots come in time order");
        self.all.push(s);
        // Keep one snapshot at or before the start of the longest window.
        while self.all.len() - self.oldest > 2
            && self.all[self.oldest + 1].at.0 + self.keep.as_nanos() <= s.at.0
        {
            self.oldest += 1;
        }
        // Drop the dead prefix once it outweighs what is kept: memory stays bounded by
        // the window, at an amortised copy of one snapshot per push.
        if self.oldest >= 64 && self.oldest >= self.all.len() - self.oldest {
            self.all.drain(..self.oldest);
            self.oldest = 0;
        }
    }

    /// The oldest snapshot no older than `window`, and the newest; None without a span.
    fn span(&self, window: SimDuration) -> Option<(&Snapshot, &Snapshot, f64)> {
        let snaps = self.snaps();
        let last = snaps.last()?;
        let start = last.at.0.saturating_sub(window.as_nanos());
        let first = &snaps[self.first_at_or_after(start, window)];
        let dt = (last.at.0 - first.at.0) as f64;
        (dt > 0.0).then_some((first, last, dt))
    }

    /// Where the first snapshot at or after `start` is (the newest one is: `start` is
    /// at most its time). Snapshots come one per tick, so a window's first one sits a
    /// steady count from one end: the longest window's a step or two from the oldest, a
    /// short window's (KPA's panic window) a few from the newest. A short walk from the
    /// nearer end finds it; a binary search, which cost a KPA tick about 120
    /// instructions per window at every tick whatever the traffic, takes over when the
    /// walk does not (a window in the middle of a long history).
    #[inline]
    fn first_at_or_after(&self, start: u64, window: SimDuration) -> usize {
        const WALK: usize = 8;
        let snaps = self.snaps();
        let newest = snaps.len() - 1;
        if window.as_nanos() >= self.keep.as_nanos() / 2 {
            if let Some(i) = snaps.iter().take(WALK + 1).position(|s| s.at.0 >= start) {
                return i;
            }
        } else {
            let mut i = newest;
            while i > 0 && snaps[i - 1].at.0 >= start {
                if newest - i == WALK {
                    return snaps.partition_point(|s| s.at.0 < start);
                }
                i -= 1;
            }
            return i;
        }
        snaps.partition_point(|s| s.at.0 < start)
    }

    /// Average number of requests in the system over the window.
    pub fn avg_concurrency(&self, window: SimDuration) -> f64 {
        self.span(window).map_or(0.0, |(a, b, dt)| area_f64(b.in_system_area - a.in_system_area) / dt)
    }

    /// Average vCPUs busy over the window.
    pub fn cpu_in_use(&self, window: SimDuration) -> f64 {
        self.span(window).map_or(0.0, |(a, b, dt)| (b.cpu_work_ns - a.cpu_work_ns) / dt)
    }

    /// `avg_concurrency` and `cpu_in_use` over the same window, finding it once (a
    /// KPA tick asks both of two windows, every 2 s whatever the traffic).
    pub fn concurrency_and_cpu(&self, window: SimDuration) -> (f64, f64) {
        self.span(window).map_or((0.0, 0.0), |(a, b, dt)| {
            (area_f64(b.in_system_area - a.in_system_area) / dt, (b.cpu_work_ns - a.cpu_work_ns) / dt)
        })
    }

    /// Arrivals in the window.
    pub fn arrivals(&self, window: SimDuration) -> u64 {
        self.span(window).map_or(0, |(a, b, _)| b.arrivals - a.arrivals)
    }

    /// Requests waiting at the newest snapshot (a queue's visible messages).
    pub fn waiting(&self) -> u64 {
        self.snaps().last().map_or(0, |s| s.waiting)
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

/// `area as f64`. A window's area fits a u64 unless hundreds of millions of requests
/// were in flight across it; converted from a u64 it rounds to the same f64 (both casts
/// round the same integer to nearest), without the u128 conversion's library call
/// (about 37 instructions, twice a KPA tick).
#[inline]
fn area_f64(area: u128) -> f64 {
    match u64::try_from(area) {
        // Hidden from the optimiser, which otherwise sees both arms as one u128
        // conversion and keeps only that.
        Ok(narrow) => std::hint::black_box(narrow) as f64,
        Err(_) => area as f64,
    }
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

    /// The walk from either end finds the window's first snapshot where a binary search
    /// does: histories of every length up to past the walk's reach, uneven and repeated
    /// snapshot times, windows from zero to past the kept span, and starts before,
    /// between and on the snapshots, near either end or far from both.
    #[test]
    fn first_at_or_after_matches_a_binary_search() {
        let mut u: u64 = 0x2545_F491_4F6C_DD1D;
        let mut next = |m: u64| {
            u ^= u << 13;
            u ^= u >> 7;
            u ^= u << 17;
            u % m
        };
        for len in 1..40 {
            for keep in [1, 10, 55, 400] {
                let mut h = MetricHistory::new(SimDuration::from_nanos(keep));
                let mut at = next(5);
                for _ in 0..len {
                    // Pushed straight in: `push` would trim them to the kept span.
                    h.all.push(Snapshot { at: SimTime(at), ..Snapshot::default() });
                    at += next(4);
                }
                let newest = h.snaps().last().unwrap().at.0;
                for window in [0, 1, 3, keep / 2, keep / 2 + 1, keep, keep * 2, newest + 5] {
                    for back in 0..=newest + 2 {
                        // Any start up to the newest: the window only says which end
                        // to walk from, and the answer must not depend on it.
                        let start = newest.saturating_sub(back);
                        let expected = h.snaps().partition_point(|s| s.at.0 < start);
                        let w = SimDuration::from_nanos(window);
                        assert_eq!(
                            h.first_at_or_after(start, w),
                            expected,
                            "len {len} keep {keep} window {window} start {start}"
                        );
                    }
                }
            }
        }
    }

    /// Pushing keeps exactly the snapshots a trimmed queue would (one at or before the
    /// longest window's start, then everything after), and the storage stays bounded
    /// however long the run: uneven tick gaps, a burst of equal times, thousands of ticks.
    #[test]
    fn push_keeps_the_window_in_bounded_memory() {
        use super::testing::S;
        let keep = 60 * S;
        let mut h = MetricHistory::new(SimDuration::from_nanos(keep));
        let mut reference = std::collections::VecDeque::new();
        let mut at = 0;
        for k in 0..20_000u64 {
            at += match k % 7 {
                0 => 0,
                1 => 5 * S,
                _ => 2 * S,
            };
            let s = Snapshot { at: SimTime(at), arrivals: k, ..Snapshot::default() };
            h.push(s);
            reference.push_back(s);
            while reference.len() > 2 && reference[1].at.0 + keep <= at {
                reference.pop_front();
            }
            assert!(h.snaps().iter().eq(reference.iter()), "after {k} pushes");
            assert!(
                h.all.len() <= 2 * reference.len() + 64,
                "{} stored for {} kept",
                h.all.len(),
                reference.len()
            );
        }
    }

    /// A window's area converts to the same f64 through a u64 as straight from the u128,
    /// around every power of two where rounding changes, and past the u64 range.
    #[test]
    fn area_f64_rounds_as_the_wide_conversion() {
        for bits in 0..128u32 {
            let p = 1u128 << bits;
            for d in [p.wrapping_sub(1), p, p + 1, p + (p >> 1), p.wrapping_mul(3) / 2 + 1] {
                assert_eq!(area_f64(d).to_bits(), (d as f64).to_bits(), "{d}");
            }
        }
        assert_eq!(area_f64(u128::MAX).to_bits(), (u128::MAX as f64).to_bits());
    }

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
