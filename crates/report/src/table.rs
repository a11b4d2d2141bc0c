//! The summary table printed at the end of a run.

use crossover_runner::RunResult;

pub fn summary_table(result: &RunResult) -> String {
    let header = [
        "platform", "$/month", "±95%", "p50 ms", "p99 ms", "±95%", "p99.9 ms", "failed", "cold %",
        "inst avg", "peak",
    ];
    let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| s.to_string()).collect()];
    for p in &result.platforms {
        let cost = p.cost_month();
        let t = p.totals();
        let failed = t.rejected + t.timed_out;
        rows.push(vec![
            crossover_scenario::names::terminal_safe(&p.platform).into_owned(),
            format!("{:.2}", cost.mean),
            format!("{:.2}", cost.half_width),
            format!("{:.1}", p.latency.quantile_ms(0.50)),
            format!("{:.1}", p.latency.quantile_ms(0.99)),
            format!("{:.1}", p.p99().half_width),
            format!("{:.1}", p.latency.quantile_ms(0.999)),
            failed.to_string(),
            format!("{:.2}", 100.0 * p.cold_start_fraction()),
            format!("{:.2}", p.mean_instances().mean),
            p.peak_instances().to_string(),
        ]);
    }
    let widths: Vec<usize> =
        (0..header.len()).map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for (i, row) in rows.iter().enumerate() {
        let cells: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, cell)| {
                // Padding by hand: `format!("{:<w$}")` panics for a width beyond 65,535.
                let pad = " ".repeat(widths[c] - cell.chars().count());
                if c == 0 {
                    format!("{cell}{pad}")
                } else {
                    format!("{pad}{cell}")
                }
            })
            .collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
        if i == 0 {
            out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * (widths.len() - 1)));
            out.push('\n');
        }
    }
    // The horizon as the scenario would write it ("7d", "90m"), never "0-hour".
    let horizon = result.horizon;
    let reps = result.platforms.first().map_or(0, |p| p.replications.len());
    out.push_str(&format!(
        "costs are per 730-hour month, scaled from a {horizon} horizon; ±95% is the half-width of the \
         95% confidence interval over {reps} replications\n"
    ));
    for p in result.platforms.iter().filter(|p| p.is_hybrid()) {
        let t = p.totals();
        out.push_str(&format!(
            "{}: hybrid; {:.2}% of requests spilled to the overflow platform, whose bill is ${:.2} of the \
             ${:.2}/month; p99 {:.1} ms on the baseline, {:.1} ms on the overflow\n",
            p.platform,
            100.0 * t.spilled as f64 / t.arrived.max(1) as f64,
            p.overflow_cost().mean,
            p.cost_month().mean,
            p.base_p99().mean,
            p.overflow_p99().mean,
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossover_engine::SimDuration;
    use crossover_runner::PlatformSummary;

    fn result(names: &[&str]) -> RunResult {
        RunResult {
            scenario: "t".into(),
            seed: 1,
            horizon: SimDuration::from_secs(60),
            platforms: names
                .iter()
                .map(|n| PlatformSummary::for_stack(n, vec![("service".into(), None)]))
                .collect(),
            timelines: Vec::new(),
        }
    }

    /// A name wider than `format!`'s 65,535 width limit is padded, not a panic.
    #[test]
    fn a_huge_name_does_not_panic() {
        let long = "n".repeat(70_000);
        let table = summary_table(&result(&[&long, "b"]));
        let rows: Vec<&str> = table.lines().collect();
        assert!(rows[2].starts_with(&long));
        assert_eq!(rows[3].find("  "), Some(1), "short names are padded to the long one's width");
    }

    /// Control characters in a name are shown escaped, never sent raw.
    #[test]
    fn control_characters_are_escaped() {
        let table = summary_table(&result(&["evil\u{1b}[2J"]));
        assert!(!table.contains('\u{1b}'));
        assert!(table.contains("evil\\u{1b}[2J"));
    }
}
