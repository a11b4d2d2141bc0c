//! `report.html`: one self-contained page (inline SVG and CSS, no script, no network)
//! with the verdict, the summary table, every chart, the assumptions and the scenario
//! as run.

use crate::charts::{pareto_front, Chart};
use crate::plot_dir::{PlatformRow, RunData, ServiceRow, Table, COST_ITEMS, INFRA_ITEMS};
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

/// The infrastructure line items of a bill, largest first, as (label, USD), positive only.
fn bill(p: &PlatformRow) -> Vec<(&'static str, f64)> {
    let mut items: Vec<(&str, f64)> = COST_ITEMS
        .iter()
        .take(INFRA_ITEMS)
        .zip(&p.items)
        .map(|((_, label), v)| (*label, *v))
        .filter(|(_, v)| v.is_finite() && *v > 0.0)
        .collect();
    items.sort_by(|a, b| b.1.total_cmp(&a.1));
    items
}

/// A share in words where it reads better than a number.
fn share(f: f64) -> String {
    if (0.45..=0.55).contains(&f) {
        "half".into()
    } else if (0.3..=0.36).contains(&f) {
        "a third".into()
    } else if (0.23..=0.27).contains(&f) {
        "a quarter".into()
    } else if f >= 0.995 {
        "all of it".into()
    } else if f >= 0.9 {
        "nearly all".into()
    } else {
        format!("{:.0}%", 100.0 * f)
    }
}

/// A share as a percentage that never rounds a part up to the whole.
fn percent(f: f64) -> String {
    if f > 0.99 && f < 1.0 {
        "over 99%".into()
    } else {
        format!("{:.0}%", 100.0 * f)
    }
}

/// Why `w` wins on cost: what its bill is made of, and the line items that make the
/// next cheapest candidate (meeting the SLO, if there is one) dearer.
fn why(w: &PlatformRow, data: &RunData) -> Vec<String> {
    let all = &data.summary;
    let mut out = Vec::new();
    let items = bill(w);
    let total: f64 = items.iter().map(|i| i.1).sum();
    if total > 0.0 {
        // The items making up most (80%) of the bill, at most three.
        let mut shown = Vec::new();
        let mut covered = 0.0;
        for &(label, v) in items.iter().take(3) {
            if covered >= 0.8 * total {
                break;
            }
            shown.push(format!("{label} {} ({})", style::usd(v), share(v / total)));
            covered += v;
        }
        out.push(format!("Where {}'s {}/month goes: {}.", w.name, style::usd(w.cost), shown.join(", ")));
    }
    let runner_up = all
        .iter()
        .filter(|p| p.name != w.name && p.cost >= w.cost)
        .filter(|p| data.meets_slo(p) != Some(false))
        .min_by(|a, b| a.cost.total_cmp(&b.cost));
    let Some(r) = runner_up else { return out };
    let gap = r.cost - w.cost;
    if gap.is_nan() || gap <= 0.0 {
        return out;
    }
    // Per line item, how much more the runner-up pays; the biggest differences decide.
    let mut diffs: Vec<(&str, f64)> = COST_ITEMS
        .iter()
        .take(INFRA_ITEMS)
        .enumerate()
        .map(|(i, (_, label))| {
            let v = |p: &PlatformRow| p.items.get(i).copied().filter(|v| v.is_finite()).unwrap_or(0.0);
            (*label, v(r) - v(w))
        })
        .filter(|(_, d)| d.abs() >= 0.005)
        .collect();
    diffs.sort_by(|a, b| b.1.abs().total_cmp(&a.1.abs()));
    let more: Vec<String> = diffs
        .iter()
        .filter(|d| d.1 > 0.0 && d.1 >= 0.1 * gap)
        .take(3)
        .map(|(label, d)| format!("{} more for {label}", style::usd(*d)))
        .collect();
    let less: Vec<String> = diffs
        .iter()
        .filter(|d| d.1 < 0.0 && -d.1 >= 0.1 * gap)
        .take(2)
        .map(|(label, d)| format!("{} less for {label}", style::usd(-d)))
        .collect();
    if more.is_empty() {
        return out;
    }
    let next = match (data.has_slo(), data.is_stack()) {
        (true, false) => "the next cheapest meeting the SLO",
        (true, true) => "the next cheapest meeting every service's SLO",
        (false, _) => "the next cheapest",
    };
    let mut line = format!(
        "Why {} wins: {}, {next}, costs {} more ({} vs {}): it pays {}",
        w.name,
        r.name,
        style::usd(gap),
        style::usd(r.cost),
        style::usd(w.cost),
        more.join(", ")
    );
    if !less.is_empty() {
        let _ = write!(line, " and {}", less.join(", "));
    }
    line.push('.');
    out.push(line);
    out
}

