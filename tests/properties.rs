//! Property tests: random valid scenarios (short horizons, small rates, every kind of
//! platform) through the runner, and the engine's building blocks on random input.
//!
//! - every replication conserves requests and passes Little's law (the runner's own
//!   checks, asserted again here on the counters), hybrids included;
//! - costs, latencies and counts are finite and non-negative;
//! - instance counts stay within max_instances;
//! - results are byte-identical with 1 and 2 threads;
//! - histogram merges do not depend on order;
//! - the event queue never goes back in time and is FIFO among equal times.
//!
//! Case counts are kept small (each scenario case simulates up to a few hundred thousand
//! requests, twice) and the seed fixed; set `PROPTEST_RNG_SEED` and `PROPTEST_CASES` to
//! explore (e.g. `PROPTEST_RNG_SEED=$RANDOM PROPTEST_CASES=500`).

mod common;

use crossover_engine::{EventQueue, LatencyRecorder, SimDuration, SimTime};
use crossover_runner::{RunOptions, RunResult};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};

/// One `[[platform]]` entry of each family, with random limits, and whether its fleet
/// can never exceed max_instances. Autoscalers that drain busy instances on scale-in may:
/// a draining instance (a terminating pod, a deregistering task) is still alive while
/// its replacement starts, as on the real platforms, where a ReplicaSet or an ECS
/// service does not count terminating pods or draining tasks.
fn platform() -> impl Strategy<Value = (String, bool)> {
    let limits = (0u32..3, 1u32..12).prop_map(|(min, extra)| (min, min + extra));
    prop_oneof![
        (1u32..6, 1u32..4).prop_map(|(n, conc)| (format!(
            "autoscaler = {{ kind = \"fixed\", instances = {n} }}\ninstance = {{ concurrency = {conc} }}\nmax_instances = {}",
            n + 2
        ), true)),
        (limits.clone(), 1u64..600).prop_map(|((min, max), keep)| (format!(
            "autoscaler = {{ kind = \"per-request\", keep_alive = \"{keep}s\" }}\nmin_instances = {min}\nmax_instances = {max}\n\
             instance = {{ cold_start = {{ dist = \"exponential\", mean = \"300ms\" }} }}"
        ), true)),
        limits.clone().prop_map(|(min, max)| (format!(
            "preset = \"cloud-run\"\nmin_instances = {min}\nmax_instances = {max}"
        ), false)),
        limits.clone().prop_map(|(min, max)| (format!(
            "preset = \"fargate\"\nmin_instances = {}\nmax_instances = {}",
            min.max(1),
            max.max(min.max(1))
        ), false)),
        limits.clone().prop_map(|(min, max)| (format!(
            "preset = \"fargate-spot\"\nmin_instances = {}\nmax_instances = {}",
            min.max(1),
            max.max(min.max(1))
        ), false)),
        limits.clone().prop_map(|(min, max)| (format!(
            "preset = \"container-apps\"\nmin_instances = {min}\nmax_instances = {max}"
        ), false)),
        limits.clone().prop_map(|(_, max)| (format!("preset = \"fly-machines\"\nmax_instances = {max}"), false)),
        limits.clone().prop_map(|(min, max)| (format!("preset = \"lambda\"\nmin_instances = {min}\nmax_instances = {max}"), true)),
        // Kubernetes: pods on node pools, HPA, Cluster Autoscaler or Karpenter.
        (limits, 0usize..5).prop_map(|((min, max), k)| {
            let preset = ["gke-autopilot", "gke-standard", "eks", "eks-karpenter", "k8s-self-managed"][k];
            (format!("preset = \"{preset}\"\nmin_instances = {}\nmax_instances = {}", min.max(1), max.max(min.max(1))), false)
        }),
    ]
}

fn traffic() -> impl Strategy<Value = String> {
    prop_oneof![
        (0.0f64..15.0).prop_map(|rps| format!("profile = \"constant\"\nrps = {rps}")),
        (0.0f64..3.0, 0.0f64..20.0, 0.0f64..0.8).prop_map(|(trough, extra, noise)| format!(
            "profile = \"diurnal\"\ntrough_rps = {trough}\npeak_rps = {}\nnoise_cv = {noise}",
            trough + extra
        )),
        (0.5f64..10.0, 1.0f64..48.0).prop_map(|(rps, per_day)| format!(
            "profile = \"constant\"\nrps = {rps}\n\
             bursts = {{ per_day = {per_day}, factor_p50 = 3, factor_p99 = 8, duration_p50 = \"2m\", duration_p99 = \"10m\" }}"
        )),
    ]
}

