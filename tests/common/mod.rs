//! Helpers shared by the cross-crate tests: build scenarios from TOML text and run them.

#![allow(dead_code)]

use crossover_runner::{RunOptions, RunResult};
use crossover_scenario::Scenario;
use std::path::Path;
use std::process::{Command, Output};

/// Runs the `crossover` binary in `cwd`.
pub fn crossover(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

/// A command's stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

pub fn scenario(toml: &str) -> Scenario {
    crossover_scenario::parse(toml, "test.toml", "test")
        .unwrap_or_else(|e| panic!("invalid test scenario:\n{e}"))
}

pub fn run(s: &Scenario) -> RunResult {
    crossover_runner::run(s, &RunOptions::from_scenario(s)).expect("conservation holds")
}

/// Erlang C: probability that an arrival waits in an M/M/c queue with offered load `a`.
pub fn erlang_c(c: u32, a: f64) -> f64 {
    // Erlang B by the stable recurrence, then C from B.
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let rho = a / c as f64;
    b / (1.0 - rho + rho * b)
}

/// The shipped scenarios that replay a trace the user downloads (their headers say where
/// from and where to put it), and the overrides that point them at the 10-function sample
/// kept in tests/fixtures (paths relative to the scenario's folder).
pub const DOWNLOADED_TRACES: [(&str, &[&str]); 3] = [
    (
        "scenarios/azure-function.toml",
        &[
            "traffic.trace.file=../tests/fixtures/azure-functions-2019/10_inv.csv",
            "service.cpu.file=../tests/fixtures/azure-functions-2019/10_run.csv",
        ],
    ),
    (
        "scenarios/azure-replay.toml",
        &["traffic.trace.file=../tests/fixtures/azure-functions-2019/10_inv.csv"],
    ),
    // The performance workload of the Azure day.
    (
        "benches/scenarios/azure-day.toml",
        &[
            "traffic.trace.file=../../tests/fixtures/azure-functions-2019/10_inv.csv",
            "service.io.file=../../tests/fixtures/azure-functions-2019/10_run.csv",
        ],
    ),
];

/// Loads a shipped scenario with `sets` (`KEY=VALUE`). One that replays a downloaded trace
/// must, when that trace is absent (as in a fresh clone), stop with the documented "trace
/// not found" error at the key naming it; it is then loaded on the fixture sample so the
/// rest of it is still checked.
pub fn load_shipped(path: &std::path::Path, sets: &[&str]) -> Scenario {
    let parse = |sets: &[&str]| -> Vec<crossover_scenario::Override> {
        sets.iter().map(|s| s.parse().unwrap_or_else(|e| panic!("{s}: {e:?}"))).collect()
    };
    let result = crossover_scenario::load_with_overrides(path, &parse(sets));
    let Some((_, fixture)) = DOWNLOADED_TRACES.iter().find(|(n, _)| path.ends_with(n)) else {
        return result.unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    };
    match result {
        Ok(s) => s,
        Err(e) => {
            let text = e.to_string();
            assert!(
                text.contains("trace not found") && text.contains("--set traffic.trace.file=PATH"),
                "{}: a missing trace must be reported as \"trace not found\": {text}",
                path.display()
            );
            let all: Vec<&str> = sets.iter().chain(fixture.iter()).copied().collect();
            crossover_scenario::load_with_overrides(path, &parse(&all))
                .unwrap_or_else(|e| panic!("{} on the fixture sample: {e}", path.display()))
        }
    }
}
