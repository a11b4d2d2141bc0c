//! End-to-end tests of the `crossover` binary: the commands as a user types them.

use std::path::Path;
use std::process::{Command, Output};

fn crossover(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("the binary runs")
}

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path).display().to_string()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

const SUMMARY_HEADER: &str = "platform,replications,cost_month_usd,cost_month_ci95,p50_ms,p90_ms,p99_ms,p999_ms,\
p99_ms_ci95,requests,completed,rejected,timed_out,cold_starts,cold_start_fraction,mean_instances,peak_instances";

#[test]
fn run_without_a_file_runs_the_default_scenario_into_output() {
    let dir = tempfile::tempdir().unwrap();
    let o = crossover(&["run", "-n", "2"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let out = dir.path().join("output/default");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.starts_with(SUMMARY_HEADER), "{summary}");
    // One row per platform of the default scenario, each with 2 replications.
    let rows: Vec<&str> = summary.lines().skip(1).collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().all(|r| r.split(',').nth(1) == Some("2")));
    let reps = std::fs::read_to_string(out.join("replications.csv")).unwrap();
    assert!(reps.starts_with("replication,seed,platform,"));
    assert_eq!(reps.lines().count(), 1 + 2 * 2);
    let resolved = std::fs::read_to_string(out.join("scenario.resolved.toml")).unwrap();
    assert!(resolved.contains("replications = 2"), "overrides are recorded");
    assert!(resolved.contains(env!("CARGO_PKG_VERSION")));
    // The summary table and the throughput line are printed.
    assert!(String::from_utf8_lossy(&o.stdout).contains("always-on-2x1vcpu"));
    assert!(stderr(&o).contains("requests/s"));
}

#[test]
fn results_are_byte_identical_for_any_thread_count() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/mmc-check.toml");
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("t{threads}"));
        let o = crossover(
            &["run", &scenario, "-n", "4", "--threads", threads, "--out", out.to_str().unwrap()],
            dir.path(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    for file in ["summary.csv", "replications.csv", "scenario.resolved.toml"] {
        let a = std::fs::read(dir.path().join("t1").join(file)).unwrap();
        let b = std::fs::read(dir.path().join("t2").join(file)).unwrap();
        assert!(a == b, "{file} differs between --threads 1 and --threads 2");
    }
}

#[test]
fn the_resolved_scenario_reproduces_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let first = dir.path().join("first");
    let o = crossover(
        &[
            "run",
            &repo("scenarios/mmc-check.toml"),
            "-n",
            "2",
            "--seed",
            "99",
            "--out",
            first.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let resolved = first.join("scenario.resolved.toml");
    let second = dir.path().join("second");
    let o = crossover(&["run", resolved.to_str().unwrap(), "--out", second.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for file in ["summary.csv", "replications.csv"] {
        assert_eq!(
            std::fs::read(first.join(file)).unwrap(),
            std::fs::read(second.join(file)).unwrap(),
            "{file}"
        );
    }
}

#[test]
fn a_missing_file_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let o = crossover(&["run", "no-such.toml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no-such.toml"), "{}", stderr(&o));
    assert!(!dir.path().join("output").exists(), "nothing written");
}

#[test]
fn an_unknown_key_points_at_its_line_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("typo.toml");
    std::fs::write(
        &path,
        "[traffic]\nprofile = \"constant\"\nrps = 1.0\n[service]\ncpu = \"10ms\"\n[[platform]]\nname = \"a\"\n\
         autoscaler = { kind = \"fixed\", instances = 1 }\nmax_instancs = 3\n",
    )
    .unwrap();
    let o = crossover(&["run", path.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("typo.toml:9:1"), "{err}");
    assert!(err.contains("max_instancs"), "{err}");
    assert!(!dir.path().join("output").exists());
}

#[test]
fn invalid_values_are_all_reported_with_their_keys() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.toml");
    std::fs::write(
        &path,
        r#"[traffic]
profile = "constant"
rps = -3.0
[service]
cpu = { dist = "lognormal", p50 = "200ms", p99 = "20ms" }
[[platform]]
name = "a"
autoscaler = { kind = "fixed", instances = 1 }
instance = { concurrency = 0 }
"#,
    )
    .unwrap();
    let o = crossover(&["run", path.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("bad.toml:3:7: `traffic.rps`"), "{err}");
    assert!(err.contains("bad.toml:5:7: `service.cpu`: p99"), "{err}");
    assert!(err.contains("`platform[0].instance.concurrency`"), "{err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    assert_eq!(crossover(&["run", "--threads", "0"], dir.path()).status.code(), Some(2));
    assert_eq!(crossover(&["frobnicate"], dir.path()).status.code(), Some(2));
    assert_eq!(crossover(&["--version"], dir.path()).status.code(), Some(0));
}

#[test]
fn every_scenario_in_the_repository_is_valid() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            crossover_scenario::load(&path).unwrap_or_else(|e| panic!("{e}"));
            n += 1;
        }
    }
    assert!(n >= 2);
}

/// The README's test command is exactly what CI runs, and its scenario example is valid.
#[test]
fn readme_commands_and_examples_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    let test_cmd =
        readme.lines().find_map(|l| l.strip_prefix("    cargo test")).expect("README has a test command");
    let ci_cmd =
        ci.lines().rev().find_map(|l| l.strip_prefix("cargo test")).expect(".ci/run runs cargo test");
    assert_eq!(ci_cmd.replace(" --locked", ""), test_cmd, "README and .ci/run disagree on the test command");
    assert!(readme.contains("\n    cargo run --release -- run\n"));
    let mut examples = 0;
    for block in readme.split("```toml\n").skip(1) {
        let toml = block.split("```").next().unwrap();
        crossover_scenario::parse(toml, "README.md", "readme").unwrap_or_else(|e| panic!("{e}"));
        examples += 1;
    }
    assert!(examples >= 1);
}
