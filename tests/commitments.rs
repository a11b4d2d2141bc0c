//! Commitments (Savings Plans, committed use discounts) at the boundary: what a run
//! bills with one, against hand arithmetic and against every other level, and what a
//! scenario may say.

mod common;

use common::{crossover, run, scenario, stderr};
use crossover_platform::{CostModel, Term};
use crossover_runner::RunResult;

/// A service on Fargate at a fixed two tasks (lifetime billed: a flat hourly usage),
/// and on EKS with its diurnal traffic, with `extra` appended (a commitment).
fn fixed_fleet(extra: &str) -> String {
    format!(
        r#"
name = "commit"
[simulation]
horizon = "1d"
replications = 2
[traffic]
profile = "diurnal"
trough_rps = 2
peak_rps = 40
[service]
cpu = "20ms"
[[platform]]
name = "fargate"
preset = "fargate"
min_instances = 2
max_instances = 2
{extra}
"#
    )
}

fn platform<'a>(r: &'a RunResult, name: &str) -> &'a crossover_runner::PlatformSummary {
    r.platforms.iter().find(|p| p.platform == name).expect("the platform ran")
}

#[test]
fn a_flat_usage_is_covered_whole_at_the_discounted_price() {
    let plain = run(&scenario(&fixed_fleet("")));
    let committed = run(&scenario(&fixed_fleet(
        r#"billing.commitment = { kind = "compute-savings-plan", term = "1y", level = "auto" }"#,
    )));
    let (a, b) = (platform(&plain, "fargate"), platform(&committed, "fargate"));
    for (x, y) in a.replications.iter().zip(&b.replications) {
        // Same requests, same fleet: a commitment changes the bill, not the simulation.
        assert_eq!(x.counters, y.counters);
        assert_eq!(x.p99_ms, y.p99_ms);
        // Two tasks all day: every hour uses the same vCPU and memory, so "auto" commits
        // to all of it, pays 80% of it (Fargate's 1-year rate: 20% off) and leaves
        // nothing on demand.
        let eligible = x.cost.cpu + x.cost.memory + x.cost.idle;
        let c = y.commitment.expect("the platform has a commitment");
        assert!(
            (y.cost.commitment - 0.8 * eligible).abs() < 1e-6,
            "{} vs {}",
            y.cost.commitment,
            0.8 * eligible
        );
        assert!(y.cost.cpu.abs() < 1e-6 && y.cost.memory.abs() < 1e-6, "{:?}", y.cost);
        assert!((c.saving() - 0.2 * eligible).abs() < 1e-6);
        assert!((c.utilisation - 1.0).abs() < 1e-9);
        // The level is the on-demand hourly rate at 80%: 2 tasks of 1 vCPU and 2 GiB.
        let hourly = eligible / 730.0;
        assert!((c.level - 0.8 * hourly).abs() < 1e-9, "{} vs {}", c.level, 0.8 * hourly);
        // What is not eligible is billed as before.
        assert_eq!(x.cost.requests, y.cost.requests);
        assert_eq!(x.cost.egress, y.cost.egress);
        assert!((x.cost.infrastructure() - y.cost.infrastructure() - c.saving()).abs() < 1e-6);
    }
}

/// EKS with diurnal traffic: nodes come and go with the day.
fn diurnal_eks(level: &str) -> String {
    format!(
        r#"
name = "commit-grid"
[simulation]
horizon = "1d"
replications = 2
[traffic]
profile = "diurnal"
trough_rps = 5
peak_rps = 150
[service]
cpu = "40ms"
[[platform]]
name = "eks"
preset = "eks"
min_instances = 1
billing.commitment = {{ kind = "ec2-instance-savings-plan", term = "3y", level = {level} }}
"#
    )
}

#[test]
fn auto_is_never_above_any_other_level() {
    let auto = run(&scenario(&diurnal_eks("\"auto\"")));
    let best = platform(&auto, "eks");
    let levels: Vec<f64> = best.replications.iter().map(|r| r.commitment.unwrap().level).collect();
    let top = levels.iter().cloned().fold(0.0, f64::max);
    assert!(top > 0.0, "some nodes run all day, so some commitment pays");
    // The same simulation priced at levels from none to well above the best.
    for k in 0..=8 {
        let level = top * k as f64 / 4.0;
        let other = run(&scenario(&diurnal_eks(&format!("{level}"))));
        for (a, b) in best.replications.iter().zip(&platform(&other, "eks").replications) {
            let (x, y) = (a.cost.infrastructure(), b.cost.infrastructure());
            assert!(x <= y + 1e-6, "auto ${x:.4} > ${y:.4} at {level} USD/h");
            assert_eq!(a.counters, b.counters);
        }
    }
}

