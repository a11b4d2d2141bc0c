//! Hybrid platforms at the boundaries: a baseline fleet that spills to an overflow
//! platform while its ready instances are saturated. A replayed request log makes the
//! spill decisions exact enough to work out by hand; random traffic checks that the
//! parts add up to the whole and that an unsaturated baseline is the baseline alone.

mod common;

use common::{run, scenario};
use crossover_engine::SimDuration;
use crossover_platform::{simulate, Outcome, SimInput};
use crossover_scenario::Scenario;

/// A baseline of one warm instance serving two requests at once on one vCPU, spilling
/// to ten warm single-request instances; every request is one second of CPU work.
fn exact_scenario(dir: &std::path::Path, threshold: f64) -> Scenario {
    std::fs::write(dir.join("log.csv"), "timestamp\n0.0\n0.1\n0.2\n0.3\n5.0\n").unwrap();
    let toml = format!(
        r#"
        [simulation]
        horizon = "1m"
        replications = 1
        [traffic]
        profile = "timestamps"
        timestamps = {{ file = "log.csv" }}
        [service]
        cpu = "1s"
        [[platform]]
        name = "base"
        autoscaler = {{ kind = "fixed", instances = 1 }}
        instance = {{ cpu = 1, concurrency = 2 }}
        router = {{ kind = "load-balancer", policy = "least-outstanding", timeout = "0s" }}
        billing = {{ vcpu_second = 1.0 }}
        spill = {{ to = "overflow", threshold = {threshold} }}
        [[platform]]
        name = "overflow"
        autoscaler = {{ kind = "fixed", instances = 10 }}
        instance = {{ cpu = 1, concurrency = 1 }}
        billing = {{ per_million_requests = 1000000.0 }}
        "#
    );
    crossover_scenario::parse_in(&toml, "hybrid.toml", "hybrid", dir).unwrap_or_else(|e| panic!("{e}"))
}

fn simulate_platform(s: &Scenario, platform: usize, replication: u64) -> Outcome {
    simulate(&SimInput {
        platform: &s.platforms[platform],
        services: &s.services,
        horizon: s.horizon,
        seed: s.seed,
        replication,
        timeline: false,
    })
}

/// Requests at 0, 0.1, 0.2, 0.3 and 5 s. The first two fill the baseline's two slots
/// (and share its vCPU: both finish at 1.9 s and 2.0 s); the next two find every slot
/// busy and spill, each served alone in 1 s; the last finds the baseline idle again.
#[test]
fn requests_spill_exactly_while_every_slot_is_busy() {
    let dir = tempfile::tempdir().unwrap();
    let s = exact_scenario(dir.path(), 1.0);
    let out = simulate_platform(&s, 0, 0);
    let parts = out.parts.as_ref().expect("a hybrid keeps its parts");
    assert_eq!(out.counters.arrived, 5);
    assert_eq!(out.counters.completed, 5);
    assert_eq!(out.counters.spilled, 2);
    assert_eq!(parts.base.counters.arrived, 3);
    assert_eq!(parts.base.counters.completed, 3);
    assert_eq!(parts.overflow.counters.arrived, 2);
    assert_eq!(parts.overflow.counters.completed, 2);
    // A at 0 does 0.1 s alone, then shares with B: 0.9 s left at half speed ends at 1.9 s
    // (1.9 s latency); B has 0.1 s left then, alone: done at 2.0 s (1.9 s latency).
    let ms = |o: &Outcome, q: f64| o.latency.quantile_ms(q);
    assert!((ms(&parts.base, 1.0) - 1900.0).abs() < 2.0, "{}", ms(&parts.base, 1.0));
    assert!((ms(&parts.overflow, 0.0) - 1000.0).abs() < 1.0, "{}", ms(&parts.overflow, 0.0));
    assert!((ms(&parts.overflow, 1.0) - 1000.0).abs() < 1.0, "{}", ms(&parts.overflow, 1.0));
    assert_eq!(out.latency.count(), 5);
    // The overflow platform bills $1 a request: two requests in one minute is
    // 2 x 43,800 minutes in a 730-hour month.
    assert!((parts.overflow.cost.requests - 2.0 * 43_800.0).abs() < 1e-6, "{:?}", parts.overflow.cost);
    // The baseline's one instance is billed all its life, $1 a vCPU-second.
    assert!((parts.base.cost.infrastructure() - 730.0 * 3600.0).abs() < 1e-6);
    assert!((out.cost.infrastructure() - 730.0 * 3600.0 - 2.0 * 43_800.0).abs() < 1e-6);
}

/// At half the slots, the second request already spills: the baseline keeps one
/// request at a time.
#[test]
fn a_lower_threshold_spills_earlier() {
    let dir = tempfile::tempdir().unwrap();
    let s = exact_scenario(dir.path(), 0.5);
    let out = simulate_platform(&s, 0, 0);
    let parts = out.parts.as_ref().unwrap();
    assert_eq!(out.counters.spilled, 3);
    assert_eq!(parts.base.counters.completed, 2);
    // Nothing shares a vCPU any more: every request takes exactly its second.
    assert!((out.latency.quantile_ms(1.0) - 1000.0).abs() < 1.0);
}

