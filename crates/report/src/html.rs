//! `report.html`: one self-contained page (inline SVG and CSS, no script, no network)
//! with the verdict, the summary table, every chart, the assumptions and the scenario
//! as run.

use crate::charts::{pareto_front, Chart};
use crate::plot_dir::{PlatformRow, RunData, Table};
use crate::style::{self, Palette};
use std::fmt::Write;

pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Plain-language conclusions, one sentence each.
pub fn verdict(data: &RunData) -> Vec<String> {
    let mut out = Vec::new();
    let s = &data.summary;
    fn by_cost(a: &&PlatformRow, b: &&PlatformRow) -> std::cmp::Ordering {
        a.cost.total_cmp(&b.cost)
    }
    if !s.is_empty() {
        let cheapest = s.iter().min_by(by_cost).expect("not empty");
        let fastest = s.iter().min_by(|a, b| a.p99.total_cmp(&b.p99)).expect("not empty");
        match data.slo_ms {
            Some(slo) => {
                let meeting: Vec<_> = s.iter().filter(|p| p.p99 <= slo).collect();
                match meeting.iter().copied().min_by(by_cost) {
                    Some(p) => out.push(format!(
                        "Cheapest meeting the SLO (p99 ≤ {}): {} at {}/month, p99 {}.",
                        style::ms(slo),
                        p.name,
                        style::usd(p.cost),
                        style::ms(p.p99)
                    )),
                    None => out.push(format!(
                        "No platform meets the SLO (p99 ≤ {}); the fastest is {} with p99 {} at {}/month.",
                        style::ms(slo),
                        fastest.name,
                        style::ms(fastest.p99),
                        style::usd(fastest.cost)
                    )),
                }
                let missing: Vec<&str> = s.iter().filter(|p| p.p99 > slo).map(|p| p.name.as_str()).collect();
                if !missing.is_empty() && missing.len() < s.len() {
                    out.push(format!("Missing the SLO: {}.", missing.join(", ")));
                }
            }
            None => {
                out.push(format!(
                    "Cheapest: {} at {}/month (infrastructure), p99 {}.",
                    cheapest.name,
                    style::usd(cheapest.cost),
                    style::ms(cheapest.p99)
                ));
                if fastest.name == cheapest.name && s.len() > 1 {
                    out.push(format!(
                        "{} is also the fastest: no other platform buys a lower p99.",
                        cheapest.name
                    ));
                } else if fastest.name != cheapest.name {
                    out.push(format!(
                        "Fastest: {} with p99 {} at {}/month.",
                        fastest.name,
                        style::ms(fastest.p99),
                        style::usd(fastest.cost)
                    ));
                }
                out.push(
                    "The scenario sets no SLO (simulation.slo_p99), so no platform is ruled out on latency."
                        .into(),
                );
            }
        }
        // Is the cheapest clearly cheapest, or within the noise of the runner-up?
        let mut sorted: Vec<_> = s.iter().collect();
        sorted.sort_by(by_cost);
        if let [a, b, ..] = sorted[..] {
            if b.cost - a.cost <= a.cost_ci + b.cost_ci {
                out.push(format!(
                    "{} and {} cost the same within their 95% confidence intervals ({} ± {} vs {} ± {}).",
                    a.name,
                    b.name,
                    style::usd(a.cost),
                    style::usd(a.cost_ci),
                    style::usd(b.cost),
                    style::usd(b.cost_ci)
                ));
            }
        }
        let tco = s.iter().min_by(|a, b| a.tco.total_cmp(&b.tco)).expect("not empty");
        if tco.name != cheapest.name {
            out.push(format!(
                "Counting load balancers, NAT, observability and operations people (TCO), the cheapest is {} at {}/month.",
                tco.name,
                style::usd(tco.tco)
            ));
        }
        let front = pareto_front(&s.iter().map(|p| (p.cost, p.p99)).collect::<Vec<_>>());
        if front.len() > 1 {
            let names: Vec<&str> = front.iter().map(|&i| s[i].name.as_str()).collect();
            out.push(format!(
                "On the cost/p99 frontier (nothing is both cheaper and faster): {}.",
                names.join(", ")
            ));
        }
        for p in s.iter().filter(|p| p.spilled_fraction > 0.0 || p.overflow_cost > 0.0) {
            out.push(format!(
                "{} is a hybrid: {:.2}% of requests spilled to its overflow platform, whose bill is {} of its \
                 {}/month; p99 {} on the baseline, {} on the overflow.",
                p.name,
                100.0 * p.spilled_fraction,
                style::usd(p.overflow_cost),
                style::usd(p.cost),
                style::ms(p.base_p99),
                style::ms(p.overflow_p99)
            ));
        }
        for p in s {
            if p.requests > 0.0 && p.failed / p.requests > 0.001 {
                out.push(format!(
                    "{} failed {:.2}% of requests (rejected or timed out): its p99 counts only those served.",
                    p.name,
                    100.0 * p.failed / p.requests
                ));
            }
        }
    }
    if let Some(sweep) = &data.sweep {
        if sweep.crossovers.is_empty() {
            out.push("No crossover within the swept range.".into());
        }
        for c in &sweep.crossovers {
            let param = if c.parameter.is_empty() {
                sweep.params.first().cloned().unwrap_or_default()
            } else {
                c.parameter.clone()
            };
            let model =
                if c.cost_model.is_empty() { String::new() } else { format!(", {} cost", c.cost_model) };
            if c.platform_b.is_empty() {
                out.push(format!(
                    "Crossover: {} crosses the SLO at {param} = {}.",
                    c.platform_a,
                    style::tick(c.x)
                ));
            } else {
                out.push(format!(
                    "Crossover at {param} = {}: {} and {} are equal on {}{model}.",
                    style::tick(c.x),
                    c.platform_a,
                    c.platform_b,
                    c.metric
                ));
            }
        }
    }
    out
}

