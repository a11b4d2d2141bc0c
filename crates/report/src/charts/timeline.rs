//! A day of one replication, minute by minute: traffic, instances, nodes, waiting
//! requests and the per-minute p99 of each platform, as small multiples sharing the
//! time axis.

use super::cost_latency::min_max;
use super::legend::{Entry, Legend, Mark};
use super::{bold, font, linear, logarithmic, Draw, DrawError, Ticked};
use crate::plot_dir::{RunData, TimelineRow};
use crate::style::{self, Palette};
use plotters::coord::Shift;
use plotters::prelude::*;

pub struct Series {
    pub name: String,
    pub color: RGBColor,
    pub minutes: Vec<TimelineRow>,
}

pub struct Timeline {
    pub title: String,
    pub series: Vec<Series>,
    /// First minute shown (from the start of the horizon) and how many.
    pub start: u32,
    pub len: u32,
}

/// One line of a panel: its colour and (hour, value) points, a gap where a value is None.
type Trace = (RGBColor, Vec<(f64, Option<f64>)>);

const DAYS: [&str; 7] = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
const PANEL_HEIGHT: u32 = 210;
/// Height of the title line; the legend below it takes as many rows as it needs.
const TITLE: u32 = 44;
const LEGEND_LEFT: i32 = 90;

impl Timeline {
    pub fn new(data: &RunData, palette: &Palette) -> Self {
        let series: Vec<Series> = data
            .timeline
            .iter()
            .map(|t| Series {
                name: t.platform.clone(),
                color: palette.color(&t.platform),
                minutes: t.minutes.clone(),
            })
            .collect();
        let minutes = series.iter().flat_map(|s| s.minutes.iter().map(|m| m.minute));
        let start = minutes.clone().min().unwrap_or(0);
        let end = minutes.max().map_or(start, |m| m.saturating_add(1));
        let day = start / 1440;
        Timeline {
            title: format!(
                "The busiest day of replication 0, minute by minute (day {}, {})",
                day + 1,
                DAYS[day as usize % 7]
            ),
            series,
            start,
            len: end - start,
        }
    }

    fn has_nodes(&self) -> bool {
        self.series.iter().any(|s| s.minutes.iter().any(|m| m.mean_nodes > 0.0))
    }

    fn legend(&self) -> Legend {
        Legend::new(
            self.series
                .iter()
                .map(|s| Entry { color: s.color, mark: Mark::Line, text: s.name.clone() })
                .collect(),
        )
    }

    fn header(&self) -> u32 {
        TITLE + self.legend().height(style::WIDTH as i32 - LEGEND_LEFT - 24) as u32 + 8
    }

    /// The time axis in hours with a tick every two hours (more apart on a longer span,
    /// which only a malformed file gives), at most a dozen or so.
    fn time_axis(&self) -> Ticked<plotters::coord::types::RangedCoordf64> {
        let (x0, x1) = (self.hour(self.start), self.hour(self.start.saturating_add(self.len.max(1))));
        let (x0, x1) = super::axis::safe_range(x0, x1, false);
        let step = ((x1 - x0) / 12.0 / 2.0).ceil().max(1.0) * 2.0;
        let first = (x0 / step).ceil();
        let n = (((x1 / step).floor() - first).max(-1.0) + 1.0).min(14.0) as usize;
        Ticked::with_ticks(x0, x1, (0..n).map(|k| (first + k as f64) * step).collect())
    }

    fn panels(&self) -> u32 {
        4 + u32::from(self.has_nodes())
    }

    /// Hours since midnight of the shown day, for minute `m`.
    fn hour(&self, m: u32) -> f64 {
        (m - (self.start - self.start % 1440)) as f64 / 60.0
    }

