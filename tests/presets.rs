//! Behaviour of the serverless presets, each on a small scenario whose outcome can be
//! worked out by hand: what the platform's documented mechanism implies must show up.

mod common;

use common::{run, scenario};

/// `[simulation]`, `[service]` and one preset platform with overrides, on `traffic`.
fn with_platform(horizon: &str, reps: u32, traffic: &str, service: &str, platform: &str) -> String {
    format!(
        "[simulation]\nhorizon = \"{horizon}\"\nreplications = {reps}\nseed = 5\n[traffic]\n{traffic}\n\
         [service]\n{service}\n[[platform]]\nname = \"p\"\n{platform}\n"
    )
}

const CLOUD_RUN_2S: &str = r#"preset = "cloud-run"
instance = { cold_start = "2s" }
startup = { cpu_boost = 1.0 }"#;

/// Cloud Run queues requests while an instance starts: the first request after a scale
/// to zero waits the whole cold start, and nothing is rejected (queue timeout 10 s).
#[test]
fn cloud_run_queues_requests_during_a_cold_start() {
    // One request every ~2 hours: the instance is gone (15 min retention) before each.
    let s = scenario(&with_platform(
        "7d",
        2,
        "profile = \"constant\"\nrps = 0.00015",
        "cpu = \"100ms\"",
        CLOUD_RUN_2S,
    ));
    let p = &run(&s).platforms[0];
    let t = p.totals();
    assert!(t.arrived > 100, "{t:?}");
    assert_eq!(t.rejected, 0);
    // P(gap < 16 min) = 1 - e^-0.144 = 13%: most requests start cold.
    let frac = t.cold_start_requests as f64 / t.arrived as f64;
    assert!((0.80..0.95).contains(&frac), "{frac}");
    // A cold request takes the 2 s start plus 100 ms of work.
    assert!((p.latency.quantile_ms(0.5) - 2100.0).abs() < 3.0, "{}", p.latency.quantile_ms(0.5));
}

/// A burst arriving at an idle service is held in the central queue and served when
/// instances are up: at time 0 there is no instance and 50 requests a second arrive;
/// they wait for the 2 s cold start (on-demand starts take them all) and none is lost.
#[test]
fn cloud_run_holds_a_burst_while_instances_start() {
    let s = scenario(&with_platform(
        "10m",
        2,
        "profile = \"constant\"\nrps = 50.0",
        "cpu = \"5ms\"",
        CLOUD_RUN_2S,
    ));
    let p = &run(&s).platforms[0];
    let t = p.totals();
    assert_eq!(t.rejected, 0, "{t:?}");
    // About 100 requests per replication arrive during the first 2 s.
    assert!(t.cold_start_requests >= 150, "{t:?}");
    // When the instance is up it takes 80 queued requests at once (its concurrency):
    // 80 x 5 ms of CPU shared on one vCPU ends 400 ms later. So the slowest request
    // took the 2 s start plus at most that first batch.
    let max = p.latency.quantile_ms(1.0);
    assert!((2_000.0..=2_405.0).contains(&max), "{max}");
}

/// The concurrency limit holds: one instance serving 1-second I/O waits two at a time
/// completes at most two requests a second, whatever is offered.
#[test]
fn concurrency_limit_caps_throughput() {
    let s = scenario(&with_platform(
        "1h",
        1,
        "profile = \"constant\"\nrps = 5.0",
        "cpu = \"0s\"\nio = \"1s\"",
        r#"preset = "cloud-run"
max_instances = 1
instance = { concurrency = 2, cold_start = "0s" }
min_instances = 1"#,
    ));
    let t = run(&s).platforms[0].totals();
    let completed_per_s = t.completed as f64 / 3600.0;
    assert!(completed_per_s <= 2.0 + 1e-3, "{completed_per_s}");
    assert!(completed_per_s > 1.9, "the instance is kept busy: {completed_per_s}");
    assert!(t.rejected > 0, "the excess waits 10 s and gets a 429");
}

