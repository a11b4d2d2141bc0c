//! Step-level tests of the stack loop, on specs built here rather than from scenario
//! files: what the services of a stack share (the bill, the nodes) and what they must
//! not (each other's random draws).

use super::*;
use crate::billing::{FreeTier, Rates, Tariff};
use crate::spec::{
    AutoscalerSpec, ColdStart, ConcurrencyScaling, InstanceSpec, Interruptions, MachineType, NodeAutoscaler,
    NodeBilling, NodePool, Placement, RouterSpec,
};
use crossover_workload::{CronSchedule, DemandPart, Dist, RecordedArrivals, Source};

/// A small spec builder: a serverless fleet scaled per request (one request per
/// instance), billed per second only while serving, cold starts of 1 s.
struct Spec(PlatformSpec);

impl Spec {
    fn serverless(name: &str) -> Spec {
        let mut tariff = Tariff::per_second(0.000024, 0.0000025);
        tariff.idle = Rates::default();
        tariff.per_million_requests = 0.40;
        Spec(PlatformSpec {
            name: name.into(),
            instance: InstanceSpec { vcpu: 1.0, memory_gib: 2.0, gpus: 0, concurrency: 1 },
            startup: ColdStart {
                fixed: SimDuration::from_secs(1),
                image_mb: 0.0,
                pull_mb_per_s: 0.0,
                init: Dist::constant(0.0).unwrap(),
                cpu_boost: 1.0,
                health_check_interval: SimDuration::ZERO,
            },
            router: RouterSpec::CentralQueue { queue_timeout: SimDuration::from_secs(60), max_queue: 10_000 },
            autoscaler: AutoscalerSpec::PerRequest { keep_alive: SimDuration::from_minutes(5) },
            min_instances: 0,
            max_instances: 1000,
            request_timeout: SimDuration::from_secs(300),
            interruptions: None,
            tariff,
            nodes: None,
            spill: None,
        })
    }

    /// Pods on a fixed pool of `nodes` nodes of 4 vCPU / 8 GiB allocatable, first fit,
    /// `pods` replicas of the given shape.
    fn fixed_pods(nodes: u32, vcpu: f64, gib: f64, pods: u32) -> Spec {
        let machine = MachineType {
            name: "n".into(),
            vcpu: 4.0,
            memory_gib: 8.0,
            gpus: 0,
            hourly_usd: 0.2,
            pod_vcpu: 4.0,
            pod_memory_gib: 8.0,
            daemonset_vcpu: 0.0,
            daemonset_memory_gib: 0.0,
            max_pods: 110,
        };
        let mut s = Spec::serverless("k8s").0;
        s.instance = InstanceSpec { vcpu, memory_gib: gib, gpus: 0, concurrency: 4 };
        s.autoscaler = AutoscalerSpec::Fixed { instances: pods };
        s.tariff = Tariff::per_second(0.0, 0.0);
        s.nodes = Some(NodePool {
            machines: vec![machine],
            placement: Placement::FirstFit,
            autoscaler: NodeAutoscaler::Fixed,
            min_nodes: nodes,
            max_nodes: nodes,
            billing: NodeBilling {
                rounding: SimDuration::ZERO,
                minimum: SimDuration::ZERO,
                monthly_cap_usd: 0.0,
            },
            interruptions: None,
        });
        Spec(s)
    }
}

fn load(name: &str, rps: f64, cpu_ms: f64) -> ServiceLoad {
    ServiceLoad {
        name: name.into(),
        traffic: Traffic::constant(rps),
        demand: Demand { cpu: Dist::constant(cpu_ms / 1e3).unwrap(), io: Dist::constant(0.0).unwrap() },
        response_gb: 0.0,
        slo_p99: None,
        work: Work::Http,
    }
}

fn run(specs: Vec<PlatformSpec>, loads: &[ServiceLoad], horizon: SimDuration) -> Outcome {
    let stack = StackSpec::new("p".into(), specs).unwrap();
    simulate(&SimInput {
        platform: &stack,
        services: loads,
        horizon,
        seed: 7,
        replication: 0,
        timeline: false,
    })
}

const DAY: SimDuration = SimDuration::from_hours(24);