/// What the infrastructure-cheapest platform adds beyond its bill that the
/// TCO-cheapest does not: people and overhead, as a clause.
fn tco_why(tco: &PlatformRow, cheapest: &PlatformRow) -> String {
    let v = |p: &PlatformRow, i: usize| p.items.get(i).copied().filter(|v| v.is_finite()).unwrap_or(0.0);
    let people = |p: &PlatformRow| v(p, COST_ITEMS.len() - 1);
    let overhead = |p: &PlatformRow| (INFRA_ITEMS..COST_ITEMS.len() - 1).map(|i| v(p, i)).sum::<f64>();
    let (dp, doh) = (people(cheapest) - people(tco), overhead(cheapest) - overhead(tco));
    let mut parts = Vec::new();
    if dp > 0.0 {
        parts.push(format!("{} more for operations people", style::usd(dp)));
    }
    if doh > 0.0 {
        parts.push(format!("{} more for load balancer, NAT and observability", style::usd(doh)));
    }
    if parts.is_empty() {
        return String::new();
    }
    format!(": {} pays {}", cheapest.name, parts.join(" and "))
}

/// When people dominate the cheapest total cost of ownership, say so: then staffing,
/// not the platform's prices, decides the TCO.
fn people_line(p: &PlatformRow) -> Option<String> {
    let people = p.items.get(COST_ITEMS.len() - 1).copied().filter(|v| v.is_finite() && *v > 0.0)?;
    (p.tco > 0.0 && people / p.tco >= 0.5).then(|| {
        format!(
            "Operations people ({}/month) are {} of {}'s total cost of ownership ({}): at this scale staffing, not infrastructure prices, decides the TCO.",
            style::usd(people),
            percent(people / p.tco),
            p.name,
            style::usd(p.tco)
        )
    })
}

/// Without an SLO: the cheapest, the fastest, and that nothing is ruled out on latency.
fn no_slo_lines(s: &[PlatformRow], cheapest: &PlatformRow, fastest: &PlatformRow) -> Vec<String> {
    let mut out = vec![format!(
        "Cheapest: {} at {}/month (infrastructure), p99 {}.",
        cheapest.name,
        style::usd(cheapest.cost),
        style::ms(cheapest.p99)
    )];
    if fastest.name == cheapest.name && s.len() > 1 {
        out.push(format!("{} is also the fastest: no other platform buys a lower p99.", cheapest.name));
    } else if fastest.name != cheapest.name {
        out.push(format!(
            "Fastest: {} with p99 {} at {}/month.",
            fastest.name,
            style::ms(fastest.p99),
            style::usd(fastest.cost)
        ));
    }
    out.push("The scenario sets no SLO (simulation.slo_p99), so no platform is ruled out on latency.".into());
    out
}

/// The service of `platform`'s stack furthest above (or closest to) its SLO.
fn worst_service<'a>(data: &'a RunData, platform: &'a str) -> Option<&'a ServiceRow> {
    data.services_of(platform)
        .filter(|r| r.slo_ratio.is_some())
        .max_by(|a, b| a.slo_ratio.unwrap_or(0.0).total_cmp(&b.slo_ratio.unwrap_or(0.0)))
}

/// `api (p99 512 ms, SLO 300 ms)`.
fn against_slo(r: &ServiceRow) -> String {
    format!("{} (p99 {}, SLO {})", r.service, style::ms(r.p99), style::ms(r.slo.unwrap_or(0.0)))
}

/// A stack of several services: what runs, the cheapest platform meeting every
/// service's SLO (or the one closest to meeting them), and who misses which SLO.
fn stack_lines(data: &RunData, cheapest: &PlatformRow, fastest: &PlatformRow) -> Vec<String> {
    let s = &data.summary;
    let names = data.service_names();
    let mut out = Vec::new();
    if !data.has_slo() {
        out.extend(no_slo_lines(s, cheapest, fastest));
        out.pop();
        out.push(format!(
            "No service of the stack has an SLO (slo_p99), so no platform is ruled out on latency; p99 is over all {} services' requests.",
            names.len()
        ));
        return out;
    }
    let meeting =
        s.iter().filter(|p| data.meets_slo(p) == Some(true)).min_by(|a, b| a.cost.total_cmp(&b.cost));
    match meeting {
        Some(p) => {
            let worst = worst_service(data, &p.name);
            out.push(format!(
                "Cheapest meeting every service's SLO: {} at {}/month for the stack of {} services{}.",
                p.name,
                style::usd(p.cost),
                names.len(),
                worst.map_or(String::new(), |w| format!("; closest to its SLO: {}", against_slo(w)))
            ));
        }
        None => {
            // The platform whose worst service is least far above its SLO.
            let ratio = |p: &PlatformRow| data.stack_total(&p.name).and_then(|t| t.slo_ratio);
            let closest = s
                .iter()
                .filter(|p| ratio(p).is_some())
                .min_by(|a, b| ratio(a).unwrap_or(0.0).total_cmp(&ratio(b).unwrap_or(0.0)));
            match closest.and_then(|p| Some((p, worst_service(data, &p.name)?))) {
                Some((p, w)) => out.push(format!(
                    "No platform meets every service's SLO; the closest is {} at {}/month, where {} is {:.2}× its SLO.",
                    p.name,
                    style::usd(p.cost),
                    against_slo(w),
                    w.slo_ratio.unwrap_or(0.0)
                )),
                None => out.push("No platform meets every service's SLO.".into()),
            }
        }
    }
    let missing: Vec<String> = s
        .iter()
        .filter_map(|p| {
            let misses: Vec<String> =
                data.services_of(&p.name).filter(|r| r.meets == Some(false)).map(against_slo).collect();
            (!misses.is_empty()).then(|| format!("on {}: {}", p.name, misses.join(", ")))
        })
        .collect();
    if !missing.is_empty() {
        out.push(format!("Missing their SLO: {}.", missing.join("; ")));
    }
    out
}

