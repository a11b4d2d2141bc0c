//! p99 latency against monthly cost: one point per platform with 95% whiskers on both
//! axes, the SLO as a line, the Pareto frontier, and labels that do not overlap.
//!
//! For a stack of several services with SLOs, one p99 axis cannot show SLOs that
//! differ by service; the vertical axis is then each platform's worst service's p99
//! over its SLO (1 is the line every service must stay under), so one point still
//! says both what the stack costs and whether, and by how much, it misses.

use super::labels::{place, Rect};
use super::legend::{number_mark, Entry, Legend, Mark};
use super::{bold, font, linear, logarithmic, padded, wants_log, Draw, DrawError};
use crate::plot_dir::RunData;
use crate::style::{self, Palette};
use plotters::coord::ranged1d::{AsRangedCoord, Ranged, ValueFormatter};
use plotters::coord::Shift;
use plotters::prelude::*;

#[derive(Clone, Debug)]
pub struct Point {
    pub name: String,
    pub cost: f64,
    pub cost_ci: f64,
    pub p99: f64,
    pub p99_ci: f64,
    pub color: RGBColor,
}

/// Most platforms labelled by name beside their point; more are numbered.
const DIRECT_LABELS: usize = 4;
const LEGEND_MARGIN: i32 = 24;

pub struct CostLatency {
    pub title: String,
    pub points: Vec<Point>,
    pub slo_ms: Option<f64>,
    /// Points carry numbers listed in a legend, rather than their names beside them.
    pub numbered: bool,
    /// The vertical axis is the worst service's p99 / SLO (`Point::p99` holds it, and
    /// `slo_ms` is 1), naming that service in the legend.
    pub ratio: Option<Vec<String>>,
}

/// Indices of the points no other point beats on both cost and p99 (lower is better on
/// both), ordered by cost. Ties on both keep the first.
pub fn pareto_front(points: &[(f64, f64)]) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..points.len()).collect();
    idx.sort_by(|&a, &b| {
        points[a].0.total_cmp(&points[b].0).then(points[a].1.total_cmp(&points[b].1)).then(a.cmp(&b))
    });
    let mut front = Vec::new();
    let mut best_p99 = f64::INFINITY;
    for i in idx {
        if points[i].1 < best_p99 {
            best_p99 = points[i].1;
            front.push(i);
        }
    }
    front
}

impl CostLatency {
    pub fn from_summary(data: &RunData, palette: &Palette) -> Self {
        if data.is_stack() && data.has_slo() {
            return Self::worst_ratio(data, palette);
        }
        let points = data
            .summary
            .iter()
            .map(|p| Point {
                name: p.name.clone(),
                cost: p.cost,
                cost_ci: p.cost_ci,
                p99: p.p99,
                p99_ci: p.p99_ci,
                color: palette.color(&p.name),
            })
            .collect();
        let mut c = CostLatency {
            title: "p99 latency vs monthly infrastructure cost (95% CI whiskers, Pareto frontier)".into(),
            points,
            slo_ms: data.slo_ms,
            numbered: true,
            ratio: None,
        };
        c.numbered = c.choose_numbered();
        c
    }

    /// A stack: each platform at its worst service's p99 / SLO, the whisker that
    /// service's p99 interval over its SLO.
    fn worst_ratio(data: &RunData, palette: &Palette) -> Self {
        let mut points = Vec::new();
        let mut worst = Vec::new();
        for p in &data.summary {
            let w = data
                .services_of(&p.name)
                .filter(|r| r.slo_ratio.is_some() && r.slo.is_some_and(|s| s > 0.0))
                .max_by(|a, b| a.slo_ratio.unwrap_or(0.0).total_cmp(&b.slo_ratio.unwrap_or(0.0)));
            let Some(w) = w else { continue };
            points.push(Point {
                name: p.name.clone(),
                cost: p.cost,
                cost_ci: p.cost_ci,
                p99: w.slo_ratio.unwrap_or(0.0),
                p99_ci: w.p99_ci / w.slo.unwrap_or(1.0),
                color: palette.color(&p.name),
            });
            worst.push(w.service.clone());
        }
        let mut c = CostLatency {
            title: "Worst service's p99 / SLO vs monthly infrastructure cost (95% CI whiskers)".into(),
            points,
            slo_ms: Some(1.0),
            numbered: true,
            ratio: Some(worst),
        };
        c.numbered = c.choose_numbered();
        c
    }

