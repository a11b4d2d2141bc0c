//! The traffic of one replication minute by minute: what `crossover traffic` writes so
//! users can see and plot what they are simulating.
//!
//! Each minute reports the intended mean rate (the integral of lambda over the minute,
//! bursts, noise and on/off included, divided by its length) next to the arrivals that
//! were actually generated. The integral uses its own copy of the fluctuation path,
//! realised from the same streams as the arrivals' copy, so both describe the same
//! bursts; it is integrated piece by piece between change points, where every factor is
//! smooth, by Simpson's rule on steps of at most a second.

use crate::arrivals::Arrivals;
use crate::fluctuation::FluctuationPath;
use crate::traffic::{Source, Traffic};
use crossover_engine::time::{NANOS_PER_MINUTE, NANOS_PER_SEC};
use crossover_engine::{SimDuration, SimTime, Streams};

/// One row of the per-minute traffic.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MinuteTraffic {
    /// Minutes since the start of the horizon.
    pub minute: u64,
    /// Intended mean rate over the minute, requests per second.
    pub rate_rps: f64,
    /// Requests generated in the minute.
    pub arrivals: u64,
}

/// Iterates the minutes of one replication's traffic; memory is flat in the horizon.
pub struct MinuteSeries {
    traffic: Traffic,
    path: FluctuationPath,
    arrivals: Arrivals,
    pending: Option<SimTime>,
    minute: u64,
    horizon: u64,
}

impl MinuteSeries {
    pub fn new(traffic: &Traffic, streams: Streams, horizon: SimDuration) -> Self {
        let horizon_t = SimTime(horizon.as_nanos());
        let mut arrivals = Arrivals::new(traffic.clone(), streams, horizon_t);
        let pending = arrivals.next_arrival();
        MinuteSeries {
            traffic: traffic.clone(),
            path: FluctuationPath::new(&traffic.fluctuations, streams),
            arrivals,
            pending,
            minute: 0,
            horizon: horizon.as_nanos(),
        }
    }

    /// lambda(t) with this replication's fluctuations; valid between change points.
    fn lambda(&self, t: u64) -> f64 {
        self.traffic.rate(SimTime(t)) * self.path.factor_at(t)
    }

    /// Expected arrivals in [a, b) given this replication's fluctuations.
    fn expected_in(&mut self, a: u64, b: u64) -> f64 {
        if let Source::Timestamps(r) = &self.traffic.source {
            return r.count_in(a, b) as f64;
        }
        let mut total = 0.0;
        let mut x = a;
        while x < b {
            self.path.advance(x);
            let y = b.min(self.path.next_change_after(x));
            total += self.simpson(x, y);
            x = y;
        }
        total
    }

    /// Simpson's rule over [x, y) on equal steps of at most a second; the right end is
    /// evaluated one nanosecond early, inside the half-open piece.
    fn simpson(&self, x: u64, y: u64) -> f64 {
        let steps = (y - x).div_ceil(NANOS_PER_SEC).max(1);
        let at = |i: u64| x + ((y - x) as u128 * i as u128 / steps as u128) as u64;
        let mut total = 0.0;
        let mut left = self.lambda(x);
        for i in 0..steps {
            let (s, e) = (at(i), at(i + 1));
            let right = self.lambda(if i + 1 == steps { e - 1 } else { e });
            let mid = self.lambda(s + (e - s) / 2);
            total += (e - s) as f64 / 1e9 / 6.0 * (left + 4.0 * mid + right);
            left = right;
        }
        total
    }
}

impl Iterator for MinuteSeries {
    type Item = MinuteTraffic;

    fn next(&mut self) -> Option<MinuteTraffic> {
        let start = self.minute * NANOS_PER_MINUTE;
        if start >= self.horizon {
            return None;
        }
        let end = (start + NANOS_PER_MINUTE).min(self.horizon);
        let mut arrivals = 0;
        while let Some(t) = self.pending.filter(|t| t.0 < end) {
            debug_assert!(t.0 >= start);
            arrivals += 1;
            self.pending = self.arrivals.next_arrival();
        }
        let expected = self.expected_in(start, end);
        let row = MinuteTraffic {
            minute: self.minute,
            rate_rps: expected / ((end - start) as f64 / 1e9),
            arrivals,
        };
        self.minute += 1;
        Some(row)
    }
}

/// Totals of a per-minute series.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TrafficSummary {
    pub horizon: SimDuration,
    pub arrivals: u64,
    /// Integral of the intended rate (with this replication's fluctuations).
    pub expected: f64,
    /// Highest intended minute rate and its minute.
    pub peak_rate_rps: f64,
    pub peak_rate_minute: u64,
    /// Most arrivals in a minute, as a rate, and its minute.
    pub peak_arrivals_rps: f64,
    pub peak_arrivals_minute: u64,
    /// Lowest intended minute rate.
    pub quietest_rate_rps: f64,
}

impl TrafficSummary {
    pub fn of(rows: &[MinuteTraffic], horizon: SimDuration) -> Self {
        let h = horizon.as_nanos();
        let secs_of = |r: &MinuteTraffic| {
            let start = r.minute * NANOS_PER_MINUTE;
            ((start + NANOS_PER_MINUTE).min(h).saturating_sub(start)) as f64 / 1e9
        };
        let mut s = TrafficSummary {
            horizon,
            arrivals: 0,
            expected: 0.0,
            peak_rate_rps: 0.0,
            peak_rate_minute: 0,
            peak_arrivals_rps: 0.0,
            peak_arrivals_minute: 0,
            quietest_rate_rps: if rows.is_empty() { 0.0 } else { f64::INFINITY },
        };
        for r in rows {
            let secs = secs_of(r);
            s.arrivals += r.arrivals;
            s.expected += r.rate_rps * secs;
            if r.rate_rps > s.peak_rate_rps {
                (s.peak_rate_rps, s.peak_rate_minute) = (r.rate_rps, r.minute);
            }
            let realised = r.arrivals as f64 / secs.max(1e-9);
            if realised > s.peak_arrivals_rps {
                (s.peak_arrivals_rps, s.peak_arrivals_minute) = (realised, r.minute);
            }
            s.quietest_rate_rps = s.quietest_rate_rps.min(r.rate_rps);
        }
        s
    }

    pub fn days(&self) -> f64 {
        self.horizon.as_secs_f64() / 86_400.0
    }

    pub fn requests_per_day(&self) -> f64 {
        self.arrivals as f64 / self.days()
    }

    pub fn mean_rps(&self) -> f64 {
        self.arrivals as f64 / self.horizon.as_secs_f64()
    }

    pub fn expected_mean_rps(&self) -> f64 {
        self.expected / self.horizon.as_secs_f64()
    }
}
