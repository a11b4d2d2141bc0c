//! Result files: CSV tables written atomically, the summary table as text, charts (SVG
//! and PNG) and the self-contained `report.html`.
//!
//! Every file is written to a temporary name in the destination folder and renamed into
//! place, so a crash or a full disk never leaves a half-written result. Floats are
//! written with fixed precision so that identical runs give byte-identical files.

mod atomic;
pub mod caveats;
pub mod charts;
mod csv_out;
pub mod html;
pub mod plot_dir;
mod run_csv;
pub mod style;
mod sweep_csv;
mod table;
mod traffic_csv;

pub use atomic::{lock_folder, probe_writable, remove_stale_temporaries, write_all_atomic, FolderLock};
pub use csv_out::{replications_csv, summary_csv, BatchSummary, REPLICATIONS_COLUMNS, SUMMARY_COLUMNS};
pub use plot_dir::{RunData, RunFiles};
pub use run_csv::{
    busiest_day, latency_csv, quantile_levels, timeline_csv, LATENCY_COLUMNS, TIMELINE_COLUMNS,
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
