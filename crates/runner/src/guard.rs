//! The resource guard: how much work a run is, before it starts.
//!
//! The estimate is the expected number of arrivals of one replication (the integral of
//! the intended rate over the horizon, times the long-run mean of the bursts and on/off
//! multipliers; recorded timestamps are counted) times platforms times replications, and
//! a wall time at a conservative [`REQUESTS_PER_CORE_SECOND`]. The command line prints it
//! when a run will take a while and refuses runs beyond [`Limits`] unless told to go on.
//! Pure: no clock, no printing.

use crossover_engine::time::NANOS_PER_MINUTE;
use crossover_engine::SimTime;
use crossover_scenario::Scenario;
use crossover_workload::{Fluctuations, Source, Traffic};
use std::fmt;

/// Simulated requests per second one core sustains, on the slow side: the benchmarks
/// measure 2.6 to 3.7 M/s for every preset (docs/performance.md), but an overloaded
/// fleet queues thousands of requests per instance and crawls, and a slower machine or
/// one shared with other work does less. An estimate that errs long is the safe error.
pub const REQUESTS_PER_CORE_SECOND: f64 = 1e6;

/// What a run is expected to cost.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkEstimate {
    /// Expected arrivals of one replication (every platform sees the same stream).
    pub requests_per_replication: f64,
    /// (replication, platform) simulations still to run.
    pub jobs: u64,
    /// Requests to simulate over every job.
    pub requests: f64,
    /// Expected wall time in seconds on `threads` cores.
    pub seconds: f64,
}

impl WorkEstimate {
    /// `jobs` simulations of `scenario` on `threads` worker threads.
    pub fn new(scenario: &Scenario, jobs: u64, threads: usize) -> WorkEstimate {
        // Every service of the stack arrives at every platform.
        let per: f64 = scenario
            .services
            .iter()
            .map(|s| expected_requests(&s.traffic, scenario.horizon.as_nanos()))
            .sum();
        let requests = per * jobs as f64;
        // A job runs on one core: fewer jobs than threads leave cores idle.
        let cores = (threads.max(1) as u64).min(jobs.max(1)) as f64;
        WorkEstimate {
            requests_per_replication: per,
            jobs,
            requests,
            seconds: requests / REQUESTS_PER_CORE_SECOND / cores,
        }
    }
}

/// Several runs' work together (a sweep's points, a plan's stages): their jobs, requests
/// and times add up, and the requests of one replication are the largest of theirs.
impl std::iter::Sum for WorkEstimate {
    fn sum<I: Iterator<Item = WorkEstimate>>(estimates: I) -> WorkEstimate {
        let none = WorkEstimate { requests_per_replication: 0.0, jobs: 0, requests: 0.0, seconds: 0.0 };
        estimates.fold(none, |total, e| WorkEstimate {
            requests_per_replication: total.requests_per_replication.max(e.requests_per_replication),
            jobs: total.jobs + e.jobs,
            requests: total.requests + e.requests,
            seconds: total.seconds + e.seconds,
        })
    }
}

impl fmt::Display for WorkEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "about {} requests ({} per replication x {} simulation(s)), roughly {} at {} M requests/s per core",
            count(self.requests),
            count(self.requests_per_replication),
            self.jobs,
            duration(self.seconds),
            REQUESTS_PER_CORE_SECOND / 1e6
        )
    }
}

/// How much work runs without asking.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limits {
    /// Longest expected wall time, seconds.
    pub max_seconds: f64,
    /// Most requests over the whole run.
    pub max_requests: f64,
}

impl Default for Limits {
    /// One hour, or ten billion requests.
    fn default() -> Self {
        Limits { max_seconds: 3600.0, max_requests: 1e10 }
    }
}

impl Limits {
    /// Why `estimate` is beyond these limits, or `None` when it is within them.
    pub fn exceeded_by(&self, e: &WorkEstimate) -> Option<String> {
        if e.requests.is_nan() || e.requests > self.max_requests {
            Some(format!("more than {} requests", count(self.max_requests)))
        } else if e.seconds.is_nan() || e.seconds > self.max_seconds {
            Some(format!("longer than {}", duration(self.max_seconds)))
        } else {
            None
        }
    }
}

/// Expected arrivals over [0, horizon) in one replication.
pub fn expected_requests(traffic: &Traffic, horizon_ns: u64) -> f64 {
    if let Source::Timestamps(r) = &traffic.source {
        return r.count_in(0, horizon_ns) as f64;
    }
    // Midpoint rule on whole minutes: exact for the per-minute sources, and far inside
    // an estimate's needs for the smooth profiles and hourly tables.
    let mut total = 0.0;
    let mut t = 0;
    while t < horizon_ns {
        let end = (t + NANOS_PER_MINUTE).min(horizon_ns);
        let rate = traffic.rate(SimTime(t + (end - t) / 2));
        total += rate * (end - t) as f64 / 1e9;
        t = end;
    }
    total * mean_factor(&traffic.fluctuations)
}

/// Long-run mean of the random multipliers (the noise has mean 1).
fn mean_factor(f: &Fluctuations) -> f64 {
    let mut factor = 1.0;
    if let Some(o) = &f.on_off {
        let m = o.mean_factor();
        factor *= if m.is_finite() { m } else { o.on_factor.max(o.off_factor) };
    }
    if let Some(b) = &f.bursts {
        // Share of time inside a burst times the extra it brings, ramps at half height.
        let secs = b.duration.mean() + (b.ramp_up.as_secs_f64() + b.ramp_down.as_secs_f64()) / 2.0;
        let extra = b.per_day / 86_400.0 * secs * (b.factor.mean() - 1.0).max(0.0);
        if extra.is_finite() {
            factor *= 1.0 + extra;
        }
    }
    factor
}

