//! `crossover import` on hostile files: Kubernetes / Knative YAML, ECS JSON, fly.toml and
//! anything else, read (`read`) and written into a scenario (`build`). Any input must give
//! a scenario or an error, never a panic, a hang or a huge allocation; and `build` may
//! refuse an import only for a reason the user can act on, never with what it calls a
//! defect of its own (the scenario it wrote does not validate).
//!
//! Input: a selector byte naming the first file (0 `fuzz.yaml`, 1 `fuzz.json`, 2
//! `fly.toml`, 3 `<stdin>`: recognised by content alone), then its text. A line `#file
//! NAME` starts a further file; a line `#traffic` starts a TOML file whose `[traffic]`
//! table stands for `--traffic` (files it names are looked up in `fuzz/files/`).
#![no_main]

use crossover_import::{Options, Source};
use libfuzzer_sys::fuzz_target;
use std::path::Path;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else { return };
    let Ok(text) = std::str::from_utf8(rest) else { return };
    let (files, traffic) = text.split_once("\n#traffic\n").unwrap_or((text, ""));
    let mut parts = files.split("\n#file ");
    let first = ["fuzz.yaml", "fuzz.json", "fly.toml", "<stdin>"][usize::from(selector % 4)];
    let mut sources = vec![Source { name: first.into(), text: parts.next().unwrap_or("").into() }];
    for part in parts {
        let (name, body) = part.split_once('\n').unwrap_or((part, ""));
        sources.push(Source { name: name.trim().into(), text: body.into() });
    }
    let Ok(imported) = crossover_import::read(&sources) else { return };
    let traffic = traffic
        .parse::<toml::Table>()
        .ok()
        .and_then(|t| t.get("traffic")?.as_table().cloned())
        .map(|t| (t, "the fuzz input".to_string()));
    let opts = Options { name: "fuzz".into(), traffic, ..Options::default() };
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("files");
    if let Err(e) = crossover_import::build(&imported, &opts, &base) {
        assert!(!e.contains("a defect of crossover import"), "{e}");
    }
});
