//! `summary.csv` (one row per platform) and `replications.csv` (one row per replication
//! and platform). Column meanings are documented in the README.

use crossover_platform::{CostBreakdown, CostModel};
use crossover_runner::{PlatformSummary, ReplicationMetrics, RunResult};

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
    ])
    .collect()
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
