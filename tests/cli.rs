//! End-to-end tests of the `crossover` binary: the commands as a user types them.

use std::path::Path;

mod common;
use common::{crossover, stderr};

fn repo(path: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path).display().to_string()
}

const SUMMARY_HEADER: &str = "platform,replications,cost_month_usd,cost_month_ci95,cost_overhead_month_usd,\
cost_tco_month_usd,p50_ms,p90_ms,p99_ms,p999_ms,\
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
    assert_eq!(rows.len(), 5);
    for platform in ["cloud-run", "fargate", "lambda", "gke-autopilot", "eks"] {
        assert!(rows.iter().any(|r| r.starts_with(&format!("{platform},"))), "{platform} in the first run");
    }
    assert!(rows.iter().all(|r| r.split(',').nth(1) == Some("2")));
    let reps = std::fs::read_to_string(out.join("replications.csv")).unwrap();
    assert!(reps.starts_with("replication,seed,platform,"));
    assert_eq!(reps.lines().count(), 1 + 2 * 5);
    let resolved = std::fs::read_to_string(out.join("scenario.resolved.toml")).unwrap();
    assert!(resolved.contains("replications = 2"), "overrides are recorded");
    // Sizes are written as the user wrote them, not as a long fraction of a GiB.
    assert!(resolved.contains("response_size = \"20KB\""), "{resolved}");
    assert!(resolved.contains(env!("CARGO_PKG_VERSION")));
    // The summary table and the throughput line are printed.
    let table = String::from_utf8_lossy(&o.stdout);
    assert!(table.contains("cloud-run"));
    assert!(table.contains("scaled from a 7d horizon"), "{table}");
    assert!(stderr(&o).contains("requests/s"));
    // Two replications are too few for the intervals printed: said on stderr.
    assert!(stderr(&o).contains("warning: 2 replications give intervals too wide"), "{}", stderr(&o));
}

/// One replication of one day of a weekly pattern: the run says both numbers mislead and
/// what to change, on stderr and in the report (which `plot` redraws the same).
#[test]
fn a_run_too_short_or_too_small_to_trust_says_so() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["run", "-n", "1", "--set", "simulation.horizon=1d", "--platform", "cloud-run"];
    let o = crossover(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("warning: the traffic has a weekly pattern, but the 1d horizon"), "{err}");
    assert!(err.contains("simulation.horizon=7d"), "{err}");
    assert!(err.contains("warning: one replication gives no confidence interval"), "{err}");
    assert!(err.contains("-n 5"), "{err}");
    let report = std::fs::read_to_string(dir.path().join("output/default/report.html")).unwrap();
    assert!(report.contains("<h2>Caveats</h2>") && report.contains("one replication gives no"), "{report}");
    // A week and enough replications: nothing to warn about.
    let o = crossover(
        &["run", "-n", "3", "--platform", "cloud-run", "--set", "simulation.horizon=7d"],
        dir.path(),
    );
    assert!(!stderr(&o).contains("warning:"), "{}", stderr(&o));
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
    for file in ["summary.csv", "services.csv", "replications.csv", "scenario.resolved.toml"] {
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
    for file in ["summary.csv", "services.csv", "replications.csv"] {
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
    assert!(err.contains("bad.toml:5:50: `service.cpu.p99`: p99 (20ms) must be >= p50 (200ms)"), "{err}");
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

/// The performance workloads in benches/scenarios/ are valid, also at the low rate
/// docs/performance.md runs them at, and that page names each one.
#[test]
fn every_performance_workload_is_valid_and_documented() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let doc = std::fs::read_to_string(root.join("docs/performance.md")).unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(root.join("benches/scenarios")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            common::load_shipped(&path, &[]);
            if !std::fs::read_to_string(&path).unwrap().contains("profile = \"trace\"") {
                // The workloads are also run at a low rate (docs/performance.md).
                common::load_shipped(&path, &["traffic.rps=1.0"]);
            }
            let name = path.file_name().unwrap().to_str().unwrap();
            assert!(doc.contains(&format!("benches/scenarios/{name}")), "docs/performance.md names {name}");
            n += 1;
        }
    }
    assert!(n >= 4, "{n} workloads");
}

/// Every scenario in scenarios/ is valid, and together they use every key of the format,
/// so each feature has a ready example.
#[test]
fn every_scenario_in_the_repository_is_valid_and_every_key_has_an_example() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios");
    let mut used = Vec::new();
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "toml") {
            common::load_shipped(&path, &[]);
            let doc: toml::Table = toml::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            key_paths_of(&doc, "", &mut used);
            n += 1;
        }
    }
    assert!(n >= 4);
    let used: Vec<String> = used.iter().map(|p| as_documented(p)).collect();
    let missing: Vec<String> = crossover_scenario::schema_key_paths()
        .iter()
        .map(|p| as_documented(p))
        .filter(|p| !used.contains(p))
        .collect();
    assert!(missing.is_empty(), "keys no file in scenarios/ uses: {missing:?}");
}

