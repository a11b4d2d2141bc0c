//! Batches: several scenarios in one command, each into its own folder.
//!
//! A batch keeps going past a bad file or a failed run, so that one typo does not cost
//! the other scenarios; what went wrong is tallied into one exit code. Folder names are
//! decided up front, so two scenarios with the same name never overwrite each other.

/// What happened to each scenario of a batch.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BatchTally {
    pub ran: usize,
    /// Files that could not be read, parsed or validated (and usage errors per file).
    pub bad_input: usize,
    /// Runs that failed while simulating or writing results.
    pub failed: usize,
}

impl BatchTally {
    /// 2 if any input was bad, else 1 if any run failed, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.bad_input > 0 {
            2
        } else if self.failed > 0 {
            1
        } else {
            0
        }
    }
}

/// The file beside a batch's scenario folders that sums them up.
pub const BATCH_SUMMARY: &str = "batch-summary.csv";

/// One output folder name per scenario name, in order. A name already taken by an
/// earlier scenario, or the batch summary's ([`BATCH_SUMMARY`], a valid scenario name),
/// gets the first free suffix `-2`, `-3`, ... (never a name another scenario of the
/// batch uses itself), so every scenario keeps its results and the summary its place.
pub fn folder_names<S: AsRef<str>>(names: &[S]) -> Vec<String> {
    let wanted: Vec<&str> = names.iter().map(AsRef::as_ref).collect();
    let mut taken: Vec<String> = Vec::with_capacity(wanted.len());
    for (i, name) in wanted.iter().enumerate() {
        let free = |candidate: &str, taken: &[String]| {
            !taken.iter().any(|t| t == candidate) && !wanted[i + 1..].contains(&candidate)
        };
        let mut folder = name.to_string();
        if taken.contains(&folder) || folder == BATCH_SUMMARY {
            folder =
                (2..).map(|n| format!("{name}-{n}")).find(|c| free(c, &taken)).expect("an unbounded range");
        }
        taken.push(folder);
    }
    taken
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duplicate_names_get_the_next_free_suffix() {
        assert_eq!(folder_names(&["a", "b"]), ["a", "b"]);
        assert_eq!(folder_names(&["a", "a", "a"]), ["a", "a-2", "a-3"]);
        // "a-2" is some later scenario's own name: the duplicate skips it.
        assert_eq!(folder_names(&["a", "a", "a-2"]), ["a", "a-3", "a-2"]);
        // The batch summary's own name: its run into that folder made the summary
        // unwritable after every run had finished.
        assert_eq!(folder_names(&[BATCH_SUMMARY, "b"]), ["batch-summary.csv-2", "b"]);
    }

    #[test]
    fn bad_input_outranks_failed_runs() {
        assert_eq!(BatchTally { ran: 3, ..Default::default() }.exit_code(), 0);
        assert_eq!(BatchTally { ran: 1, failed: 1, bad_input: 0 }.exit_code(), 1);
        assert_eq!(BatchTally { ran: 1, failed: 1, bad_input: 1 }.exit_code(), 2);
    }
}
