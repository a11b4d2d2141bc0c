//! "Did you mean ...?": the closest known name by edit distance.

/// Levenshtein distance between two short strings.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != cb)).min(row[j] + 1).min(cur + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

/// The known name closest to `name`, if it is close enough to be a likely typo.
pub fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    let limit = (name.chars().count() / 3).max(2);
    known.iter().map(|k| (distance(name, k), *k)).filter(|&(d, _)| d <= limit).min().map(|(_, k)| k)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_near_misses_only() {
        assert_eq!(closest("max_instancs", &["min_instances", "max_instances"]), Some("max_instances"));
        assert_eq!(closest("clod-run", &["cloud-run", "fargate"]), Some("cloud-run"));
        assert_eq!(closest("zzz", &["cloud-run", "fargate"]), None);
        assert_eq!(distance("kitten", "sitting"), 3);
    }
}