/// The key paths a document sets, array indices dropped (`platform.autoscaler.kind`).
fn key_paths_of(table: &toml::Table, prefix: &str, out: &mut Vec<String>) {
    for (key, value) in table {
        let path = if prefix.is_empty() { key.clone() } else { format!("{prefix}.{key}") };
        match value {
            // Free-form tables (fixed fees, a platform's services) hold names, not keys of
            // the format.
            toml::Value::Table(t) if !path.ends_with("fixed_monthly") && path != "platform.services" => {
                key_paths_of(t, &path, out)
            }
            toml::Value::Array(items) if items.iter().all(toml::Value::is_table) && !items.is_empty() => {
                for item in items {
                    key_paths_of(item.as_table().unwrap(), &path, out);
                }
            }
            _ => {}
        }
        out.push(path);
    }
}

/// Distributions have the same keys wherever they appear; the reference documents them
/// once, at `service.cpu`; a service's own traffic has the keys of `[traffic]`,
/// documented there.
fn as_documented(path: &str) -> String {
    // A kind's defaults hold the keys of a platform entry.
    for kind in ["platform.worker.", "platform.cron."] {
        if let Some(rest) = path.strip_prefix(kind) {
            return as_documented(&format!("platform.{rest}"));
        }
    }
    if let Some(rest) = path.strip_prefix("service.traffic.") {
        return format!("traffic.{rest}");
    }
    for place in ["service.io.", "platform.instance.cold_start.", "platform.nodes.autoscaler.provisioning."] {
        if let Some(rest) = path.strip_prefix(place) {
            return format!("service.cpu.{rest}");
        }
    }
    path.to_string()
}

/// Every column of the result files is documented in the README's schema tables.
#[test]
fn the_readme_documents_every_result_column() {
    let readme = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    for column in crossover_report::SUMMARY_COLUMNS.iter().chain(crossover_report::SERVICES_COLUMNS) {
        assert!(readme.contains(&format!("`{column}`")), "README.md does not document the column `{column}`");
    }
}

/// The README's test command is exactly what CI runs, and every scenario example in the
/// README and in docs/*.md is valid, so the documentation cannot drift from the code.
#[test]
fn readme_commands_and_doc_examples_are_current() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let ci = std::fs::read_to_string(root.join(".ci/run")).unwrap();
    let test_cmd =
        readme.lines().find_map(|l| l.strip_prefix("    cargo test")).expect("README has a test command");
    let ci_cmd =
        ci.lines().rev().find_map(|l| l.strip_prefix("cargo test")).expect(".ci/run runs cargo test");
    assert_eq!(ci_cmd.replace(" --locked", ""), test_cmd, "README and .ci/run disagree on the test command");
    // ... and CI runs it in a copy of the checkout with nothing beside it, so a test that
    // read a file outside the repository would fail there.
    let copy = ci.find("mktemp -d").expect(".ci/run copies the checkout to a fresh folder");
    let enter = ci.find("cd \"$alone\"").expect(".ci/run enters the copy");
    let test = ci.rfind("\ncargo test").unwrap();
    assert!(copy < enter && enter < test, ".ci/run must run the tests inside the copy");
    assert!(readme.contains("\n    cargo run --release -- run\n"));
    // Nothing a user reads or runs points outside the checkout (the needle is built so
    // that this file does not match itself).
    let outside = ["../", "shared/"].concat();
    for dir in ["scenarios", "docs", "tests", "crates"] {
        let mut stack = vec![root.join(dir)];
        while let Some(path) = stack.pop() {
            if path.is_dir() {
                stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
            } else if let Ok(text) = std::fs::read_to_string(&path) {
                assert!(!text.contains(&outside), "{} names a folder beside the checkout", path.display());
            }
        }
    }
    assert!(!readme.contains("shared/"), "the README does not send the reader beside the checkout");
    // The licences Cargo.toml names are there, and no placeholder address is.
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).unwrap();
    assert!(manifest.contains("license = \"MIT OR Apache-2.0\""));
    assert!(root.join("LICENSE-MIT").is_file() && root.join("LICENSE-APACHE").is_file());
    assert!(!manifest.contains("example.invalid"));
    let mut docs = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            docs.push(path);
        }
    }
    let mut examples = 0;
    for doc in &docs {
        let text = std::fs::read_to_string(doc).unwrap();
        for (i, block) in text.split("```toml\n").skip(1).enumerate() {
            let toml = complete_fragment(block.split("```").next().unwrap());
            let origin = format!("{} (toml block {})", doc.display(), i + 1);
            crossover_scenario::parse_in(&toml, &origin, "example", &root.join("docs"))
                .unwrap_or_else(|e| panic!("{e}\n--- example:\n{toml}"));
            examples += 1;
        }
    }
    assert!(examples >= 3, "only {examples} examples found");
}

