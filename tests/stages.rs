//! The stage crossover (`[[stage]]`, `crossover plan` on a file with stages): a
//! constructed two-stage stack whose answer is worked out by hand, TCO re-priced with
//! other operations people equal to a scenario that says so, the located errors, and the
//! README documenting the files' columns.

mod common;

use common::{crossover, scenario};
use crossover_platform::CostModel;
use crossover_runner::plan::{self, Evaluator, Scope, EXHAUSTIVE_LIMIT};
use crossover_runner::stages::{plan_stages, Capacity, Class, Pricing, StageOptions};
use std::path::Path;

/// placement.toml's stack (tests/plan.rs): `heavy`, 40 requests/s of 50 ms CPU (2 vCPU
/// busy), and `rare`, one request every 100 s; `fn` bills $0.000024 per vCPU-second
/// while serving, `vm` puts each service's 3-vCPU pod on a 4-vCPU node of its own at
/// $73 a month. Two stages: `small` at a tenth of the traffic, `big` at all of it.
const STACK: &str = r#"
[simulation]
horizon = "1d"
replications = 3
seed = 5

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
billing = { ops_fte = 1.0, ops_loaded_salary = 120000.0 }
[platform.nodes]
reserved = "none"
machines = [{ name = "n4", cpu = 4, memory = "16GiB", hourly = 0.1 }]
min = 0
max = 4
autoscaler = { kind = "cluster-autoscaler", provisioning = "30s" }

[[stage]]
name = "small"
scale = 0.1

[[stage]]
name = "big"
"#;

/// By hand: at `small`, `heavy` is 0.2 vCPU busy: 0.2 x 2,628,000 s x $0.000024 = $12.6 a
/// month on `fn` against a $73 node, so every service is serverless; at `big` it is $126
/// against $73, so `heavy` goes to `vm` and `rare` stays on `fn` (one of two services on
/// Kubernetes: a mix). The all-serverless bill minus the best bill with Kubernetes is
/// heavy's `fn` cost minus the node, linear in the compute spend (the all-serverless
/// infrastructure bill, heavy's plus rare's cents), so it crosses zero where that spend
/// is a node plus rare's cents: about $73.
#[test]
fn a_growing_steady_service_flips_to_kubernetes_where_its_bill_passes_a_node() {
    let s = scenario(STACK);
    assert_eq!(s.stages.len(), 2);
    let opts = StageOptions { threads: Some(2), progress: None, kubernetes_fte: vec![0.25] };
    let result = plan_stages(&s, &opts).unwrap();
    let infra = Pricing { model: CostModel::Infrastructure, kubernetes_fte: None };
    for capacity in Capacity::ALL {
        let series = result.series(capacity, infra);
        assert_eq!(series.len(), 2);
        let (small, big) = (series[0], series[1]);
        assert_eq!(small.class(), Class::AllServerless);
        assert_eq!(small.placements, vec![("heavy".into(), "fn".into()), ("rare".into(), "fn".into())]);
        assert_eq!(big.class(), Class::Mix);
        assert_eq!(big.placements, vec![("heavy".into(), "vm".into()), ("rare".into(), "fn".into())]);
        let mean = |xs: &[f64]| xs.iter().sum::<f64>() / xs.len() as f64;
        // Compute spend: heavy's fn bill at a tenth and at all of its traffic.
        assert!((small.compute.mean - 12.6).abs() < 0.5, "{:?}", small.compute);
        assert!((big.compute.mean - 126.1).abs() < 2.0, "{:?}", big.compute);
        assert!(mean(&small.difference) < -55.0 && mean(&big.difference) > 48.0);
    }
    // No Spot and no commitment here, so the four capacities agree. One crossover per
    // capacity under the infrastructure model, at a node's $73 (plus
    // rare's cents; less the node's first 30 s of provisioning), inside its interval.
    let found: Vec<_> = result.crossovers.iter().filter(|c| c.pricing == infra).collect();
    assert_eq!(found.len(), 4, "{found:?}");
    for c in found {
        assert_eq!(c.lower, 0);
        assert!(c.kubernetes_above);
        assert!((c.compute - 73.0).abs() < 1.5, "{c:?}");
        let (lo, hi) = c.ci.unwrap();
        assert!(lo <= c.compute && c.compute <= hi && hi - lo < 10.0, "{c:?}");
        assert_eq!(c.replications, 3);
    }
    // Under TCO the node brings a whole engineer ($10,000 a month): never worth it here.
    let tco = result.series(Capacity::OnDemand, Pricing { model: CostModel::Tco, kubernetes_fte: None });
    assert!(tco.iter().all(|r| r.class() == Class::AllServerless));
    // The files: one row per stage, capacity and pricing (3 models + 1 FTE level).
    let csv = String::from_utf8(crossover_report::stages_csv(&result)).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 4 * 4);
    let crossings = String::from_utf8(crossover_report::stage_crossovers_csv(&result)).unwrap();
    assert!(crossings
        .lines()
        .nth(1)
        .unwrap()
        .starts_with("on-demand,infrastructure,,small,big,all-serverless,mix,kubernetes,"));
}

