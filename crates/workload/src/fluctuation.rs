//! Random fluctuations around the intended rate: flash crowds (bursts), per-minute
//! overdispersion (noise) and on/off clients (a two-state Markov-modulated process).
//!
//! They are realised once per replication from their own streams, keyed by (seed,
//! replication, purpose), so every platform of a replication meets the same flash crowds
//! at the same instants (common random numbers) whatever it does with its requests. The
//! realisation is generated lazily as the clock moves forward and only what is active
//! now is held: the bursts in progress and the next one to start.
//!
//! The realised multiplier is piecewise: noise changes only at minute boundaries, the
//! on/off state at its switch times, and each burst is linear between its four
//! breakpoints (start, top of the ramp up, start of the ramp down, end). Between two
//! consecutive change points every factor is linear, so the maximum of each over such a
//! piece is at one of its ends; that keeps the thinning bound a true upper bound.

use crate::dist::{Dist, DistError};
use crate::{BURSTS_STREAM, NOISE_STREAM, ON_OFF_STREAM};
use crossover_engine::time::{NANOS_PER_DAY, NANOS_PER_MINUTE};
use crossover_engine::{RngStream, SimDuration, Streams};

/// Flash crowds: a Poisson process of bursts, each multiplying the rate by a random
/// factor for a random time, reached and left along linear ramps.
#[derive(Clone, Debug, PartialEq)]
pub struct Bursts {
    /// Mean number of bursts starting per day.
    pub per_day: f64,
    /// The multiplier at the top of a burst (unitless).
    pub factor: Dist,
    /// How long a burst stays at its top, in seconds (the ramps come on top of it).
    pub duration: Dist,
    pub ramp_up: SimDuration,
    pub ramp_down: SimDuration,
}

impl Bursts {
    /// Factor and duration log-normal from their medians and 99th percentiles, the way
    /// people describe flash crowds ("usually 3x for ten minutes, at worst 10x for an
    /// hour").
    pub fn from_percentiles(
        per_day: f64,
        factor_p50_p99: (f64, f64),
        duration_p50_p99: (SimDuration, SimDuration),
        ramp_up: SimDuration,
        ramp_down: SimDuration,
    ) -> Result<Bursts, DistError> {
        let (d50, d99) = duration_p50_p99;
        Ok(Bursts {
            per_day,
            factor: Dist::lognormal_p50_p99(factor_p50_p99.0, factor_p50_p99.1)?,
            duration: Dist::lognormal_p50_p99(d50.as_secs_f64(), d99.as_secs_f64())?,
            ramp_up,
            ramp_down,
        })
    }
}

/// Clients that switch between a busy and a quiet state (a two-state MMPP): the time in
/// each state is exponential, and the rate is multiplied by the state's factor.
#[derive(Clone, Debug, PartialEq)]
pub struct OnOff {
    pub on_factor: f64,
    pub off_factor: f64,
    pub mean_on: SimDuration,
    pub mean_off: SimDuration,
}

impl OnOff {
    /// Long-run share of time spent in the on state.
    pub fn on_share(&self) -> f64 {
        let (on, off) = (self.mean_on.as_secs_f64(), self.mean_off.as_secs_f64());
        on / (on + off)
    }

    /// Long-run mean of the multiplier.
    pub fn mean_factor(&self) -> f64 {
        let p = self.on_share();
        p * self.on_factor + (1.0 - p) * self.off_factor
    }
}

/// Everything random about the rate besides the arrivals themselves.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fluctuations {
    pub bursts: Option<Bursts>,
    /// Coefficient of variation of the per-minute log-normal multiplier (mean 1); 0 is
    /// a plain Poisson process.
    pub noise_cv: f64,
    pub on_off: Option<OnOff>,
}

impl Fluctuations {
    pub fn is_none(&self) -> bool {
        self.bursts.is_none() && self.noise_cv == 0.0 && self.on_off.is_none()
    }
}