/// Scale to zero happens after the idle retention, not before: traffic for the first
/// hour only, then none; the instance lives one hour plus the retention.
#[test]
fn cloud_run_scales_to_zero_after_the_retention_period() {
    for (retention, minutes) in [("5m", 5.0), ("15m", 15.0)] {
        let mut hourly = vec!["0".to_string(); 24];
        hourly[0] = "20".into();
        let s = scenario(&with_platform(
            "2h",
            1,
            &format!("profile = \"hourly\"\nhourly_rps = [{}]\nhourly_shape = \"step\"", hourly.join(", ")),
            "cpu = \"10ms\"",
            &format!(
                "{CLOUD_RUN_2S}\nautoscaler = {{ kind = \"concurrency\", target_concurrency = 0.6, target_cpu = 0.6, idle_retention = \"{retention}\" }}"
            ),
        ));
        let p = &run(&s).platforms[0];
        // Alive from the first request (~0 s) to the last (~3600 s) plus the retention.
        let expected = (3600.0 + minutes * 60.0) / 7200.0;
        let mean = p.mean_instances().mean;
        assert!((mean - expected).abs() < 0.005, "retention {retention}: {mean} vs {expected}");
        assert_eq!(p.peak_instances(), 1);
    }
}

/// Fargate's target tracking needs three one-minute datapoints above target: a load
/// three times what one task can take starts no task in the first three minutes, and
/// does right after.
#[test]
fn fargate_scales_out_only_after_three_breaching_minutes() {
    let make = |horizon| {
        scenario(&with_platform(
            horizon,
            1,
            "profile = \"constant\"\nrps = 30.0",
            "cpu = \"100ms\"",
            "preset = \"fargate\"\ninstance = { cpu = 1, memory = \"2GiB\" }",
        ))
    };
    // 30 rps x 100 ms = 3 vCPUs wanted on one 1-vCPU task: 100% CPU against 70%.
    assert_eq!(run(&make("170s")).platforms[0].peak_instances(), 1, "no scale-out before the 3rd datapoint");
    let after = run(&make("210s")).platforms[0].peak_instances();
    assert!(after >= 2, "scale-out after the 3rd datapoint: {after}");
}

/// Meanwhile the overloaded task queues requests: p99 climbs to tens of seconds, where
/// Cloud Run (on-demand starts, 2 s cold start) stays near its cold start.
#[test]
fn fargate_slow_scale_out_shows_in_p99_on_a_step() {
    let traffic = "profile = \"constant\"\nrps = 30.0";
    let fargate = scenario(&with_platform(
        "20m",
        2,
        traffic,
        "cpu = \"100ms\"",
        "preset = \"fargate\"\nrequest_timeout = \"5m\"",
    ));
    let cloud_run = scenario(&with_platform("20m", 2, traffic, "cpu = \"100ms\"", CLOUD_RUN_2S));
    let f = run(&fargate).platforms[0].latency.quantile_ms(0.99);
    let c = run(&cloud_run).platforms[0].latency.quantile_ms(0.99);
    assert!(f > 10_000.0, "fargate p99 {f} ms");
    assert!(c < 3_000.0, "cloud run p99 {c} ms");
}

/// Fargate bills at least a minute per task: tasks that live about a second (a
/// per-request scaler with a 1 s keep-alive on the Fargate tariff) cost a minute each.
#[test]
fn fargate_bills_a_one_minute_minimum_per_task() {
    let s = scenario(&with_platform(
        "1d",
        2,
        "profile = \"constant\"\nrps = 0.01",
        "cpu = \"100ms\"",
        r#"preset = "fargate"
min_instances = 0
autoscaler = { kind = "per-request", keep_alive = "1s" }
router = { kind = "central-queue", timeout = "1m" }
instance = { cold_start = "0s", image_size = "0MB" }
startup = { fixed = "0s", health_check_interval = "0s" }
billing = { egress_per_gb = 0.0 }"#,
    ));
    let p = &run(&s).platforms[0];
    for r in &p.replications {
        // Each start bills max(life, 60 s); lives are ~1.1 s, so exactly 60 s each
        // (plus the rare instance reused within its keep-alive).
        let per_task = 60.0 * (0.0000112444 + 2.0 * 0.0000012347);
        let expected = r.counters.cold_starts as f64 * per_task * 730.0 / 24.0;
        let total = r.cost.infrastructure();
        assert!((total - expected).abs() < 0.02 * expected, "{total} vs {expected}");
    }
}

