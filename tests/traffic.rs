//! End-to-end checks of the traffic model: `crossover traffic` on the shipped scenarios,
//! replay of the real Azure Functions sample, and that every scenario file and every
//! TOML example in docs/traffic.md is valid.

use crossover_workload::trace::{parse_duration_percentiles, parse_minute_counts};
use crossover_workload::Dist;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod common;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The 10-function sample of the Azure Functions 2019 trace kept in the repository.
fn azure(file: &str) -> PathBuf {
    repo().join("tests/fixtures/azure-functions-2019").join(file)
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("crossover-traffic-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn crossover(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crossover")).args(args).current_dir(repo()).output().unwrap()
}

struct Row {
    minute: u64,
    rate_rps: f64,
    arrivals: u64,
}

fn read_csv(path: &Path) -> Vec<Row> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("minute,rate_rps,arrivals"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            assert_eq!(f.len(), 3, "{l}");
            assert_eq!(f[1].split('.').nth(1).map(str::len), Some(6), "fixed precision: {l}");
            Row {
                minute: f[0].parse().unwrap(),
                rate_rps: f[1].parse().unwrap(),
                arrivals: f[2].parse().unwrap(),
            }
        })
        .collect()
}

/// The number after `label` on the stdout line starting with it.
fn printed(stdout: &str, label: &str) -> f64 {
    let line = stdout.lines().find(|l| l.starts_with(label)).unwrap_or_else(|| panic!("{label}?\n{stdout}"));
    line[label.len()..].split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn traffic_command_writes_one_row_per_minute_and_its_totals() {
    let dir = scratch("spiky");
    let out = dir.join("traffic.csv");
    let run = |rep: &str| {
        crossover(&[
            "traffic",
            "scenarios/spiky-api.toml",
            "--out",
            out.to_str().unwrap(),
            "--replication",
            rep,
        ])
    };
    let o = run("2");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8(o.stdout).unwrap();
    let rows = read_csv(&out);
    assert_eq!(rows.len(), 7 * 1440);
    assert!(rows.iter().enumerate().all(|(i, r)| r.minute == i as u64));
    let total: u64 = rows.iter().map(|r| r.arrivals).sum();
    assert_eq!(printed(&stdout, "requests"), total as f64);
    let expected: f64 = rows.iter().map(|r| r.rate_rps * 60.0).sum();
    // Arrivals given the realised rate are Poisson: the total is within 4 sd of the
    // integral of the rate.
    assert!((total as f64 - expected).abs() < 4.0 * expected.sqrt(), "{total} vs {expected}");
    let mean = printed(&stdout, "mean rate");
    assert!((mean - total as f64 / (7.0 * 86_400.0)).abs() < 1e-3);
    let peak = rows.iter().map(|r| r.rate_rps).fold(0.0, f64::max);
    assert!((printed(&stdout, "peak minute") - peak).abs() < 1e-3);
    // Flash crowds: the busiest minute is far above the diurnal peak of 15 rps (x2.5 for
    // the on/off client at most), which happens in essentially every week.
    assert!(peak > 15.0 * 2.5, "peak {peak}");

    // Same replication, same bytes; another replication, other bursts.
    let first = std::fs::read(&out).unwrap();
    assert!(run("2").status.success());
    assert_eq!(std::fs::read(&out).unwrap(), first);
    assert!(run("3").status.success());
    assert_ne!(std::fs::read(&out).unwrap(), first);
    std::fs::remove_dir_all(dir).unwrap();
}

/// The 10-function Azure sample at scale 1: 28,432 invocations in the day (0.33 per
/// second), 1.1 per second in the busiest minute; each minute's intended rate is its
/// count / 60 and the realised counts pass a chi-square test against the trace. The
/// sample is replayed through the shipped azure-replay scenario, pointed at it.
#[test]
fn azure_replay_reproduces_the_sample() {
    let counts = parse_minute_counts(&std::fs::read_to_string(azure("10_inv.csv")).unwrap(), &[]).unwrap();
    assert_eq!(counts.functions, 10);
    assert_eq!(counts.counts.len(), 1440);
    assert_eq!(counts.total(), 28_432.0);
    let busiest = counts.counts.iter().copied().fold(0.0, f64::max);
    assert_eq!(busiest, 66.0);

    let dir = scratch("azure");
    let out = dir.join("azure.csv");
    // The shipped scenario as it is, but for the path of its trace.
    let shipped = std::fs::read_to_string(repo().join("scenarios/azure-replay.toml")).unwrap();
    let fixture = azure("10_inv.csv").display().to_string();
    let scenario = dir.join("azure-replay.toml");
    std::fs::write(&scenario, shipped.replace("../data/azure-functions-2019/1000_inv.csv", &fixture))
        .unwrap();
    let o = crossover(&["traffic", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8(o.stdout).unwrap();
    let rows = read_csv(&out);
    assert_eq!(rows.len(), 1440);
    for (r, c) in rows.iter().zip(&counts.counts) {
        assert!((r.rate_rps * 60.0 - c).abs() < 1e-3, "minute {}: {} vs {c}", r.minute, r.rate_rps);
    }
    let total: u64 = rows.iter().map(|r| r.arrivals).sum();
    let expected = counts.total();
    assert!((total as f64 - expected).abs() < 4.0 * expected.sqrt(), "{total}");
    // Every minute expects at least 13 arrivals, enough for the chi-square approximation.
    let chi2: f64 = rows.iter().zip(&counts.counts).map(|(r, &c)| (r.arrivals as f64 - c).powi(2) / c).sum();
    // chi-square(1440): mean 1440, sd 53.7; 3.3 sd either side.
    assert!((chi2 - 1440.0).abs() < 3.3 * (2.0f64 * 1440.0).sqrt(), "chi-square {chi2}");
    assert!((printed(&stdout, "mean rate") - 0.329).abs() < 0.01, "{stdout}");
    assert!((printed(&stdout, "peak minute") - 1.1).abs() < 1e-3, "{stdout}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// Without the downloaded trace (a fresh clone), the full-trace scenarios stop with the
/// documented, located "trace not found" error, exit 2 and write nothing.
#[test]
fn a_missing_downloaded_trace_is_reported_where_it_is_named() {
    for (scenario, _) in common::DOWNLOADED_TRACES {
        let path = repo().join(scenario);
        let trace = std::fs::read_to_string(&path).unwrap();
        let file = trace.lines().find(|l| l.starts_with("file = ")).unwrap().to_string();
        if path.parent().unwrap().join(&file[8..file.len() - 1]).exists() {
            continue; // downloaded: nothing to report
        }
        let name = path.file_stem().unwrap().to_str().unwrap();
        let dir = scratch(&format!("missing-{name}"));
        let out = dir.join("t.csv");
        let o = crossover(&["traffic", scenario, "--out", out.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        let stderr = String::from_utf8(o.stderr).unwrap();
        assert!(stderr.contains(&format!("{scenario}:")), "located: {stderr}");
        assert!(stderr.contains("traffic.trace.file"), "{stderr}");
        assert!(stderr.contains("trace not found"), "{stderr}");
        assert!(!out.exists());
        let o = crossover(&["validate", scenario]);
        assert_eq!(o.status.code(), Some(2), "{name}");
        assert!(String::from_utf8(o.stderr).unwrap().contains("trace not found"));
        std::fs::remove_dir_all(dir).unwrap();
    }
}

#[test]
fn azure_original_layout_and_durations_parse() {
    let original = std::fs::read_to_string(azure("original-format-1-invocations.csv")).unwrap();
    let t = parse_minute_counts(&original, &[]).unwrap();
    assert_eq!((t.functions, t.counts.len()), (1, 1440));
    assert!(t.total() > 0.0);
    let run = std::fs::read_to_string(azure("10_run.csv")).unwrap();
    let Dist::Mixture(m) = parse_duration_percentiles(&run, &[]).unwrap() else { panic!("a mixture") };
    assert_eq!(m.components().len(), 10);
    // Count-weighted mean of the functions' piecewise-linear percentile curves: finite,
    // and of the order of the Count-weighted mean of the Average column (6.3 s).
    assert!(m.mean() > 1.0 && m.mean() < 20.0, "{}", m.mean());
    let one = "1779fd3337dd353e424d808d9190aff8f09e46a8cbbe6469079b2d7f0e246e37".to_string();
    let Dist::Empirical(e) = parse_duration_percentiles(&run, &[one]).unwrap() else {
        panic!("one function")
    };
    assert_eq!(e.quantile(0.5), 18.426);
}

#[test]
fn bad_input_exits_with_2() {
    let o = crossover(&["traffic", "scenarios/no-such-file.toml"]);
    assert_eq!(o.status.code(), Some(2));
    let dir = scratch("bad");
    std::fs::write(
        dir.join("bad.csv"),
        "HashFunction,HashApp,HashOwner,minute_1,minute_2\nf,a,o,1,2\nf,a,o,3,x\n",
    )
    .unwrap();
    let scenario = dir.join("bad.toml");
    std::fs::write(
        &scenario,
        "[traffic]\nprofile = \"trace\"\ntrace = { file = \"bad.csv\" }\n[service]\ncpu = \"1ms\"\n\
         [[platform]]\nname = \"p\"\nautoscaler = { kind = \"fixed\", instances = 1 }\n",
    )
    .unwrap();
    let o = crossover(&["traffic", scenario.to_str().unwrap(), "--out", dir.join("t.csv").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8(o.stderr).unwrap();
    assert!(stderr.contains("bad.csv:3:9: `minute_2`: \"x\" is not a number"), "{stderr}");
    assert!(stderr.contains("bad.toml:3:"), "the scenario key is located too: {stderr}");
    assert!(!dir.join("t.csv").exists());
    std::fs::remove_dir_all(dir).unwrap();
}

/// Every shipped scenario is valid, and its resolved copy parses back to the same model.
#[test]
fn every_scenario_file_parses_and_its_resolved_copy_too() {
    let dir = repo().join("scenarios");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            let s = common::load_shipped(&path, &[]);
            let again = crossover_scenario::parse_in(&s.resolved_toml("test"), "resolved", "x", &dir)
                .unwrap_or_else(|e| panic!("{}: resolved copy: {e}", path.display()));
            assert_eq!(again.services[0].traffic, s.services[0].traffic, "{}", path.display());
            assert_eq!(again.services[0].demand, s.services[0].demand, "{}", path.display());
            names.push(s.name);
        }
    }
    for name in ["default", "consumer-app", "spiky-api", "azure-replay"] {
        assert!(names.iter().any(|n| n == name), "scenarios/{name}.toml missing");
    }
}

/// Recorded durations drive service times through the simulator: 100 requests a second
/// apart, each recorded at 250 ms of CPU, on one instance, take 250 ms each although
/// `service.cpu` says 1 ms.
#[test]
fn recorded_durations_drive_the_simulated_service_time() {
    let dir = scratch("recorded");
    let log: String = (0..100).map(|i| format!("{i}.5,0.25\n")).collect();
    std::fs::write(dir.join("log.csv"), format!("timestamp,duration\n{log}")).unwrap();
    let scenario = dir.join("replay.toml");
    std::fs::write(
        &scenario,
        "[simulation]\nhorizon = \"10m\"\nreplications = 1\n\
         [traffic]\nprofile = \"timestamps\"\ntimestamps = { file = \"log.csv\" }\n\
         [service]\ncpu = \"1ms\"\n\
         [[platform]]\nname = \"one\"\nautoscaler = { kind = \"fixed\", instances = 1 }\n",
    )
    .unwrap();
    let out = dir.join("out");
    let o = crossover(&["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    let mut lines = summary.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| row[header.iter().position(|h| *h == name).unwrap()];
    assert_eq!(col("requests"), "100");
    assert_eq!(col("completed"), "100");
    let p50: f64 = col("p50_ms").parse().unwrap();
    let p99: f64 = col("p99_ms").parse().unwrap();
    // The latency histogram keeps three significant digits.
    assert!((p50 - 250.0).abs() < 0.5 && (p99 - 250.0).abs() < 0.5, "p50 {p50}, p99 {p99}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The same recorded requests written as seconds from the start, epoch milliseconds and
/// RFC 3339 (detected, or said with `time_format`) replay to the same per-minute arrivals
/// and the same simulation results.
#[test]
fn rfc3339_and_epoch_ms_replay_like_seconds() {
    let dir = scratch("formats");
    // 2026-03-02 00:00:00 UTC, a Monday, is 1772409600 s after the epoch.
    let epoch = 1_772_409_600_u64;
    let millis: Vec<u64> = (0..400u64).map(|i| i * i * 1_357 % 7_200_000 + i * 17).collect();
    let mut seconds = String::from("timestamp,duration\n");
    let mut ms = String::from("\"ts\",\"duration\"\r\n");
    let mut rfc = String::from("timestamp,duration\n");
    for (i, &m) in millis.iter().enumerate() {
        let d = format!("0.{:03}", 5 + i % 50);
        seconds.push_str(&format!("{}.{:03},{d}\n", m / 1000, m % 1000));
        ms.push_str(&format!("{},{d}\r\n", epoch * 1000 + m));
        let (h, rest) = (m / 3_600_000, m % 3_600_000);
        rfc.push_str(&format!(
            "2026-03-02T{:02}:{:02}:{:02}.{:03}Z,{d}\n",
            h,
            rest / 60_000,
            rest % 60_000 / 1000,
            rest % 1000
        ));
    }
    let cases = [
        ("seconds.csv", seconds, ""),
        ("ms.csv", ms, ", time_format = \"epoch-ms\", time_column = \"ts\""),
        ("rfc.csv", rfc.clone(), ""),
        ("rfc-said.csv", rfc, ", time_format = \"rfc3339\""),
    ];
    let mut outputs = Vec::new();
    for (file, text, keys) in &cases {
        std::fs::write(dir.join(file), text).unwrap();
        let scenario = dir.join(format!("{file}.toml"));
        std::fs::write(
            &scenario,
            format!(
                "[simulation]\nhorizon = \"3h\"\nreplications = 2\n\
                 [traffic]\nprofile = \"timestamps\"\ntimestamps = {{ file = \"{file}\"{keys} }}\n\
                 [service]\ncpu = \"1ms\"\n[[platform]]\nname = \"p\"\npreset = \"cloud-run\"\n"
            ),
        )
        .unwrap();
        let csv = dir.join(format!("{file}.traffic.csv"));
        let o = crossover(&["traffic", scenario.to_str().unwrap(), "--out", csv.to_str().unwrap()]);
        assert!(o.status.success(), "{file}: {}", String::from_utf8_lossy(&o.stderr));
        let out = dir.join(format!("{file}.out"));
        let o = crossover(&["run", scenario.to_str().unwrap(), "--out", out.to_str().unwrap()]);
        assert!(o.status.success(), "{file}: {}", String::from_utf8_lossy(&o.stderr));
        let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
        outputs.push((std::fs::read_to_string(csv).unwrap(), summary));
    }
    assert!(outputs[0].0.lines().skip(1).map(|l| l.rsplit(',').next().unwrap()).any(|a| a != "0"));
    for (i, o) in outputs.iter().enumerate().skip(1) {
        assert_eq!(o.0, outputs[0].0, "{}: per-minute arrivals", cases[i].0);
        assert_eq!(o.1, outputs[0].1, "{}: simulation results", cases[i].0);
    }
    std::fs::remove_dir_all(dir).unwrap();
}

/// A header with no rows, and a device that never ends, are refused with a located
/// error and exit 2.
#[test]
fn a_trace_that_cannot_be_one_is_refused() {
    let dir = scratch("refused");
    std::fs::write(dir.join("empty.csv"), "timestamp,duration\n").unwrap();
    for (file, says) in [("empty.csv", "no data rows"), ("/dev/zero", "not a regular file")] {
        if !Path::new("/dev/zero").exists() && file.starts_with('/') {
            continue;
        }
        let scenario = dir.join("s.toml");
        std::fs::write(
            &scenario,
            format!(
                "[traffic]\nprofile = \"timestamps\"\ntimestamps = {{ file = \"{file}\" }}\n\
                 [service]\ncpu = \"1ms\"\n[[platform]]\nname = \"p\"\npreset = \"cloud-run\"\n"
            ),
        )
        .unwrap();
        let o = crossover(&["validate", scenario.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "{file}");
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert!(stderr.contains(says) && stderr.contains("s.toml:3:"), "{file}: {stderr}");
    }
    std::fs::remove_dir_all(dir).unwrap();
}
