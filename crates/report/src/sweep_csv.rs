//! The files of a sweep: `sweep.csv` (one row per point and platform), `crossovers.csv`
//! (where curves cross along each swept dimension) and `frontier.csv` (the cost-versus-p99
//! Pareto-optimal configurations). Columns are documented in the README.

use crate::csv_out::{frac, ms, summary_row, to_csv, usd, SUMMARY_COLUMNS};
use crossover_runner::sweep::{Metric, SweepResult, Vary};

pub const CROSSOVERS_COLUMNS: &[&str] = &[
    "metric",
    "cost_model",
    "dimension",
    "held",
    "platform_a",
    "platform_b",
    "crossing",
    "ci95_low",
    "ci95_high",
    "below",
    "above",
    "bracket_low",
    "bracket_high",
    "refinements",
    "replications",
];

/// After `cost_model`, `rank` and `point`, one column per swept key, then these.
pub const FRONTIER_COLUMNS: &[&str] =
    &["platform", "cost_month_usd", "cost_month_ci95", "p99_ms", "p99_ms_ci95", "failed_fraction"];

/// A swept value where it is a position on an axis (crossings, brackets).
fn value(x: f64) -> String {
    format!("{:.6}", x + 0.0)
}

/// `path=value;path=value` for every dimension but `except`.
fn held(dims: &[Vary], coords: &[usize], except: usize) -> String {
    dims.iter()
        .zip(coords)
        .enumerate()
        .filter(|(d, _)| *d != except)
        .map(|(_, (dim, &i))| format!("{}={}", dim.path, dim.values[i].text))
        .collect::<Vec<_>>()
        .join(";")
}

fn point_cells(r: &SweepResult, point: usize) -> Vec<String> {
    let coords = &r.points[point].coords;
    std::iter::once(point.to_string())
        .chain(r.dims.iter().zip(coords).map(|(d, &i)| d.values[i].text.clone()))
        .collect()
}

/// `sweep.csv`: `point`, one column per swept key (its value), then the `summary.csv`
/// columns; rows by point (the last `--vary` fastest), then platform.
pub fn sweep_csv(r: &SweepResult) -> Vec<u8> {
    let header: Vec<&str> = std::iter::once("point")
        .chain(r.dims.iter().map(|d| d.path.as_str()))
        .chain(SUMMARY_COLUMNS.iter().copied())
        .collect();
    let rows = r.points.iter().enumerate().flat_map(|(i, p)| {
        let lead = point_cells(r, i);
        p.platforms.iter().map(move |s| lead.iter().cloned().chain(summary_row(s)).collect())
    });
    to_csv(&header, rows)
}

/// `crossovers.csv`: one row per crossing found.
pub fn crossovers_csv(r: &SweepResult) -> Vec<u8> {
    let rows = r.crossings.iter().map(|c| {
        let (metric, model) = match c.metric {
            Metric::Cost(m) => ("cost", m.name()),
            Metric::SloP99 => ("p99_slo", ""),
        };
        let (lo, hi) = c.ci.map_or((String::new(), String::new()), |(lo, hi)| (value(lo), value(hi)));
        vec![
            metric.to_string(),
            model.to_string(),
            r.dims[c.dimension].path.clone(),
            held(&r.dims, &c.held, c.dimension),
            c.platform_a.clone(),
            c.platform_b.clone().unwrap_or_default(),
            value(c.x),
            lo,
            hi,
            c.below.clone(),
            c.above.clone(),
            value(c.bracket.0),
            value(c.bracket.1),
            c.refinements.to_string(),
            c.replications.to_string(),
        ]
    });
    to_csv(CROSSOVERS_COLUMNS, rows)
}

/// `frontier.csv`: per cost model, the Pareto-optimal (point, platform) configurations,
/// cheapest first (`rank` 1).
pub fn frontier_csv(r: &SweepResult) -> Vec<u8> {
    let header: Vec<&str> = ["cost_model", "rank", "point"]
        .into_iter()
        .chain(r.dims.iter().map(|d| d.path.as_str()))
        .chain(FRONTIER_COLUMNS.iter().copied())
        .collect();
    let mut rank = 0;
    let mut last = None;
    let rows = r.frontier.iter().map(|e| {
        if last != Some(e.cost_model) {
            rank = 0;
            last = Some(e.cost_model);
        }
        rank += 1;
        [e.cost_model.name().to_string(), rank.to_string()]
            .into_iter()
            .chain(point_cells(r, e.point))
            .chain([
                r.points[e.point].platforms[e.platform].platform.clone(),
                usd(e.cost.mean),
                usd(e.cost.half_width),
                ms(e.p99_ms),
                ms(e.p99_ci95),
                frac(e.failed_fraction),
            ])
            .collect::<Vec<String>>()
    });
    to_csv(&header, rows.collect::<Vec<_>>().into_iter())
}
