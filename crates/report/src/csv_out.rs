//! `summary.csv` (one row per platform: the stack's totals), `services.csv` (one row
//! per platform and service, and the stack's total split into the services' allocated
//! costs, the nodes' idle capacity and the shared bill) and `replications.csv` (one row
//! per replication and platform). Column meanings are documented in the README.

use crossover_engine::SimDuration;
use crossover_platform::{CostBreakdown, CostModel, HOURS_PER_MONTH};
use crossover_runner::{JobSummary, PlatformSummary, ReplicationMetrics, RunResult};

pub const SUMMARY_COLUMNS: &[&str] = &[
    "platform",
    "replications",
    "cost_month_usd",
    "cost_month_ci95",
    "cost_overhead_month_usd",
    "cost_tco_month_usd",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "p999_ms",
    "p99_ms_ci95",
    "requests",
    "completed",
    "rejected",
    "timed_out",
    "cold_starts",
    "cold_start_fraction",
    "mean_instances",
    "peak_instances",
    "in_flight",
    "mean_latency_ms",
    "utilization",
    "mean_nodes",
    "peak_nodes",
    "cost_cpu_usd",
    "cost_memory_usd",
    "cost_gpu_usd",
    "cost_idle_usd",
    "cost_requests_usd",
    "cost_egress_usd",
    "cost_stopped_usd",
    "cost_nodes_usd",
    "cost_control_plane_usd",
    "cost_fixed_usd",
    "cost_load_balancer_usd",
    "cost_nat_usd",
    "cost_observability_usd",
    "cost_people_usd",
    "spilled",
    "spilled_fraction",
    "overflow_cost_month_usd",
    "base_p99_ms",
    "overflow_p99_ms",
    "interruptions",
    "services",
    "services_meeting_slo",
    "worst_slo_ratio",
    "queue_full",
    "cost_commitment_usd",
];

/// The service name of each platform's stack-total row in `services.csv` (no service
/// may be named so).
pub const ALL_SERVICES: &str = "all";

pub const SERVICES_COLUMNS: &[&str] = &[
    "platform",
    "service",
    "kind",
    "replications",
    "cost_month_usd",
    "cost_month_ci95",
    "cost_overhead_month_usd",
    "cost_tco_month_usd",
    "cost_share",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "p999_ms",
    "p99_ms_ci95",
    "slo_p99_ms",
    "slo_ratio",
    "meets_slo",
    "requests",
    "completed",
    "rejected",
    "timed_out",
    "in_flight",
    "cold_starts",
    "cold_start_fraction",
    "mean_instances",
    "peak_instances",
    "mean_latency_ms",
    "utilization",
    "cost_cpu_usd",
    "cost_memory_usd",
    "cost_gpu_usd",
    "cost_idle_usd",
    "cost_requests_usd",
    "cost_egress_usd",
    "cost_stopped_usd",
    "cost_nodes_usd",
    "cost_control_plane_usd",
    "cost_fixed_usd",
    "cost_load_balancer_usd",
    "cost_nat_usd",
    "cost_observability_usd",
    "cost_people_usd",
    "idle_month_usd",
    "shared_month_usd",
    "shared_overhead_month_usd",
    "shared_tco_month_usd",
    "queue_full",
    "peak_backlog",
    "mean_backlog",
    "runs",
    "skipped_runs",
    "missed_deadlines",
    "makespan_p50_s",
    "makespan_p99_s",
    "cost_per_run_usd",
    "cost_commitment_usd",
];

