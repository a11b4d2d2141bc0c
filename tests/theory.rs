//! The simulator against queueing theory, where theory has closed forms.
//!
//! Each check compares an estimate from independent replications with the exact value
//! and requires the exact value to lie inside the replications' 95% confidence interval
//! (fixed seeds, so the outcome is reproducible).

mod common;

use common::{erlang_c, run, scenario};
use crossover_engine::mean_ci95;
use crossover_runner::PlatformSummary;

fn ci_of(
    p: &PlatformSummary,
    f: impl Fn(&crossover_runner::ReplicationMetrics) -> f64,
) -> crossover_engine::MeanCi {
    mean_ci95(&p.replications.iter().map(f).collect::<Vec<_>>())
}

fn mmc_scenario(rps: f64, servers: u32, vcpu_per_server: u32, concurrency: u32) -> String {
    format!(
        r#"
        [simulation]
        horizon = "2d"
        replications = 40
        seed = 7
        [traffic]
        profile = "constant"
        rps = {rps}
        [service]
        cpu = {{ dist = "exponential", mean = "2s" }}
        [[platform]]
        name = "mmc"
        autoscaler = {{ kind = "fixed", instances = {servers} }}
        instance = {{ cpu = {vcpu_per_server}, memory = "1GiB", concurrency = {concurrency} }}
        router = {{ kind = "central-queue", timeout = "1h" }}
        request_timeout = "1h"
        "#
    )
}

/// M/M/10 at loads 0.6, 0.8 and 0.9: probability of waiting and mean wait (Erlang C).
#[test]
fn fixed_servers_match_erlang_c() {
    let mu = 0.5;
    for rps in [3.0, 4.0, 4.5] {
        let s = scenario(&mmc_scenario(rps, 10, 1, 1));
        let result = run(&s);
        let p = &result.platforms[0];
        let a = rps / mu;
        let p_wait = erlang_c(10, a);
        let mean_wait = p_wait / (10.0 * mu - rps);
        let est_p = ci_of(p, |r| {
            r.counters.queued as f64
                / (r.counters.arrived - r.counters.in_flight - r.counters.rejected) as f64
        });
        let est_w = ci_of(p, |r| r.mean_queue_wait_secs);
        assert!(est_p.contains(p_wait), "rps {rps}: P(wait) theory {p_wait:.4}, sim {est_p:?}");
        assert!(est_w.contains(mean_wait), "rps {rps}: Wq theory {mean_wait:.4}, sim {est_w:?}");
        assert_eq!(p.totals().rejected + p.totals().timed_out, 0);
    }
}

/// A central queue capped at `max_queue` is the M/M/c/K loss-delay queue (K = c +
/// max_queue): a request that finds K in the system is refused. Two servers of mean 2 s
/// work at 1 request/s (a = 2, the queue would grow without bound) and at most three
/// waiting: the refused share is p_K = (a^K / (c! c^(K-c))) p0.
#[test]
fn a_capped_queue_refuses_what_m_m_c_k_blocks() {
    let text = mmc_scenario(1.0, 2, 1, 1).replace("timeout = \"1h\" }", "timeout = \"1h\", max_queue = 3 }");
    let result = run(&scenario(&text));
    let p = &result.platforms[0];
    let (c, k, a) = (2u32, 5u32, 2.0f64);
    let term = |n: u32| {
        let n_f = (1..=n).map(f64::from).product::<f64>();
        if n < c {
            a.powi(n as i32) / n_f
        } else {
            a.powi(n as i32) / ((1..=c).map(f64::from).product::<f64>() * f64::from(c).powi((n - c) as i32))
        }
    };
    let p0 = 1.0 / (0..=k).map(term).sum::<f64>();
    let blocked = term(k) * p0;
    let est = ci_of(p, |r| r.counters.queue_full as f64 / r.counters.arrived as f64);
    assert!(est.contains(blocked), "P(block) theory {blocked:.4}, sim {est:?}");
    let t = p.totals();
    assert!(t.queue_full > 0 && t.queue_full <= t.rejected, "{t:?}");
    assert!(t.is_conserved());
}

/// One 10-vCPU instance serving 10 requests at once is the same M/M/10 queue: processor
/// sharing gives each of up to 10 requests a full vCPU.
#[test]
fn one_big_instance_is_the_same_mmc_queue() {
    let s = scenario(&mmc_scenario(4.0, 1, 10, 10));
    let p_wait = erlang_c(10, 8.0);
    let result = run(&s);
    let est_w = ci_of(&result.platforms[0], |r| r.mean_queue_wait_secs);
    let mean_wait = p_wait / (10.0 * 0.5 - 4.0);
    assert!(est_w.contains(mean_wait), "Wq theory {mean_wait:.4}, sim {est_w:?}");
}