/// Spot: every interruption starts a cold replacement, and the bill is the discounted
/// price for the tasks' lives, the overlap of a draining task and its replacement
/// included.
#[test]
fn spot_interruptions_cause_cold_starts_and_cost_what_they_should() {
    let s = scenario(&with_platform(
        "2d",
        4,
        "profile = \"constant\"\nrps = 1.0",
        "cpu = \"20ms\"",
        r#"preset = "fargate-spot"
autoscaler = { kind = "fixed", instances = 2 }
interruptions = { rate_per_hour = 1.0 }
billing = { egress_per_gb = 0.0 }"#,
    ));
    let p = &run(&s).platforms[0];
    let per_task_month = (0.0000033733 + 2.0 * 0.00000037042) * 730.0 * 3600.0;
    for r in &p.replications {
        let c = &r.counters;
        // 2 tasks x 48 h x 1/h: Poisson mean 96, sd 9.8 (4.5 sd band).
        assert!((52..=140).contains(&c.interruptions), "{c:?}");
        assert_eq!(c.cold_starts, c.interruptions, "one cold replacement per interruption");
        // Base: two tasks all month. Overlap: a drained task lives on only while busy
        // (20 ms requests), so well under a minute each.
        let base = 2.0 * per_task_month;
        let overlap = c.interruptions as f64 * 730.0 / 48.0 * 60.0 * per_task_month / (730.0 * 3600.0);
        let cost = r.cost.infrastructure();
        assert!(cost >= base - 1e-6 && cost <= base + overlap, "{cost} not in [{base}, {}]", base + overlap);
    }
}

/// Azure Container Apps bills the idle rate only while the app sits at exactly its
/// minimum replicas; above it, idle replicas pay the active rate; with min 0, never.
#[test]
fn container_apps_bills_idle_rate_only_at_min_replicas() {
    let make = |min: u32| {
        scenario(&with_platform(
            "1d",
            1,
            "profile = \"constant\"\nrps = 0.02",
            "cpu = \"50ms\"",
            &format!(
                "preset = \"container-apps\"\nmin_instances = {min}\nbilling = {{ free_vcpu_seconds = 0.0, \
                 free_gib_seconds = 0.0, free_requests = 0.0, egress_per_gb = 0.0, per_million_requests = 0.0 }}"
            ),
        ))
    };
    let at_min = &run(&make(1)).platforms[0].replications[0];
    // One replica always; busy a tiny fraction: nearly all of it at the idle rate.
    let idle_month = (0.5 * 0.000003 + 1.0 * 0.000003) * 730.0 * 3600.0;
    assert!((at_min.cost.idle - idle_month).abs() < 0.01 * idle_month, "{:?}", at_min.cost);
    assert!(at_min.cost.cpu < 0.02 * idle_month);
    // min 0: replicas run only around requests, always at the active rate.
    let no_min = &run(&make(0)).platforms[0].replications[0];
    assert_eq!(no_min.cost.idle, 0.0);
    assert!(no_min.cost.cpu > 0.0);
}

/// Cloud Run's min instances: an idle minimum instance pays the (much lower) idle rate,
/// idle instances beyond the minimum pay nothing.
#[test]
fn cloud_run_idle_min_instances_pay_the_idle_rate() {
    let s = scenario(&with_platform(
        "1d",
        1,
        "profile = \"constant\"\nrps = 0.001",
        "cpu = \"50ms\"",
        r#"preset = "cloud-run"
min_instances = 2
billing = { free_vcpu_seconds = 0.0, free_gib_seconds = 0.0, free_requests = 0.0, egress_per_gb = 0.0 }"#,
    ));
    let r = &run(&s).platforms[0].replications[0];
    // Two 1 vCPU / 0.5 GiB instances idle nearly all month at $0.0000025 per vCPU-s and
    // per GiB-s.
    let expected = 2.0 * (0.0000025 + 0.5 * 0.0000025) * 730.0 * 3600.0;
    assert!((r.cost.idle - expected).abs() < 0.01 * expected, "{} vs {expected}", r.cost.idle);
}