pub const REPLICATIONS_COLUMNS: &[&str] = &[
    "replication",
    "seed",
    "platform",
    "cost_month_usd",
    "cost_overhead_month_usd",
    "cost_tco_month_usd",
    "p50_ms",
    "p90_ms",
    "p99_ms",
    "p999_ms",
    "requests",
    "completed",
    "rejected",
    "timed_out",
    "cold_starts",
    "cold_start_fraction",
    "mean_instances",
    "peak_instances",
    "in_flight",
    "mean_latency_ms",
    "utilization",
    "mean_nodes",
    "peak_nodes",
    "cost_cpu_usd",
    "cost_memory_usd",
    "cost_gpu_usd",
    "cost_idle_usd",
    "cost_requests_usd",
    "cost_egress_usd",
    "cost_stopped_usd",
    "cost_nodes_usd",
    "cost_control_plane_usd",
    "cost_fixed_usd",
    "cost_load_balancer_usd",
    "cost_nat_usd",
    "cost_observability_usd",
    "cost_people_usd",
    "spilled",
    "spilled_fraction",
    "overflow_cost_month_usd",
    "base_p99_ms",
    "overflow_p99_ms",
    "interruptions",
    "queue_full",
    "cost_commitment_usd",
];

// Adding 0.0 turns -0.0 (e.g. an empty float sum) into 0.0, so no "-0.0000" cells.
pub(crate) fn usd(x: f64) -> String {
    format!("{:.4}", x + 0.0)
}
pub(crate) fn ms(x: f64) -> String {
    format!("{:.3}", x + 0.0)
}
pub(crate) fn frac(x: f64) -> String {
    format!("{:.6}", x + 0.0)
}

pub(crate) fn summary_row(p: &PlatformSummary) -> Vec<String> {
    let cost = p.cost_month();
    let b = p.cost_breakdown();
    let t = p.totals();
    let q = |x| ms(p.latency.quantile_ms(x));
    vec![
        p.platform.clone(),
        p.replications.len().to_string(),
        usd(cost.mean),
        usd(cost.half_width),
        usd(p.cost_under(CostModel::Overhead).mean),
        usd(p.cost_under(CostModel::Tco).mean),
        q(0.50),
        q(0.90),
        q(0.99),
        q(0.999),
        ms(p.p99().half_width),
        t.arrived.to_string(),
        t.completed.to_string(),
        t.rejected.to_string(),
        t.timed_out.to_string(),
        t.cold_starts.to_string(),
        frac(p.cold_start_fraction()),
        format!("{:.4}", p.mean_instances().mean),
        p.peak_instances().to_string(),
        t.in_flight.to_string(),
        ms(p.latency.mean_ms()),
        frac(p.utilization().mean),
        format!("{:.4}", p.mean_nodes().mean),
        p.peak_nodes().to_string(),
    ]
    .into_iter()
    .chain(breakdown_cells(&b))
    .chain([
        t.spilled.to_string(),
        frac(ratio(t.spilled, t.arrived)),
        usd(p.overflow_cost().mean),
        ms(p.base_p99().mean),
        ms(p.overflow_p99().mean),
        t.interruptions.to_string(),
        p.services.len().to_string(),
        p.services_meeting_slo().map_or(String::new(), |n| n.to_string()),
        p.worst_slo_ratio().map_or(String::new(), frac),
        t.queue_full.to_string(),
        usd(b.commitment),
    ])
    .collect()
}

/// A `services.csv` verdict cell: `true`, `false`, or empty without an SLO.
fn verdict(meets: Option<bool>) -> String {
    meets.map_or(String::new(), |m| m.to_string())
}