/// Random traffic, an undersized Kubernetes baseline on a fixed node, Cloud Run taking
/// the overflow, and the same baseline alone. `pods` on a node of `node_cpu` vCPUs.
fn bursty(pods: u32, node_cpu: u32) -> String {
    let baseline = format!(
        r#"autoscaler = {{ kind = "fixed", instances = {pods} }}
instance = {{ cpu = 1, memory = "2GiB", concurrency = 8, cold_start = "5s" }}
router = {{ kind = "load-balancer", policy = "least-outstanding", timeout = "0s" }}
request_timeout = "60s"
billing = {{ control_plane_monthly = 73.0 }}
[platform.nodes]
reserved = "none"
min = 1
max = 1
machines = [{{ name = "n4", cpu = {node_cpu}, memory = "16GiB", hourly = 0.2 }}]
autoscaler = {{ kind = "fixed" }}"#
    );
    format!(
        r#"
[simulation]
horizon = "6h"
replications = 3
seed = 11
[traffic]
profile = "diurnal"
trough_rps = 20.0
peak_rps = 60.0
peak_hour = 3.0
business_hours = [0.0, 6.0]
bursts = {{ per_day = 24.0, factor_p50 = 3.0, factor_p99 = 6.0, duration_p50 = "3m", duration_p99 = "10m" }}
[service]
cpu = {{ dist = "lognormal", p50 = "20ms", p99 = "200ms" }}
io = {{ dist = "exponential", mean = "20ms" }}

[[platform]]
name = "cloud-run"
preset = "cloud-run"
runtime = "go"

[[platform]]
name = "alone"
{baseline}

[[platform]]
name = "hybrid"
spill = {{ to = "cloud-run" }}
{baseline}
"#
    )
}

/// The hybrid's figures are its parts' sums: requests, costs line by line, instances;
/// each part is conserved on its own, the overflow receives exactly what spilled, and
/// the arrivals are the same requests every other platform sees.
#[test]
fn the_parts_add_up_to_the_hybrid() {
    let s = scenario(&bursty(2, 4));
    for rep in 0..2 {
        let out = simulate_platform(&s, 2, rep);
        let alone = simulate_platform(&s, 1, rep);
        let parts = out.parts.as_ref().unwrap();
        let (b, o) = (&parts.base, &parts.overflow);
        assert!(out.counters.is_conserved(), "{:?}", out.counters);
        assert!(b.counters.is_conserved(), "{:?}", b.counters);
        assert!(o.counters.is_conserved(), "{:?}", o.counters);
        assert_eq!(out.counters.arrived, alone.counters.arrived, "common random numbers");
        assert_eq!(b.counters.arrived + out.counters.spilled, out.counters.arrived);
        assert_eq!(o.counters.arrived, out.counters.spilled);
        assert!(out.counters.spilled > 100, "the baseline saturates in bursts: {:?}", out.counters);
        assert_eq!(out.counters.completed, b.counters.completed + o.counters.completed);
        assert_eq!(out.latency.count(), b.latency.count() + o.latency.count());
        let sum = b.cost.plus(&o.cost);
        assert_eq!(out.cost, sum);
        assert!((out.cost.nodes - b.cost.nodes).abs() < 1e-9 && b.cost.nodes > 0.0);
        assert!(o.cost.cpu > 0.0 && b.cost.cpu == 0.0, "Cloud Run bills the overflow's vCPU");
        assert!((out.mean_instances - b.mean_instances - o.mean_instances).abs() < 1e-9);
        assert!(out.peak_instances >= b.peak_instances.max(o.peak_instances));
        assert!(out.peak_instances <= b.peak_instances + o.peak_instances);
        // Spilling instead of queueing behind a saturated baseline cuts the tail.
        let p99 = |o: &Outcome| o.latency.quantile_ms(0.99);
        assert!(p99(&out) < p99(&alone) / 2.0, "hybrid {} ms, alone {} ms", p99(&out), p99(&alone));
    }
}

/// The runner reports the split: spilled requests, the overflow's bill and each part's
/// p99, and the run's self-checks (conservation, Little's law) hold for the whole.
#[test]
fn the_runner_reports_each_part() {
    let s = scenario(&bursty(2, 4));
    let result = run(&s);
    let hybrid = &result.platforms[2];
    assert!(hybrid.is_hybrid());
    assert!(!result.platforms[1].is_hybrid());
    for r in &hybrid.replications {
        let out = simulate_platform(&s, 2, r.replication as u64);
        let parts = out.parts.as_ref().unwrap();
        assert_eq!(r.counters.spilled, out.counters.spilled);
        assert_eq!(r.overflow_cost, parts.overflow.cost.infrastructure());
        assert_eq!(r.base_p99_ms, parts.base.latency.quantile_ms(0.99));
        assert_eq!(r.overflow_p99_ms, parts.overflow.latency.quantile_ms(0.99));
        assert!(r.overflow_cost > 0.0 && r.overflow_cost < r.cost.infrastructure());
    }
    let alone = &result.platforms[1].replications[0];
    assert_eq!((alone.overflow_cost, alone.overflow_p99_ms, alone.counters.spilled), (0.0, 0.0, 0));
    assert_eq!(alone.base_p99_ms, alone.p99_ms);
}

