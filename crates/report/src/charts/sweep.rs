//! Cost (and p99) against a swept parameter: one line per platform with its 95% band,
//! crossovers marked and labelled with their value, a log axis for a geometric sweep.

use super::cost_latency::min_max;
use super::labels::{place, Rect};
use super::legend::{Entry, Legend, Mark};
use super::{bold, font, linear, logarithmic, padded, Draw, DrawError};
use crate::plot_dir::{param_number, Crossover, SweepData};
use crate::style::{self, Palette};
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

/// One platform's line: (x, value, half-width) sorted by x.
pub struct Line {
    pub name: String,
    pub color: RGBColor,
    pub cost: Vec<(f64, f64, f64)>,
    pub p99: Vec<(f64, f64, f64)>,
}

pub struct SweepChart {
    pub title: String,
    pub parameter: String,
    pub log_x: bool,
    /// Every swept value is a whole number (`min_instances`): ticks at whole numbers only.
    pub integer_x: bool,
    /// Category names when the swept values are not numbers (x = index).
    pub categories: Option<Vec<String>>,
    pub lines: Vec<Line>,
    pub crossovers: Vec<Crossover>,
    pub slo_ms: Option<f64>,
}

/// Whether sorted positive values grow by a roughly constant ratio over at least a
/// decade (a logarithmic sweep), as opposed to a constant step.
pub fn is_geometric(xs: &[f64]) -> bool {
    if xs.len() < 3 || xs.iter().any(|&x| x <= 0.0) {
        return false;
    }
    let (lo, hi) = (xs[0], xs[xs.len() - 1]);
    if hi / lo < 10.0 {
        return false;
    }
    let ratios: Vec<f64> = xs.windows(2).map(|w| (w[1] / w[0]).ln()).collect();
    let steps: Vec<f64> = xs.windows(2).map(|w| w[1] - w[0]).collect();
    let spread = |v: &[f64]| {
        let (a, b) = min_max(v.iter().copied());
        if a > 0.0 {
            b / a
        } else {
            f64::INFINITY
        }
    };
    spread(&ratios) < spread(&steps)
}

/// Most charts one sweep file makes (one per combination of the other swept keys).
const MAX_CHARTS: usize = 6;

impl SweepChart {
    /// One chart per combination of the values of the swept keys other than the first
    /// that varies; the first is the x axis.
    pub fn all(sweep: &SweepData, slo_ms: Option<f64>, palette: &Palette) -> Vec<SweepChart> {
        let distinct = |c: usize| {
            let mut v: Vec<&str> = Vec::new();
            for p in &sweep.points {
                if !v.contains(&p.params[c].as_str()) {
                    v.push(&p.params[c]);
                }
            }
            v
        };
        let xc = (0..sweep.params.len()).find(|&c| distinct(c).len() > 1).unwrap_or(0);
        let mut held: Vec<Vec<String>> = Vec::new();
        for p in &sweep.points {
            let h: Vec<String> =
                p.params.iter().enumerate().filter(|(c, _)| *c != xc).map(|(_, v)| v.clone()).collect();
            if !held.contains(&h) {
                held.push(h);
            }
        }
        let names = distinct(xc);
        let numeric = names.iter().all(|v| param_number(v).is_some());
        let x_of = |v: &str| {
            if numeric {
                param_number(v).unwrap_or(0.0)
            } else {
                names.iter().position(|n| *n == v).unwrap_or(0) as f64
            }
        };
        let parameter = sweep.params[xc].clone();
        held.iter()
            .take(MAX_CHARTS)
            .map(|h| {
                let mut lines: Vec<Line> = Vec::new();
                for p in sweep.points.iter().filter(|p| {
                    p.params.iter().enumerate().filter(|(c, _)| *c != xc).map(|(_, v)| v).eq(h.iter())
                }) {
                    let x = x_of(&p.params[xc]);
                    let line = match lines.iter_mut().position(|l| l.name == p.platform) {
                        Some(i) => &mut lines[i],
                        None => {
                            lines.push(Line {
                                name: p.platform.clone(),
                                color: palette.color(&p.platform),
                                cost: vec![],
                                p99: vec![],
                            });
                            lines.last_mut().expect("just pushed")
                        }
                    };
                    line.cost.push((x, p.cost, p.cost_ci));
                    if let Some(v) = p.p99 {
                        line.p99.push((x, v, p.p99_ci));
                    }
                }
                for l in &mut lines {
                    l.cost.sort_by(|a, b| a.0.total_cmp(&b.0));
                    l.p99.sort_by(|a, b| a.0.total_cmp(&b.0));
                }
                let mut xs: Vec<f64> = names.iter().map(|v| x_of(v)).collect();
                xs.sort_by(f64::total_cmp);
                let held_text: Vec<String> = sweep
                    .params
                    .iter()
                    .enumerate()
                    .filter(|(c, _)| *c != xc)
                    .zip(h)
                    .map(|((_, k), v)| format!("{k} = {v}"))
                    .collect();
                let title = if held_text.is_empty() {
                    format!("Monthly cost and p99 as {parameter} varies (95% bands)")
                } else {
                    format!("Monthly cost and p99 as {parameter} varies, {}", held_text.join(", "))
                };
                SweepChart {
                    title,
                    parameter: parameter.clone(),
                    log_x: numeric && is_geometric(&xs),
                    integer_x: !numeric || xs.iter().all(|x| x.fract() == 0.0),
                    categories: (!numeric).then(|| names.iter().map(|s| s.to_string()).collect()),
                    lines,
                    crossovers: sweep
                        .crossovers
                        .iter()
                        .filter(|c| c.parameter.is_empty() || c.parameter == parameter)
                        .cloned()
                        .collect(),
                    slo_ms,
                }
            })
            .collect()
    }