/// A service's requests are drawn from streams keyed by its name: alone or beside
/// another, on an independent serverless fleet, it does exactly the same.
#[test]
fn a_service_alone_and_in_a_stack_sees_the_same_requests() {
    let (api, admin) = (load("api", 2.0, 40.0), load("admin", 0.5, 100.0));
    let spec = || Spec::serverless("run").0;
    let alone = run(vec![spec()], std::slice::from_ref(&api), DAY);
    let both = run(vec![spec(), spec()], &[api.clone(), admin.clone()], DAY);
    let reordered = run(vec![spec(), spec()], &[admin, api], DAY);
    let a = &alone.services[0];
    for (stack, i) in [(&both, 0), (&reordered, 1)] {
        let s = &stack.services[i];
        assert_eq!(s.name, "api");
        assert_eq!(s.counters, a.counters);
        assert_eq!(s.latency.quantile_ms(0.99), a.latency.quantile_ms(0.99));
        assert_eq!(s.mean_instances, a.mean_instances);
    }
    // The stack's totals are its services' sums.
    let mut sum = both.services[0].counters;
    sum.add(&both.services[1].counters);
    assert_eq!(both.counters, sum);
    assert!(both.counters.arrived > a.counters.arrived);
}

/// Serverless: a two-service stack costs what each costs alone, less the free tier once
/// more (it is per billing account), with the fixed fees once.
#[test]
fn a_free_tier_and_fixed_fees_count_once_per_stack() {
    let (api, admin) = (load("api", 3.0, 50.0), load("admin", 1.0, 80.0));
    let with = |free: FreeTier| {
        let mut s = Spec::serverless("run").0;
        s.tariff.free_tier = free;
        s.tariff.fixed_monthly = vec![("domain".into(), 10.0)];
        s
    };
    let free = FreeTier { vcpu_seconds: 180_000.0, gib_seconds: 360_000.0, requests: 2e6 };
    let none = FreeTier::default();
    let a = run(vec![with(none)], std::slice::from_ref(&api), DAY).cost;
    let b = run(vec![with(none)], std::slice::from_ref(&admin), DAY).cost;
    let both = run(vec![with(free), with(free)], &[api, admin], DAY);
    let c = both.cost;
    let close = |x: f64, y: f64| (x - y).abs() < 1e-9 * y.abs().max(1.0);
    // Each line: the usage of both, less one free allowance.
    let rates = &with(free).tariff;
    assert!(close(c.cpu, a.cpu + b.cpu - 180_000.0 * rates.active.vcpu_second), "{c:?}");
    assert!(close(c.memory, a.memory + b.memory - 360_000.0 * rates.active.gib_second));
    assert!(close(c.requests, a.requests + b.requests - 2.0 * 0.40));
    assert_eq!(c.fixed, 10.0);
    assert_eq!((a.fixed, b.fixed), (10.0, 10.0));
    // The split: every service's share plus the shared part is the bill, line by line.
    let split = both.services[0].cost.plus(&both.services[1].cost).plus(&both.shared_cost);
    assert!(close(split.infrastructure(), c.infrastructure()));
    assert!(close(split.cpu, c.cpu) && close(split.requests, c.requests));
    assert_eq!(both.shared_cost.fixed, 10.0);
    assert_eq!(both.services[0].cost.fixed, 0.0);
}