/// One realised burst; times are nanoseconds on the simulation clock.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Burst {
    pub start: u64,
    /// End of the ramp up: the factor is at its top from here...
    pub full: u64,
    /// ...to here, where the ramp down begins.
    pub fade: u64,
    pub end: u64,
    pub factor: f64,
}

impl Burst {
    /// The burst's multiplier at `t` (1 outside it).
    #[inline]
    pub fn factor_at(&self, t: u64) -> f64 {
        let f = self.factor;
        if t < self.start || t >= self.end {
            1.0
        } else if t < self.full {
            1.0 + (f - 1.0) * ((t - self.start) as f64 / (self.full - self.start) as f64)
        } else if t < self.fade {
            f
        } else {
            f + (1.0 - f) * ((t - self.fade) as f64 / (self.end - self.fade) as f64)
        }
    }

    /// The first breakpoint strictly after `t`.
    fn breakpoint_after(&self, t: u64) -> u64 {
        [self.start, self.full, self.fade, self.end].into_iter().find(|&b| b > t).unwrap_or(u64::MAX)
    }

    /// Time at the top factor.
    pub fn plateau(&self) -> SimDuration {
        SimDuration(self.fade - self.full)
    }
}

/// The bursts of one replication in start order: an endless, lazy sequence. Each burst
/// takes three draws in a fixed order (gap, factor, duration), so the schedule depends
/// on nothing but the seed and the replication.
#[derive(Clone, Debug)]
pub struct BurstStream {
    spec: Bursts,
    rng: RngStream,
    last_start: u64,
}

impl BurstStream {
    pub fn new(spec: Bursts, streams: Streams) -> Self {
        let rng = streams.stream(BURSTS_STREAM);
        BurstStream { spec, rng, last_start: 0 }
    }

    pub fn next_burst(&mut self) -> Burst {
        let mean_gap_ns = NANOS_PER_DAY as f64 / self.spec.per_day;
        let gap = SimDuration::from_nanos_f64(self.rng.exponential(mean_gap_ns));
        let start = self.last_start.saturating_add(gap.0);
        self.last_start = start;
        let factor = self.spec.factor.sample_secs(&mut self.rng);
        let duration = self.spec.duration.sample(&mut self.rng);
        let full = start.saturating_add(self.spec.ramp_up.0);
        let fade = full.saturating_add(duration.0);
        let end = fade.saturating_add(self.spec.ramp_down.0);
        Burst { start, full, fade, end, factor }
    }
}

impl Iterator for BurstStream {
    type Item = Burst;
    fn next(&mut self) -> Option<Burst> {
        Some(self.next_burst())
    }
}

/// Bursts in progress and the next to start.
#[derive(Clone, Debug)]
struct BurstState {
    stream: BurstStream,
    upcoming: Burst,
    active: Vec<Burst>,
}

impl BurstState {
    fn advance(&mut self, t: u64) {
        self.active.retain(|b| b.end > t);
        while self.upcoming.start <= t {
            let next = self.stream.next_burst();
            let started = std::mem::replace(&mut self.upcoming, next);
            if started.end > t {
                self.active.push(started);
            }
        }
    }
}

/// The per-minute multiplier: log-normal with mean 1, one draw per clock minute in
/// order, so minute m always gets the m-th draw.
#[derive(Clone, Debug)]
struct MinuteNoise {
    dist: Dist,
    rng: RngStream,
    minute: u64,
    value: f64,
}

impl MinuteNoise {
    fn new(cv: f64, streams: Streams) -> Self {
        let dist = Dist::lognormal_mean_cv(1.0, cv).unwrap_or(Dist::Constant { value: 1.0 });
        let mut rng = streams.stream(NOISE_STREAM);
        let value = dist.sample_secs(&mut rng);
        MinuteNoise { dist, rng, minute: 0, value }
    }

    fn advance(&mut self, t: u64) {
        let minute = t / NANOS_PER_MINUTE;
        while self.minute < minute {
            self.minute += 1;
            self.value = self.dist.sample_secs(&mut self.rng);
        }
    }
}

