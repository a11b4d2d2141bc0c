//! What crossover reads back from its own files: a run's checkpoint (`--resume`), sweep
//! shard files (`merge`) and result CSVs (`plot`). Any input must be refused or give
//! values a run could have produced (finite, conserved), never a panic or a hang.
//!
//! Input: a selector byte (0 checkpoint, 1 shard file, 2 result CSVs), then the file.
//! For CSVs, a line `#file NAME` starts each file (`summary.csv`, `latency.csv`,
//! `timeline.csv`, `sweep.csv`, `crossovers.csv`, `scenario.resolved.toml`).
#![no_main]

use crossover_report::RunFiles;
use crossover_runner::resume;
use crossover_runner::sweep::shard;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    match selector % 3 {
        0 => {
            let Ok(text) = std::str::from_utf8(rest) else { return };
            // The fingerprint and counts the file claims, so that inputs get past them.
            let field = |i: usize, name: &str| text.lines().nth(i).and_then(|l| l.strip_prefix(name)).map(str::trim);
            let fingerprint = field(1, "scenario ").and_then(|h| u64::from_str_radix(h, 16).ok()).unwrap_or(0);
            let replications = field(2, "replications ").and_then(|n| n.parse().ok()).unwrap_or(1);
            let platforms = field(3, "platforms ").and_then(|n| n.parse::<usize>().ok()).unwrap_or(1).min(64);
            let names: Vec<String> = (0..platforms).map(|i| format!("p{i}")).collect();
            if let Ok(partial) = resume::parse(text, fingerprint, replications, &names) {
                for p in &partial.platforms {
                    for m in &p.replications {
                        assert_eq!(resume::metrics_problem(m), None);
                    }
                }
            }
        }
        1 => {
            if let Ok(result) = shard::merge(&[("fuzz.txt".to_string(), rest.to_vec())]) {
                let _ = crossover_report::sweep_csv(&result);
                let _ = crossover_report::crossovers_csv(&result);
            }
        }
        _ => {
            let Ok(text) = std::str::from_utf8(rest) else { return };
            let mut files = RunFiles::default();
            for part in text.split("#file ").skip(1) {
                let (name, body) = part.split_once('\n').unwrap_or((part, ""));
                files.insert(name.trim(), body.as_bytes().to_vec());
            }
            let _ = crossover_report::render_report(&files);
        }
    }
});