const CSS: &str = "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;margin:0 auto;max-width:1000px;padding:24px;color:#222;line-height:1.45}\
h1{font-size:1.7em;margin-bottom:.2em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ddd;padding-bottom:.2em}\
.sub{color:#666;margin-top:0}.verdict{background:#f3f7fb;border-left:4px solid #0072b2;padding:12px 18px}\
.verdict li{margin:.3em 0}.wide{overflow-x:auto}table{border-collapse:collapse;font-size:.82em;margin:1em 0}\
th,td{padding:4px 6px;border-bottom:1px solid #e5e5e5;text-align:right;white-space:nowrap}\
th{background:#fafafa}td:first-child,th:first-child{text-align:left}\
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}\
figcaption{color:#666;font-size:.85em}pre{background:#f7f7f7;padding:12px;overflow-x:auto;font-size:.8em}\
.src td{text-align:left;white-space:normal}";

/// Columns of the report's summary table: (header, summary.csv column, kind).
const TABLE: &[(&str, &str, &str)] = &[
    ("infra $/month", "cost_month_usd", "usd"),
    ("± 95%", "cost_month_ci95", "usd"),
    ("with overhead", "cost_overhead_month_usd", "usd"),
    ("TCO", "cost_tco_month_usd", "usd"),
    ("p50 ms", "p50_ms", "ms"),
    ("p99 ms", "p99_ms", "ms"),
    ("± 95%", "p99_ms_ci95", "ms"),
    ("p99.9 ms", "p999_ms", "ms"),
    ("requests", "requests", "int"),
    ("failed", "rejected", "failed"),
    ("cold %", "cold_start_fraction", "pct"),
    ("instances avg", "mean_instances", "f"),
    ("peak", "peak_instances", "int"),
];