    fn has_p99(&self) -> bool {
        self.lines.iter().any(|l| !l.p99.is_empty())
    }

    fn x_range(&self) -> (f64, f64) {
        let (a, b) = min_max(self.lines.iter().flat_map(|l| l.cost.iter().map(|p| p.0)));
        if self.categories.is_some() {
            return (a - 0.5, b + 0.5);
        }
        padded(a, b, 0.04, self.log_x)
    }

    #[allow(clippy::too_many_arguments)]
    fn panel<DB, X, Y>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x: X,
        y: Y,
        heading: &str,
        y_desc: &str,
        money: bool,
        metric: &str,
    ) -> Result<(), DrawError>
    where
        DB: DrawingBackend,
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let cats = self.categories.clone();
        let x_fmt = move |v: &f64| match &cats {
            Some(c) if (v - v.round()).abs() < 1e-6 && *v >= 0.0 => {
                c.get(*v as usize).cloned().unwrap_or_default()
            }
            Some(_) => String::new(),
            None => style::tick(*v),
        };
        let mut chart = ChartBuilder::on(area)
            .caption(heading, bold(style::LABEL_SIZE + 2.0))
            .margin(14)
            .x_label_area_size(50)
            .y_label_area_size(78)
            .build_cartesian_2d(x, y)?;
        chart
            .configure_mesh()
            .x_desc(format!("{}{}", self.parameter, if self.log_x { " (log scale)" } else { "" }))
            .y_desc(y_desc)
            .axis_desc_style(font(style::LABEL_SIZE))
            .label_style(font(style::TICK_SIZE))
            .x_label_formatter(&x_fmt)
            .y_label_formatter(&|v| if money { format!("${}", style::tick(*v)) } else { style::tick(*v) })
            .light_line_style(style::NO_LINE)
            .bold_line_style(style::GRID)
            .draw()?;
        let (xr, yr) = (chart.x_range(), chart.y_range());
        // Pixel positions on `area`, which need not start at the backend's origin.
        let (bx, by) = area.get_base_pixel();
        macro_rules! at {
            ($x:expr, $y:expr) => {{
                let (px, py) = chart.backend_coord(&($x, $y));
                (px - bx, py - by)
            }};
        }
        let pick = |l: &Line| if metric == "cost" { l.cost.clone() } else { l.p99.clone() };
        for l in &self.lines {
            let pts = pick(l);
            let band: Vec<(f64, f64)> = pts
                .iter()
                .map(|&(x, v, h)| (x, (v + h).min(yr.end)))
                .chain(pts.iter().rev().map(|&(x, v, h)| (x, (v - h).max(yr.start))))
                .collect();
            chart.draw_series([Polygon::new(band, l.color.mix(0.18).filled())])?;
        }
        for l in &self.lines {
            let color = l.color;
            let pts = pick(l);
            chart.draw_series(LineSeries::new(pts.iter().map(|p| (p.0, p.1)), color.stroke_width(2)))?;
            chart.draw_series(pts.iter().map(|p| Circle::new((p.0, p.1), 3, color.filled())))?;
        }
        let red = RGBColor(200, 30, 30);
        if metric == "p99" {
            if let Some(slo) = self.slo_ms.filter(|s| yr.contains(s)) {
                chart.draw_series(LineSeries::new([(xr.start, slo), (xr.end, slo)], red.stroke_width(2)))?;
                let (px, py) = at!(xr.start, slo);
                area.draw(&Text::new(
                    format!("SLO {}", style::ms(slo)),
                    (px + 6, py - 20),
                    font(style::TICK_SIZE).color(&red),
                ))?;
            }
        }
        // Crossovers on this metric: a marker on the crossing, a dashed guide down to the
        // axis, and the value.
        // The cost panel shows infrastructure cost, so only crossings of that cost model.
        let ours: Vec<&Crossover> = self
            .crossovers
            .iter()
            .filter(|c| c.metric.starts_with(metric))
            .filter(|c| metric != "cost" || c.cost_model.is_empty() || c.cost_model == "infrastructure")
            .collect();
        let mut anchors = Vec::new();
        let mut texts = Vec::new();
        for c in &ours {
            if !xr.contains(&c.x) {
                continue;
            }
            let y = self
                .lines
                .iter()
                .find(|l| l.name == c.platform_a)
                .and_then(|l| interpolate(&pick(l), c.x))
                .or_else(|| (metric == "p99").then_some(self.slo_ms).flatten())
                .unwrap_or(yr.start)
                .clamp(yr.start, yr.end);
            let (px, py) = at!(c.x, y);
            let (_, bottom) = at!(c.x, yr.start);
            let mut yy = py + 4;
            while yy < bottom {
                area.draw(&PathElement::new([(px, yy), (px, (yy + 5).min(bottom))], BLACK.mix(0.6)))?;
                yy += 9;
            }
            area.draw(&Polygon::new(
                vec![(px, py - 7), (px + 7, py), (px, py + 7), (px - 7, py)],
                BLACK.filled(),
            ))?;
            anchors.push((px, py));
            texts.push(crossover_label(c));
        }
        if !anchors.is_empty() {
            let (xs, ys) = chart.plotting_area().get_pixel_range();
            let bounds = Rect {
                x0: xs.start - bx + 2,
                y0: ys.start - by + 2,
                x1: xs.end - bx - 2,
                y1: ys.end - by - 2,
            };
            let sizes = texts
                .iter()
                .map(|t| {
                    area.estimate_text_size(t, &bold(style::TICK_SIZE))
                        .map(|(w, h)| (w as i32 + 4, h as i32 + 2))
                })
                .collect::<Result<Vec<_>, _>>()?;
            // The lines are obstacles too: small boxes every few pixels along each.
            let mut along = Vec::new();
            for l in &self.lines {
                let px: Vec<(i32, i32)> = pick(l).iter().map(|p| at!(p.0, p.1)).collect();
                for w in px.windows(2) {
                    let (dx, dy) = ((w[1].0 - w[0].0) as f64, (w[1].1 - w[0].1) as f64);
                    let n = (dx.hypot(dy) / 6.0).ceil().max(1.0) as i32;
                    for k in 0..=n {
                        let t = k as f64 / n as f64;
                        let (x, y) = (w[0].0 + (dx * t) as i32, w[0].1 + (dy * t) as i32);
                        along.push(Rect { x0: x - 3, y0: y - 3, x1: x + 3, y1: y + 3 });
                    }
                }
            }
            for ((r, t), &(ax, ay)) in
                place(&anchors, &sizes, bounds, 8, &along).iter().zip(texts).zip(&anchors)
            {
                // A leader from the marker to the nearest point of its label.
                let near = (ax.clamp(r.x0, r.x1), ay.clamp(r.y0, r.y1));
                area.draw(&PathElement::new([(ax, ay), near], BLACK.mix(0.5)))?;
                area.draw(&Rectangle::new([(r.x0, r.y0), (r.x1, r.y1)], WHITE.mix(0.8).filled()))?;
                area.draw(&Text::new(t, (r.x0 + 2, r.y0 + 1), bold(style::TICK_SIZE)))?;
            }
        }
        Ok(())
    }

    /// The value axis of a panel: its range and whether it is logarithmic (values over
    /// more than a factor of 30).
    fn y_axis(&self, metric: &str) -> (f64, f64, bool) {
        let pts = |l: &Line| if metric == "cost" { l.cost.clone() } else { l.p99.clone() };
        let vals = self.lines.iter().flat_map(|l| pts(l).into_iter().flat_map(|(_, v, h)| [v - h, v + h]));
        let slo = if metric == "p99" { self.slo_ms } else { None };
        let (lo, hi) = min_max(vals.chain(slo));
        // A band reaching down past zero (a wide interval, as a saturated platform's p99
        // has) must not rule out the log axis its values call for: such a band counts
        // from its point, and is drawn clipped at the axis.
        let positive = self
            .lines
            .iter()
            .flat_map(|l| pts(l).into_iter().map(|(_, v, h)| if v - h > 0.0 { v - h } else { v }));
        let (lo_positive, _) = min_max(positive.chain(slo));
        let log_y = super::wants_log(lo_positive, hi);
        let (y0, y1) = padded(if log_y { lo_positive } else { lo.min(0.0) }, hi, 0.06, log_y);
        (if log_y { y0 } else { y0.max(0.0) }, y1, log_y)
    }

    fn metric_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        metric: &str,
    ) -> Result<(), DrawError> {
        let (x0, x1) = self.x_range();
        let (y0, y1, log_y) = self.y_axis(metric);
        let (heading, desc, money) = if metric == "cost" {
            ("Monthly infrastructure cost", "USD per 730-hour month", true)
        } else {
            ("p99 latency", if log_y { "p99 latency (ms, log scale)" } else { "p99 latency (ms)" }, false)
        };
        let int = self.integer_x;
        match (self.log_x, log_y) {
            (false, false) => {
                self.panel(area, linear(x0, x1, int), linear(y0, y1, false), heading, desc, money, metric)
            }
            (true, false) => {
                self.panel(area, logarithmic(x0, x1), linear(y0, y1, false), heading, desc, money, metric)
            }
            (false, true) => {
                self.panel(area, linear(x0, x1, int), logarithmic(y0, y1), heading, desc, money, metric)
            }
            (true, true) => {
                self.panel(area, logarithmic(x0, x1), logarithmic(y0, y1), heading, desc, money, metric)
            }
        }
    }
}

