//! The files of `crossover plan`: `plan.csv` (where each service goes, its allocated
//! cost, p99 and SLO verdict, under each cost model), `plan-comparison.csv` (the plan
//! against every single-platform answer, with the paired interval of the saving), the
//! chart `plan.svg` and `report.html`.

use crate::csv_out::{frac, ms, to_csv, usd};
use crossover_platform::CostModel;
use crossover_runner::plan::{PlanResult, Planned};
use crossover_runner::PlatformSummary;
use std::fmt::Write;

/// `plan.csv`'s columns.
pub const PLAN_COLUMNS: &[&str] = &[
    "cost_model",
    "service",
    "platform",
    "cost_month_usd",
    "cost_month_ci95",
    "p99_ms",
    "p99_ms_ci95",
    "slo_p99_ms",
    "meets_slo",
];

/// `plan-comparison.csv`'s columns.
pub const PLAN_COMPARISON_COLUMNS: &[&str] = &[
    "cost_model",
    "candidate",
    "total_month_usd",
    "total_ci95",
    "services_missing_slo",
    "saving_month_usd",
    "saving_ci95",
    "saving_fraction",
    "search",
];

/// The name of the plan's own row in `plan-comparison.csv`, and of its total row in
/// `plan.csv`.
pub const PLAN_ROW: &str = "plan";

fn verdict(meets: Option<bool>) -> String {
    meets.map_or(String::new(), |m| m.to_string())
}

/// Each service of every platform of `planned`'s run, then each platform's whole bill
/// (service `all`), then the plan's total (platform `plan`).
fn plan_rows(planned: &Planned) -> Vec<Vec<String>> {
    let model = planned.plan.model;
    let mut rows = Vec::new();
    for p in &planned.run.platforms {
        for s in p.service_views() {
            let cost = s.cost_under(model);
            rows.push(vec![
                model.name().to_string(),
                s.name().to_string(),
                p.platform.clone(),
                usd(cost.mean),
                usd(cost.half_width),
                ms(s.latency().quantile_ms(0.99)),
                ms(s.p99().half_width),
                s.slo_p99().map_or(String::new(), |d| ms(d.as_nanos() as f64 / 1e6)),
                verdict(s.meets_slo()),
            ]);
        }
    }
    for p in &planned.run.platforms {
        rows.push(platform_total_row(model, p));
    }
    let total = crossover_engine::mean_ci95(&planned.run_totals());
    let all_meet = planned
        .run
        .platforms
        .iter()
        .flat_map(|p| p.service_views())
        .filter_map(|s| s.meets_slo())
        .collect::<Vec<_>>();
    rows.push(vec![
        model.name().to_string(),
        crate::ALL_SERVICES.to_string(),
        PLAN_ROW.to_string(),
        usd(total.mean),
        usd(total.half_width),
        String::new(),
        String::new(),
        String::new(),
        if all_meet.is_empty() { String::new() } else { all_meet.iter().all(|m| *m).to_string() },
    ]);
    rows
}

fn platform_total_row(model: CostModel, p: &PlatformSummary) -> Vec<String> {
    let cost = p.cost_under(model);
    let with_slo = p.service_views().filter(|s| s.slo_p99().is_some()).count();
    let all_meet = p.services_meeting_slo().map(|n| n == with_slo);
    vec![
        model.name().to_string(),
        crate::ALL_SERVICES.to_string(),
        p.platform.clone(),
        usd(cost.mean),
        usd(cost.half_width),
        ms(p.latency.quantile_ms(0.99)),
        ms(p.p99().half_width),
        String::new(),
        verdict(all_meet),
    ]
}

/// `plan.csv`: the plan under every cost model.
pub fn plan_csv(result: &PlanResult) -> Vec<u8> {
    to_csv(PLAN_COLUMNS, result.models.iter().flat_map(plan_rows))
}

/// `plan-comparison.csv`: per cost model, the plan's total, then every single-platform
/// answer with the saving the plan makes against it.
pub fn plan_comparison_csv(result: &PlanResult) -> Vec<u8> {
    let rows = result.models.iter().flat_map(|planned| {
        let model = planned.plan.model.name().to_string();
        let total = crossover_engine::mean_ci95(&planned.run_totals());
        let head = vec![
            model.clone(),
            PLAN_ROW.to_string(),
            usd(total.mean),
            usd(total.half_width),
            planned.plan.best.misses.to_string(),
            String::new(),
            String::new(),
            String::new(),
            planned.plan.search.describe(),
        ];
        std::iter::once(head).chain(planned.comparisons.iter().map(move |c| {
            vec![
                model.clone(),
                c.platform.clone(),
                usd(c.total.mean),
                usd(c.total.half_width),
                c.misses.to_string(),
                usd(c.saving.mean),
                usd(c.saving.half_width),
                frac(if c.total.mean > 0.0 { c.saving.mean / c.total.mean } else { 0.0 }),
                String::new(),
            ]
        }))
    });
    to_csv(PLAN_COMPARISON_COLUMNS, rows)
}