/// 1234567 -> "1.2 M".
fn count(x: f64) -> String {
    match x {
        x if x >= 1e12 => format!("{:.1} T", x / 1e12),
        x if x >= 1e9 => format!("{:.1} G", x / 1e9),
        x if x >= 1e6 => format!("{:.1} M", x / 1e6),
        x if x >= 1e3 => format!("{:.1} k", x / 1e3),
        x => format!("{x:.0}"),
    }
}

/// Seconds as "40 s", "12 min", "3.5 h", "2.0 days".
fn duration(s: f64) -> String {
    match s {
        s if s >= 2.0 * 86_400.0 => format!("{:.1} days", s / 86_400.0),
        s if s >= 3600.0 => format!("{:.1} h", s / 3600.0),
        s if s >= 120.0 => format!("{:.0} min", s / 60.0),
        s => format!("{s:.0} s"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Work together: jobs, requests and seconds add up; one replication's requests are
    /// the largest of them, not their sum.
    #[test]
    fn estimates_sum_their_work_and_keep_the_largest_replication() {
        let e = |per: f64, jobs: u64| WorkEstimate {
            requests_per_replication: per,
            jobs,
            requests: per * jobs as f64,
            seconds: per * jobs as f64 / REQUESTS_PER_CORE_SECOND,
        };
        let total: WorkEstimate = [e(10.0, 3), e(40.0, 2), e(5.0, 1)].into_iter().sum();
        assert_eq!(total.requests_per_replication, 40.0);
        assert_eq!(total.jobs, 6);
        assert_eq!(total.requests, 115.0);
        assert_eq!(total.seconds, 115.0 / REQUESTS_PER_CORE_SECOND);
        let none: WorkEstimate = std::iter::empty().sum();
        assert_eq!((none.jobs, none.requests), (0, 0.0));
    }

    fn scenario(traffic: &str, horizon: &str) -> Scenario {
        let text = format!(
            "[simulation]\nhorizon = \"{horizon}\"\nreplications = 4\n[traffic]\n{traffic}\n\
             [service]\ncpu = \"10ms\"\n[[platform]]\nname = \"a\"\nautoscaler = {{ kind = \"fixed\", instances = 1 }}\n\
             [[platform]]\nname = \"b\"\nautoscaler = {{ kind = \"fixed\", instances = 1 }}\n"
        );
        crossover_scenario::parse(&text, "t.toml", "t").unwrap()
    }

    #[test]
    fn a_constant_rate_is_rate_times_horizon() {
        let s = scenario("profile = \"constant\"\nrps = 10.0", "1h");
        let e = WorkEstimate::new(&s, 8, 2);
        assert!((e.requests_per_replication - 36_000.0).abs() < 1e-6, "{e:?}");
        assert!((e.requests - 288_000.0).abs() < 1e-6);
        assert!((e.seconds - 0.144).abs() < 1e-9);
        assert_eq!(Limits::default().exceeded_by(&e), None);
    }

    #[test]
    fn on_off_and_bursts_raise_the_estimate() {
        let plain = scenario("profile = \"constant\"\nrps = 10.0", "1d");
        let onoff = scenario(
            "profile = \"constant\"\nrps = 10.0\non_off = { on_factor = 3, off_factor = 1, mean_on = \"1h\", mean_off = \"1h\" }",
            "1d",
        );
        let bursts = scenario(
            "profile = \"constant\"\nrps = 10.0\nbursts = { per_day = 4, factor_p50 = 3, factor_p99 = 5, duration_p50 = \"30m\", duration_p99 = \"1h\" }",
            "1d",
        );
        let p = expected_requests(&plain.services[0].traffic, plain.horizon.as_nanos());
        let o = expected_requests(&onoff.services[0].traffic, onoff.horizon.as_nanos());
        let b = expected_requests(&bursts.services[0].traffic, bursts.horizon.as_nanos());
        assert!((o / p - 2.0).abs() < 1e-9, "{o} vs {p}");
        // Four bursts of ~36 min at ~3x: about 2 x 2.4 h of extra rate a day.
        assert!(b / p > 1.1 && b / p < 1.5, "{b} vs {p}");
    }

    #[test]
    fn the_largest_rate_for_the_longest_horizon_is_refused() {
        let s = scenario("profile = \"constant\"\nrps = 1e6", "31d");
        let e = WorkEstimate::new(&s, 2 * 10_000, 2);
        let why = Limits::default().exceeded_by(&e).expect("refused");
        assert!(why.contains("requests"), "{why}");
        assert!(e.to_string().contains("T requests"), "{e}");
        // Within the request limit but not the time limit.
        let e = WorkEstimate { requests_per_replication: 1e9, jobs: 9, requests: 9e9, seconds: 4500.0 };
        assert_eq!(Limits::default().exceeded_by(&e).unwrap(), "longer than 1.0 h");
        let nan = WorkEstimate { requests: f64::NAN, ..e };
        assert!(Limits::default().exceeded_by(&nan).is_some());
    }

    #[test]
    fn figures_read_well() {
        assert_eq!(count(1_234_567.0), "1.2 M");
        assert_eq!(count(999.0), "999");
        assert_eq!(duration(40.0), "40 s");
        assert_eq!(duration(720.0), "12 min");
        assert_eq!(duration(3.0 * 86_400.0), "3.0 days");
    }
}