fn crossover_label(c: &Crossover) -> String {
    let model = if c.cost_model.is_empty() || c.cost_model == "infrastructure" {
        String::new()
    } else {
        format!(" ({})", c.cost_model)
    };
    if c.platform_b.is_empty() {
        format!("{} crosses the SLO at {}{model}", c.platform_a, style::tick(c.x))
    } else {
        format!("{} = {} at {}{model}", c.platform_a, c.platform_b, style::tick(c.x))
    }
}

/// The value of a sorted (x, value, _) line at `x`, linear between points.
fn interpolate(pts: &[(f64, f64, f64)], x: f64) -> Option<f64> {
    let i = pts.iter().position(|p| p.0 >= x)?;
    if i == 0 {
        return (pts[0].0 == x).then_some(pts[0].1);
    }
    let (a, b) = (pts[i - 1], pts[i]);
    Some(a.1 + (b.1 - a.1) * (x - a.0) / (b.0 - a.0))
}

const LEGEND_LEFT: i32 = 90;

impl SweepChart {
    /// One legend for both panels: every platform, then the marks.
    fn legend(&self) -> Legend {
        let mut entries: Vec<Entry> = self
            .lines
            .iter()
            .map(|l| Entry { color: l.color, mark: Mark::Swatch, text: l.name.clone() })
            .collect();
        entries.push(Entry { color: BLACK, mark: Mark::Diamond, text: "crossover".into() });
        entries.push(Entry { color: style::MUTED, mark: Mark::Band, text: "95% CI (band)".into() });
        Legend::new(entries)
    }