    /// A value of the vertical axis as text: a latency, or a ratio to the SLO.
    fn y_text(&self, v: f64) -> String {
        match self.ratio {
            Some(_) => format!("{v:.2}× SLO"),
            None => style::ms(v),
        }
    }

    /// Direct labels (name, cost, p99 beside each point) read best for a few platforms;
    /// beyond that they crowd, so points get numbers and a legend below lists them. A few
    /// platforms are numbered too when their labels cannot be placed apart (points
    /// bunched in a corner): a trial drawing tells.
    fn choose_numbered(&self) -> bool {
        if self.points.len() > DIRECT_LABELS {
            return true;
        }
        style::register_fonts();
        let mut scratch = String::new();
        let root = SVGBackend::with_string(&mut scratch, (style::WIDTH, style::HEIGHT)).into_drawing_area();
        // A failed trial drawing fails the real one too; numbering is the safe choice.
        !self.draw_labelled(&root, false).unwrap_or(false)
    }

    fn numbered(&self) -> bool {
        self.numbered
    }

    fn legend(&self) -> Legend {
        Legend::new(
            self.points
                .iter()
                .enumerate()
                .map(|(i, p)| Entry {
                    color: p.color,
                    mark: Mark::Number(i + 1),
                    text: match &self.ratio {
                        Some(worst) => format!(
                            "{}  {} · {} p99 {}",
                            p.name,
                            style::usd(p.cost),
                            worst.get(i).map_or("", String::as_str),
                            self.y_text(p.p99)
                        ),
                        None => format!("{}  {} · p99 {}", p.name, style::usd(p.cost), style::ms(p.p99)),
                    },
                })
                .collect(),
        )
    }

    fn legend_height(&self) -> i32 {
        self.legend_height_for(self.numbered())
    }

    fn legend_height_for(&self, numbered: bool) -> i32 {
        if numbered {
            self.legend().height(style::WIDTH as i32 - 2 * LEGEND_MARGIN) + 8
        } else {
            0
        }
    }

    /// Both axes: (lo, hi, log). An axis is logarithmic when its values spread over more
    /// than a decade. A whisker reaching down past zero (a p99 interval wider than the
    /// p99, as a few replications of a saturated platform give) counts from its point, so
    /// it cannot force a linear axis that squashes every other point onto the floor; it is
    /// drawn clipped at the axis.
    fn ranges(&self) -> ((f64, f64, bool), (f64, f64, bool)) {
        let axis = |vals: Vec<(f64, f64)>, extra: Option<f64>| {
            let (lo, hi) = min_max(vals.iter().flat_map(|&(v, h)| [v - h, v + h]).chain(extra));
            let positive = vals.iter().map(|&(v, h)| if v - h > 0.0 { v - h } else { v });
            let (lo_positive, _) = min_max(positive.filter(|v| *v > 0.0).chain(extra));
            let log = wants_log(lo_positive, hi);
            if log {
                let (a, b) = padded(lo_positive, hi, 0.06, true);
                (a, b, true)
            } else {
                // Linear axes start at zero when that costs little room, so distances read true.
                let start = if lo < (hi - lo) { 0.0f64.min(lo) } else { lo };
                let (a, b) = padded(start, hi, 0.08, false);
                (a.max(0.0), b, false)
            }
        };
        let x = axis(self.points.iter().map(|p| (p.cost, p.cost_ci)).collect(), None);
        let y = axis(self.points.iter().map(|p| (p.p99, p.p99_ci)).collect(), self.slo_ms);
        (x, y)
    }

