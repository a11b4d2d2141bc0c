//! The fuzzing corpus kept as regression tests: every file under
//! `tests/fuzz-regressions/scenario/` goes through the scenario pipeline and every file
//! under `tests/fuzz-regressions/trace/` through the trace parsers (`readers/` through
//! what reads crossover's own files back, `import/` through `crossover import`), exactly as
//! the cargo-fuzz targets in `fuzz/` feed them. Each must give a value or an error, never a
//! panic. The files are the inputs that crashed (fixed since) and a few small ones that
//! reach far into the parsers.

use crossover_engine::{RngStream, StreamKey};
use crossover_scenario::Override;
use crossover_workload::trace::{parse_duration_percentiles, parse_minute_counts, parse_timestamps};
use crossover_workload::{DemandPart, MinuteCounts};
use std::path::{Path, PathBuf};

fn corpus(kind: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz-regressions").join(kind);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    assert!(!files.is_empty(), "no corpus in {}", dir.display());
    files
}

/// The body of `fuzz/fuzz_targets/scenario.rs`.
fn scenario_input(data: &[u8]) -> Option<bool> {
    let text = std::str::from_utf8(data).ok()?;
    let (source, sets) = text.split_once("\n#--set\n").unwrap_or((text, ""));
    let overrides: Vec<Override> = sets.lines().filter_map(|l| l.parse().ok()).collect();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/files");
    match crossover_scenario::parse_with_overrides_in(source, "fuzz.toml", "fuzz", &overrides, &base) {
        Ok(scenario) => {
            let estimate = crossover_runner::guard::WorkEstimate::new(&scenario, 2, 2);
            assert!(!estimate.requests.is_nan() && estimate.requests >= 0.0, "{estimate:?}");
            let _ = crossover_runner::guard::Limits::default().exceeded_by(&estimate);
            let resolved = scenario.resolved_toml("fuzz");
            if let Err(e) = crossover_scenario::parse_in(&resolved, "resolved.toml", "fuzz", &base) {
                panic!("the resolved copy of a valid scenario does not parse:\n{e}\n---\n{resolved}");
            }
            Some(true)
        }
        Err(e) => {
            assert!(!e.diagnostics.is_empty(), "an error with no diagnostic");
            Some(false)
        }
    }
}

/// The body of `fuzz/fuzz_targets/trace.rs`.
fn trace_input(data: &[u8]) -> Option<bool> {
    let (&selector, rest) = data.split_first()?;
    let text = std::str::from_utf8(rest).ok()?;
    let functions: Vec<String> = if selector & 4 == 0 { vec![] } else { vec!["f1".into(), "f2".into()] };
    Some(match selector % 4 {
        0 => match parse_minute_counts(text, &functions) {
            Ok(trace) => {
                let counts = MinuteCounts::new(&trace.counts, 1.0, selector & 8 != 0);
                for m in 0..(counts.minutes() as u64 + 2).min(10_000) {
                    let r = counts.rate(m * 60_000_000_000);
                    assert!(r.is_finite() && r >= 0.0, "rate {r} at minute {m}");
                }
                true
            }
            Err(_) => false,
        },
        1 => {
            let part = if selector & 8 == 0 { DemandPart::Cpu } else { DemandPart::Io };
            match parse_timestamps(text, part) {
                Ok(arrivals) => {
                    let arrivals = arrivals.rebased();
                    assert!(arrivals.times().windows(2).all(|w| w[0] <= w[1]), "timestamps not sorted");
                    for i in 0..arrivals.len().min(1000) {
                        let _ = arrivals.duration(i);
                    }
                    let _ = arrivals.count_in(0, u64::MAX);
                    true
                }
                Err(_) => false,
            }
        }
        _ => match parse_duration_percentiles(text, &functions) {
            Ok(dist) => {
                let mean = dist.mean();
                assert!(mean.is_finite() && mean >= 0.0, "mean {mean}");
                let mut rng = RngStream::new(StreamKey::new(1, 0, 0));
                for _ in 0..16 {
                    let _ = dist.sample(&mut rng);
                }
                true
            }
            Err(_) => false,
        },
    })
}

