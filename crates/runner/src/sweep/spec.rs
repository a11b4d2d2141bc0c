//! `--vary PATH=SPEC`: which key a sweep changes and the values it takes.
//!
//! SPEC is a list (`1,2,5,10`, `10ms,20ms,50ms`, `go,node`), a linear range `A..B:N`
//! (N evenly spaced values from A to B, both included) or a log range `A..B:log:N`
//! (N values evenly spaced in log A .. log B). Range ends may carry a unit (`10ms..1s:5`
//! is not allowed: both ends take the same unit, `10ms..1000ms:5` is). Each value is
//! applied as an override of PATH, exactly like `--set PATH=VALUE`, so a value the key
//! does not accept is reported by the scenario's own checks, naming the `--vary`.

use crossover_scenario::overrides::typed_value;
use crossover_scenario::Override;
use std::fmt;
use thiserror::Error;
use toml::Value;

/// Most values one `--vary` may take (a grid multiplies them).
pub const MAX_VALUES: usize = 10_000;

/// How the values of a dimension are spaced; crossings are interpolated accordingly
/// (linearly in the value, or in its logarithm for a log range).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scale {
    List,
    Linear,
    Log,
}

/// One value of a swept key.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepValue {
    /// As written in the CSVs and in the override's label (`10`, `2.5`, `20ms`, `go`).
    pub text: String,
    /// The TOML value applied at the key.
    pub value: Value,
    /// The number, when the value is one (with or without a unit).
    pub x: Option<f64>,
}

/// A swept key and its values.
#[derive(Clone, Debug, PartialEq)]
pub struct Vary {
    pub path: String,
    /// SPEC as written.
    pub spec: String,
    pub scale: Scale,
    pub values: Vec<SweepValue>,
    /// The unit every value carries (`ms`), empty for plain numbers.
    unit: String,
    /// Whether values are written as TOML integers (whole-number ranges and lists).
    integer: bool,
}

#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("--vary {arg}: {problem}")]
pub struct VaryError {
    pub arg: String,
    pub problem: String,
}

impl Vary {
    /// Reads `PATH=SPEC`.
    pub fn parse(arg: &str) -> Result<Vary, VaryError> {
        let err = |problem: String| VaryError { arg: arg.to_string(), problem };
        if arg.contains(['\n', '\r']) {
            return Err(err("must be on one line".into()));
        }
        let (path, spec) = arg
            .split_once('=')
            .ok_or_else(|| err("expected PATH=SPEC, e.g. traffic.peak_rps=10..1000:log:7".into()))?;
        let (path, spec) = (path.trim(), spec.trim());
        // The path is checked the way --set checks it.
        Override::new(path, Value::Integer(0), "--vary").map_err(|e| err(e.to_string()))?;
        let mut vary = if let Some((from, rest)) = spec.split_once("..") {
            range(from, rest).map_err(err)?
        } else {
            list(spec).map_err(err)?
        };
        vary.path = path.to_string();
        vary.spec = spec.to_string();
        if vary.values.len() > MAX_VALUES {
            return Err(err(format!("{} values; at most {MAX_VALUES}", vary.values.len())));
        }
        Ok(vary)
    }

    /// Whether every value is a number in one unit, so that curves along this dimension
    /// can be interpolated (and crossings found).
    pub fn is_numeric(&self) -> bool {
        self.values.iter().all(|v| v.x.is_some())
    }

    /// Whether the key takes whole numbers only (refinement then stops at neighbours).
    pub fn is_integer(&self) -> bool {
        self.integer
    }

    /// The `--vary` override that sets this key to `value`.
    pub fn override_for(&self, value: &SweepValue) -> Override {
        Override {
            path: self.path.clone(),
            value: value.value.clone(),
            label: format!("--vary {}={} (value {})", self.path, self.spec, value.text),
        }
    }