/// A documentation example may show one section only (docs/traffic.md does); the
/// sections it leaves out get minimal values so it is checked as a whole scenario.
fn complete_fragment(block: &str) -> String {
    let mut text = String::new();
    if !block.contains("[traffic]") {
        text.push_str("[traffic]\nprofile = \"constant\"\nrps = 1.0\n");
    }
    text.push_str(block);
    if !block.contains("[service]") {
        text.push_str("\n[service]\ncpu = \"10ms\"\n");
    }
    if !block.contains("[[platform]]") {
        text.push_str("\n[[platform]]\nname = \"p\"\nautoscaler = { kind = \"fixed\", instances = 1 }\n");
    }
    text
}

/// Scenarios the reference's example values are tried against: between them every
/// documented example fits at least one. Tests run from the repository root, so files are
/// named from there (the Azure sample is the one in tests/fixtures).
const DOC_BASES: [&str; 18] = [
    // A platform with a commitment, so each of its keys can be set alone.
    r#"[traffic]
profile = "constant"
rps = 2.0
[service]
cpu = "10ms"
[[platform]]
name = "p"
preset = "fargate"
billing.commitment = { kind = "compute-savings-plan", term = "1y" }
"#,
    // A worker scaled as Lambda's SQS mapping.
    r#"[traffic]
profile = "constant"
rps = 2.0
[service]
kind = "worker"
cpu = "1s"
[[platform]]
name = "p"
autoscaler = { kind = "sqs-poller" }
"#,
    // A scheduled job on a platform with a scheduler.
    r#"[service]
kind = "cron"
schedule = "0 2 * * *"
cpu = "1m"
[[platform]]
name = "p"
autoscaler = { kind = "fixed", instances = 1 }
[platform.cron]
"#,
    // A hybrid: a baseline spilling to a second platform.
    r#"[traffic]
profile = "constant"
rps = 2.0
[service]
cpu = "20ms"
[[platform]]
name = "p"
autoscaler = { kind = "fixed", instances = 1 }
spill = { to = "cloud-run" }
[[platform]]
name = "cloud-run"
preset = "cloud-run"
"#,
    // A triangular distribution.
    r#"[traffic]
profile = "constant"
rps = 2.0
[service]
cpu = { dist = "triangular", min = "5ms", mode = "10ms", max = "40ms" }
[[platform]]
name = "p"
autoscaler = { kind = "fixed", instances = 1 }
"#,
    // Kubernetes: the HPA on nodes under the Cluster Autoscaler, written out ...
    r#"[traffic]
profile = "constant"
rps = 2.0
[service]
cpu = "20ms"
[[platform]]
name = "p"
min_instances = 1
autoscaler = { kind = "hpa", metric = "cpu", target = 0.6 }
router = { kind = "load-balancer", policy = "random" }
[platform.nodes]
machines = [{ name = "n", cpu = 4, memory = "16GiB", hourly = 0.2 }]
autoscaler = { kind = "cluster-autoscaler", provisioning = "90s" }
"#,
    // ... and under Karpenter, on Spot nodes.
    r#"[traffic]
profile = "constant"
rps = 2.0
[service]
cpu = "20ms"
[[platform]]
name = "p"
preset = "eks-karpenter"
nodes = { interruptions = { rate_per_hour = 0.01 } }
"#,
    r#"[traffic]
profile = "constant"
rps = 2.0
[service]
cpu = { dist = "lognormal", p50 = "20ms", p99 = "250ms" }
[[platform]]
name = "p"
autoscaler = { kind = "fixed", instances = 2 }
router = { kind = "central-queue" }
"#,
    r#"[traffic]
profile = "diurnal"
trough_rps = 1.0
peak_rps = 10.0
[service]
cpu = { dist = "constant", value = "5ms" }
io = { dist = "exponential", mean = "5ms" }
[[platform]]
name = "p"
autoscaler = { kind = "per-request" }
"#,
    r#"[traffic]
profile = "constant"
rps = 2.0
[service]
cpu = { dist = "lognormal", mean = "20ms", cv = 1.0 }
[[platform]]
name = "p"
autoscaler = { kind = "per-request" }
"#,
    // Hourly rates with bursts and on/off clients; uniform demand; the concurrency
    // autoscaler (and runtime profiles) of the cloud-run preset.
    r#"[traffic]
profile = "hourly"
hourly_rps = [1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 8, 8, 8, 8, 8, 8, 8, 6, 4, 3, 2, 2, 1, 1]
bursts = { per_day = 1.0 }
on_off = { on_factor = 2.0, mean_on = "5m", mean_off = "1h" }
[service]
cpu = { dist = "uniform", min = "5ms", max = "15ms" }
[[platform]]
name = "p"
preset = "cloud-run"
"#,
    // Hourly weights; gamma demand; target tracking, a load balancer and interruptions.
    r#"[traffic]
profile = "hourly"
hourly_weights = [1, 1, 1, 1, 1, 1, 2, 3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 3, 2, 2, 1, 1, 1, 1]
mean_rps = 5.0
[service]
cpu = { dist = "gamma", mean = "20ms", cv = 0.8 }
[[platform]]
name = "p"
preset = "fargate-spot"
"#,
    // A per-minute trace; Pareto demand; KEDA's HTTP scaler.
    r#"[traffic]
profile = "trace"
trace = { file = "tests/fixtures/azure-functions-2019/10_inv.csv" }
[service]
cpu = { dist = "pareto", min = "10ms", alpha = 2.5 }
[[platform]]
name = "p"
preset = "container-apps"
"#,
    // Recorded timestamps; empirical demand; fly-proxy.
    r#"[traffic]
profile = "timestamps"
timestamps = { file = "docs/examples/requests.csv" }
[service]
cpu = { dist = "empirical", percentiles = [0, 50, 99, 100], values = ["2ms", "10ms", "120ms", "900ms"] }
[[platform]]
name = "p"
preset = "fly-machines"
"#,
    // A per-interval series (a monitoring export).
    r#"[traffic]
profile = "series"
series = { file = "docs/examples/alb-request-count.csv", time_column = "Timestamp", value_column = "RequestCount" }
[service]
cpu = "10ms"
[[platform]]
name = "p"
preset = "cloud-run"
"#,
    // A mixture; scheduled scaling.
    r#"[traffic]
profile = "constant"
rps = 2.0
[service]
cpu = { dist = "mixture", weights = [0.95, 0.05], components = ["10ms", { dist = "exponential", mean = "500ms" }] }
[[platform]]
name = "p"
autoscaler = { kind = "schedule", weekday = [0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0, 0] }
"#,
    // Execution times of Azure functions.
    r#"[traffic]
profile = "constant"
rps = 0.5
[service]
cpu = { dist = "azure-durations", file = "tests/fixtures/azure-functions-2019/10_run.csv" }
[[platform]]
name = "p"
preset = "lambda"
"#,
    // A stack with a stage.
    r#"[[service]]
name = "api"
cpu = "10ms"
traffic = { profile = "constant", rps = 1.0 }
[[service]]
name = "admin"
cpu = "10ms"
traffic = { profile = "constant", rps = 0.1 }
[[platform]]
name = "p"
preset = "lambda"
[[stage]]
name = "seed"
"#,
];