/// The `[[platform]]` entries (with their `[platform.services.NAME]` tables) that run
/// `planned`'s plan: paste them over a scenario's platforms, or run the whole
/// `plan-MODEL.toml`.
pub fn plan_entries(planned: &Planned) -> String {
    #[derive(serde::Serialize)]
    struct Entries<'a> {
        platform: &'a [crossover_scenario::schema::PlatformSection],
    }
    toml::to_string_pretty(&Entries { platform: &planned.placed.file.platforms })
        .unwrap_or_else(|e| format!("# the entries could not be written: {e}\n"))
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// `plan.svg`: for each cost model, the plan's monthly total and every single-platform
/// answer's as horizontal bars with their 95% intervals; answers that miss an SLO are
/// drawn hatched-grey. Drawn by hand (plain SVG, fixed precision), so it is the same
/// bytes on every machine.
pub fn plan_svg(result: &PlanResult) -> String {
    let (width, label_w, row_h, gap) = (760.0f64, 170.0f64, 18.0f64, 34.0f64);
    let mut y = 10.0;
    let mut body = String::new();
    for planned in &result.models {
        let model = planned.plan.model;
        let total = crossover_engine::mean_ci95(&planned.run_totals());
        let mut bars: Vec<(String, f64, f64, bool, bool)> =
            vec![(PLAN_ROW.to_string(), total.mean, total.half_width, planned.plan.best.misses == 0, true)];
        bars.extend(
            planned
                .comparisons
                .iter()
                .map(|c| (c.platform.clone(), c.total.mean, c.total.half_width, c.misses == 0, false)),
        );
        let max = bars.iter().map(|b| b.1 + b.2).fold(0.0f64, f64::max).max(1e-9);
        let scale = (width - label_w - 90.0) / max;
        let _ = writeln!(
            body,
            r#"<text x="4" y="{:.1}" font-weight="bold">{} ($/month, 95% interval)</text>"#,
            y + 12.0,
            model.name()
        );
        y += 20.0;
        for (name, mean, half, meets, is_plan) in bars {
            let w = (mean * scale).max(0.0);
            let fill = if is_plan {
                "#1f77b4"
            } else if meets {
                "#9ecae1"
            } else {
                "#cccccc"
            };
            let _ = writeln!(
                body,
                r#"<text x="{:.1}" y="{:.1}" text-anchor="end">{}{}</text><rect x="{label_w:.1}" y="{:.1}" width="{w:.1}" height="{:.1}" fill="{fill}"/><line x1="{:.1}" x2="{:.1}" y1="{:.1}" y2="{:.1}" stroke="black"/><text x="{:.1}" y="{:.1}">{}</text>"#,
                label_w - 6.0,
                y + row_h - 5.0,
                esc(&name),
                if meets { "" } else { " (misses SLO)" },
                y + 2.0,
                row_h - 4.0,
                label_w + ((mean - half) * scale).max(0.0),
                label_w + (mean + half) * scale,
                y + row_h / 2.0,
                y + row_h / 2.0,
                label_w + (mean + half) * scale + 6.0,
                y + row_h - 5.0,
                format_usd(mean)
            );
            y += row_h;
        }
        y += gap - row_h;
    }
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0}" height="{:.0}" viewBox="0 0 {width:.0} {:.0}" font-family="DejaVu Sans, sans-serif" font-size="12">
<rect width="100%" height="100%" fill="white"/>
{body}</svg>
"#,
        y + 10.0,
        y + 10.0
    )
}

fn format_usd(x: f64) -> String {
    if x.abs() >= 1000.0 {
        format!("${:.0}", x)
    } else {
        format!("${:.2}", x)
    }
}