/// Two-dimensional bin-packing, by hand. Two fixed nodes of 4 vCPU / 8 GiB, first fit,
/// services placed in order: api (2 x 2 vCPU / 2 GiB) fills node 0's CPU; search (2 x
/// 1 vCPU / 6 GiB): one on node 1, the second fits node 1 by CPU (2 of 4) but not by
/// memory (12 of 8 GiB), so it is pending; auth (3 x 0.5 vCPU / 1 GiB): two more on
/// node 1 (2 vCPU, 8 GiB: full), the third pending.
#[test]
fn pods_of_several_shapes_fill_nodes_by_cpu_and_memory() {
    let specs = [
        Spec::fixed_pods(2, 2.0, 2.0, 2).0,
        Spec::fixed_pods(2, 1.0, 6.0, 2).0,
        Spec::fixed_pods(2, 0.5, 1.0, 3).0,
    ];
    let loads = [load("api", 0.1, 10.0), load("search", 0.1, 10.0), load("auth", 0.1, 10.0)];
    let pairs: Vec<(&PlatformSpec, &ServiceLoad)> = specs.iter().zip(&loads).collect();
    let run = Run { seed: 1, replication: 0, horizon: SimTime(DAY.as_nanos()) };
    let mut stack = Stack::new(&pairs, &run, false, true);
    stack.start();
    let on = |stack: &Stack, s: usize| -> Vec<u32> {
        let service = &stack.services[s];
        let mut nodes: Vec<u32> = (0..service.instances.len()).map(|i| service.node_of[i]).collect();
        nodes.sort_unstable();
        nodes
    };
    assert_eq!(on(&stack, 0), vec![0, 0]);
    assert_eq!(on(&stack, 1), vec![1, service::NO_NODE]);
    assert_eq!(on(&stack, 2), vec![1, 1, service::NO_NODE]);
    let cluster = &stack.sh.nodes.as_ref().unwrap().cluster;
    assert_eq!(cluster.nodes[1].used.memory, 8_000_000_000);
    assert_eq!(cluster.nodes[1].used.cpu, 2_000_000_000);
    assert_eq!(cluster.alive, 2, "a fixed pool of two holds no more");
    assert_eq!(stack.services.iter().map(|s| s.starting).collect::<Vec<_>>(), vec![0, 1, 1]);
    // An api pod stops: node 0 has 2 vCPU and 6 GiB free. The oldest pending pod,
    // search's, takes it at once (api frees the room, search's pod is placed after the
    // event, in the order the pods went pending); auth's still does not fit anywhere.
    let sh = &mut stack.sh;
    let api = &mut stack.services[0];
    api.stop_instance(sh, 0);
    assert!(stack.sh.nodes.as_ref().unwrap().placement_due);
    stack.after_event(Event::Minute);
    assert_eq!(on(&stack, 1), vec![0, 1]);
    assert_eq!(on(&stack, 2), vec![1, 1, service::NO_NODE]);
    let nodes = stack.sh.nodes.as_ref().unwrap();
    assert!(!nodes.placement_due);
    assert_eq!(nodes.cluster.nodes[0].used.memory, 8_000_000_000);
}

/// On a cluster the node bill is split OpenCost's way: each pod its requests' share of
/// its node's price, the rest shown as the cluster's idle share.
#[test]
fn a_cluster_bill_splits_into_pods_shares_and_idle() {
    let specs = vec![Spec::fixed_pods(2, 2.0, 2.0, 2).0, Spec::fixed_pods(2, 1.0, 4.0, 1).0];
    let loads = [load("api", 1.0, 20.0), load("search", 0.5, 20.0)];
    let out = run(specs, &loads, DAY);
    let month = crate::billing::HOURS_PER_MONTH;
    // Two nodes at $0.20/h all month.
    assert!((out.cost.nodes - 2.0 * 0.2 * month).abs() < 1e-6, "{}", out.cost.nodes);
    // Node price split by OpenCost's default CPU and RAM prices: 4 x 0.031611 to
    // 8 x 0.004237.
    let (cpu, mem) = (4.0 * 0.031611, 8.0 * 0.004237);
    let share = |vcpu: f64, gib: f64| (cpu * vcpu / 4.0 + mem * gib / 8.0) / (cpu + mem) * 0.2 * month;
    assert!((out.services[0].cost.nodes - 2.0 * share(2.0, 2.0)).abs() < 1e-6);
    assert!((out.services[1].cost.nodes - share(1.0, 4.0)).abs() < 1e-6);
    let idle = out.cost.nodes - out.services[0].cost.nodes - out.services[1].cost.nodes;
    assert!((out.shared_cost.nodes - idle).abs() < 1e-9 && idle > 0.0);
}

/// A scheduled job `schedule` of `tasks` tasks of `task_secs` CPU each, at most
/// `parallelism` at once.
fn cron(
    name: &str,
    schedule: &str,
    utc_offset_minutes: i32,
    tasks: u32,
    parallelism: u32,
    task_secs: f64,
) -> ServiceLoad {
    let mut l = load(name, 0.0, task_secs * 1e3);
    l.work = Work::Cron(CronJob {
        schedule: CronSchedule::parse(schedule, utc_offset_minutes).unwrap(),
        tasks,
        parallelism,
        deadline: Some(SimDuration::from_secs(90)),
    });
    l
}