/// A capacity that leaves a service without a platform has no rows at that stage: here
/// `heavy` runs only on Spot nodes, so only the Spot capacities plan.
#[test]
fn a_capacity_without_a_platform_for_a_service_is_left_out() {
    let text = STACK
        .replacen("name = \"fn\"\n", "name = \"fn\"\nonly_services = [\"rare\"]\n", 1)
        .replacen(
            "autoscaler = { kind = \"cluster-autoscaler\", provisioning = \"30s\" }\n",
            "autoscaler = { kind = \"cluster-autoscaler\", provisioning = \"30s\" }\ninterruptions = { rate_per_hour = 0.00001, warning = \"2m\" }\n",
            1,
        );
    let s = scenario(&text);
    let opts = StageOptions { threads: Some(2), progress: None, kubernetes_fte: Vec::new() };
    let result = plan_stages(&s, &opts).unwrap();
    let capacities: std::collections::BTreeSet<Capacity> = result.rows.iter().map(|r| r.capacity).collect();
    assert_eq!(capacities.into_iter().collect::<Vec<_>>(), vec![Capacity::WithSpot, Capacity::WithBoth]);
    assert!(result.rows.iter().all(|r| r.serverless.is_none() && r.class() == Class::Mix));
    assert!(result.crossovers.is_empty());
}

/// The files are the same for any thread count.
#[test]
fn the_stage_files_are_the_same_for_any_thread_count() {
    let s = scenario(STACK);
    let files = |threads| {
        let opts = StageOptions { threads: Some(threads), progress: None, kubernetes_fte: vec![0.5] };
        let r = plan_stages(&s, &opts).unwrap();
        (
            crossover_report::stages_csv(&r),
            crossover_report::stage_crossovers_csv(&r),
            crossover_report::stages_svg(&r),
        )
    };
    assert_eq!(files(1), files(2));
}

