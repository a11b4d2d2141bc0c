//! Behaviour of the platform core, checked on small scenarios whose outcome can be
//! worked out by hand: cold starts, keep-alive, queue and request timeouts, billing.

mod common;

use common::{run, scenario};

/// Requests so rare that every one finds no warm instance: each waits a full cold start,
/// and the bill is start-up plus service for each, rounded to 100 ms.
#[test]
fn every_request_after_keep_alive_pays_a_cold_start() {
    let s = scenario(
        r#"
        [simulation]
        horizon = "2d"
        replications = 2
        [traffic]
        profile = "constant"
        rps = 0.002
        [service]
        cpu = "100ms"
        [[platform]]
        name = "lambda"
        autoscaler = { kind = "per-request", keep_alive = "1s" }
        instance = { cpu = 1, memory = "1GiB", concurrency = 1, cold_start = "2s" }
        billing = { vcpu_second = 0.001, gib_second = 0.0, idle_vcpu_second = 0.0, idle_gib_second = 0.0, rounding = "100ms" }
        "#,
    );
    let result = run(&s);
    let p = &result.platforms[0];
    let t = p.totals();
    assert!(t.arrived > 500, "{t:?}");
    // Mean gap 500 s >> keep-alive 1 s: nearly all cold. A gap under 3.1 s (cold start +
    // service + keep-alive) has probability 1 - exp(-0.0062) = 0.6%.
    assert!(t.cold_starts as f64 >= 0.98 * t.arrived as f64, "{t:?}");
    assert_eq!(t.cold_start_requests, t.cold_starts);
    // A cold request's latency is exactly 2 s + 100 ms.
    assert!((p.latency.quantile_ms(0.5) - 2100.0).abs() < 2.1, "{}", p.latency.quantile_ms(0.5));
    // Cost: each cold start bills 2.1 s of one vCPU at $0.001/s, normalised to 730 h.
    for r in &p.replications {
        let busy_s = r.counters.cold_starts as f64 * 2.1;
        let expected = busy_s * 0.001 * 730.0 / 48.0;
        assert!(
            (r.cost.cpu - expected).abs() < 1e-6 * expected + 0.01 * 0.001 * 730.0 / 48.0,
            "{} vs {expected}",
            r.cost.cpu
        );
        assert_eq!(r.cost.idle, 0.0);
    }
}

/// With a keep-alive longer than the gaps, instances are reused and few start cold; with
/// a short one, idle instances are stopped and the next request starts cold.
#[test]
fn keep_alive_decides_reuse() {
    let make = |keep_alive: &str| {
        scenario(&format!(
            r#"
            [simulation]
            horizon = "1d"
            replications = 2
            [traffic]
            profile = "constant"
            rps = 0.1
            [service]
            cpu = "50ms"
            [[platform]]
            name = "p"
            autoscaler = {{ kind = "per-request", keep_alive = "{keep_alive}" }}
            instance = {{ cpu = 1, memory = "1GiB", concurrency = 1, cold_start = "500ms" }}
            "#
        ))
    };
    let long = run(&make("10m")).platforms[0].totals();
    let short = run(&make("1s")).platforms[0].totals();
    // 10-minute keep-alive: a request starts an instance only if it finds the warm one
    // busy, probability about rho = 0.1/s x 50 ms = 0.5% (binomial sd over 17,000
    // requests: 0.05 points).
    let long_frac = long.cold_starts as f64 / long.arrived as f64;
    assert!((0.002..0.008).contains(&long_frac), "{long:?}");
    // 1 s keep-alive, most requests cold: the previous request's instance is free only
    // between the end of its service and the end of its keep-alive. After a cold request
    // that is a gap in (0.55 s, 1.55 s), probability e^-0.055 - e^-0.155 = 0.090; after a
    // warm one (0.05 s, 1.05 s), 0.095. So about 91% start cold (binomial sd 0.002;
    // the tolerance leaves room for the rare overlaps that keep two instances warm).
    let frac = short.cold_starts as f64 / short.arrived as f64;
    assert!((frac - 0.909).abs() < 0.01, "{frac}");
    assert_eq!(short.cold_starts, short.cold_start_requests, "each cold start serves its own request");
}

