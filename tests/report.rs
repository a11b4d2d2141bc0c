//! Charts and report.html end to end: what a run writes, that it is valid SVG, PNG and
//! self-contained HTML, that the plotted values are the CSVs' values, and that
//! `crossover plot DIR` redraws everything byte for byte.

mod common;
use common::crossover;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

const CHARTS: &[&str] = &["cost-latency", "latency", "cost-breakdown", "timeline"];

/// One run of the default scenario's serverless platforms over a day, shared by the tests (it takes seconds).
fn run_dir() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, out) = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let o = crossover(
            // The three serverless platforms these checks were written for: the cost-latency
            // chart names the points of up to four platforms beside them, which the label
            // checks below read; with more it numbers them (the twelve-platform tests).
            &[
                "run",
                "-n",
                "2",
                "--set",
                "simulation.horizon=1d",
                "--platform",
                "cloud-run",
                "--platform",
                "fargate",
                "--platform",
                "lambda",
                "--out",
                out.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        (dir, out)
    });
    out
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Rows of a CSV as column-name lookups.
fn csv_rows(path: &Path) -> Vec<std::collections::HashMap<String, String>> {
    let text = read(path);
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| header.iter().map(|h| h.to_string()).zip(l.split(',').map(str::to_string)).collect())
        .collect()
}

fn svg_doc(text: &str) -> roxmltree::Document<'_> {
    roxmltree::Document::parse(text).unwrap_or_else(|e| panic!("not well-formed SVG: {e}"))
}

fn png_size(path: &Path) -> (u32, u32) {
    let decoder = png::Decoder::new(std::fs::File::open(path).unwrap());
    let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{}: not a PNG: {e}", path.display()));
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("the image decodes");
    (info.width, info.height)
}

/// Circles of radius `r` in an SVG, as (cx, cy).
fn circles(doc: &roxmltree::Document, r: &str) -> Vec<(f64, f64)> {
    doc.descendants()
        .filter(|n| n.has_tag_name("circle") && n.attribute("r") == Some(r))
        .map(|n| (n.attribute("cx").unwrap().parse().unwrap(), n.attribute("cy").unwrap().parse().unwrap()))
        .collect()
}

#[test]
fn a_run_writes_every_chart_as_valid_svg_and_png() {
    let dir = run_dir();
    for name in CHARTS {
        let svg = read(&dir.join(format!("{name}.svg")));
        let doc = svg_doc(&svg);
        let root = doc.root_element();
        assert_eq!(root.tag_name().name(), "svg");
        let (w, h) = png_size(&dir.join(format!("{name}.png")));
        assert_eq!(root.attribute("width"), Some(w.to_string().as_str()), "{name}");
        assert_eq!(root.attribute("height"), Some(h.to_string().as_str()), "{name}");
    }
}

#[test]
fn the_cost_latency_points_are_the_summary_rows() {
    let dir = run_dir();
    let summary = csv_rows(&dir.join("summary.csv"));
    let svg = read(&dir.join("cost-latency.svg"));
    let doc = svg_doc(&svg);
    let pts = circles(&doc, "6");
    assert_eq!(pts.len(), summary.len(), "one point per platform");
    // Points are drawn in summary order: more cost is further right, more p99 higher up.
    let num = |r: &std::collections::HashMap<String, String>, c: &str| r[c].parse::<f64>().unwrap();
    for i in 0..pts.len() {
        for j in 0..pts.len() {
            if num(&summary[i], "cost_month_usd") < num(&summary[j], "cost_month_usd") {
                assert!(pts[i].0 < pts[j].0, "x order of {i} and {j}");
            }
            if num(&summary[i], "p99_ms") < num(&summary[j], "p99_ms") {
                assert!(pts[i].1 > pts[j].1, "y order of {i} and {j}");
            }
        }
        // Each label carries the platform and its cost as in the CSV (to the cent).
        let cost = format!("${:.2}", num(&summary[i], "cost_month_usd"));
        assert!(svg.contains(&summary[i]["platform"]) && svg.contains(&cost), "{cost}");
    }
}

