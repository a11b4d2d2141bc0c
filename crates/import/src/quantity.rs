//! Kubernetes resource quantities: `100m`, `0.5`, `64Mi`, `1G`, `1e3`, `1.5Gi`.
//!
//! The grammar is apimachinery's (kubernetes/apimachinery `pkg/api/resource/quantity.go`,
//! "The serialization format is: <quantity> ::= <signedNumber><suffix>"): a decimal
//! number, then a binary suffix (`Ki Mi Gi Ti Pi Ei`, powers of 1024), a decimal one
//! (`n u m "" k M G T P E`, powers of 1000) or a decimal exponent (`e3`, `E-2`). The
//! Kubernetes documentation says the same for memory ("Resource Management for Pods and
//! Containers", kubernetes.io/docs/concepts/configuration/manage-resources-containers/:
//! "You can express memory as a plain integer or as a fixed-point number using one of
//! these quantity suffixes: E, P, T, G, M, k. You can also use the power-of-two
//! equivalents: Ei, Pi, Ti, Gi, Mi, Ki") and CPU ("100m ... one hundred millicpu").

/// The value of `text` in base units (cores, bytes), or why it is not a quantity.
pub fn parse(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let split = t
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_digit() || c == '.' || ((c == '+' || c == '-') && i == 0)))
        .map_or(t.len(), |(i, _)| i);
    let (number, suffix) = t.split_at(split);
    let bad = || {
        format!(
            "\"{text}\" is not a Kubernetes quantity: a number with an optional suffix, binary \
             (Ki, Mi, Gi, Ti, Pi, Ei), decimal (m, k, M, G, T, P, E) or an exponent (e3), \
             e.g. 100m, 0.5, 64Mi, 1G"
        )
    };
    if number.is_empty() || number == "+" || number == "-" || number == "." {
        return Err(bad());
    }
    let n: f64 = number.parse().map_err(|_| bad())?;
    let factor = match suffix {
        "" => 1.0,
        "n" => 1e-9,
        "u" => 1e-6,
        "m" => 1e-3,
        "k" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        "Ki" => 1024f64,
        "Mi" => 1024f64.powi(2),
        "Gi" => 1024f64.powi(3),
        "Ti" => 1024f64.powi(4),
        "Pi" => 1024f64.powi(5),
        "Ei" => 1024f64.powi(6),
        s if s.starts_with(['e', 'E']) => {
            let exp: i32 = s[1..].parse().map_err(|_| bad())?;
            if !(-30..=30).contains(&exp) {
                return Err(bad());
            }
            10f64.powi(exp)
        }
        _ => return Err(bad()),
    };
    let v = n * factor;
    if !v.is_finite() || v < 0.0 {
        return Err(format!("\"{text}\" must be a finite quantity of at least 0"));
    }
    Ok(v)
}

/// A size that can be used: finite and above 0. Rust's float parsing takes "NaN" and
/// "inf", and a product of parsed numbers can overflow; a NaN size made shape fitting
/// panic (`f64::clamp`).
pub(crate) fn usable_size(v: &f64) -> bool {
    v.is_finite() && *v > 0.0
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn every_notation() {
        let cases = [
            ("100m", 0.1),
            ("0.5", 0.5),
            ("2", 2.0),
            ("64Mi", 64.0 * 1048576.0),
            ("1G", 1e9),
            ("1e3", 1000.0),
            ("1E3", 1000.0),
            ("1.5Gi", 1.5 * 1073741824.0),
            ("128974848", 128974848.0),
            ("129M", 129e6),
            ("123Mi", 123.0 * 1048576.0),
            ("1k", 1000.0),
            ("1Ki", 1024.0),
            ("250000u", 0.25),
            ("+1", 1.0),
        ];
        for (text, want) in cases {
            let got = parse(text).unwrap();
            assert!((got - want).abs() <= want * 1e-12, "{text}: {got} != {want}");
        }
    }

    #[test]
    fn refusals_say_what_a_quantity_is() {
        for bad in ["100x", "", "Mi", "1.2.3", "1e", "1eX", "1 Gi", "1mi", "-1", "1e999"] {
            let e = parse(bad).unwrap_err();
            assert!(e.contains("quantity"), "{bad}: {e}");
        }
        assert!(parse("100x").unwrap_err().contains("\"100x\""));
    }
}