/// A single busy server with a short queue timeout rejects what waits too long, and
/// every request is accounted for.
#[test]
fn queue_timeout_rejects_and_conserves() {
    let s = scenario(
        r#"
        [simulation]
        horizon = "1h"
        replications = 2
        [traffic]
        profile = "constant"
        rps = 1.0
        [service]
        cpu = "2s"
        [[platform]]
        name = "one"
        autoscaler = { kind = "fixed", instances = 1 }
        router = { kind = "central-queue", timeout = "5s" }
        "#,
    );
    let result = run(&s);
    let p = &result.platforms[0];
    let t = p.totals();
    assert!(t.is_conserved());
    // Capacity 0.5/s against 1/s offered: about half must be rejected.
    assert!(t.rejected as f64 > 0.4 * t.arrived as f64, "{t:?}");
    // Nobody completes later than queue timeout + service.
    assert!(p.latency.quantile_ms(1.0) <= 7_000.0 * 1.001, "{}", p.latency.quantile_ms(1.0));
}

/// Requests served later than the request timeout count as timed out, not completed.
#[test]
fn request_timeout_counts_late_responses() {
    let s = scenario(
        r#"
        [simulation]
        horizon = "1h"
        replications = 1
        [traffic]
        profile = "constant"
        rps = 0.05
        [service]
        cpu = "10s"
        [[platform]]
        name = "slow"
        autoscaler = { kind = "fixed", instances = 5 }
        request_timeout = "5s"
        "#,
    );
    let t = run(&s).platforms[0].totals();
    assert_eq!(t.completed, 0);
    assert!(t.timed_out > 100, "{t:?}");
    assert!(t.is_conserved());
}

/// A fixed fleet bills every instance for the whole horizon, whatever the load.
#[test]
fn fixed_fleet_bills_its_lifetime() {
    let s = scenario(
        r#"
        [simulation]
        horizon = "1d"
        replications = 2
        [traffic]
        profile = "constant"
        rps = 1.0
        [service]
        cpu = "10ms"
        [[platform]]
        name = "three"
        autoscaler = { kind = "fixed", instances = 3 }
        instance = { cpu = 2, memory = "4GiB", concurrency = 10 }
        billing = { vcpu_second = 0.00001, gib_second = 0.000001, rounding = "1s", fixed_monthly = { "control plane" = 73.0 } }
        "#,
    );
    let p = &run(&s).platforms[0];
    let month = 730.0 * 3600.0;
    let expected = 3.0 * (2.0 * 0.00001 + 4.0 * 0.000001) * month + 73.0;
    let cost = p.cost_month();
    assert!((cost.mean - expected).abs() < 1e-6, "{} vs {expected}", cost.mean);
    assert_eq!(cost.half_width, 0.0);
    assert_eq!(p.peak_instances(), 3);
    assert!((p.mean_instances().mean - 3.0).abs() < 1e-12);
}

/// Common random numbers: two platforms of one replication see the same requests.
#[test]
fn platforms_see_the_same_request_stream() {
    let s = scenario(include_str!("../scenarios/mmc-check.toml"));
    let result = run(&s);
    let a = &result.platforms[0].replications;
    let b = &result.platforms[1].replications;
    for (x, y) in a.iter().zip(b) {
        assert_eq!(x.counters.arrived, y.counters.arrived);
    }
    assert_ne!(a[0].counters.arrived, a[1].counters.arrived, "replications differ");
}

/// Max instances caps per-request scale-out; excess requests wait in the queue.
#[test]
fn max_instances_caps_scale_out() {
    let s = scenario(
        r#"
        [simulation]
        horizon = "2h"
        replications = 2
        [traffic]
        profile = "constant"
        rps = 10.0
        [service]
        cpu = { dist = "exponential", mean = "1s" }
        [[platform]]
        name = "capped"
        autoscaler = { kind = "per-request", keep_alive = "1m" }
        max_instances = 5
        instance = { cpu = 1, concurrency = 1, cold_start = "1s" }
        router = { kind = "central-queue", timeout = "2s" }
        "#,
    );
    let p = &run(&s).platforms[0];
    assert_eq!(p.peak_instances(), 5);
    assert!(p.totals().rejected > 0);
}