/// M/G/1 processor sharing: mean sojourn is (1/mu)/(1-rho) whatever the service-time
/// distribution (insensitivity); checked with exponential and with heavy lognormal work.
#[test]
fn processor_sharing_matches_mg1_ps_and_is_insensitive() {
    for cpu in
        [r#"{ dist = "exponential", mean = "1s" }"#, r#"{ dist = "lognormal", mean = "1s", cv = 2.0 }"#]
    {
        let s = scenario(&format!(
            r#"
            [simulation]
            horizon = "7d"
            replications = 40
            seed = 11
            [traffic]
            profile = "constant"
            rps = 0.6
            [service]
            cpu = {cpu}
            [[platform]]
            name = "ps"
            autoscaler = {{ kind = "fixed", instances = 1 }}
            instance = {{ cpu = 1, memory = "1GiB", concurrency = 10000 }}
            request_timeout = "1d"
            "#
        ));
        let result = run(&s);
        let est = ci_of(&result.platforms[0], |r| r.mean_sojourn_secs);
        let theory = 1.0 / (1.0 - 0.6);
        assert!(est.contains(theory), "{cpu}: E[T] theory {theory:.4}, sim {est:?}");
    }
}

/// Per-request scaling with zero cold start is M/M/inf: mean busy instances = lambda/mu.
#[test]
fn per_request_without_cold_start_is_m_m_inf() {
    let s = scenario(
        r#"
        [simulation]
        horizon = "2d"
        replications = 10
        seed = 3
        [traffic]
        profile = "constant"
        rps = 4.0
        [service]
        cpu = { dist = "exponential", mean = "2s" }
        [[platform]]
        name = "inf"
        autoscaler = { kind = "per-request", keep_alive = "10m" }
        instance = { cpu = 1, memory = "1GiB", concurrency = 1, cold_start = "0s" }
        "#,
    );
    let result = run(&s);
    let p = &result.platforms[0];
    let busy = ci_of(p, |r| r.mean_busy_instances);
    assert!(busy.contains(8.0), "M/M/inf mean busy 8, sim {busy:?}");
    // Nobody ever waits: p50 is the exponential's median, 2 ln 2 s.
    let p50 = p.latency.quantile_ms(0.5);
    assert!((p50 - 1386.29).abs() < 1386.29 * 0.01, "p50 {p50}");
    assert_eq!(p.totals().queued, 0);
}

/// Little's law, L = lambda W, per replication, for every platform of the theory scenario.
#[test]
fn littles_law_holds_per_replication() {
    let s = scenario(include_str!("../scenarios/mmc-check.toml"));
    let result = run(&s);
    let horizon = s.horizon.as_secs_f64();
    for p in &result.platforms {
        for r in &p.replications {
            let lambda = r.counters.arrived as f64 / horizon;
            let (l, w) = (r.mean_in_system, r.mean_sojourn_secs);
            // End effects: requests in flight at the horizon count in L but not in W;
            // with tens of them over two days that is far below 0.5%.
            assert!(
                (l - lambda * w).abs() < 0.005 * l,
                "{} rep {}: L {l} vs lambda W {}",
                p.platform,
                r.replication,
                lambda * w
            );
            assert!(r.counters.is_conserved());
        }
    }
}

/// A worker with a fixed fleet is an M/M/c queue too, whatever fronts the platform's HTTP
/// services: here a load balancer that would refuse at once and a 1 s request timeout,
/// neither of which a durable queue has. Jobs are Poisson, work exponential: the mean
/// wait is Erlang C's, and the job latency's p99 is the quantile of the FCFS M/M/c
/// sojourn time, P(T > t) = e^(-mu t) + C mu / (c mu - lambda - mu) (e^(-mu t) -
/// e^(-(c mu - lambda) t)).
#[test]
fn a_worker_with_fixed_instances_is_m_m_c() {
    let (c, mu, rps) = (10u32, 0.5, 4.0);
    let text = format!(
        r#"
        [simulation]
        horizon = "2d"
        replications = 30
        seed = 11
        [[service]]
        name = "jobs"
        kind = "worker"
        cpu = {{ dist = "exponential", mean = "2s" }}
        traffic = {{ profile = "constant", rps = {rps} }}
        [[platform]]
        name = "pool"
        autoscaler = {{ kind = "fixed", instances = {c} }}
        instance = {{ cpu = 1, memory = "1GiB", concurrency = 1 }}
        router = {{ kind = "load-balancer", policy = "round-robin", timeout = "0s" }}
        request_timeout = "1s"
        "#
    );
    let result = run(&scenario(&text));
    let p = &result.platforms[0];
    let t = p.totals();
    assert_eq!((t.rejected, t.timed_out), (0, 0), "a durable queue drops nothing: {t:?}");
    let a = rps / mu;
    let erlang = erlang_c(c, a);
    let rate = f64::from(c) * mu - rps;
    let mean_wait = erlang / rate;
    let est_w = ci_of(p, |r| r.mean_queue_wait_secs);
    assert!(est_w.contains(mean_wait), "Wq theory {mean_wait:.4}, sim {est_w:?}");
    let tail = |t: f64| (-mu * t).exp() + erlang * mu / (rate - mu) * ((-mu * t).exp() - (-rate * t).exp());
    let (mut lo, mut hi) = (0.0, 100.0);
    for _ in 0..100 {
        let mid = (lo + hi) / 2.0;
        if tail(mid) > 0.01 {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    let p99_ms = lo * 1e3;
    // Each replication's p99, from a histogram of three significant digits.
    let est = ci_of(p, |r| r.p99_ms);
    let slack = 1e-3 * p99_ms;
    assert!(
        est.mean - est.half_width - slack <= p99_ms && p99_ms <= est.mean + est.half_width + slack,
        "p99 theory {p99_ms:.0} ms, sim {est:?}"
    );
}
