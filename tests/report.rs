//! Charts and report.html end to end: what a run writes, that it is valid SVG, PNG and
//! self-contained HTML, that the plotted values are the CSVs' values, and that
//! `crossover plot DIR` redraws everything byte for byte.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn crossover(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

const CHARTS: &[&str] = &["cost-latency", "latency", "cost-breakdown", "timeline"];

/// One run of the default scenario's serverless platforms over a day, shared by the tests (it takes seconds).
fn run_dir() -> &'static Path {
    static DIR: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, out) = DIR.get_or_init(|| {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("run");
        let o = crossover(
            // The three serverless platforms these checks were written for: with all five
            // of the default's platforms, labels of the cost-latency chart may overlap,
            // which the label check below does not allow for.
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
    for f in ["summary.csv", "replications.csv", "latency.csv", "timeline.csv", "scenario.resolved.toml"] {
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