    /// Draws the chart, numbered or labelled by name; whether every label found a place
    /// of its own (touching no other label and no point).
    fn plot<DB, X, Y>(
        &self,
        root: &DrawingArea<DB, Shift>,
        x: X,
        y: Y,
        numbered: bool,
    ) -> Result<bool, DrawError>
    where
        DB: DrawingBackend,
        X: AsRangedCoord<Value = f64>,
        Y: AsRangedCoord<Value = f64>,
        X::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
        Y::CoordDescType: Ranged<ValueType = f64> + ValueFormatter<f64>,
    {
        let (header, body) = root.split_vertically(62);
        let legend_height = self.legend_height_for(numbered);
        let (body, legend_area) = body.split_vertically(body.dim_in_pixel().1 as i32 - legend_height);
        let (w, _) = header.estimate_text_size(&self.title, &bold(style::TITLE_SIZE))?;
        let width = header.dim_in_pixel().0 as i32;
        header.draw(&Text::new(self.title.clone(), ((width - w as i32) / 2, 10), bold(style::TITLE_SIZE)))?;
        let note =
            "grey staircase: the Pareto frontier (no platform is both cheaper and faster than one on it)";
        let (w, _) = header.estimate_text_size(note, &font(style::TICK_SIZE))?;
        header.draw(&Text::new(
            note,
            ((width - w as i32) / 2, 40),
            font(style::TICK_SIZE).color(&style::MUTED),
        ))?;
        let mut chart = ChartBuilder::on(&body)
            .margin(16)
            .margin_top(4)
            .x_label_area_size(52)
            .y_label_area_size(78)
            .build_cartesian_2d(x, y)?;
        chart
            .configure_mesh()
            .x_desc(if self.ranges().0 .2 {
                "monthly infrastructure cost (USD per 730-hour month, log scale)"
            } else {
                "monthly infrastructure cost (USD per 730-hour month)"
            })
            .y_desc(match (&self.ratio, self.ranges().1 .2) {
                (None, true) => "p99 latency (ms, log scale)",
                (None, false) => "p99 latency (ms)",
                (Some(_), true) => "worst service's p99 / its SLO (log scale)",
                (Some(_), false) => "worst service's p99 / its SLO",
            })
            .axis_desc_style(font(style::LABEL_SIZE))
            .label_style(font(style::TICK_SIZE))
            .x_label_formatter(&|v| format!("${}", style::tick(*v)))
            .y_label_formatter(&|v| style::tick(*v))
            .light_line_style(style::NO_LINE)
            .bold_line_style(style::GRID)
            .draw()?;
        let (xr, yr) = (chart.x_range(), chart.y_range());
        if let Some(slo) = self.slo_ms.filter(|s| yr.contains(s)) {
            let red = RGBColor(200, 30, 30);
            chart.draw_series(LineSeries::new([(xr.start, slo), (xr.end, slo)], red.stroke_width(2)))?;
            let (px, py) = chart.backend_coord(&(xr.end, slo));
            let label = match self.ratio {
                Some(_) => "SLO: every service's p99 at most its SLO".to_string(),
                None => format!("SLO p99 {}", style::ms(slo)),
            };
            let (w, _) = root.estimate_text_size(&label, &font(style::TICK_SIZE))?;
            root.draw(&Text::new(label, (px - w as i32 - 6, py - 20), font(style::TICK_SIZE).color(&red)))?;
        }
        // The frontier: the edge of the region the frontier points dominate, a staircase
        // from the top of the chart down through each point to the right edge.
        let front = pareto_front(&self.points.iter().map(|p| (p.cost, p.p99)).collect::<Vec<_>>());
        // Lines the labels avoid: the frontier's segments, then the whiskers.
        let mut obstacles: Vec<Rect> = Vec::new();
        if let Some(&first) = front.first() {
            let mut steps = vec![(self.points[first].cost, yr.end)];
            for (k, &i) in front.iter().enumerate() {
                let p = &self.points[i];
                if k > 0 {
                    steps.push((p.cost, self.points[front[k - 1]].p99));
                }
                steps.push((p.cost, p.p99));
            }
            steps.push((xr.end, self.points[front[front.len() - 1]].p99));
            let style = style::MUTED.stroke_width(2);
            chart.draw_series(LineSeries::new(steps.iter().copied(), style))?;
            // Its segments, in pixels, for the labels to avoid.
            for w in steps.windows(2) {
                let (a, b) = (chart.backend_coord(&w[0]), chart.backend_coord(&w[1]));
                obstacles.push(Rect {
                    x0: a.0.min(b.0) - 2,
                    y0: a.1.min(b.1) - 2,
                    x1: a.0.max(b.0) + 2,
                    y1: a.1.max(b.1) + 2,
                });
            }
        }
        let clip = |v: f64, r: &std::ops::Range<f64>| v.clamp(r.start, r.end);
        for p in &self.points {
            let c = p.color;
            let (xl, xh) = (clip(p.cost - p.cost_ci, &xr), clip(p.cost + p.cost_ci, &xr));
            let (yl, yh) = (clip(p.p99 - p.p99_ci, &yr), clip(p.p99 + p.p99_ci, &yr));
            chart.draw_series(LineSeries::new([(xl, p.p99), (xh, p.p99)], c.stroke_width(2)))?;
            chart.draw_series(LineSeries::new([(p.cost, yl), (p.cost, yh)], c.stroke_width(2)))?;
            // Labels keep off the whiskers too (a number on a whisker reads as its end).
            for (a, b) in [((xl, p.p99), (xh, p.p99)), ((p.cost, yl), (p.cost, yh))] {
                let (a, b) = (chart.backend_coord(&a), chart.backend_coord(&b));
                obstacles.push(Rect {
                    x0: a.0.min(b.0) - 3,
                    y0: a.1.min(b.1) - 3,
                    x1: a.0.max(b.0) + 3,
                    y1: a.1.max(b.1) + 3,
                });
            }
            // Caps: short ticks at each whisker end, in pixels.
            for (cx, cy, horizontal) in
                [(xl, p.p99, false), (xh, p.p99, false), (p.cost, yl, true), (p.cost, yh, true)]
            {
                let (px, py) = chart.backend_coord(&(cx, cy));
                let seg =
                    if horizontal { [(px - 5, py), (px + 5, py)] } else { [(px, py - 5), (px, py + 5)] };
                root.draw(&PathElement::new(seg, c.stroke_width(2)))?;
            }
        }
        chart.draw_series(self.points.iter().map(|p| {
            Circle::new(
                (p.cost, p.p99),
                6,
                ShapeStyle { color: p.color.to_rgba(), filled: true, stroke_width: 1 },
            )
        }))?;
        // Labels beside each point, nudged apart: name, cost and p99 for a few
        // platforms, else the platform's number in the legend below.
        let area = chart.plotting_area();
        let ((ax0, ay0), (ax1, ay1)) = {
            let (x, y) = area.get_pixel_range();
            ((x.start, y.start), (x.end, y.end))
        };
        let bounds = Rect { x0: ax0 + 2, y0: ay0 + 2, x1: ax1 - 2, y1: ay1 - 2 };
        let anchors: Vec<(i32, i32)> =
            self.points.iter().map(|p| chart.backend_coord(&(p.cost, p.p99))).collect();
        if numbered {
            let placed = place(&anchors, &vec![(NUMBER, NUMBER); anchors.len()], bounds, 8, &obstacles);
            for (i, (p, (r, &(ax, ay)))) in self.points.iter().zip(placed.iter().zip(&anchors)).enumerate() {
                let (cx, cy) = r.center();
                root.draw(&PathElement::new([(ax, ay), (cx, cy)], p.color.mix(0.7)))?;
                number_mark(root, (cx, cy), i + 1, p.color)?;
            }
            let width = style::WIDTH as i32 - 2 * LEGEND_MARGIN;
            self.legend().draw(&legend_area, LEGEND_MARGIN, 4, width)?;
            return Ok(true);
        }
        let texts: Vec<String> = self
            .points
            .iter()
            .map(|p| format!("{} {} · {}", p.name, style::usd(p.cost), self.y_text(p.p99)))
            .collect();
        let sizes: Vec<(i32, i32)> = texts
            .iter()
            .map(|t| (style::text_width(t, style::TICK_SIZE, true) + 4, style::TICK_SIZE as i32 + 4))
            .collect();
        let placed = place(&anchors, &sizes, bounds, 8, &obstacles);
        let markers: Vec<Rect> =
            anchors.iter().map(|&(x, y)| Rect { x0: x - 6, y0: y - 6, x1: x + 6, y1: y + 6 }).collect();
        let apart = placed
            .iter()
            .enumerate()
            .all(|(i, a)| placed[i + 1..].iter().chain(&markers).all(|b| a.overlap(b) == 0));
        for ((p, text), (r, &(ax, ay))) in self.points.iter().zip(&texts).zip(placed.iter().zip(&anchors)) {
            let (cx, cy) = r.center();
            if (cx - ax).abs() > r.x1 - r.x0 || (cy - ay).abs() > 24 {
                let end = (cx.clamp(r.x0, r.x1), if cy > ay { r.y0 } else { r.y1 });
                root.draw(&PathElement::new([(ax, ay), end], p.color.mix(0.6)))?;
            }
            root.draw(&Rectangle::new([(r.x0, r.y0), (r.x1, r.y1)], WHITE.mix(0.8).filled()))?;
            root.draw(&Text::new(
                text.clone(),
                (r.x0 + 2, r.y0 + 1),
                bold(style::TICK_SIZE).color(&p.color),
            ))?;
        }
        Ok(apart)
    }

