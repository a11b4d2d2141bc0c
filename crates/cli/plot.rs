//! `crossover plot DIR`, and the charts and report every run writes after its CSVs.
//!
//! Both draw from file contents only (a run hands over the bytes it is about to write),
//! so re-plotting a folder reproduces the run's charts and report byte for byte.

use crate::Failure;
use anyhow::Context;
use clap::Args;
use crossover_report::{write_all_atomic, RunFiles};
use crossover_runner::RunResult;
use crossover_scenario::Scenario;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Args)]
pub struct PlotArgs {
    /// A folder written by `crossover run` (or a sweep): its CSV files are read and every
    /// chart and report.html are written again beside them
    dir: PathBuf,
}

pub fn plot(args: &PlotArgs) -> Result<u8, Failure> {
    let started = Instant::now();
    let files = RunFiles::read_dir(&args.dir).map_err(|e| Failure::BadInput(format!("error: {e}")))?;
    let out =
        crossover_report::render_report(&files).map_err(|e| Failure::BadInput(format!("error: {e}")))?;
    write_all(&args.dir, &out).map_err(Failure::Runtime)?;
    eprintln!(
        "wrote {} chart file(s) and report.html in {} ({:.2} s)",
        out.len() - 1,
        args.dir.display(),
        started.elapsed().as_secs_f64()
    );
    Ok(0)
}

/// Every chart and the report, or none (a failed write leaves the folder's previous
/// ones, not a mix of old and new).
fn write_all(dir: &Path, files: &[(String, Vec<u8>)]) -> anyhow::Result<()> {
    let files: Vec<(PathBuf, Vec<u8>)> =
        files.iter().map(|(name, bytes)| (dir.join(name), bytes.clone())).collect();
    write_all_atomic(&files).with_context(|| format!("writing results to {}", dir.display()))
}

/// What a run writes after its CSVs: `latency.csv`, `timeline.csv` (replication 0's
/// per-minute record; the busiest day), every chart and `report.html`, drawn from `files`
/// (the run's CSVs and resolved scenario) plus those.
pub fn run_extras(
    scenario: &Scenario,
    result: &RunResult,
    files: &[(String, Vec<u8>)],
) -> anyhow::Result<Vec<(String, Vec<u8>)>> {
    let timelines = timelines(scenario, result);
    let mut extra = vec![
        ("latency.csv".to_string(), crossover_report::latency_csv(result)),
        ("timeline.csv".to_string(), crossover_report::timeline_csv(&timelines)),
    ];
    let mut input = RunFiles::default();
    for (name, bytes) in files.iter().chain(&extra) {
        input.insert(name, bytes.clone());
    }
    extra.extend(crossover_report::render_report(&input).context("drawing the charts and report")?);
    Ok(extra)
}

/// Replication 0 of every platform with its per-minute record: as the run recorded it,
/// or, for a platform whose replication 0 came from a checkpoint, simulated again (one
/// thread per platform; the same pure function alone as in the full run).
fn timelines(scenario: &Scenario, result: &RunResult) -> Vec<crossover_runner::PlatformTimeline> {
    std::thread::scope(|s| {
        let pending: Vec<_> = scenario
            .platforms
            .iter()
            .map(|p| {
                let recorded = result.timelines.iter().find(|t| t.platform == p.name).cloned();
                let again = recorded.is_none().then(|| {
                    let mut one = scenario.clone();
                    one.platforms.retain(|q| q.name == p.name);
                    s.spawn(move || crossover_runner::timeline(&one, result.seed, 0))
                });
                (recorded, again)
            })
            .collect();
        pending
            .into_iter()
            .flat_map(|(recorded, again)| match again {
                Some(h) => h.join().expect("a timeline simulation panicked"),
                None => recorded.into_iter().collect(),
            })
            .collect()
    })
}
