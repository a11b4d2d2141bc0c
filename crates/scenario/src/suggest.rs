//! "Did you mean ...?": the closest allowed word to a misspelt one.
//!
//! A typo should cost seconds, so every unknown key, kind or platform name is compared
//! with the words allowed at that place and the nearest one is offered when it is close
//! enough to be a plausible slip rather than a different word.

/// Optimal string alignment distance (Levenshtein plus adjacent transpositions), counted
/// in characters, case-insensitively: `max_instancs`, `max_intsances` and `Max_Instances`
/// are all one edit from `max_instances`.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    // Three rows of the dynamic programme: two back (for transpositions), previous, current.
    let mut two_back: Vec<usize> = vec![0; b.len() + 1];
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                cur[j] = cur[j].min(two_back[j - 2] + 1);
            }
        }
        std::mem::swap(&mut two_back, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// The allowed word nearest to `word`, if it is a plausible typo of it: at most one edit
/// for short words, up to a third of the length for longer ones. `-` and `_` are treated
/// as the same character, so `keep-alive` suggests `keep_alive`.
pub fn did_you_mean<'a>(word: &str, allowed: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let norm = |s: &str| s.replace('-', "_");
    let word_n = norm(word);
    let limit = (word.chars().count() / 3).max(1);
    allowed
        .into_iter()
        .filter(|cand| *cand != word)
        .map(|cand| (edit_distance(&word_n, &norm(cand)), cand))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, cand)| cand)
}

/// "`a`, `b` or `c`": the allowed words, for messages.
pub fn one_of(words: &[&str]) -> String {
    let quoted: Vec<String> = words.iter().map(|w| format!("`{w}`")).collect();
    match quoted.len() {
        0 => "nothing".to_string(),
        1 => quoted[0].clone(),
        n => format!("{} or {}", quoted[..n - 1].join(", "), quoted[n - 1]),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn distances() {
        assert_eq!(edit_distance("max_instancs", "max_instances"), 1);
        assert_eq!(edit_distance("max_intsances", "max_instances"), 1);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("CPU", "cpu"), 0);
    }

    #[test]
    fn suggestions() {
        let keys = ["min_instances", "max_instances", "request_timeout", "name"];
        assert_eq!(did_you_mean("max_instancs", keys), Some("max_instances"));
        assert_eq!(did_you_mean("request-timeout", keys), Some("request_timeout"));
        assert_eq!(did_you_mean("nmae", keys), Some("name"));
        assert_eq!(did_you_mean("colour", keys), None);
        assert_eq!(did_you_mean("per_request", ["fixed", "per-request"]), Some("per-request"));
    }

    #[test]
    fn lists() {
        assert_eq!(one_of(&["a"]), "`a`");
        assert_eq!(one_of(&["a", "b", "c"]), "`a`, `b` or `c`");
    }
}