/// The on/off state, started from its long-run distribution.
#[derive(Clone, Debug)]
struct OnOffState {
    spec: OnOff,
    rng: RngStream,
    on: bool,
    next_switch: u64,
}

impl OnOffState {
    fn new(spec: OnOff, streams: Streams) -> Self {
        let mut rng = streams.stream(ON_OFF_STREAM);
        let on = rng.open01() < spec.on_share();
        let mut s = OnOffState { spec, rng, on, next_switch: 0 };
        // Sojourns are memoryless, so the time left in the first state is a full one.
        s.next_switch = s.sojourn();
        s
    }

    fn sojourn(&mut self) -> u64 {
        let mean = if self.on { self.spec.mean_on } else { self.spec.mean_off };
        SimDuration::from_nanos_f64(self.rng.exponential(mean.0 as f64)).0.max(1)
    }

    fn advance(&mut self, t: u64) {
        while self.next_switch <= t {
            self.on = !self.on;
            self.next_switch = self.next_switch.saturating_add(self.sojourn());
        }
    }

    fn factor(&self) -> f64 {
        if self.on {
            self.spec.on_factor
        } else {
            self.spec.off_factor
        }
    }
}

/// One replication's realised fluctuations, queried at non-decreasing times.
#[derive(Clone, Debug)]
pub struct FluctuationPath {
    bursts: Option<BurstState>,
    noise: Option<MinuteNoise>,
    on_off: Option<OnOffState>,
}

impl FluctuationPath {
    pub fn new(spec: &Fluctuations, streams: Streams) -> Self {
        let bursts = spec.bursts.as_ref().filter(|b| b.per_day > 0.0).map(|b| {
            let mut stream = BurstStream::new(b.clone(), streams);
            let upcoming = stream.next_burst();
            BurstState { stream, upcoming, active: Vec::new() }
        });
        let noise = (spec.noise_cv > 0.0).then(|| MinuteNoise::new(spec.noise_cv, streams));
        let on_off = spec.on_off.clone().map(|o| OnOffState::new(o, streams));
        FluctuationPath { bursts, noise, on_off }
    }

    /// True when the multiplier is 1 everywhere.
    pub fn is_flat(&self) -> bool {
        self.bursts.is_none() && self.noise.is_none() && self.on_off.is_none()
    }

    /// Moves the realisation forward to `t` (never backwards).
    #[inline]
    pub fn advance(&mut self, t: u64) {
        if let Some(b) = &mut self.bursts {
            b.advance(t);
        }
        if let Some(n) = &mut self.noise {
            n.advance(t);
        }
        if let Some(o) = &mut self.on_off {
            o.advance(t);
        }
    }

    /// The noise and on/off part, constant between change points.
    #[inline]
    fn level(&self) -> f64 {
        let mut f = 1.0;
        if let Some(n) = &self.noise {
            f *= n.value;
        }
        if let Some(o) = &self.on_off {
            f *= o.factor();
        }
        f
    }

    /// The multiplier at `t`, for `t` between the last `advance` and the next change.
    #[inline]
    pub fn factor_at(&self, t: u64) -> f64 {
        let mut f = self.level();
        if let Some(b) = &self.bursts {
            for burst in &b.active {
                f *= burst.factor_at(t);
            }
        }
        f
    }

    /// The exact maximum of the multiplier at integer times in [a, b), given no change
    /// point lies inside (a, b): each factor is linear there, so its maximum is at a or
    /// at b - 1. The product is formed in the same order as in `factor_at`, so rounding
    /// cannot push a rate above its bound.
    pub fn max_over(&self, a: u64, b: u64) -> f64 {
        let mut f = self.level();
        if let Some(s) = &self.bursts {
            let last = b.saturating_sub(1).max(a);
            for burst in &s.active {
                f *= burst.factor_at(a).max(burst.factor_at(last));
            }
        }
        f
    }

