//! Service names as the scenario format allows them (`crossover_scenario::names`):
//! lower-case letters, digits and `-`, at most 63 characters, unique, not `all`. A name
//! from a file that breaks a rule is changed as little as possible, and the change is said.

use crossover_scenario::names::{service_name_problem, MAX_SERVICE_NAME, RESERVED_SERVICE_NAME};

/// `name` made valid: lower-cased, every other character a `-`, runs of `-` collapsed,
/// trimmed, cut to the longest allowed.
fn clean(name: &str) -> String {
    let mut out = String::new();
    for ch in name.chars() {
        let ch = ch.to_ascii_lowercase();
        let ch = if ch.is_ascii_lowercase() || ch.is_ascii_digit() { ch } else { '-' };
        if !(ch == '-' && (out.is_empty() || out.ends_with('-'))) {
            out.push(ch);
        }
    }
    let mut out: String = out.trim_matches('-').chars().take(MAX_SERVICE_NAME).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() {
        out = "service".into();
    }
    if out == RESERVED_SERVICE_NAME {
        out = "all-service".into();
    }
    out
}

/// Valid, unique names for `names`, in order, and a line for each one changed.
pub fn assign(names: &[String]) -> (Vec<String>, Vec<String>) {
    let mut taken: Vec<String> = Vec::new();
    let mut changes = Vec::new();
    for name in names {
        let base = clean(name);
        let mut candidate = base.clone();
        let mut n = 2;
        while taken.contains(&candidate) {
            let suffix = format!("-{n}");
            let keep = MAX_SERVICE_NAME - suffix.len();
            candidate =
                format!("{}{suffix}", base.chars().take(keep).collect::<String>().trim_end_matches('-'));
            n += 1;
        }
        debug_assert!(service_name_problem(&candidate).is_none(), "{candidate}");
        if &candidate != name {
            let why = if clean(name) != candidate {
                "another workload has that name"
            } else if name == RESERVED_SERVICE_NAME {
                "`all` is reserved"
            } else {
                "service names are lower-case letters, digits and '-', at most 63 characters"
            };
            changes.push(format!("{name:?} is named {candidate:?}: {why}"));
        }
        taken.push(candidate);
    }
    (taken, changes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_valid_and_unique() {
        let input: Vec<String> =
            ["frontend", "Cart_Service", "all", "frontend", "---", &"x".repeat(80), &"x".repeat(80)]
                .map(String::from)
                .to_vec();
        let (names, changes) = assign(&input);
        assert_eq!(&names[..5], &["frontend", "cart-service", "all-service", "frontend-2", "service"]);
        assert_eq!(names[5].len(), 63);
        assert_eq!(names[6].len(), 63);
        assert_ne!(names[5], names[6]);
        assert_eq!(changes.len(), 6, "{changes:?}");
        assert!(changes[1].contains("reserved"), "{changes:?}");
        assert!(changes[2].contains("another workload"), "{changes:?}");
        for n in &names {
            assert_eq!(service_name_problem(n), None);
        }
    }
}