fn service() -> impl Strategy<Value = String> {
    (1u64..400, 0u64..200, prop::bool::ANY).prop_map(|(cpu, io, lognormal)| {
        let cpu = if lognormal {
            format!("{{ dist = \"lognormal\", p50 = \"{cpu}ms\", p99 = \"{}ms\" }}", cpu * 8)
        } else {
            format!("{{ dist = \"exponential\", mean = \"{cpu}ms\" }}")
        };
        format!("cpu = {cpu}\nio = \"{io}ms\"")
    })
}

/// A valid scenario: 10 minutes to 2 hours, 1 to 3 replications, 1 to 3 platforms, the
/// first of several perhaps a hybrid spilling to the second; and for each platform
/// whether it must stay within max_instances (a hybrid counts both fleets).
fn scenario() -> impl Strategy<Value = (String, Vec<bool>)> {
    (
        10u64..120,
        1u32..4,
        0u64..1000,
        traffic(),
        service(),
        prop::collection::vec(platform(), 1..4),
        // Start anywhere in the week, so business hours and weekends are met.
        0u32..7,
        prop::option::of(0.2f64..3.0),
    )
        .prop_map(|(minutes, reps, seed, traffic, service, mut platforms, day, spill)| {
            let mut text = format!(
                "[simulation]\nhorizon = \"{minutes}m\"\nreplications = {reps}\nseed = {seed}\n\
                 [traffic]\n{traffic}\nweekend_factor = {}\n[service]\n{service}\n",
                if day >= 5 { 0.5 } else { 1.0 }
            );
            if let (Some(threshold), true) = (spill, platforms.len() > 1) {
                platforms[0].0.push_str(&format!("\nspill = {{ to = \"p1\", threshold = {threshold} }}"));
                platforms[0].1 = false;
            }
            for (i, (p, _)) in platforms.iter().enumerate() {
                text.push_str(&format!("[[platform]]\nname = \"p{i}\"\n{p}\n"));
            }
            (text, platforms.iter().map(|(_, strict)| *strict).collect())
        })
}

/// A valid stack: 1 to 5 services, each with traffic and demand of its own and, on
/// Kubernetes, perhaps a pod shape of its own; 1 or 2 platforms, the first perhaps a
/// hybrid spilling to the second (every service spills).
fn stack() -> impl Strategy<Value = String> {
    let one = (traffic(), service(), prop::option::of((1u32..5, 0usize..3)));
    (
        10u64..90,
        1u32..3,
        0u64..1000,
        prop::collection::vec(one, 1..6),
        prop::collection::vec(platform(), 1..3),
        prop::bool::ANY,
    )
        .prop_map(|(minutes, reps, seed, services, platforms, spill)| {
            let mut text =
                format!("[simulation]\nhorizon = \"{minutes}m\"\nreplications = {reps}\nseed = {seed}\n");
            for (i, (traffic, service, _)) in services.iter().enumerate() {
                text.push_str(&format!(
                    "[[service]]\nname = \"s{i}\"\n{service}\n[service.traffic]\n{traffic}\n"
                ));
            }
            for (k, (p, _)) in platforms.iter().enumerate() {
                text.push_str(&format!("[[platform]]\nname = \"p{k}\"\n{p}\n"));
                if spill && k == 0 && platforms.len() > 1 {
                    text.push_str("spill = { to = \"p1\" }\n");
                }
                let kubernetes =
                    ["gke-", "eks", "k8s-"].iter().any(|m| p.contains(&format!("preset = \"{m}")));
                for (i, (_, _, shape)) in services.iter().enumerate() {
                    // Quarter vCPUs with 1, 2 or 4 GiB each: a shape every Kubernetes preset
                    // offers (Autopilot's ratios included) and every node type holds.
                    if let (true, Some((quarters, ratio))) = (kubernetes, shape) {
                        let mib = quarters * 256 * [1, 2, 4][*ratio];
                        text.push_str(&format!(
                            "[platform.services.s{i}]\ninstance = {{ cpu = {}, memory = \"{mib}MiB\" }}\n",
                            *quarters as f64 * 0.25
                        ));
                    }
                }
            }
            text
        })
}