    /// A value between the swept ones (for refinement), formatted like them.
    pub fn value_at(&self, x: f64) -> SweepValue {
        number_value(x, &self.unit, self.integer)
    }

    /// Interpolation coordinate of `x`: `x` itself, or `ln x` on a log scale.
    pub fn coordinate(&self, x: f64) -> f64 {
        if self.scale == Scale::Log {
            x.ln()
        } else {
            x
        }
    }

    /// The inverse of [`Vary::coordinate`].
    pub fn from_coordinate(&self, u: f64) -> f64 {
        if self.scale == Scale::Log {
            u.exp()
        } else {
            u
        }
    }

    /// The smallest and largest swept numbers.
    pub fn range(&self) -> Option<(f64, f64)> {
        let xs = self.values.iter().map(|v| v.x).collect::<Option<Vec<f64>>>()?;
        let lo = xs.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = xs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo <= hi).then_some((lo, hi))
    }
}

impl fmt::Display for Vary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}={}", self.path, self.spec)
    }
}

/// A number followed by an optional unit: `10`, `2.5`, `-3e2`, `250ms`, `2GiB`.
fn split_number(text: &str) -> Option<(f64, &str)> {
    let text = text.trim();
    let end = text.char_indices().map(|(i, _)| i).chain([text.len()]).rev().find(|&i| {
        let head = &text[..i];
        head.bytes().any(|b| b.is_ascii_digit())
            && !head.bytes().any(|b| b.is_ascii_alphabetic() && b != b'e' && b != b'E')
            && head.parse::<f64>().is_ok_and(f64::is_finite)
    })?;
    let unit = text[end..].trim();
    if !unit.chars().all(|c| c.is_alphabetic() || c == 'µ') {
        return None;
    }
    Some((text[..end].parse().ok()?, unit))
}

fn looks_integer(text: &str) -> bool {
    !text.contains(['.', 'e', 'E'])
}

/// Rounds to 12 significant digits, so that generated values print short
/// (`100`, not `99.99999999999997`) and identically everywhere.
fn tidy(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x + 0.0;
    }
    format!("{x:.11e}").parse().unwrap_or(x)
}

fn number_value(x: f64, unit: &str, integer: bool) -> SweepValue {
    let x = tidy(x);
    let whole = integer && x.fract() == 0.0 && x.abs() < 9.0e15;
    let text = if whole { format!("{}", x as i64) } else { format!("{x}") };
    let value = if !unit.is_empty() {
        Value::String(format!("{text}{unit}"))
    } else if whole {
        Value::Integer(x as i64)
    } else {
        Value::Float(x)
    };
    let text = if unit.is_empty() { text } else { format!("{text}{unit}") };
    SweepValue { text, value, x: Some(x) }
}