/// The `services.csv` rows of one platform: each service, then the stack's total
/// (service `all`) with the part of the bill no service is allocated.
fn service_rows(p: &PlatformSummary, horizon: SimDuration) -> Vec<Vec<String>> {
    let total = p.cost_month().mean;
    let share = |cost: f64| frac(if total > 0.0 { cost / total } else { 0.0 });
    let mut rows = Vec::new();
    for s in p.service_views() {
        let cost = s.cost_under(CostModel::Infrastructure);
        let t = s.totals();
        let latency = s.latency();
        let q = |x| ms(latency.quantile_ms(x));
        let row: Vec<String> = vec![
            p.platform.clone(),
            s.name().to_string(),
            s.kind().to_string(),
            p.replications.len().to_string(),
            usd(cost.mean),
            usd(cost.half_width),
            usd(s.cost_under(CostModel::Overhead).mean),
            usd(s.cost_under(CostModel::Tco).mean),
            share(cost.mean),
            q(0.50),
            q(0.90),
            q(0.99),
            q(0.999),
            ms(s.p99().half_width),
            s.slo_p99().map_or(String::new(), |d| ms(d.as_nanos() as f64 / 1e6)),
            s.slo_ratio().map_or(String::new(), frac),
            verdict(s.meets_slo()),
            t.arrived.to_string(),
            t.completed.to_string(),
            t.rejected.to_string(),
            t.timed_out.to_string(),
            t.in_flight.to_string(),
            t.cold_starts.to_string(),
            frac(s.cold_start_fraction()),
            format!("{:.4}", s.mean_instances().mean),
            s.peak_instances().to_string(),
            ms(latency.mean_ms()),
            frac(s.utilization().mean),
        ]
        .into_iter()
        .chain(breakdown_cells(&s.cost_breakdown()))
        // The unallocated part of the bill is the stack's, on its `all` row.
        .chain(std::iter::repeat_n(String::new(), 4))
        .chain([t.queue_full.to_string()])
        .chain(job_cells(s.kind(), &s.jobs(), cost.mean, horizon))
        .chain([usd(s.cost_breakdown().commitment)])
        .collect();
        rows.push(row);
    }
    let cost = p.cost_month();
    let t = p.totals();
    let q = |x| ms(p.latency.quantile_ms(x));
    // The stack meets its SLOs when every service that has one meets it.
    let with_slo = p.service_views().filter(|s| s.slo_p99().is_some()).count();
    let all_meet = p.services_meeting_slo().map(|n| n == with_slo);
    let row: Vec<String> = vec![
        p.platform.clone(),
        ALL_SERVICES.to_string(),
        String::new(),
        p.replications.len().to_string(),
        usd(cost.mean),
        usd(cost.half_width),
        usd(p.cost_under(CostModel::Overhead).mean),
        usd(p.cost_under(CostModel::Tco).mean),
        share(cost.mean),
        q(0.50),
        q(0.90),
        q(0.99),
        q(0.999),
        ms(p.p99().half_width),
        String::new(),
        p.worst_slo_ratio().map_or(String::new(), frac),
        verdict(all_meet),
        t.arrived.to_string(),
        t.completed.to_string(),
        t.rejected.to_string(),
        t.timed_out.to_string(),
        t.in_flight.to_string(),
        t.cold_starts.to_string(),
        frac(p.cold_start_fraction()),
        format!("{:.4}", p.mean_instances().mean),
        p.peak_instances().to_string(),
        ms(p.latency.mean_ms()),
        frac(p.utilization().mean),
    ]
    .into_iter()
    .chain(breakdown_cells(&p.cost_breakdown()))
    .chain([
        usd(p.idle_cost().mean),
        usd(p.shared_cost_under(CostModel::Infrastructure).mean),
        usd(p.shared_cost_under(CostModel::Overhead).mean),
        usd(p.shared_cost_under(CostModel::Tco).mean),
        t.queue_full.to_string(),
    ])
    // A worker's or a job's figures are its own: none for the stack as a whole.
    .chain(std::iter::repeat_n(String::new(), JOB_COLUMNS))
    .chain([usd(p.cost_breakdown().commitment)])
    .collect();
    rows.push(row);
    rows
}

/// The job columns at the end of `services.csv`.
const JOB_COLUMNS: usize = 8;