/// The per-minute timeline is a partition of the replication: its minutes add up to the
/// run's counters and time-averages, the last partial minute included, and keeping it
/// changes nothing in the run.
#[test]
fn timeline_minutes_add_up_to_the_replication() {
    let s = scenario(
        r#"
        [simulation]
        horizon = "5430s"
        replications = 1
        [traffic]
        profile = "diurnal"
        trough_rps = 2.0
        peak_rps = 40.0
        [service]
        cpu = { dist = "lognormal", p50 = "40ms", p99 = "400ms" }
        [[platform]]
        name = "cloud-run"
        preset = "cloud-run"
        "#,
    );
    let result = run(&s);
    let r = &result.platforms[0].replications[0];
    let tl = &crossover_runner::timeline(&s, s.seed, 0)[0];
    assert_eq!(tl.platform, "cloud-run");
    assert_eq!(tl.minutes.len(), 91, "90 whole minutes and one of 30 s");
    assert!(tl.minutes.iter().enumerate().all(|(i, m)| m.minute == i as u32));
    let sum = |f: fn(&crossover_platform::MinuteStats) -> u64| tl.minutes.iter().map(f).sum::<u64>();
    assert_eq!(sum(|m| m.arrivals), r.counters.arrived);
    assert_eq!(sum(|m| m.completed), r.counters.completed);
    assert_eq!(sum(|m| m.rejected), r.counters.rejected);
    // Time-weighted: 90 minutes of 60 s and one of 30 s.
    let weighted: f64 =
        tl.minutes.iter().map(|m| m.mean_instances * if m.minute == 90 { 30.0 } else { 60.0 }).sum();
    let mean = weighted / 5430.0;
    assert!(
        (mean - r.mean_instances).abs() < 1e-9 * r.mean_instances.max(1.0),
        "{mean} vs {}",
        r.mean_instances
    );
    // Every minute with completions has a p99, and none exceeds the run's maximum.
    let max_ms = result.platforms[0].latency.quantile_ms(1.0);
    for m in &tl.minutes {
        assert_eq!(m.p99_ms.is_some(), m.completed > 0, "{m:?}");
        assert!(m.p99_ms.is_none_or(|p| p > 0.0 && p <= max_ms * 1.001), "{m:?}");
        assert_eq!(m.mean_nodes, 0.0);
    }
    // A cold start queues requests at the very beginning (min instances 0).
    assert!(tl.minutes[0].max_waiting > 0, "{:?}", tl.minutes[0]);
}

/// A run asked for timelines records replication 0's in the job that simulates it: the
/// very minutes of simulating it again, and the rest of the run unchanged. A platform
/// whose replication 0 came from a checkpoint has none; the caller simulates it again.
#[test]
fn a_run_records_the_timelines_of_replication_zero() {
    use crossover_runner::{Progress, RunError, RunOptions};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let s = scenario(
        r#"
        [simulation]
        horizon = "3h"
        replications = 3
        [traffic]
        profile = "diurnal"
        trough_rps = 2.0
        peak_rps = 30.0
        [service]
        cpu = { dist = "lognormal", p50 = "40ms", p99 = "400ms" }
        [[platform]]
        name = "cloud-run"
        preset = "cloud-run"
        [[platform]]
        name = "eks"
        preset = "eks"
        "#,
    );
    let plain = run(&s);
    assert!(plain.timelines.is_empty());
    let opts = RunOptions { timelines: true, threads: Some(2), ..RunOptions::from_scenario(&s) };
    let recorded = crossover_runner::run(&s, &opts).unwrap();
    assert_eq!(recorded.timelines, crossover_runner::timeline(&s, s.seed, 0));
    assert!(recorded.timelines.iter().all(|t| !t.minutes.is_empty()));
    for (a, b) in plain.platforms.iter().zip(&recorded.platforms) {
        assert_eq!(a.replications, b.replications);
        assert_eq!(a.latency, b.latency);
    }

    // Cut after the first job (cloud-run's replication 0), then resumed.
    let cancel = Arc::new(AtomicBool::new(false));
    let flag = cancel.clone();
    let cut = RunOptions {
        threads: Some(1),
        cancel: Some(cancel),
        progress: Some(Progress(Arc::new(move |_, _| flag.store(true, Ordering::SeqCst)))),
        ..opts.clone()
    };
    let Err(RunError::Interrupted(partial)) = crossover_runner::run(&s, &cut) else {
        panic!("the run was cut after its first job")
    };
    assert_eq!(partial.jobs(), 1);
    let resumed = crossover_runner::run(&s, &RunOptions { resume: Some(partial), ..opts }).unwrap();
    let names: Vec<&str> = resumed.timelines.iter().map(|t| t.platform.as_str()).collect();
    assert_eq!(names, ["eks"]);
    assert_eq!(resumed.timelines[0], recorded.timelines[1]);
}