    /// One small multiple: `lines` are (colour, points) with gaps where a point is None.
    #[allow(clippy::too_many_arguments)]
    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        heading: &str,
        unit: &str,
        lines: &[Trace],
        log: bool,
        last: bool,
    ) -> Result<(), DrawError> {
        let (lo, hi) = min_max(lines.iter().flat_map(|(_, pts)| pts.iter().filter_map(|p| p.1)));
        let (title_area, plot_area) = area.split_vertically(24);
        title_area.draw(&Text::new(heading.to_string(), (90, 4), bold(style::LABEL_SIZE)))?;
        let x_labels =
            move |v: &f64| if last { format!("{:02}:00", (*v as i64).rem_euclid(24)) } else { String::new() };
        let (xa, ya) = (if last { 46 } else { 14 }, 78);
        macro_rules! body {
            ($y:expr) => {{
                let mut chart = ChartBuilder::on(&plot_area)
                    .margin_left(12)
                    .margin_right(24)
                    .x_label_area_size(xa)
                    .y_label_area_size(ya)
                    .build_cartesian_2d(self.time_axis(), $y)?;
                let mut mesh = chart.configure_mesh();
                mesh.x_label_formatter(&x_labels)
                    .y_desc(unit)
                    .y_label_formatter(&|v| style::tick(*v))
                    .axis_desc_style(font(style::TICK_SIZE))
                    .label_style(font(style::TICK_SIZE))
                    .light_line_style(style::NO_LINE)
                    .bold_line_style(style::GRID);
                if last {
                    mesh.x_desc("time of day (hours)");
                }
                mesh.draw()?;
                for (color, pts) in lines {
                    for run in pts.split(|p| p.1.is_none()).filter(|r| !r.is_empty()) {
                        let run: Vec<(f64, f64)> = run.iter().filter_map(|&(x, y)| Some((x, y?))).collect();
                        chart.draw_series(LineSeries::new(run, color.mix(0.85).stroke_width(1)))?;
                    }
                }
            }};
        }
        if log {
            let lo = lo.max(0.01);
            let hi = hi.max(lo * 10.0);
            body!(logarithmic(lo * 0.8, hi * 1.25));
        } else {
            body!(linear(0.0, if hi > 0.0 { hi * 1.08 } else { 1.0 }, false));
        }
        Ok(())
    }
}

impl Draw for Timeline {
    fn size(&self) -> (u32, u32) {
        (style::WIDTH, self.header() + PANEL_HEIGHT * self.panels())
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let (header, rest) = root.split_vertically(self.header());
        let (w, _) = header.estimate_text_size(&self.title, &bold(style::TITLE_SIZE))?;
        let width = style::WIDTH as i32;
        header.draw(&Text::new(self.title.clone(), ((width - w as i32) / 2, 12), bold(style::TITLE_SIZE)))?;
        // Every platform in the legend, in as many rows as they take.
        self.legend().draw(&header, LEGEND_LEFT, TITLE as i32, width - LEGEND_LEFT - 24)?;
        let panels = rest.split_evenly((self.panels() as usize, 1));
        let per = |f: &dyn Fn(&TimelineRow) -> Option<f64>| -> Vec<Trace> {
            self.series
                .iter()
                .map(|s| (s.color, s.minutes.iter().map(|m| (self.hour(m.minute), f(m))).collect()))
                .collect()
        };
        // Traffic is the same for every platform (common random numbers): one grey line.
        let traffic: Vec<Trace> = self
            .series
            .first()
            .map(|s| {
                (
                    style::INK,
                    s.minutes.iter().map(|m| (self.hour(m.minute), Some(m.arrivals / 60.0))).collect(),
                )
            })
            .into_iter()
            .collect();
        let mut i = 0;
        let n = panels.len();
        let mut next = || {
            i += 1;
            (&panels[i - 1], i == n)
        };
        let (a, last) = next();
        self.panel(a, "Traffic: arrivals per second (minute average)", "requests/s", &traffic, false, last)?;
        let (a, last) = next();
        self.panel(
            a,
            "Instances (pods) alive, minute average",
            "instances",
            &per(&|m| Some(m.mean_instances)),
            false,
            last,
        )?;
        if self.has_nodes() {
            let (a, last) = next();
            self.panel(
                a,
                "Nodes alive, minute average",
                "nodes",
                &per(&|m| Some(m.mean_nodes)),
                false,
                last,
            )?;
        }
        let (a, last) = next();
        self.panel(
            a,
            "Requests waiting for an instance (most at once in the minute)",
            "requests",
            &per(&|m| Some(m.max_waiting)),
            false,
            last,
        )?;
        let (a, last) = next();
        self.panel(
            a,
            "p99 latency of the requests completed in the minute (log scale)",
            "ms",
            &per(&|m| m.p99_ms),
            true,
            last,
        )?;
        Ok(())
    }
}