/// A scheduled job's spec as the scenario gives it: no autoscaler, one task per
/// instance, instances billed for their whole life (Cloud Run Jobs' instance-based
/// rates) from the start of their cold start.
fn job_spec() -> PlatformSpec {
    let mut s = Spec::serverless("run").0;
    s.autoscaler = AutoscalerSpec::Fixed { instances: 0 };
    s.tariff = Tariff::per_second(0.000018, 0.000002);
    s
}

/// A daily job runs once a day at its local time, over a week exactly seven times; three
/// tasks of 60 s at two at a time take two waves, each a 1 s start and 60 s of work.
#[test]
fn a_daily_job_runs_once_a_day_and_its_tasks_in_waves() {
    let week = SimDuration::from_hours(24 * 7);
    // 02:00 at UTC-5 is 07:00 on the clock.
    let job = cron("nightly", "0 2 * * *", -300, 3, 2, 60.0);
    let out = run(vec![job_spec()], std::slice::from_ref(&job), week);
    let s = &out.services[0];
    let j = s.jobs;
    assert_eq!((j.runs, j.finished_runs, j.skipped_runs), (7, 7, 0));
    assert_eq!(s.counters.arrived, 21);
    assert_eq!(s.counters.completed, 21);
    assert!(s.counters.is_conserved());
    // Two waves of (1 s cold start + 60 s): 122 s, past the 90 s deadline every night.
    assert!((j.makespan_p50_secs - 122.0).abs() < 0.2, "{j:?}");
    assert_eq!(j.missed_deadlines, 7);
    assert_eq!(j.peak_backlog, 3);
    // Instances live only while a task starts or runs: 3 x 61 s a night.
    let alive_secs = s.mean_instances * week.as_secs_f64();
    assert!((alive_secs - 7.0 * 3.0 * 61.0).abs() < 1e-6, "{alive_secs}");
    assert_eq!(s.peak_instances, 2, "parallelism bounds the instances");
}

/// On a lifetime tariff a run costs exactly the tasks' billed lives at the jobs rates.
#[test]
fn a_jobs_cost_is_its_tasks_lives_at_the_jobs_rates() {
    let week = SimDuration::from_hours(24 * 7);
    let job = cron("nightly", "30 3 * * *", 0, 4, 4, 60.0);
    let out = run(vec![job_spec()], std::slice::from_ref(&job), week);
    // Four tasks a night, each 1 s of start-up and 60 s of work, 1 vCPU and 2 GiB.
    let seconds = 7.0 * 4.0 * 61.0;
    let month = 730.0 * 3600.0 / week.as_secs_f64();
    let expected = seconds * (0.000018 + 2.0 * 0.000002) * month;
    let total = out.cost.cpu + out.cost.memory + out.cost.idle;
    assert!((total - expected).abs() < 1e-9 * expected, "{total} vs {expected}");
    assert_eq!(out.services[0].jobs.finished_runs, 7);
}

/// Forbid: a run due while the previous one still goes is skipped, not queued.
#[test]
fn a_run_due_while_the_last_goes_on_is_skipped() {
    // Every minute, one task of 90 s: each run overlaps the next minute's.
    let job = cron("often", "* * * * *", 0, 1, 1, 90.0);
    let out = run(vec![job_spec()], std::slice::from_ref(&job), SimDuration::from_minutes(10));
    let j = out.services[0].jobs;
    // Runs at 0, 2, 4, 6, 8 min (each 91 s); those at odd minutes are skipped.
    assert_eq!((j.runs, j.skipped_runs), (5, 5), "{j:?}");
    assert!(out.services[0].counters.is_conserved());
}

