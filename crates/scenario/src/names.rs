//! Names that leave the scenario: a scenario's name becomes a folder (`output/NAME/`,
//! `NAME-sweep/`, `NAME-sweep-shards/`), a platform's name a CSV cell, a chart label and
//! a line on the terminal. They are checked where they enter (a scenario file, a shard
//! file, a checkpoint), by the same rules, so a name read back can never point a write
//! outside its folder nor send escape sequences to a terminal.

use std::borrow::Cow;
use std::path::{Component, Path, PathBuf};

/// Longest scenario name, in characters. File systems refuse a path component beyond 255
/// bytes; the name gets suffixes (`-sweep-shards`) and a temporary file's prefix and
/// suffix, so a run would fail only after simulating. 100 leaves room for all of them.
pub const MAX_SCENARIO_NAME: usize = 100;

/// Longest platform name, in characters: it heads a table column, labels charts and
/// fills CSV cells; 100 is far beyond any real name yet bounds every layout.
pub const MAX_PLATFORM_NAME: usize = 100;

/// Why `name` cannot name a scenario (an output folder), or `None`.
pub fn scenario_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("must not be empty".into());
    }
    let shown = terminal_safe(name);
    if !name.chars().all(|ch| ch.is_ascii_alphanumeric() || "-_.".contains(ch)) || name.starts_with('.') {
        return Some(format!(
            "\"{shown}\" cannot name an output folder: use letters, digits, '-', '_' and '.', not first '.'"
        ));
    }
    let n = name.chars().count();
    if n > MAX_SCENARIO_NAME {
        return Some(format!(
            "is {n} characters long; at most {MAX_SCENARIO_NAME} (it names the output folder)"
        ));
    }
    None
}

/// Why `name` cannot name a platform, or `None`: not empty, at most
/// [`MAX_PLATFORM_NAME`] characters, no control characters.
pub fn platform_name_problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("must not be empty".into());
    }
    if name.chars().any(is_unsafe_char) {
        return Some(format!(
            "\"{}\" holds a control character: use printable characters",
            terminal_safe(name)
        ));
    }
    let n = name.chars().count();
    if n > MAX_PLATFORM_NAME {
        return Some(format!("is {n} characters long; at most {MAX_PLATFORM_NAME}"));
    }
    None
}

/// Longest service name, in characters: a Kubernetes Service's name is a DNS label of at
/// most 63, and a service's name labels its results and keys its random streams.
pub const MAX_SERVICE_NAME: usize = 63;

/// The name a stack may not give a service: commands take it to mean every service
/// (`crossover traffic --service all`).
pub const RESERVED_SERVICE_NAME: &str = "all";

/// Why `name` cannot name a service, or `None`: lower-case letters, digits and '-', at
/// most [`MAX_SERVICE_NAME`] characters, not [`RESERVED_SERVICE_NAME`]. Names go into
/// key paths (`--set service.api.cpu=...`, `platform.eks.services.api`), so they hold
/// nothing a path would need to quote.
pub fn service_name_problem(name: &str) -> Option<String> {
    if name.is_empty() {
        return Some("must not be empty".into());
    }
    let n = name.chars().count();
    if n > MAX_SERVICE_NAME {
        return Some(format!(
            "is {n} characters long; at most {MAX_SERVICE_NAME} (a Kubernetes service name's limit)"
        ));
    }
    if !name.chars().all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '-') {
        return Some(format!(
            "\"{}\" is not a service name: use lower-case letters, digits and '-' (e.g. \"api\", \"worker-2\")",
            terminal_safe(name)
        ));
    }
    if name == RESERVED_SERVICE_NAME {
        return Some(format!(
            "\"{RESERVED_SERVICE_NAME}\" is reserved: commands take it to mean every service; choose another name"
        ));
    }
    None
}

/// Control characters, and the bidirectional overrides that reorder what a terminal
/// shows, are what may not reach a terminal raw.
fn is_unsafe_char(ch: char) -> bool {
    ch.is_control() || matches!(ch, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with every control character but newline and tab (ESC, CR, BEL, bidi
/// overrides...) written as a Rust escape (`\u{1b}`), for printing: a message may echo a
/// name or a source line, which must not move the cursor or recolour the terminal.
pub fn terminal_safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|ch| is_unsafe_char(ch) && ch != '\n' && ch != '\t') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for ch in text.chars() {
        if is_unsafe_char(ch) && ch != '\n' && ch != '\t' {
            out.extend(ch.escape_default());
        } else {
            out.push(ch);
        }
    }
    Cow::Owned(out)
}

/// `base/name` when `name` is one plain path component (no separator, not `.` or `..`,
/// not absolute), else the reason: the last check before writing into a folder named by
/// data, so that no name can lead a write outside `base`.
pub fn child_folder(base: &Path, name: &str) -> Result<PathBuf, String> {
    let mut parts = Path::new(name).components();
    match (parts.next(), parts.next()) {
        (Some(Component::Normal(part)), None) if part == name && !name.contains(['/', '\\']) => {
            Ok(base.join(name))
        }
        _ => Err(format!("\"{}\" is not a plain folder name inside {}", terminal_safe(name), base.display())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scenario_names_are_single_safe_components() {
        assert_eq!(scenario_name_problem("my-api_v2.1"), None);
        for bad in ["", "..", ".hidden", "../../escaped", "a/b", "a\\b", "x\u{1b}[31m", "é"] {
            assert!(scenario_name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(scenario_name_problem(&"a".repeat(MAX_SCENARIO_NAME)).is_none());
        let long = scenario_name_problem(&"a".repeat(300)).unwrap();
        assert!(long.contains("300 characters") && long.contains("at most 100"), "{long}");
    }

    #[test]
    fn platform_names_refuse_control_characters_and_absurd_lengths() {
        assert_eq!(platform_name_problem("Cloud Run (gen 2) é"), None);
        for bad in ["", "  ", "a\u{1b}[2J", "a\rb", "a\u{202e}b", &"x".repeat(65_536)] {
            assert!(platform_name_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn service_names_are_short_lower_case_labels_and_not_all() {
        for good in ["api", "worker-2", "0", "service", &"a".repeat(MAX_SERVICE_NAME)] {
            assert_eq!(service_name_problem(good), None, "{good}");
        }
        for bad in ["", "API", "a.b", "a b", "é", "a_b", "all", &"a".repeat(MAX_SERVICE_NAME + 1)] {
            assert!(service_name_problem(bad).is_some(), "{bad:?}");
        }
        assert!(service_name_problem("x\u{1b}[2J").unwrap().contains("\\u{1b}"));
    }

    #[test]
    fn terminal_text_shows_escapes_not_effects() {
        assert_eq!(terminal_safe("a\u{1b}[31mred\u{7}\r"), "a\\u{1b}[31mred\\u{7}\\r");
        assert_eq!(terminal_safe("two\nlines\tok"), "two\nlines\tok");
        assert!(matches!(terminal_safe("plain"), Cow::Borrowed(_)));
    }

    #[test]
    fn child_folders_stay_inside() {
        let base = Path::new("output");
        assert_eq!(child_folder(base, "run-sweep"), Ok(PathBuf::from("output/run-sweep")));
        for bad in ["", ".", "..", "../x", "a/b", "/abs", "a\\..\\b"] {
            assert!(child_folder(base, bad).is_err(), "{bad:?}");
        }
    }
}
