//! The files of `crossover plan` on a scenario with stages: `stages.csv` (each stage's
//! plan under each capacity and pricing, its class, and the best all-serverless plan
//! against the best plan with Kubernetes), `stage-crossovers.csv` (where that difference
//! changes sign, in compute spend, with its 95% interval), the chart `stages.svg` and
//! `report.html`.

use crate::csv_out::{to_csv, usd};
use crossover_platform::CostModel;
use crossover_runner::stages::{Capacity, Half, Pricing, StageRow, StagesResult};
use std::fmt::Write;

/// `stages.csv`'s columns.
pub const STAGES_COLUMNS: &[&str] = &[
    "stage",
    "scale",
    "services",
    "capacity",
    "cost_model",
    "kubernetes_ops_fte",
    "compute_month_usd",
    "plan_month_usd",
    "plan_ci95",
    "plan_infrastructure_usd",
    "on_serverless",
    "on_kubernetes",
    "class",
    "services_missing_slo",
    "serverless_month_usd",
    "serverless_ci95",
    "kubernetes_month_usd",
    "kubernetes_ci95",
    "difference_month_usd",
    "difference_ci95",
    "placement",
];

/// `stage-crossovers.csv`'s columns.
pub const STAGE_CROSSOVERS_COLUMNS: &[&str] = &[
    "capacity",
    "cost_model",
    "kubernetes_ops_fte",
    "from_stage",
    "to_stage",
    "from_class",
    "to_class",
    "cheaper_above",
    "compute_month_usd",
    "compute_low_usd",
    "compute_high_usd",
    "replications",
];

fn fte(p: Pricing) -> String {
    p.kubernetes_fte.map_or(String::new(), |f| format!("{f}"))
}

fn mean_ci(xs: &[f64]) -> (String, String) {
    let m = crossover_engine::mean_ci95(xs);
    (usd(m.mean), usd(m.half_width))
}

fn half_cells(h: &Option<Half>) -> (String, String) {
    h.as_ref().map_or((String::new(), String::new()), |h| mean_ci(&h.totals))
}

fn stage_row(result: &StagesResult, r: &StageRow) -> Vec<String> {
    let plan = r.plan();
    let (total, total_ci) = mean_ci(&plan.totals);
    let (s, s_ci) = half_cells(&r.serverless);
    let (k, k_ci) = half_cells(&r.kubernetes);
    let (d, d_ci) =
        if r.difference.is_empty() { (String::new(), String::new()) } else { mean_ci(&r.difference) };
    let (scale, services) = result.scales[r.stage];
    vec![
        result.stages[r.stage].clone(),
        format!("{scale}"),
        services.to_string(),
        r.capacity.name().to_string(),
        r.pricing.model.name().to_string(),
        fte(r.pricing),
        if r.compute.mean.is_finite() { usd(r.compute.mean) } else { String::new() },
        total,
        total_ci,
        usd(crossover_runner::sweep::crossover::mean(&plan.infrastructure)),
        (r.placements.len() - r.on_kubernetes).to_string(),
        r.on_kubernetes.to_string(),
        r.class().name().to_string(),
        r.misses.to_string(),
        s,
        s_ci,
        k,
        k_ci,
        d,
        d_ci,
        r.placements.iter().map(|(s, p)| format!("{s}={p}")).collect::<Vec<_>>().join(" "),
    ]
}

/// `stages.csv`: one row per stage, capacity and pricing, in the result's order.
pub fn stages_csv(result: &StagesResult) -> Vec<u8> {
    to_csv(STAGES_COLUMNS, result.rows.iter().map(|r| stage_row(result, r)))
}

fn crossover_rows(result: &StagesResult) -> Vec<Vec<String>> {
    result
        .crossovers
        .iter()
        .map(|c| {
            let series = result.series(c.capacity, c.pricing);
            let class = |stage: usize| {
                series
                    .iter()
                    .find(|r| r.stage == stage)
                    .map_or(String::new(), |r| r.class().name().to_string())
            };
            let (lo, hi) = c.ci.map_or((String::new(), String::new()), |(lo, hi)| (usd(lo), usd(hi)));
            vec![
                c.capacity.name().to_string(),
                c.pricing.model.name().to_string(),
                fte(c.pricing),
                result.stages[c.lower].clone(),
                result.stages[c.upper].clone(),
                class(c.lower),
                class(c.upper),
                if c.kubernetes_above { "kubernetes" } else { "serverless" }.to_string(),
                usd(c.compute),
                lo,
                hi,
                c.replications.to_string(),
            ]
        })
        .collect()
}