/// A worker's queue never refuses a job, whatever the overload: an instance that
/// cannot keep up leaves a backlog that is counted, not dropped.
#[test]
fn a_worker_keeps_every_job_and_reports_its_backlog() {
    let mut worker = load("emails", 2.0, 1000.0);
    worker.work = Work::Worker;
    let mut spec = Spec::serverless("pool").0;
    spec.autoscaler = AutoscalerSpec::Fixed { instances: 1 };
    // The HTTP router would refuse after 1 ms or 3 waiting: a worker's queue does not.
    spec.router = RouterSpec::CentralQueue { queue_timeout: SimDuration::from_millis(1), max_queue: 3 };
    spec.request_timeout = SimDuration::from_millis(1);
    let out = run(vec![spec], std::slice::from_ref(&worker), SimDuration::from_hours(1));
    let s = &out.services[0];
    assert_eq!((s.counters.rejected, s.counters.timed_out, s.counters.queue_full), (0, 0, 0));
    assert!(s.counters.is_conserved());
    // Two jobs a second at one a second: about 3,600 left at the end.
    assert!(s.counters.in_flight > 3000, "{:?}", s.counters);
    assert!(s.jobs.peak_backlog >= s.counters.in_flight - 1);
    // The backlog grows linearly: its time average is about half its end.
    let half = s.counters.in_flight as f64 / 2.0;
    assert!((s.jobs.mean_backlog - half).abs() < 0.1 * half, "{:?}", s.jobs);
}

/// Lambda's SQS mapping: 50 jobs a second of 20 s each want 1,000 at once; the mapping
/// allows 5 in the first minute, 305 in the second and 605 in the third.
#[test]
fn an_sqs_mapping_ramps_by_300_a_minute_while_jobs_wait() {
    let mut worker = load("jobs", 50.0, 20_000.0);
    worker.work = Work::Worker;
    let mut spec = Spec::serverless("lambda").0;
    spec.autoscaler = AutoscalerSpec::SqsPoller(crate::spec::SqsPoller {
        keep_alive: SimDuration::from_minutes(10),
        initial: 5,
        per_minute: 300,
    });
    let peak = |minutes: u64| {
        let out = run(vec![spec.clone()], std::slice::from_ref(&worker), SimDuration::from_minutes(minutes));
        assert!(out.counters.is_conserved());
        assert_eq!(out.counters.rejected, 0);
        out.peak_instances
    };
    // The horizon ends just before each minute's tick.
    assert_eq!(peak(1), 5);
    assert_eq!(peak(2), 305);
    assert_eq!(peak(3), 605);
}

/// A fleet scaled by Knative's KPA with Cloud Run's preset values, `min` instances kept.
fn kpa_spec(min: u32) -> PlatformSpec {
    let mut s = Spec::serverless("run").0;
    s.instance.concurrency = 80;
    s.autoscaler = AutoscalerSpec::Concurrency(ConcurrencyScaling {
        target_concurrency: 0.6,
        target_cpu: 0.6,
        tick: SimDuration::from_secs(2),
        stable_window: SimDuration::from_secs(60),
        panic_window: SimDuration::from_secs(6),
        panic_threshold: 2.0,
        max_scale_up_rate: 1000.0,
        max_scale_down_rate: 2.0,
        idle_retention: SimDuration::from_minutes(15),
    });
    s.min_instances = min;
    s
}

/// A stack's run with its timeline, with or without skipping quiet ticks: the outcome
/// in full, and the ticks each service handled.
fn ticked(
    specs: Vec<PlatformSpec>,
    loads: &[ServiceLoad],
    skip: bool,
    horizon: SimDuration,
) -> (String, Vec<u64>) {
    let stack = StackSpec::new("p".into(), specs).unwrap();
    let parts: Vec<_> = stack.services.iter().zip(loads).collect();
    let run = Run { seed: 11, replication: 0, horizon: SimTime(horizon.as_nanos()) };
    let mut s = Stack::new(&parts, &run, true, true);
    if skip {
        s.let_skip_quiet_ticks();
    }
    assert!(s.run(&AtomicBool::new(false)));
    let ticks = s.services.iter().map(|s| s.ticks).collect();
    (format!("{:?}", s.finish().0), ticks)
}

fn lone(spec: PlatformSpec, load: &ServiceLoad, skip: bool, horizon: SimDuration) -> (String, u64) {
    let (outcome, ticks) = ticked(vec![spec], std::slice::from_ref(load), skip, horizon);
    (outcome, ticks[0])
}

