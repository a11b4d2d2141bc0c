//! Durations ("250ms", "5m", "7d") and sizes ("512MiB", "8GB") as people write them.

use crossover_engine::time::{
    NANOS_PER_DAY, NANOS_PER_HOUR, NANOS_PER_MICRO, NANOS_PER_MILLI, NANOS_PER_MINUTE, NANOS_PER_SEC,
    NANOS_PER_WEEK,
};
use crossover_engine::SimDuration;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The longest duration any key accepts: ten years. Simulated time is a u64 count of
/// nanoseconds (about 584 years), so sums of a few such durations can never overflow.
pub const MAX_DURATION: SimDuration = SimDuration::from_hours(3650 * 24);

const DURATION_UNITS: &[(&str, u64)] = &[
    ("ns", 1),
    ("us", NANOS_PER_MICRO),
    ("µs", NANOS_PER_MICRO),
    ("ms", NANOS_PER_MILLI),
    ("s", NANOS_PER_SEC),
    ("m", NANOS_PER_MINUTE),
    ("min", NANOS_PER_MINUTE),
    ("h", NANOS_PER_HOUR),
    ("d", NANOS_PER_DAY),
    ("w", NANOS_PER_WEEK),
];

const SIZE_UNITS: &[(&str, f64)] = &[
    ("B", 1.0),
    ("KiB", 1024.0),
    ("MiB", 1024.0 * 1024.0),
    ("GiB", 1024.0 * 1024.0 * 1024.0),
    ("TiB", 1024.0 * 1024.0 * 1024.0 * 1024.0),
    ("KB", 1e3),
    ("MB", 1e6),
    ("GB", 1e9),
    ("TB", 1e12),
];

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// Splits "12.5ms" into (12.5, "ms").
fn split_number(s: &str) -> Option<(f64, &str)> {
    let s = s.trim();
    let mantissa_end = |from: usize| {
        s[from..]
            .char_indices()
            .find(|&(_, c)| !(c.is_ascii_digit() || c == '.' || c == '_'))
            .map_or(s.len(), |(i, _)| from + i)
    };
    let mut end = mantissa_end(0);
    // An exponent ("1e3ms", "2.5E-1s") belongs to the number: without it "1e300 TB" was
    // read as 1 of the unit "e300 TB" and blamed on the unit.
    let rest = &s.as_bytes()[end..];
    if end > 0 && matches!(rest.first(), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(rest.get(1), Some(b'+' | b'-')));
        if rest.get(1 + sign).is_some_and(u8::is_ascii_digit) {
            end = s[end + 1 + sign..]
                .char_indices()
                .find(|&(_, c)| !c.is_ascii_digit())
                .map_or(s.len(), |(i, _)| end + 1 + sign + i);
        }
    }
    let number: String = s[..end].chars().filter(|&c| c != '_').collect();
    let value: f64 = number.parse().ok()?;
    Some((value, s[end..].trim()))
}

pub fn parse_duration(s: &str) -> Result<SimDuration, String> {
    let allowed = "a number and a unit (ns, us, ms, s, m, h, d, w), e.g. \"250ms\", \"5m\", \"7d\"";
    let Some((value, unit)) = split_number(s) else {
        return Err(format!("\"{s}\" is not a duration: expected {allowed}"));
    };
    if unit.is_empty() {
        return Err(format!("\"{s}\" has no unit: expected {allowed}"));
    }
    let Some(&(_, nanos)) = DURATION_UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!("\"{s}\" has an unknown unit \"{unit}\": expected {allowed}"));
    };
    let ns = value * nanos as f64;
    if !ns.is_finite() || ns > MAX_DURATION.as_nanos() as f64 {
        return Err(format!(
            "\"{s}\" is too long: durations are at most 10 years (\"3650d\"); \
             simulated time is counted in nanoseconds and sums of durations must not overflow"
        ));
    }
    Ok(SimDuration::from_nanos_f64(ns))
}

