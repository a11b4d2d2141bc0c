//! Shared look of every chart: the embedded font, a fixed colour per platform, sizes.
//!
//! Text is drawn with DejaVu Sans embedded in the binary (through the `dejavu` crate and
//! plotters' `ab_glyph` backend), so PNGs render identically on a machine with no fonts.
//! SVGs name the family `sans-serif` and let the viewer pick its own.

use plotters::style::{FontStyle, RGBColor};
use std::sync::Once;

/// The family every chart asks for; the embedded font is registered under this name.
pub const FONT: &str = "sans-serif";

static REGISTER: Once = Once::new();

/// Registers the embedded font with plotters (once per process).
pub fn register_fonts() {
    REGISTER.call_once(|| {
        // The font ships inside the `dejavu` crate; a failure is a build defect.
        let ok = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && plotters::style::register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok();
        assert!(ok, "the embedded DejaVu Sans font does not parse");
    });
}

/// Colour-blind-safe categorical palette (Okabe-Ito, then Tableau and Paul Tol extras):
/// fourteen, so a run of up to fourteen platforms never gives two the same colour.
const PALETTE: [RGBColor; 14] = [
    RGBColor(0, 114, 178),   // blue
    RGBColor(213, 94, 0),    // vermillion
    RGBColor(0, 158, 115),   // bluish green
    RGBColor(204, 121, 167), // reddish purple
    RGBColor(230, 159, 0),   // orange
    RGBColor(86, 180, 233),  // sky blue
    RGBColor(117, 112, 179), // violet
    RGBColor(102, 102, 102), // grey
    RGBColor(166, 118, 29),  // brown
    RGBColor(17, 119, 51),   // dark green
    RGBColor(51, 34, 136),   // indigo
    RGBColor(153, 153, 51),  // olive
    RGBColor(136, 34, 85),   // wine
    RGBColor(0, 0, 0),       // black
];

/// Colours of cost line items in the breakdown chart (distinct from nothing in
/// particular: there the bars, not the colours, name the platform). One per line item
/// (14), so no two items of a chart share a colour.
pub const ITEM_PALETTE: [RGBColor; 15] = [
    RGBColor(31, 119, 180),
    RGBColor(174, 199, 232),
    RGBColor(255, 127, 14),
    RGBColor(255, 187, 120),
    RGBColor(44, 160, 44),
    RGBColor(152, 223, 138),
    RGBColor(214, 39, 40),
    RGBColor(255, 152, 150),
    RGBColor(148, 103, 189),
    RGBColor(197, 176, 213),
    RGBColor(140, 86, 75),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
    RGBColor(23, 190, 207),
    RGBColor(219, 219, 141),
];

/// A fixed colour for each platform: its position in the run's platform order (the
/// order of `summary.csv`, then of first appearance in the sweep), so a platform has
/// the same colour in every chart of a report.
#[derive(Clone, Debug, Default)]
pub struct Palette {
    names: Vec<String>,
}

impl Palette {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>) -> Self {
        let mut p = Palette::default();
        for n in names {
            p.add(n);
        }
        p
    }

    pub fn add(&mut self, name: &str) {
        if !self.names.iter().any(|n| n == name) {
            self.names.push(name.to_string());
        }
    }

    pub fn color(&self, name: &str) -> RGBColor {
        let i = self.names.iter().position(|n| n == name).unwrap_or(self.names.len());
        PALETTE[i % PALETTE.len()]
    }

    /// `#rrggbb`, for the HTML report.
    pub fn hex(&self, name: &str) -> String {
        let RGBColor(r, g, b) = self.color(name);
        format!("#{r:02x}{g:02x}{b:02x}")
    }
}