/// Skipping a quiet service's ticks changes nothing: the outcome, timeline included, is
/// the same to the last digit, at rates from one request every two minutes (idle
/// retention running out between them) to a few a second, with and without an instance
/// kept, and for requests replayed on the ticks' grid and at the minutes' ends, where a
/// resumed tick meets other events at the same instant. Fleets: Cloud Run's (80
/// requests an instance, short requests: the desire rarely leaves 1); one request an
/// instance with requests of seconds, whose desire follows the load and panics; and that
/// one capped at two instances, with queue timeouts and Spot-like interruptions. At 0.1
/// requests a second most ticks go.
#[test]
fn skipping_quiet_ticks_changes_nothing() {
    let short = Demand {
        cpu: Dist::lognormal_p50_p99(0.020, 0.250).unwrap(),
        io: Dist::lognormal_p50_p99(0.015, 0.120).unwrap(),
    };
    let long = Demand {
        cpu: Dist::lognormal_p50_p99(1.0, 8.0).unwrap(),
        io: Dist::lognormal_p50_p99(0.5, 5.0).unwrap(),
    };
    // Replayed: whole even seconds and minutes' ends, gaps from 0 to 20 minutes.
    let mut next = crate::autoscaler::metrics::testing::xorshift(0x2545_F491_4F6C_DD1D);
    let (mut at, mut times) = (0u64, Vec::new());
    while at < 6 * 3600 {
        at += [0, 2, 4, 10, 60, 120, 600, 1200][next(8) as usize];
        at = if next(3) == 0 { at / 60 * 60 } else { at };
        times.push((at * 1_000_000_000, None));
    }
    let replayed = Traffic {
        source: Source::Timestamps(RecordedArrivals::new(times, DemandPart::Cpu)),
        fluctuations: Default::default(),
    };
    let mut traffic: Vec<(String, Traffic)> = [1.0 / 120.0, 0.1, 0.5, 3.0]
        .iter()
        .map(|&rps| (format!("{rps} req/s"), Traffic::constant(rps)))
        .collect();
    traffic.push(("replayed".into(), replayed));
    let horizon = SimDuration::from_hours(6);
    // The second fleet also in a tight spot: two instances at most, requests waiting for
    // them (and giving up after 20 s), instances interrupted (a notice, a replacement).
    let tight = |s: &mut PlatformSpec| {
        s.max_instances = 2;
        s.router = RouterSpec::CentralQueue { queue_timeout: SimDuration::from_secs(20), max_queue: 10_000 };
        s.interruptions = Some(Interruptions { rate_per_hour: 0.5, warning: SimDuration::from_secs(30) });
    };
    for (concurrency, demand, squeezed) in [(80, &short, false), (1, &long, false), (1, &long, true)] {
        for (name, traffic) in &traffic {
            let load =
                ServiceLoad { traffic: traffic.clone(), demand: demand.clone(), ..load("api", 1.0, 1.0) };
            for min in [0, 1] {
                let spec = || {
                    let mut s = kpa_spec(min);
                    s.instance.concurrency = concurrency;
                    if squeezed {
                        tight(&mut s);
                    }
                    s
                };
                let (skipping, fewer) = lone(spec(), &load, true, horizon);
                let (every, all) = lone(spec(), &load, false, horizon);
                let case = format!("{name}, concurrency {concurrency}, min {min}, squeezed {squeezed}");
                assert_eq!(
                    all,
                    horizon.as_nanos() / 2_000_000_000 - 1,
                    "{case}: every tick before the horizon"
                );
                assert!(skipping == every, "{case}: skipping quiet ticks changed the outcome");
                if name == "0.1 req/s" && concurrency == 80 {
                    assert!(fewer * 3 < all, "{case}: {fewer} ticks of {all}");
                }
            }
        }
    }
}

