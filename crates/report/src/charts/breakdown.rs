//! Cost breakdown: a row per platform, its infrastructure line items stacked in one
//! panel and its total cost of ownership (infrastructure plus load balancer, NAT,
//! observability and operations people) in a second panel with its own scale.
//!
//! Rows rather than columns, so a platform's name is written out in full however many
//! platforms there are; two scales, because people cost hundreds of times the
//! infrastructure of a small service and one scale would flatten its bars to nothing.

use super::legend::{Entry, Legend, Mark, LEFT_MIDDLE};
use super::{bold, font, linear, Draw, DrawError};
use crate::plot_dir::{RunData, COMMITMENT_ITEM, COST_ITEMS, INFRA_ITEMS};
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

pub(super) const TITLE: i32 = 44;
pub(super) const HEADING: i32 = 26;
pub(super) const ROW: i32 = 30;
pub(super) const AXIS: i32 = 50;
pub(super) const MARGIN: i32 = 16;
/// The widest the name column gets; a longer name is shortened to fit.
const MAX_NAMES: i32 = 280;
/// The infrastructure part of a TCO bar, as one block.
const INFRA_BLOCK: RGBColor = RGBColor(170, 170, 170);

/// `name`, shortened with an ellipsis to `width` pixels so it cannot run into the bars
/// (only a name wider than the column, over 30 characters, is shortened).
pub(super) fn fit(name: &str, width: i32) -> String {
    let w = |s: &str| style::text_width(s, style::TICK_SIZE, true);
    if w(name) <= width {
        return name.to_string();
    }
    let mut chars: Vec<char> = name.chars().collect();
    while !chars.is_empty() && w(&format!("{}…", chars.iter().collect::<String>())) > width {
        chars.pop();
    }
    format!("{}…", chars.into_iter().collect::<String>())
}

/// A line item's value, positive and finite or nothing.
fn value(items: &[f64], i: usize) -> f64 {
    items.get(i).copied().filter(|v| v.is_finite() && *v > 0.0).unwrap_or(0.0)
}

impl Breakdown {
    pub fn new(data: &RunData, palette: &Palette) -> Self {
        Breakdown {
            title: "Monthly cost by line item: infrastructure, and total cost of ownership on its own scale"
                .into(),
            bars: data
                .summary
                .iter()
                .map(|p| Bars { name: p.name.clone(), color: palette.color(&p.name), items: p.items.clone() })
                .collect(),
        }
    }

    /// Line items that are non-zero for some platform (the legend shows only these).
    fn used(&self) -> Vec<usize> {
        (0..COST_ITEMS.len()).filter(|&i| self.bars.iter().any(|b| value(&b.items, i) > 0.0)).collect()
    }

    /// Whether any platform has costs beyond infrastructure (else no TCO panel).
    fn has_tco(&self) -> bool {
        self.used().iter().any(|&i| i >= INFRA_ITEMS)
    }

    fn legend(&self) -> Legend {
        let mut entries: Vec<Entry> = self
            .used()
            .into_iter()
            .map(|i| Entry {
                color: item_color(i),
                mark: Mark::Swatch,
                text: format!("{}{}", COST_ITEMS[i].1, if i >= INFRA_ITEMS { " (TCO)" } else { "" }),
            })
            .collect();
        if self.has_tco() {
            entries.push(Entry {
                color: INFRA_BLOCK,
                mark: Mark::Swatch,
                text: "infrastructure (TCO)".into(),
            });
        }
        Legend::new(entries)
    }

    fn legend_width() -> i32 {
        style::WIDTH as i32 - 2 * MARGIN
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        heading: &str,
        rows: &[Vec<(RGBColor, f64)>],
    ) -> Result<(), DrawError> {
        stacked_panel(area, heading, rows)
    }
}

/// Width of the name column: swatch, gap and the widest name, at most [`MAX_NAMES`].
pub(super) fn names_width(bars: &[Bars]) -> i32 {
    let widest = bars.iter().map(|b| style::text_width(&b.name, style::TICK_SIZE, true)).max();
    (widest.unwrap_or(0) + 22).min(MAX_NAMES)
}

/// The name column: each bar's name with a swatch of its platform's colour tying it to
/// the other charts, centred on its row (rows start below the panel heading).
pub(super) fn draw_names<DB: DrawingBackend>(
    name_col: &DrawingArea<DB, Shift>,
    bars: &[Bars],
    width: i32,
) -> Result<(), DrawError> {
    for (r, b) in bars.iter().enumerate() {
        let cy = HEADING + r as i32 * ROW + ROW / 2;
        name_col.draw(&Rectangle::new([(MARGIN, cy - 6), (MARGIN + 12, cy + 6)], b.color.filled()))?;
        name_col.draw(&Text::new(
            fit(&b.name, width - 18),
            (MARGIN + 18, cy),
            bold(style::TICK_SIZE).color(&b.color).pos(LEFT_MIDDLE),
        ))?;
    }
    Ok(())
}

