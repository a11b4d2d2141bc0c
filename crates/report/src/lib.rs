//! Result files: CSV tables written atomically, the summary table as text, charts (SVG
//! and PNG) and the self-contained `report.html`.
//!
//! Every file is written to a temporary name in the destination folder and renamed into
//! place, so a crash or a full disk never leaves a half-written result. Floats are
//! written with fixed precision so that identical runs give byte-identical files.

mod atomic;
pub mod caveats;
pub mod charts;
mod commitments_csv;
mod csv_out;
pub mod html;
mod plan_out;
pub mod plot_dir;
mod run_csv;
mod stages_out;
pub mod style;
mod sweep_csv;
mod table;
mod traffic_csv;

pub use atomic::{lock_folder, probe_writable, remove_stale_temporaries, write_all_atomic, FolderLock};
pub use commitments_csv::{commitments_csv, COMMITMENTS_COLUMNS};
pub use csv_out::{
    replications_csv, services_csv, summary_csv, BatchSummary, ALL_SERVICES, REPLICATIONS_COLUMNS,
    SERVICES_COLUMNS, SUMMARY_COLUMNS,
};
pub use plan_out::{
    plan_comparison_csv, plan_csv, plan_entries, plan_html, plan_svg, PLAN_COLUMNS, PLAN_COMPARISON_COLUMNS,
    PLAN_ROW,
};
pub use plot_dir::{RunData, RunFiles};
pub use run_csv::{
    busiest_day, latency_csv, quantile_levels, timeline_csv, LATENCY_COLUMNS, TIMELINE_COLUMNS,
};
pub use stages_out::{
    stage_crossovers_csv, stages_csv, stages_html, stages_svg, STAGES_COLUMNS, STAGE_CROSSOVERS_COLUMNS,
};
pub use sweep_csv::{crossovers_csv, frontier_csv, sweep_csv, CROSSOVERS_COLUMNS, FRONTIER_COLUMNS};
pub use table::summary_table;
pub use traffic_csv::{traffic_csv, TRAFFIC_COLUMNS};

use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

/// The I/O error is the `source`, not part of the message, so that an error chain
/// (`{:#}`) names it once.
#[derive(Debug, Error)]
pub enum OutputError {
    #[error("cannot create the output folder {path}")]
    CreateDir { path: PathBuf, source: std::io::Error },
    #[error("cannot write {path}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error(
        "another crossover process is writing into {path}; wait for it to finish, or give another --out"
    )]
    Busy { path: PathBuf },
}

/// Why a folder could not be plotted.
#[derive(Debug, Error)]
pub enum PlotError {
    #[error("{0} is not a folder")]
    NotAFolder(PathBuf),
    #[error("{0} is not a regular file (a device or a pipe is not read)")]
    NotAFile(PathBuf),
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error("nothing to plot: the folder has neither summary.csv nor sweep.csv")]
    NothingToPlot,
    #[error("{file}, line {line}: {message}")]
    Csv { file: String, line: u64, message: String },
    #[error("drawing the {chart} chart: {message}")]
    Draw { chart: String, message: String },
}

/// Every chart (`NAME.svg`, `NAME.png`) and `report.html`, drawn from the files of a run
/// folder only, as (file name, bytes) in a fixed order.
pub fn render_report(files: &RunFiles) -> Result<Vec<(String, Vec<u8>)>, PlotError> {
    let data = RunData::parse(files)?;
    let charts =
        charts::render_charts(&data).map_err(|e| PlotError::Draw { chart: e.chart, message: e.message })?;
    let html = html::report_html(&data, &charts);
    let mut out = Vec::new();
    for c in charts {
        out.push((format!("{}.svg", c.name), c.svg.into_bytes()));
        out.push((format!("{}.png", c.name), c.png));
    }
    out.push(("report.html".to_string(), html.into_bytes()));
    Ok(out)
}

/// What the report's verdict and caveats are drawn from, for a run's `summary.csv` and
/// resolved scenario: the terminal shows the same sentences as report.html.
pub fn summary_data(summary_csv: &[u8], resolved: &str) -> Result<RunData, PlotError> {
    let mut files = RunFiles::default();
    files.insert("summary.csv", summary_csv.to_vec());
    files.insert("scenario.resolved.toml", resolved.as_bytes().to_vec());
    RunData::parse(&files)
}

