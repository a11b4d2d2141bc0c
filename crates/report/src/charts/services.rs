//! Cost by service: a row per platform, its infrastructure bill stacked by service (the
//! cost allocated to each, as `services.csv` gives it), then the nodes' capacity no
//! service requested and the fees billed once for the stack, so each bar is the
//! platform's whole bill and ends at the summary's total.
//!
//! Drawn only for stacks of several services. The services keep their colour on every
//! row, so one service's share reads across platforms; the two unallocated parts are
//! greys, apart from any service.

use super::breakdown::{draw_names, names_width, stacked_panel, Bars, AXIS, HEADING, MARGIN, ROW, TITLE};
use super::legend::{Entry, Legend, Mark};
use super::{bold, Draw, DrawError};
use crate::plot_dir::RunData;
use crate::style::{self, Palette};
use plotters::coord::Shift;
use plotters::prelude::*;

/// The nodes' capacity no pod requested, and the fees billed once for the stack.
const IDLE: RGBColor = RGBColor(205, 205, 205);
const SHARED: RGBColor = RGBColor(120, 120, 120);

/// A service's colour: the strong colours of the line-item palette first, then its
/// light ones (a stack rarely has more than eight services).
fn service_color(i: usize) -> RGBColor {
    const ORDER: [usize; 14] = [0, 2, 4, 6, 8, 10, 12, 13, 1, 3, 5, 7, 9, 11];
    style::ITEM_PALETTE[ORDER[i % ORDER.len()]]
}

pub struct ServiceSplit {
    pub title: String,
    /// The services, in stack order.
    pub services: Vec<String>,
    /// Per platform: each service's allocated cost, then idle, then shared.
    pub bars: Vec<Bars>,
}

impl ServiceSplit {
    pub fn new(data: &RunData, palette: &Palette) -> Self {
        let services = data.service_names();
        let bars = data
            .summary
            .iter()
            .map(|p| {
                let mut items: Vec<f64> = services
                    .iter()
                    .map(|s| data.services_of(&p.name).find(|r| &r.service == s).map_or(0.0, |r| r.cost))
                    .collect();
                let total = data.stack_total(&p.name);
                items.push(total.map_or(0.0, |t| t.idle));
                items.push(total.map_or(0.0, |t| t.shared));
                Bars { name: p.name.clone(), color: palette.color(&p.name), items }
            })
            .collect();
        ServiceSplit {
            title: "Monthly infrastructure cost by service, with idle node capacity and shared fees".into(),
            services,
            bars,
        }
    }

    fn colors(&self) -> Vec<RGBColor> {
        (0..self.services.len()).map(service_color).chain([IDLE, SHARED]).collect()
    }

    fn legend(&self) -> Legend {
        let labels = self
            .services
            .iter()
            .cloned()
            .chain(["idle node capacity".to_string(), "shared fees (control plane, fixed)".to_string()]);
        Legend::new(
            self.colors()
                .into_iter()
                .zip(labels)
                .map(|(color, text)| Entry { color, mark: Mark::Swatch, text })
                .collect(),
        )
    }

    fn legend_width() -> i32 {
        style::WIDTH as i32 - 2 * MARGIN
    }
}

impl Draw for ServiceSplit {
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
        let (_, rest) = root.split_vertically(TITLE);
        let (panels, below) = rest.split_vertically(HEADING + n * ROW + AXIS);
        self.legend().draw(&below, MARGIN, 12, Self::legend_width())?;
        let names = names_width(&self.bars);
        let (name_col, plot) = panels.split_horizontally(MARGIN + names);
        draw_names(&name_col, &self.bars, names)?;
        let colors = self.colors();
        let rows: Vec<Vec<(RGBColor, f64)>> = self
            .bars
            .iter()
            .map(|b| {
                colors
                    .iter()
                    .zip(&b.items)
                    .map(|(&c, &v)| (c, if v.is_finite() && v > 0.0 { v } else { 0.0 }))
                    .collect()
            })
            .collect();
        stacked_panel(&plot, "Infrastructure, allocated by service", &rows)
    }
}