    /// Whether the multiplier is the same float at every integer time in [a, b), given no
    /// change point inside (a, b). Noise and on/off are constant there; each burst's
    /// factor is linear there, and computed by a formula monotone in the time, so it is
    /// one value throughout exactly if it is one value at both ends.
    pub fn flat_over(&self, a: u64, b: u64) -> bool {
        let last = b.saturating_sub(1).max(a);
        self.bursts
            .as_ref()
            .is_none_or(|s| s.active.iter().all(|burst| burst.factor_at(a) == burst.factor_at(last)))
    }

    /// The first time after `t` at which a factor stops being linear: a minute boundary
    /// (noise), an on/off switch, or a burst breakpoint.
    pub fn next_change_after(&self, t: u64) -> u64 {
        let mut next = u64::MAX;
        if self.noise.is_some() {
            next = next.min((t / NANOS_PER_MINUTE + 1) * NANOS_PER_MINUTE);
        }
        if let Some(o) = &self.on_off {
            next = next.min(o.next_switch);
        }
        if let Some(s) = &self.bursts {
            next = next.min(s.upcoming.start);
            for burst in &s.active {
                next = next.min(burst.breakpoint_after(t));
            }
        }
        next
    }

    /// Bursts held in memory (in progress plus the next); bounded by how many overlap,
    /// never by the horizon.
    pub fn held_bursts(&self) -> usize {
        self.bursts.as_ref().map_or(0, |b| b.active.len() + 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Z99;

    fn spiky(per_day: f64) -> Bursts {
        Bursts::from_percentiles(
            per_day,
            (3.0, 12.0),
            (SimDuration::from_minutes(10), SimDuration::from_minutes(90)),
            SimDuration::from_minutes(2),
            SimDuration::from_minutes(10),
        )
        .unwrap()
    }

    #[test]
    fn burst_shape_ramps_up_holds_and_ramps_down() {
        let b = Burst { start: 100, full: 200, fade: 500, end: 600, factor: 5.0 };
        assert_eq!(b.factor_at(99), 1.0);
        assert_eq!(b.factor_at(100), 1.0);
        assert_eq!(b.factor_at(150), 3.0);
        assert_eq!(b.factor_at(200), 5.0);
        assert_eq!(b.factor_at(499), 5.0);
        assert_eq!(b.factor_at(550), 3.0);
        assert_eq!(b.factor_at(600), 1.0);
        // Zero-length ramps are steps.
        let step = Burst { start: 10, full: 10, fade: 20, end: 20, factor: 4.0 };
        assert_eq!(step.factor_at(9), 1.0);
        assert_eq!(step.factor_at(10), 4.0);
        assert_eq!(step.factor_at(19), 4.0);
        assert_eq!(step.factor_at(20), 1.0);
    }

    /// Burst starts per day over 4,000 days are Poisson with the configured mean: the
    /// mean lies in its confidence interval and the dispersion statistic
    /// sum((x - m)^2) / m is within the chi-square(n) 99.9% band.
    #[test]
    fn bursts_per_day_are_poisson() {
        let per_day = 2.5;
        let days = 4_000u64;
        let mut counts = vec![0u64; days as usize];
        for b in BurstStream::new(spiky(per_day), Streams::new(3, 0)) {
            let day = b.start / NANOS_PER_DAY;
            if day >= days {
                break;
            }
            counts[day as usize] += 1;
        }
        let n = days as f64;
        let mean = counts.iter().sum::<u64>() as f64 / n;
        assert!((mean - per_day).abs() < 4.0 * (per_day / n).sqrt(), "mean {mean}");
        let dispersion: f64 = counts.iter().map(|&x| (x as f64 - per_day).powi(2) / per_day).sum();
        // chi-square with 4000 df: mean 4000, sd sqrt(8000) = 89.4; 3.3 sd band.
        assert!((dispersion - n).abs() < 3.3 * (2.0 * n).sqrt(), "dispersion {dispersion}");
    }

    /// Top factors and plateau lengths: their medians and 99th percentiles fall in the
    /// binomial 99.9% bands around the configured p50 and p99, and log-factors have the
    /// implied standard deviation.
    #[test]
    fn burst_factor_and_duration_match_their_percentiles() {
        let n = 100_000;
        let bursts: Vec<Burst> = BurstStream::new(spiky(10.0), Streams::new(5, 2)).take(n).collect();
        let mut factors: Vec<f64> = bursts.iter().map(|b| b.factor).collect();
        let mut mins: Vec<f64> = bursts.iter().map(|b| b.plateau().as_secs_f64() / 60.0).collect();
        factors.sort_by(f64::total_cmp);
        mins.sort_by(f64::total_cmp);
        let band = |v: &[f64], q: f64, expected: f64| {
            let sd = (q * (1.0 - q) / n as f64).sqrt();
            let lo = v[((q - 3.3 * sd) * n as f64) as usize];
            let hi = v[(((q + 3.3 * sd) * n as f64) as usize).min(n - 1)];
            assert!(lo <= expected && expected <= hi, "q{q}: {expected} not in [{lo}, {hi}]");
        };
        band(&factors, 0.5, 3.0);
        band(&factors, 0.99, 12.0);
        band(&mins, 0.5, 10.0);
        band(&mins, 0.99, 90.0);
        // Ramps are exactly as configured.
        assert!(bursts.iter().all(|b| b.full - b.start == 2 * NANOS_PER_MINUTE));
        assert!(bursts.iter().all(|b| b.end - b.fade == 10 * NANOS_PER_MINUTE));
        let sigma = (12.0f64 / 3.0).ln() / Z99;
        let logs: Vec<f64> = factors.iter().map(|f| f.ln()).collect();
        let m = logs.iter().sum::<f64>() / n as f64;
        let sd = (logs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
        // The sample sd of n normals has standard error sigma / sqrt(2n).
        assert!((sd - sigma).abs() < 4.0 * sigma / (2.0 * n as f64).sqrt(), "sd {sd} vs {sigma}");
    }

    #[test]
    fn noise_has_mean_one_and_the_configured_cv() {
        let cv = 0.4;
        let spec = Fluctuations { noise_cv: cv, ..Default::default() };
        let mut path = FluctuationPath::new(&spec, Streams::new(8, 1));
        let n = 200_000u64;
        let xs: Vec<f64> = (0..n)
            .map(|m| {
                path.advance(m * NANOS_PER_MINUTE + 7);
                path.factor_at(m * NANOS_PER_MINUTE + 7)
            })
            .collect();
        let mean = xs.iter().sum::<f64>() / n as f64;
        let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n as f64 - 1.0)).sqrt();
        assert!((mean - 1.0).abs() < 4.0 * cv / (n as f64).sqrt(), "mean {mean}");
        // The sample sd's standard error is about cv * sqrt((kurtosis - 1) / 4n); this
        // log-normal's kurtosis is 5.97, so one s.e. is 0.001 and 4 s.e. 0.004.
        assert!((sd - cv).abs() < 0.004, "sd {sd}");
        // Constant within a minute.
        path.advance(n * NANOS_PER_MINUTE);
        let v = path.factor_at(n * NANOS_PER_MINUTE);
        path.advance(n * NANOS_PER_MINUTE + NANOS_PER_MINUTE - 1);
        assert_eq!(v, path.factor_at(n * NANOS_PER_MINUTE + NANOS_PER_MINUTE - 1));
    }

    #[test]
    fn on_off_share_of_time_matches_the_sojourn_means() {
        let spec = OnOff {
            on_factor: 5.0,
            off_factor: 0.5,
            mean_on: SimDuration::from_minutes(5),
            mean_off: SimDuration::from_minutes(15),
        };
        assert!((spec.on_share() - 0.25).abs() < 1e-12);
        let fl = Fluctuations { on_off: Some(spec), ..Default::default() };
        let mut path = FluctuationPath::new(&fl, Streams::new(4, 0));
        // Walk change points over 2,000 days, measuring time spent on.
        let horizon = 2_000 * NANOS_PER_DAY;
        let (mut t, mut on_time, mut switches) = (0u64, 0u64, 0u64);
        while t < horizon {
            path.advance(t);
            let next = path.next_change_after(t).min(horizon);
            if path.factor_at(t) == 5.0 {
                on_time += next - t;
            }
            switches += 1;
            t = next;
        }
        let share = on_time as f64 / horizon as f64;
        // The time-average of a two-state Markov chain with switching rates a and b has
        // asymptotic variance 2 p (1 - p) / ((a + b) T); here a + b = 1/5 + 1/15 per
        // minute over T = 2.88 M minutes: sd 0.0007.
        let sd = (2.0f64 * 0.25 * 0.75 / ((1.0 / 5.0 + 1.0 / 15.0) * 2_000.0 * 1440.0)).sqrt();
        assert!((share - 0.25).abs() < 4.0 * sd, "share {share}");
        // 2 T / (mean on + mean off) = 288,000 switches; cycles (20 min mean, variance
        // 5^2 + 15^2) counted over T have sd sqrt(T 250 / 20^3) = 300, switches twice that.
        assert!((switches as f64 - 288_000.0).abs() < 4.0 * 600.0, "switches {switches}");
    }

    #[test]
    fn max_over_bounds_factor_between_change_points() {
        let fl = Fluctuations {
            bursts: Some(spiky(40.0)),
            noise_cv: 0.3,
            on_off: Some(OnOff {
                on_factor: 3.0,
                off_factor: 1.0,
                mean_on: SimDuration::from_secs(90),
                mean_off: SimDuration::from_minutes(20),
            }),
        };
        let mut path = FluctuationPath::new(&fl, Streams::new(1, 1));
        let mut t = 0;
        let mut pieces = 0;
        while t < 3 * NANOS_PER_DAY {
            path.advance(t);
            let next = path.next_change_after(t);
            assert!(next > t);
            let bound = path.max_over(t, next);
            for k in 0..8 {
                let x = t + (next - t - 1) * k / 7;
                assert!(path.factor_at(x) <= bound, "at {x}");
            }
            pieces += 1;
            t = next;
        }
        assert!(pieces > 3 * 1440, "noise alone cuts every minute");
        assert!(path.held_bursts() < 16);
    }

    /// Between change points the multiplier is flat exactly where no burst ramps: then
    /// it is one value at every sampled time, and on a ramp it is not.
    #[test]
    fn flat_over_between_change_points_is_true_exactly_off_the_ramps() {
        let fl = Fluctuations { bursts: Some(spiky(40.0)), noise_cv: 0.3, on_off: None };
        let mut path = FluctuationPath::new(&fl, Streams::new(3, 1));
        let (mut t, mut flat, mut ramps) = (0, 0, 0);
        while t < 3 * NANOS_PER_DAY {
            path.advance(t);
            let next = path.next_change_after(t);
            let on_ramp = path.bursts.as_ref().is_some_and(|s| {
                s.active.iter().any(|b| (t >= b.start && t < b.full) || (t >= b.fade && t < b.end))
            });
            let values: Vec<f64> = (0..8).map(|k| path.factor_at(t + (next - t - 1) * k / 7)).collect();
            let one_value = values.iter().all(|&v| v == values[0]);
            assert_eq!(path.flat_over(t, next), !on_ramp, "at {t}");
            if path.flat_over(t, next) {
                assert!(one_value, "flat at {t}, yet {values:?}");
                flat += 1;
            } else {
                assert!(!one_value, "a ramp at {t}, yet one value");
                ramps += 1;
            }
            t = next;
        }
        assert!(flat > 1000 && ramps > 50, "{flat} flat pieces, {ramps} on ramps");
    }
}
