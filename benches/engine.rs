//! Criterion benchmarks: the event queue (hold model), arrival and traffic generation,
//! whole platforms end to end (the default scenario's, and every preset of the default
//! and Kubernetes scenarios at 100 requests/s; one service against a stack of ten carrying
//! the same traffic), M/M/100 against the bare loop it needs at least, and the runner on
//! one and two threads. Figures are recorded in docs/performance.md.

use criterion::measurement::WallTime;
use criterion::{
    black_box, criterion_group, criterion_main, BatchSize, BenchmarkGroup, Criterion, SamplingMode,
    Throughput,
};
use crossover_engine::rng::purpose_id;
use crossover_engine::{EventQueue, RngStream, SimDuration, SimTime, StreamKey, Streams};
use crossover_platform::{simulate, SimInput, StackSpec};
use crossover_workload::{Arrivals, DEMAND_STREAM};
use rand_distr::{Distribution, Exp1};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::time::Duration;

/// The classic hold model: a queue of N pending events; each step pops the earliest and
/// schedules one at an exponential offset, as a simulation in steady state does.
fn hold(c: &mut Criterion) {
    let mut group = c.benchmark_group("event_queue_hold");
    for size in [16usize, 1024] {
        group.throughput(Throughput::Elements(10_000));
        group.bench_function(format!("pending_{size}"), |b| {
            b.iter_batched(
                || {
                    let mut rng = RngStream::new(StreamKey::new(1, 0, 1));
                    let mut q = EventQueue::with_capacity(size + 1);
                    for i in 0..size {
                        q.schedule(SimTime(rng.exponential(1e6) as u64), i as u32);
                    }
                    (q, rng)
                },
                |(mut q, mut rng)| {
                    for _ in 0..10_000 {
                        let (t, e) = q.pop().unwrap();
                        q.schedule(SimTime(t.0 + rng.exponential(1e6) as u64), e);
                    }
                    black_box(q.len())
                },
                BatchSize::SmallInput,
            )
        });
    }
    group.finish();
}

fn arrivals(c: &mut Criterion) {
    let s = crossover_scenario::default_scenario();
    let horizon = SimTime(SimDuration::from_hours(24).as_nanos());
    let n = Arrivals::new(s.services[0].traffic.clone(), Streams::new(1, 0), horizon).count();
    let mut group = c.benchmark_group("arrivals");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("default_diurnal_one_day", |b| {
        b.iter(|| {
            black_box(Arrivals::new(s.services[0].traffic.clone(), Streams::new(1, 0), horizon).count())
        })
    });
    group.finish();
}

/// One benchmark per platform of `s`: one replication over one day; throughput in
/// simulated requests.
fn each_platform(group: &mut BenchmarkGroup<WallTime>, s: &crossover_scenario::Scenario) {
    for platform in &s.platforms {
        one_day(group, &platform.name, platform, s);
    }
}

/// One replication of `platform` running `s`'s services over one day, as benchmark `name`.
fn one_day(
    group: &mut BenchmarkGroup<WallTime>,
    name: &str,
    platform: &StackSpec,
    s: &crossover_scenario::Scenario,
) {
    day(group, name, platform, s, false)
}

/// `one_day`, with or without the per-minute timeline (a run keeps one for the
/// replication it charts).
fn day(
    group: &mut BenchmarkGroup<WallTime>,
    name: &str,
    platform: &StackSpec,
    s: &crossover_scenario::Scenario,
    timeline: bool,
) {
    let input = SimInput {
        platform,
        services: &s.services,
        horizon: SimDuration::from_hours(24),
        seed: 1,
        replication: 0,
        timeline,
    };
    let n = simulate(&input).counters.arrived;
    group.throughput(Throughput::Elements(n));
    group.bench_function(name, |b| b.iter(|| black_box(simulate(&input).counters.arrived)));
}

/// Every platform of the default scenario over one day; throughput in simulated requests.
fn platforms(c: &mut Criterion) {
    let s = crossover_scenario::default_scenario();
    let mut group = c.benchmark_group("platform_one_day");
    group.sample_size(10);
    each_platform(&mut group, &s);
    group.finish();
}

/// The scenario of the per-preset benchmarks: the default scenario (its business-day
/// diurnal shape, lognormal CPU and I/O, 20 KB responses) scaled 14.3 times, so that
/// its first day (a Monday) averages 100 requests/s (8.64 M requests; 14 to 357
/// requests/s), on every preset of the default and Kubernetes scenarios.
const PRESETS_AT_100_RPS: &str = r#"
name = "presets-at-100-rps"

[traffic]
profile = "diurnal"
trough_rps = 14.3
peak_rps = 357.0
peak_hour = 14.0
business_hours = [8.0, 20.0]

[service]
cpu = { dist = "lognormal", p50 = "20ms", p99 = "250ms" }
io = { dist = "lognormal", p50 = "15ms", p99 = "120ms" }
response_size = "20KB"
"#;

