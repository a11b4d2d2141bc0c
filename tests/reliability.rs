//! Reliability end to end: Ctrl-C and --resume, the checkpoint tied to its scenario,
//! the resource guard, unwritable output folders, --quiet, and the self-checks on every
//! shipped scenario.

mod common;
use common::{crossover, stderr};

use crossover_runner::{resume, Progress, RunError, RunOptions};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Many short simulations: a run of a few seconds that Ctrl-C can cut between jobs.
const MANY_JOBS: &str = r#"
name = "many-jobs"
[simulation]
horizon = "6h"
replications = 40
seed = 11
[traffic]
profile = "diurnal"
trough_rps = 5
peak_rps = 40
[service]
cpu = { dist = "lognormal", p50 = "20ms", p99 = "200ms" }
[[platform]]
name = "run"
preset = "cloud-run"
[[platform]]
name = "lambda"
preset = "lambda"
"#;

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn signal(pid: u32, name: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .expect("kill runs")
        .success();
    assert!(ok, "kill -{name} {pid}");
}

fn sigint(pid: u32) {
    signal(pid, "INT");
}

/// A run interrupted by SIGINT exits 130 leaving only its checkpoint (no partial
/// results, no temporary files); --resume then finishes it with results byte-identical
/// to an uninterrupted run's.
#[test]
fn an_interrupted_run_resumes_to_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("many.toml");
    std::fs::write(&scenario, MANY_JOBS).unwrap();
    let scenario = scenario.to_str().unwrap();

    let whole = dir.path().join("whole");
    let started = Instant::now();
    let o = crossover(&["run", scenario, "--threads", "1", "--out", whole.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    // The cuts are timed as fractions of this machine's uninterrupted run, not in fixed
    // milliseconds: a faster simulator once finished the resumed run before its cut.
    let whole_run = started.elapsed();

    let cut = dir.path().join("cut");
    let child = Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(["run", scenario, "--threads", "1", "--out", cut.to_str().unwrap()])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(whole_run.mul_f64(0.3));
    sigint(child.id());
    let o = child.wait_with_output().unwrap();
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(130), "{err}");
    assert!(err.contains("--resume"), "{err}");
    assert_eq!(files_in(&cut), vec![resume::FILE_NAME.to_string()], "only the checkpoint is written");
    let checkpoint = std::fs::read_to_string(cut.join(resume::FILE_NAME)).unwrap();
    let saved = checkpoint.lines().filter(|l| l.starts_with("job ")).count();
    assert!(saved < 80, "the run was cut before its end ({saved} of 80 jobs)");

    // Twice, to resume from a checkpoint that was itself resumed; SIGTERM stops as Ctrl-C does.
    let child = Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(["run", scenario, "--threads", "2", "--resume", "--out", cut.to_str().unwrap()])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // About 70% of the jobs remain, shared by two threads: a cut at a tenth of the
    // single-threaded time leaves most of them still to run.
    std::thread::sleep(whole_run.mul_f64(0.1));
    signal(child.id(), "TERM");
    let o = child.wait_with_output().unwrap();
    assert!(o.status.code() == Some(130) || o.status.success(), "{}", stderr(&o));

    let o = crossover(&["run", scenario, "--resume", "--out", cut.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("resuming from"), "{}", stderr(&o));
    // Every file (CSVs, charts, report) identical, and the checkpoint gone.
    assert_eq!(files_in(&cut), files_in(&whole));
    assert!(!cut.join(resume::FILE_NAME).exists());
    for file in files_in(&whole) {
        assert_eq!(
            std::fs::read(whole.join(&file)).unwrap(),
            std::fs::read(cut.join(&file)).unwrap(),
            "{file} differs after resuming"
        );
    }
}

/// A batch interrupted in its second scenario resumes without simulating the first
/// again, to the same files (batch summary included) as an uninterrupted batch.
#[test]
fn an_interrupted_batch_resumes_to_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let quick = MANY_JOBS.replace("replications = 40", "replications = 2").replace("many-jobs", "quick");
    std::fs::write(dir.path().join("a.toml"), quick.replace("horizon = \"6h\"", "horizon = \"10m\""))
        .unwrap();
    std::fs::write(dir.path().join("b.toml"), MANY_JOBS).unwrap();
    let batch = |out: &str, extra: &[&str]| {
        let mut args = vec!["run", "a.toml", "b.toml", "--threads", "1", "--out", out];
        args.extend(extra);
        Command::new(env!("CARGO_BIN_EXE_crossover"))
            .args(&args)
            .current_dir(dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let started = Instant::now();
    let o = batch("whole", &[]).wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    let whole_run = started.elapsed();

    let child = batch("cut", &[]);
    // Once the first scenario's results are written, the second is running.
    let started = Instant::now();
    while !dir.path().join("cut/quick/summary.csv").exists() && started.elapsed() < Duration::from_secs(60) {
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(whole_run.mul_f64(0.2));
    sigint(child.id());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let cut = dir.path().join("cut");
    assert!(!cut.join("batch-summary.csv").exists());
    assert!(cut.join("quick/summary.csv").exists() && cut.join("quick").join(resume::FILE_NAME).exists());
    assert_eq!(files_in(&cut.join("many-jobs")), [resume::FILE_NAME]);

    let o = batch("cut", &["--resume"]).wait_with_output().unwrap();
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("4 simulation(s) already done"),
        "the first scenario is not run again: {}",
        stderr(&o)
    );
    let whole = dir.path().join("whole");
    for file in [
        "batch-summary.csv",
        "quick/summary.csv",
        "quick/replications.csv",
        "many-jobs/summary.csv",
        "many-jobs/replications.csv",
    ] {
        assert_eq!(
            std::fs::read(whole.join(file)).unwrap(),
            std::fs::read(cut.join(file)).unwrap(),
            "{file}"
        );
    }
    assert!(
        !cut.join("quick").join(resume::FILE_NAME).exists()
            && !cut.join("many-jobs").join(resume::FILE_NAME).exists()
    );
    assert_eq!(files_in(&whole.join("quick")), files_in(&cut.join("quick")));
}

/// The same through the library, cut at every point: stopping after k jobs and resuming
/// from the saved text gives exactly the uninterrupted result.
#[test]
fn resuming_after_any_number_of_jobs_gives_the_same_result() {
    let text = MANY_JOBS
        .replace("replications = 40", "replications = 3")
        .replace("horizon = \"6h\"", "horizon = \"20m\"");
    resume_at_every_cut(&common::scenario(&text));
}

/// The same for a stack of two services: every service's metrics and histograms go
/// through the checkpoint, so services.csv comes out byte-identical too.
#[test]
fn a_stack_resumes_after_any_number_of_jobs() {
    let s = common::scenario(STACK);
    assert_eq!(s.services.len(), 2);
    resume_at_every_cut(&s);
}

const STACK: &str = r#"
name = "stack"
[simulation]
horizon = "20m"
replications = 3
seed = 11
slo_p99 = "300ms"
[[service]]
name = "api"
cpu = { dist = "lognormal", p50 = "20ms", p99 = "200ms" }
[service.traffic]
profile = "constant"
rps = 20.0
[[service]]
name = "worker"
cpu = { dist = "exponential", mean = "100ms" }
slo_p99 = "2s"
[service.traffic]
profile = "constant"
rps = 2.0
[[platform]]
name = "run"
preset = "cloud-run"
[[platform]]
name = "eks"
preset = "eks"
"#;

fn resume_at_every_cut(s: &crossover_scenario::Scenario) {
    let whole = common::run(s);
    let files = |r: &crossover_runner::RunResult| {
        [
            crossover_report::summary_csv(r),
            crossover_report::services_csv(r),
            crossover_report::replications_csv(r),
        ]
    };
    let expected = files(&whole);
    let names: Vec<String> = s.platforms.iter().map(|p| p.name.clone()).collect();
    let jobs = 3 * 2;
    for stop_after in 0..jobs {
        let cancel = Arc::new(AtomicBool::new(stop_after == 0));
        let flag = cancel.clone();
        let opts = RunOptions {
            threads: Some(1),
            cancel: Some(cancel),
            progress: Some(Progress(Arc::new(move |done, _| {
                if done >= stop_after {
                    flag.store(true, Ordering::SeqCst);
                }
            }))),
            ..RunOptions::from_scenario(s)
        };
        let partial = match crossover_runner::run(s, &opts) {
            Err(RunError::Interrupted(p)) => p,
            other => panic!("expected an interruption after {stop_after} jobs, got {:?}", other.map(|_| ())),
        };
        assert_eq!(partial.jobs(), stop_after);
        let saved = resume::to_text(&partial, 7, s.replications, s.services.len());
        let back = resume::parse(&saved, 7, s.replications, &names).unwrap();
        assert_eq!(back, partial);
        let opts = RunOptions { threads: Some(2), resume: Some(back), ..RunOptions::from_scenario(s) };
        let result = crossover_runner::run(s, &opts).unwrap();
        assert!(files(&result) == expected, "resuming after {stop_after} jobs changed the results");
    }
}

#[test]
fn a_checkpoint_of_another_scenario_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("many.toml");
    std::fs::write(&scenario, MANY_JOBS).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    let s = common::scenario(MANY_JOBS);
    let names: Vec<String> = s.platforms.iter().map(|p| p.name.clone()).collect();
    let empty = crossover_runner::Partial {
        platforms: names
            .iter()
            .map(|n| crossover_runner::PartialPlatform {
                platform: n.clone(),
                replications: vec![],
                latency: Default::default(),
            })
            .collect(),
    };
    // Made for the same file with another seed.
    let other = common::scenario(&MANY_JOBS.replace("seed = 11", "seed = 12"));
    let fp = resume::fingerprint(&other.resolved_toml(env!("CARGO_PKG_VERSION")));
    std::fs::write(
        out.join(resume::FILE_NAME),
        resume::to_text(&empty, fp, s.replications, s.services.len()),
    )
    .unwrap();
    let args = ["run", scenario.to_str().unwrap(), "-n", "2", "--resume", "--out", out.to_str().unwrap()];
    let o = crossover(&args, dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("different scenario"), "{}", stderr(&o));
    // Damaged.
    std::fs::write(out.join(resume::FILE_NAME), "crossover-checkpoint 4\nscenario zz\n").unwrap();
    let o = crossover(&args, dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("line 2"), "{}", stderr(&o));
    // Of an older format (here the one before `queue_full`): refused by name.
    let old = resume::to_text(&empty, fp, s.replications, s.services.len()).replacen(
        "crossover-checkpoint 4",
        "crossover-checkpoint 3",
        1,
    );
    std::fs::write(out.join(resume::FILE_NAME), old).unwrap();
    let o = crossover(&args, dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("line 1: a checkpoint in format 3"), "{}", stderr(&o));
    // Absent: runs from the start, with a note.
    std::fs::remove_file(out.join(resume::FILE_NAME)).unwrap();
    let o = crossover(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("no checkpoint"), "{}", stderr(&o));
}

const HUGE: &str = r#"
[simulation]
horizon = "31d"
replications = 100
[traffic]
profile = "constant"
rps = 1e6
[service]
cpu = "1ms"
[[platform]]
name = "one"
autoscaler = { kind = "fixed", instances = 1 }
"#;

/// Work beyond the limits is refused (exit 2) unless --yes; with --yes it starts, and
/// a second Ctrl-C stops it at once even in the middle of a simulation.
#[test]
fn the_resource_guard_refuses_huge_runs_unless_told_yes() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("huge.toml");
    std::fs::write(&scenario, HUGE).unwrap();
    let scenario = scenario.to_str().unwrap();
    let o = crossover(&["run", scenario, "--out", "o"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(
        err.contains("--yes") && err.contains("T requests") && err.contains("more than 10.0 G requests"),
        "{err}"
    );
    assert!(!dir.path().join("o").exists());
    // `crossover traffic` generates one replication's arrivals: the same guard applies.
    let o = crossover(&["traffic", scenario, "--out", "t.csv"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("--yes") && stderr(&o).contains("2.678e12 requests"), "{}", stderr(&o));
    assert!(!dir.path().join("t.csv").exists());

    let started = Instant::now();
    let child = Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(["run", scenario, "--yes", "--out", "o"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(800));
    sigint(child.id());
    std::thread::sleep(Duration::from_millis(300));
    sigint(child.id());
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("days at 1 M requests/s per core"),
        "the estimate is announced: {}",
        stderr(&o)
    );
    assert!(started.elapsed() < Duration::from_secs(30));
    assert!(!dir.path().join("o/summary.csv").exists());
}

fn small(dir: &Path) -> String {
    let text = MANY_JOBS
        .replace("replications = 40", "replications = 2")
        .replace("horizon = \"6h\"", "horizon = \"10m\"");
    let path = dir.join("small.toml");
    std::fs::write(&path, text).unwrap();
    path.to_str().unwrap().to_string()
}

/// An output folder that cannot be created or written is a runtime error (exit 1) with
/// the path, found before simulating, and leaves no file behind.
#[test]
fn an_unwritable_output_folder_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    // A file where the folder should be: fails even for root.
    std::fs::write(dir.path().join("blocker"), "").unwrap();
    let o = crossover(&["run", &scenario, "--out", "blocker/out"], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("blocker/out"), "{}", stderr(&o));
    assert_eq!(stderr(&o).matches("os error").count(), 1, "the cause is named once: {}", stderr(&o));
    assert!(!stderr(&o).contains("simulated"), "found before simulating: {}", stderr(&o));

    // A read-only folder (root ignores permissions: then there is nothing to check).
    use std::os::unix::fs::PermissionsExt;
    let ro = dir.path().join("ro");
    std::fs::create_dir(&ro).unwrap();
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o555)).unwrap();
    if std::fs::write(ro.join("probe"), "").is_err() {
        let o = crossover(&["run", &scenario, "--out", ro.to_str().unwrap()], dir.path());
        assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
        assert!(stderr(&o).contains("writing results to"), "{}", stderr(&o));
        assert!(files_in(&ro).is_empty());
    }
    std::fs::set_permissions(&ro, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn quiet_runs_print_nothing_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = small(dir.path());
    let o = crossover(&["run", &scenario, "--quiet", "--out", "o"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stderr(&o), "");
    assert!(String::from_utf8_lossy(&o.stdout).contains("lambda"), "the summary is still printed");
    let o = crossover(&["run", &scenario, "--out", "o"], dir.path());
    assert!(stderr(&o).contains("running \"many-jobs\""), "{}", stderr(&o));
    assert!(!stderr(&o).contains('\r'), "no progress bar when stderr is not a terminal");
}

/// Every shipped scenario passes conservation and Little's law in every replication
/// (the runner checks both; a violation would be an error), on a shortened horizon.
#[test]
fn every_shipped_scenario_passes_the_self_checks() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut ran = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let s = common::load_shipped(&path, &["simulation.horizon=30m", "simulation.replications=2"]);
        crossover_runner::run(&s, &RunOptions::from_scenario(&s))
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        ran += 1;
    }
    assert!(ran >= 10);
}
