//! `commitments.csv`: what each platform's Savings Plan or committed use discount came
//! to (written only when some platform has one). Schema in the README.

use crate::csv_out::{frac, to_csv, usd};
use crossover_platform::Commitment;
use crossover_runner::RunResult;

pub const COMMITMENTS_COLUMNS: &[&str] = &[
    "platform",
    "kind",
    "term",
    "discount",
    "level_usd_per_hour",
    "level_ci95",
    "eligible_month_usd",
    "fee_month_usd",
    "covered_fraction",
    "utilisation",
    "on_demand_month_usd",
    "saving_month_usd",
    "saving_ci95",
];

/// One row per platform with a commitment (`commitments[i]` is platform `i`'s), in
/// scenario order; `None` when no platform has one.
pub fn commitments_csv(result: &RunResult, commitments: &[Option<&Commitment>]) -> Option<Vec<u8>> {
    let rows: Vec<Vec<String>> = result
        .platforms
        .iter()
        .zip(commitments)
        .filter_map(|(p, c)| {
            let c = (*c)?;
            let level = p.commitment(|x| x.level)?;
            let saving = p.commitment(|x| x.saving())?;
            let mean = |f: fn(&crossover_platform::Committed) -> f64| p.commitment(f).map_or(0.0, |m| m.mean);
            let eligible = mean(|x| x.eligible);
            let covered = mean(|x| x.covered);
            Some(vec![
                p.platform.clone(),
                c.kind.clone(),
                c.term.name().to_string(),
                format!("{:.4}", c.discount),
                usd(level.mean),
                usd(level.half_width),
                usd(eligible),
                usd(mean(|x| x.fee)),
                frac(if eligible > 0.0 { covered / eligible } else { 0.0 }),
                frac(mean(|x| x.utilisation)),
                usd(p.cost_month().mean + saving.mean),
                usd(saving.mean),
                usd(saving.half_width),
            ])
        })
        .collect();
    (!rows.is_empty()).then(|| to_csv(COMMITMENTS_COLUMNS, rows.into_iter()))
}