const PRESETS: [&str; 8] = [
    "cloud-run",
    "fargate",
    "lambda",
    "gke-autopilot",
    "gke-standard",
    "eks",
    "eks-karpenter",
    "k8s-self-managed",
];

fn presets_scenario() -> crossover_scenario::Scenario {
    let mut text = PRESETS_AT_100_RPS.to_string();
    for p in PRESETS {
        text.push_str(&format!("\n[[platform]]\nname = \"{p}\"\npreset = \"{p}\"\n"));
    }
    crossover_scenario::parse(&text, "bench", "bench").expect("the bench scenario is valid")
}

/// Each preset end to end over that day; throughput in simulated requests per second of
/// one core.
fn presets(c: &mut Criterion) {
    let s = presets_scenario();
    let mut group = c.benchmark_group("preset_100rps_one_day");
    // Seconds per iteration: ten of them, no more.
    group.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(20));
    each_platform(&mut group, &s);
    group.finish();
}

/// The presets' day as a stack of ten services, each a tenth of the traffic (the same
/// requests in all, through ten fleets, autoscalers and, on EKS, one shared cluster).
fn stack_scenario(services: usize, platform: &str) -> crossover_scenario::Scenario {
    let mut text = PRESETS_AT_100_RPS.replace("[service]", "[[service]]\nname = \"s0\"");
    if services > 1 {
        text = text.replace(
            "name = \"s0\"",
            &format!("name = \"s0\"\ntraffic = {{ share = {} }}", 1.0 / services as f64),
        );
        let service = text[text.find("[[service]]").expect("a service")..].to_string();
        for i in 1..services {
            text.push('\n');
            text.push_str(&service.replace("name = \"s0\"", &format!("name = \"s{i}\"")));
        }
    }
    text.push_str(&format!("\n[[platform]]\nname = \"{platform}\"\npreset = \"{platform}\"\n"));
    crossover_scenario::parse(&text, "bench", "bench").expect("the stack bench scenario is valid")
}

/// One service against ten carrying the same total traffic, on Cloud Run and on EKS;
/// throughput in simulated requests per second of one core. A stack should keep at
/// least 80% of the single service's rate.
fn stacks(c: &mut Criterion) {
    let mut group = c.benchmark_group("stack_100rps_one_day");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(20));
    for platform in ["cloud-run", "eks"] {
        for services in [1, 10] {
            let s = stack_scenario(services, platform);
            let name = if services == 1 {
                format!("{platform}/1-service")
            } else {
                format!("{platform}/{services}-services")
            };
            one_day(&mut group, &name, &s.platforms[0], &s);
        }
    }
    group.finish();
}

/// A worker's queue: jobs at 2 a second, 1 s of work each, on one instance that takes
/// one at a time (the backlog grows to about 86,000 by the end of the day) and on four
/// (no backlog). Throughput in jobs: a deep backlog must cost about what no backlog
/// costs per job (the queue is a FIFO; nothing scans it).
fn worker_backlog(c: &mut Criterion) {
    let mut group = c.benchmark_group("worker_one_day");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(10));
    for (name, instances) in [("backlog-86k", 1), ("no-backlog", 4)] {
        let text = format!(
            r#"
            [[service]]
            name = "jobs"
            kind = "worker"
            cpu = "1s"
            traffic = {{ profile = "constant", rps = 2 }}
            [[platform]]
            name = "pool"
            autoscaler = {{ kind = "fixed", instances = {instances} }}
            instance = {{ cpu = 1, memory = "1GiB", concurrency = 1 }}
            "#
        );
        let s =
            crossover_scenario::parse(&text, "bench", "bench").expect("the worker bench scenario is valid");
        one_day(&mut group, name, &s.platforms[0], &s);
    }
    group.finish();
}

/// Cloud Run and EKS at a constant 0.1, 1 and 100 requests/s for a day, with the
/// per-minute timeline a run charts. Throughput in requests, so the rates compare per
/// request directly: a low rate should cost no more per request than a high one, though
/// at 0.1 req/s a KPA tick is due every fifth of a request (most are skipped while the
/// service is quiet) and a timeline minute every sixth.
fn rates(c: &mut Criterion) {
    let mut group = c.benchmark_group("rate_one_day");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(20));
    for preset in ["cloud-run", "eks"] {
        for rps in ["0.1", "1", "100"] {
            let text = format!(
                r#"
                [traffic]
                profile = "constant"
                rps = {rps}
                [service]
                cpu = {{ dist = "lognormal", p50 = "20ms", p99 = "250ms" }}
                io = {{ dist = "lognormal", p50 = "15ms", p99 = "120ms" }}
                response_size = "20KB"
                [[platform]]
                name = "{preset}"
                preset = "{preset}"
                "#
            );
            let s =
                crossover_scenario::parse(&text, "bench", "bench").expect("the rate bench scenario is valid");
            day(&mut group, &format!("{preset}_{rps}rps"), &s.platforms[0], &s, true);
        }
    }
    group.finish();
}

