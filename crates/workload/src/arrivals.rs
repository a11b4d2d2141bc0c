//! Lazy arrivals: a non-homogeneous Poisson process by thinning (Lewis and Shedler), or
//! recorded requests replayed one by one.
//!
//! Time is cut into segments no longer than a clock minute and never straddling a change
//! point of the fluctuations (a burst breakpoint, an on/off switch). In each segment
//! candidates arrive at the segment's exact maximum rate and are accepted with
//! probability lambda(t) / max. Because the exponential is memoryless, a candidate that
//! overshoots the segment simply restarts from the segment's end. Per-minute bounds keep
//! acceptance near 100% even when the peak is twenty times the trough; where the rate is
//! flat at the bound through a segment (a constant or step profile, a per-minute trace,
//! off a burst's ramps), every candidate is kept without computing it. Only the next
//! arrival, the bursts in progress and the current minute's noise are ever held, so
//! memory does not grow with the horizon.

use crate::demand::RecordedDemand;
use crate::fluctuation::FluctuationPath;
use crate::trace::RecordedArrivals;
use crate::traffic::{Source, Traffic};
use crate::ARRIVALS_STREAM;
use crossover_engine::time::NANOS_PER_MINUTE;
use crossover_engine::{RngStream, SimTime, Streams};

pub struct Arrivals {
    horizon: u64,
    mode: Mode,
}

// One per simulation, never moved in bulk: boxing the generator would only add an
// indirection to the hot loop.
#[allow(clippy::large_enum_variant)]
enum Mode {
    Thinning(Thinning),
    Replay(Replay),
}

struct Thinning {
    traffic: Traffic,
    path: FluctuationPath,
    rng: RngStream,
    now: u64,
    segment_end: u64,
    /// Maximum rate in the current segment, in requests per second.
    bound: f64,
    /// Whether the rate is at the bound throughout the segment, so every candidate is
    /// accepted without a draw and the rate need not be computed for each.
    at_bound: bool,
    /// Tests turn the shortcut off, to check it against the rate computed every time.
    #[cfg(test)]
    every_rate: bool,
}

struct Replay {
    trace: RecordedArrivals,
    /// Index of the next request to replay.
    next: usize,
}

impl Arrivals {
    /// The arrivals of replication `replication` of a run seeded `seed`: candidates come
    /// from the stream "traffic/arrivals", the fluctuations from their own streams, so
    /// every platform given the same (seed, replication) sees the same requests.
    pub fn new(traffic: Traffic, streams: Streams, horizon: SimTime) -> Self {
        let mode = match &traffic.source {
            Source::Timestamps(trace) => Mode::Replay(Replay { trace: trace.clone(), next: 0 }),
            _ => {
                let path = FluctuationPath::new(&traffic.fluctuations, streams);
                let rng = streams.stream(ARRIVALS_STREAM);
                let mut t = Thinning {
                    traffic,
                    path,
                    rng,
                    now: 0,
                    segment_end: 0,
                    bound: 0.0,
                    at_bound: false,
                    #[cfg(test)]
                    every_rate: false,
                };
                t.enter_segment(0);
                Mode::Thinning(t)
            }
        };
        Arrivals { horizon: horizon.0, mode }
    }

    /// The next arrival time strictly inside the horizon, or `None` when it is over.
    #[inline]
    pub fn next_arrival(&mut self) -> Option<SimTime> {
        match &mut self.mode {
            Mode::Thinning(t) => t.next_arrival(self.horizon),
            Mode::Replay(r) => {
                let at = *r.trace.times().get(r.next)?;
                if at >= self.horizon {
                    return None;
                }
                r.next += 1;
                Some(SimTime(at))
            }
        }
    }

    /// The duration recorded with the arrival last returned by `next_arrival`, if the
    /// trace has one; call it before asking for the next arrival.
    #[inline]
    pub fn recorded_demand(&self) -> Option<RecordedDemand> {
        match &self.mode {
            Mode::Replay(r) if r.next > 0 => r
                .trace
                .duration(r.next - 1)
                .map(|duration| RecordedDemand { part: r.trace.duration_as, duration }),
            _ => None,
        }
    }

    /// Bursts held in memory (see [`FluctuationPath::held_bursts`]).
    pub fn held_bursts(&self) -> usize {
        match &self.mode {
            Mode::Thinning(t) => t.path.held_bursts(),
            Mode::Replay(_) => 0,
        }
    }
}

