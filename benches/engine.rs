//! Criterion benchmarks: the event queue (hold model), arrival generation, and whole
//! platforms end to end. Figures are recorded in the README's performance section.

use criterion::{black_box, criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use crossover_engine::{EventQueue, RngStream, SimDuration, SimTime, StreamKey};
use crossover_platform::{simulate, SimInput};
use crossover_workload::Arrivals;

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
    let n = Arrivals::new(s.traffic.clone(), 1, 0, horizon).count();
    let mut group = c.benchmark_group("arrivals");
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("default_diurnal_one_day", |b| {
        b.iter(|| black_box(Arrivals::new(s.traffic.clone(), 1, 0, horizon).count()))
    });
    group.finish();
}

/// Every platform of the default scenario over one day; throughput in simulated requests.
fn platforms(c: &mut Criterion) {
    let s = crossover_scenario::default_scenario();
    let horizon = SimDuration::from_hours(24);
    let mut group = c.benchmark_group("platform_one_day");
    group.sample_size(10);
    for platform in &s.platforms {
        let input = SimInput {
            platform,
            traffic: &s.traffic,
            demand: &s.demand,
            horizon,
            seed: 1,
            replication: 0,
            response_gb: 0.0,
            timeline: false,
        };
        let n = simulate(&input).counters.arrived;
        group.throughput(Throughput::Elements(n));
        group.bench_function(&platform.name, |b| b.iter(|| black_box(simulate(&input).counters.arrived)));
    }
    group.finish();
}

/// The Monte Carlo runner on the default scenario (shortened to one day, 4 replications).
fn runner(c: &mut Criterion) {
    let mut s = crossover_scenario::default_scenario();
    s.horizon = SimDuration::from_hours(24);
    let opts = crossover_runner::RunOptions {
        replications: 4,
        seed: 1,
        ..crossover_runner::RunOptions::from_scenario(&s)
    };
    let n = crossover_runner::run(&s, &opts).unwrap().simulated_requests();
    let mut group = c.benchmark_group("runner");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n));
    group.bench_function("default_one_day_x4", |b| {
        b.iter(|| black_box(crossover_runner::run(&s, &opts).unwrap()))
    });
    group.finish();
}

criterion_group!(benches, hold, arrivals, platforms, runner);
criterion_main!(benches);