#[test]
fn an_unused_commitment_is_paid() {
    // Far above what the nodes cost: the fee is paid whole and most of it is wasted.
    let r = run(&scenario(&diurnal_eks("50.0")));
    for m in &platform(&r, "eks").replications {
        let c = m.commitment.unwrap();
        assert!((m.cost.commitment - 50.0 * 730.0).abs() < 1e-6, "{}", m.cost.commitment);
        assert!(m.cost.nodes.abs() < 1e-9, "every node-hour is covered");
        assert!(c.utilisation < 0.1 && c.saving() < 0.0);
        assert!(m.cost.under(CostModel::Infrastructure) > 50.0 * 730.0);
    }
}

#[test]
fn the_files_show_the_commitment() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.toml");
    std::fs::write(&path, diurnal_eks("\"auto\"")).unwrap();
    let out = crossover(&["run", "c.toml", "--out", "out", "-q"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    let csv = std::fs::read_to_string(dir.path().join("out/commitments.csv")).unwrap();
    let mut lines = csv.lines();
    assert!(lines.next().unwrap().starts_with("platform,kind,term,discount,level_usd_per_hour"));
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    assert_eq!(&row[..4], ["eks", "ec2-instance-savings-plan", Term::ThreeYears.name(), "0.6000"]);
    let summary = std::fs::read_to_string(dir.path().join("out/summary.csv")).unwrap();
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let fee = header.iter().position(|c| *c == "cost_commitment_usd").unwrap();
    let value: f64 = summary.lines().nth(1).unwrap().split(',').nth(fee).unwrap().parse().unwrap();
    assert!(value > 0.0);
    let report = std::fs::read_to_string(dir.path().join("out/report.html")).unwrap();
    assert!(report.contains("Commitments"), "the report has a commitments section");
    // Without a commitment there is no commitments.csv.
    std::fs::write(&path, fixed_fleet("")).unwrap();
    let out = crossover(&["run", "c.toml", "--out", "plain", "-q"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(!dir.path().join("plain/commitments.csv").exists());
}

#[test]
fn bad_commitments_are_refused_with_what_is_allowed() {
    let cases = [
        (
            r#"billing.commitment = { kind = "flexible-cud", term = "1y" }"#,
            "fargate sells compute-savings-plan",
        ),
        (
            r#"billing.commitment = { kind = "compute-savings-plan", term = "2y" }"#,
            "must be \"1y\" or \"3y\"",
        ),
        (
            r#"billing.commitment = { kind = "compute-savings-plan", term = "1y", level = "max" }"#,
            "must be \"auto\"",
        ),
        (
            r#"billing.commitment = { kind = "compute-savings-plan", term = "1y", level = -1 }"#,
            "must be between 0",
        ),
        (
            r#"billing.commitment = { kind = "compute-savings-plan", term = "1y", discount = 1.5 }"#,
            "must be between 0 and 0.9",
        ),
    ];
    let dir = tempfile::tempdir().unwrap();
    for (line, expected) in cases {
        std::fs::write(dir.path().join("c.toml"), fixed_fleet(line)).unwrap();
        let out = crossover(&["validate", "c.toml"], dir.path());
        assert_eq!(out.status.code(), Some(2), "{line}");
        let err = stderr(&out);
        assert!(err.contains(expected), "{line}: {err}");
        assert!(err.contains("billing.commitment"), "located at the key: {err}");
    }
    // Spot sells none; Cloud Run's request-based rate has no 3-year figure.
    let spot = fixed_fleet("").replace("preset = \"fargate\"", "preset = \"fargate-spot\"")
        + "billing.commitment = { kind = \"compute-savings-plan\", term = \"1y\" }\n";
    std::fs::write(dir.path().join("c.toml"), spot).unwrap();
    let err = stderr(&crossover(&["validate", "c.toml"], dir.path()));
    assert!(err.contains("lists no commitment programme"), "{err}");
    let run3 = fixed_fleet("").replace("preset = \"fargate\"", "preset = \"cloud-run\"")
        + "billing.commitment = { kind = \"flexible-cud\", term = \"3y\" }\n";
    std::fs::write(dir.path().join("c.toml"), run3).unwrap();
    let err = stderr(&crossover(&["validate", "c.toml"], dir.path()));
    assert!(err.contains("lists no 3y rate for flexible-cud"), "{err}");
    // Any programme with its own discount is accepted.
    let own = fixed_fleet("").replace("preset = \"fargate\"", "preset = \"container-apps\"")
        + "billing.commitment = { kind = \"azure-savings-plan\", term = \"1y\", discount = 0.15 }\n";
    std::fs::write(dir.path().join("c.toml"), own).unwrap();
    let out = crossover(&["validate", "c.toml"], dir.path());
    assert!(out.status.success(), "{}", stderr(&out));
}