impl Thinning {
    fn enter_segment(&mut self, start: u64) {
        self.now = start;
        self.path.advance(start);
        let minute_end = (start / NANOS_PER_MINUTE + 1) * NANOS_PER_MINUTE;
        self.segment_end = minute_end.min(self.path.next_change_after(start));
        let (a, b) = (SimTime(start), SimTime(self.segment_end));
        self.bound = self.traffic.max_rate_over(a, b) * self.path.max_over(start, self.segment_end);
        // Flat, the rate is one float throughout (the same product of the same factors),
        // so the test below gives every candidate the answer it gives the first.
        self.at_bound = self.traffic.flat_over(a, b)
            && self.path.flat_over(start, self.segment_end)
            && self.rate_at(start) >= self.bound;
        #[cfg(test)]
        if self.every_rate {
            self.at_bound = false;
        }
    }

    /// The rate at `t`, inside the current segment.
    #[inline]
    fn rate_at(&self, t: u64) -> f64 {
        self.traffic.rate(SimTime(t)) * self.path.factor_at(t)
    }

    /// Thinning's test: a candidate at `rate` is kept with probability rate / bound.
    #[inline]
    fn accepts(&mut self, rate: f64) -> bool {
        rate >= self.bound || self.rng.open01() * self.bound < rate
    }

    #[inline]
    fn next_arrival(&mut self, horizon: u64) -> Option<SimTime> {
        loop {
            if self.now >= horizon {
                return None;
            }
            if self.bound <= 0.0 {
                self.enter_segment(self.segment_end);
                continue;
            }
            let gap_ns = self.rng.exponential(1e9 / self.bound);
            let candidate = self.now as f64 + gap_ns;
            if candidate >= self.segment_end as f64 {
                self.enter_segment(self.segment_end);
                continue;
            }
            self.now = (candidate as u64).min(self.segment_end - 1);
            // The segment holds no change point, so the path needs no advance here.
            // A rate at the bound is accepted without a draw.
            if self.at_bound || self.accepts(self.rate_at(self.now)) {
                if self.now >= horizon {
                    return None;
                }
                return Some(SimTime(self.now));
            }
        }
    }
}