/// One panel: a stacked bar per row of `(colour, value)` segments, its total at its
/// end, on an axis from zero that leaves room for the widest total.
pub(super) fn stacked_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    heading: &str,
    rows: &[Vec<(RGBColor, f64)>],
) -> Result<(), DrawError> {
    let (head, body) = area.split_vertically(HEADING);
    head.draw(&Text::new(heading.to_string(), (6, 4), bold(style::TICK_SIZE)))?;
    let n = rows.len().max(1) as f64;
    let totals: Vec<f64> = rows.iter().map(|r| r.iter().map(|s| s.1).sum::<f64>()).collect();
    let top = totals.iter().copied().filter(|v| v.is_finite()).fold(0.0f64, f64::max);
    let top = if top > 0.0 { top } else { 1.0 };
    // The scale leaves the widest total's label room right of the longest bar.
    let label_w = totals.iter().map(|t| style::text_width(&style::usd(*t), style::TICK_SIZE, false)).max();
    let plot_w = (body.dim_in_pixel().0 as i32 - 6 - MARGIN).max(40);
    let room = (label_w.unwrap_or(0) + 12).min(plot_w / 2);
    let end = top * plot_w as f64 / (plot_w - room) as f64;
    let mut chart = ChartBuilder::on(&body)
        .margin_left(6)
        .margin_right(MARGIN)
        .x_label_area_size(AXIS)
        .y_label_area_size(0)
        .build_cartesian_2d(linear(0.0, end, false), linear(0.0, n, false))?;
    chart
        .configure_mesh()
        .disable_y_mesh()
        .disable_y_axis()
        .x_desc("USD per 730-hour month")
        .axis_desc_style(font(style::TICK_SIZE))
        .label_style(font(style::TICK_SIZE))
        .x_label_formatter(&|v| format!("${}", style::tick(*v)))
        .bold_line_style(style::GRID)
        .draw()?;
    for (r, (segments, total)) in rows.iter().zip(&totals).enumerate() {
        let (y0, y1) = (n - r as f64 - 0.8, n - r as f64 - 0.2);
        let mut x = 0.0;
        for &(color, v) in segments.iter().filter(|s| s.1 > 0.0) {
            chart.draw_series([Rectangle::new([(x, y0), (x + v, y1)], color.filled())])?;
            chart.draw_series([Rectangle::new([(x, y0), (x + v, y1)], WHITE.stroke_width(1))])?;
            x += v;
        }
        let (px, py) = chart.backend_coord(&(x.min(end), (y0 + y1) / 2.0));
        let (bx, by) = body.get_base_pixel();
        body.draw(&Text::new(
            style::usd(*total),
            (px - bx + 5, py - by),
            font(style::TICK_SIZE).pos(LEFT_MIDDLE),
        ))?;
    }
    Ok(())
}

impl Draw for Breakdown {
    fn size(&self) -> (u32, u32) {
        let n = self.bars.len().max(1) as i32;
        let h = TITLE + HEADING + n * ROW + AXIS + 12 + self.legend().height(Self::legend_width()) + 8;
        (style::WIDTH, h.max(240) as u32)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), DrawError> {
        let width = style::WIDTH as i32;
        let (w, _) = root.estimate_text_size(&self.title, &bold(style::TITLE_SIZE))?;
        root.draw(&Text::new(self.title.clone(), ((width - w as i32) / 2, 12), bold(style::TITLE_SIZE)))?;
        let n = self.bars.len().max(1) as i32;
        let legend = self.legend();
        let panels_h = HEADING + n * ROW + AXIS;
        let (_, rest) = root.split_vertically(TITLE);
        let (panels, below) = rest.split_vertically(panels_h);
        legend.draw(&below, MARGIN, 12, Self::legend_width())?;

        let names = names_width(&self.bars);
        let (name_col, plots) = panels.split_horizontally(MARGIN + names);
        draw_names(&name_col, &self.bars, names)?;
        let used = self.used();
        let infra: Vec<Vec<(RGBColor, f64)>> = self
            .bars
            .iter()
            .map(|b| {
                used.iter()
                    .filter(|&&i| i < INFRA_ITEMS)
                    .map(|&i| (item_color(i), value(&b.items, i)))
                    .collect()
            })
            .collect();
        if !self.has_tco() {
            return self.panel(&plots, "Infrastructure", &infra);
        }
        let tco: Vec<Vec<(RGBColor, f64)>> = self
            .bars
            .iter()
            .zip(&infra)
            .map(|(b, segs)| {
                let mut row = vec![(INFRA_BLOCK, segs.iter().map(|s| s.1).sum::<f64>())];
                row.extend(
                    used.iter().filter(|&&i| i >= INFRA_ITEMS).map(|&i| (item_color(i), value(&b.items, i))),
                );
                row
            })
            .collect();
        let split = plots.dim_in_pixel().0 as i32 * 11 / 20;
        let (left, right) = plots.split_horizontally(split);
        self.panel(&left, "Infrastructure", &infra)?;
        self.panel(&right, "Total cost of ownership (own scale)", &tco)?;
        Ok(())
    }
}

/// Line item `i`'s colour. The commitment line came last and takes the palette's last
/// colour, so every other line keeps the colour it had before it.
fn item_color(i: usize) -> RGBColor {
    let k = match i.cmp(&COMMITMENT_ITEM) {
        std::cmp::Ordering::Less => i,
        std::cmp::Ordering::Equal => style::ITEM_PALETTE.len() - 1,
        std::cmp::Ordering::Greater => i - 1,
    };
    style::ITEM_PALETTE[k % style::ITEM_PALETTE.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_wider_than_the_column_is_shortened_to_fit() {
        assert_eq!(fit("eks", 200), "eks");
        let long = "a-platform-name-far-too-long-for-any-column-of-names";
        let short = fit(long, 150);
        assert!(short.ends_with('…') && short.len() < long.len());
        assert!(style::text_width(&short, style::TICK_SIZE, true) <= 150);
        assert_eq!(fit(long, 0), "…");
    }
}