/// `report.html` of a plan: per cost model, the plan as a table (service, platform,
/// allocated cost, p99 against the SLO), its total against every single-platform
/// answer with the saving's interval, where the plans of the cost models differ, the
/// chart, and the entries that reproduce the plan with `crossover run`.
pub fn plan_html(scenario: &str, result: &PlanResult, primary: CostModel) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>crossover plan: {}</title>\
         <style>body{{font-family:sans-serif;max-width:980px;margin:2em auto;padding:0 1em;color:#222}}\
         table{{border-collapse:collapse;margin:1em 0}}td,th{{border-bottom:1px solid #ddd;padding:3px 8px;text-align:right}}\
         td.l,th.l{{text-align:left}}tr.total td{{border-top:2px solid #bbb;font-weight:bold}}pre{{background:#f6f6f6;padding:1em;overflow-x:auto}}\
         .miss{{color:#b00}}</style></head><body>\n",
        esc(scenario)
    );
    let _ = writeln!(h, "<h1>Where each service should run: {}</h1>", esc(scenario));
    let p = result.get(primary);
    let total = crossover_engine::mean_ci95(&p.run_totals());
    let _ = writeln!(
        h,
        "<p>The cheapest placement under the <b>{}</b> cost model costs <b>{}</b>/month (± {}), {}. Search: {}.</p>",
        primary.name(),
        format_usd(total.mean),
        format_usd(total.half_width),
        if p.plan.best.misses == 0 {
            "every service meeting its SLO".to_string()
        } else {
            format!("<span class=\"miss\">{} service(s) missing their SLO on every placement tried</span>", p.plan.best.misses)
        },
        esc(&p.plan.search.describe())
    );
    if let Some(best) =
        p.comparisons.iter().filter(|c| c.misses == 0).min_by(|a, b| a.total.mean.total_cmp(&b.total.mean))
    {
        let _ = writeln!(
            h,
            "<p>The best single platform meeting every SLO is <b>{}</b> at {}/month: the plan saves {} (95% interval {} to {}, from per-replication paired differences).</p>",
            esc(&best.platform),
            format_usd(best.total.mean),
            format_usd(best.saving.mean),
            format_usd(best.saving.low()),
            format_usd(best.saving.high())
        );
    }
    // Where the cost models disagree.
    let differs: Vec<String> = (0..result.models[0].plan.best.assignment.len())
        .filter_map(|s| {
            let places: Vec<String> =
                result.models.iter().map(|m| m.placed_platform(s).to_string()).collect();
            (places.iter().any(|x| *x != places[0])).then(|| {
                let per: Vec<String> = result
                    .models
                    .iter()
                    .zip(&places)
                    .map(|(m, x)| format!("{}: {}", m.plan.model.name(), esc(x)))
                    .collect();
                format!("<li><b>{}</b>: {}</li>", esc(result.models[0].service_name(s)), per.join("; "))
            })
        })
        .collect();
    if differs.is_empty() {
        let _ = writeln!(
            h,
            "<p>The plan is the same under the infrastructure, overhead and TCO cost models.</p>"
        );
    } else {
        let _ = writeln!(
            h,
            "<p>The plans of the cost models differ for these services:</p><ul>{}</ul>",
            differs.join("")
        );
    }
    let _ = writeln!(h, "<h2>Plan and single platforms</h2>\n{}", plan_svg(result));
    for planned in &result.models {
        let model = planned.plan.model;
        let _ = writeln!(h, "<h2>Plan under the {} cost model</h2>", model.name());
        let _ = writeln!(
            h,
            "<table><tr><th class=\"l\">service</th><th class=\"l\">platform</th><th>allocated $/month</th><th>±95%</th><th>p99 ms</th><th>±95%</th><th>SLO ms</th><th>meets</th></tr>"
        );
        for row in plan_rows(planned) {
            let total = row[1] == crate::ALL_SERVICES;
            let class = if total { " class=\"total\"" } else { "" };
            let miss = row[8] == "false";
            let _ = writeln!(
                h,
                "<tr{class}><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td{}>{}</td></tr>",
                esc(&row[1]),
                esc(&row[2]),
                row[3],
                row[4],
                row[5],
                row[6],
                row[7],
                if miss { " class=\"miss\"" } else { "" },
                row[8]
            );
        }
        let _ = writeln!(h, "</table>");
        let _ = writeln!(
            h,
            "<table><tr><th class=\"l\">single platform</th><th>$/month</th><th>±95%</th><th>services missing SLO</th><th>plan saves</th><th>95% interval</th></tr>"
        );
        for c in &planned.comparisons {
            let _ = writeln!(
                h,
                "<tr><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} to {}</td></tr>",
                esc(&c.platform),
                usd(c.total.mean),
                usd(c.total.half_width),
                c.misses,
                usd(c.saving.mean),
                usd(c.saving.low()),
                usd(c.saving.high())
            );
        }
        let _ = writeln!(h, "</table>");
        let _ = writeln!(
            h,
            "<p>Search: {}. The entries that run this plan with <code>crossover run</code> (also <code>plan-{}.toml</code>, the whole scenario):</p><pre>{}</pre>",
            esc(&planned.plan.search.describe()),
            model.name(),
            esc(&plan_entries(planned))
        );
    }
    h.push_str("</body></html>\n");
    h
}
