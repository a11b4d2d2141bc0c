//! Charts, each drawn once for SVG and once for PNG from the same code.
//!
//! A chart is a value implementing [`Draw`]: it holds the numbers it shows (taken from
//! [`RunData`], i.e. from the CSV files) and draws itself on any plotters backend.
//! [`render_charts`] builds every chart the data allows.

pub mod axis;
mod breakdown;
mod cost_latency;
pub mod labels;
mod latency;
pub mod legend;
mod services;
mod sweep;
mod timeline;

pub use cost_latency::pareto_front;
pub use sweep::is_geometric;

use crate::plot_dir::RunData;
use crate::style::{self, Palette};
use plotters::coord::combinators::{IntoLogRange, LogCoord};
use plotters::coord::ranged1d::{KeyPointHint, NoDefaultFormatting, Ranged, ValueFormatter};
use plotters::coord::types::RangedCoordf64;
use plotters::coord::Shift;
use plotters::prelude::*;

/// A drawing failure; plotters' errors carry the backend's error type, this the text.
#[derive(Debug)]
pub struct DrawError(pub String);

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for DrawError {
    fn from(e: DrawingAreaErrorKind<E>) -> Self {
        DrawError(e.to_string())
    }
}

/// A drawing failure and the chart it happened in.
#[derive(Debug)]
pub struct ChartError {
    pub chart: String,
    pub message: String,
}

pub trait Draw {
    fn size(&self) -> (u32, u32) {
        (style::WIDTH, style::HEIGHT)
    }
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError>;
}

/// One rendered chart: `NAME.svg` and `NAME.png`.
#[derive(Clone, Debug)]
pub struct Chart {
    pub name: String,
    /// What the chart shows, for the report's heading.
    pub title: String,
    pub svg: String,
    pub png: Vec<u8>,
}

/// Draws `chart` as SVG text and PNG bytes.
pub fn render(name: &str, title: &str, chart: &impl Draw) -> Result<Chart, ChartError> {
    render_inner(name, title, chart).map_err(|e| ChartError { chart: name.to_string(), message: e.0 })
}

fn render_inner(name: &str, title: &str, chart: &impl Draw) -> Result<Chart, DrawError> {
    style::register_fonts();
    let (w, h) = chart.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        chart.draw(&root)?;
        root.present()?;
    }
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        chart.draw(&root)?;
        root.present()?;
    }
    Ok(Chart { name: name.to_string(), title: title.to_string(), svg, png: encode_png(w, h, &rgb)? })
}

fn encode_png(w: u32, h: u32, rgb: &[u8]) -> Result<Vec<u8>, DrawError> {
    let mut out = Vec::new();
    let mut enc = png::Encoder::new(&mut out, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let err = |e: png::EncodingError| DrawError(format!("encoding a PNG: {e}"));
    let mut writer = enc.write_header().map_err(err)?;
    writer.write_image_data(rgb).map_err(err)?;
    writer.finish().map_err(err)?;
    Ok(out)
}

/// Every chart the data supports, in report order.
pub fn render_charts(data: &RunData) -> Result<Vec<Chart>, ChartError> {
    let palette = Palette::new(data.platforms().iter().map(String::as_str));
    let mut charts = Vec::new();
    if !data.summary.is_empty() {
        let c = cost_latency::CostLatency::from_summary(data, &palette);
        charts.push(render("cost-latency", &c.title.clone(), &c)?);
    }
    if !data.latency.is_empty() {
        let c = latency::LatencyCcdf::new(data, &palette);
        charts.push(render("latency", &c.title.clone(), &c)?);
    }
    if !data.summary.is_empty() {
        let c = breakdown::Breakdown::new(data, &palette);
        charts.push(render("cost-breakdown", &c.title.clone(), &c)?);
    }
    // A stack of several services: its bill split by service (one service is its bill).
    if !data.summary.is_empty() && data.is_stack() {
        let c = services::ServiceSplit::new(data, &palette);
        charts.push(render("cost-services", &c.title.clone(), &c)?);
    }
    if !data.timeline.is_empty() {
        let c = timeline::Timeline::new(data, &palette);
        charts.push(render("timeline", &c.title.clone(), &c)?);
    }
    if let Some(sweep) = &data.sweep {
        for (i, c) in sweep::SweepChart::all(sweep, data.slo_ms, &palette).iter().enumerate() {
            let name = if i == 0 { "sweep".to_string() } else { format!("sweep-{}", i + 1) };
            charts.push(render(&name, &c.title.clone(), c)?);
        }
    }
    Ok(charts)
}

/// An axis range padded by `pad` of its span on each side (log: in log space), never
/// empty, always drawable ([`axis::safe_range`]).
pub(crate) fn padded(lo: f64, hi: f64, pad: f64, log: bool) -> (f64, f64) {
    let (lo, hi) = axis::safe_range(lo, hi, log);
    let (lo, hi) = if log {
        let (a, b) = (lo.log10(), hi.log10());
        let span = (b - a).max(0.3);
        (10f64.powf(a - span * pad), 10f64.powf(b + span * pad))
    } else {
        let span = hi - lo;
        (lo - span * pad, hi + span * pad)
    };
    axis::safe_range(lo, hi, log)
}

/// Whether values spread over more than a decade, where a linear axis squashes the
/// small ones onto its floor.
pub(crate) fn wants_log(lo: f64, hi: f64) -> bool {
    lo > 0.0 && hi / lo > 10.0
}

/// Most ticks on an axis: enough to read a value, few enough for labels not to touch.
pub(crate) const TICKS: usize = 8;

/// A plotters axis whose ticks are ours ([`axis::ticks`]), never plotters' own search.
#[derive(Clone)]
pub(crate) struct Ticked<R> {
    inner: R,
    ticks: Vec<f64>,
}

impl<R: Ranged<ValueType = f64>> Ranged for Ticked<R> {
    type FormatOption = NoDefaultFormatting;
    type ValueType = f64;
    fn map(&self, v: &f64, limit: (i32, i32)) -> i32 {
        self.inner.map(v, limit)
    }
    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Light (minor) grid lines are not drawn: only the ticks.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }
    fn range(&self) -> std::ops::Range<f64> {
        self.inner.range()
    }
    fn axis_pixel_range(&self, limit: (i32, i32)) -> std::ops::Range<i32> {
        self.inner.axis_pixel_range(limit)
    }
}

