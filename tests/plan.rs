//! Placement (`crossover plan`): stacks with an answer worked out by hand, the plan never
//! dearer than a single platform that meets the SLOs, local search against exhaustive
//! enumeration on random small stacks, serverless services alone equal to inside a
//! stack, and the plan's scenario re-run to the same figures byte for byte.

mod common;

use common::{crossover, run, scenario};
use crossover_platform::CostModel;
use crossover_runner::plan::{self, Evaluator, PlanOptions, Search};
use proptest::prelude::*;
use std::path::Path;

const HEAD: &str = r#"
[simulation]
horizon = "1d"
replications = 3
seed = 5
"#;

/// `heavy`: 40 requests/s of 50 ms CPU, around the clock (2 vCPU busy on average);
/// `rare`: one request every 100 s of 50 ms.
const SERVICES: &str = r#"
[[service]]
name = "heavy"
cpu = "50ms"
slo_p99 = "5s"
traffic = { profile = "constant", rps = 40.0 }

[[service]]
name = "rare"
cpu = "50ms"
slo_p99 = "5s"
traffic = { profile = "constant", rps = 0.01 }
"#;

/// `fn`: billed per vCPU-second while serving (nothing when idle), one request per
/// instance, scale to zero after a minute. `vm`: one 3-vCPU pod per service on its own
/// 4-vCPU node ($0.10 an hour: $73 a month), so each service placed there adds a node.
const PLATFORMS: &str = r#"
[[platform]]
name = "fn"
autoscaler = { kind = "per-request", keep_alive = "1m" }
instance = { cpu = 1, memory = "1GiB", concurrency = 1, cold_start = "200ms" }
billing = { vcpu_second = 0.000024, idle_vcpu_second = 0.0, rounding = "1ms" }

[[platform]]
name = "vm"
autoscaler = { kind = "fixed", instances = 1 }
instance = { cpu = 3, memory = "2GiB", concurrency = 1000, cold_start = "0s" }
router = { kind = "load-balancer", policy = "least-outstanding", timeout = "0s" }
[platform.nodes]
reserved = "none"
machines = [{ name = "n4", cpu = 4, memory = "16GiB", hourly = 0.1 }]
min = 0
max = 4
autoscaler = { kind = "cluster-autoscaler", provisioning = "30s" }
"#;

/// The steady heavy service goes to the node (its $73 is less than 2 vCPU around the
/// clock at $0.000024 a second, $126), the rare one to the per-request platform (cents,
/// against a second $73 node). Every assignment is evaluated (4).
#[test]
fn a_steady_heavy_service_goes_to_nodes_and_a_rare_one_to_serverless() {
    let s = scenario(&format!("{HEAD}{SERVICES}{PLATFORMS}"));
    let result = plan::plan(&s, &PlanOptions { threads: Some(2), progress: None }).unwrap();
    let p = result.get(CostModel::Infrastructure);
    assert_eq!(p.placements, vec![("heavy".into(), "vm".into()), ("rare".into(), "fn".into())]);
    assert_eq!(p.plan.search, Search::Exhaustive { assignments: 4 });
    assert_eq!(p.plan.best.misses, 0);
    // By hand: one node, $73 a month (its first 30 s of provisioning aside), and the rare
    // service's 0.05 vCPU-s every 100 s: 0.0005 vCPU x 2,628,000 s x $0.000024 = $0.03
    // plus its cold starts' 200 ms (billed: the instance is active while it starts;
    // after 100 s most requests find no instance kept).
    let total = crossover_engine::mean_ci95(&p.run_totals());
    let node = 0.1 * 730.0;
    // At most: every request cold, 250 ms billed each, 0.01 a second over the month.
    let rare_max = 0.25 * 0.01 * 2_628_000.0 * 0.000024;
    assert!(total.mean > node * 0.99 && total.mean < node + rare_max + 0.01, "{total:?}");
    // Against all on `fn` (about $126) and all on `vm` (two nodes, $146).
    let fns = p.comparisons.iter().find(|c| c.platform == "fn").unwrap();
    let vms = p.comparisons.iter().find(|c| c.platform == "vm").unwrap();
    assert!((fns.total.mean - 126.0).abs() < 5.0, "{:?}", fns.total);
    assert!((vms.total.mean - 2.0 * node).abs() < 2.0, "{:?}", vms.total);
    // The saving's interval is of the paired differences: it excludes zero.
    assert!(fns.saving.low() > 40.0 && vms.saving.low() > 60.0, "{:?} {:?}", fns.saving, vms.saving);
}