#[test]
fn latency_and_timeline_csvs_agree_with_the_run() {
    let dir = run_dir();
    let summary = csv_rows(&dir.join("summary.csv"));
    let latency = csv_rows(&dir.join("latency.csv"));
    for p in &summary {
        // The 0.99 quantile point is the summary's p99, to the microsecond.
        let row = latency
            .iter()
            .find(|r| r["platform"] == p["platform"] && r["quantile"] == "0.9900000")
            .unwrap_or_else(|| panic!("no p99 point for {}", p["platform"]));
        assert_eq!(row["latency_ms"], p["p99_ms"]);
    }
    // p50, p99 and p99.9 are marked on each curve of the latency chart.
    let svg = read(&dir.join("latency.svg"));
    assert_eq!(circles(&svg_doc(&svg), "5").len(), 3 * summary.len());

    // A one-day horizon: the busiest day is the whole of replication 0, every minute.
    let timeline = csv_rows(&dir.join("timeline.csv"));
    let reps = csv_rows(&dir.join("replications.csv"));
    for p in &summary {
        let rows: Vec<_> = timeline.iter().filter(|r| r["platform"] == p["platform"]).collect();
        assert_eq!(rows.len(), 1440, "{}", p["platform"]);
        let arrivals: u64 = rows.iter().map(|r| r["arrivals"].parse::<u64>().unwrap()).sum();
        let rep0 = reps.iter().find(|r| r["replication"] == "0" && r["platform"] == p["platform"]).unwrap();
        assert_eq!(arrivals.to_string(), rep0["requests"], "{}", p["platform"]);
    }
}

#[test]
fn the_report_is_self_contained_and_shows_every_chart() {
    let dir = run_dir();
    let html = read(&dir.join("report.html"));
    for attr in
        ["src=\"http", "href=\"http", "src='http", "href='http", "<script", "<link", "@import", "url("]
    {
        assert!(!html.contains(attr), "report.html contains {attr}");
    }
    assert_eq!(html.matches("<svg").count(), CHARTS.len());
    for name in CHARTS {
        assert!(html.contains(&format!("<figure id=\"{name}\">")), "{name}");
    }
    for p in csv_rows(&dir.join("summary.csv")) {
        assert!(html.contains(&p["platform"]));
    }
    assert!(html.contains("Cheapest"), "a verdict");
    assert!(html.contains("730 hours"), "the month assumption");
    assert!(html.contains("Prices as of"), "presets' dates");
    assert!(html.contains("[simulation]"), "the scenario as run");
}