fn range(from: &str, rest: &str) -> Result<Vary, String> {
    let bad = || "a range is A..B:N (linear) or A..B:log:N (logarithmic), e.g. 0..5:6 or 10..10000:log:25";
    let parts: Vec<&str> = rest.split(':').map(str::trim).collect();
    let (to, log, count) = match parts.as_slice() {
        [to, n] => (*to, false, *n),
        [to, scale, n] if scale.eq_ignore_ascii_case("log") => (*to, true, *n),
        [_, scale, _] => return Err(format!("unknown scale `{scale}`: only `log` (or none, for linear)")),
        _ => return Err(bad().into()),
    };
    let n: usize = count.parse().map_err(|_| format!("`{count}` is not a count of values; {}", bad()))?;
    if n < 2 {
        return Err(format!("a range needs at least 2 values, got {n}"));
    }
    if n > MAX_VALUES {
        return Err(format!("{n} values; at most {MAX_VALUES}"));
    }
    fn end(text: &str) -> Result<(f64, &str), String> {
        split_number(text).ok_or_else(|| format!("`{}` is not a number (with an optional unit)", text.trim()))
    }
    let (a, unit_a) = end(from)?;
    let (b, unit_b) = end(to)?;
    if unit_a != unit_b && !unit_a.is_empty() && !unit_b.is_empty() {
        return Err(format!("both ends must have the same unit, got `{unit_a}` and `{unit_b}`"));
    }
    let unit = if unit_a.is_empty() { unit_b } else { unit_a };
    if a >= b {
        return Err(format!("the range must increase: {a} is not below {b}"));
    }
    if log && a <= 0.0 {
        return Err(format!("a log range must start above 0, got {a}"));
    }
    let xs: Vec<f64> = (0..n)
        .map(|i| {
            let w = i as f64 / (n - 1) as f64;
            let x = if i == 0 {
                a
            } else if i == n - 1 {
                b
            } else if log {
                (a.ln() + w * (b.ln() - a.ln())).exp()
            } else {
                a + w * (b - a)
            };
            tidy(x)
        })
        .collect();
    // Whole numbers stay integers (`min_instances=0..5:6`) only if every value is whole.
    let integer =
        unit.is_empty() && looks_integer(from) && looks_integer(to) && xs.iter().all(|x| x.fract() == 0.0);
    let values = xs.iter().map(|&x| number_value(x, unit, integer)).collect();
    Ok(Vary {
        path: String::new(),
        spec: String::new(),
        scale: if log { Scale::Log } else { Scale::Linear },
        values,
        unit: unit.to_string(),
        integer,
    })
}