/// Writes `bytes` to `path` atomically (temporary file in the same folder, then rename).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), OutputError> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)
        .map_err(|source| OutputError::CreateDir { path: dir.to_path_buf(), source })?;
    let tmp = atomic::temp_name(path);
    let result = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    result.map_err(|source| {
        let _ = std::fs::remove_file(&tmp);
        OutputError::Write { path: path.to_path_buf(), source }
    })
}

/// A run of a stack of several services built by hand (the simulation of stacks is
/// the platform crate's), for the tests of the files and the report.
#[cfg(test)]
pub(crate) mod test_stack {
    use crossover_engine::{LatencyRecorder, SimDuration};
    use crossover_platform::{CostBreakdown, Counters};
    use crossover_runner::{PlatformSummary, ReplicationMetrics, RunResult, ServiceMetrics};

    /// `n` latencies exponentially distributed with the given p99 (deterministic).
    fn latencies(n: u64, p99_ms: f64) -> LatencyRecorder {
        let mut l = LatencyRecorder::new();
        let mean = p99_ms / 100f64.ln();
        for k in 0..n {
            let u = (k as f64 + 0.5) / n as f64;
            l.record(SimDuration::from_nanos((-(1.0 - u).ln() * mean * 1e6) as u64));
        }
        l
    }

    /// One service's replication: its cost, requests and latencies.
    fn service(
        cost: CostBreakdown,
        n: u64,
        p99_ms: f64,
        instances: f64,
    ) -> (ServiceMetrics, LatencyRecorder) {
        let l = latencies(n, p99_ms);
        let q = |p| l.quantile_ms(p);
        let m = ServiceMetrics {
            cost,
            p50_ms: q(0.5),
            p90_ms: q(0.9),
            p99_ms: q(0.99),
            p999_ms: q(0.999),
            mean_ms: l.mean_ms(),
            counters: Counters { arrived: n, completed: n, cold_starts: 2, ..Counters::default() },
            mean_instances: instances,
            peak_instances: instances.ceil() as u32 + 1,
            mean_busy_instances: instances / 2.0,
            utilization: 0.4,
            mean_in_system: 0.0,
            mean_sojourn_secs: 0.0,
            mean_queue_wait_secs: 0.0,
            pending_pods: 0,
            mean_pending_secs: 0.0,
            jobs: crossover_platform::JobStats::default(),
        };
        (m, l)
    }

    fn cost(cpu: f64, memory: f64, nodes: f64) -> CostBreakdown {
        CostBreakdown { cpu, memory, nodes, ..CostBreakdown::default() }
    }