/// Fly never creates machines: under a load that would want ten, the pool of three is
/// all there is, and autostop brings the count back down when the load goes.
#[test]
fn fly_never_exceeds_its_pool() {
    let mut hourly = vec!["0".to_string(); 24];
    hourly[0] = "200".into();
    let s = scenario(&with_platform(
        "3h",
        2,
        &format!("profile = \"hourly\"\nhourly_rps = [{}]\nhourly_shape = \"step\"", hourly.join(", ")),
        "cpu = \"0s\"\nio = \"500ms\"",
        "preset = \"fly-machines\"\nmax_instances = 3",
    ));
    let p = &run(&s).platforms[0];
    assert_eq!(p.peak_instances(), 3);
    // 100 in flight over soft limit 20 wants 5+, but three is the pool; after the hour,
    // autostop stops one machine per 5-minute pass: gone within 15 minutes.
    let mean = p.mean_instances().mean;
    assert!(mean < (3.0 * 1.0 + 3.0 * 0.25) / 3.0, "{mean}");
}

/// Lambda: GB-seconds of each invocation rounded up to 1 ms, INIT included, plus the
/// request fee, free tier off.
#[test]
fn lambda_bills_gb_seconds_per_invocation() {
    let s = scenario(&with_platform(
        "1d",
        1,
        "profile = \"constant\"\nrps = 1.0",
        "cpu = \"100ms\"",
        r#"preset = "lambda"
instance = { cold_start = "0s" }
billing = { free_gib_seconds = 0.0, free_requests = 0.0, egress_per_gb = 0.0 }"#,
    ));
    let r = &run(&s).platforms[0].replications[0];
    let gib = 1769.0 / 1024.0;
    let month_scale = 730.0 / 24.0;
    let expected_mem = r.counters.completed as f64 * 0.1 * gib * 0.0000166667 * month_scale;
    assert!(
        (r.cost.memory - expected_mem).abs() < 1e-3 * expected_mem,
        "{} vs {expected_mem}",
        r.cost.memory
    );
    let expected_req = r.counters.arrived as f64 * month_scale * 0.20 / 1e6;
    assert!((r.cost.requests - expected_req).abs() < 1e-9, "{}", r.cost.requests);
    assert_eq!(r.cost.idle, 0.0);
}

/// Cloud Run GPU is billed for the instance's whole life, idle retention included: one
/// request a day keeps an L4 instance alive for its 15-minute retention each time.
#[test]
fn cloud_run_gpu_bills_the_idle_retention() {
    let s = scenario(&with_platform(
        "7d",
        1,
        "profile = \"constant\"\nrps = 0.0000116",
        "cpu = \"1s\"",
        r#"preset = "cloud-run-gpu"
instance = { cold_start = "0s" }
startup = { fixed = "0s" }
billing = { egress_per_gb = 0.0 }"#,
    ));
    let r = &run(&s).platforms[0].replications[0];
    let lives = r.counters.cold_starts as f64;
    assert!(lives >= 3.0, "{:?}", r.counters);
    // Each life: 1 s of work then 15 min idle, all billed: GPU at $0.0002909/s.
    let per_life = 1.0 + 900.0;
    let expected_gpu = lives * per_life * 0.0002909 * 730.0 / 168.0;
    let gpu = r.cost.gpu + r.cost.idle * 0.0002909 / (0.0002909 + 4.0 * 0.000018 + 16.0 * 0.000002);
    assert!((gpu - expected_gpu).abs() < 0.01 * expected_gpu, "{gpu} vs {expected_gpu}");
}