#[test]
fn plot_redraws_a_run_byte_for_byte() {
    let dir = run_dir();
    let copy = tempfile::tempdir().unwrap();
    for f in [
        "summary.csv",
        "services.csv",
        "replications.csv",
        "latency.csv",
        "timeline.csv",
        "scenario.resolved.toml",
    ] {
        std::fs::copy(dir.join(f), copy.path().join(f)).unwrap();
    }
    let o = crossover(&["plot", copy.path().to_str().unwrap()], copy.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let mut outputs: Vec<String> =
        CHARTS.iter().flat_map(|c| [format!("{c}.svg"), format!("{c}.png")]).collect();
    outputs.push("report.html".into());
    for f in outputs {
        let (a, b) = (std::fs::read(dir.join(&f)).unwrap(), std::fs::read(copy.path().join(&f)).unwrap());
        assert!(a == b, "{f} differs when redrawn");
    }
}

#[test]
fn a_sweep_chart_shows_its_points_crossovers_and_log_axis() {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/sweep");
    for f in ["sweep.csv", "crossovers.csv", "scenario.resolved.toml"] {
        std::fs::copy(fixture.join(f), dir.path().join(f)).unwrap();
    }
    let o = crossover(&["plot", dir.path().to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let svg = read(&dir.path().join("sweep.svg"));
    let doc = svg_doc(&svg);
    png_size(&dir.path().join("sweep.png"));
    let rows = csv_rows(&dir.path().join("sweep.csv"));
    // A marker per row on the cost panel and one per row on the p99 panel.
    assert_eq!(circles(&doc, "3").len(), 2 * rows.len());
    for label in [
        "lambda = cloud-run at 25",
        "lambda = fargate at 28.57",
        "cloud-run = fargate at 33.33",
        "cloud-run crosses the SLO at 35",
        "SLO 300 ms",
        "traffic.peak_rps (log scale)",
    ] {
        assert!(svg.contains(label), "{label}");
    }
    let html = read(&dir.path().join("report.html"));
    assert!(html.contains("Crossover at traffic.peak_rps = 25"), "the verdict names the crossover");
}

#[test]
fn plot_refuses_a_folder_without_results() {
    let dir = tempfile::tempdir().unwrap();
    let o = crossover(&["plot", dir.path().to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("nothing to plot"));
    let o = crossover(&["plot", "no-such-folder"], dir.path());
    assert_eq!(o.status.code(), Some(2));
}

/// A run folder with twelve platforms: `summary.csv` of a real run (scenarios/kubernetes.toml
/// with Fargate, Lambda and Azure Container Apps added: $54 to $228 of infrastructure,
/// TCOs from $91 to $30k, p99 from 291 ms to 115 s with intervals wider than their
/// estimate), and latency and timeline files synthesised from its rows.
fn twelve_platforms() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/twelve/summary.csv");
    std::fs::copy(&fixture, dir.path().join("summary.csv")).unwrap();
    let summary = csv_rows(&fixture);
    let num = |r: &std::collections::HashMap<String, String>, c: &str| r[c].parse::<f64>().unwrap();
    let mut latency = String::from("platform,quantile,latency_ms\n");
    let mut timeline = String::from(
        "platform,minute,arrivals,completed,rejected,mean_instances,mean_nodes,max_waiting,p99_ms\n",
    );
    for (k, p) in summary.iter().enumerate() {
        let name = &p["platform"];
        let (p50, p99, p999) = (num(p, "p50_ms"), num(p, "p99_ms"), num(p, "p999_ms"));
        // Log-linear between the three quantiles the summary gives, per decade of the tail.
        for (q, ms) in [(0.0, p50 / 4.0), (0.5, p50), (0.9, (p50 * p99).sqrt()), (0.99, p99), (0.999, p999)] {
            latency.push_str(&format!("{name},{q:.7},{ms:.3}\n"));
        }
        for m in 1440..2880u32 {
            let rate = 3.0 + 77.0 * (((m - 1440) as f64 / 1440.0) * std::f64::consts::PI).sin().powi(2);
            let arrivals = (rate * 60.0) as u64;
            let inst = 1.0 + rate / (8.0 + k as f64);
            timeline.push_str(&format!(
                "{name},{m},{arrivals},{arrivals},0,{inst:.4},{:.4},{},{:.3}\n",
                if k < 9 { 1.0 + inst / 10.0 } else { 0.0 },
                (m + k as u32) % 7,
                p99 * (1.0 + 0.2 * ((m as f64) / 37.0).sin())
            ));
        }
    }
    // A sweep of the twelve over a whole-number key, for the sweep chart's legend.
    let mut sweep = String::from("platform.min_instances,platform,cost_month_usd,p99_ms\n");
    for k in 0..4 {
        for (i, p) in summary.iter().enumerate() {
            let cost = num(p, "cost_month_usd") + 10.0 * (k * (i % 3)) as f64;
            sweep.push_str(&format!(
                "{k},{},{cost:.4},{:.3}\n",
                p["platform"],
                num(p, "p99_ms") / (k + 1) as f64
            ));
        }
    }
    std::fs::write(dir.path().join("sweep.csv"), sweep).unwrap();
    std::fs::write(dir.path().join("latency.csv"), latency).unwrap();
    std::fs::write(dir.path().join("timeline.csv"), timeline).unwrap();
    std::fs::write(
        dir.path().join("scenario.resolved.toml"),
        "name = \"twelve\"\n\n[simulation]\nseed = 1\n",
    )
    .unwrap();
    let o = crossover(&["plot", dir.path().to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    dir
}

/// A `<text>` of an SVG: its content, position, size and anchor.
struct SvgText {
    text: String,
    x: f64,
    y: f64,
    /// In pixels as drawn (plotters writes the SVG size divided by 1.24).
    size: f64,
    bold: bool,
    anchor: String,
    /// Vertically centred on `y` (`dy="0.5ex"`) rather than hanging from it.
    middle: bool,
}

fn texts(doc: &roxmltree::Document) -> Vec<SvgText> {
    doc.descendants()
        .filter(|n| n.has_tag_name("text"))
        .map(|n| SvgText {
            text: n.text().unwrap_or("").trim().to_string(),
            x: n.attribute("x").unwrap_or("0").parse().unwrap(),
            y: n.attribute("y").unwrap_or("0").parse().unwrap(),
            size: n.attribute("font-size").unwrap_or("14").parse::<f64>().unwrap() * 1.24,
            bold: n.attribute("font-weight") == Some("bold"),
            anchor: n.attribute("text-anchor").unwrap_or("start").to_string(),
            middle: n.attribute("dy") == Some("0.5ex"),
        })
        .collect()
}

/// The box a left-anchored text covers, measured with the charts' own font.
fn text_box(t: &SvgText) -> (f64, f64, f64, f64) {
    let w = crossover_report::style::text_width(&t.text, t.size.round(), t.bold) as f64;
    let top = if t.middle { t.y - t.size / 2.0 } else { t.y };
    (t.x, top, t.x + w, top + t.size)
}

fn overlap(a: (f64, f64, f64, f64), b: (f64, f64, f64, f64)) -> bool {
    a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3
}

/// With twelve platforms, every chart names every platform in full, inside the canvas,
/// and no two of those names overlap: the legends list every series and wrap rather
/// than run off the edge (the timeline's cut at "eks-karp..." and dropped two).
#[test]
fn twelve_platforms_each_appear_in_full_in_every_chart() {
    let dir = twelve_platforms();
    let names: Vec<String> =
        csv_rows(&dir.path().join("summary.csv")).into_iter().map(|r| r["platform"].clone()).collect();
    assert_eq!(names.len(), 12);
    for chart in CHARTS.iter().chain(&["sweep"]) {
        let svg = read(&dir.path().join(format!("{chart}.svg")));
        let doc = svg_doc(&svg);
        let width: f64 = doc.root_element().attribute("width").unwrap().parse().unwrap();
        let all = texts(&doc);
        let mut boxes = Vec::new();
        for name in &names {
            // The entry naming this platform (a legend entry may add its numbers).
            let t = all
                .iter()
                .find(|t| t.text == *name || t.text.starts_with(&format!("{name} ")))
                .unwrap_or_else(|| panic!("{chart}: {name} is not in the legend"));
            assert_eq!(t.anchor, "start", "{chart}: {name}");
            let b = text_box(t);
            assert!(b.0 >= 0.0 && b.2 <= width, "{chart}: {name} runs off the canvas ({b:?}, width {width})");
            boxes.push((name, b));
        }
        for (i, (a, ba)) in boxes.iter().enumerate() {
            for (b, bb) in &boxes[i + 1..] {
                assert!(!overlap(*ba, *bb), "{chart}: {a} and {b} overlap");
            }
        }
        // Twelve platforms, twelve colours.
        let (w, h) = png_size(&dir.path().join(format!("{chart}.png")));
        assert_eq!(doc.root_element().attribute("height"), Some(h.to_string().as_str()), "{chart}");
        assert_eq!(width as u32, w);
    }
}

/// p99 from 291 ms to 115 s: the latency axis is logarithmic, so the points spread over
/// the plot instead of lying on its floor; each point carries a number, none overlap.
#[test]
fn twelve_platforms_spread_over_a_log_latency_axis() {
    let dir = twelve_platforms();
    let svg = read(&dir.path().join("cost-latency.svg"));
    let doc = svg_doc(&svg);
    assert!(svg.contains("p99 latency (ms, log scale)"));
    let pts = circles(&doc, "6");
    assert_eq!(pts.len(), 12);
    let ys: Vec<f64> = pts.iter().map(|p| p.1).collect();
    let below_half = ys.iter().filter(|&&y| y > 300.0).count();
    let spread = ys.iter().cloned().fold(f64::MIN, f64::max) - ys.iter().cloned().fold(f64::MAX, f64::min);
    assert!(spread > 250.0, "the points span {spread} px");
    assert!(below_half < 12, "every point on the floor");
    // The numbered marks (radius 9) beside the points do not overlap one another.
    let marks = circles(&doc, "9");
    assert!(marks.len() >= 12, "a numbered mark per point (and per legend entry)");
    let plotted: Vec<&(f64, f64)> = marks.iter().filter(|m| m.1 < 540.0).collect();
    for (i, a) in plotted.iter().enumerate() {
        for b in &plotted[i + 1..] {
            assert!((a.0 - b.0).hypot(a.1 - b.1) >= 18.0, "numbers at {a:?} and {b:?} overlap");
        }
    }
}

/// TCO ($91 to $30k) has its own panel: the infrastructure totals ($54 to $228) spread
/// across theirs instead of being flattened to a pixel by the people cost.
#[test]
fn twelve_platforms_infrastructure_bars_keep_their_own_scale() {
    let dir = twelve_platforms();
    let svg = read(&dir.path().join("cost-breakdown.svg"));
    let doc = svg_doc(&svg);
    let all = texts(&doc);
    let x_of = |label: &str| {
        all.iter().find(|t| t.text == label).map(|t| t.x).unwrap_or_else(|| panic!("no label {label}"))
    };
    // Totals at the ends of the bars: self-managed $54.24 and eks $228 infrastructure.
    let (small, large) = (x_of("$54.24"), x_of("$228"));
    assert!(large - small > 200.0, "infrastructure bars squashed: {small} vs {large}");
    assert!(svg.contains("$30,244"), "the largest TCO is labelled");
    assert!(svg.contains("Total cost of ownership"));
}

/// The report at twelve platforms: a summary table narrow enough for the page, the
/// verdict naming the line items that decide it, the resolved scenario folded away.
#[test]
fn twelve_platforms_report_fits_and_explains() {
    let dir = twelve_platforms();
    let html = read(&dir.path().join("report.html"));
    let summary = html.split("<table class=\"summary\">").nth(1).expect("a summary table");
    let head = summary.split("</thead>").next().unwrap();
    assert!(head.matches("<th>").count() <= 8, "{} columns", head.matches("<th>").count());
    assert!(html.contains("<table class=\"details\">"), "the other columns below");
    // self-managed is cheapest ($54.24, nodes only); fargate next ($74.24) pays for vCPU
    // and idle instances and nothing for nodes.
    assert!(html.contains("Where self-managed&#39;s $54.24/month goes: nodes $54.24 (all of it)."), "{html}");
    assert!(html.contains("Why self-managed wins: fargate"));
    assert!(html.contains("more for vCPU") && html.contains("less for nodes"));
    assert!(html.contains(
        "the cheapest is fargate at $90.67/month: self-managed pays $30,000 more for operations people"
    ));
    let scenario = html.find("<details class=\"scenario\">").expect("the scenario is folded");
    assert!(html[scenario..].contains("[simulation]"));
}

/// FNV-1a (64 bit), as the digests of `tests/fixtures/one-service/digests.txt`.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ *b as u64).wrapping_mul(0x0100_0000_01b3))
}

/// One service: a run writes every file it wrote before stacks of several services
/// existed, byte for byte (charts, report.html, latency, timeline, replications but for
/// its later `queue_full` and `cost_commitment_usd` columns), and summary.csv only gains
/// the three stack columns, `queue_full` and `cost_commitment_usd` at its end;
/// services.csv is new.
#[test]
fn one_service_results_are_what_they_were_before_stacks() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/one-service");
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let scenario = fixture.join("scenario.toml");
    let o = crossover(&["run", scenario.to_str().unwrap(), "-q", "--out", out.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let digests = read(&fixture.join("digests.txt"));
    let mut pinned = vec!["summary.csv".to_string(), "services.csv".into(), "scenario.resolved.toml".into()];
    for line in digests.lines().filter(|l| !l.starts_with('#')) {
        let (digest, file) = line.split_once(' ').unwrap();
        let mut bytes = std::fs::read(out.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
        if file == "report.html" {
            let end = String::from_utf8_lossy(&bytes).find("<h2>Presets and their sources</h2>").unwrap();
            bytes.truncate(end);
        }
        if file == "replications.csv" {
            // Its two later columns, `queue_full` and `cost_commitment_usd`, taken off
            // each line (checked below).
            let text = String::from_utf8(bytes).unwrap();
            let lines: Vec<&str> = text.lines().map(|l| l.rsplitn(3, ',').nth(2).unwrap()).collect();
            assert!(
                text.starts_with(&format!("{},queue_full,cost_commitment_usd\n", lines[0])),
                "replications.csv's last columns"
            );
            assert!(text.lines().skip(1).all(|l| l.ends_with(",0.0000")), "no commitment, no fee");
            bytes = format!("{}\n", lines.join("\n")).into_bytes();
        }
        assert_eq!(format!("{:016x}", fnv1a(&bytes)), digest, "{file} changed");
        pinned.push(file.to_string());
    }
    let mut written: Vec<String> =
        std::fs::read_dir(&out).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    written.sort();
    pinned.sort();
    assert_eq!(written, pinned, "no other file");
    let before = read(&fixture.join("summary.csv"));
    let now = read(&out.join("summary.csv"));
    for (b, n) in before.lines().zip(now.lines()) {
        let (kept, added) = n.split_at(b.len());
        assert_eq!(kept, b);
        assert_eq!(added.matches(',').count(), 5, "{added}");
    }
    assert_eq!(
        now.lines().next().unwrap(),
        format!(
            "{},services,services_meeting_slo,worst_slo_ratio,queue_full,cost_commitment_usd",
            before.lines().next().unwrap()
        )
    );
    assert_eq!(before.lines().count(), now.lines().count());
    // Per platform a row for its service, whose requests and latencies are the stack's
    // and whose allocated cost with the idle and shared parts is the bill; then the
    // `all` row, the summary's.
    let services = csv_rows(&out.join("services.csv"));
    let summary = csv_rows(&out.join("summary.csv"));
    assert_eq!(services.len(), 2 * summary.len());
    let n = |r: &std::collections::HashMap<String, String>, c: &str| -> f64 { r[c].parse().unwrap() };
    for (pair, s) in services.chunks(2).zip(&summary) {
        assert_eq!((pair[0]["service"].as_str(), pair[1]["service"].as_str()), ("service", "all"));
        for c in ["p99_ms", "p99_ms_ci95", "requests", "completed"] {
            assert_eq!(pair[0][c], s[c], "{} {c}", s["platform"]);
        }
        for c in ["cost_month_usd", "p99_ms", "requests", "cost_tco_month_usd"] {
            assert_eq!(pair[1][c], s[c], "{} {c}", s["platform"]);
        }
        for (model, shared) in
            [("cost_month_usd", "shared_month_usd"), ("cost_tco_month_usd", "shared_tco_month_usd")]
        {
            let split = n(&pair[0], model) + n(&pair[1], "idle_month_usd") + n(&pair[1], shared);
            assert!((split - n(s, model)).abs() < 1e-3, "{} {model}: {split}", s["platform"]);
        }
        assert_eq!(pair[0]["slo_p99_ms"], "300.000");
        let meets = s["p99_ms"].parse::<f64>().unwrap() <= 300.0;
        assert_eq!(pair[0]["meets_slo"], meets.to_string());
        assert_eq!(s["services_meeting_slo"], if meets { "1" } else { "0" });
    }
}

/// `crossover plot` on a stack's files (tests/fixtures/stack) reads services.csv: the
/// report gets its Services section and the cost-by-service chart, and a second plot
/// draws the same bytes.
#[test]
fn plot_draws_a_stack_from_its_csv_files() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/stack");
    let dir = tempfile::tempdir().unwrap();
    for f in ["summary.csv", "services.csv"] {
        std::fs::copy(fixture.join(f), dir.path().join(f)).unwrap();
    }
    let o = crossover(&["plot", dir.path().to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = read(&dir.path().join("report.html"));
    assert!(html.contains("<h2>Services</h2>") && html.contains("<table class=\"services\">"));
    assert!(html.contains("Missing their SLO: on cloud-run: api (p99 364 ms, SLO 300 ms)"), "the verdict");
    assert!(html.contains("<figure id=\"cost-services\">"));
    let svg = read(&dir.path().join("cost-services.svg"));
    svg_doc(&svg);
    png_size(&dir.path().join("cost-services.png"));
    for label in ["api", "worker", "web", "idle node capacity", "$312"] {
        assert!(svg.contains(label), "{label}");
    }
    assert!(read(&dir.path().join("cost-latency.svg")).contains("worst service"));
    let first: Vec<Vec<u8>> = ["report.html", "cost-services.png", "cost-latency.svg"]
        .map(|f| std::fs::read(dir.path().join(f)).unwrap())
        .into();
    let o = crossover(&["plot", dir.path().to_str().unwrap()], dir.path());
    assert!(o.status.success());
    for (f, before) in ["report.html", "cost-services.png", "cost-latency.svg"].iter().zip(first) {
        assert!(std::fs::read(dir.path().join(f)).unwrap() == before, "{f} differs when redrawn");
    }
    // Without services.csv the same summary reads as one platform row each, no section.
    std::fs::remove_file(dir.path().join("services.csv")).unwrap();
    let o = crossover(&["plot", dir.path().to_str().unwrap()], dir.path());
    assert!(o.status.success());
    assert!(!read(&dir.path().join("report.html")).contains("<h2>Services</h2>"));
}

/// A stack of two services with their own traffic and SLOs, on a serverless platform
/// and a cluster, run end to end.
#[test]
fn a_stack_run_splits_its_bill_by_service() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("stack.toml");
    std::fs::write(&scenario, STACK).unwrap();
    let out = dir.path().join("out");
    let o = crossover(&["run", scenario.to_str().unwrap(), "-q", "--out", out.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    // Whatever the thread count, the same bytes.
    let one = dir.path().join("one-thread");
    let args = ["run", scenario.to_str().unwrap(), "-q", "--threads", "1", "--out", one.to_str().unwrap()];
    assert!(crossover(&args, dir.path()).status.success());
    for f in ["summary.csv", "services.csv", "replications.csv"] {
        assert!(std::fs::read(out.join(f)).unwrap() == std::fs::read(one.join(f)).unwrap(), "{f}");
    }
    let summary = csv_rows(&out.join("summary.csv"));
    let services = csv_rows(&out.join("services.csv"));
    let n = |r: &std::collections::HashMap<String, String>, c: &str| -> f64 { r[c].parse().unwrap() };
    assert_eq!(services.len(), 3 * summary.len(), "api, worker and all per platform");
    for s in &summary {
        let p = &s["platform"];
        assert_eq!(s["services"], "2");
        let rows: Vec<_> = services.iter().filter(|r| &r["platform"] == p).collect();
        let names: Vec<&str> = rows.iter().map(|r| r["service"].as_str()).collect();
        assert_eq!(names, ["api", "worker", "all"], "{p}");
        let all = rows[2];
        for (model, shared) in [
            ("cost_month_usd", "shared_month_usd"),
            ("cost_overhead_month_usd", "shared_overhead_month_usd"),
            ("cost_tco_month_usd", "shared_tco_month_usd"),
        ] {
            let split = n(rows[0], model) + n(rows[1], model) + n(all, "idle_month_usd") + n(all, shared);
            assert!((split - n(s, model)).abs() < 1e-3, "{p} {model}: {split} vs {}", s[model]);
            assert_eq!(all[model], s[model]);
        }
        assert_eq!(n(rows[0], "requests") + n(rows[1], "requests"), n(s, "requests"), "{p}");
        assert!(n(rows[0], "requests") > 3.0 * n(rows[1], "requests"), "{p}: api has five times the traffic");
        // Each service against its own SLO: api 300 ms, worker the scenario's 2 s.
        for (r, slo) in [(rows[0], 300.0), (rows[1], 2000.0)] {
            assert_eq!(n(r, "slo_p99_ms"), slo);
            assert_eq!(r["meets_slo"], (n(r, "p99_ms") <= slo).to_string(), "{p} {}", r["service"]);
        }
        let meeting = rows[..2].iter().filter(|r| r["meets_slo"] == "true").count();
        assert_eq!(s["services_meeting_slo"], meeting.to_string());
        assert_eq!(s["worst_slo_ratio"], all["slo_ratio"]);
    }
    // A cluster bills idle node capacity and its control plane once; serverless neither.
    let eks = services.iter().find(|r| r["platform"] == "eks" && r["service"] == "all").unwrap();
    assert!(n(eks, "shared_month_usd") >= 73.0 && n(eks, "idle_month_usd") >= 0.0);
    let html = read(&out.join("report.html"));
    assert!(html.contains("<table class=\"services\">") && html.contains("<figure id=\"cost-services\">"));
    // Redrawn from the files alone, byte for byte.
    let copy = tempfile::tempdir().unwrap();
    for f in ["summary.csv", "services.csv", "latency.csv", "timeline.csv", "scenario.resolved.toml"] {
        std::fs::copy(out.join(f), copy.path().join(f)).unwrap();
    }
    let o = crossover(&["plot", copy.path().to_str().unwrap()], copy.path());
    assert!(o.status.success());
    for f in ["report.html", "cost-services.svg", "cost-latency.png"] {
        assert!(std::fs::read(out.join(f)).unwrap() == std::fs::read(copy.path().join(f)).unwrap(), "{f}");
    }
}

/// Two services of their own traffic and SLO (api's 300 ms; worker falls back to the
/// scenario's 2 s) on Cloud Run and EKS.
pub const STACK: &str = r#"name = "stack"

[simulation]
horizon = "6h"
replications = 2
seed = 4
slo_p99 = "2s"

[[service]]
name = "api"
cpu = { dist = "lognormal", p50 = "20ms", p99 = "200ms" }
io = "10ms"
slo_p99 = "300ms"
[service.traffic]
profile = "constant"
rps = 5.0

[[service]]
name = "worker"
cpu = { dist = "exponential", mean = "150ms" }
[service.traffic]
profile = "constant"
rps = 1.0

[[platform]]
name = "cloud-run"
preset = "cloud-run"

[[platform]]
name = "eks"
preset = "eks"
"#;