    fn draw_labelled<DB: DrawingBackend>(
        &self,
        root: &DrawingArea<DB, Shift>,
        numbered: bool,
    ) -> Result<bool, DrawError> {
        let ((x0, x1, xl), (y0, y1, yl)) = self.ranges();
        match (xl, yl) {
            (false, false) => self.plot(root, linear(x0, x1, false), linear(y0, y1, false), numbered),
            (true, false) => self.plot(root, logarithmic(x0, x1), linear(y0, y1, false), numbered),
            (false, true) => self.plot(root, linear(x0, x1, false), logarithmic(y0, y1), numbered),
            (true, true) => self.plot(root, logarithmic(x0, x1), logarithmic(y0, y1), numbered),
        }
    }
}

/// Side of the box a point's number takes.
const NUMBER: i32 = 20;

impl Draw for CostLatency {
    fn size(&self) -> (u32, u32) {
        (style::WIDTH, style::HEIGHT + self.legend_height() as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        self.draw_labelled(root, self.numbered()).map(|_| ())
    }
}

pub(crate) fn min_max(it: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = it
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| (a.min(v), b.max(v)));
    if lo.is_finite() {
        (lo, hi)
    } else {
        (0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn point(name: &str, cost: f64, p99: f64) -> Point {
        Point { name: name.into(), cost, cost_ci: 0.0, p99, p99_ci: 0.0, color: RGBColor(0, 0, 0) }
    }

    fn chart(points: Vec<Point>) -> CostLatency {
        let mut c = CostLatency { title: String::new(), points, slo_ms: None, numbered: true, ratio: None };
        c.numbered = c.choose_numbered();
        c
    }

    /// Three platforms spread out are labelled by name; four whose labels cannot all be
    /// placed apart are numbered; five are always numbered.
    #[test]
    fn names_beside_points_only_when_they_fit() {
        let spread = chart(vec![point("a", 10.0, 100.0), point("b", 50.0, 300.0), point("c", 90.0, 200.0)]);
        assert!(!spread.numbered);
        // Labels wider than the plot cannot be placed apart anywhere.
        let long = "a-platform-name-long-enough-to-cross-the-whole-chart-".repeat(2);
        let same: Vec<Point> = (0..4).map(|i| point(&format!("{long}{i}"), 10.0, 100.0)).collect();
        assert!(chart(same).numbered);
        let five: Vec<Point> = (0..5).map(|i| point("p", 10.0 * (i + 1) as f64, 100.0)).collect();
        assert!(chart(five).numbered);
    }

    #[test]
    fn the_frontier_keeps_only_undominated_points() {
        // (cost, p99): b is cheaper and faster than c; a is cheapest; d is fastest.
        let pts = [(10.0, 500.0), (20.0, 300.0), (30.0, 400.0), (50.0, 100.0)];
        assert_eq!(pareto_front(&pts), vec![0, 1, 3]);
        assert_eq!(pareto_front(&[]), Vec::<usize>::new());
        assert_eq!(pareto_front(&[(1.0, 1.0), (1.0, 1.0)]), vec![0]);
    }
}