/// `stage-crossovers.csv`: every sign change of the difference between neighbouring
/// stages.
pub fn stage_crossovers_csv(result: &StagesResult) -> Vec<u8> {
    to_csv(STAGE_CROSSOVERS_COLUMNS, crossover_rows(result).into_iter())
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const COLOURS: [&str; 8] =
    ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"];

/// `stages.svg`: per capacity (infrastructure and overhead in one panel, TCO in
/// another), the paired difference (best all-serverless plan minus
/// best plan with Kubernetes, $/month) against the stage's compute spend (log scale),
/// one line per pricing, with 95% bars; above zero Kubernetes is cheaper.
pub fn stages_svg(result: &StagesResult) -> String {
    let (width, panel_h, left, right, top) = (760.0f64, 300.0f64, 70.0f64, 170.0f64, 30.0f64);
    let pricings = result.pricings();
    // TCO's people dwarf the rest: its lines get panels of their own.
    let groups: [(&str, Vec<Pricing>); 2] = [
        (
            "infrastructure and overhead",
            pricings.iter().filter(|p| p.model != CostModel::Tco).copied().collect(),
        ),
        ("TCO", pricings.iter().filter(|p| p.model == CostModel::Tco).copied().collect()),
    ];
    let mut body = String::new();
    let mut y0 = 10.0;
    for (capacity, (what, group)) in Capacity::ALL.iter().flat_map(|&c| groups.iter().map(move |g| (c, g))) {
        let series: Vec<(Pricing, Vec<&StageRow>)> =
            group.iter().map(|&p| (p, result.series(capacity, p))).collect();
        let points: Vec<(f64, f64, f64)> = series
            .iter()
            .flat_map(|(_, rows)| rows.iter())
            .filter(|r| !r.difference.is_empty() && r.compute.mean > 0.0)
            .map(|r| {
                let m = crossover_engine::mean_ci95(&r.difference);
                (r.compute.mean, m.low(), m.high())
            })
            .collect();
        if points.is_empty() {
            continue;
        }
        let (xmin, xmax) = points.iter().fold((f64::INFINITY, 0.0f64), |(a, b), p| (a.min(p.0), b.max(p.0)));
        let (ymin, ymax) = points.iter().fold((0.0f64, 0.0f64), |(a, b), p| (a.min(p.1), b.max(p.2)));
        let (lx0, lx1) = (xmin.ln(), xmax.ln().max(xmin.ln() + 1e-9));
        let span = (ymax - ymin).max(1e-9);
        let plot_w = width - left - right;
        let plot_h = panel_h - top - 40.0;
        let px = |x: f64| left + (x.ln() - lx0) / (lx1 - lx0) * plot_w;
        let py = |y: f64| y0 + top + (ymax - y) / span * plot_h;
        let _ = writeln!(
            body,
            r#"<text x="4" y="{:.1}" font-weight="bold">{}, {what}: serverless minus Kubernetes ($/month, 95% bars; above 0 Kubernetes is cheaper)</text>"#,
            y0 + 14.0,
            capacity.name()
        );
        let _ = writeln!(
            body,
            r##"<line x1="{left:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="#888" stroke-dasharray="4 3"/><text x="{:.1}" y="{:.1}" text-anchor="end">0</text><text x="{:.1}" y="{:.1}" text-anchor="end">{:.0}</text><text x="{:.1}" y="{:.1}" text-anchor="end">{:.0}</text>"##,
            left + plot_w,
            py(0.0),
            py(0.0),
            left - 4.0,
            py(0.0) + 4.0,
            left - 4.0,
            py(ymax) + 4.0,
            ymax,
            left - 4.0,
            py(ymin) + 4.0,
            ymin
        );
        let _ = writeln!(
            body,
            r#"<text x="{left:.1}" y="{:.1}">${:.0}</text><text x="{:.1}" y="{:.1}" text-anchor="end">${:.0} compute/month (best all-serverless plan's infrastructure)</text>"#,
            y0 + top + plot_h + 16.0,
            xmin,
            left + plot_w,
            y0 + top + plot_h + 16.0,
            xmax
        );
        for (k, (pricing, rows)) in series.iter().enumerate() {
            let colour = COLOURS[k % COLOURS.len()];
            let pts: Vec<(f64, crossover_engine::MeanCi)> = rows
                .iter()
                .filter(|r| !r.difference.is_empty() && r.compute.mean > 0.0)
                .map(|r| (r.compute.mean, crossover_engine::mean_ci95(&r.difference)))
                .collect();
            let path: Vec<String> =
                pts.iter().map(|(x, m)| format!("{:.1},{:.1}", px(*x), py(m.mean))).collect();
            let _ = writeln!(
                body,
                r#"<polyline points="{}" fill="none" stroke="{colour}" stroke-width="1.5"/>"#,
                path.join(" ")
            );
            for (x, m) in &pts {
                let _ = writeln!(
                    body,
                    r#"<line x1="{0:.1}" x2="{0:.1}" y1="{1:.1}" y2="{2:.1}" stroke="{colour}"/><circle cx="{0:.1}" cy="{3:.1}" r="2.5" fill="{colour}"/>"#,
                    px(*x),
                    py(m.low()),
                    py(m.high()),
                    py(m.mean)
                );
            }
            let _ = writeln!(
                body,
                r#"<text x="{:.1}" y="{:.1}" fill="{colour}">{}</text>"#,
                width - right + 10.0,
                y0 + top + 14.0 * k as f64 + 10.0,
                esc(&pricing.label())
            );
        }
        y0 += panel_h;
    }
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{:.0}" viewBox="0 0 {width:.0} {:.0}" font-family="sans-serif" font-size="11">
{body}</svg>
"#,
        y0 + 10.0,
        y0 + 10.0
    )
}