    /// Services `api` (SLO 300 ms), `worker` (SLO 2 s) and `web` (no SLO) on
    /// `cloud-run` (api misses its SLO), `eks` (every service meets its SLO; idle
    /// nodes, control plane, overhead and people billed once) and `gke-autopilot` (api
    /// misses by less), three replications each.
    pub fn result() -> RunResult {
        let services = [("api", Some(300)), ("worker", Some(2000)), ("web", None)];
        // Per platform: (name, per service (cost, p99), shared bill).
        type Platform = (&'static str, [(CostBreakdown, f64); 3], CostBreakdown);
        let platforms: [Platform; 3] = [
            (
                "cloud-run",
                [(cost(40.0, 8.0, 0.0), 360.0), (cost(25.0, 5.0, 0.0), 900.0), (cost(6.0, 1.0, 0.0), 120.0)],
                CostBreakdown::default(),
            ),
            (
                "eks",
                [(cost(0.0, 0.0, 70.0), 210.0), (cost(0.0, 0.0, 55.0), 800.0), (cost(0.0, 0.0, 12.0), 90.0)],
                CostBreakdown {
                    nodes: 101.0,
                    control_plane: 73.0,
                    load_balancer: 16.43,
                    nat: 32.85,
                    observability: 190.0,
                    people: 26250.0,
                    ..CostBreakdown::default()
                },
            ),
            (
                "gke-autopilot",
                [
                    (cost(45.0, 10.0, 0.0), 310.0),
                    (cost(30.0, 7.0, 0.0), 1500.0),
                    (cost(8.0, 2.0, 0.0), 100.0),
                ],
                CostBreakdown { observability: 150.0, people: 18000.0, ..CostBreakdown::default() },
            ),
        ];
        let requests = [3000u64, 800, 5000];
        let platforms = platforms
            .iter()
            .map(|(name, per_service, shared)| {
                let mut p = PlatformSummary::for_stack(
                    name,
                    services
                        .iter()
                        .map(|(s, slo)| (s.to_string(), slo.map(SimDuration::from_millis)))
                        .collect(),
                );
                for rep in 0..3u32 {
                    let wobble = 1.0 + 0.01 * rep as f64;
                    let parts: Vec<(ServiceMetrics, LatencyRecorder)> = per_service
                        .iter()
                        .zip(requests)
                        .map(|((c, p99), n)| {
                            let c = CostBreakdown {
                                cpu: c.cpu * wobble,
                                memory: c.memory * wobble,
                                nodes: c.nodes * wobble,
                                ..*c
                            };
                            service(c, n + rep as u64, p99 * wobble, 1.5)
                        })
                        .collect();
                    let mut counters = Counters::default();
                    let mut bill = *shared;
                    let mut stack = LatencyRecorder::new();
                    for (m, l) in &parts {
                        counters.add(&m.counters);
                        bill = bill.plus(&m.cost);
                        stack.merge(l);
                    }
                    let q = |x| stack.quantile_ms(x);
                    let metrics = ReplicationMetrics {
                        replication: rep,
                        cost: bill,
                        p50_ms: q(0.5),
                        p90_ms: q(0.9),
                        p99_ms: q(0.99),
                        p999_ms: q(0.999),
                        mean_ms: stack.mean_ms(),
                        counters,
                        mean_instances: 4.5,
                        peak_instances: 7,
                        mean_busy_instances: 2.0,
                        utilization: 0.4,
                        mean_in_system: 0.0,
                        mean_sojourn_secs: 0.0,
                        mean_queue_wait_secs: 0.0,
                        mean_nodes: if *name == "eks" { 2.0 } else { 0.0 },
                        peak_nodes: if *name == "eks" { 2 } else { 0 },
                        pending_pods: 0,
                        mean_pending_secs: 0.0,
                        overflow_cost: 0.0,
                        base_p99_ms: q(0.99),
                        overflow_p99_ms: 0.0,
                        shared_cost: *shared,
                        services: parts.iter().map(|(m, _)| m.clone()).collect(),
                        commitment: None,
                    };
                    p.merge_latencies(&crossover_runner::Latencies {
                        stack,
                        services: parts.into_iter().map(|(_, l)| l).collect(),
                    });
                    p.replications.push(metrics);
                }
                p
            })
            .collect();
        RunResult {
            scenario: "stack".into(),
            seed: 1,
            horizon: SimDuration::from_hours(24),
            platforms,
            timelines: Vec::new(),
        }
    }

    /// The files a report is drawn from, for [`result`].
    pub fn files() -> crate::RunFiles {
        let r = result();
        let mut f = crate::RunFiles::default();
        f.insert("summary.csv", crate::summary_csv(&r));
        f.insert("services.csv", crate::services_csv(&r));
        f.insert("latency.csv", crate::latency_csv(&r));
        f
    }

    /// Writes the report of [`result`] to `$CROSSOVER_STACK_PREVIEW` if set (to look at
    /// it), and checks it renders.
    #[test]
    fn the_stack_report_renders() {
        let out = crate::render_report(&files()).unwrap();
        if let Ok(dir) = std::env::var("CROSSOVER_STACK_PREVIEW") {
            for (name, bytes) in &out {
                std::fs::write(std::path::Path::new(&dir).join(name), bytes).unwrap();
            }
            let r = result();
            std::fs::write(std::path::Path::new(&dir).join("services.csv"), crate::services_csv(&r)).unwrap();
            std::fs::write(std::path::Path::new(&dir).join("summary.csv"), crate::summary_csv(&r)).unwrap();
        }
        assert!(out.iter().any(|(n, _)| n == "cost-services.png"));
    }
}