/// A serverless service alone gives exactly what it gives inside the stack: the same
/// requests, latencies and meters; and its part of the stack's bill is what pricing the
/// services' meters together gives.
#[test]
fn a_serverless_service_alone_is_what_it_is_in_the_stack() {
    let s = scenario(&format!("{HEAD}{SERVICES}{PLATFORMS}"));
    let whole = run(&s);
    for service in ["heavy", "rare"] {
        let i = s.services.iter().position(|l| l.name == service).unwrap();
        let alone = run(&s.placed(&[if i == 0 { 0 } else { 1 }, if i == 1 { 0 } else { 1 }], "alone"));
        let a = alone.platforms.iter().find(|p| p.platform == "fn").unwrap();
        assert_eq!(a.services.len(), 1);
        for (ra, rw) in a.replications.iter().zip(&whole.platforms[0].replications) {
            let (x, y) = (&ra.services[0], &rw.services[i]);
            assert_eq!(x.counters, y.counters, "{service}");
            assert_eq!(x.p99_ms.to_bits(), y.p99_ms.to_bits(), "{service}");
            assert_eq!(x.mean_instances.to_bits(), y.mean_instances.to_bits(), "{service}");
        }
    }
    // The evaluator prices the two lone services together exactly as the run does.
    let mut ev = Evaluator::new(&s, Some(2), None).unwrap();
    ev.prepare(&[vec![0, 0]]).unwrap();
    let evaluated = ev.evaluate(&[0, 0]);
    for (r, m) in whole.platforms[0].replications.iter().enumerate() {
        for model in CostModel::ALL {
            assert_eq!(evaluated.total(model)[r].to_bits(), m.cost.under(model).to_bits());
        }
    }
}