pub const WIDTH: u32 = 960;
pub const HEIGHT: u32 = 600;
pub const TITLE_SIZE: f64 = 22.0;
pub const LABEL_SIZE: f64 = 16.0;
pub const TICK_SIZE: f64 = 14.0;
pub const GRID: RGBColor = RGBColor(225, 225, 225);
/// Minor grid lines are left out: the major ones are enough to read values.
pub const NO_LINE: plotters::style::RGBAColor = plotters::style::RGBAColor(255, 255, 255, 0.0);
pub const INK: RGBColor = RGBColor(40, 40, 40);
pub const MUTED: RGBColor = RGBColor(110, 110, 110);

/// Width in pixels of `text` drawn in the charts' font at `size` (the same measure the
/// SVG and PNG backends use), so layouts can be computed before drawing.
pub fn text_width(text: &str, size: f64, bold: bool) -> i32 {
    register_fonts();
    let style = if bold { FontStyle::Bold } else { FontStyle::Normal };
    let font = plotters::style::FontDesc::new(plotters::style::FontFamily::Name(FONT), size, style);
    // The font is embedded, so measuring cannot fail; the estimate keeps layout going if it does.
    font.box_size(text).map_or((text.chars().count() as f64 * size * 0.62) as i32, |(w, _)| w as i32)
}

/// A number formatted for an axis tick: no trailing zeros, thousands kept short.
pub fn tick(v: f64) -> String {
    let a = v.abs();
    if a == 0.0 {
        "0".into()
    } else if !a.is_finite() || !(1e-6..1e15).contains(&a) {
        // Beyond any real cost or latency (a corrupt file): scientific, not 300 digits.
        format!("{v:.1e}")
    } else if a >= 1e6 {
        trim(format!("{:.2}", v / 1e6)) + "M"
    } else if a >= 1e4 {
        trim(format!("{:.1}", v / 1e3)) + "k"
    } else if a >= 100.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(format!("{v:.2}"))
    } else {
        let digits = (-a.log10()).ceil() as usize + 1;
        trim(format!("{v:.digits$}"))
    }
}

fn trim(s: String) -> String {
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}

/// Money for labels: `$1,234` above $100, cents below.
pub fn usd(v: f64) -> String {
    if !v.is_finite() || v.abs() >= 1e15 {
        format!("${v:.2e}")
    } else if v.abs() >= 100.0 {
        let s = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, c) in s.chars().enumerate() {
            if i > 0 && (s.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(c);
        }
        format!("{}${out}", if v < 0.0 { "-" } else { "" })
    } else {
        format!("${v:.2}")
    }
}

/// Milliseconds for labels, with a sensible number of digits.
pub fn ms(v: f64) -> String {
    if !v.is_finite() || v.abs() >= 1e15 {
        format!("{v:.2e} ms")
    } else if v >= 10_000.0 {
        format!("{:.1} s", v / 1000.0)
    } else if v >= 100.0 {
        format!("{v:.0} ms")
    } else {
        format!("{v:.1} ms")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_platform_keeps_its_colour_whatever_else_is_added() {
        let mut p = Palette::new(["a", "b"]);
        let b = p.color("b");
        p.add("c");
        p.add("a");
        assert_eq!(p.color("b"), b);
        assert_ne!(p.color("a"), p.color("b"));
        assert_eq!(p.hex("a"), "#0072b2");
    }

    #[test]
    fn ticks_and_money_read_well() {
        assert_eq!(tick(0.0), "0");
        assert_eq!(tick(2.5), "2.5");
        assert_eq!(tick(1500.0), "1500");
        assert_eq!(tick(25_000.0), "25k");
        assert_eq!(tick(0.05), "0.05");
        assert_eq!(usd(1234.4), "$1,234");
        assert_eq!(usd(68.1), "$68.10");
        assert_eq!(ms(356.4), "356 ms");
        assert_eq!(ms(45.83), "45.8 ms");
        assert_eq!(tick(1e300), "1.0e300");
        assert_eq!(usd(f64::NAN), "$NaN");
        assert!(text_width("eks-karpenter-tuned", 14.0, false) > text_width("eks", 14.0, false));
    }
}