fn list(spec: &str) -> Result<Vary, String> {
    let items: Vec<&str> = spec.split(',').map(str::trim).collect();
    if items.iter().any(|i| i.is_empty()) {
        return Err("a list needs values separated by commas, e.g. 1,2,5,10 (empty value found)".into());
    }
    let numbers: Vec<Option<(f64, &str)>> = items.iter().map(|i| split_number(i)).collect();
    let units: Vec<&str> = numbers.iter().flatten().map(|(_, u)| *u).collect();
    let numeric = units.len() == items.len() && units.windows(2).all(|w| w[0] == w[1]);
    let integer =
        numeric && units.first().is_some_and(|u| u.is_empty()) && items.iter().all(|i| looks_integer(i));
    let values = items
        .iter()
        .zip(&numbers)
        .map(|(item, num)| SweepValue {
            text: item.to_string(),
            value: typed_value(item),
            x: if numeric { num.map(|(x, _)| x) } else { None },
        })
        .collect::<Vec<_>>();
    if numeric {
        let xs: Vec<f64> = values.iter().filter_map(|v| v.x).collect();
        if xs.windows(2).any(|w| w[0] >= w[1]) {
            return Err("list values must increase (crossings are interpolated between neighbours)".into());
        }
    } else {
        let mut seen: Vec<&str> = Vec::new();
        for item in &items {
            if seen.contains(item) {
                return Err(format!("`{item}` is listed twice"));
            }
            seen.push(item);
        }
    }
    Ok(Vary {
        path: String::new(),
        spec: String::new(),
        scale: Scale::List,
        values,
        unit: units.first().filter(|_| numeric).map_or(String::new(), |u| u.to_string()),
        integer,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(arg: &str) -> Vec<String> {
        Vary::parse(arg).unwrap_or_else(|e| panic!("{e}")).values.into_iter().map(|v| v.text).collect()
    }

    #[test]
    fn specs_give_the_documented_values() {
        let cases: &[(&str, &[&str])] = &[
            ("a.b=1,2,5,10", &["1", "2", "5", "10"]),
            ("a.b=0..5:6", &["0", "1", "2", "3", "4", "5"]),
            ("a.b=0..1:5", &["0", "0.25", "0.5", "0.75", "1"]),
            ("a.b=0.0..2.0:3", &["0", "1", "2"]),
            ("a.b=10..10000:log:4", &["10", "100", "1000", "10000"]),
            ("a.b=1..100:log:3", &["1", "10", "100"]),
            ("a.b=1..2:log:3", &["1", "1.41421356237", "2"]),
            ("service.cpu.p50=10ms..30ms:3", &["10ms", "20ms", "30ms"]),
            ("service.cpu.p50=10ms,20ms,1s", &["10ms", "20ms", "1s"]),
            ("platform.x.runtime=go,node", &["go", "node"]),
            ("platform[0].min_instances = 0..2:3", &["0", "1", "2"]),
        ];
        for (arg, want) in cases {
            assert_eq!(texts(arg), *want, "{arg}");
        }
    }

    #[test]
    fn values_have_the_types_the_keys_expect() {
        let v = Vary::parse("p.min_instances=0..4:5").unwrap();
        assert_eq!(v.values[2].value, Value::Integer(2));
        assert!(v.is_integer() && v.is_numeric());
        let v = Vary::parse("traffic.peak_rps=10..1000:log:3").unwrap();
        assert_eq!(v.values[1].value, Value::Integer(100));
        assert_eq!(v.scale, Scale::Log);
        let v = Vary::parse("traffic.rps=1..20:log:5").unwrap();
        assert!(!v.is_integer(), "not every value is whole");
        assert_eq!(v.values[0].value, Value::Float(1.0));
        let v = Vary::parse("traffic.peak_rps=1.0..3.0:3").unwrap();
        assert_eq!(v.values[1].value, Value::Float(2.0));
        assert!(!v.is_integer());
        let v = Vary::parse("service.cpu.p50=10ms..20ms:2").unwrap();
        assert_eq!(v.values[1].value, Value::String("20ms".into()));
        assert_eq!(v.values[1].x, Some(20.0));
        assert_eq!(v.value_at(15.5).text, "15.5ms");
        let v = Vary::parse("x.y=go,node").unwrap();
        assert!(!v.is_numeric());
        assert_eq!(v.values[0].value, Value::String("go".into()));
        let v = Vary::parse("x.y=1,2ms").unwrap();
        assert!(!v.is_numeric(), "mixed units are not one numeric axis");
        let v = Vary::parse("p.min_instances=0..4:5").unwrap();
        assert_eq!(v.value_at(2.0).value, Value::Integer(2));
        assert_eq!(v.override_for(&v.values[1]).label, "--vary p.min_instances=0..4:5 (value 1)");
    }

    #[test]
    fn bad_specs_are_explained() {
        let cases: &[(&str, &str)] = &[
            ("traffic.peak_rps", "expected PATH=SPEC"),
            ("=1,2", "not a key path"),
            ("a.b=", "empty value"),
            ("a.b=1,,2", "empty value"),
            ("a.b=5,1", "must increase"),
            ("a.b=go,go", "listed twice"),
            ("a.b=1..5", "a range is"),
            ("a.b=1..5:x", "not a count"),
            ("a.b=1..5:1", "at least 2"),
            ("a.b=1..5:sqrt:3", "unknown scale"),
            ("a.b=0..5:log:3", "above 0"),
            ("a.b=5..1:3", "must increase"),
            ("a.b=x..5:3", "not a number"),
            ("a.b=1ms..5s:3", "same unit"),
            ("a.b=1..5:99999999", "at most"),
            ("a.b=nan..5:3", "not a number"),
            ("a.b=1..inf:3", "not a number"),
        ];
        for (arg, want) in cases {
            let e = Vary::parse(arg).expect_err(arg).to_string();
            assert!(e.contains(want) && e.starts_with(&format!("--vary {arg}")), "{arg}: {e}");
        }
    }

    #[test]
    fn log_coordinates_round_trip() {
        let v = Vary::parse("a=1..1000:log:4").unwrap();
        assert!((v.from_coordinate(v.coordinate(37.0)) - 37.0).abs() < 1e-12);
        assert_eq!(v.range(), Some((1.0, 1000.0)));
    }
}