/// The plan, written as a scenario and run by the binary, gives in `services.csv` the
/// figures of `plan.csv`, byte for byte; and its total is never above the cheapest single
/// platform that meets every SLO.
#[test]
fn the_printed_plan_reruns_to_the_same_figures() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stack.toml");
    std::fs::write(&file, format!("name = \"two\"\n{HEAD}{SERVICES}{PLATFORMS}")).unwrap();
    let out = crossover(&["plan", file.to_str().unwrap(), "--out", "p", "--threads", "2"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(stdout.contains("only_services = [\"heavy\"]"), "{stdout}");
    let rerun =
        crossover(&["run", "p/plan-infrastructure.toml", "--out", "r", "--threads", "1", "-q"], dir.path());
    assert_eq!(rerun.status.code(), Some(0), "{}", common::stderr(&rerun));
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    // Byte-identical for any thread count.
    let one = crossover(&["plan", file.to_str().unwrap(), "--out", "p1", "--threads", "1", "-q"], dir.path());
    assert_eq!(one.status.code(), Some(0), "{}", common::stderr(&one));
    for f in [
        "plan.csv",
        "plan-comparison.csv",
        "plan-infrastructure.toml",
        "plan-tco.toml",
        "plan.svg",
        "report.html",
    ] {
        assert_eq!(read(&format!("p/{f}")), read(&format!("p1/{f}")), "{f}");
    }
    let (plan, services) = (read("p/plan.csv"), read("r/services.csv"));
    let header: Vec<&str> = services.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    for line in plan.lines().skip(1).filter(|l| l.starts_with("infrastructure,")) {
        let cells: Vec<&str> = line.split(',').collect();
        if cells[2] == "plan" {
            continue;
        }
        let row = services
            .lines()
            .map(|l| l.split(',').collect::<Vec<_>>())
            .find(|r| r[col("platform")] == cells[2] && r[col("service")] == cells[1])
            .unwrap_or_else(|| panic!("no row for {line}"));
        assert_eq!(cells[3], row[col("cost_month_usd")], "{line}");
        assert_eq!(cells[4], row[col("cost_month_ci95")], "{line}");
        assert_eq!(cells[5], row[col("p99_ms")], "{line}");
        assert_eq!(cells[6], row[col("p99_ms_ci95")], "{line}");
        assert_eq!(cells[8], row[col("meets_slo")], "{line}");
    }
    // The report shows the plan as a table and a chart.
    let html = read("p/report.html");
    assert!(html.contains("<svg") && html.contains("<table>") && html.contains("only_services"));
    // The plan's total against every single platform meeting the SLOs.
    let comparison = read("p/plan-comparison.csv");
    let rows: Vec<Vec<&str>> = comparison.lines().skip(1).map(|l| l.split(',').collect()).collect();
    for model in ["infrastructure", "overhead", "tco"] {
        let of: Vec<&Vec<&str>> = rows.iter().filter(|r| r[0] == model).collect();
        let plan_total: f64 = of.iter().find(|r| r[1] == "plan").unwrap()[2].parse().unwrap();
        for r in of.iter().filter(|r| r[1] != "plan" && r[4] == "0") {
            assert!(plan_total <= r[2].parse::<f64>().unwrap() + 1e-9, "{model}: {r:?}");
        }
    }
}

/// A platform that runs only some services is refused where the file is wrong, with
/// the line, the key and the names allowed.
#[test]
fn only_services_is_validated() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.toml");
    let text = format!("{HEAD}{SERVICES}{PLATFORMS}").replacen(
        "name = \"fn\"\n",
        "name = \"fn\"\nonly_services = [\"heavy\", \"rar\", \"heavy\"]\n",
        1,
    );
    std::fs::write(&file, text).unwrap();
    let out = crossover(&["validate", "bad.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    assert!(err.contains("platform[0].only_services[1]") && err.contains("did you mean \"rare\""), "{err}");
    assert!(err.contains("platform[0].only_services[2]") && err.contains("listed twice"), "{err}");
    assert!(err.contains("bad.toml:"), "{err}");
    let empty = format!("{HEAD}{SERVICES}{PLATFORMS}").replacen(
        "name = \"fn\"\n",
        "name = \"fn\"\nonly_services = []\n",
        1,
    );
    std::fs::write(&file, empty).unwrap();
    let out = crossover(&["validate", "bad.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("names no service"), "{}", common::stderr(&out));
    // plan refuses what it cannot place, with exit 2: a bad file, an unknown platform, a
    // hybrid.
    let out = crossover(&["plan", "bad.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    std::fs::write(&file, format!("{HEAD}{SERVICES}{PLATFORMS}")).unwrap();
    let out = crossover(&["plan", "bad.toml", "--platform", "vmm"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("did you mean `vm`"), "{}", common::stderr(&out));
    let hybrid = format!("{HEAD}{SERVICES}{PLATFORMS}").replacen(
        "name = \"vm\"\n",
        "name = \"vm\"\nspill = { to = \"fn\", threshold = 1.0 }\n",
        1,
    );
    std::fs::write(&file, hybrid).unwrap();
    let out = crossover(&["plan", "bad.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2), "{}", common::stderr(&out));
    assert!(common::stderr(&out).contains("spills to another platform"), "{}", common::stderr(&out));
}

/// A small stack of `n` services with the given traffic (requests/s) on three platforms:
/// per-request serverless, lifetime-billed containers with a fixed fee, and a node pool.
fn random_stack(rates: &[f64], cpus_ms: &[u32]) -> crossover_scenario::Scenario {
    let mut text = String::from("[simulation]\nhorizon = \"3h\"\nreplications = 2\nseed = 3\n");
    for (i, (rate, cpu)) in rates.iter().zip(cpus_ms).enumerate() {
        text += &format!(
            "[[service]]\nname = \"s{i}\"\ncpu = \"{cpu}ms\"\nslo_p99 = \"10s\"\ntraffic = {{ profile = \"constant\", rps = {rate} }}\n"
        );
    }
    text += r#"
[[platform]]
name = "fn"
autoscaler = { kind = "per-request", keep_alive = "5m" }
instance = { cpu = 1, memory = "1GiB", concurrency = 1, cold_start = "300ms" }
billing = { vcpu_second = 0.00005, idle_vcpu_second = 0.0, per_million_requests = 0.4, free_vcpu_seconds = 20000.0 }

[[platform]]
name = "tasks"
min_instances = 1
autoscaler = { kind = "fixed", instances = 1 }
instance = { cpu = 1, memory = "2GiB", concurrency = 100, cold_start = "0s" }
router = { kind = "load-balancer", policy = "least-outstanding", timeout = "0s" }
billing = { vcpu_second = 0.00001, gib_second = 0.000001, fixed_monthly = { "load balancer" = 16.0 } }

[[platform]]
name = "k8s"
autoscaler = { kind = "fixed", instances = 1 }
instance = { cpu = 1, memory = "2GiB", concurrency = 100, cold_start = "0s" }
router = { kind = "load-balancer", policy = "least-outstanding", timeout = "0s" }
billing = { control_plane_monthly = 30.0 }
[platform.nodes]
reserved = "none"
machines = [{ name = "n2", cpu = 2, memory = "8GiB", hourly = 0.05 }]
min = 0
max = 8
autoscaler = { kind = "cluster-autoscaler", provisioning = "30s" }
"#;
    scenario(&text)
}

/// The case the property test found: four one-pod services that fill two 2-vCPU nodes,
/// two of them cheaper on the per-request platform only when both leave (a node is freed
/// only when both its pods go), which single moves from "all on k8s" never reach.
#[test]
fn local_search_moves_two_services_that_free_a_node_together() {
    // And two services, on two platforms, worth a cluster's control plane only together.
    let cases: [(&[f64], &[u32]); 2] = [
        (&[7.314, 6.465, 1.261, 0.716], &[5, 11, 49, 82]),
        (&[11.04, 1.328, 18.304, 13.435], &[88, 5, 54, 5]),
    ];
    for (rates, cpus) in cases {
        let s = random_stack(rates, cpus);
        let mut ev = Evaluator::new(&s, Some(2), None).unwrap();
        for model in CostModel::ALL {
            let exhaustive = plan::search_with(&mut ev, model, u128::MAX).unwrap();
            let local = plan::search_with(&mut ev, model, 0).unwrap();
            assert_eq!(local.best.assignment, exhaustive.best.assignment, "{rates:?} {model:?}");
        }
    }
}

proptest! {
    // A fixed seed: the same stacks on every run (the search was also checked on 96
    // stacks from random seeds while pair moves were added; two counterexamples found on
    // the way are the regression test above).
    #![proptest_config(ProptestConfig { cases: 5, rng_algorithm: proptest::test_runner::RngAlgorithm::ChaCha, rng_seed: proptest::test_runner::RngSeed::Fixed(20261206), failure_persistence: None, ..ProptestConfig::default() })]

    /// Local search from the best single platform finds what exhaustive enumeration
    /// finds, on random stacks of three or four services.
    #[test]
    fn local_search_agrees_with_exhaustive_enumeration(
        services in proptest::collection::vec((0.001f64..20.0, 5u32..120), 3..=4)
    ) {
        let rates: Vec<f64> = services.iter().map(|s| (s.0 * 1000.0).round() / 1000.0).collect();
        let cpus: Vec<u32> = services.iter().map(|s| s.1).collect();
        let s = random_stack(&rates, &cpus);
        let mut ev = Evaluator::new(&s, Some(2), None).unwrap();
        for model in CostModel::ALL {
            let exhaustive = plan::search_with(&mut ev, model, u128::MAX).unwrap();
            let local = plan::search_with(&mut ev, model, 0).unwrap();
            let is_local = matches!(local.search, Search::Local { .. });
            prop_assert!(is_local);
            prop_assert_eq!(&local.best.assignment, &exhaustive.best.assignment, "{:?} {:?}", rates, cpus);
        }
    }
}

/// Every shipped scenario still validates with the key, and the README documents the
/// plan's columns.
#[test]
fn the_readme_documents_the_plan_columns() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for column in crossover_report::PLAN_COLUMNS.iter().chain(crossover_report::PLAN_COMPARISON_COLUMNS) {
        assert!(readme.contains(&format!("`{column}`")), "README.md does not document the column `{column}`");
    }
}

/// With a commitment on both platforms, the plan's total is what running its scenario
/// bills: a serverless platform's commitment is priced over its services' hours together
/// (each simulated alone), a cluster's over the subset's own run.
#[test]
fn a_plan_with_commitments_reruns_to_its_total() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("stack.toml");
    let committed = PLATFORMS
        .replace(
            "billing = { vcpu_second = 0.000024, idle_vcpu_second = 0.0, rounding = \"1ms\" }",
            "billing = { vcpu_second = 0.000024, idle_vcpu_second = 0.0, rounding = \"1ms\", \
             commitment = { kind = \"flex\", term = \"1y\", discount = 0.3 } }",
        )
        .replace(
            "[platform.nodes]",
            "billing.commitment = { kind = \"ri\", term = \"3y\", discount = 0.5 }\n[platform.nodes]",
        );
    assert_ne!(committed, PLATFORMS);
    std::fs::write(&file, format!("name = \"two\"\n{HEAD}{SERVICES}{committed}")).unwrap();
    let out = crossover(&["plan", file.to_str().unwrap(), "--out", "p", "-q"], dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let read = |p: &str| std::fs::read_to_string(dir.path().join(p)).unwrap();
    let comparison = read("p/plan-comparison.csv");
    let plan_total: f64 = comparison
        .lines()
        .map(|l| l.split(',').collect::<Vec<_>>())
        .find(|r| r[0] == "infrastructure" && r[1] == "plan")
        .unwrap()[2]
        .parse()
        .unwrap();
    let rerun = crossover(&["run", "p/plan-infrastructure.toml", "--out", "r", "-q"], dir.path());
    assert_eq!(rerun.status.code(), Some(0), "{}", common::stderr(&rerun));
    let summary = read("r/summary.csv");
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = summary.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let total: f64 = rows.iter().map(|r| r[col("cost_month_usd")].parse::<f64>().unwrap()).sum();
    assert!((total - plan_total).abs() < 1e-3, "plan {plan_total} vs run {total}");
    // Some platform of the plan paid a commitment.
    assert!(rows.iter().any(|r| r[col("cost_commitment_usd")].parse::<f64>().unwrap() > 0.0), "{summary}");
}

/// A commitment on a serverless platform covers its services' hours together: the
/// evaluator, pricing the two lone services' meters and hours, bills what a run of the
/// stack bills, and the commitment is worth something there (the heavy service uses
/// the platform around the clock).
#[test]
fn a_serverless_commitment_covers_the_services_together() {
    let committed = PLATFORMS.replace(
        "billing = { vcpu_second = 0.000024, idle_vcpu_second = 0.0, rounding = \"1ms\" }",
        "billing = { vcpu_second = 0.000024, idle_vcpu_second = 0.0, rounding = \"1ms\", \
         commitment = { kind = \"flex\", term = \"1y\", discount = 0.3 } }",
    );
    let s = scenario(&format!("{HEAD}{SERVICES}{committed}"));
    let whole = run(&s);
    let mut ev = Evaluator::new(&s, Some(2), None).unwrap();
    ev.prepare(&[vec![0, 0]]).unwrap();
    let evaluated = ev.evaluate(&[0, 0]);
    for (r, m) in whole.platforms[0].replications.iter().enumerate() {
        assert!(m.cost.commitment > 0.0 && m.commitment.unwrap().saving() > 0.0);
        let x = evaluated.total(CostModel::Infrastructure)[r];
        let y = m.cost.infrastructure();
        assert!((x - y).abs() < 1e-9 * y, "replication {r}: evaluator {x} vs run {y}");
    }
}