/// Few cases, and a fixed seed so the suite is reproducible; `PROPTEST_RNG_SEED=N` (and
/// `PROPTEST_CASES=N`) explore further.
fn config(cases: u32) -> Config {
    let default = Config::default();
    let rng_seed = match default.rng_seed {
        RngSeed::Random => RngSeed::Fixed(20_261_126),
        fixed => fixed,
    };
    let cases = if std::env::var_os("PROPTEST_CASES").is_some() { default.cases } else { cases };
    Config { cases, rng_seed, failure_persistence: None, ..default }
}

fn run_with(s: &crossover_scenario::Scenario, threads: usize) -> RunResult {
    let opts = RunOptions { threads: Some(threads), ..RunOptions::from_scenario(s) };
    crossover_runner::run(s, &opts).unwrap_or_else(|e| panic!("{e}"))
}

proptest! {
    #![proptest_config(config(32))]

    #[test]
    fn random_scenarios_keep_every_invariant((text, strict) in scenario()) {
        let s = crossover_scenario::parse(&text, "prop.toml", "prop")
            .unwrap_or_else(|e| panic!("the generator made an invalid scenario:\n{e}\n---\n{text}"));
        let one = run_with(&s, 1);
        let two = run_with(&s, 2);
        prop_assert_eq!(crossover_report::summary_csv(&one), crossover_report::summary_csv(&two));
        prop_assert_eq!(crossover_report::replications_csv(&one), crossover_report::replications_csv(&two));
        for ((p, spec), strict) in one.platforms.iter().zip(&s.platforms).zip(strict) {
            prop_assert_eq!(p.replications.len(), s.replications as usize);
            for r in &p.replications {
                let c = &r.counters;
                prop_assert_eq!(c.arrived, c.completed + c.rejected + c.timed_out + c.in_flight, "{}", text);
                prop_assert!(c.cold_start_requests <= c.arrived);
                let cost = &r.cost;
                for x in [cost.cpu, cost.memory, cost.gpu, cost.idle, cost.requests, cost.egress, cost.stopped,
                          cost.nodes, cost.control_plane, cost.fixed, cost.load_balancer, cost.nat,
                          cost.observability, cost.people] {
                    prop_assert!(x.is_finite() && x >= 0.0, "cost {} in {:?}\n{}", x, cost, text);
                }
                for x in [r.p50_ms, r.p90_ms, r.p99_ms, r.p999_ms, r.mean_ms, r.mean_instances, r.mean_busy_instances,
                          r.utilization, r.mean_in_system, r.mean_sojourn_secs, r.mean_queue_wait_secs] {
                    prop_assert!(x.is_finite() && x >= 0.0, "{} in {:?}\n{}", x, r, text);
                }
                prop_assert!(r.p50_ms <= r.p90_ms && r.p90_ms <= r.p99_ms && r.p99_ms <= r.p999_ms);
                prop_assert!(r.utilization <= 1.0 + 1e-9, "utilization {}", r.utilization);
                if strict {
                    prop_assert!(r.peak_instances <= spec.services[0].max_instances,
                        "{}: peak {} > max {}\n{}", spec.name, r.peak_instances, spec.services[0].max_instances, text);
                    prop_assert!(r.mean_instances <= spec.services[0].max_instances as f64 + 1e-9);
                }
                prop_assert!(r.mean_instances <= r.peak_instances as f64 + 1e-9);
                prop_assert!(r.mean_busy_instances <= r.mean_instances + 1e-9);
                prop_assert!(r.mean_nodes.is_finite() && r.mean_nodes >= 0.0 && r.mean_nodes <= r.peak_nodes as f64 + 1e-9);
                prop_assert!(r.mean_pending_secs.is_finite() && r.mean_pending_secs >= 0.0);
            }
        }
    }

    /// Every service of a random stack is conserved, the services add up to the stack
    /// and the bill splits exactly between them and the shared part, whatever the thread
    /// count (the runner's own checks run on every replication too).
    #[test]
    fn random_stacks_conserve_every_service_and_split_the_bill(text in stack()) {
        let s = crossover_scenario::parse(&text, "stack.toml", "stack")
            .unwrap_or_else(|e| panic!("the generator made an invalid stack:\n{e}\n---\n{text}"));
        let one = run_with(&s, 1);
        let two = run_with(&s, 2);
        prop_assert_eq!(crossover_report::summary_csv(&one), crossover_report::summary_csv(&two));
        prop_assert_eq!(crossover_report::services_csv(&one), crossover_report::services_csv(&two));
        for p in &one.platforms {
            for r in &p.replications {
                prop_assert_eq!(r.services.len(), s.services.len());
                let mut split = r.shared_cost;
                let mut arrived = 0;
                for m in &r.services {
                    let c = &m.counters;
                    prop_assert_eq!(c.arrived, c.completed + c.rejected + c.timed_out + c.in_flight, "{}", text);
                    arrived += c.arrived;
                    split = split.plus(&m.cost);
                }
                prop_assert_eq!(arrived, r.counters.arrived);
                prop_assert!(r.shared_cost.nodes >= -1e-9, "idle nodes {} < 0\n{}", r.shared_cost.nodes, text);
                for model in crossover_platform::CostModel::ALL {
                    let (a, b) = (split.under(model), r.cost.under(model));
                    prop_assert!((a - b).abs() <= 1e-6 * b.abs().max(1.0), "{}: {} vs {}\n{}", p.platform, a, b, text);
                }
            }
        }
    }

    #[test]
    fn histogram_merges_do_not_depend_on_order(
        a in prop::collection::vec(0u64..100_000_000_000, 0..300),
        b in prop::collection::vec(0u64..100_000_000_000, 0..300),
    ) {
        let record = |xs: &[u64]| {
            let mut r = LatencyRecorder::new();
            for &ns in xs {
                r.record(SimDuration(ns));
            }
            r
        };
        let (ra, rb) = (record(&a), record(&b));
        let mut ab = ra.clone();
        ab.merge(&rb);
        let mut ba = rb.clone();
        ba.merge(&ra);
        prop_assert!(ab == ba);
        let all: Vec<u64> = a.iter().chain(&b).copied().collect();
        prop_assert!(ab == record(&all));
        prop_assert_eq!(ab.count(), (a.len() + b.len()) as u64);
        for q in [0.5, 0.99, 1.0] {
            prop_assert_eq!(ab.quantile_ms(q), ba.quantile_ms(q));
        }
        prop_assert_eq!(ab.mean_ms().to_bits(), ba.mean_ms().to_bits());
        // And a checkpointed histogram merges the same.
        let back = LatencyRecorder::from_v2_bytes(&ab.to_v2_bytes()).expect("round trip");
        prop_assert!(back == ab);
    }

    #[test]
    fn the_clock_never_goes_back(ops in prop::collection::vec((prop::bool::weighted(0.6), 0u64..1_000), 1..400)) {
        // A discrete-event loop: events are scheduled at or after the current time.
        let mut q = EventQueue::new();
        let mut now = 0u64;
        let mut seq = 0u64;
        let mut last: Option<(u64, u64)> = None;
        for (schedule, delay) in ops {
            if schedule || q.is_empty() {
                // Many zero and tiny delays, so equal times are common.
                q.schedule(SimTime(now + delay % 7 * (delay / 500)), seq);
                seq += 1;
            } else if let Some((t, s)) = q.pop() {
                prop_assert!(t.0 >= now, "popped {} before now {}", t.0, now);
                if let Some((lt, ls)) = last {
                    prop_assert!(t.0 > lt || (t.0 == lt && s > ls), "not FIFO at equal times");
                }
                now = t.0;
                last = Some((t.0, s));
            }
        }
        while let Some((t, s)) = q.pop() {
            prop_assert!(t.0 >= now);
            if let Some((lt, ls)) = last {
                prop_assert!(t.0 > lt || (t.0 == lt && s > ls));
            }
            now = t.0;
            last = Some((t.0, s));
        }
    }
}
