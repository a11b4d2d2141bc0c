//! Hostile and careless input end to end: names that would lead a write outside its
//! folder or reach the terminal as escape sequences, absurd thread counts, signals in
//! the middle of a simulation, damaged files read back. Every case is refused cleanly
//! (exit 2, a located message, nothing written) or handled, never a panic or a hang.

mod common;
use common::{crossover, stderr};

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A small valid scenario named `name`, with one fixed platform.
fn tiny(name: &str, platform: &str) -> String {
    format!(
        r#"name = "{name}"
[simulation]
horizon = "10m"
replications = 1
[traffic]
profile = "constant"
rps = 2.0
[service]
cpu = "10ms"
[[platform]]
name = "{platform}"
autoscaler = {{ kind = "fixed", instances = 1 }}
"#
    )
}

/// A shard file whose scenario name climbs out of the output folder is refused, and
/// nothing is written anywhere.
#[test]
fn merge_never_writes_outside_its_folder() {
    let dir = tempfile::tempdir().unwrap();
    let work = dir.path().join("work");
    std::fs::create_dir(&work).unwrap();
    std::fs::write(work.join("s.toml"), tiny("s", "api")).unwrap();
    let o = crossover(
        &["sweep", "s.toml", "--vary", "traffic.rps=1,2", "--shard", "0/1", "--out", "shards"],
        &work,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let file = work.join("shards/shard-0-of-1.txt");
    let text = std::fs::read_to_string(&file).unwrap();
    for evil in ["../../../escaped", "..", "a/b", "x\u{1b}[2J"] {
        let line = format!("scenario {}", hex(evil.as_bytes()));
        let forged = text.replace(&format!("scenario {}", hex(b"s")), &line);
        assert_ne!(forged, text);
        std::fs::write(&file, forged).unwrap();
        let o = crossover(&["merge", "shards"], &work);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{evil:?}: {err}");
        assert!(err.contains("the scenario name"), "{err}");
        assert!(!err.contains('\u{1b}'), "an escape reached the terminal: {err:?}");
    }
    assert!(!work.join("output").exists());
    let mut left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    left.sort();
    assert_eq!(left, ["work"], "nothing was written beside the work folder");
}

/// A mistyped shard folder is named as missing, not blamed on `./scenario.resolved.toml`.
#[test]
fn merge_names_a_missing_folder() {
    let dir = tempfile::tempdir().unwrap();
    let o = crossover(&["merge", "shard"], dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("shard: no such shard folder or file"), "{err}");
    assert!(!err.contains("scenario.resolved.toml"), "{err}");
}

/// Names with control characters or absurd lengths are refused where they enter, each
/// located, and what is echoed shows the escape instead of sending it.
#[test]
fn hostile_names_are_refused_at_validation_and_never_echoed_raw() {
    let dir = tempfile::tempdir().unwrap();
    let long = "n".repeat(300);
    // TOML escapes (`\u001b`) put control characters in a string; raw ones are a syntax
    // error, whose echo of the line must be escaped too.
    let cases = [
        (tiny("s", "raw\u{1b}[2J"), "s.toml:11:12: `platform[0].name`", "invalid basic string"),
        (tiny("s", "evil\\u001b[2J\\u001b[31m"), "s.toml:11:8: `platform[0].name`", "control character"),
        (tiny("s", &"p".repeat(65_536)), "s.toml:11:8: `platform[0].name`", "at most 100"),
        (tiny(&long, "api"), "s.toml:1:8: `name`", "300 characters long; at most 100"),
        (tiny("x\\u001b]0;pwned\\u0007", "api"), "s.toml:1:8: `name`", "cannot name an output folder"),
    ];
    for (text, at, what) in cases {
        std::fs::write(dir.path().join("s.toml"), &text).unwrap();
        let o = crossover(&["run", "s.toml"], dir.path());
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains(at) && err.contains(what), "expected {at} {what}: {err}");
        assert!(!err.contains('\u{1b}') && !err.contains('\u{7}'), "raw control characters: {err:?}");
        assert!(!err.contains("panicked"), "{err}");
        assert!(!dir.path().join("output").exists());
    }
}

/// A thread count beyond the cap is a usage error naming the bound, at once; one beyond
/// the work is clamped to it (results are the same for any count).
#[test]
fn absurd_thread_counts_are_refused_or_clamped() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api")).unwrap();
    for args in [
        &["run", "s.toml", "--threads", "100000"][..],
        &["sweep", "s.toml", "--vary", "traffic.rps=1,2", "--threads", "5000"],
    ] {
        let o = crossover(args, dir.path());
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("must be between 1 and 1024"), "{err}");
        assert!(!dir.path().join("output").exists());
    }
    let started = Instant::now();
    let o = crossover(&["run", "s.toml", "--threads", "1024", "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "a one-job run with 1024 threads took {:?}",
        started.elapsed()
    );
}

/// One long simulation: the whole run is a single replication of one platform.
const ONE_LONG_SIMULATION: &str = r#"
name = "one-long"
[simulation]
horizon = "7d"
replications = 1
[traffic]
profile = "constant"
rps = 400.0
[service]
cpu = "5ms"
[[platform]]
name = "fleet"
autoscaler = { kind = "fixed", instances = 8 }
"#;