/// TCO re-priced at another `ops_fte` for the Kubernetes platforms equals the TCO of the
/// scenario that says that `ops_fte`, assignment by assignment.
#[test]
fn repriced_people_equal_a_scenario_with_those_people() {
    let s = scenario(STACK).stage(1);
    let mut ev = Evaluator::new(&s, Some(2), None).unwrap();
    ev.set_kubernetes_fte(Some(0.25));
    let text = STACK.replace("ops_fte = 1.0", "ops_fte = 0.25");
    let quarter = scenario(&text).stage(1);
    let mut other = Evaluator::new(&quarter, Some(2), None).unwrap();
    for a in [vec![0, 0], vec![1, 0], vec![0, 1], vec![1, 1]] {
        ev.prepare(std::slice::from_ref(&a)).unwrap();
        other.prepare(std::slice::from_ref(&a)).unwrap();
        let (x, y) = (ev.evaluate(&a), other.evaluate(&a));
        assert_eq!(x.total(CostModel::Tco), y.total(CostModel::Tco), "{a:?}");
        assert_eq!(x.total(CostModel::Overhead), y.total(CostModel::Overhead), "{a:?}");
    }
    // A scope keeps a search to its half: all-serverless is every service on `fn`.
    ev.set_scope(Scope { allowed: Vec::new(), kubernetes: Some(false) });
    let p = plan::search_scoped(&mut ev, CostModel::Infrastructure, EXHAUSTIVE_LIMIT).unwrap().unwrap();
    assert_eq!(p.best.assignment, vec![0, 0]);
    ev.set_scope(Scope { allowed: vec![true, false], kubernetes: Some(true) });
    assert!(plan::search_scoped(&mut ev, CostModel::Infrastructure, EXHAUSTIVE_LIMIT).unwrap().is_none());
}

/// A stage keeps its services, scales their traffic, and narrows the platforms.
#[test]
fn a_stage_is_the_file_with_its_services_scaled() {
    let text = STACK
        .replace("name = \"small\"\nscale = 0.1", "name = \"small\"\nscale = 0.1\nservices = [\"rare\"]");
    let s = scenario(&text);
    let small = s.stage(0);
    assert_eq!(small.name, "test-small");
    assert_eq!(small.services.len(), 1);
    assert_eq!(small.services[0].name, "rare");
    assert!(small.stages.is_empty());
    assert_eq!(small.platforms.len(), 2);
    assert!(small.platforms.iter().all(|p| p.services.len() == 1 && p.only.is_none()));
    // Its resolved file says the same: run again, it is the same scenario.
    let again = crossover_scenario::parse(&small.resolved_toml("test"), "again.toml", "again").unwrap();
    assert_eq!(again.services.len(), 1);
    assert_eq!(again.file.service.as_slice()[0].traffic.as_ref().unwrap().share, Some(0.1));
    let r1 = common::run(&small);
    let r2 = common::run(&again);
    let bills = |r: &crossover_runner::RunResult| -> Vec<f64> {
        r.platforms.iter().flat_map(|p| p.replications.iter().map(|x| x.cost.tco())).collect()
    };
    assert_eq!(bills(&r1), bills(&r2));
}

/// Stage keys are checked, each error at its key with exit 2.
#[test]
fn bad_stages_are_located_errors() {
    let dir = tempfile::tempdir().unwrap();
    let bad = STACK.replace("name = \"big\"", "name = \"small\"\nscale = 0.0\nservices = [\"hevy\"]");
    std::fs::write(dir.path().join("bad.toml"), &bad).unwrap();
    let out = crossover(&["validate", "bad.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = common::stderr(&out);
    for expected in
        ["stage[1].name", "is used twice", "stage[1].scale", "stage[1].services[0]", "did you mean \"heavy\""]
    {
        assert!(err.contains(expected), "{expected}: {err}");
    }
    let unknown = STACK.replace("name = \"big\"", "name = \"big\"\nscal = 2.0");
    std::fs::write(dir.path().join("bad.toml"), unknown).unwrap();
    let out = crossover(&["validate", "bad.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("scale"), "{}", common::stderr(&out));
    // --kubernetes-fte needs stages.
    let plain = STACK.split("[[stage]]").next().unwrap();
    std::fs::write(dir.path().join("plain.toml"), plain).unwrap();
    let out = crossover(&["plan", "plain.toml", "--kubernetes-fte", "0.5"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("has no [[stage]]"), "{}", common::stderr(&out));
}

/// The README documents the stage sweep's columns.
#[test]
fn the_readme_documents_the_stage_columns() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for column in crossover_report::STAGES_COLUMNS.iter().chain(crossover_report::STAGE_CROSSOVERS_COLUMNS) {
        assert!(readme.contains(&format!("`{column}`")), "README.md does not document the column `{column}`");
    }
}