/// Every row of the key tables in docs/scenario.md names a real key and gives an example
/// value that validates, and every key of the format has a row.
#[test]
fn the_reference_documents_every_key_with_a_valid_example() {
    let doc =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/scenario.md")).unwrap();
    // A broken base would quietly leave the examples meant for it untried.
    for (i, base) in DOC_BASES.iter().enumerate() {
        crossover_scenario::parse(base, &format!("DOC_BASES[{i}]"), "base").unwrap_or_else(|e| panic!("{e}"));
    }
    let mut documented = Vec::new();
    let mut failures = Vec::new();
    for row in doc.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        let path = cells[1].trim_matches('`').to_string();
        let example = cells[cells.len() - 2].trim_matches('`');
        documented.push(path.clone());
        if example.is_empty() {
            continue;
        }
        // Keys inside an array of tables are set on its first element.
        let set = path.replacen("platform.", "platform[0].", 1).replacen("stage.", "stage[0].", 1).replacen(
            "nodes.machines.",
            "nodes.machines[0].",
            1,
        );
        let o = crossover_scenario::Override::new(
            &set,
            crossover_scenario::overrides::typed_value(example),
            "doc",
        )
        .unwrap_or_else(|e| panic!("{path}: {e}"));
        let errors: Vec<String> = DOC_BASES
            .iter()
            .filter_map(|base| {
                crossover_scenario::parse_with_overrides(base, "base", "doc", std::slice::from_ref(&o)).err()
            })
            .map(|e| e.to_string())
            .collect();
        if errors.len() == DOC_BASES.len() {
            failures.push(format!("{path} = {example}:\n{}", errors.join("\n")));
        }
    }
    assert!(failures.is_empty(), "examples that do not validate:\n{}", failures.join("\n\n"));
    let undocumented: Vec<String> = crossover_scenario::schema_key_paths()
        .iter()
        .map(|p| as_documented(p))
        .filter(|p| !documented.contains(p))
        .collect();
    assert!(undocumented.is_empty(), "keys docs/scenario.md does not document: {undocumented:?}");
}

/// One `# expect: LINE:COLUMN KEY` (or `# expect: - KEY` for a file-wide problem) header.
struct Expected {
    at: Option<(usize, usize)>,
    key: String,
}

fn expectations(text: &str) -> Vec<Expected> {
    text.lines()
        .filter_map(|l| l.strip_prefix("# expect: "))
        .map(|e| {
            let (at, key) = e.trim().split_once(' ').expect("# expect: LINE:COLUMN KEY");
            let at = (at != "-").then(|| {
                let (l, c) = at.split_once(':').expect("LINE:COLUMN");
                (l.parse().unwrap(), c.parse().unwrap())
            });
            Expected { at, key: key.to_string() }
        })
        .collect()
}