impl<R> ValueFormatter<f64> for Ticked<R> {
    fn format(v: &f64) -> String {
        style::tick(*v)
    }
}

impl Ticked<RangedCoordf64> {
    /// A linear axis over `lo..hi` (made drawable) with the given ticks.
    pub(crate) fn with_ticks(lo: f64, hi: f64, ticks: Vec<f64>) -> Self {
        let (lo, hi) = axis::safe_range(lo, hi, false);
        Ticked { inner: (lo..hi).into(), ticks }
    }
}

/// A linear axis `lo..hi` with our own ticks (whole numbers only with `integer`).
pub(crate) fn linear(lo: f64, hi: f64, integer: bool) -> Ticked<RangedCoordf64> {
    let (lo, hi) = axis::safe_range(lo, hi, false);
    Ticked { inner: (lo..hi).into(), ticks: axis::ticks(lo, hi, false, integer, TICKS) }
}

/// A logarithmic axis `lo..hi` with our own ticks.
pub(crate) fn logarithmic(lo: f64, hi: f64) -> Ticked<LogCoord<f64>> {
    let (lo, hi) = axis::safe_range(lo, hi, true);
    Ticked { inner: (lo..hi).log_scale().into(), ticks: axis::ticks(lo, hi, true, false, TICKS) }
}

pub(crate) fn font(size: f64) -> TextStyle<'static> {
    (style::FONT, size).into_font().color(&style::INK)
}