/// SIGTERM in the middle of the only simulation stops the run at once: exit 130, no
/// result files (the simulation watches the interrupt flag, not only the job loop).
#[test]
fn sigterm_stops_the_only_simulation() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), ONE_LONG_SIMULATION).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(["run", "s.toml", "--out", "out", "--yes"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Until the output folder exists the run is still validating.
    let started = Instant::now();
    while !dir.path().join("out").exists() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(300));
    let ok = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().unwrap().success();
    assert!(ok);
    let signalled = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(signalled.elapsed() < Duration::from_secs(10), "the run ignored SIGTERM");
        std::thread::sleep(Duration::from_millis(20));
    };
    let o = child.wait_with_output().unwrap();
    assert_eq!(status.code(), Some(130), "{}", stderr(&o));
    let left: Vec<String> = std::fs::read_dir(dir.path().join("out"))
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "checkpoint.txt")
        .collect();
    assert!(left.is_empty(), "result files after an interrupt: {left:?}");
}

/// Runs `args` and gives up after `limit`: a hang fails the test instead of stalling it.
fn crossover_within(args: &[&str], cwd: &Path, limit: Duration) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(args)
        .current_dir(cwd)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            panic!("crossover {args:?} still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    child.wait_with_output().unwrap()
}

/// `crossover plot` on result files edited to hold values no run writes (a 1e300 p99
/// once spun for ever in the axis ticks; NaN was drawn) refuses them with their place.
#[test]
fn plot_refuses_absurd_values_instead_of_hanging() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api")).unwrap();
    let o = crossover(&["run", "s.toml", "--out", "o", "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let summary = std::fs::read_to_string(dir.path().join("o/summary.csv")).unwrap();
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let p99 = header.iter().position(|h| *h == "p99_ms").unwrap();
    for value in ["1e300", "1e308", "NaN", "inf"] {
        let edited: Vec<String> = summary
            .lines()
            .enumerate()
            .map(|(i, line)| {
                let mut cells: Vec<&str> = line.split(',').collect();
                if i == 1 {
                    cells[p99] = value;
                }
                cells.join(",")
            })
            .collect();
        std::fs::write(dir.path().join("o/summary.csv"), edited.join("\n") + "\n").unwrap();
        let o = crossover_within(&["plot", "o"], dir.path(), Duration::from_secs(30));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{value}: {err}");
        assert!(err.contains("summary.csv, line 2") && err.contains("p99_ms"), "{err}");
    }
}

/// Two runs into one `--out` at once: the second is refused, naming the folder, and the
/// first finishes with its files alone in it.
#[test]
fn a_second_run_into_a_busy_folder_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("long.toml"), ONE_LONG_SIMULATION).unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api")).unwrap();
    let mut first = Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(["run", "long.toml", "--out", "out", "--yes", "-q"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while !dir.path().join("out").exists() && started.elapsed() < Duration::from_secs(30) {
        std::thread::sleep(Duration::from_millis(20));
    }
    std::thread::sleep(Duration::from_millis(200));
    let o = crossover(&["run", "s.toml", "--out", "out"], dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(err.contains("another crossover process is writing into out"), "{err}");
    let _ = first.kill();
    let _ = first.wait();
    assert!(!dir.path().join("out/summary.csv").exists(), "the refused run wrote nothing");
}

/// Temporary files a killed run left (SIGKILL between write and rename) are removed by
/// the next run into the folder; files of live processes stay.
#[test]
fn stale_temporaries_are_removed_by_the_next_run() {
    if !Path::new("/proc/self").exists() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api")).unwrap();
    let out = dir.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Above the kernel's pid_max (at most 2^22): no process has this PID.
    std::fs::write(out.join(".summary.csv.tmp-4194305"), b"half").unwrap();
    let live = format!(".report.html.tmp-{}", std::process::id());
    std::fs::write(out.join(&live), b"mine").unwrap();
    let o = crossover(&["run", "s.toml", "--out", "out"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("removed 1 temporary file(s)"), "{}", stderr(&o));
    assert!(!out.join(".summary.csv.tmp-4194305").exists());
    assert!(out.join(&live).exists(), "a live process's temporary file was removed");
}

/// Whether `unshare` can give a child its own PID namespace here (root, Linux).
fn pid_namespaces_work() -> bool {
    Command::new("unshare")
        .args(["--pid", "--fork", "--mount-proc", "true"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// Eight shards of one sweep written at once into one folder, each as PID 1 of its own
/// PID namespace where the system allows it (as Kubernetes pods are): all succeed (the
/// PID-only temporary names made them remove each other's files) and merge to the
/// unsharded sweep byte for byte.
#[test]
fn concurrent_shards_of_equal_pid_share_a_folder() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api")).unwrap();
    let sweep = ["sweep", "s.toml", "--vary", "traffic.rps=1,2,3,4", "-n", "4", "--threads", "1"];
    let o = crossover(&[&sweep[..], &["--out", "whole"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let namespaces = pid_namespaces_work();
    let children: Vec<_> = (0..8)
        .map(|k| {
            let shard = format!("{k}/8");
            let mut args: Vec<&str> = sweep.to_vec();
            args.extend(["--shard", &shard, "--out", "shards"]);
            let mut cmd = if namespaces {
                let mut c = Command::new("unshare");
                c.args(["--pid", "--fork", "--mount-proc", env!("CARGO_BIN_EXE_crossover")]);
                c
            } else {
                Command::new(env!("CARGO_BIN_EXE_crossover"))
            };
            cmd.args(&args).current_dir(dir.path()).stdout(Stdio::null()).stderr(Stdio::piped());
            cmd.spawn().unwrap()
        })
        .collect();
    for child in children {
        let o = child.wait_with_output().unwrap();
        assert!(o.status.success(), "a shard failed: {}", stderr(&o));
    }
    let o = crossover(&["merge", "shards", "--out", "merged"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for f in ["sweep.csv", "crossovers.csv", "frontier.csv", "scenario.resolved.toml"] {
        assert_eq!(
            std::fs::read(dir.path().join("whole").join(f)).unwrap(),
            std::fs::read(dir.path().join("merged").join(f)).unwrap(),
            "{f} differs"
        );
    }
}

/// Valid inputs once refused stay accepted: business hours of the whole day around a
/// noon peak, and numbers written with an exponent.
#[test]
fn whole_day_business_hours_and_exponents_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let text = tiny("s", "api")
        .replace(
            "profile = \"constant\"\nrps = 2.0",
            "profile = \"diurnal\"\ntrough_rps = 1.0\npeak_rps = 4.0\npeak_hour = 12\nbusiness_hours = [0, 24]",
        )
        .replace("cpu = \"10ms\"", "cpu = \"1e1ms\"")
        .replace("horizon = \"10m\"", "horizon = \"1d\"");
    std::fs::write(dir.path().join("s.toml"), text).unwrap();
    let o = crossover(&["validate", "s.toml"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    // The whole day open: the rate rises from the trough at midnight to the peak at noon.
    let o = crossover(&["traffic", "s.toml", "--out", "t.csv"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("t.csv")).unwrap();
    let rate = |minute: usize| -> f64 {
        csv.lines().nth(1 + minute).unwrap().split(',').nth(1).unwrap().parse().unwrap()
    };
    assert!((rate(0) - 1.0).abs() < 0.01 && (rate(720) - 4.0).abs() < 0.01, "{} {}", rate(0), rate(720));
}

/// Many unknown keys or sections are reported in time linear in their number, the
/// first hundred shown and the rest counted (50k keys took 20 s and printed 18 MB).
#[test]
fn many_unknown_keys_are_reported_quickly_and_briefly() {
    let dir = tempfile::tempdir().unwrap();
    let keys: String = (0..50_000).map(|i| format!("k{i} = 1\n")).collect();
    let sections: String = (0..30_000).map(|i| format!("[s{i}]\n")).collect();
    let base = tiny("s", "api");
    for (name, text, n) in [
        ("keys.toml", base.replace("[service]\n", &format!("[service]\n{keys}")), 50_000),
        ("sections.toml", format!("{base}{sections}"), 30_000),
    ] {
        std::fs::write(dir.path().join(name), text).unwrap();
        let started = Instant::now();
        let o = crossover_within(&["validate", name], dir.path(), Duration::from_secs(60));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2));
        assert!(started.elapsed() < Duration::from_secs(10), "{name}: {:?}", started.elapsed());
        assert!(err.len() < 100_000, "{name}: {} bytes of stderr", err.len());
        assert!(err.contains(&format!("... and {} more error(s) not shown", n - 100)), "{err}");
        assert!(err.contains(&format!("{name}: {n} errors")), "{err}");
    }
}

/// A diagnostic far along a very long line is shown as a window around its column
/// (a `{:pad$}` beyond 65,535 columns panicked).
#[test]
fn a_diagnostic_on_a_very_long_line_is_a_window_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    // Blanks are valid TOML: the wrong value sits 70,000 columns along the line.
    let blanks = " ".repeat(70_000);
    let text = tiny("s", "api").replace(
        "autoscaler = { kind = \"fixed\", instances = 1 }",
        &format!("autoscaler = {{ kind = \"fixed\",{blanks}instances = 1.5 }}"),
    );
    std::fs::write(dir.path().join("s.toml"), text).unwrap();
    let o = crossover(&["validate", "s.toml"], dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    assert!(
        err.contains("s.toml:12:70043: `platform[0].autoscaler.instances`"),
        "{}",
        &err[..err.len().min(500)]
    );
    assert!(err.len() < 2_000, "the snippet is a window: {} bytes", err.len());
}

/// Resubmitting a shard that already finished does nothing; a damaged or foreign file
/// in its place is simulated again. A shard with no unit says so.
#[test]
fn a_complete_shard_is_skipped_and_a_damaged_one_rerun() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api")).unwrap();
    let shard = |k: &str, extra: &[&str]| {
        let mut args = vec!["sweep", "s.toml", "--vary", "traffic.rps=1,2", "--shard", k, "--out", "shards"];
        args.extend(extra);
        crossover(&args, dir.path())
    };
    let o = shard("0/2", &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let file = dir.path().join("shards/shard-0-of-2.txt");
    let first = std::fs::read(&file).unwrap();
    let o = shard("0/2", &[]);
    assert!(stderr(&o).contains("already complete"), "{}", stderr(&o));
    // Cut short: simulated again, to the same bytes.
    std::fs::write(&file, &first[..first.len() / 2]).unwrap();
    let o = shard("0/2", &[]);
    assert!(o.status.success() && !stderr(&o).contains("already complete"), "{}", stderr(&o));
    assert_eq!(std::fs::read(&file).unwrap(), first);
    // Another seed is another sweep: not "complete".
    let o = shard("0/2", &["--seed", "5"]);
    assert!(!stderr(&o).contains("already complete"), "{}", stderr(&o));
    let o = shard("3/4", &[]);
    assert!(stderr(&o).contains("warning: shard 3 of 4 has no work"), "{}", stderr(&o));
}

/// Many short simulations, so that a kill lands between saves.
const MANY_JOBS: &str = r#"
name = "many-jobs"
[simulation]
horizon = "6h"
replications = 30
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

fn sorted_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().into_string().unwrap()).collect();
    names.sort();
    names
}

/// SIGKILL leaves no chance to save: the periodic checkpoint (here after every
/// simulation) is what `--resume` continues from, to results byte-identical to an
/// uninterrupted run's.
#[test]
fn a_killed_run_resumes_from_its_periodic_checkpoint() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("many.toml"), MANY_JOBS).unwrap();
    let started = Instant::now();
    let o = crossover(&["run", "many.toml", "--threads", "1", "--out", "whole", "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let whole_run = started.elapsed();

    let mut child = Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(["run", "many.toml", "--threads", "1", "--out", "cut", "-q", "--checkpoint-every", "0"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(whole_run.mul_f64(0.4));
    child.kill().unwrap(); // SIGKILL
    let _ = child.wait();
    let checkpoint =
        std::fs::read_to_string(dir.path().join("cut/checkpoint.txt")).expect("a periodic checkpoint");
    let saved = checkpoint.lines().filter(|l| l.starts_with("job ")).count();
    assert!(saved > 0 && saved < 60, "{saved} of 60 simulations saved before the kill");
    assert!(!dir.path().join("cut/summary.csv").exists());

    let o = crossover(&["run", "many.toml", "--resume", "--out", "cut"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains(&format!("{saved} simulation(s) already done")), "{}", stderr(&o));
    let whole = dir.path().join("whole");
    let cut = dir.path().join("cut");
    assert_eq!(sorted_files(&cut), sorted_files(&whole));
    for file in sorted_files(&whole) {
        assert!(
            std::fs::read(whole.join(&file)).unwrap() == std::fs::read(cut.join(&file)).unwrap(),
            "{file} differs"
        );
    }
}

/// Errors are blamed where they are: on the option that set a value (not on the file's
/// `[[platform]]` line), on the byte that is not UTF-8, on the header that nests too deep.
#[test]
fn errors_are_located_at_their_cause() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api")).unwrap();
    let o = crossover(&["validate", "s.toml", "--set", "platform[0]=5"], dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        err.contains("s.toml (--set platform[0]=5): `platform[0]`: expected a table, got an integer"),
        "{err}"
    );
    let o = crossover(&["sweep", "s.toml", "--vary", "platform[0]=1,2"], dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2));
    assert!(err.contains("(--vary platform[0]=1,2 (value 1)): `platform[0]`"), "{err}");
    assert!(!err.contains("s.toml:10:"), "blamed on the file: {err}");

    let mut bytes = tiny("s", "api").into_bytes();
    let at = bytes.iter().position(|&b| b == b'[').unwrap();
    bytes.splice(at..at, b"# caf\xe9\n".iter().copied());
    std::fs::write(dir.path().join("latin1.toml"), bytes).unwrap();
    let o = crossover(&["validate", "latin1.toml"], dir.path());
    assert!(stderr(&o).contains("latin1.toml:2:6: byte 0xe9 is not UTF-8 text"), "{}", stderr(&o));

    let deep = format!("{}[{}]\n", tiny("s", "api"), vec!["a"; 100].join("."));
    std::fs::write(dir.path().join("deep.toml"), deep).unwrap();
    let o = crossover(&["validate", "deep.toml"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("deep.toml:13:1: "), "{}", stderr(&o));
}

/// A sweep stopped by SIGINT saves its completed simulations (exit 130, no result
/// files); `--resume` finishes it to files byte-identical to an uninterrupted sweep's.
#[test]
fn an_interrupted_sweep_resumes_to_identical_files() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("many.toml"), MANY_JOBS).unwrap();
    let sweep = ["sweep", "many.toml", "--vary", "traffic.peak_rps=30,60", "-n", "12", "--threads", "1"];
    let started = Instant::now();
    let o = crossover(&[&sweep[..], &["--out", "whole"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let whole_run = started.elapsed();

    let child = Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args([&sweep[..], &["--out", "cut"]].concat())
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(whole_run.mul_f64(0.4));
    let ok = Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap().success();
    assert!(ok);
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(130), "{}", stderr(&o));
    let cut = dir.path().join("cut");
    assert_eq!(sorted_files(&cut), ["sweep-checkpoint.txt"], "only the checkpoint is written");
    let saved = std::fs::read_to_string(cut.join("sweep-checkpoint.txt"))
        .unwrap()
        .lines()
        .filter(|l| l.starts_with("rec "))
        .count();
    assert!(saved < 48, "cut before the end: {saved} of 48");

    // Another sweep's checkpoint is refused.
    let o = crossover(&[&sweep[..], &["--out", "cut", "--resume", "--seed", "3"]].concat(), dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("made for another sweep"), "{}", stderr(&o));

    let o = crossover(&[&sweep[..], &["--out", "cut", "--resume"]].concat(), dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains(&format!("{saved} simulation(s) already done")), "{}", stderr(&o));
    let whole = dir.path().join("whole");
    assert_eq!(sorted_files(&cut), sorted_files(&whole));
    for file in sorted_files(&whole) {
        assert!(
            std::fs::read(whole.join(&file)).unwrap() == std::fs::read(cut.join(&file)).unwrap(),
            "{file} differs"
        );
    }
}

/// `crossover traffic --out - | head`: the reader goes before the CSV is written. The
/// command ends quietly (exit 0), as `run` does, not with a "Broken pipe" error.
#[test]
fn traffic_to_a_closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api").replace("\"10m\"", "\"14d\"")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(["traffic", "s.toml", "--out", "-"])
        .current_dir(dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(!stderr(&o).contains("panicked") && !stderr(&o).contains("Broken pipe"), "{}", stderr(&o));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
}

/// The commands that print to stdout end quietly when the reader goes first:
/// `completions` panicked (clap_complete's generator unwraps its writes), `man` and
/// `init -` failed with "Broken pipe".
#[test]
fn every_command_printing_to_a_closed_stdout_ends_quietly() {
    for args in [&["completions", "bash"][..], &["completions", "zsh"], &["man"], &["init", "-"]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crossover"))
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take());
        let o = child.wait_with_output().unwrap();
        let err = stderr(&o);
        assert!(!err.contains("panicked") && !err.contains("Broken pipe"), "{args:?}: {err}");
        assert_eq!(o.status.code(), Some(0), "{args:?}: {err}");
    }
}

/// `crossover run | head`: the reader goes before the summary is printed. The run ends
/// quietly (exit 0, its results written) instead of panicking on the broken pipe.
#[test]
fn a_closed_stdout_is_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/mmc-check.toml");
    let out = dir.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_crossover"))
        .args(["run", scenario.to_str().unwrap(), "--set", "simulation.horizon=1h", "--out"])
        .arg(&out)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Closed at once: parsing and simulating take longer than this.
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(out.join("summary.csv").exists());
}

/// `crossover ARGS` in `dir` with a file-size limit of 64 KiB and SIGXFSZ ignored: a
/// write past the limit fails with EFBIG, as a write to a full disk fails, after the
/// simulation (the charts are larger than that; the probe before it is not).
#[cfg(unix)]
fn with_file_size_limit(args: &[&str], dir: &Path) -> Output {
    Command::new("bash")
        .arg("-c")
        .arg(r#"trap "" XFSZ; ulimit -f 64; exec "$0" "$@""#)
        .arg(env!("CARGO_BIN_EXE_crossover"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

/// The files under `dir`, with their bytes, sorted (nothing for a missing folder).
fn tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else { return found };
    for entry in entries {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_dir() {
            found.extend(tree(&path).into_iter().map(|(n, b)| (format!("{name}/{n}"), b)));
            found.push((format!("{name}/"), Vec::new()));
        } else {
            found.push((name, std::fs::read(&path).unwrap()));
        }
    }
    found.sort();
    found
}

/// A write that fails after simulating (a full disk) ends with exit 1 and a message
/// naming the file, and leaves nothing behind: no output folder where the run created
/// one (nor its parent), and a folder that was there before exactly as it was (no result
/// of the failed run mixed with the previous ones, no temporary file). The same for a
/// batch, a sweep, a merge and `crossover plot`.
#[cfg(unix)]
#[test]
fn a_write_failure_after_simulating_leaves_no_output_behind() {
    if Command::new("bash").arg("-c").arg("ulimit -f 64").status().map_or(true, |s| !s.success()) {
        eprintln!("skipped: no bash with ulimit");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    std::fs::write(d.join("s.toml"), tiny("s", "api")).unwrap();
    std::fs::write(d.join("t.toml"), tiny("t", "api")).unwrap();
    let refused = |o: &Output, what: &str| {
        let err = stderr(o);
        assert_eq!(o.status.code(), Some(1), "{what}: {err}");
        assert!(err.contains("File too large"), "{what}: {err}");
        assert!(!err.contains("panicked"), "{what}: {err}");
    };

    // A new folder, under a new parent: neither is left.
    let o = with_file_size_limit(&["run", "s.toml", "-q", "--out", "new/run"], d);
    refused(&o, "run");
    assert!(
        stderr(&o).contains("error: writing results to new/run: cannot write new/run/"),
        "{}",
        stderr(&o)
    );
    assert!(!d.join("new").exists(), "{:?}", tree(&d.join("new")));

    // A folder with the results of an earlier run: still exactly those.
    let o = crossover(&["run", "s.toml", "-q", "--out", "old"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(d.join("old/notes.txt"), "mine").unwrap();
    let before = tree(&d.join("old"));
    let o = with_file_size_limit(&["run", "s.toml", "-q", "--out", "old", "--seed", "9"], d);
    refused(&o, "run into an existing folder");
    assert!(tree(&d.join("old")) == before, "the folder changed");

    // A run that saved a periodic checkpoint keeps it, and only it (its simulations
    // need not be run again), and says so; --resume then writes the results.
    let o = with_file_size_limit(&["run", "s.toml", "-q", "--out", "kept", "--checkpoint-every", "0"], d);
    refused(&o, "run with a checkpoint");
    assert!(stderr(&o).contains("run the same command with --resume"), "{}", stderr(&o));
    assert_eq!(sorted_files(&d.join("kept")), ["checkpoint.txt"]);
    let o = crossover(&["run", "s.toml", "--out", "kept", "--resume"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("1 simulation(s) already done"), "{}", stderr(&o));
    assert!(d.join("kept/summary.csv").exists() && !d.join("kept/checkpoint.txt").exists());

    // `crossover traffic`: no folder for a traffic.csv that cannot be written.
    std::fs::write(d.join("days.toml"), tiny("days", "api").replace("\"10m\"", "\"3d\"")).unwrap();
    let o = with_file_size_limit(&["traffic", "days.toml", "--out", "tr/t.csv"], d);
    refused(&o, "traffic");
    assert!(!d.join("tr").exists(), "{:?}", tree(&d.join("tr")));

    // A batch: no scenario folder and no batch folder.
    let o = with_file_size_limit(&["run", "s.toml", "t.toml", "-q", "--out", "batch"], d);
    refused(&o, "batch");
    assert!(stderr(&o).contains("batch: 0 ran, 0 bad input, 2 failed"), "{}", stderr(&o));
    assert!(!d.join("batch").exists(), "{:?}", tree(&d.join("batch")));

    // A sweep: nothing, where it wrote its CSVs one at a time before.
    let o = with_file_size_limit(&["sweep", "s.toml", "--vary", "traffic.rps=1,2", "-q", "--out", "sw"], d);
    refused(&o, "sweep");
    assert!(!d.join("sw").exists(), "{:?}", tree(&d.join("sw")));
    // A merge of shards: the shard folder as it was, no merged folder.
    let o =
        crossover(&["sweep", "s.toml", "--vary", "traffic.rps=1,2", "--shard", "0/1", "--out", "shards"], d);
    assert!(o.status.success(), "{}", stderr(&o));
    let shards = tree(&d.join("shards"));
    let o = with_file_size_limit(&["merge", "shards", "--out", "merged"], d);
    refused(&o, "merge");
    assert!(!d.join("merged").exists() && tree(&d.join("shards")) == shards);

    // `crossover plot` redraws every chart or none: stale charts stay stale.
    for (name, _) in &before {
        if name.ends_with(".svg") {
            std::fs::write(d.join("old").join(name), "stale").unwrap();
        }
    }
    let stale = tree(&d.join("old"));
    let o = with_file_size_limit(&["plot", "old"], d);
    refused(&o, "plot");
    assert!(tree(&d.join("old")) == stale, "plot left a mix of old and new charts");
}

/// Two hybrid-ready platforms and a stack with per-service overrides and a spill, for
/// the overrides that break what the file refers to.
const NAMED: &str = r#"
name = "named"
[simulation]
horizon = "10m"
replications = 1
[traffic]
profile = "constant"
rps = 2.0
[[service]]
name = "api"
cpu = "10ms"
traffic = { share = 0.5 }
[[service]]
name = "web"
cpu = "10ms"
traffic = { share = 0.5 }
[[platform]]
name = "eks"
autoscaler = { kind = "fixed", instances = 1 }
[[platform]]
name = "run"
autoscaler = { kind = "fixed", instances = 1 }
spill = { to = "eks" }
[platform.services.api]
min_instances = 0
"#;

/// An error an override causes names the override, never a file line it did not come
/// from: a rename that makes another entry's name a duplicate, that leaves a spill's
/// `to` or a `[platform.services.NAME]` table naming nothing, an entry replaced by a
/// value that is not a table (the others' references then name nothing either), the
/// same through `--vary`. And the file's lines stay innocent.
#[test]
fn overrides_are_blamed_for_what_they_break() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("named.toml"), NAMED).unwrap();
    let o = crossover(&["validate", "named.toml"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for (set, expected) in [
        ("platform[0].name=run", &["`platform[0].name`: platform name \"run\" is used twice"][..]),
        ("platform[1].name=eks", &["`platform[1].name`: platform name \"eks\" is used twice"]),
        ("platform[0].name=x", &["`platform[1].spill.to`: no [[platform]] is named \"eks\""]),
        ("platform.eks.name=x", &["`platform[1].spill.to`: no [[platform]] is named \"eks\""]),
        (
            "platform[0]=5",
            &["`platform[0]`: expected a table, got an integer", "`platform[1].spill.to`: no [[platform]]"],
        ),
        ("platform[1]=\"run\"", &["`platform[1]`: expected a table, got a string"]),
        ("service[0].name=web", &["`service[0].name`: service name \"web\" is used twice"]),
        ("service[0].name=x", &["`platform[1].services.api`: no service is named \"api\""]),
        ("service.api.name=x", &["`platform[1].services.api`: no service is named \"api\""]),
        ("service[0].name=all", &["`service[0].name`: \"all\" is reserved"]),
        (
            "service[0]=5",
            &["`service[0]`: expected a table, got an integer", "`platform[1].services.api`: no service"],
        ),
        ("platform[1].services=5", &["`platform[1].services`: expected a table of services by name"]),
        // The override made the `router` table the file does not have, without its kind.
        ("platform[0].router.max_queue=5", &["`platform[0].router.kind`: missing `kind`"]),
        ("platform[1].services.web.router.max_queue=5", &["`platform[1].services.web.router.kind`: missing"]),
    ] {
        let o = crossover(&["validate", "named.toml", "--set", set], dir.path());
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "--set {set}: {err}");
        for e in expected {
            assert!(err.contains(&format!("named.toml (--set {set}): {e}")), "--set {set}: {err}");
        }
        assert!(!on_a_line(&err), "--set {set} blamed on the file: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let o = crossover(&["sweep", "named.toml", "--vary", "platform[0].name=run,x"], dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("(--vary platform[0].name=run,x (value run)): `platform[0].name`"), "{err}");
    assert!(err.contains("(--vary platform[0].name=run,x (value x)): `platform[1].spill.to`"), "{err}");
    assert!(!on_a_line(&err), "blamed on the file: {err}");
}

/// Whether a message points at a line of named.toml (`named.toml:12:3: ...`).
fn on_a_line(err: &str) -> bool {
    (0..10).any(|d| err.contains(&format!("named.toml:{d}")))
}

/// An output file that exists as a FIFO or a folder is refused before any work (exit 2)
/// and left as it was: the file is written under a temporary name and renamed over the
/// target, and `traffic --out` naming a device node, run as root, once replaced the
/// device itself with a plain file.
#[cfg(unix)]
#[test]
fn an_output_file_that_is_not_a_regular_file_is_never_replaced() {
    use std::os::unix::fs::FileTypeExt;
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api")).unwrap();
    let fifo = dir.path().join("pipe");
    assert!(Command::new("mkfifo").arg(&fifo).status().unwrap().success());
    std::fs::create_dir(dir.path().join("folder")).unwrap();
    for (args, refused) in [
        (&["traffic", "s.toml", "--out", "pipe"][..], "--out pipe"),
        (&["traffic", "s.toml", "--out", "folder"], "--out folder"),
        (&["init", "pipe", "--force"], "init pipe"),
        (&["init", "folder", "--force"], "init folder"),
    ] {
        let o = crossover_within(args, dir.path(), Duration::from_secs(30));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(&format!("{refused}: exists and is not a regular file")), "{args:?}: {err}");
    }
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    let mut names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["folder", "pipe", "s.toml"]);
    assert_eq!(std::fs::read_dir(dir.path().join("folder")).unwrap().count(), 0);
}

/// Sweep counts beyond any use are refused at once (exit 2, the option named): an
/// unbounded --max-replications made an adaptive sweep run past its resource guard for
/// ever, and --shard 0/4294967295 aborted on a 34 GB allocation.
#[test]
fn absurd_sweep_counts_are_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api")).unwrap();
    for (args, named) in [
        (&["--ci-target", "1e-9", "--max-replications", "4000000000"][..], "--max-replications 4000000000"),
        (&["--shard", "0/4294967295"], "--shard"),
    ] {
        let mut all = vec!["sweep", "s.toml", "--vary", "traffic.rps=1,2", "--out", "o", "-q"];
        all.extend_from_slice(args);
        let o = crossover_within(&all, dir.path(), Duration::from_secs(30));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains(named) && (err.contains("at most") || err.contains("between 1 and")), "{err}");
        assert!(!dir.path().join("o").exists(), "{args:?}");
    }
}

/// A scenario file is read up to 64 MiB and no further, by every command that reads one:
/// a device that never ends was read until memory ran out. (A sparse file stands in for
/// it here.)
#[test]
fn an_endless_scenario_file_is_refused_not_read_for_ever() {
    let dir = tempfile::tempdir().unwrap();
    let big = std::fs::File::create(dir.path().join("big.toml")).unwrap();
    big.set_len(crossover_scenario::MAX_SCENARIO_BYTES + 1).unwrap();
    for args in [
        &["validate", "big.toml"][..],
        &["run", "big.toml", "--out", "o"],
        &["sweep", "big.toml", "--vary", "traffic.rps=1,2", "--out", "o"],
        &["plan", "big.toml", "--out", "o"],
        &["traffic", "big.toml", "--out", "o/t.csv"],
    ] {
        let o = crossover_within(args, dir.path(), Duration::from_secs(60));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.contains("big.toml: longer than 64 MiB"), "{args:?}: {err}");
        assert!(!dir.path().join("o").exists(), "{args:?}");
    }
}

/// A plan whose placement alone is beyond the limits is refused at once, as a run is
/// (exit 2, the estimate, --yes named), with nothing written: with no guard, 31 days at
/// 10,000 replications of a stack planned for days.
#[test]
fn a_plan_beyond_the_limits_is_refused_at_once() {
    let dir = tempfile::tempdir().unwrap();
    for file in ["startup-stack.toml", "stage-sweep.toml"] {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios").join(file);
        let path = path.to_str().unwrap();
        let args = ["plan", path, "--set", "simulation.horizon=31d", "-n", "10000", "--out", "o"];
        let o = crossover_within(&args, dir.path(), Duration::from_secs(60));
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{err}");
        assert!(err.contains("simulates at least its placement") && err.contains("--yes"), "{err}");
        assert!(!dir.path().join("o").exists());
    }
    // A bad option is reported alone, before any estimate is announced.
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/stage-sweep.toml");
    let o = crossover(&["plan", path.to_str().unwrap(), "--kubernetes-fte", "nan"], dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.starts_with("error: --kubernetes-fte NaN"), "{err}");
}

/// A file without `name` is named after its file; when that name cannot name a folder
/// (a space in it), the error says where the name came from and what to add, instead of
/// blaming a `name` key the file does not have.
#[test]
fn a_bad_name_from_the_file_name_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let text = tiny("x", "api").replacen("name = \"x\"\n", "", 1);
    std::fs::write(dir.path().join("my api.toml"), &text).unwrap();
    let o = crossover(&["validate", "my api.toml"], dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("\"my api\" cannot name an output folder"), "{err}");
    assert!(err.contains("has no `name`, so it is named after its file: add `name = \"...\"`"), "{err}");
    // With a `name` the file's name does not matter.
    std::fs::write(dir.path().join("my api.toml"), format!("name = \"mine\"\n{text}")).unwrap();
    assert_eq!(crossover(&["validate", "my api.toml"], dir.path()).status.code(), Some(0));
}

/// A FIFO where `plot` or `merge` expects a file is refused (exit 2, named) instead of
/// read: reading one blocked for ever, as a link to a device that never ends did.
#[cfg(unix)]
#[test]
fn plot_and_merge_refuse_a_pipe_instead_of_waiting_on_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api")).unwrap();
    let mkfifo = |path: &Path| {
        let _ = std::fs::remove_file(path);
        assert!(Command::new("mkfifo").arg(path).status().unwrap().success());
    };
    let o = crossover(&["run", "s.toml", "--out", "o", "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    mkfifo(&dir.path().join("o/latency.csv"));
    let o = crossover_within(&["plot", "o"], dir.path(), Duration::from_secs(30));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("latency.csv is not a regular file"), "{err}");

    for k in 0..2 {
        let shard = format!("{k}/2");
        let o = crossover(
            &["sweep", "s.toml", "--vary", "traffic.rps=1,2", "--shard", &shard, "--out", "shards"],
            dir.path(),
        );
        assert!(o.status.success(), "{}", stderr(&o));
    }
    mkfifo(&dir.path().join("shards/shard-1-of-2.txt"));
    let o = crossover_within(&["merge", "shards", "--out", "merged"], dir.path(), Duration::from_secs(30));
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("shard-1-of-2.txt: not a regular file"), "{err}");
    assert!(!dir.path().join("merged").exists());
}

/// A checkpoint that is not text is damaged like one of another scenario: bad input
/// (exit 2) that says what to do, not a runtime failure.
#[test]
fn a_binary_checkpoint_is_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api")).unwrap();
    let o = crossover(&["run", "s.toml", "--out", "o", "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    std::fs::write(dir.path().join("o/checkpoint.txt"), [0xff, 0xfe, 0x00, 0x80]).unwrap();
    let o = crossover(&["run", "s.toml", "--out", "o", "-q", "--resume"], dir.path());
    let err = stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(err.contains("not a crossover checkpoint") && err.contains("without --resume"), "{err}");
}

/// `plot` on a folder whose summary.csv or sweep.csv was cut after its header refuses it
/// (exit 2, the file and line), leaving the folder's report as it was: it drew an empty
/// report over the good one and exited 0.
#[test]
fn plot_refuses_a_results_file_cut_after_its_header() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), tiny("s", "api")).unwrap();
    let o = crossover(&["run", "s.toml", "--out", "run", "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o = crossover(&["sweep", "s.toml", "--vary", "traffic.rps=1,2", "--out", "sweep", "-q"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for (folder, file) in [("run", "summary.csv"), ("sweep", "sweep.csv")] {
        let path = dir.path().join(folder).join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, format!("{}\n", text.lines().next().unwrap())).unwrap();
        let report = std::fs::read(dir.path().join(folder).join("report.html")).unwrap();
        let o = crossover(&["plot", folder], dir.path());
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(&format!("{file}, line 2: no rows after the header")), "{err}");
        assert_eq!(std::fs::read(dir.path().join(folder).join("report.html")).unwrap(), report, "{file}");
    }
}