/// Every file in tests/bad-scenarios is rejected by `crossover run` with exit code 2 and
/// exactly the diagnostics its header expects, each at its line and column with its key;
/// none panics and none writes output.
#[test]
fn every_broken_scenario_is_rejected_with_each_error_located() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-scenarios");
    let mut files: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    files.sort();
    assert!(files.len() >= 30, "the corpus has {} files", files.len());
    let cwd = tempfile::tempdir().unwrap();
    let mut failures = Vec::new();
    for file in &files {
        let shown = file.display().to_string();
        let expected = expectations(&std::fs::read_to_string(file).unwrap());
        assert!(!expected.is_empty(), "{shown} has no `# expect:` header");
        let o = crossover(&["run", &shown], cwd.path());
        let err = stderr(&o);
        let mut problems = Vec::new();
        if o.status.code() != Some(2) {
            problems.push(format!("exit code {:?}, expected 2", o.status.code()));
        }
        if err.contains("panicked") {
            problems.push("panicked".to_string());
        }
        for e in &expected {
            let needle = match e.at {
                Some((line, col)) => format!("error: {shown}:{line}:{col}: `{}`: ", e.key),
                None => format!("error: {shown}: `{}`: ", e.key),
            };
            if !err.contains(&needle) {
                problems.push(format!("missing `{needle}`"));
            }
        }
        let n = expected.len();
        let count = format!("{shown}: {n} error{}\n", if n == 1 { "" } else { "s" });
        if !err.contains(&count) {
            problems.push(format!("expected exactly {n} diagnostic(s)"));
        }
        if !problems.is_empty() {
            failures.push(format!("{shown}:\n  {}\n--- stderr:\n{err}", problems.join("\n  ")));
        }
    }
    assert!(!cwd.path().join("output").exists(), "a broken scenario wrote output");
    assert!(failures.is_empty(), "{} of {} files:\n{}", failures.len(), files.len(), failures.join("\n"));

    // `validate` agrees: all of them at once, none "ok", exit 2.
    let shown: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    let mut args = vec!["validate"];
    args.extend(shown.iter().map(String::as_str));
    let o = crossover(&args, cwd.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stdout), "");
}

/// A small, fast scenario for end-to-end tests of the commands.
fn tiny(name: &str) -> String {
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
name = "one"
autoscaler = {{ kind = "fixed", instances = 1 }}
[[platform]]
name = "lambda"
autoscaler = {{ kind = "per-request" }}
"#
    )
}

