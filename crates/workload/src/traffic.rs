//! The full traffic model: where the intended rate comes from (a parametric pattern, a
//! per-minute trace, or recorded timestamps) and how it fluctuates around it.
//!
//! lambda(t) = source rate(t) x bursts(t) x noise(minute) x on/off(t). The source part is
//! deterministic and lives here with its exact per-interval bound; the random part is
//! realised per replication by [`crate::fluctuation::FluctuationPath`].

use crate::fluctuation::Fluctuations;
use crate::profile::{DailyProfile, Pattern};
use crate::trace::{MinuteCounts, RecordedArrivals};
use crossover_engine::time::NANOS_PER_MINUTE;
use crossover_engine::SimTime;

/// Where the intended rate comes from.
// One per scenario: the hourly table is kept inline rather than boxed.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    /// Daily profile x weekly pattern in the users' time zone.
    Pattern(Pattern),
    /// Per-minute counts replayed as a Poisson process at count / 60 per second.
    MinuteCounts(MinuteCounts),
    /// Requests replayed at exactly the recorded instants.
    Timestamps(RecordedArrivals),
}

#[derive(Clone, Debug, PartialEq)]
pub struct Traffic {
    pub source: Source,
    pub fluctuations: Fluctuations,
}

impl Traffic {
    pub fn constant(rps: f64) -> Self {
        Traffic::pattern(Pattern::new(DailyProfile::Constant { rps }))
    }

    pub fn pattern(pattern: Pattern) -> Self {
        Traffic { source: Source::Pattern(pattern), fluctuations: Fluctuations::default() }
    }

    /// The intended rate at `t` before fluctuations, in requests per second. For recorded
    /// timestamps it is the minute's count over 60.
    #[inline]
    pub fn rate(&self, t: SimTime) -> f64 {
        match &self.source {
            Source::Pattern(p) => p.rate(t.0),
            Source::MinuteCounts(m) => m.rate(t.0),
            Source::Timestamps(r) => {
                let start = t.0 / NANOS_PER_MINUTE * NANOS_PER_MINUTE;
                r.count_in(start, start + NANOS_PER_MINUTE) as f64 / 60.0
            }
        }
    }

    /// Whether the source rate is the same float at every time in [a, b): a flat pattern
    /// there, or one clock minute of a per-minute source.
    pub fn flat_over(&self, a: SimTime, b: SimTime) -> bool {
        match &self.source {
            Source::Pattern(p) => p.flat_over(a.0, b.0),
            Source::MinuteCounts(_) | Source::Timestamps(_) => {
                a.0 / NANOS_PER_MINUTE == b.0.saturating_sub(1).max(a.0) / NANOS_PER_MINUTE
            }
        }
    }

    /// An upper bound of the source rate over [a, b); exact for every source. The
    /// per-minute sources are constant within a clock minute, so their bound is the
    /// largest of the minutes touched.
    pub fn max_rate_over(&self, a: SimTime, b: SimTime) -> f64 {
        match &self.source {
            Source::Pattern(p) => p.max_over(a.0, b.0),
            _ => {
                let first = a.0 / NANOS_PER_MINUTE;
                let last = b.0.saturating_sub(1).max(a.0) / NANOS_PER_MINUTE;
                (first..=last).map(|m| self.rate(SimTime(m * NANOS_PER_MINUTE))).fold(0.0, f64::max)
            }
        }
    }

    /// Expected arrivals over [a, b] before fluctuations: the integral of the source
    /// rate, by composite Simpson on one-second steps (error far below a single request
    /// for these profiles, and exact for the piecewise-constant ones).
    pub fn expected_arrivals(&self, a: SimTime, b: SimTime) -> f64 {
        let step = 1_000_000_000u64;
        let mut total = 0.0;
        let mut t = a.0;
        while t < b.0 {
            let e = (t + step).min(b.0);
            let m = t + (e - t) / 2;
            let w = (e - t) as f64 / 1e9;
            total +=
                w / 6.0 * (self.rate(SimTime(t)) + 4.0 * self.rate(SimTime(m)) + self.rate(SimTime(e - 1)));
            t = e;
        }
        total
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demand::DemandPart;

    #[test]
    fn expected_arrivals_of_a_constant_rate() {
        let t = Traffic::constant(4.0);
        let e = t.expected_arrivals(SimTime(0), SimTime(3600 * 1_000_000_000));
        assert!((e - 14_400.0).abs() < 1e-6);
    }

    #[test]
    fn per_minute_sources_are_bounded_by_the_minutes_touched() {
        let t = Traffic {
            source: Source::MinuteCounts(MinuteCounts::new(&[60.0, 600.0, 120.0], 1.0, false)),
            fluctuations: Fluctuations::default(),
        };
        let m = NANOS_PER_MINUTE;
        assert_eq!(t.max_rate_over(SimTime(0), SimTime(m)), 1.0);
        assert_eq!(t.max_rate_over(SimTime(m / 2), SimTime(m + 1)), 10.0);
        assert_eq!(t.max_rate_over(SimTime(2 * m), SimTime(3 * m)), 2.0);
        let e = t.expected_arrivals(SimTime(0), SimTime(4 * m));
        assert!((e - 780.0).abs() < 1e-9, "{e}");

        let r = RecordedArrivals::new(vec![(1, None), (2, None), (m + 5, None)], DemandPart::Cpu);
        let t = Traffic { source: Source::Timestamps(r), fluctuations: Fluctuations::default() };
        assert_eq!(t.rate(SimTime(30)), 2.0 / 60.0);
        assert_eq!(t.rate(SimTime(m)), 1.0 / 60.0);
    }
}