    fn header(&self) -> u32 {
        44 + self.legend().height(style::WIDTH as i32 - LEGEND_LEFT - 24) as u32 + 6
    }
}

impl Draw for SweepChart {
    fn size(&self) -> (u32, u32) {
        (style::WIDTH, self.header() + if self.has_p99() { 924 } else { style::HEIGHT - 76 })
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let (header, body) = root.split_vertically(self.header());
        let (w, _) = header.estimate_text_size(&self.title, &bold(style::TITLE_SIZE))?;
        header.draw(&Text::new(
            self.title.clone(),
            ((style::WIDTH as i32 - w as i32) / 2, 12),
            bold(style::TITLE_SIZE),
        ))?;
        self.legend().draw(&header, LEGEND_LEFT, 44, style::WIDTH as i32 - LEGEND_LEFT - 24)?;
        if self.has_p99() {
            let (top, bottom) = body.split_vertically((body.dim_in_pixel().1 / 2) as i32);
            self.metric_panel(&top, "cost")?;
            self.metric_panel(&bottom, "p99")?;
        } else {
            self.metric_panel(&body, "cost")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn geometric_sweeps_are_told_from_linear_ones() {
        assert!(is_geometric(&[1.0, 2.0, 4.0, 8.0, 16.0]));
        assert!(is_geometric(&[1.0, 3.0, 10.0, 30.0, 100.0, 300.0]));
        assert!(!is_geometric(&[10.0, 20.0, 30.0, 40.0, 50.0]));
        assert!(!is_geometric(&[1.0, 2.0, 4.0]));
        assert!(!is_geometric(&[0.0, 1.0, 10.0, 100.0]));
    }

    /// One platform saturated (p99 two minutes, its interval wider than itself), two
    /// near a second: the p99 axis is logarithmic and starts near the fast ones.
    #[test]
    fn a_wide_band_does_not_rule_out_a_log_axis() {
        let line = |name: &str, p99: (f64, f64)| Line {
            name: name.into(),
            color: RGBColor(0, 0, 0),
            cost: vec![(1.0, 100.0, 1.0), (2.0, 110.0, 1.0)],
            p99: vec![(1.0, p99.0, p99.1), (2.0, p99.0, p99.1)],
        };
        let chart = SweepChart {
            title: String::new(),
            parameter: "x".into(),
            log_x: false,
            integer_x: false,
            categories: None,
            lines: vec![
                line("a", (1_500.0, 10.0)),
                line("b", (1_800.0, 50.0)),
                line("node", (128_000.0, 230_000.0)),
            ],
            crossovers: Vec::new(),
            slo_ms: Some(2_000.0),
        };
        let (y0, y1, log) = chart.y_axis("p99");
        assert!(log);
        assert!(y0 > 500.0 && y0 < 1_490.0, "{y0}");
        assert!(y1 >= 358_000.0, "{y1}");
        let (c0, _, cost_log) = chart.y_axis("cost");
        assert!(!cost_log && c0 == 0.0);
    }

    /// A sweep over a whole-number key (`min_instances` 0 to 5) has whole-number ticks
    /// only; plotters' own would step by halves.
    #[test]
    fn a_whole_number_sweep_has_whole_number_ticks() {
        use crate::plot_dir::{RunData, RunFiles};
        let mut f = RunFiles::default();
        let mut csv = String::from("platform.cloud-run.min_instances,platform,cost_month_usd,p99_ms\n");
        for k in 0..6 {
            csv.push_str(&format!("{k},cloud-run,{},{}\n", 20 + 15 * k, 900 / (k + 1)));
        }
        f.insert("sweep.csv", csv.into_bytes());
        let data = RunData::parse(&f).unwrap();
        let charts = SweepChart::all(data.sweep.as_ref().unwrap(), None, &Palette::default());
        assert!(charts[0].integer_x);
        let svg = crate::charts::render("sweep", "t", &charts[0]).unwrap().svg;
        let doc = roxmltree::Document::parse(&svg).unwrap();
        let labels: Vec<&str> = doc
            .descendants()
            .filter(|n| n.has_tag_name("text"))
            .filter_map(|n| n.text())
            .map(str::trim)
            .collect();
        for k in 0..6 {
            assert!(labels.contains(&k.to_string().as_str()), "no tick {k}");
        }
        for half in ["0.5", "1.5", "2.5", "3.5", "4.5"] {
            assert!(!labels.contains(&half), "a tick at {half}");
        }
    }

    #[test]
    fn interpolation_is_linear_between_points() {
        let pts = [(0.0, 0.0, 0.0), (10.0, 100.0, 0.0)];
        assert_eq!(interpolate(&pts, 2.5), Some(25.0));
        assert_eq!(interpolate(&pts, 0.0), Some(0.0));
        assert_eq!(interpolate(&pts, 11.0), None);
    }
}
