//! Sweep checkpoints: the simulations an interrupted sweep completed, so that
//! `sweep --resume` does not run them again.
//!
//! A (point, replication, platform) simulation is a pure function of its point's
//! scenario, so a completed one can be taken back as it is; histogram merges add counts
//! and results are gathered in job order, so a resumed sweep's files are byte-identical
//! to an uninterrupted one's. The file is tied by a fingerprint to the resolved base
//! scenario and the sweep's description (`--vary`, every point's seed, replications and
//! platforms); its records are shard-file `rec` lines, checked value by value.
//!
//! ```text
//! crossover-sweep-checkpoint 2
//! fingerprint 9f0c1d2e3a4b5c6d
//! rec 0 0 0 ...
//! end
//! ```

use super::shard::parse_record;
use super::Job;
use crate::{Latencies, ReplicationMetrics};
use std::collections::HashMap;

/// The checkpoint's file name inside a sweep's output folder.
pub const FILE_NAME: &str = "sweep-checkpoint.txt";

const MAGIC: &str = "crossover-sweep-checkpoint 2";

/// Completed simulations by (point, replication, platform).
#[derive(Clone, Debug, Default)]
pub struct Memo {
    done: HashMap<(usize, u32, usize), (ReplicationMetrics, Latencies)>,
}

impl Memo {
    pub fn get(&self, job: Job) -> Option<&(ReplicationMetrics, Latencies)> {
        self.done.get(&(job.point, job.replication, job.platform))
    }

    pub fn len(&self) -> usize {
        self.done.len()
    }

    pub fn is_empty(&self) -> bool {
        self.done.is_empty()
    }
}

/// The checkpoint text: `records` are `rec` lines (see [`super::shard::record_line`]).
pub fn to_text(fingerprint: u64, records: &[String]) -> String {
    let mut out = format!("{MAGIC}\nfingerprint {fingerprint:016x}\n");
    for r in records {
        out.push_str(r);
        out.push('\n');
    }
    out.push_str("end\n");
    out
}

/// Reads a checkpoint of the sweep with `fingerprint`. Errors name the line.
pub fn parse(text: &str, fingerprint: u64) -> Result<Memo, String> {
    let mut lines = text.lines();
    match lines.next() {
        Some(MAGIC) => {}
        Some(l) if l.starts_with("crossover-sweep-checkpoint ") => {
            return Err(format!(
                "line 1: a sweep checkpoint of another version of crossover (`{l}`; this version reads \
                 `{MAGIC}`); delete it, or run without --resume"
            ))
        }
        _ => return Err(format!("line 1: not a sweep checkpoint (`{MAGIC}`)")),
    }
    match lines.next().and_then(|l| l.strip_prefix("fingerprint ")) {
        Some(f) if f == format!("{fingerprint:016x}") => {}
        Some(_) => {
            return Err("it was made for another sweep (scenario, --set, --vary, -n, --seed, --platform or \
                        tool version); delete it, or run without --resume"
                .into())
        }
        None => return Err("line 2: no fingerprint".into()),
    }
    let mut memo = Memo::default();
    for (i, line) in lines.enumerate() {
        let n = i + 3;
        if line == "end" {
            return Ok(memo);
        }
        let rest =
            line.strip_prefix("rec ").ok_or_else(|| format!("line {n}: expected `rec ...` or `end`"))?;
        let (job, metrics, latency) = parse_record(rest).map_err(|e| format!("line {n}: {e}"))?;
        if memo.done.insert((job.point, job.replication, job.platform), (metrics, latency)).is_some() {
            return Err(format!("line {n}: a simulation recorded twice"));
        }
    }
    Err("the file is cut short (no `end` line)".into())
}