/// A service's worker and job cells: its backlog (peak, mean), then a scheduled job's
/// runs per replication, skipped runs, missed deadlines, makespan p50 and p99, and the
/// cost of one run (its allocated month's cost over the runs a month holds). Empty for
/// an HTTP service; a worker has no runs.
fn job_cells(kind: &str, j: &JobSummary, cost_month: f64, horizon: SimDuration) -> Vec<String> {
    let backlog = [j.peak_backlog.to_string(), format!("{:.4}", j.mean_backlog)];
    match kind {
        "worker" => return backlog.into_iter().chain(vec![String::new(); JOB_COLUMNS - 2]).collect(),
        "cron" => {}
        _ => return vec![String::new(); JOB_COLUMNS],
    }
    let months = horizon.as_secs_f64() / (HOURS_PER_MONTH * 3600.0);
    let per_run = if j.runs_per_replication > 0.0 {
        usd(cost_month * months / j.runs_per_replication)
    } else {
        String::new()
    };
    let [peak, mean] = backlog;
    vec![
        peak,
        mean,
        format!("{:.4}", j.runs_per_replication),
        j.skipped_runs.to_string(),
        j.missed_deadlines.to_string(),
        format!("{:.3}", j.makespan_p50_secs),
        format!("{:.3}", j.makespan_p99_secs),
        per_run,
    ]
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

fn breakdown_cells(b: &CostBreakdown) -> [String; 14] {
    [
        b.cpu,
        b.memory,
        b.gpu,
        b.idle,
        b.requests,
        b.egress,
        b.stopped,
        b.nodes,
        b.control_plane,
        b.fixed,
        b.load_balancer,
        b.nat,
        b.observability,
        b.people,
    ]
    .map(usd)
}

fn replication_row(seed: u64, platform: &str, r: &ReplicationMetrics) -> Vec<String> {
    let c = &r.counters;
    vec![
        r.replication.to_string(),
        seed.to_string(),
        platform.to_string(),
        usd(r.cost.infrastructure()),
        usd(r.cost.with_overhead()),
        usd(r.cost.tco()),
        ms(r.p50_ms),
        ms(r.p90_ms),
        ms(r.p99_ms),
        ms(r.p999_ms),
        c.arrived.to_string(),
        c.completed.to_string(),
        c.rejected.to_string(),
        c.timed_out.to_string(),
        c.cold_starts.to_string(),
        frac(r.cold_start_fraction()),
        format!("{:.4}", r.mean_instances),
        r.peak_instances.to_string(),
        c.in_flight.to_string(),
        ms(r.mean_ms),
        frac(r.utilization),
        format!("{:.4}", r.mean_nodes),
        r.peak_nodes.to_string(),
    ]
    .into_iter()
    .chain(breakdown_cells(&r.cost))
    .chain([
        c.spilled.to_string(),
        frac(ratio(c.spilled, c.arrived)),
        usd(r.overflow_cost),
        ms(r.base_p99_ms),
        ms(r.overflow_p99_ms),
        c.interruptions.to_string(),
        c.queue_full.to_string(),
        usd(r.cost.commitment),
    ])
    .collect()
}

pub(crate) fn to_csv(header: &[&str], rows: impl Iterator<Item = Vec<String>>) -> Vec<u8> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(header).expect("writing to memory cannot fail");
    for row in rows {
        w.write_record(&row).expect("writing to memory cannot fail");
    }
    w.into_inner().expect("flushing to memory cannot fail")
}

pub fn summary_csv(result: &RunResult) -> Vec<u8> {
    to_csv(SUMMARY_COLUMNS, result.platforms.iter().map(summary_row))
}

/// `services.csv`: per platform in scenario order, its services in stack order, then
/// its `all` row.
pub fn services_csv(result: &RunResult) -> Vec<u8> {
    to_csv(SERVICES_COLUMNS, result.platforms.iter().flat_map(|p| service_rows(p, result.horizon)))
}

/// Rows ordered by replication, then platform in scenario order.
pub fn replications_csv(result: &RunResult) -> Vec<u8> {
    let reps = result.platforms.first().map_or(0, |p| p.replications.len());
    let rows = (0..reps).flat_map(move |i| {
        result.platforms.iter().map(move |p| replication_row(result.seed, &p.platform, &p.replications[i]))
    });
    to_csv(REPLICATIONS_COLUMNS, rows)
}

/// `batch-summary.csv`: the summary rows of every scenario of a batch, each led by the
/// scenario's output folder name. Rows are added as scenarios finish; only the rendered
/// cells are kept, not the results.
#[derive(Clone, Debug, Default)]
pub struct BatchSummary {
    rows: Vec<Vec<String>>,
}