/// A baseline that never saturates never spills, and the hybrid is then exactly the
/// baseline alone (its overflow platform, scaled to zero, costs nothing).
#[test]
fn an_unsaturated_baseline_is_the_baseline_alone() {
    let roomy = bursty(12, 16);
    let s = scenario(&roomy);
    let hybrid = simulate_platform(&s, 2, 0);
    let alone = simulate_platform(&s, 1, 0);
    assert_eq!(hybrid.counters.spilled, 0);
    let mut counters = hybrid.counters;
    counters.spilled = 0;
    assert_eq!(counters, alone.counters);
    assert_eq!(hybrid.latency, alone.latency);
    assert_eq!(hybrid.cost, alone.cost);
    assert_eq!(hybrid.mean_sojourn_secs, alone.mean_sojourn_secs);
    let horizon = SimDuration::from_hours(6);
    assert_eq!(s.horizon, horizon);
}

/// The overflow entry is resolved like any other, so a change to it (here through an
/// override) reaches the hybrid's overflow fleet too.
#[test]
fn the_overflow_is_the_named_platform_as_resolved() {
    let s = crossover_scenario::parse_with_overrides(
        &bursty(2, 4),
        "bursty.toml",
        "bursty",
        &[crossover_scenario::Override::parse("platform.cloud-run.max_instances=3").unwrap()],
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let spill = s.platforms[2].services[0].spill.as_ref().unwrap();
    assert_eq!(*spill.to, s.platforms[0].services[0]);
    assert_eq!(spill.to.max_instances, 3);
    assert_eq!(spill.threshold, 1.0);
}

/// The timeline of a hybrid shows both fleets on the same day: the day the gateway's
/// arrivals make busiest, the day every other platform shows, even when most requests
/// spill on another day. A recorded log: day 0 has 106,000 requests (a slow trickle
/// and a 5-minute burst), day 1 has 60,000 (a 10-minute burst of 30,000 spills most
/// of it); the day shown is day 0, and its completions account for every arrival,
/// the ones that spilled during its burst included.
#[test]
fn the_timeline_adds_both_fleets_on_the_same_day() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::from("timestamp\n");
    let mut even = |from: f64, seconds: f64, n: u32| {
        for i in 0..n {
            log.push_str(&format!("{:.6}\n", from + seconds * f64::from(i) / f64::from(n)));
        }
    };
    even(0.0, 86_400.0, 100_000);
    even(36_000.0, 300.0, 6_000);
    even(86_400.0, 86_400.0, 30_000);
    even(86_400.0 + 36_000.0, 600.0, 30_000);
    std::fs::write(dir.path().join("log.csv"), log).unwrap();
    let toml = r#"
        [simulation]
        horizon = "2d"
        replications = 1
        [traffic]
        profile = "timestamps"
        timestamps = { file = "log.csv" }
        [service]
        cpu = "100ms"
        [[platform]]
        name = "alone"
        autoscaler = { kind = "fixed", instances = 1 }
        instance = { cpu = 1, concurrency = 4 }
        router = { kind = "load-balancer", policy = "least-outstanding", timeout = "0s" }
        [[platform]]
        name = "hybrid"
        autoscaler = { kind = "fixed", instances = 1 }
        instance = { cpu = 1, concurrency = 4 }
        router = { kind = "load-balancer", policy = "least-outstanding", timeout = "0s" }
        spill = { to = "overflow" }
        [[platform]]
        name = "overflow"
        autoscaler = { kind = "fixed", instances = 20 }
        instance = { cpu = 1, concurrency = 10 }
        "#;
    let s = crossover_scenario::parse_in(toml, "t.toml", "t", dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let timelines = crossover_runner::timeline(&s, s.seed, 0);
    let (alone, hybrid) = (&timelines[0].minutes, &timelines[1].minutes);
    assert_eq!(hybrid.first().map(|m| m.minute), Some(0), "day 0 has the most arrivals");
    assert_eq!(alone.len(), hybrid.len());
    for (a, h) in alone.iter().zip(hybrid) {
        assert_eq!((a.minute, a.arrivals), (h.minute, h.arrivals));
    }
    let arrivals: u64 = hybrid.iter().map(|m| m.arrivals).sum();
    let served: u64 = hybrid.iter().map(|m| m.completed + m.rejected).sum();
    assert_eq!(arrivals, 106_000);
    // Requests in flight across the day's end are the only difference.
    assert!(arrivals - served < 10, "{arrivals} arrived, {served} left");
    let out = simulate_platform(&s, 1, 0);
    let parts = out.parts.as_ref().unwrap();
    assert!(out.counters.spilled > 20_000 && parts.base.counters.arrived > 100_000, "{:?}", out.counters);
}