fn write(dir: &Path, file: &str, text: &str) -> String {
    let path = dir.join(file);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

#[test]
fn set_overrides_are_validated_and_recorded_in_the_resolved_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let o = crossover(
        &[
            "run",
            &repo("scenarios/mmc-check.toml"),
            "--set",
            "simulation.horizon=30m",
            "--set",
            "simulation.replications=2",
            "--set",
            "platform.ten-servers.max_instances=20",
            "--set",
            "platform[1].instance.cold_start.mean=100ms",
            "--out",
            out.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let resolved = std::fs::read_to_string(out.join("scenario.resolved.toml")).unwrap();
    assert!(resolved.contains("horizon = \"30m\""), "{resolved}");
    assert!(resolved.contains("replications = 2"), "{resolved}");
    assert!(resolved.contains("max_instances = 20"), "{resolved}");
    assert!(resolved.contains("mean = \"100ms\""), "{resolved}");
    let summary = std::fs::read_to_string(out.join("summary.csv")).unwrap();
    assert!(summary.lines().skip(1).all(|r| r.split(',').nth(1) == Some("2")), "{summary}");
}

#[test]
fn a_mistyped_set_path_is_bad_input_with_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = repo("scenarios/mmc-check.toml");
    let o = crossover(&["run", &scenario, "--set", "simulation.replicatons=2"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("(--set simulation.replicatons=2): `simulation.replicatons`: unknown key"), "{err}");
    assert!(err.contains("did you mean `replications`?"), "{err}");

    let o = crossover(&["validate", &scenario, "--set", "platform.ten-servrs.max_instances=3"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("no platform named `ten-servrs`"), "{err}");
    assert!(err.contains("did you mean `ten-servers`?"), "{err}");

    // A value the key cannot take is judged like one in the file.
    let o =
        crossover(&["run", &scenario, "--set", "platform.lambda-like.instance.concurrency=0"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("`platform[1].instance.concurrency`: must be between 1 and"),
        "{}",
        stderr(&o)
    );
    assert!(crossover(&["run", "--set", "no-equals-sign"], dir.path()).status.code() == Some(2));
    assert!(!dir.path().join("output").exists(), "nothing written");
}

#[test]
fn platform_runs_a_subset_with_the_same_results_per_platform() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "two.toml", &tiny("two"));
    let all = dir.path().join("all");
    let one = dir.path().join("one");
    let o = crossover(&["run", &scenario, "--out", all.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o =
        crossover(&["run", &scenario, "--platform", "lambda", "--out", one.to_str().unwrap()], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let rows = |dir: &Path| -> Vec<String> {
        let s = std::fs::read_to_string(dir.join("summary.csv")).unwrap();
        s.lines().skip(1).map(str::to_string).collect()
    };
    let subset = rows(&one);
    assert_eq!(subset.len(), 1);
    assert!(rows(&all).contains(&subset[0]), "common random numbers: a subset changes nothing");
    let resolved = std::fs::read_to_string(one.join("scenario.resolved.toml")).unwrap();
    assert!(resolved.contains("name = \"lambda\"") && !resolved.contains("name = \"one\""), "{resolved}");
}

#[test]
fn an_unknown_platform_lists_the_available_ones() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = write(dir.path(), "two.toml", &tiny("two"));
    let o = crossover(&["run", &scenario, "--platform", "lamda"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("no platform named \"lamda\""), "{err}");
    assert!(err.contains("one, lambda"), "{err}");
    assert!(err.contains("did you mean `lambda`?"), "{err}");
    assert!(!dir.path().join("output").exists());
}

#[test]
fn validate_checks_every_file_without_running() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(dir.path(), "good.toml", &tiny("good"));
    let bad = write(dir.path(), "bad.toml", &tiny("bad").replace("rps = 2.0", "rps = -2.0\nrsp = 1"));
    let o = crossover(&["validate", &good, &bad], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(String::from_utf8_lossy(&o.stdout), format!("ok {good}\n"));
    let err = stderr(&o);
    assert!(err.contains(&format!("{bad}:7:7: `traffic.rps`")), "{err}");
    assert!(err.contains(&format!("{bad}:8:1: `traffic.rsp`")), "{err}");
    assert!(err.contains(&format!("{bad}: 2 errors")), "{err}");

    let o = crossover(&["validate", &good, &repo("scenarios/default.toml")], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(String::from_utf8_lossy(&o.stdout).lines().count(), 2);
    assert_eq!(crossover(&["validate"], dir.path()).status.code(), Some(2), "a file is required");
    assert!(!dir.path().join("output").exists(), "validate runs nothing");
}

#[test]
fn init_writes_a_starter_scenario_that_validates_and_runs() {
    let dir = tempfile::tempdir().unwrap();
    let o = crossover(&["init"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let written = std::fs::read_to_string(dir.path().join("scenario.toml")).unwrap();
    assert_eq!(written, crossover_scenario::STARTER_SCENARIO);
    let o = crossover(&["validate", "scenario.toml"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));

    // Never overwrites without --force.
    std::fs::write(dir.path().join("scenario.toml"), "mine").unwrap();
    let o = crossover(&["init"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("--force"), "{}", stderr(&o));
    assert_eq!(std::fs::read_to_string(dir.path().join("scenario.toml")).unwrap(), "mine");
    assert!(crossover(&["init", "--force"], dir.path()).status.success());
    assert_eq!(std::fs::read_to_string(dir.path().join("scenario.toml")).unwrap(), written);

    // A named file runs, and its name (from the file name) names the output folder.
    let o = crossover(&["init", "teams/my-api.toml"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let o =
        crossover(&["run", "teams/my-api.toml", "--set", "simulation.horizon=10m", "-n", "1"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(dir.path().join("output/my-api/summary.csv").exists());
}

/// Every template is written as shipped, validates, and is built from presets, Kubernetes
/// among them.
#[test]
fn init_templates_are_built_from_presets_with_kubernetes() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in crossover_scenario::TEMPLATES {
        let file = format!("{name}.toml");
        let o = crossover(&["init", "--template", name, &file], dir.path());
        assert!(o.status.success(), "{}", stderr(&o));
        assert_eq!(std::fs::read_to_string(dir.path().join(&file)).unwrap(), text);
        let s = crossover_scenario::load(&dir.path().join(&file)).unwrap_or_else(|e| panic!("{e}"));
        assert!(s.platforms.len() >= 2, "{name}");
        assert!(text.contains("preset = \"eks"), "{name}: a Kubernetes preset");
        let doc: toml::Table = toml::from_str(text).unwrap();
        let platforms = doc["platform"].as_array().unwrap();
        assert!(platforms.iter().all(|p| p.get("preset").is_some()), "{name}: every platform from a preset");
    }
    // `-` is stdout, and no file named `-` is made.
    let o = crossover(&["init", "--template", "gpu", "-"], dir.path());
    assert!(o.status.success());
    assert_eq!(String::from_utf8(o.stdout).unwrap(), crossover_scenario::TEMPLATES[2].1);
    assert!(!dir.path().join("-").exists());
    let o = crossover(&["init", "--template", "nope"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("api") && stderr(&o).contains("stack") && stderr(&o).contains("gpu"));
}

#[test]
fn a_batch_runs_the_good_files_reports_the_bad_one_and_sums_up() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.toml", &tiny("alpha"));
    let bad = write(dir.path(), "bad.toml", &tiny("bad").replace("instances = 1", "instances = 0"));
    let b = write(dir.path(), "b.toml", &tiny("beta"));
    let o = crossover(&["run", &a, &bad, &b], dir.path());
    assert_eq!(o.status.code(), Some(2), "a bad input makes the batch exit 2");
    let err = stderr(&o);
    assert!(err.contains("`platform[0].autoscaler.instances`"), "{err}");
    let out = dir.path().join("output");
    for name in ["alpha", "beta"] {
        for file in ["summary.csv", "services.csv", "replications.csv", "scenario.resolved.toml"] {
            assert!(out.join(name).join(file).exists(), "{name}/{file}");
        }
    }
    assert!(!out.join("bad").exists());
    let batch = std::fs::read_to_string(out.join("batch-summary.csv")).unwrap();
    let mut lines = batch.lines();
    assert_eq!(lines.next().unwrap(), format!("scenario,{}", crossover_report::SUMMARY_COLUMNS.join(",")));
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 4, "2 scenarios x 2 platforms: {batch}");
    let alpha = std::fs::read_to_string(out.join("alpha/summary.csv")).unwrap();
    for row in alpha.lines().skip(1) {
        assert!(rows.contains(&format!("alpha,{row}").as_str()), "{batch}");
    }
    assert!(rows[2].starts_with("beta,one,") && rows[3].starts_with("beta,lambda,"), "{batch}");
}

#[test]
fn batch_scenarios_sharing_a_name_keep_their_own_folders() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.toml", &tiny("same"));
    let b = write(dir.path(), "b.toml", &tiny("same").replace("rps = 2.0", "rps = 3.0"));
    let out = dir.path().join("results");
    let o = crossover(&["run", &a, &b, "--out", out.to_str().unwrap()], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("also named \"same\""), "{}", stderr(&o));
    let first = std::fs::read_to_string(out.join("same/scenario.resolved.toml")).unwrap();
    let second = std::fs::read_to_string(out.join("same-2/scenario.resolved.toml")).unwrap();
    assert!(first.contains("rps = 2.0") && second.contains("rps = 3.0"));
    let batch = std::fs::read_to_string(out.join("batch-summary.csv")).unwrap();
    assert_eq!(batch.lines().filter(|l| l.starts_with("same-2,")).count(), 2, "{batch}");
}

/// A scenario named like the batch summary keeps its results in a folder of its own, and
/// the summary is written: its folder once took the summary's place, and the batch
/// failed (exit 1) after every run had finished.
#[test]
fn a_scenario_named_like_the_batch_summary_leaves_it_its_place() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.toml", &tiny("batch-summary.csv"));
    let b = write(dir.path(), "b.toml", &tiny("b"));
    let o = crossover(&["run", &a, &b, "--out", "results"], dir.path());
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stderr(&o).contains("is the batch summary's file name"), "{}", stderr(&o));
    assert!(dir.path().join("results/batch-summary.csv-2/summary.csv").is_file());
    let batch = std::fs::read_to_string(dir.path().join("results/batch-summary.csv")).unwrap();
    assert!(batch.lines().any(|l| l.starts_with("batch-summary.csv-2,")), "{batch}");
}

#[test]
fn a_failed_run_in_a_batch_does_not_stop_the_others_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let a = write(dir.path(), "a.toml", &tiny("alpha"));
    let b = write(dir.path(), "b.toml", &tiny("beta"));
    // A file where beta's results folder should be: writing them fails at run time.
    std::fs::create_dir_all(dir.path().join("output")).unwrap();
    std::fs::write(dir.path().join("output/beta"), "in the way").unwrap();
    let o = crossover(&["run", &b, &a], dir.path());
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("scenario \"beta\""), "{}", stderr(&o));
    assert!(dir.path().join("output/alpha/summary.csv").exists());
    let batch = std::fs::read_to_string(dir.path().join("output/batch-summary.csv")).unwrap();
    assert_eq!(batch.lines().count(), 1 + 2, "alpha's two platforms only: {batch}");
}

/// `--json` prints the summary as one JSON object on stdout and nothing else there.
#[test]
fn run_json_prints_only_the_summary_as_json() {
    let dir = tempfile::tempdir().unwrap();
    let args = ["run", "--json", "-n", "3", "--set", "simulation.horizon=2h", "--platform", "cloud-run"];
    let o = crossover(&args, dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8(o.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    let v: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(v["scenario"], "default");
    assert_eq!(v["replications"], 3);
    let platforms = v["platforms"].as_array().unwrap();
    assert_eq!(platforms.len(), 1);
    let summary = std::fs::read_to_string(dir.path().join("output/default/summary.csv")).unwrap();
    let row: Vec<&str> = summary.lines().nth(1).unwrap().split(',').collect();
    let header: Vec<&str> = summary.lines().next().unwrap().split(',').collect();
    let cost = row[header.iter().position(|h| *h == "cost_month_usd").unwrap()];
    assert_eq!(platforms[0]["cost_month_usd"].as_f64().unwrap(), cost.parse::<f64>().unwrap());
    assert_eq!(platforms[0]["platform"], "cloud-run");
    assert!(v["verdict"].as_array().unwrap()[0].as_str().unwrap().contains("cloud-run"));
    assert!(v["warnings"].is_array());
}

/// `-` as the output file means stdout: the CSV alone there, the summary on stderr, and no
/// file named `-`.
#[test]
fn traffic_out_dash_writes_the_csv_to_stdout() {
    let dir = tempfile::tempdir().unwrap();
    let o = crossover(&["traffic", &repo("scenarios/default.toml"), "--out", "-"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    let stdout = String::from_utf8(o.stdout.clone()).unwrap();
    assert!(stdout.starts_with("minute,rate_rps,arrivals\n"), "{}", &stdout[..100.min(stdout.len())]);
    assert_eq!(stdout.lines().count(), 1 + 7 * 1440);
    assert!(stderr(&o).contains("mean rate"));
    assert!(!dir.path().join("-").exists());
}

/// In a stack, `crossover traffic` writes the service `--service` names, or with `all`
/// their total minute by minute; with several services and no flag it names them
/// rather than pick one.
#[test]
fn traffic_of_a_stack_is_one_service_or_the_total() {
    let dir = tempfile::tempdir().unwrap();
    let stack = r#"[simulation]
horizon = "1h"
[[service]]
name = "api"
cpu = "20ms"
traffic = { profile = "constant", rps = 3.0 }
[[service]]
name = "admin"
cpu = "40ms"
traffic = { profile = "constant", rps = 0.5 }
[[platform]]
name = "p"
autoscaler = { kind = "fixed", instances = 1 }
"#;
    std::fs::write(dir.path().join("s.toml"), stack).unwrap();
    let o = crossover(&["traffic", "s.toml", "--out", "-"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("a stack of 2 services (api, admin): choose one with --service NAME"),
        "{}",
        stderr(&o)
    );
    let o = crossover(&["traffic", "s.toml", "--service", "admn", "--out", "-"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("did you mean \"admin\"?"), "{}", stderr(&o));

    let csv = |service: &str| -> Vec<(f64, u64)> {
        let o = crossover(&["traffic", "s.toml", "--service", service, "--out", "-"], dir.path());
        assert!(o.status.success(), "{}", stderr(&o));
        String::from_utf8(o.stdout)
            .unwrap()
            .lines()
            .skip(1)
            .map(|l| {
                let cells: Vec<&str> = l.split(',').collect();
                (cells[1].parse().unwrap(), cells[2].parse().unwrap())
            })
            .collect()
    };
    let (api, admin, all) = (csv("api"), csv("admin"), csv("all"));
    assert_eq!(api.len(), 60);
    assert!(api.iter().all(|r| r.0 == 3.0) && admin.iter().all(|r| r.0 == 0.5));
    for m in 0..60 {
        assert_eq!(all[m], (api[m].0 + admin[m].0, api[m].1 + admin[m].1), "minute {m}");
    }
    // Each service draws its own stream: the admin's arrivals are not the api's thinned.
    assert_ne!(api.iter().map(|r| r.1).collect::<Vec<_>>(), admin.iter().map(|r| r.1).collect::<Vec<_>>());
}

/// Shell completions and the manual page come from the same definitions as --help.
#[test]
fn completions_and_man_page_cover_every_command() {
    let dir = tempfile::tempdir().unwrap();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = crossover(&["completions", shell], dir.path());
        assert!(o.status.success(), "{shell}: {}", stderr(&o));
        let script = String::from_utf8(o.stdout).unwrap();
        for command in ["run", "sweep", "validate", "init", "template"] {
            assert!(script.contains(command), "{shell} completes {command}");
        }
    }
    assert_eq!(crossover(&["completions", "tcsh"], dir.path()).status.code(), Some(2));
    let o = crossover(&["man"], dir.path());
    assert!(o.status.success());
    let page = String::from_utf8(o.stdout).unwrap();
    assert!(page.starts_with(".ie") || page.contains(".TH crossover"), "{}", &page[..200]);
    for command in ["run", "sweep", "traffic", "completions"] {
        assert!(page.contains(&format!("crossover\\-{command}")), "man page lists {command}");
    }
    // Help has examples.
    let help = String::from_utf8(crossover(&["run", "--help"], dir.path()).stdout).unwrap();
    assert!(help.contains("Examples:") && help.contains("crossover run scenarios/kubernetes.toml"), "{help}");
}