/// Parses a size to GiB.
pub fn parse_size_gib(s: &str) -> Result<f64, String> {
    let allowed = "a number and a unit (MiB, GiB, MB, GB, ...), e.g. \"512MiB\", \"2GiB\"";
    let Some((value, unit)) = split_number(s) else {
        return Err(format!("\"{s}\" is not a size: expected {allowed}"));
    };
    let Some(&(_, bytes)) = SIZE_UNITS.iter().find(|(u, _)| *u == unit) else {
        return Err(format!("\"{s}\" has no valid unit: expected {allowed}"));
    };
    let gib = value * bytes / GIB;
    if !gib.is_finite() {
        return Err(format!("\"{s}\" is too large: sizes are finite numbers of bytes"));
    }
    Ok(gib)
}

/// A duration field of the scenario file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Duration(pub SimDuration);

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.0.to_string())
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a duration string such as \"250ms\", \"5m\" or \"7d\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Duration, E> {
                parse_duration(v).map(Duration).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Duration, E> {
                if v == 0 {
                    Ok(Duration(SimDuration::ZERO))
                } else {
                    Err(E::custom(format!(
                        "{v} has no unit: write a duration string such as \"{v}s\" or \"{v}ms\""
                    )))
                }
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Duration, E> {
                Err(E::custom(format!(
                    "{v} has no unit: write a duration string such as \"{v}s\" or \"{v}ms\""
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// A memory size field, kept in GiB.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Size(pub f64);

impl Default for Size {
    fn default() -> Self {
        Size(0.0)
    }
}

/// The units a size is written back in, largest first, binary before decimal of about
/// the same size.
const WRITE_UNITS: &[(&str, f64)] = &[
    ("TiB", 1024.0 * 1024.0 * 1024.0 * 1024.0),
    ("TB", 1e12),
    ("GiB", 1024.0 * 1024.0 * 1024.0),
    ("GB", 1e9),
    ("MiB", 1024.0 * 1024.0),
    ("MB", 1e6),
    ("KiB", 1024.0),
    ("KB", 1e3),
    ("B", 1.0),
];

/// Written in the largest unit, binary or decimal, that holds the size a whole number of
/// times: "20KB" stays "20KB" (not 0.0000186...GiB), "0.5GiB" becomes "512MiB". It reads
/// back to the identical value: a whole number of bytes is exact in an f64, and so is a
/// division by a power of two. A size that is not a whole number of bytes stays in GiB.
impl Serialize for Size {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let bytes = self.0 * GIB;
        let whole = bytes.is_finite() && bytes > 0.0 && bytes.fract() == 0.0 && bytes < 9.0e15;
        let unit = WRITE_UNITS.iter().find(|(_, per)| whole && bytes % per == 0.0);
        match unit {
            Some((name, per)) => s.serialize_str(&format!("{}{name}", bytes / per)),
            None => s.serialize_str(&format!("{}GiB", self.0)),
        }
    }
}

/// For messages: the largest binary unit that gives a whole number ("24TiB", "512MiB"),
/// else GiB or MiB with a fraction.
impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mib = self.0 * 1024.0;
        let units = [
            ("TiB", 1024.0 * 1024.0),
            ("GiB", 1024.0),
            ("MiB", 1.0),
            ("KiB", 1.0 / 1024.0),
            ("B", 1.0 / (1024.0 * 1024.0)),
        ];
        for (unit, per_mib) in units {
            let n = mib / per_mib;
            if n >= 1.0 && (n - n.round()).abs() < 1e-9 {
                return write!(f, "{}{unit}", n.round());
            }
        }
        if mib >= 1024.0 {
            write!(f, "{}GiB", self.0)
        } else {
            write!(f, "{mib}MiB")
        }
    }
}

impl<'de> Deserialize<'de> for Size {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl de::Visitor<'_> for V {
            type Value = Size;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size string such as \"512MiB\" or \"2GiB\"")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Size, E> {
                parse_size_gib(v).map(Size).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Size, E> {
                Err(E::custom(format!("{v} has no unit: write a size such as \"{v}GiB\" or \"{v}MiB\"")))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Size, E> {
                Err(E::custom(format!("{v} has no unit: write a size such as \"{v}GiB\"")))
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("250ms").unwrap(), SimDuration::from_millis(250));
        assert_eq!(parse_duration("5m").unwrap(), SimDuration::from_minutes(5));
        assert_eq!(parse_duration("7d").unwrap(), SimDuration::from_hours(168));
        assert_eq!(parse_duration("1.5s").unwrap(), SimDuration::from_millis(1500));
        assert_eq!(parse_duration(" 10 min ").unwrap(), SimDuration::from_minutes(10));
        assert_eq!(parse_duration("0s").unwrap(), SimDuration::ZERO);
        assert!(parse_duration("10").unwrap_err().contains("no unit"));
        assert!(parse_duration("10 parsecs").unwrap_err().contains("unknown unit"));
        assert!(parse_duration("fast").is_err());
        assert!(parse_duration("-5s").is_err());
        assert!(parse_duration("1e300d").is_err());
    }

    /// Exponents are part of the number, so the message is about the value, not the
    /// unit; a size or duration too large to hold says so.
    #[test]
    fn exponents_belong_to_the_number() {
        assert_eq!(parse_duration("1e3ms").unwrap(), SimDuration::from_secs(1));
        assert_eq!(parse_duration("2.5E-1s").unwrap(), SimDuration::from_millis(250));
        assert_eq!(parse_size_gib("1e3MB").unwrap(), 1e9 / (1u64 << 30) as f64);
        let e = parse_size_gib("1e300 TB").unwrap_err();
        assert!(e.contains("too large") && !e.contains("unit"), "{e}");
        assert!(parse_duration("1e300 s").unwrap_err().contains("too long"));
        assert!(parse_size_gib("1e TB").unwrap_err().contains("unit"));
    }

    #[test]
    fn sizes() {
        assert_eq!(parse_size_gib("512MiB").unwrap(), 0.5);
        assert_eq!(parse_size_gib("2GiB").unwrap(), 2.0);
        assert!((parse_size_gib("8GB").unwrap() - 7.450_580_596_923_828).abs() < 1e-12);
        assert!(parse_size_gib("8").is_err());
        assert!(parse_size_gib("8 bananas").is_err());
    }

    #[test]
    fn sizes_display_in_the_largest_whole_unit() {
        assert_eq!(Size(24.0 * 1024.0).to_string(), "24TiB");
        assert_eq!(Size(1.0 / 1024.0).to_string(), "1MiB");
        assert_eq!(Size(0.5).to_string(), "512MiB");
        assert_eq!(Size(1.5).to_string(), "1536MiB");
        assert_eq!(Size(0.25 / 1024.0).to_string(), "256KiB");
        assert_eq!(Size(512.0 / GIB).to_string(), "512B");
        assert_eq!(Size(0.1).to_string(), "102.4MiB");
    }

    #[test]
    fn sizes_print_back() {
        let t = |g: f64| toml::Value::try_from(Size(g)).unwrap().as_str().unwrap().to_string();
        assert_eq!(t(0.5), "512MiB");
        assert_eq!(t(2.0), "2GiB");
        assert_eq!(t(0.0), "0GiB");
        // As written, or in the largest exact unit; never a long fraction of a GiB.
        for (written, back) in [
            ("20KB", "20KB"),
            ("8GB", "8GB"),
            ("1.5GB", "1500MB"),
            ("0.1GB", "100MB"),
            ("2048MiB", "2GiB"),
            ("24TiB", "24TiB"),
            ("100B", "100B"),
            ("1.5KiB", "1536B"),
        ] {
            let g = parse_size_gib(written).unwrap();
            assert_eq!(t(g), back, "{written}");
            assert_eq!(parse_size_gib(back).unwrap(), g, "{written} reads back exactly");
        }
        let odd = parse_size_gib("0.3B").unwrap();
        assert_eq!(parse_size_gib(&t(odd)).unwrap(), odd, "a fraction of a byte reads back too");
    }
}