impl BatchSummary {
    pub fn add(&mut self, scenario: &str, result: &RunResult) {
        for p in &result.platforms {
            let mut row = vec![scenario.to_string()];
            row.extend(summary_row(p));
            self.rows.push(row);
        }
    }

    pub fn to_csv(&self) -> Vec<u8> {
        let header: Vec<&str> = std::iter::once("scenario").chain(SUMMARY_COLUMNS.iter().copied()).collect();
        to_csv(&header, self.rows.iter().cloned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_stack;
    use std::collections::HashMap;

    /// Rows of a CSV as maps from column to cell.
    fn rows(bytes: &[u8]) -> Vec<HashMap<String, String>> {
        let mut r = csv::Reader::from_reader(bytes);
        let header = r.headers().unwrap().clone();
        r.records()
            .map(|rec| header.iter().zip(rec.unwrap().iter()).map(|(h, v)| (h.into(), v.into())).collect())
            .collect()
    }

    fn num(row: &HashMap<String, String>, column: &str) -> f64 {
        row[column].parse().unwrap_or_else(|_| panic!("{column} = {:?}", row[column]))
    }

    /// Per platform, the services' allocated costs plus the nodes' idle capacity and the
    /// shared fees are the stack's bill, under every cost model, equal to summary.csv's;
    /// the services' requests are the stack's.
    #[test]
    fn the_services_split_the_whole_bill() {
        let result = test_stack::result();
        let summary = rows(&summary_csv(&result));
        let services = rows(&services_csv(&result));
        assert_eq!(services.len(), 3 * 4, "three services and an `all` row per platform");
        for s in &summary {
            let platform = &s["platform"];
            let of = || services.iter().filter(|r| &r["platform"] == platform);
            let parts: Vec<&HashMap<String, String>> =
                of().filter(|r| r["service"] != ALL_SERVICES).collect();
            let all: Vec<&HashMap<String, String>> = of().filter(|r| r["service"] == ALL_SERVICES).collect();
            assert_eq!(all.len(), 1, "{platform}");
            let all = all[0];
            assert_eq!(
                parts.iter().map(|r| r["service"].as_str()).collect::<Vec<_>>(),
                ["api", "worker", "web"],
                "services in stack order, then `all`"
            );
            for (model, shared) in [
                ("cost_month_usd", "shared_month_usd"),
                ("cost_overhead_month_usd", "shared_overhead_month_usd"),
                ("cost_tco_month_usd", "shared_tco_month_usd"),
            ] {
                let split: f64 = parts.iter().map(|r| num(r, model)).sum::<f64>()
                    + num(all, "idle_month_usd")
                    + num(all, shared);
                assert!((split - num(s, model)).abs() < 1e-3, "{platform} {model}: {split} vs {}", s[model]);
                assert_eq!(all[model], s[model], "{platform}: the `all` row is the summary's");
            }
            let shares: f64 = parts.iter().map(|r| num(r, "cost_share")).sum();
            let unallocated =
                (num(all, "idle_month_usd") + num(all, "shared_month_usd")) / num(s, "cost_month_usd");
            assert!((shares + unallocated - 1.0).abs() < 1e-5, "{platform}: shares {shares} + {unallocated}");
            for column in ["requests", "completed", "rejected", "timed_out", "in_flight"] {
                let sum: f64 = parts.iter().map(|r| num(r, column)).sum();
                assert_eq!(sum, num(s, column), "{platform} {column}");
            }
            // The unallocated parts belong to the stack: empty on service rows.
            assert!(parts
                .iter()
                .all(|r| r["idle_month_usd"].is_empty() && r["shared_tco_month_usd"].is_empty()));
        }
        // The cluster's idle nodes, control plane and people are where they belong.
        let eks = services.iter().find(|r| r["platform"] == "eks" && r["service"] == ALL_SERVICES).unwrap();
        assert_eq!(
            (eks["idle_month_usd"].as_str(), eks["shared_month_usd"].as_str()),
            ("101.0000", "73.0000")
        );
        assert_eq!(eks["shared_tco_month_usd"], format!("{:.4}", 73.0 + 16.43 + 32.85 + 190.0 + 26250.0));
    }

    /// Each service is judged against its own SLO; the stack against all of them.
    #[test]
    fn slo_verdicts_per_service_and_for_the_stack() {
        let result = test_stack::result();
        let services = rows(&services_csv(&result));
        let cell = |platform: &str, service: &str, column: &str| {
            let r = services.iter().find(|r| r["platform"] == platform && r["service"] == service).unwrap();
            r[column].clone()
        };
        // api: p99 above its 300 ms on cloud-run, below it on eks; web states no SLO.
        assert_eq!(cell("cloud-run", "api", "meets_slo"), "false");
        assert_eq!(cell("eks", "api", "meets_slo"), "true");
        assert_eq!(cell("cloud-run", "worker", "meets_slo"), "true");
        assert_eq!(cell("cloud-run", "api", "slo_p99_ms"), "300.000");
        assert_eq!(cell("cloud-run", "worker", "slo_p99_ms"), "2000.000");
        for column in ["slo_p99_ms", "slo_ratio", "meets_slo"] {
            assert_eq!(cell("eks", "web", column), "", "no SLO, no verdict");
        }
        for platform in ["cloud-run", "eks", "gke-autopilot"] {
            let p99: f64 = cell(platform, "api", "p99_ms").parse().unwrap();
            let ratio: f64 = cell(platform, "api", "slo_ratio").parse().unwrap();
            assert!((ratio - p99 / 300.0).abs() < 1e-6, "{platform}: {ratio} vs {p99}/300");
            assert_eq!((p99 <= 300.0).to_string(), cell(platform, "api", "meets_slo"), "{platform}");
        }
        assert_eq!(cell("cloud-run", ALL_SERVICES, "meets_slo"), "false");
        assert_eq!(cell("eks", ALL_SERVICES, "meets_slo"), "true");
        assert_eq!(cell("cloud-run", ALL_SERVICES, "slo_ratio"), cell("cloud-run", "api", "slo_ratio"));
        assert_eq!(cell("eks", ALL_SERVICES, "slo_p99_ms"), "");
        // summary.csv says the same: services, how many meet their SLO, the worst ratio.
        let summary = rows(&summary_csv(&result));
        let got: Vec<(&str, &str, &str)> = summary
            .iter()
            .map(|r| {
                (r["services"].as_str(), r["services_meeting_slo"].as_str(), r["worst_slo_ratio"].as_str())
            })
            .collect();
        let worst = |p: &str| cell(p, ALL_SERVICES, "slo_ratio");
        let (c, e, g) = (worst("cloud-run"), worst("eks"), worst("gke-autopilot"));
        assert_eq!(got, [("3", "1", c.as_str()), ("3", "2", e.as_str()), ("3", "1", g.as_str())]);
    }

    /// A one-service stack: its one row is the stack's, and the new summary columns say
    /// one service, with nothing to judge without an SLO.
    #[test]
    fn one_service_without_an_slo() {
        let mut result = test_stack::result();
        for p in &mut result.platforms {
            p.services.truncate(1);
            p.services[0].slo_p99 = None;
            p.services[0].latency = None;
        }
        let summary = rows(&summary_csv(&result));
        assert_eq!(summary[0]["services"], "1");
        assert_eq!(
            (summary[0]["services_meeting_slo"].as_str(), summary[0]["worst_slo_ratio"].as_str()),
            ("", "")
        );
        let services = rows(&services_csv(&result));
        assert_eq!(services.len(), 3 * 2);
        assert_eq!(services[0]["p99_ms"], services[1]["p99_ms"], "the service's latencies are the stack's");
        assert_eq!(services[1]["service"], ALL_SERVICES);
        assert_eq!(services[1]["meets_slo"], "");
    }
}