impl Iterator for Arrivals {
    type Item = SimTime;
    fn next(&mut self) -> Option<SimTime> {
        self.next_arrival()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demand::DemandPart;
    use crate::fluctuation::{Bursts, Fluctuations, OnOff};
    use crate::profile::{DailyProfile, HourlyShape, Pattern, WeeklyPattern};
    use crate::series::MinuteSeries;
    use crate::trace::MinuteCounts;
    use crossover_engine::time::{NANOS_PER_DAY, NANOS_PER_HOUR};
    use crossover_engine::SimDuration;

    fn arrivals(traffic: Traffic, horizon: u64, seed: u64) -> Arrivals {
        Arrivals::new(traffic, Streams::new(seed, 0), SimTime(horizon))
    }

    /// Pearson chi-square of counts against expected counts (Poisson cells with known
    /// means), asserted inside the central 99.8% of chi-square(k) by the Wilson-Hilferty
    /// approximation, so a generator that returned the expectations exactly fails too.
    fn assert_chi_square(observed: &[u64], expected: &[f64]) -> f64 {
        let chi2: f64 = observed.iter().zip(expected).map(|(&o, &e)| (o as f64 - e).powi(2) / e).sum();
        let k = observed.len() as f64;
        let q = |z: f64| k * (1.0 - 2.0 / (9.0 * k) + z * (2.0 / (9.0 * k)).sqrt()).powi(3);
        let (lo, hi) = (q(-3.09), q(3.09));
        assert!(chi2 > lo && chi2 < hi, "chi-square {chi2:.1} over {k} cells, band [{lo:.1}, {hi:.1}]");
        chi2
    }

    fn hourly_counts(traffic: &Traffic, hours: usize, seed: u64) -> (Vec<u64>, Vec<f64>) {
        let mut counts = vec![0u64; hours];
        for a in arrivals(traffic.clone(), hours as u64 * NANOS_PER_HOUR, seed) {
            counts[(a.0 / NANOS_PER_HOUR) as usize] += 1;
        }
        let expected = (0..hours as u64)
            .map(|h| {
                traffic.expected_arrivals(SimTime(h * NANOS_PER_HOUR), SimTime((h + 1) * NANOS_PER_HOUR))
            })
            .collect();
        (counts, expected)
    }

    #[test]
    fn times_are_non_decreasing_and_inside_the_horizon() {
        let t = Traffic::constant(50.0);
        let mut last = 0;
        let mut n = 0;
        for a in arrivals(t, NANOS_PER_HOUR, 1) {
            assert!(a.0 >= last && a.0 < NANOS_PER_HOUR);
            last = a.0;
            n += 1;
        }
        // 180,000 expected, sd 424: 5 sd band.
        assert!((n as f64 - 180_000.0).abs() < 5.0 * 424.3, "{n}");
    }

    #[test]
    fn same_seed_same_arrivals() {
        let t = Traffic::constant(20.0);
        let a: Vec<_> = arrivals(t.clone(), NANOS_PER_HOUR, 9).collect();
        let b: Vec<_> = arrivals(t, NANOS_PER_HOUR, 9).collect();
        assert_eq!(a, b);
    }

    /// Hourly counts of the diurnal profile over a week match the integral of its rate.
    #[test]
    fn hourly_counts_match_integral_chi_square() {
        let traffic = Traffic::pattern(Pattern {
            daily: DailyProfile::Diurnal {
                trough_rps: 0.5,
                peak_rps: 12.0,
                peak_hour: 14.0,
                open_hour: 8.0,
                close_hour: 20.0,
            },
            weekly: WeeklyPattern::weekend(0.3),
            utc_offset_minutes: 0,
        });
        let (obs, exp) = hourly_counts(&traffic, 7 * 24, 2024);
        assert_chi_square(&obs, &exp);
    }

    /// An hourly table (both shapes), seven day weights and a UTC offset of -5:30: hourly
    /// counts over two weeks match the integral of the rate, and the offset really
    /// moves the busiest hour.
    #[test]
    fn hourly_table_weekly_weights_and_offset_match_integral_chi_square() {
        let mut rps = [0.4; 24];
        for (h, r) in rps.iter_mut().enumerate().take(23).skip(17) {
            *r = 2.0 + (h - 17) as f64 * 1.5; // evening ramp to 9.5 rps at 22:00
        }
        for shape in [HourlyShape::Step, HourlyShape::Linear] {
            let traffic = Traffic::pattern(Pattern {
                daily: DailyProfile::Hourly { rps, shape },
                weekly: WeeklyPattern { day_factors: [1.0, 0.9, 0.9, 1.0, 1.2, 1.6, 1.4] },
                utc_offset_minutes: -330,
            });
            let (obs, exp) = hourly_counts(&traffic, 14 * 24, 77);
            assert_chi_square(&obs, &exp);
            if shape == HourlyShape::Step {
                // Local 22:00 on Saturday (day 5) is 03:30 on the clock's Sunday.
                let busiest = (0..obs.len()).max_by_key(|&h| obs[h]).unwrap();
                let local_hour = (busiest as i64 * 60 - 330).rem_euclid(1440) / 60;
                assert!(local_hour == 21 || local_hour == 22, "busiest clock hour {busiest}");
            }
        }
    }

    #[test]
    fn zero_rate_produces_nothing() {
        let t = Traffic::constant(0.0);
        assert_eq!(arrivals(t, NANOS_PER_DAY, 1).count(), 0);
    }

    fn replay(counts: &[f64], scale: f64, repeat: bool) -> Traffic {
        Traffic {
            source: Source::MinuteCounts(MinuteCounts::new(counts, scale, repeat)),
            fluctuations: Fluctuations::default(),
        }
    }

    fn per_minute(traffic: &Traffic, minutes: u64, seed: u64, replication: u64) -> Vec<u64> {
        let mut counts = vec![0u64; minutes as usize];
        let horizon = SimTime(minutes * NANOS_PER_MINUTE);
        for a in Arrivals::new(traffic.clone(), Streams::new(seed, replication), horizon) {
            counts[(a.0 / NANOS_PER_MINUTE) as usize] += 1;
        }
        counts
    }

    /// A one-day per-minute trace: each minute's count is reproduced in expectation
    /// (chi-square over 1,440 minutes), the day's total within its Poisson sampling
    /// error, and the mean count of each minute over 40 replications within its CI.
    #[test]
    fn minute_trace_replay_reproduces_each_minute_in_expectation() {
        let counts: Vec<f64> = (0..1440).map(|m| (50 + (m * 37) % 400) as f64).collect();
        let traffic = replay(&counts, 1.0, false);
        let obs = per_minute(&traffic, 1440, 3, 0);
        assert_chi_square(&obs, &counts);
        let total: f64 = counts.iter().sum();
        let got = obs.iter().sum::<u64>() as f64;
        assert!((got - total).abs() < 4.0 * total.sqrt(), "day total {got} vs {total}");

        // Across replications the mean count of every minute converges to the trace's:
        // the z-scores of the per-minute means are standard normal.
        let reps = 40;
        let mut sums = vec![0u64; 1440];
        for r in 0..reps {
            for (s, c) in sums.iter_mut().zip(per_minute(&traffic, 1440, 3, r)) {
                *s += c;
            }
        }
        let z: Vec<f64> = sums
            .iter()
            .zip(&counts)
            .map(|(&s, &c)| (s as f64 / reps as f64 - c) / (c / reps as f64).sqrt())
            .collect();
        let mean_z = z.iter().sum::<f64>() / z.len() as f64;
        let var_z = z.iter().map(|x| x * x).sum::<f64>() / z.len() as f64;
        assert!(mean_z.abs() < 4.0 / (1440f64).sqrt(), "mean z {mean_z}");
        assert!((var_z - 1.0).abs() < 4.0 * (2.0 / 1440f64).sqrt(), "var z {var_z}");
    }

    #[test]
    fn minute_trace_scale_and_repeat() {
        let counts = [600.0, 0.0, 1200.0];
        // Scaled by 2.5 and repeated over 3,000 minutes (1,000 copies).
        let traffic = replay(&counts, 2.5, true);
        let obs = per_minute(&traffic, 3000, 5, 0);
        let by_phase: Vec<u64> = (0..3).map(|p| obs.iter().skip(p).step_by(3).sum()).collect();
        let expected = [1500.0 * 1000.0, 0.0, 3000.0 * 1000.0];
        assert_eq!(by_phase[1], 0);
        for p in [0, 2] {
            let e: f64 = expected[p];
            assert!((by_phase[p] as f64 - e).abs() < 4.0 * e.sqrt(), "phase {p}: {}", by_phase[p]);
        }
        // Without repeat the trace falls silent after its three minutes.
        let once = per_minute(&replay(&counts, 1.0, false), 10, 5, 0);
        assert!(once[3..].iter().all(|&c| c == 0));
    }

    #[test]
    fn timestamp_replay_reproduces_the_file() {
        let requests: Vec<(u64, Option<u64>)> =
            (0..5_000u64).map(|i| (i * i * 7_919 % (3 * NANOS_PER_HOUR), Some(i * 1_000))).collect();
        let trace = RecordedArrivals::new(requests.clone(), DemandPart::Io);
        let traffic = Traffic { source: Source::Timestamps(trace), fluctuations: Fluctuations::default() };
        let mut a = Arrivals::new(traffic, Streams::new(1, 0), SimTime(NANOS_PER_DAY));
        let mut expected = requests;
        expected.sort_by_key(|r| r.0);
        assert!(a.recorded_demand().is_none());
        for (t, d) in &expected {
            assert_eq!(a.next_arrival(), Some(SimTime(*t)));
            let rec = a.recorded_demand().unwrap();
            assert_eq!((rec.part, rec.duration), (DemandPart::Io, SimDuration(d.unwrap())));
        }
        assert_eq!(a.next_arrival(), None);
    }

    #[test]
    fn timestamp_replay_stops_at_the_horizon() {
        let trace = RecordedArrivals::new(vec![(5, None), (10, None), (20, None)], DemandPart::Cpu);
        let traffic = Traffic { source: Source::Timestamps(trace), fluctuations: Fluctuations::default() };
        let got: Vec<_> = Arrivals::new(traffic, Streams::new(1, 0), SimTime(20)).collect();
        assert_eq!(got, vec![SimTime(5), SimTime(10)]);
    }

    fn spiky() -> Traffic {
        let mut t = Traffic::constant(5.0);
        t.fluctuations = Fluctuations {
            bursts: Some(
                Bursts::from_percentiles(
                    6.0,
                    (4.0, 20.0),
                    (SimDuration::from_minutes(10), SimDuration::from_minutes(60)),
                    SimDuration::from_minutes(2),
                    SimDuration::from_minutes(8),
                )
                .unwrap(),
            ),
            noise_cv: 0.0,
            on_off: Some(OnOff {
                on_factor: 3.0,
                off_factor: 0.8,
                mean_on: SimDuration::from_secs(45),
                mean_off: SimDuration::from_minutes(10),
            }),
        };
        t
    }

    /// With bursts and on/off clients, per-minute counts match the integral of this
    /// replication's realised rate (chi-square over the minutes of three days, pooling
    /// minutes whose expectation is under 5 is not needed at these rates).
    #[test]
    fn bursty_counts_match_the_realised_rate_chi_square() {
        let horizon = SimDuration::from_hours(72);
        let rows: Vec<_> = MinuteSeries::new(&spiky(), Streams::new(12, 3), horizon).collect();
        let obs: Vec<u64> = rows.iter().map(|r| r.arrivals).collect();
        let exp: Vec<f64> = rows.iter().map(|r| r.rate_rps * 60.0).collect();
        assert_chi_square(&obs, &exp);
        // Bursts really happened: some minute ran well above the base rate.
        let peak = rows.iter().map(|r| r.rate_rps).fold(0.0, f64::max);
        assert!(peak > 3.0 * 5.0, "peak {peak}");
    }

    /// Overdispersion: a Cox process with per-minute log-normal noise of cv c has minute
    /// counts with variance lambda + (c lambda)^2 (lambda = 600 per minute here, so
    /// 600 + 32,400 for c = 0.3, against 600 for plain Poisson).
    #[test]
    fn noise_inflates_minute_count_variance_as_configured() {
        let cv = 0.3;
        let mut traffic = Traffic::constant(10.0);
        traffic.fluctuations.noise_cv = cv;
        let minutes = 20_000;
        let obs = per_minute(&traffic, minutes, 21, 0);
        let n = minutes as f64;
        let mean = obs.iter().sum::<u64>() as f64 / n;
        let var = obs.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / (n - 1.0);
        let lambda = 600.0;
        assert!((mean - lambda).abs() < 4.0 * (lambda + (cv * lambda).powi(2)).sqrt() / n.sqrt());
        let implied_cv = ((var - lambda).max(0.0)).sqrt() / lambda;
        // The sample variance has sd about var sqrt((kurtosis - 1) / n) = 441 here (the
        // counts inherit the noise's kurtosis, 4.57); through d cv / d var =
        // 1 / (2 lambda^2 cv) that is an sd of 0.0020 on the implied cv: 4 sd.
        assert!((implied_cv - cv).abs() < 0.0082, "implied cv {implied_cv}");
    }

    /// Arrivals with the rate computed for every candidate, as before the flat-segment
    /// shortcut.
    fn every_rate(traffic: Traffic, horizon: u64, seed: u64) -> Vec<SimTime> {
        let mut a = arrivals(traffic, horizon, seed);
        let Mode::Thinning(t) = &mut a.mode else { panic!("a thinning source") };
        t.every_rate = true;
        let start = t.now;
        t.enter_segment(start);
        a.collect()
    }

    /// Skipping the rate where it is flat at the bound gives the same arrivals, to the
    /// nanosecond, as computing it for every candidate: on the flat sources (constant,
    /// a step table across hours, weekdays and a half-hour offset, per-minute counts),
    /// with bursts ramping up and down, on/off clients and noise on top, and on the
    /// sloped ones it must leave alone (diurnal, a linear table).
    #[test]
    fn flat_segments_skip_the_rate_and_change_nothing() {
        let mut step = [0.4; 24];
        for (h, r) in step.iter_mut().enumerate() {
            *r += (h % 7) as f64 * 0.9;
        }
        let weekly = WeeklyPattern { day_factors: [1.0, 0.9, 0.9, 1.0, 1.2, 1.6, 1.4] };
        let hourly = |shape| {
            Traffic::pattern(Pattern {
                daily: DailyProfile::Hourly { rps: step, shape },
                weekly,
                utc_offset_minutes: -330,
            })
        };
        let diurnal = Traffic::pattern(Pattern::new(DailyProfile::Diurnal {
            trough_rps: 0.5,
            peak_rps: 6.0,
            peak_hour: 14.0,
            open_hour: 8.0,
            close_hour: 20.0,
        }));
        let counts: Vec<f64> = (0..300).map(|m| ((m * 37) % 11) as f64 * 20.0).collect();
        let mut noisy = Traffic::constant(4.0);
        noisy.fluctuations.noise_cv = 0.4;
        let mut spiky_step = hourly(HourlyShape::Step);
        spiky_step.fluctuations = spiky().fluctuations;
        let cases = [
            ("constant", Traffic::constant(3.0)),
            ("spiky", spiky()),
            ("noisy", noisy),
            ("step", hourly(HourlyShape::Step)),
            ("spiky step", spiky_step),
            ("minute counts", replay(&counts, 1.0, true)),
            ("linear", hourly(HourlyShape::Linear)),
            ("diurnal", diurnal),
        ];
        for (name, traffic) in cases {
            for seed in [1, 2] {
                let horizon = 2 * NANOS_PER_DAY;
                let fast: Vec<SimTime> = arrivals(traffic.clone(), horizon, seed).collect();
                let slow = every_rate(traffic.clone(), horizon, seed);
                assert!(fast.len() > 10_000, "{name}: {} arrivals", fast.len());
                assert!(fast == slow, "{name}, seed {seed}: the shortcut changed the arrivals");
            }
        }
    }

    /// Which segments count as flat: the constant profile, a step table within one local
    /// hour and day, one clock minute of a per-minute source; not a slope, nor an hour or
    /// a local day crossed.
    #[test]
    fn flat_over_is_true_exactly_where_the_rate_cannot_move() {
        let minute = |m: u64| SimTime(m * NANOS_PER_MINUTE);
        assert!(Traffic::constant(2.0).flat_over(minute(0), minute(60 * 24)));
        let step = Pattern {
            daily: DailyProfile::Hourly { rps: [1.0; 24], shape: HourlyShape::Step },
            weekly: WeeklyPattern { day_factors: [1.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0] },
            utc_offset_minutes: -30,
        };
        // Local hours start at the clock's half hours.
        assert!(step.flat_over(30 * NANOS_PER_MINUTE, 90 * NANOS_PER_MINUTE));
        assert!(!step.flat_over(30 * NANOS_PER_MINUTE, 90 * NANOS_PER_MINUTE + 1));
        // Across local midnight the weekly factor changes, even on a constant profile.
        let days = Pattern { daily: DailyProfile::Constant { rps: 1.0 }, ..step.clone() };
        let midnight = NANOS_PER_DAY + 30 * NANOS_PER_MINUTE;
        assert!(days.flat_over(midnight - 10, midnight));
        assert!(!days.flat_over(midnight - 10, midnight + 1));
        let linear = DailyProfile::Hourly { rps: [1.0; 24], shape: HourlyShape::Linear };
        assert!(!linear.flat_over(0, 10));
        let counts = replay(&[1.0, 2.0], 1.0, true);
        assert!(counts.flat_over(minute(1), minute(2)));
        assert!(!counts.flat_over(minute(1), SimTime(minute(2).0 + 1)));
    }

    /// Arrival generation is lazy: 30 days at up to 2,000 requests a second with bursts
    /// and noise hold a fixed-size generator and a handful of bursts, nothing per
    /// request.
    #[test]
    fn thirty_days_hold_no_per_request_state() {
        // Fixed size: the model and four generator states (ChaCha keeps a block buffer).
        assert!(std::mem::size_of::<Arrivals>() <= 4096, "{}", std::mem::size_of::<Arrivals>());
        let mut traffic = spiky();
        traffic.fluctuations.noise_cv = 0.5;
        let horizon = SimTime(30 * NANOS_PER_DAY);
        let mut a = Arrivals::new(traffic, Streams::new(1, 0), horizon);
        let (mut n, mut most_held) = (0u64, 0);
        while let Some(t) = a.next_arrival() {
            n += 1;
            if n % 1024 == 0 {
                most_held = most_held.max(a.held_bursts());
            }
            debug_assert!(t < horizon);
        }
        assert!(n > 30 * 86_400 * 5, "{n} arrivals");
        assert!(most_held <= 8, "held up to {most_held} bursts");
    }
}