/// Where the winner's stack bill goes by service (allocated), with the nodes' idle
/// capacity and what is billed once for the stack.
fn split_line(data: &RunData, w: &PlatformRow) -> Option<String> {
    let total = data.stack_total(&w.name)?;
    if w.cost <= 0.0 {
        return None;
    }
    let pct = |v: f64| percent(v / w.cost);
    let mut parts: Vec<String> = data
        .services_of(&w.name)
        .map(|r| format!("{} {} ({})", r.service, style::usd(r.cost), pct(r.cost)))
        .collect();
    if total.idle > 0.0 {
        parts.push(format!("idle node capacity {} ({})", style::usd(total.idle), pct(total.idle)));
    }
    if total.shared > 0.0 {
        parts.push(format!("shared fees {} ({})", style::usd(total.shared), pct(total.shared)));
    }
    Some(format!("By service, {}'s {}/month is: {}.", w.name, style::usd(w.cost), parts.join(", ")))
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
        if data.is_stack() {
            out.extend(stack_lines(data, cheapest, fastest));
        } else {
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
                    let missing: Vec<&str> =
                        s.iter().filter(|p| p.p99 > slo).map(|p| p.name.as_str()).collect();
                    if !missing.is_empty() && missing.len() < s.len() {
                        out.push(format!("Missing the SLO: {}.", missing.join(", ")));
                    }
                }
                None => out.extend(no_slo_lines(s, cheapest, fastest)),
            }
        }
        // Why: the line items that make the winner's bill and the runner-up's difference.
        let winner = if data.has_slo() {
            s.iter().filter(|p| data.meets_slo(p) == Some(true)).min_by(by_cost)
        } else {
            Some(cheapest)
        };
        if let Some(w) = winner {
            if data.is_stack() {
                out.extend(split_line(data, w));
            }
            out.extend(why(w, data));
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
                "Counting load balancers, NAT, observability and operations people (TCO), the cheapest is {} at {}/month{}.",
                tco.name,
                style::usd(tco.tco),
                tco_why(tco, cheapest)
            ));
        }
        if let Some(line) = people_line(tco) {
            out.push(line);
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
            let ci = c.ci.map_or(String::new(), |(lo, hi)| {
                format!(" (95% {} .. {})", style::tick(lo), style::tick(hi))
            });
            let sides = |cheaper: &str| match (c.below.as_str(), c.above.as_str()) {
                ("", _) | (_, "") => String::new(),
                (below, above) => format!(" Below it {below} {cheaper}; above it {above}."),
            };
            if c.platform_b.is_empty() {
                let sides = match (c.below.as_str(), c.above.as_str()) {
                    ("", _) | (_, "") => String::new(),
                    (below, above) => format!(" It {below} the SLO below and {above} it above."),
                };
                out.push(format!(
                    "Crossover: {} crosses the SLO at {param} = {}{ci}.{sides}",
                    c.platform_a,
                    style::tick(c.x)
                ));
            } else {
                out.push(format!(
                    "Crossover at {param} = {}{ci}: {} and {} are equal on {}{model}.{}",
                    style::tick(c.x),
                    c.platform_a,
                    c.platform_b,
                    c.metric,
                    sides("is cheaper")
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
th{background:#fafafa;white-space:normal;vertical-align:bottom}.bills td:nth-child(3),.presets td{text-align:left;white-space:normal}.presets th{text-align:left}\
details summary{cursor:pointer;color:#0072b2}td:first-child,th:first-child{text-align:left}\
.sw{display:inline-block;width:12px;height:12px;border-radius:2px;margin-right:6px;vertical-align:-1px}\
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto;border:1px solid #eee}\
figcaption{color:#666;font-size:.85em}pre{background:#f7f7f7;padding:12px;overflow-x:auto;font-size:.8em}\
.src td{text-align:left;white-space:normal}";

/// Added to [`CSS`] for a stack of several services only, so a one-service report is
/// the same page as before stacks.
const STACK_CSS: &str =
    ".services td.l,.services th.l{text-align:left}.services tr.total td{border-bottom:2px solid #bbb}\
.services tr.unallocated td{color:#666}";

/// A cell of the report's tables: a value of summary.csv, with its interval when it has one.
#[derive(Clone, Copy)]
enum Cell {
    Usd(&'static str),
    UsdCi(&'static str, &'static str),
    Ms(&'static str),
    MsCi(&'static str, &'static str),
    Int(&'static str),
    Pct(&'static str),
    Num(&'static str),
    Failed,
}

/// The summary table: the columns that decide (cost, latency, failures), few enough to
/// fit the page with a dozen platforms. The rest goes to [`DETAILS`].
const SUMMARY: &[(&str, Cell)] = &[
    ("infra $/month ± 95%", Cell::UsdCi("cost_month_usd", "cost_month_ci95")),
    ("TCO $/month", Cell::Usd("cost_tco_month_usd")),
    ("p50 ms", Cell::Ms("p50_ms")),
    ("p99 ms ± 95%", Cell::MsCi("p99_ms", "p99_ms_ci95")),
    ("p99.9 ms", Cell::Ms("p999_ms")),
    ("failed", Cell::Failed),
    // A count: a fraction of millions of requests shows as 0.00%.
    ("cold starts", Cell::Int("cold_starts")),
];

const DETAILS: &[(&str, Cell)] = &[
    ("with overhead $/month", Cell::Usd("cost_overhead_month_usd")),
    ("requests", Cell::Int("requests")),
    ("instances avg", Cell::Num("mean_instances")),
    ("instances peak", Cell::Int("peak_instances")),
    ("nodes avg", Cell::Num("mean_nodes")),
    ("nodes peak", Cell::Int("peak_nodes")),
    ("utilization %", Cell::Pct("utilization")),
];

impl Cell {
    /// The column a cell needs (a file without it has no such column in the table).
    fn column(self) -> &'static str {
        match self {
            Cell::Usd(c) | Cell::UsdCi(c, _) | Cell::Ms(c) | Cell::MsCi(c, _) => c,
            Cell::Int(c) | Cell::Pct(c) | Cell::Num(c) => c,
            Cell::Failed => "requests",
        }
    }
}

fn cell(t: &Table, i: usize, c: Cell) -> Option<String> {
    let n = |name: &str| t.col(name).map(|c| t.text(i, c).parse::<f64>().unwrap_or(0.0));
    Some(match c {
        Cell::Usd(col) => format!("{:.2}", n(col)?),
        Cell::UsdCi(col, ci) => format!("{:.2} ± {:.2}", n(col)?, n(ci).unwrap_or(0.0)),
        Cell::Ms(col) => format!("{:.1}", n(col)?),
        Cell::MsCi(col, ci) => format!("{:.1} ± {:.1}", n(col)?, n(ci).unwrap_or(0.0)),
        Cell::Int(col) => format!("{:.0}", n(col)?),
        Cell::Pct(col) => format!("{:.2}", n(col)? * 100.0),
        Cell::Num(col) => format!("{:.2}", n(col)?),
        Cell::Failed => {
            let req = n("requests")?;
            let failed = n("rejected").unwrap_or(0.0) + n("timed_out").unwrap_or(0.0);
            if req > 0.0 {
                format!("{:.3}%", 100.0 * failed / req)
            } else {
                "0".into()
            }
        }
    })
}

/// A table of `columns` (those the file has) with a row per platform.
fn table_html(t: &Table, palette: &Palette, columns: &[(&str, Cell)], class: &str) -> String {
    let present: Vec<&(&str, Cell)> = columns.iter().filter(|(_, c)| t.col(c.column()).is_some()).collect();
    let mut h = format!("<div class=\"wide\"><table class=\"{class}\"><thead><tr><th>platform</th>");
    for (head, _) in &present {
        let _ = write!(h, "<th>{}</th>", escape(head));
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
        for (_, c) in &present {
            let _ = write!(h, "<td>{}</td>", escape(&cell(t, i, *c).unwrap_or_default()));
        }
        h.push_str("</tr>");
    }
    h.push_str("</tbody></table></div>");
    h
}

/// Where each platform's money goes: its largest infrastructure line items with their
/// share, then what the total cost of ownership adds.
fn bills_html(data: &RunData, palette: &Palette) -> String {
    let mut h = String::from(
        "<div class=\"wide\"><table class=\"bills\"><thead><tr><th>platform</th><th>infra $/month</th><th>largest line items (share of infrastructure)</th><th>overhead $/month</th><th>people $/month</th></tr></thead><tbody>",
    );
    for p in &data.summary {
        let items = bill(p);
        let total: f64 = items.iter().map(|i| i.1).sum();
        let parts: Vec<String> = items
            .iter()
            .take(4)
            .filter(|i| total > 0.0 && i.1 >= 0.05 * total)
            .map(|(label, v)| format!("{label} {} ({:.0}%)", style::usd(*v), 100.0 * v / total))
            .collect();
        let v = |i: usize| p.items.get(i).copied().filter(|v| v.is_finite()).unwrap_or(0.0);
        let overhead: f64 = (INFRA_ITEMS..COST_ITEMS.len() - 1).map(v).sum();
        let _ = write!(
            h,
            "<tr><td><span class=\"sw\" style=\"background:{}\"></span>{}</td><td>{:.2}</td><td>{}</td><td>{:.2}</td><td>{:.2}</td></tr>",
            palette.hex(&p.name),
            escape(&p.name),
            p.cost,
            escape(&parts.join(", ")),
            overhead,
            v(COST_ITEMS.len() - 1)
        );
    }
    h.push_str("</tbody></table></div>");
    h
}

/// A stack of several services: per platform, each service's allocated cost and share
/// of the bill, its p99 against its SLO, then the nodes' idle capacity and the shared
/// fees, which with the services make up the platform's whole bill.
fn services_html(data: &RunData, palette: &Palette) -> String {
    let mut h = String::new();
    let names = data.service_names();
    let _ = writeln!(
        h,
        "<p>Every platform runs the same stack of {} services: {}. Each service is allocated the cost of what it uses, as OpenCost allocates a cluster: on serverless platforms its own usage (after its share of a free tier counted once for the stack), on a cluster its pods' requests priced at their nodes' rates. What no service is allocated is shown apart: the nodes' capacity no pod requested (idle), and the fees billed once for the stack (control plane, fixed fees). Services, idle and shared add up to the platform's infrastructure bill in the summary.</p>",
        names.len(),
        escape(&names.join(", "))
    );
    let misses: Vec<String> = data
        .summary
        .iter()
        .filter_map(|p| {
            let m: Vec<String> = data
                .services_of(&p.name)
                .filter(|r| r.meets == Some(false))
                .map(|r| escape(&r.service))
                .collect();
            (!m.is_empty())
                .then(|| format!("<li><strong>{}</strong>: {}</li>", escape(&p.name), m.join(", ")))
        })
        .collect();
    if data.has_slo() {
        if misses.is_empty() {
            h.push_str("<p class=\"slo-ok\">Every service meets its SLO on every platform.</p>\n");
        } else {
            h.push_str("<p>Services missing their SLO (pooled p99 above it), by platform:</p>\n<ul class=\"slo-misses\">\n");
            for m in misses {
                let _ = writeln!(h, "{m}");
            }
            h.push_str("</ul>\n");
        }
    }
    h.push_str(
        "<div class=\"wide\"><table class=\"services\"><thead><tr><th>platform</th><th class=\"l\">service</th><th>infra $/month ± 95%</th><th>share of bill</th><th>p99 ms ± 95%</th><th>SLO ms</th><th>p99 / SLO</th><th>SLO</th><th>failed</th></tr></thead><tbody>",
    );
    for p in &data.summary {
        let rows: Vec<&ServiceRow> = data.services_of(&p.name).collect();
        let Some(total) = data.stack_total(&p.name) else { continue };
        let share =
            |v: f64| if total.cost > 0.0 { format!("{:.1}%", 100.0 * v / total.cost) } else { String::new() };
        let span = rows.len() + 3;
        let mut first = true;
        let mut lead = |h: &mut String| {
            if std::mem::take(&mut first) {
                let _ = write!(
                    h,
                    "<td rowspan=\"{span}\"><span class=\"sw\" style=\"background:{}\"></span>{}</td>",
                    palette.hex(&p.name),
                    escape(&p.name)
                );
            }
        };
        for r in &rows {
            h.push_str("<tr>");
            lead(&mut h);
            let failed =
                if r.requests > 0.0 { format!("{:.3}%", 100.0 * r.failed / r.requests) } else { "0".into() };
            let _ = write!(
                h,
                "<td class=\"l\">{}</td><td>{:.2} ± {:.2}</td><td>{}</td><td>{:.1} ± {:.1}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&r.service),
                r.cost,
                r.cost_ci,
                share(r.cost),
                r.p99,
                r.p99_ci,
                r.slo.map_or(String::new(), |v| format!("{v:.0}")),
                r.slo_ratio.map_or(String::new(), |v| format!("{v:.2}")),
                match r.meets {
                    Some(true) => "meets",
                    Some(false) => "<strong>misses</strong>",
                    None => "",
                },
                failed
            );
        }
        for (label, v) in [("idle node capacity", total.idle), ("shared fees", total.shared)] {
            h.push_str("<tr class=\"unallocated\">");
            lead(&mut h);
            let _ = write!(h, "<td class=\"l\"><em>{label}</em></td><td>{v:.2}</td><td>{}</td><td></td><td></td><td></td><td></td><td></td></tr>", share(v));
        }
        h.push_str("<tr class=\"total\">");
        lead(&mut h);
        let _ = write!(
            h,
            "<td class=\"l\"><strong>stack</strong></td><td><strong>{:.2}</strong> ± {:.2}</td><td>100%</td><td>{:.1} ± {:.1}</td><td></td><td>{}</td><td>{}</td><td></td></tr>",
            total.cost,
            total.cost_ci,
            total.p99,
            total.p99_ci,
            total.slo_ratio.map_or(String::new(), |v| format!("{v:.2}")),
            match total.meets {
                Some(true) => "every service meets",
                Some(false) => "<strong>misses</strong>",
                None => "",
            }
        );
    }
    h.push_str("</tbody></table></div>\n<p class=\"sub\">p99 / SLO: the service's pooled p99 over its SLO (above 1 misses it); on the stack row, the worst service's. The stack's p99 is over every request of every service. ± is the half-width of the 95% confidence interval across replications. Overhead and people (TCO) are in services.csv.</p>\n");
    h.push_str(&jobs_html(data, palette));
    h
}

/// Workers' backlogs and scheduled jobs' runs, by platform, if the stack has any.
fn jobs_html(data: &RunData, palette: &Palette) -> String {
    let rows: Vec<&ServiceRow> =
        data.services.iter().filter(|r| r.kind == "worker" || r.kind == "cron").collect();
    if rows.is_empty() {
        return String::new();
    }
    let mut h = String::from(
        "<h3>Workers and scheduled jobs</h3>\n<p>A worker's latency is a job's, from enqueue to done; its backlog is the jobs waiting for an instance. A scheduled job's makespan runs from the run's start to its last task done; a run is missed when it ends after its deadline.</p>\n<div class=\"wide\"><table class=\"services\"><thead><tr><th>platform</th><th class=\"l\">service</th><th class=\"l\">kind</th><th>peak backlog</th><th>mean backlog</th><th>runs per replication</th><th>missed deadlines</th><th>makespan p50 s</th><th>makespan p99 s</th><th>$ per run</th></tr></thead><tbody>",
    );
    let cell = |v: Option<f64>, digits: usize| v.map_or(String::new(), |v| format!("{v:.digits$}"));
    for r in rows {
        let j = &r.jobs;
        let _ = write!(
            h,
            "<tr><td><span class=\"sw\" style=\"background:{}\"></span>{}</td><td class=\"l\">{}</td><td class=\"l\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            palette.hex(&r.platform),
            escape(&r.platform),
            escape(&r.service),
            escape(&r.kind),
            cell(j.peak_backlog, 0),
            cell(j.mean_backlog, 2),
            cell(j.runs, 1),
            cell(j.missed_deadlines, 0),
            cell(j.makespan_p50, 0),
            cell(j.makespan_p99, 0),
            cell(j.cost_per_run, 3),
        );
    }
    h.push_str("</tbody></table></div>\n");
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
    // One row per platform (a dozen fit on a screen), then each preset's sources folded:
    // they are read only to check a price.
    let mut h = String::from(
        "<div class=\"wide\"><table class=\"presets\"><thead><tr><th>platform</th><th>preset</th><th>what it is and how it bills</th><th>Prices as of</th></tr></thead><tbody>",
    );
    let mut shown: Vec<&str> = Vec::new();
    for (platform, preset) in &used {
        let Some(p) = crossover_scenario::presets::find(preset) else { continue };
        let _ = write!(
            h,
            "<tr><td>{}</td><td><code>{}</code></td><td>{}. Billing: {}.</td><td>{}</td></tr>",
            escape(platform),
            escape(preset),
            escape(&p.title),
            escape(&p.billing_model),
            escape(&p.as_of)
        );
    }
    h.push_str("</tbody></table></div>\n");
    for (_, preset) in &used {
        let Some(p) = crossover_scenario::presets::find(preset) else { continue };
        if shown.contains(&preset.as_str()) {
            continue;
        }
        shown.push(preset);
        let _ = write!(
            h,
            "<details><summary>sources of preset <code>{}</code> ({} values)</summary><table class=\"src\"><thead><tr><th>key</th><th>source</th></tr></thead><tbody>",
            escape(preset),
            p.sources.len()
        );
        for (key, source) in &p.sources {
            let _ = write!(h, "<tr><td><code>{}</code></td><td>{}</td></tr>", escape(key), escape(source));
        }
        h.push_str("</tbody></table></details>\n");
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
/// The commitments table: each platform's programme, the level bought, how much of the
/// eligible usage it covered and what it saved, from `commitments.csv` as written.
fn commitments_html(t: &Table) -> String {
    let cell = |i: usize, name: &str| t.col(name).map_or(String::new(), |c| escape(t.text(i, c)));
    let mut h = String::from(
        "<div class=\"wide\"><table class=\"commitments\"><thead><tr><th>platform</th><th>programme</th><th>discount</th><th>level $/hour</th><th>covered</th><th>used</th><th>on demand $/month</th><th>saving $/month</th></tr></thead><tbody>",
    );
    let num = |i: usize, name: &str| t.col(name).and_then(|c| t.text(i, c).parse::<f64>().ok());
    let pct = |i: usize, name: &str| num(i, name).map_or(String::new(), percent);
    let money = |i: usize, name: &str| num(i, name).map_or(String::new(), style::usd);
    for i in 0..t.rows.len() {
        let _ = write!(
            h,
            "<tr><td>{}</td><td>{} {}</td><td>{}</td><td>{} ± {}</td><td>{}</td><td>{}</td><td>{}</td><td>{} ± {}</td></tr>",
            cell(i, "platform"),
            cell(i, "kind"),
            cell(i, "term"),
            pct(i, "discount"),
            cell(i, "level_usd_per_hour"),
            cell(i, "level_ci95"),
            pct(i, "covered_fraction"),
            pct(i, "utilisation"),
            money(i, "on_demand_month_usd"),
            money(i, "saving_month_usd"),
            money(i, "saving_ci95"),
        );
    }
    h.push_str("</tbody></table></div>\n<p class=\"sub\">A commitment is paid every hour, used or not, and covers eligible usage (nodes, or vCPU, memory and GPUs) worth up to level / (1 − discount) at on-demand prices in that hour; the rest is billed on demand. Covered: the share of eligible usage it covered; used: the share of the commitment used. The infrastructure cost above includes its fee (the commitment line); on demand is the same usage without it. An \"auto\" level is the best for each replication's own hours, chosen with hindsight.</p>\n");
    h
}

pub fn report_html(data: &RunData, charts: &[Chart]) -> String {
    let palette = Palette::new(data.platforms().iter().map(String::as_str));
    let (name, description) = scenario_name(data);
    let title =
        if name.is_empty() { "crossover report".to_string() } else { format!("crossover report: {name}") };
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{}</title>\n<style>{CSS}{}</style>\n</head>\n<body>\n<h1>{}</h1>\n",
        escape(&title),
        if data.is_stack() { STACK_CSS } else { "" },
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
        h.push_str(&table_html(t, &palette, SUMMARY, "summary"));
        h.push_str(
            "\n<p class=\"sub\">Costs are USD per 730-hour month; ± is the half-width of the 95% confidence interval across replications. Latencies are end to end (queueing, cold-start wait and service) of completed requests, pooled over replications. Failed = rejected + timed out.</p>\n",
        );
        if !data.summary.is_empty() {
            h.push_str("<h3>Where the money goes</h3>\n");
            h.push_str(&bills_html(data, &palette));
            h.push_str("\n<p class=\"sub\">Overhead: load balancer, NAT gateway and observability; people: operations staff (FTE × loaded salary / 12). TCO = infrastructure + overhead + people.</p>\n");
        }
        if let Some(c) = &data.commitments {
            h.push_str("<h3>Commitments</h3>\n");
            h.push_str(&commitments_html(c));
        }
        h.push_str("<h3>Details</h3>\n");
        h.push_str(&table_html(t, &palette, DETAILS, "details"));
        h.push('\n');
    }
    // Only a stack of several services gets its own section: with one service the
    // summary already says everything, and the page reads as it did before stacks.
    if data.is_stack() {
        h.push_str("<h2>Services</h2>\n");
        h.push_str(&services_html(data, &palette));
    }
    if let Some(sweep) = &data.sweep {
        if !sweep.crossovers.is_empty() {
            h.push_str("<h2>Crossovers</h2>\n<table><thead><tr><th>parameter</th><th>metric</th><th>platforms</th><th>at</th><th>95%</th><th>below</th><th>above</th><th>cost model</th></tr></thead><tbody>");
            for c in &sweep.crossovers {
                let pair = if c.platform_b.is_empty() {
                    format!("{} / SLO", c.platform_a)
                } else {
                    format!("{} / {}", c.platform_a, c.platform_b)
                };
                let ci = c
                    .ci
                    .map_or(String::new(), |(lo, hi)| format!("{} .. {}", style::tick(lo), style::tick(hi)));
                let _ = write!(
                    h,
                    "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                    escape(if c.parameter.is_empty() {
                        sweep.params.first().map_or("", String::as_str)
                    } else {
                        &c.parameter
                    }),
                    escape(&c.metric),
                    escape(&pair),
                    style::tick(c.x),
                    ci,
                    escape(&c.below),
                    escape(&c.above),
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
        // Folded: the full scenario is long (half the page for a dozen platforms) and
        // read only to check a value.
        h.push_str("\n<h2>Scenario as run</h2>\n<details class=\"scenario\"><summary>scenario.resolved.toml (every value the run used)</summary>\n<pre>");
        h.push_str(&escape(scenario));
        h.push_str("</pre>\n</details>\n");
    }
    h.push_str("</body>\n</html>\n");
    h
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot_dir::RunFiles;

    fn data(summary: &str, slo: Option<&str>) -> RunData {
        let mut f = RunFiles::default();
        f.insert("summary.csv", summary.as_bytes().to_vec());
        if let Some(slo) = slo {
            f.insert("scenario.resolved.toml", format!("[simulation]\nslo_p99 = \"{slo}\"\n").into_bytes());
        }
        RunData::parse(&f).unwrap()
    }

    const HEADER: &str = "platform,cost_month_usd,cost_month_ci95,cost_tco_month_usd,p99_ms,cost_cpu_usd,cost_memory_usd,cost_egress_usd,cost_nodes_usd,cost_control_plane_usd,cost_people_usd\n";

    /// The verdict names the line items that decide: the winner's bill by item, and what
    /// the next cheapest meeting the SLO pays more (and less) for.
    #[test]
    fn the_verdict_says_which_line_items_decide() {
        let d = data(
            &format!(
                "{HEADER}cloud-run,68.00,1,68.00,300,20,14,34,0,0,0\n\
                 gke,146.00,1,26146.00,400,0,0,0,73,73,26000\n\
                 slow,10.00,1,10.00,9000,10,0,0,0,0,0\n"
            ),
            Some("500ms"),
        );
        let v = verdict(&d);
        assert!(
            v.iter().any(|l| l.starts_with("Cheapest meeting the SLO") && l.contains("cloud-run")),
            "{v:#?}"
        );
        assert!(v.contains(&"Where cloud-run's $68.00/month goes: egress $34.00 (half), vCPU $20.00 (29%), memory $14.00 (21%).".to_string()), "{v:#?}");
        let why = v.iter().find(|l| l.starts_with("Why cloud-run wins")).expect("a why line");
        assert!(why.contains("gke, the next cheapest meeting the SLO, costs $78.00 more"), "{why}");
        assert!(why.contains("$73.00 more for nodes") && why.contains("$34.00 less for egress"), "{why}");
        // `slow` is cheaper but misses the SLO: never the runner-up.
        assert!(!why.contains("slow"));
    }

    /// Without an SLO the cheapest wins; the TCO winner's line says what the cheapest
    /// pays more for, and people making most of a TCO are named.
    #[test]
    fn the_tco_lines_name_people_and_overhead() {
        let d = data(
            &format!(
                "{HEADER}cluster,50.00,1,26050.00,300,0,0,0,50,0,26000\n\
                 serverless,90.00,1,90.00,300,60,30,0,0,0,0\n"
            ),
            None,
        );
        let v = verdict(&d);
        let tco = v.iter().find(|l| l.starts_with("Counting load balancers")).expect("a TCO line");
        assert!(
            tco.contains("serverless at $90.00/month: cluster pays $26,000 more for operations people"),
            "{tco}"
        );
        let d = data(&format!("{HEADER}cluster,50.00,1,26050.00,300,0,0,0,50,0,26000\n"), None);
        assert!(verdict(&d)
            .iter()
            .any(|l| l.starts_with("Operations people ($26,000/month) are over 99% of cluster's")));
    }

    #[test]
    fn the_summary_table_keeps_eight_columns_and_a_details_table_the_rest() {
        let d = data(&format!("{HEADER}a,1,0,1,1,1,0,0,0,0,0\n"), None);
        let html = report_html(&d, &[]);
        let summary =
            html.split("<table class=\"summary\">").nth(1).unwrap().split("</thead>").next().unwrap();
        assert!(summary.matches("<th>").count() <= 8);
        assert!(html.contains("<table class=\"details\">") && html.contains("Where the money goes"));
    }

    /// A stack of several services gets a Services section (its table, who misses
    /// which SLO) and its own styles; the verdict judges each service by its own SLO.
    #[test]
    fn a_stack_gets_a_services_section_and_verdict() {
        let d = RunData::parse(&crate::test_stack::files()).unwrap();
        assert!(d.is_stack());
        let html = report_html(&d, &[]);
        assert!(html.contains("<h2>Services</h2>") && html.contains("<table class=\"services\">"));
        assert!(html.contains(STACK_CSS));
        let table =
            html.split("<table class=\"services\">").nth(1).unwrap().split("</table>").next().unwrap();
        for row in ["api", "worker", "web", "idle node capacity", "shared fees", "stack"] {
            assert_eq!(table.matches(&format!(">{row}<")).count(), 3, "{row}: a row per platform");
        }
        assert_eq!(
            table.matches("<strong>misses</strong>").count(),
            4,
            "api on two platforms, and their stacks"
        );
        let v = verdict(&d);
        assert!(v[0].starts_with("Cheapest meeting every service's SLO: eks at $312/month"), "{v:#?}");
        assert!(
            v.contains(&"Missing their SLO: on cloud-run: api (p99 364 ms, SLO 300 ms); on gke-autopilot: api (p99 313 ms, SLO 300 ms).".to_string()),
            "{v:#?}"
        );
        let split = v.iter().find(|l| l.starts_with("By service, eks's $312/month is:")).expect("the split");
        assert!(split.contains("idle node capacity $101") && split.contains("shared fees $73.00"), "{split}");
    }

    /// With one service, services.csv adds nothing to the page: the report is the one
    /// drawn without it, byte for byte.
    #[test]
    fn one_service_gets_the_report_it_had_before_stacks() {
        let mut result = crate::test_stack::result();
        for p in &mut result.platforms {
            p.services.truncate(1);
            p.services[0].latency = None;
            for r in &mut p.replications {
                r.services.truncate(1);
            }
        }
        let mut without = RunFiles::default();
        without.insert("summary.csv", crate::summary_csv(&result));
        let mut with = without.clone();
        with.insert("services.csv", crate::services_csv(&result));
        let (a, b) = (RunData::parse(&without).unwrap(), RunData::parse(&with).unwrap());
        assert!(!b.is_stack() && b.services.len() == 6);
        // The service's SLO, from services.csv when the scenario does not say.
        assert_eq!(b.slo_ms, Some(300.0));
        let mut a = a;
        a.slo_ms = Some(300.0);
        assert_eq!(report_html(&a, &[]), report_html(&b, &[]));
        assert_eq!(verdict(&a), verdict(&b));
        assert!(!report_html(&b, &[]).contains("class=\"services\""));
    }
}