/// Traffic generation as a simulation consumes it: each arrival of the preset
/// benchmarks' day and its demand (CPU and I/O drawn).
fn traffic(c: &mut Criterion) {
    let s = presets_scenario();
    let horizon = SimTime(SimDuration::from_hours(24).as_nanos());
    let run = || {
        let mut arrivals = Arrivals::new(s.services[0].traffic.clone(), Streams::new(1, 0), horizon);
        let mut rng = RngStream::new(StreamKey::new(1, 0, purpose_id(DEMAND_STREAM)));
        let mut n = 0u64;
        while let Some(t) = arrivals.next_arrival() {
            let d = s.services[0].demand.draw(&mut rng);
            n += 1;
            black_box((t, d));
        }
        n
    };
    let mut group = c.benchmark_group("traffic");
    group.throughput(Throughput::Elements(run()));
    group.sample_size(10);
    group.bench_function("diurnal_100rps_one_day_with_demand", |b| b.iter(run));
    group.finish();
}

/// M/M/100 at load 0.9 (90 requests/s, exponential work of mean 1 s, 100 servers, one
/// FIFO queue) over one day, twice: through crossover (`benches/scenarios/mm100.toml`: a fixed
/// fleet of 100 behind a central queue, docs/performance.md's M/M/100), and as the bare
/// loop such a simulation needs at least: ChaCha8 draws, ziggurat exponentials, a binary
/// heap of departures, a FIFO of waiting arrival times, an HDR histogram of latencies.
/// Their ratio is how close the simulator runs to that limit.
fn mm100(c: &mut Criterion) {
    let text = include_str!("scenarios/mm100.toml");
    let s = crossover_scenario::parse(text, "bench", "bench").expect("the M/M/100 bench scenario is valid");
    let mut group = c.benchmark_group("mm100_one_day");
    group.sample_size(10).sampling_mode(SamplingMode::Flat).measurement_time(Duration::from_secs(20));
    one_day(&mut group, "crossover", &s.platforms[0], &s);
    let bare = || {
        let horizon = SimDuration::from_hours(24).as_nanos();
        let mut rng = RngStream::new(StreamKey::new(1, 0, 1));
        let mut exp_ns = |mean_ns: f64| {
            let e: f64 = Exp1.sample(&mut rng);
            (e * mean_ns) as u64
        };
        let mut departures: BinaryHeap<Reverse<u64>> = BinaryHeap::with_capacity(128);
        let mut waiting: VecDeque<u64> = VecDeque::new();
        let mut latency = crossover_engine::LatencyRecorder::new();
        let (mut free, mut served) = (100u32, 0u64);
        let mut next_arrival = exp_ns(1e9 / 90.0);
        loop {
            let departure = departures.peek().map_or(u64::MAX, |d| d.0);
            if next_arrival.min(departure) >= horizon {
                break;
            }
            if next_arrival <= departure {
                let now = next_arrival;
                if free > 0 {
                    free -= 1;
                    let work = exp_ns(1e9);
                    departures.push(Reverse(now + work));
                    latency.record(SimDuration::from_nanos(work));
                } else {
                    waiting.push_back(now);
                }
                next_arrival = now + exp_ns(1e9 / 90.0);
                served += 1;
            } else {
                let now = departure;
                departures.pop();
                match waiting.pop_front() {
                    Some(arrived) => {
                        let work = exp_ns(1e9);
                        departures.push(Reverse(now + work));
                        latency.record(SimDuration::from_nanos(now + work - arrived));
                    }
                    None => free += 1,
                }
            }
        }
        black_box(latency.quantile_ms(0.99));
        served
    };
    group.throughput(Throughput::Elements(bare()));
    group.bench_function("bare_loop", |b| b.iter(bare));
    group.finish();
}

/// The Monte Carlo runner on the default scenario (shortened to one day, 4 replications)
/// on one and on two threads: the ratio of the two is the parallel speed-up.
fn runner(c: &mut Criterion) {
    let mut s = crossover_scenario::default_scenario();
    s.horizon = SimDuration::from_hours(24);
    let mut group = c.benchmark_group("runner");
    group.sample_size(10);
    for threads in [1, 2] {
        let opts = crossover_runner::RunOptions {
            replications: 4,
            seed: 1,
            threads: Some(threads),
            ..crossover_runner::RunOptions::from_scenario(&s)
        };
        let n = crossover_runner::run(&s, &opts).unwrap().simulated_requests();
        group.throughput(Throughput::Elements(n));
        group.bench_function(format!("default_one_day_x4_threads_{threads}"), |b| {
            b.iter(|| black_box(crossover_runner::run(&s, &opts).unwrap()))
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    hold,
    arrivals,
    traffic,
    platforms,
    presets,
    rates,
    stacks,
    worker_backlog,
    mm100,
    runner
);
criterion_main!(benches);