pub(crate) fn bold(size: f64) -> TextStyle<'static> {
    (style::FONT, size, FontStyle::Bold).into_font().color(&style::INK)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plot_dir::RunFiles;

    fn files() -> RunFiles {
        let mut f = RunFiles::default();
        f.insert(
            "summary.csv",
            b"platform,cost_month_usd,cost_month_ci95,p50_ms,p99_ms,p999_ms,p99_ms_ci95,cost_cpu_usd\n\
              a,10.0,1.0,5.0,50.0,80.0,2.0,10.0\nb,20.0,0.5,4.0,30.0,60.0,1.0,20.0\n"
                .to_vec(),
        );
        f.insert(
            "latency.csv",
            b"platform,quantile,latency_ms\na,0,1\na,0.5,5\na,0.99,50\nb,0,1\nb,0.99,30\n".to_vec(),
        );
        f
    }

    #[test]
    fn charts_are_deterministic_well_formed_and_drawn_from_the_data() {
        let data = RunData::parse(&files()).unwrap();
        let a = render_charts(&data).unwrap();
        let b = render_charts(&data).unwrap();
        assert_eq!(
            a.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["cost-latency", "latency", "cost-breakdown"]
        );
        for (x, y) in a.iter().zip(&b) {
            assert_eq!(x.svg, y.svg);
            assert_eq!(x.png, y.png);
            roxmltree::Document::parse(&x.svg).unwrap();
            assert_eq!(&x.png[..8], b"\x89PNG\r\n\x1a\n");
        }
        assert_eq!(a[0].svg.matches("r=\"6\"").count(), 2, "a point per platform");
    }

    /// Numbers no run produces but a hand-edited or corrupt file may hold: huge, tiny,
    /// negative, NaN, infinite, all equal. Nothing panics or hangs (plotters' own tick
    /// search loops forever on some of these): the reader refuses what no run writes (a
    /// non-finite number, or one beyond 1e15) naming its file and line, and every chart and
    /// the report are drawn from what it takes (tiny, negative, zero, equal, none).
    #[test]
    fn any_numbers_draw_in_bounded_time() {
        let rows = [
            "huge,1e300,1e300,1e300,1e300,1e300,1e300,1e300",
            "tiny,1e-300,0,1e-300,1e-300,1e-300,0,1e-300",
            "nan,NaN,NaN,NaN,NaN,NaN,NaN,NaN",
            "inf,inf,inf,inf,-inf,inf,inf,1e400",
            "negative,-5,-1,-3,-2,-1,-1,-5",
            "zero,0,0,0,0,0,0,0",
        ];
        let mut cases: Vec<RunFiles> = Vec::new();
        let header =
            "platform,cost_month_usd,cost_month_ci95,p50_ms,p99_ms,p999_ms,p99_ms_ci95,cost_cpu_usd\n";
        // Each row alone (a zero-width range), all together, and none.
        for r in rows.iter().map(|r| vec![*r]).chain([rows.to_vec(), Vec::new()]) {
            let mut f = RunFiles::default();
            f.insert("summary.csv", format!("{header}{}\n", r.join("\n")).into_bytes());
            f.insert(
                "latency.csv",
                b"platform,quantile,latency_ms\nhuge,0,1e300\nhuge,0.99,inf\nnan,0.5,NaN\nzero,0,0\nzero,0.99,0\n"
                    .to_vec(),
            );
            f.insert(
                "timeline.csv",
                b"platform,minute,arrivals,completed,rejected,mean_instances,mean_nodes,max_waiting,p99_ms\n\
                  huge,0,1e300,0,0,1e300,NaN,inf,1e300\nhuge,4294967295,NaN,0,0,-1,0,0,0\nnan,1e12,0,0,0,NaN,NaN,NaN,NaN\n"
                    .to_vec(),
            );
            f.insert(
                "sweep.csv",
                b"x,platform,cost_month_usd,cost_month_ci95,p99_ms,p99_ms_ci95\n\
                  1e300,a,1e300,inf,NaN,1\n-1e300,a,NaN,0,1e-300,1e300\n0,b,0,0,0,0\n0,b,1,1,1,1\n"
                    .to_vec(),
            );
            f.insert(
                "crossovers.csv",
                b"parameter,metric,platform_a,platform_b,x\nx,cost,a,b,NaN\nx,p99,a,,1e300\n".to_vec(),
            );
            f.insert("scenario.resolved.toml", b"[simulation]\nslo_p99 = \"1ms\"\n".to_vec());
            cases.push(f);
        }
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for f in &cases {
                let drawn = crate::render_report(f).map(|files| files.len());
                tx.send(drawn.map_err(|e| e.to_string())).unwrap();
            }
        });
        for i in 0..rows.len() + 2 {
            match rx.recv_timeout(std::time::Duration::from_secs(60)) {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => assert!(e.contains(", line ") && e.contains("1e15"), "case {i}: {e}"),
                Err(e) => panic!("case {i} did not finish within a minute (or panicked): {e}"),
            }
        }
        // What the reader takes is drawn: rows a run could write, beside files that hold
        // only such numbers.
        for row in [
            "tiny,1e-300,0,1e-300,1e-300,1e-300,0,1e-300",
            "negative,-5,-1,-3,-2,-1,-1,-5",
            "zero,0,0,0,0,0,0,0",
        ] {
            let mut f = RunFiles::default();
            f.insert("summary.csv", format!("{header}{row}\n").into_bytes());
            f.insert("latency.csv", b"platform,quantile,latency_ms\nzero,0,0\nzero,0.99,0\n".to_vec());
            f.insert("scenario.resolved.toml", b"[simulation]\nslo_p99 = \"1ms\"\n".to_vec());
            let drawn = crate::render_report(&f);
            assert!(drawn.is_ok(), "{row}: {:?}", drawn.err());
        }
    }

    /// A stack of several services adds the cost split by service, and plots each
    /// platform at its worst service's p99 / SLO; one service draws what it always did.
    #[test]
    fn a_stack_adds_the_cost_split_and_plots_the_worst_slo_ratio() {
        let data = RunData::parse(&crate::test_stack::files()).unwrap();
        let charts = render_charts(&data).unwrap();
        assert_eq!(
            charts.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["cost-latency", "latency", "cost-breakdown", "cost-services"]
        );
        let c = cost_latency::CostLatency::from_summary(&data, &Palette::default());
        let ratios: Vec<f64> = c.points.iter().map(|p| p.p99).collect();
        let expected: Vec<f64> =
            data.summary.iter().map(|p| data.stack_total(&p.name).unwrap().slo_ratio.unwrap()).collect();
        assert_eq!(ratios, expected);
        assert_eq!(c.slo_ms, Some(1.0));
        assert!(charts[0].svg.contains("worst service"), "the axis says what it shows");
        let split = services::ServiceSplit::new(&data, &Palette::default());
        for (bar, p) in split.bars.iter().zip(&data.summary) {
            let total: f64 = bar.items.iter().sum();
            assert!(
                (total - p.cost).abs() < 1e-3,
                "{}: the bar ends at the bill ({total} vs {})",
                p.name,
                p.cost
            );
        }
        let one = RunData::parse(&files()).unwrap();
        assert!(!render_charts(&one).unwrap().iter().any(|c| c.name == "cost-services"));
    }
}