fn summary_html(t: &Table, palette: &Palette) -> String {
    let mut h = String::from("<div class=\"wide\"><table><thead><tr><th>platform</th>");
    for (head, col, _) in TABLE {
        if t.col(col).is_some() {
            let _ = write!(h, "<th>{}</th>", escape(head));
        }
    }
    h.push_str("</tr></thead><tbody>");
    let platform = t.col("platform").unwrap_or(0);
    for i in 0..t.rows.len() {
        let name = t.text(i, platform);
        let _ = write!(
            h,
            "<tr><td><span class=\"sw\" style=\"background:{}\"></span>{}</td>",
            palette.hex(name),
            escape(name)
        );
        for (_, col, kind) in TABLE {
            let Some(c) = t.col(col) else { continue };
            let v: f64 = t.text(i, c).parse().unwrap_or(0.0);
            let cell = match *kind {
                "usd" => format!("{v:.2}"),
                "ms" => format!("{v:.1}"),
                "int" => format!("{v:.0}"),
                "pct" => format!("{:.2}", v * 100.0),
                "failed" => {
                    let n = |name| t.col(name).and_then(|c| t.text(i, c).parse::<f64>().ok()).unwrap_or(0.0);
                    let req = n("requests");
                    let failed = n("rejected") + n("timed_out");
                    if req > 0.0 {
                        format!("{:.3}%", 100.0 * failed / req)
                    } else {
                        "0".into()
                    }
                }
                _ => format!("{v:.2}"),
            };
            let _ = write!(h, "<td>{cell}</td>");
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>");
    h
}

/// The presets named by the scenario's platforms, with their dates and sources.
fn presets_html(scenario: &str) -> String {
    let Ok(doc) = toml::from_str::<toml::Table>(scenario) else { return String::new() };
    let mut used: Vec<(String, String)> = Vec::new();
    for p in doc.get("platform").and_then(|v| v.as_array()).into_iter().flatten() {
        let name = p.get("name").and_then(|v| v.as_str()).unwrap_or("");
        if let Some(preset) = p.get("preset").and_then(|v| v.as_str()) {
            used.push((name.to_string(), preset.to_string()));
        }
    }
    if used.is_empty() {
        return "<p>No platform uses a preset: every price is the scenario's own (below).</p>".into();
    }
    let mut h = String::new();
    let mut shown: Vec<String> = Vec::new();
    for (platform, preset) in &used {
        let Some(p) = crossover_scenario::presets::find(preset) else { continue };
        let _ = write!(
            h,
            "<h3>{} — preset <code>{}</code></h3><p>{}. Billing: {}. Prices as of <b>{}</b>.</p>",
            escape(platform),
            escape(preset),
            escape(&p.title),
            escape(&p.billing_model),
            escape(&p.as_of)
        );
        if shown.contains(preset) {
            h.push_str("<p>Sources: as above.</p>");
            continue;
        }
        shown.push(preset.clone());
        h.push_str("<table class=\"src\"><thead><tr><th>key</th><th>source</th></tr></thead><tbody>");
        for (key, source) in &p.sources {
            let _ = write!(h, "<tr><td><code>{}</code></td><td>{}</td></tr>", escape(key), escape(source));
        }
        h.push_str("</tbody></table>");
    }
    h
}

fn scenario_name(data: &RunData) -> (String, String) {
    let doc = data.scenario.as_deref().and_then(|s| toml::from_str::<toml::Table>(s).ok());
    let get =
        |k: &str| doc.as_ref().and_then(|d| d.get(k)).and_then(|v| v.as_str()).unwrap_or("").to_string();
    (get("name"), get("description"))
}

/// The whole page. `charts` are inlined as SVG in the order given.
pub fn report_html(data: &RunData, charts: &[Chart]) -> String {
    let palette = Palette::new(data.platforms().iter().map(String::as_str));
    let (name, description) = scenario_name(data);
    let title =
        if name.is_empty() { "crossover report".to_string() } else { format!("crossover report: {name}") };
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        escape(&title)
    );
    if !description.is_empty() {
        let _ = writeln!(h, "<p class=\"sub\">{}</p>", escape(&description));
    }
    h.push_str("<h2>Verdict</h2>\n<ul class=\"verdict\">\n");
    for line in verdict(data) {
        let _ = writeln!(h, "<li>{}</li>", escape(&line));
    }
    h.push_str("</ul>\n");
    // How far the numbers can be trusted, before the numbers (the run prints the same).
    let caveats = crate::caveats::caveats(&data.summary, data.scenario.as_deref());
    if !caveats.is_empty() {
        h.push_str("<h2>Caveats</h2>\n<ul class=\"caveats\">\n");
        for line in caveats {
            let _ = writeln!(h, "<li>{}</li>", escape(&line));
        }
        h.push_str("</ul>\n");
    }
    if let Some(t) = &data.summary_table {
        h.push_str("<h2>Summary</h2>\n");
        h.push_str(&summary_html(t, &palette));
        h.push_str(
            "\n<p class=\"sub\">Costs are USD per 730-hour month; ± is the half-width of the 95% confidence interval across replications. Latencies are end to end (queueing, cold-start wait and service) of completed requests, pooled over replications. Failed = rejected + timed out.</p>\n",
        );
    }
    if let Some(sweep) = &data.sweep {
        if !sweep.crossovers.is_empty() {
            h.push_str("<h2>Crossovers</h2>\n<table><thead><tr><th>parameter</th><th>metric</th><th>platforms</th><th>at</th><th>cost model</th></tr></thead><tbody>");
            for c in &sweep.crossovers {
                let pair = if c.platform_b.is_empty() {
                    format!("{} / SLO", c.platform_a)
                } else {
                    format!("{} / {}", c.platform_a, c.platform_b)
                };
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(if c.parameter.is_empty() {
                        sweep.params.first().map_or("", String::as_str)
                    } else {
                        &c.parameter
                    }),
                    escape(&c.metric),
                    escape(&pair),
                    style::tick(c.x),
                    escape(&c.cost_model)
                );
            }
            h.push_str("</tbody></table>\n");
        }
    }
    h.push_str("<h2>Charts</h2>\n");
    for c in charts {
        let svg = c.svg.trim_start_matches(|ch: char| ch != '<');
        let svg = if svg.starts_with("<?xml") {
            svg.split_once("?>").map_or(svg, |(_, rest)| rest.trim_start())
        } else {
            svg
        };
        let _ = write!(
            h,
            "<figure id=\"{}\">\n{}\n<figcaption>{} — {}.svg, {}.png</figcaption>\n</figure>\n",
            escape(&c.name),
            svg,
            escape(&c.title),
            escape(&c.name),
            escape(&c.name)
        );
    }
    h.push_str("<h2>Assumptions</h2>\n<ul>\n<li>A month is 730 hours (8760 / 12): every cost is measured over the simulated horizon and scaled to 730 hours; monthly free tiers come off after scaling.</li>\n<li>Infrastructure is what the provider bills to run the service; “with overhead” adds load balancers, NAT gateways and observability; TCO adds operations people (FTE × loaded salary / 12).</li>\n<li>Every platform sees the identical request stream in a replication (common random numbers); intervals are Student-t 95% intervals over replications.</li>\n<li>Prices and behaviours come from the presets below (or from the scenario's own values); each value's source is listed.</li>\n</ul>\n");
    if let Some(scenario) = &data.scenario {
        h.push_str("<h2>Presets and their sources</h2>\n");
        h.push_str(&presets_html(scenario));
        h.push_str("\n<h2>Scenario as run (scenario.resolved.toml)</h2>\n<pre>");
        h.push_str(&escape(scenario));
        h.push_str("</pre>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
}
