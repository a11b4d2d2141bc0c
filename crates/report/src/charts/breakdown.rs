//! Cost breakdown: for each platform a stacked bar of its infrastructure line items and,
//! beside it, the total cost of ownership (infrastructure plus load balancer, NAT,
//! observability and operations people).

use super::{bold, font, Draw, DrawError};
use crate::plot_dir::{RunData, COST_ITEMS, INFRA_ITEMS};
use crate::style::{self, Palette};
use plotters::coord::Shift;
use plotters::prelude::*;

pub struct Bars {
    pub name: String,
    pub color: RGBColor,
    /// Line item values in [`COST_ITEMS`] order.
    pub items: Vec<f64>,
}

pub struct Breakdown {
    pub title: String,
    pub bars: Vec<Bars>,
}

/// Bar width and the gap inside and between platform groups, in x units.
const BAR: f64 = 0.8;
const GROUP: f64 = 2.4;

impl Breakdown {
    pub fn new(data: &RunData, palette: &Palette) -> Self {
        Breakdown {
            title: "Monthly cost by line item: infrastructure and total cost of ownership".into(),
            bars: data
                .summary
                .iter()
                .map(|p| Bars { name: p.name.clone(), color: palette.color(&p.name), items: p.items.clone() })
                .collect(),
        }
    }

    /// Line items that are non-zero for some platform (the legend shows only these).
    fn used(&self) -> Vec<usize> {
        (0..COST_ITEMS.len())
            .filter(|&i| self.bars.iter().any(|b| b.items.get(i).copied().unwrap_or(0.0) > 0.0))
            .collect()
    }
}

impl Draw for Breakdown {
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let used = self.used();
        let total = |b: &Bars, n: usize| b.items.iter().take(n).filter(|v| **v > 0.0).sum::<f64>();
        let top = self.bars.iter().map(|b| total(b, COST_ITEMS.len())).fold(0.0f64, f64::max);
        let top = if top > 0.0 { top * 1.15 } else { 1.0 };
        let n = self.bars.len().max(1) as f64;
        let (body, legend) = root.split_horizontally(root.dim_in_pixel().0 as i32 - 210);
        let mut chart = ChartBuilder::on(&body)
            .caption(&self.title, bold(style::TITLE_SIZE))
            .margin(16)
            .x_label_area_size(56)
            .y_label_area_size(78)
            .build_cartesian_2d(0.0..n * GROUP, 0.0..top)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .disable_x_axis()
            .y_desc("USD per 730-hour month")
            .axis_desc_style(font(style::LABEL_SIZE))
            .label_style(font(style::LABEL_SIZE))
            .y_label_formatter(&|v| format!("${}", style::tick(*v)))
            .light_line_style(style::NO_LINE)
            .bold_line_style(style::GRID)
            .draw()?;
        chart.draw_series(LineSeries::new([(0.0, 0.0), (n * GROUP, 0.0)], style::INK.stroke_width(1)))?;
        for (g, b) in self.bars.iter().enumerate() {
            let left = g as f64 * GROUP + (GROUP - 2.0 * BAR - 0.1) / 2.0;
            for (k, (label, n_items)) in
                [("infra", INFRA_ITEMS), ("TCO", COST_ITEMS.len())].into_iter().enumerate()
            {
                let x0 = left + k as f64 * (BAR + 0.1);
                let mut y = 0.0;
                for &i in used.iter().filter(|&&i| i < n_items) {
                    let v = b.items.get(i).copied().unwrap_or(0.0);
                    if v <= 0.0 {
                        continue;
                    }
                    let color = style::ITEM_PALETTE[i % style::ITEM_PALETTE.len()];
                    chart.draw_series([Rectangle::new([(x0, y), (x0 + BAR, y + v)], color.filled())])?;
                    chart
                        .draw_series([Rectangle::new([(x0, y), (x0 + BAR, y + v)], WHITE.stroke_width(1))])?;
                    y += v;
                }
                // The bar's total above it and its kind just below the top of the axis.
                let (px, py) = chart.backend_coord(&(x0 + BAR / 2.0, y));
                let text = format!("{label} {}", style::usd(y));
                let (w, h) = root.estimate_text_size(&text, &font(style::TICK_SIZE))?;
                body.draw(&Text::new(text, (px - w as i32 / 2, py - h as i32 - 4), font(style::TICK_SIZE)))?;
            }
            // A strip in the platform's colour under its group ties it to the other charts.
            let (a, _) = chart.backend_coord(&(left, 0.0));
            let (c, py) = chart.backend_coord(&(left + 2.0 * BAR + 0.1, 0.0));
            body.draw(&Rectangle::new([(a, py + 1), (c, py + 6)], b.color.filled()))?;
            let (w, _) = root.estimate_text_size(&b.name, &bold(style::LABEL_SIZE))?;
            body.draw(&Text::new(
                b.name.clone(),
                ((a + c - w as i32) / 2, py + 14),
                bold(style::LABEL_SIZE).color(&b.color),
            ))?;
        }
        // Legend: the line items in use, stacking order bottom to top.
        let mut y = 70;
        legend.draw(&Text::new("line items", (8, y - 28), bold(style::LABEL_SIZE)))?;
        for &i in used.iter().rev() {
            let color = style::ITEM_PALETTE[i % style::ITEM_PALETTE.len()];
            legend.draw(&Rectangle::new([(8, y), (26, y + 16)], color.filled()))?;
            let tag = if i >= INFRA_ITEMS { " (TCO)" } else { "" };
            legend.draw(&Text::new(format!("{}{tag}", COST_ITEMS[i].1), (34, y), font(style::TICK_SIZE)))?;
            y += 24;
        }
        if used.is_empty() {
            legend.draw(&Text::new("no costs", (8, y), font(style::TICK_SIZE)))?;
        }
        Ok(())
    }
}
