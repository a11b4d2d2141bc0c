//! Scenario text (and `--set` overrides) through the whole pipeline: syntax, overrides,
//! presets, structure check, validation. Any input must give a scenario or errors, never
//! a panic; a valid scenario's resolved copy must parse again, and its work estimate is a
//! number.
//!
//! Input: the scenario text, optionally followed by a line `#--set` and one override per
//! line. Files the scenario names are looked up in `fuzz/files/` (small traces).
#![no_main]

use crossover_scenario::Override;
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let (source, sets) = text.split_once("\n#--set\n").unwrap_or((text, ""));
    let overrides: Vec<Override> = sets.lines().filter_map(|l| l.parse().ok()).collect();
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("files");
    if let Ok(scenario) =
        crossover_scenario::parse_with_overrides_in(source, "fuzz.toml", "fuzz", &overrides, &base)
    {
        // The resource guard's estimate is a number (maybe huge), never a panic.
        let estimate = crossover_runner::guard::WorkEstimate::new(&scenario, 2, 2);
        assert!(!estimate.requests.is_nan() && estimate.requests >= 0.0, "{estimate:?}");
        let _ = crossover_runner::guard::Limits::default().exceeded_by(&estimate);
        let resolved = scenario.resolved_toml("fuzz");
        if let Err(e) = crossover_scenario::parse_in(&resolved, "resolved.toml", "fuzz", &base) {
            panic!("the resolved copy of a valid scenario does not parse:\n{e}\n---\n{resolved}");
        }
    }
});
