//! A legend that lists every series, however many: entries laid out in as many aligned
//! columns as fit the width and as many rows as they need, numbered down the columns.
//! Charts size themselves with [`Legend::height`] before drawing, so the legend is
//! never cut at the canvas edge.

use super::{font, DrawError};
use crate::style;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Text anchored at its left end, centred vertically on the point given.
pub const LEFT_MIDDLE: Pos = Pos { h_pos: HPos::Left, v_pos: VPos::Center };

/// How an entry's series is drawn beside its name.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Mark {
    /// A short thick line (line charts).
    Line,
    /// A filled square (bars, bands).
    Swatch,
    /// A filled circle with this number in it, as the chart marks its points.
    Number(usize),
    /// A filled diamond (a crossover).
    Diamond,
    /// A light filled box (a confidence band).
    Band,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub color: RGBColor,
    pub mark: Mark,
    pub text: String,
}

const ROW: i32 = 22;
const MARK: i32 = 30;
const GAP: i32 = 26;

pub struct Legend {
    pub entries: Vec<Entry>,
    /// Text size of the entries.
    pub size: f64,
}

impl Legend {
    pub fn new(entries: Vec<Entry>) -> Legend {
        Legend { entries, size: style::TICK_SIZE }
    }

    /// Column width (mark, text, gap) and number of columns in `width` pixels.
    fn columns(&self, width: i32) -> (i32, usize) {
        let widest = self.entries.iter().map(|e| style::text_width(&e.text, self.size, false)).max();
        let col = MARK + widest.unwrap_or(0) + GAP;
        let n = (width / col.max(1)).max(1) as usize;
        (col, n.min(self.entries.len().max(1)))
    }

    /// Pixels of height the legend takes in `width` pixels.
    pub fn height(&self, width: i32) -> i32 {
        if self.entries.is_empty() {
            return 0;
        }
        let (_, cols) = self.columns(width);
        self.entries.len().div_ceil(cols) as i32 * ROW + 6
    }

    /// Top-left position of each entry (column-major order) in `width` pixels.
    pub fn positions(&self, width: i32) -> Vec<(i32, i32)> {
        let (col, cols) = self.columns(width);
        let rows = self.entries.len().div_ceil(cols).max(1);
        (0..self.entries.len()).map(|i| ((i / rows) as i32 * col, (i % rows) as i32 * ROW + 3)).collect()
    }

    /// Draws the legend with its top-left corner at (`x`, `y`) of `area`, `width` wide.
    pub fn draw<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        x: i32,
        y: i32,
        width: i32,
    ) -> Result<(), DrawError> {
        for (e, (ex, ey)) in self.entries.iter().zip(self.positions(width)) {
            let (ex, ey) = (x + ex, y + ey);
            let mid = ey + ROW / 2 - 3;
            match e.mark {
                Mark::Line => {
                    area.draw(&PathElement::new([(ex, mid), (ex + 22, mid)], e.color.stroke_width(3)))?
                }
                Mark::Swatch => {
                    area.draw(&Rectangle::new([(ex, mid - 6), (ex + 14, mid + 6)], e.color.filled()))?
                }
                Mark::Number(n) => number_mark(area, (ex + 10, mid), n, e.color)?,
                Mark::Diamond => area.draw(&Polygon::new(
                    vec![(ex + 7, mid - 7), (ex + 14, mid), (ex + 7, mid + 7), (ex, mid)],
                    e.color.filled(),
                ))?,
                Mark::Band => area
                    .draw(&Rectangle::new([(ex, mid - 6), (ex + 22, mid + 6)], e.color.mix(0.25).filled()))?,
            }
            area.draw(&Text::new(e.text.clone(), (ex + MARK, mid), font(self.size).pos(LEFT_MIDDLE)))?;
        }
        Ok(())
    }
}

/// A filled circle in `color` with `n` in white: how a numbered point is marked.
pub fn number_mark<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    (x, y): (i32, i32),
    n: usize,
    color: RGBColor,
) -> Result<(), DrawError> {
    area.draw(&Circle::new((x, y), 9, color.filled()))?;
    let text = n.to_string();
    let size = if n >= 10 { 11.0 } else { 13.0 };
    let style = super::bold(size).color(&WHITE).pos(Pos::new(HPos::Center, VPos::Center));
    area.draw(&Text::new(text, (x, y), style))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn legend(names: &[&str]) -> Legend {
        Legend::new(
            names
                .iter()
                .map(|n| Entry { color: RGBColor(0, 0, 0), mark: Mark::Line, text: n.to_string() })
                .collect(),
        )
    }

    #[test]
    fn entries_wrap_into_aligned_columns_inside_the_width() {
        let names: Vec<String> = (0..12).map(|i| format!("platform-with-a-long-name-{i}")).collect();
        let l = legend(&names.iter().map(String::as_str).collect::<Vec<_>>());
        let width = 900;
        let pos = l.positions(width);
        assert_eq!(pos.len(), 12);
        let w = style::text_width(&names[0], l.size, false) + MARK;
        for (i, &(x, y)) in pos.iter().enumerate() {
            assert!(x >= 0 && x + w <= width, "entry {i} at {x} is cut");
            assert!(y >= 0 && y + ROW <= l.height(width), "entry {i} below the legend");
            for &(x2, y2) in &pos[i + 1..] {
                assert!(x != x2 || y != y2, "two entries at one place");
            }
        }
        assert!(l.height(width) > ROW, "more than one row");
        assert_eq!(legend(&[]).height(width), 0);
    }
}
