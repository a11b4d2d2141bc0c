//! Helpers shared by the cross-crate tests: build scenarios from TOML text and run them.

#![allow(dead_code)]

use crossover_runner::{RunOptions, RunResult};
use crossover_scenario::Scenario;

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