/// `report.html` of a stage sweep: the class of each stage's plan per capacity and
/// pricing, the crossovers with their intervals, and the chart.
pub fn stages_html(scenario: &str, result: &StagesResult) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>crossover plan, stages: {}</title>\
         <style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}}\
         td.l,th.l{{text-align:left}}</style></head><body>\n",
        esc(scenario)
    );
    let _ = writeln!(h, "<h1>When the plan changes as the stack grows: {}</h1>", esc(scenario));
    let _ = writeln!(
        h,
        "<p>Each stage planned under each capacity and pricing; each cell is the plan's class and its \
         $/month (95% interval). Compute spend is the best all-serverless plan's infrastructure bill. \
         {} simulations.</p>",
        result.simulations
    );
    for capacity in Capacity::ALL {
        let _ = writeln!(
            h,
            "<h2>{}</h2><table><tr><th class=\"l\">stage</th><th>compute $/month</th>",
            capacity.name()
        );
        for p in result.pricings() {
            let _ = write!(h, "<th class=\"l\">{}</th>", esc(&p.label()));
        }
        let _ = writeln!(h, "</tr>");
        for (i, name) in result.stages.iter().enumerate() {
            let rows: Vec<&StageRow> =
                result.rows.iter().filter(|r| r.stage == i && r.capacity == capacity).collect();
            let compute = rows.first().map_or(f64::NAN, |r| r.compute.mean);
            let _ = write!(h, "<tr><td class=\"l\">{}</td><td>{:.0}</td>", esc(name), compute);
            for r in rows {
                let m = crossover_engine::mean_ci95(&r.plan().totals);
                let _ = write!(
                    h,
                    "<td class=\"l\">{} ${:.0} ± {:.0}</td>",
                    r.class().name(),
                    m.mean,
                    m.half_width
                );
            }
            let _ = writeln!(h, "</tr>");
        }
        let _ = writeln!(h, "</table>");
    }
    let _ = writeln!(h, "<h2>Crossovers</h2>");
    let rows = crossover_rows(result);
    if rows.is_empty() {
        let _ = writeln!(
            h,
            "<p>The cheaper half (all-serverless or with Kubernetes) is the same at every stage.</p>"
        );
    } else {
        let _ = writeln!(h, "<table><tr>");
        for c in STAGE_CROSSOVERS_COLUMNS {
            let _ = write!(h, "<th class=\"l\">{c}</th>");
        }
        let _ = writeln!(h, "</tr>");
        for row in rows {
            let cells: Vec<String> = row.iter().map(|c| format!("<td class=\"l\">{}</td>", esc(c))).collect();
            let _ = writeln!(h, "<tr>{}</tr>", cells.join(""));
        }
        let _ = writeln!(h, "</table>");
    }
    let _ = writeln!(h, "<h2>Chart</h2>\n{}\n</body></html>", stages_svg(result));
    h
}