/// In a stack the services' ticks fall at the same instants; skipping the quiet ones of
/// some leaves every event where it was: the same outcome, per service and in total,
/// timeline included, for five services from one request every two minutes to a few a
/// second, two of them replayed on the ticks' grid.
#[test]
fn skipping_quiet_ticks_in_a_stack_changes_nothing() {
    let long = Demand {
        cpu: Dist::lognormal_p50_p99(1.0, 8.0).unwrap(),
        io: Dist::lognormal_p50_p99(0.5, 5.0).unwrap(),
    };
    let grid = |every: u64, offset: u64| Traffic {
        source: Source::Timestamps(RecordedArrivals::new(
            (0..3 * 3600 / every).map(|k| ((offset + k * every) * 1_000_000_000, None)).collect(),
            DemandPart::Cpu,
        )),
        fluctuations: Default::default(),
    };
    let traffic = [
        Traffic::constant(1.0 / 120.0),
        Traffic::constant(0.1),
        Traffic::constant(3.0),
        grid(14, 0),
        grid(60, 2),
    ];
    let loads: Vec<ServiceLoad> = traffic
        .into_iter()
        .enumerate()
        .map(|(i, traffic)| ServiceLoad { traffic, demand: long.clone(), ..load(&format!("s{i}"), 1.0, 1.0) })
        .collect();
    let specs = || {
        (0..loads.len())
            .map(|i| {
                let mut s = kpa_spec(u32::from(i == 1));
                s.instance.concurrency = 1;
                s
            })
            .collect::<Vec<_>>()
    };
    let horizon = SimDuration::from_hours(3);
    let (skipping, fewer) = ticked(specs(), &loads, true, horizon);
    let (every, all) = ticked(specs(), &loads, false, horizon);
    assert!(skipping == every, "skipping quiet ticks in a stack changed the outcome");
    assert!(all.iter().all(|&n| n == horizon.as_nanos() / 2_000_000_000 - 1), "{all:?}");
    assert!(fewer[0] * 5 < all[0] && fewer[4] * 5 < all[4], "{fewer:?} of {all:?}");
}

/// Skipping quiet ticks changes nothing whatever the KPA's settings: 40 random stacks of
/// one to three services, ticks from 1 to 10 s (dividing a minute or not), windows
/// that are or are not whole ticks, idle retention from none to 20 minutes, the CPU
/// driver on or off, 1 to 80 requests an instance, rates from one request every three
/// minutes to two a second.
#[test]
fn skipping_quiet_ticks_changes_nothing_whatever_the_settings() {
    let mut next = crate::autoscaler::metrics::testing::xorshift(0x9E6C_63D0_676A_9A99);
    let mut skipped = 0;
    for case in 0..40 {
        let services = 1 + next(3) as usize;
        let mut specs = Vec::new();
        let mut loads = Vec::new();
        for i in 0..services {
            let tick = SimDuration::from_millis(1000 * (1 + next(10)) + 500 * next(2));
            let stable = SimDuration::from_millis(6_000 + next(114_000));
            let mut s = kpa_spec(u32::from(next(4) == 0));
            s.instance.concurrency = [1, 4, 80][next(3) as usize];
            s.autoscaler = AutoscalerSpec::Concurrency(ConcurrencyScaling {
                target_concurrency: [0.6, 0.7, 1.0][next(3) as usize],
                target_cpu: [0.0, 0.6][next(2) as usize],
                tick,
                stable_window: stable,
                panic_window: SimDuration::from_nanos(stable.as_nanos() / (2 + next(10))),
                panic_threshold: 1.5 + next(4) as f64 / 2.0,
                max_scale_up_rate: [2.0, 10.0, 1000.0][next(3) as usize],
                max_scale_down_rate: [1.5, 2.0, 10.0][next(3) as usize],
                idle_retention: SimDuration::from_secs([0, 60, 900, 1200][next(4) as usize]),
            });
            specs.push(s);
            let rps = [1.0 / 180.0, 0.02, 0.1, 0.3, 2.0][next(5) as usize];
            let p50 = [0.02, 0.3, 2.0][next(3) as usize];
            let demand = Demand {
                cpu: Dist::lognormal_p50_p99(p50, p50 * 8.0).unwrap(),
                io: Dist::lognormal_p50_p99(p50 / 2.0, p50 * 4.0).unwrap(),
            };
            loads.push(ServiceLoad {
                traffic: Traffic::constant(rps),
                demand,
                ..load(&format!("s{i}"), 1.0, 1.0)
            });
        }
        let horizon = SimDuration::from_hours(2);
        let (skipping, fewer) = ticked(specs.clone(), &loads, true, horizon);
        let (every, all) = ticked(specs, &loads, false, horizon);
        assert!(skipping == every, "case {case}: skipping quiet ticks changed the outcome");
        skipped += all.iter().sum::<u64>() - fewer.iter().sum::<u64>();
    }
    assert!(skipped > 10_000, "{skipped} ticks skipped");
}
