//! Latency distribution: the complementary CDF (share of requests slower than x) of each
//! platform's pooled latencies, log-log, with p50, p99 and p99.9 marked.

use super::cost_latency::min_max;
use super::legend::{Entry, Legend, Mark};
use super::{bold, font, logarithmic, padded, Draw, DrawError};
use crate::plot_dir::RunData;
use crate::style::{self, Palette};
use plotters::coord::Shift;
use plotters::prelude::*;

pub struct Curve {
    pub name: String,
    pub color: RGBColor,
    /// (latency ms, share of requests slower), both positive.
    pub points: Vec<(f64, f64)>,
    /// (label, latency ms, share slower) at p50, p99 and p99.9.
    pub marks: Vec<(&'static str, f64, f64)>,
}

pub struct LatencyCcdf {
    pub title: String,
    pub curves: Vec<Curve>,
    pub slo_ms: Option<f64>,
}

const MARKS: [(&str, f64); 3] = [("p50", 0.5), ("p99", 0.99), ("p99.9", 0.999)];

/// The latency at quantile `q` read off a curve of (quantile, ms) points.
fn at_quantile(points: &[(f64, f64)], q: f64) -> Option<f64> {
    points.iter().find(|(level, _)| *level >= q - 1e-9).map(|&(_, ms)| ms)
}

impl LatencyCcdf {
    pub fn new(data: &RunData, palette: &Palette) -> Self {
        let curves = data
            .latency
            .iter()
            .map(|c| {
                let summary = data.summary.iter().find(|p| p.name == c.platform);
                let marks = MARKS
                    .iter()
                    .filter_map(|&(label, q)| {
                        let from_summary = summary.map(|p| match label {
                            "p50" => p.p50,
                            "p99" => p.p99,
                            _ => p.p999,
                        });
                        let ms = from_summary.filter(|v| *v > 0.0).or_else(|| at_quantile(&c.points, q))?;
                        Some((label, ms, 1.0 - q))
                    })
                    .collect();
                Curve {
                    name: c.platform.clone(),
                    color: palette.color(&c.platform),
                    points: c
                        .points
                        .iter()
                        .map(|&(q, ms)| (ms, 1.0 - q))
                        .filter(|&(ms, s)| ms > 0.0 && s > 1e-12)
                        .collect(),
                    marks,
                }
            })
            .collect();
        LatencyCcdf {
            title: "Latency distribution: share of requests slower than x (pooled over replications)".into(),
            curves,
            slo_ms: data.slo_ms,
        }
    }
}

const LEGEND_LEFT: i32 = 94;

impl LatencyCcdf {
    /// Every platform with its p99, below the plot (inside it, a dozen entries would
    /// hide the curves).
    fn legend(&self) -> Legend {
        Legend::new(
            self.curves
                .iter()
                .map(|c| {
                    let p99 = c.marks.iter().find(|m| m.0 == "p99").map(|m| m.1);
                    let text = match p99 {
                        Some(v) => format!("{} (p99 {})", c.name, style::ms(v)),
                        None => c.name.clone(),
                    };
                    Entry { color: c.color, mark: Mark::Line, text }
                })
                .collect(),
        )
    }

    fn legend_width() -> i32 {
        style::WIDTH as i32 - LEGEND_LEFT - 16
    }
}

impl Draw for LatencyCcdf {
    fn size(&self) -> (u32, u32) {
        (style::WIDTH, style::HEIGHT + self.legend().height(Self::legend_width()) as u32 + 8)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let legend = self.legend();
        let (root, legend_area) =
            root.split_vertically(root.dim_in_pixel().1 as i32 - legend.height(Self::legend_width()) - 8);
        legend.draw(&legend_area, LEGEND_LEFT, 0, Self::legend_width())?;
        let root = &root;
        let (x0, x1) =
            min_max(self.curves.iter().flat_map(|c| c.points.iter().map(|p| p.0)).chain(self.slo_ms));
        let (x0, x1) = padded(x0.max(1e-3), x1.max(x0 * 1.01), 0.03, true);
        let x = logarithmic(x0, x1);
        let (x0, x1) = (x.range().start, x.range().end);
        let y0 = self.curves.iter().flat_map(|c| c.points.iter().map(|p| p.1)).fold(1.0f64, f64::min);
        let y0 = 10f64.powf(y0.max(1e-7).log10().floor());
        let mut chart = ChartBuilder::on(root)
            .caption(&self.title, bold(style::TITLE_SIZE))
            .margin(16)
            .x_label_area_size(52)
            .y_label_area_size(78)
            .build_cartesian_2d(x, logarithmic(y0, 1.0))?;
        chart
            .configure_mesh()
            .x_desc("end-to-end latency (ms, log scale)")
            .y_desc("share of requests slower (log scale)")
            .axis_desc_style(font(style::LABEL_SIZE))
            .label_style(font(style::TICK_SIZE))
            .x_label_formatter(&|v| style::tick(*v))
            .y_label_formatter(&|v| share(*v))
            .light_line_style(style::NO_LINE)
            .bold_line_style(style::GRID)
            .draw()?;
        // Reference lines at the marked quantiles, named at the right edge.
        for (label, q) in MARKS {
            let s = 1.0 - q;
            if s < y0 {
                continue;
            }
            chart.draw_series(LineSeries::new([(x0, s), (x1, s)], style::MUTED.mix(0.6).stroke_width(1)))?;
            let (px, py) = chart.backend_coord(&(x1, s));
            root.draw(&Text::new(label, (px - 44, py - 18), font(style::TICK_SIZE).color(&style::MUTED)))?;
        }
        if let Some(slo) = self.slo_ms {
            let red = RGBColor(200, 30, 30);
            chart.draw_series(LineSeries::new([(slo, y0), (slo, 1.0)], red.stroke_width(2)))?;
            let (px, py) = chart.backend_coord(&(slo, 1.0));
            root.draw(&Text::new(
                format!("SLO {}", style::ms(slo)),
                (px + 4, py + 4),
                font(style::TICK_SIZE).color(&red),
            ))?;
        }
        for c in &self.curves {
            let color = c.color;
            chart.draw_series(LineSeries::new(c.points.iter().copied(), color.stroke_width(2)))?;
            chart.draw_series(c.marks.iter().filter(|m| m.2 >= y0).map(|&(_, ms, s)| {
                Circle::new((ms, s), 5, ShapeStyle { color: color.to_rgba(), filled: true, stroke_width: 1 })
            }))?;
        }
        Ok(())
    }
}

/// A share on the log axis as the percentage people read (0.001 -> 0.1%).
fn share(v: f64) -> String {
    format!("{}%", style::tick(v * 100.0))
}