fn replay(kind: &str, f: fn(&[u8]) -> Option<bool>) {
    let (mut ok, mut err) = (0, 0);
    for path in corpus(kind) {
        let data = std::fs::read(&path).unwrap();
        let outcome =
            std::panic::catch_unwind(|| f(&data)).unwrap_or_else(|_| panic!("{} panics", path.display()));
        // A file named `*-valid` is a well-formed input of the current format: when a
        // format changes, its corpus files must be converted, not silently rejected.
        let valid = path.file_name().and_then(|n| n.to_str()).is_some_and(|n| n.ends_with("-valid"));
        assert!(!valid || outcome == Some(true), "{} is no longer accepted", path.display());
        match outcome {
            Some(true) => ok += 1,
            Some(false) => err += 1,
            None => {}
        }
    }
    // The corpus exercises both outcomes.
    assert!(ok > 0 && err > 0, "{kind}: {ok} accepted, {err} rejected");
}

#[test]
fn scenario_corpus_gives_results_or_errors() {
    replay("scenario", scenario_input);
}

#[test]
fn trace_corpus_gives_results_or_errors() {
    replay("trace", trace_input);
}

/// The body of `fuzz/fuzz_targets/readers.rs`: a checkpoint, a shard file or result CSVs
/// read back; accepted only with values a run could produce.
fn readers_input(data: &[u8]) -> Option<bool> {
    use crossover_runner::resume;
    use crossover_runner::sweep::shard;
    let (&selector, rest) = data.split_first()?;
    Some(match selector % 3 {
        0 => {
            let text = std::str::from_utf8(rest).ok()?;
            let field =
                |i: usize, name: &str| text.lines().nth(i).and_then(|l| l.strip_prefix(name)).map(str::trim);
            let fingerprint =
                field(1, "scenario ").and_then(|h| u64::from_str_radix(h, 16).ok()).unwrap_or(0);
            let replications = field(2, "replications ").and_then(|n| n.parse().ok()).unwrap_or(1);
            let platforms = field(3, "platforms ").and_then(|n| n.parse::<usize>().ok()).unwrap_or(1).min(64);
            let names: Vec<String> = (0..platforms).map(|i| format!("p{i}")).collect();
            match resume::parse(text, fingerprint, replications, &names) {
                Ok(partial) => {
                    for m in partial.platforms.iter().flat_map(|p| &p.replications) {
                        assert_eq!(resume::metrics_problem(m), None);
                    }
                    true
                }
                Err(_) => false,
            }
        }
        1 => match shard::merge(&[("fuzz.txt".to_string(), rest.to_vec())]) {
            Ok(result) => {
                let _ = crossover_report::sweep_csv(&result);
                let _ = crossover_report::crossovers_csv(&result);
                true
            }
            Err(_) => false,
        },
        _ => {
            let text = std::str::from_utf8(rest).ok()?;
            let mut files = crossover_report::RunFiles::default();
            for part in text.split("#file ").skip(1) {
                let (name, body) = part.split_once('\n').unwrap_or((part, ""));
                files.insert(name.trim(), body.as_bytes().to_vec());
            }
            crossover_report::render_report(&files).is_ok()
        }
    })
}

#[test]
fn readers_corpus_gives_results_or_errors() {
    replay("readers", readers_input);
}

/// The body of `fuzz/fuzz_targets/import.rs`: files read by `crossover import` and written
/// into a scenario; refused only for a reason the user can act on.
fn import_input(data: &[u8]) -> Option<bool> {
    let (&selector, rest) = data.split_first()?;
    let text = std::str::from_utf8(rest).ok()?;
    let (files, traffic) = text.split_once("\n#traffic\n").unwrap_or((text, ""));
    let mut parts = files.split("\n#file ");
    let first = ["fuzz.yaml", "fuzz.json", "fly.toml", "<stdin>"][usize::from(selector % 4)];
    let mut sources = vec![crossover_import::Source { name: first.into(), text: parts.next()?.into() }];
    for part in parts {
        let (name, body) = part.split_once('\n').unwrap_or((part, ""));
        sources.push(crossover_import::Source { name: name.trim().into(), text: body.into() });
    }
    let Ok(imported) = crossover_import::read(&sources) else { return Some(false) };
    let traffic = traffic
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("traffic")?.as_table().cloned())
        .map(|t| (t, "the fuzz input".to_string()));
    let opts = crossover_import::Options { name: "fuzz".into(), traffic, ..Default::default() };
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz/files");
    Some(match crossover_import::build(&imported, &opts, &base) {
        Ok(_) => true,
        Err(e) => {
            assert!(!e.contains("a defect of crossover import"), "{e}");
            false
        }
    })
}

#[test]
fn import_corpus_gives_results_or_errors() {
    replay("import", import_input);
}
