//! Stacks at the boundaries: several services on one platform, through the scenario
//! format and the runner. What sharing a cluster saves, what a one-service stack must
//! not change, and that every service is conserved and the bill splits exactly.

mod common;

use common::{run, scenario};
use crossover_runner::RunResult;

/// A diurnal service peaking at `peak_hour`, busy for the 12 hours around it: 1 to 30
/// requests/s of 60 ms CPU work.
fn service(name: &str, peak_hour: f64) -> String {
    let (open, close) = ((peak_hour + 18.0) % 24.0, (peak_hour + 6.0) % 24.0);
    format!(
        r#"[[service]]
        name = "{name}"
        cpu = "60ms"
        traffic = {{ profile = "diurnal", trough_rps = 1.0, peak_rps = 30.0, peak_hour = {peak_hour}, business_hours = [{open}, {close}], weekend_factor = 1.0 }}
        "#
    )
}

const HEAD: &str = r#"
[simulation]
horizon = "2d"
replications = 3
seed = 11
"#;

/// EKS with half-vCPU pods, at least one per service: a service alone keeps a node
/// that its pods mostly leave empty.
const EKS: &str = r#"
[[platform]]
name = "eks"
preset = "eks"
min_instances = 1
instance = { cpu = 0.5, memory = "1GiB" }
"#;

fn cost(r: &RunResult, platform: usize) -> crossover_engine::MeanCi {
    r.platforms[platform].cost_month()
}

/// Two services whose peaks are 12 hours apart on one EKS cluster cost less than each on
/// a cluster of its own: by one control plane (and its load balancer, NAT and
/// observability, paid once) and by nodes, since one service's trough leaves room for
/// the other's peak.
#[test]
fn one_cluster_for_two_services_costs_less_than_two_clusters() {
    let both = run(&scenario(&format!("{HEAD}{}{}{EKS}", service("day", 14.0), service("night", 2.0))));
    let day = run(&scenario(&format!("{HEAD}{}{EKS}", service("day", 14.0))));
    let night = run(&scenario(&format!("{HEAD}{}{EKS}", service("night", 2.0))));
    let (b, d, n) = (cost(&both, 0), cost(&day, 0), cost(&night, 0));
    let apart = d.mean + n.mean;
    let control_plane = 73.0;
    assert!(b.mean + control_plane < apart, "one cluster ${:.0} vs two ${apart:.0}", b.mean);
    // Nodes: the shared cluster needs fewer node-hours than the two apart, by more than
    // the replications' noise (95% intervals).
    let nodes = |r: &RunResult| {
        let xs: Vec<f64> = r.platforms[0].replications.iter().map(|m| m.cost.nodes).collect();
        crossover_engine::mean_ci95(&xs)
    };
    let (bn, dn, nn) = (nodes(&both), nodes(&day), nodes(&night));
    let saved = dn.mean + nn.mean - bn.mean;
    assert!(
        saved > bn.half_width + dn.half_width + nn.half_width,
        "nodes saved ${saved:.1}: {bn:?} {dn:?} {nn:?}"
    );
    // Each service's requests are the same in both runs (streams keyed by name).
    let requests = |r: &RunResult, s: usize| r.platforms[0].replications[0].services[s].counters.arrived;
    assert_eq!(requests(&both, 0), requests(&day, 0));
    assert_eq!(requests(&both, 1), requests(&night, 0));
}

/// A one-service stack written with `[[service]]` gives exactly the numbers of the same
/// scenario in the `[service]` form.
#[test]
fn a_one_service_stack_is_the_single_service_form() {
    let platforms = r#"
        [[platform]]
        name = "cloud-run"
        preset = "cloud-run"
        [[platform]]
        name = "eks"
        preset = "eks"
        [[platform]]
        name = "hybrid"
        preset = "eks"
        spill = { to = "cloud-run" }
    "#;
    let traffic = r#"profile = "diurnal"
        trough_rps = 1.0
        peak_rps = 20.0"#;
    let single = format!("{HEAD}[traffic]\n{traffic}\n[service]\ncpu = \"40ms\"\nio = \"10ms\"\n{platforms}");
    let stack = format!(
        "{HEAD}[[service]]\nname = \"service\"\ncpu = \"40ms\"\nio = \"10ms\"\n[service.traffic]\n{traffic}\n{platforms}"
    );
    let (a, b) = (run(&scenario(&single)), run(&scenario(&stack)));
    for (p, q) in a.platforms.iter().zip(&b.platforms) {
        assert_eq!(p.replications, q.replications, "{}", p.platform);
        assert_eq!(p.latency.quantile_ms(0.99), q.latency.quantile_ms(0.99));
    }
}

/// Every service of every replication is conserved, and the services' shares of the bill
/// plus the shared part are the bill, on serverless, on a cluster and on a hybrid whose
/// services spill to two different platforms.
#[test]
fn every_service_is_conserved_and_the_bill_splits_exactly() {
    let s = scenario(&format!(
        r#"{HEAD}
        {}{}
        [[service]]
        name = "admin"
        cpu = "200ms"
        traffic = {{ profile = "constant", rps = 0.2 }}
        [[platform]]
        name = "cloud-run"
        preset = "cloud-run"
        [[platform]]
        name = "fargate"
        preset = "fargate"
        [[platform]]
        name = "karpenter"
        preset = "eks-karpenter"
        [platform.services.admin]
        instance = {{ cpu = 0.5, memory = "1GiB" }}
        [[platform]]
        name = "gke"
        preset = "gke-standard"
        [platform.services.day]
        spill = {{ to = "cloud-run" }}
        [platform.services.night]
        spill = {{ to = "fargate", threshold = 0.5 }}
        "#,
        service("day", 14.0),
        service("night", 2.0)
    ));
    let r = run(&s);
    for p in &r.platforms {
        for m in &p.replications {
            assert_eq!(m.services.len(), 3, "{}", p.platform);
            let mut split = m.shared_cost;
            for (name, service) in ["day", "night", "admin"].iter().zip(&m.services) {
                assert!(service.counters.is_conserved(), "{} {name}: {:?}", p.platform, service.counters);
                split = split.plus(&service.cost);
            }
            for model in crossover_platform::CostModel::ALL {
                let (a, b) = (split.under(model), m.cost.under(model));
                assert!((a - b).abs() < 1e-6 * b.max(1.0), "{} {model:?}: split {a} vs bill {b}", p.platform);
            }
            let arrived: u64 = m.services.iter().map(|s| s.counters.arrived).sum();
            assert_eq!(arrived, m.counters.arrived, "{}", p.platform);
        }
    }
}
