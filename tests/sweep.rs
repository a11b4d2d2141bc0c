//! Sweeps end to end: crossings against closed-form costs, refinement, adaptive
//! replications and the coverage of their intervals, common random numbers across
//! points, and sharded runs merged byte for byte.

mod common;
use common::{crossover, stderr};

use crossover_engine::mean_ci95;
use crossover_platform::CostModel;
use crossover_runner::sweep::{self, Metric, Plan, SweepOptions, SweepResult, Tolerance, Vary};
use crossover_scenario::{Override, Scenario};

/// A 730-hour month in seconds.
const MONTH_SECS: f64 = 730.0 * 3600.0;

fn parse(source: &str, overrides: &[Override]) -> Result<Scenario, String> {
    crossover_scenario::parse_with_overrides(source, "test.toml", "test", overrides)
        .map_err(|e| e.to_string())
}

fn sweep_of(source: &str, varies: &[&str], opts: &SweepOptions) -> SweepResult {
    let dims: Vec<Vary> = varies.iter().map(|v| Vary::parse(v).unwrap()).collect();
    let build = |o: &[Override]| parse(source, o);
    let plan = Plan::new(dims, build).unwrap_or_else(|e| panic!("{e:?}"));
    let slo = plan.points[0].scenario.slo_p99.map(|d| d.as_secs_f64() * 1e3);
    sweep::run_sweep(&plan, slo, opts, &build, &mut |_| {}).expect("conservation holds")
}

/// A fleet billed per second against a platform billed per request only: costs are
/// linear in the request rate, so the crossing is known in closed form.
fn two_tariffs(per_million: f64, instances: u32, vcpu_second: f64) -> String {
    format!(
        r#"
[simulation]
horizon = "5m"
replications = 6
seed = 11
[traffic]
profile = "constant"
rps = 5.0
[service]
cpu = {{ dist = "exponential", mean = "1ms" }}
[[platform]]
name = "per-request"
autoscaler = {{ kind = "fixed", instances = 4 }}
instance = {{ concurrency = 100 }}
billing = {{ per_million_requests = {per_million} }}
[[platform]]
name = "always-on"
autoscaler = {{ kind = "fixed", instances = {instances} }}
instance = {{ cpu = 1, memory = "1GiB", concurrency = 100 }}
billing = {{ vcpu_second = {vcpu_second}, load_balancer_monthly = 20.0, ops_fte = 0.01 }}
"#
    )
}

#[test]
fn refined_crossings_match_the_closed_form_within_the_tolerance() {
    // (USD per million requests, instances, USD per vCPU-second)
    let cases = [(5.0, 2, 0.00001), (2.0, 3, 0.00002), (20.0, 1, 0.00004)];
    let tol = 0.005;
    for (per_million, instances, vcpu) in cases {
        let source = two_tariffs(per_million, instances, vcpu);
        let fleet = instances as f64 * vcpu * MONTH_SECS;
        let per_rps = MONTH_SECS * per_million / 1e6;
        let opts =
            SweepOptions { refine: Some(Tolerance::Relative(tol)), threads: Some(2), ..Default::default() };
        let r = sweep_of(&source, &["traffic.rps=0.5..200:log:4"], &opts);
        for model in CostModel::ALL {
            // The fixed fees are on the fleet's side: the load balancer from "overhead"
            // on, the people in TCO.
            let fees = match model {
                CostModel::Infrastructure => 0.0,
                CostModel::Overhead => 20.0,
                CostModel::Tco => 20.0 + 0.01 * 180_000.0 / 12.0,
            };
            let analytic = (fleet + fees) / per_rps;
            let found: Vec<_> = r.crossings.iter().filter(|c| c.metric == Metric::Cost(model)).collect();
            assert_eq!(found.len(), 1, "{per_million} {model:?}: {found:?}");
            let c = found[0];
            let (lo, hi) = c.ci.unwrap();
            let what =
                format!("case {per_million}/{instances}/{vcpu} {model:?}: analytic {analytic}, found {c:?}");
            eprintln!("{per_million}/{instances}/{vcpu} {model:?}: analytic {analytic:.4}, found {:.4} [{lo:.4}, {hi:.4}]", c.x);
            assert!(c.bracket.1 - c.bracket.0 <= tol * c.bracket.1, "{what}");
            assert!(c.refinements > 0, "{what}");
            assert!(lo <= analytic && analytic <= hi, "{what}");
            assert!((c.x - analytic).abs() <= tol * analytic + (hi - lo) / 2.0, "{what}");
            assert_eq!((c.below.as_str(), c.above.as_str()), ("per-request", "always-on"), "{what}");
        }
    }
}

#[test]
fn without_refinement_the_grid_brackets_the_crossing() {
    let source = two_tariffs(5.0, 2, 0.00001);
    let analytic = 2.0 * 0.00001 * MONTH_SECS / (MONTH_SECS * 5.0 / 1e6);
    let r = sweep_of(
        &source,
        &["traffic.rps=1,2,3,5,8,13"],
        &SweepOptions { threads: Some(2), ..Default::default() },
    );
    let c = r.crossings.iter().find(|c| c.metric == Metric::Cost(CostModel::Infrastructure)).unwrap();
    assert_eq!(c.bracket, (3.0, 5.0));
    assert!(c.bracket.0 < analytic && analytic < c.bracket.1);
    // Linear interpolation of linear costs: exact but for the noise.
    let (lo, hi) = c.ci.unwrap();
    assert!(lo <= analytic && analytic <= hi, "{analytic} {c:?}");
    assert_eq!(c.refinements, 0);
    assert_eq!(r.points.len(), 6);
}

/// An M/M/c-like fleet: more instances lower the p99 until it meets the SLO.
const SLO_FLEET: &str = r#"
[simulation]
horizon = "20m"
replications = 4
slo_p99 = "300ms"
[traffic]
profile = "constant"
rps = 30.0
[service]
cpu = { dist = "exponential", mean = "50ms" }
[[platform]]
name = "fleet"
autoscaler = { kind = "fixed", instances = 2 }
max_instances = 100
router = { kind = "central-queue", timeout = "1h" }
billing = { vcpu_second = 0.00001 }
"#;

#[test]
fn the_p99_slo_crossing_and_the_frontier() {
    let r = sweep_of(SLO_FLEET, &["platform.fleet.autoscaler.instances=2..6:5"], &SweepOptions::default());
    let slo: Vec<_> = r.crossings.iter().filter(|c| c.metric == Metric::SloP99).collect();
    assert_eq!(slo.len(), 1, "{slo:?}");
    let c = slo[0];
    assert_eq!((c.below.as_str(), c.above.as_str()), ("misses", "meets"));
    assert_eq!(c.bracket.1 - c.bracket.0, 1.0);
    // Instances are whole: the crossing is the first whole value past it, the upper
    // neighbour, and its interval has whole ends.
    assert_eq!(c.x, c.bracket.1);
    let (lo, hi) = c.ci.unwrap();
    assert_eq!((lo.fract(), hi.fract()), (0.0, 0.0), "{lo} .. {hi}");
    assert!(lo <= c.x && c.x <= hi);
    // Above the crossing every point meets the SLO and below none does.
    for p in &r.points {
        let x = r.dims[0].values[p.coords[0]].x.unwrap();
        let p99 = p.platforms[0].p99().mean;
        assert_eq!(p99 <= 300.0, x >= c.bracket.1, "{x}: {p99}");
    }
    // More instances cost more and wait less (the queue waits an hour, so nothing fails
    // and every point is eligible): the frontier starts at the cheapest point and each
    // step buys a lower p99.
    let infra: Vec<_> = r.frontier.iter().filter(|e| e.cost_model == CostModel::Infrastructure).collect();
    assert_eq!(infra[0].point, 0);
    assert!(infra.len() >= 3, "{infra:?}");
    assert!(infra.windows(2).all(|w| w[0].cost.mean < w[1].cost.mean && w[0].p99_ms > w[1].p99_ms));
}

/// Billed per request only, at a constant rate: the true mean monthly cost is
/// rate x month x price. Twenty one-request instances at a load of 0.2 in all: no
/// request waits, so every p99 is the 10 ms of work and only the cost is random.
fn poisson_cost(seed: u64) -> String {
    format!(
        r#"
[simulation]
horizon = "1m"
replications = 5
seed = {seed}
[traffic]
profile = "constant"
rps = 20.0
[service]
cpu = "10ms"
[[platform]]
name = "per-request"
autoscaler = {{ kind = "fixed", instances = 20 }}
billing = {{ per_million_requests = 1.0 }}
"#
    )
}

/// Smallest k with P(Binomial(n, p) < k) <= alpha.
fn binomial_lower_bound(n: u64, p: f64, alpha: f64) -> u64 {
    let mut cdf = 0.0;
    for k in 0..=n {
        let log_pmf = ln_choose(n, k) + k as f64 * p.ln() + (n - k) as f64 * (1.0 - p).ln();
        if cdf + log_pmf.exp() > alpha {
            return k;
        }
        cdf += log_pmf.exp();
    }
    n
}

fn ln_choose(n: u64, k: u64) -> f64 {
    (1..=k).map(|i| ((n - k + i) as f64).ln() - (i as f64).ln()).sum()
}

#[test]
fn adaptive_replications_stop_within_the_target_and_their_intervals_cover_the_truth() {
    let truth = 20.0 * MONTH_SECS * 1.0 / 1e6;
    let target = 0.02;
    let seeds = 100;
    let mut covered = 0;
    let mut reps = Vec::new();
    for seed in 1..=seeds {
        let opts = SweepOptions {
            ci_target: Some(target),
            max_replications: 60,
            threads: Some(2),
            ..Default::default()
        };
        let r = sweep_of(&poisson_cost(seed), &["traffic.rps=20"], &opts);
        let p = &r.points[0].platforms[0];
        let cost = p.cost_month();
        let n = p.replications.len();
        assert!(cost.half_width <= target * cost.mean || n == 60, "seed {seed}: {cost:?} after {n}");
        // Batches of the starting count: 5, 10, 15, ...
        assert_eq!(n % 5, 0, "seed {seed}");
        reps.push(n as f64);
        if cost.contains(truth) {
            covered += 1;
        }
    }
    let needed = binomial_lower_bound(seeds, 0.95, 0.001);
    let mean_reps = mean_ci95(&reps).mean;
    eprintln!("coverage {covered}/{seeds} (needed {needed}), mean replications {mean_reps}");
    assert!(covered >= needed, "{covered} of {seeds} intervals cover the truth; at least {needed} expected");
    // sd of a replication's count is sqrt(1200) = 2.9% of the mean, so about
    // (1.96 * 2.9 / 2)^2 = 8 replications, rounded up to a batch: 10.
    assert!((5.0..=20.0).contains(&mean_reps), "{mean_reps}");
}

#[test]
fn common_random_numbers_make_neighbouring_points_differ_by_little_noise() {
    let run = |seed: u64| {
        sweep_of(
            &poisson_cost(seed).replace("replications = 5", "replications = 40"),
            &["traffic.rps=20,21"],
            &SweepOptions::default(),
        )
    };
    let cost = |r: &SweepResult, point: usize| -> Vec<f64> {
        r.points[point].platforms[0].replications.iter().map(|m| m.cost.infrastructure()).collect()
    };
    let same = run(1);
    let other = run(2);
    let var = |xs: Vec<f64>| {
        let m = xs.iter().sum::<f64>() / xs.len() as f64;
        xs.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (xs.len() - 1) as f64
    };
    let crn = var(cost(&same, 1).iter().zip(cost(&same, 0)).map(|(b, a)| b - a).collect());
    let independent = var(cost(&other, 1).iter().zip(cost(&same, 0)).map(|(b, a)| b - a).collect());
    // Independent counts: var = 20 + 21 request-rates' worth; shared streams leave about
    // the 1 extra request per second's worth: a ratio near 1/41.
    eprintln!("variance of the difference: CRN {crn:.6}, independent {independent:.6}");
    assert!(crn < 0.15 * independent, "CRN {crn} vs independent {independent}");
    assert!(crn > 0.0);
}

// ---- the binary ----

const FILES: [&str; 4] = ["sweep.csv", "crossovers.csv", "frontier.csv", "scenario.resolved.toml"];

#[test]
fn sharded_runs_merged_equal_the_unsharded_run_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), SLO_FLEET.replace("rps = 30.0", "rps = 20.0")).unwrap();
    let base = [
        "sweep",
        "s.toml",
        "--vary",
        "platform.fleet.autoscaler.instances=2,3,5",
        "--vary",
        "traffic.rps=10..20:3",
        "-n",
        "3",
    ];
    let with = |extra: &[&str]| -> Vec<String> { base.iter().chain(extra).map(|s| s.to_string()).collect() };
    let run = |args: Vec<String>| {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let o = crossover(&args, dir.path());
        assert!(o.status.success(), "{args:?}: {}", stderr(&o));
        o
    };
    run(with(&["--out", "whole", "--threads", "1"]));
    // 9 points x 3 replications = 27 units over 4 shards, each with another thread count.
    for k in 0..4 {
        let threads = (1 + k % 2).to_string();
        run(with(&["--shard", &format!("{k}/4"), "--out", "shards", "--threads", &threads]));
    }
    let o = crossover(&["merge", "shards", "--out", "merged"], dir.path());
    assert!(o.status.success(), "{}", stderr(&o));
    for f in FILES {
        let a = std::fs::read(dir.path().join("whole").join(f)).unwrap();
        let b = std::fs::read(dir.path().join("merged").join(f)).unwrap();
        assert!(
            a == b,
            "{f} differs:\n{}\n---\n{}",
            String::from_utf8_lossy(&a),
            String::from_utf8_lossy(&b)
        );
    }
    let sweep_csv = std::fs::read_to_string(dir.path().join("whole/sweep.csv")).unwrap();
    assert!(
        sweep_csv.starts_with("point,platform.fleet.autoscaler.instances,traffic.rps,platform,replications,")
    );
    assert_eq!(sweep_csv.lines().count(), 1 + 9);
    // A missing shard, or one of another sweep, is refused.
    std::fs::remove_file(dir.path().join("shards/shard-2-of-4.txt")).unwrap();
    let o = crossover(&["merge", "shards", "--out", "merged2"], dir.path());
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("shard(s) 2 of 4 missing"), "{}", stderr(&o));
    run(with(&["--shard", "2/4", "--out", "other", "--seed", "9"]));
    let o = crossover(&["merge", "shards", "other", "--out", "merged3"], dir.path());
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
}

#[test]
fn a_bad_vary_is_bad_input_naming_the_vary() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), SLO_FLEET).unwrap();
    let cases: &[(&[&str], &str)] = &[
        (&["--vary", "traffic.rps"], "--vary traffic.rps: expected PATH=SPEC"),
        (&["--vary", "traffic.rps=5..1:3"], "must increase"),
        (&["--vary", "traffic.rps=1..5:log:x"], "not a count"),
        (&["--vary", "traffic.rpss=1,2"], "--vary traffic.rpss=1,2 (value 1)"),
        (&["--vary", "platform.fleet.autoscaler.instances=0..2:3"], "(value 0)"),
        (&["--vary", "platform.fleet.autoscaler.instances=1..2:3"], "(value 1.5)"),
        (&["--vary", "traffic.rps=1,2", "--vary", "traffic.rps=3,4"], "already varied"),
        (&["--vary", "traffic.rps=1,2", "--shard", "0/2", "--refine"], "--refine and --ci-target"),
        (&["--vary", "traffic.rps=1,2", "--shard", "2/2"], "--shard"),
        (&["--vary", "traffic.rps=1,2", "--ci-target", "0"], "--ci-target"),
        (&["--vary", "traffic.rps=1,2", "--refine", "--tolerance", "0%"], "--tolerance"),
        (&["--vary", "traffic.rps=1..1000:1000", "--vary", "service.cpu.mean=1ms..10ms:10"], "at most"),
        (&["--vary", "traffic.rps=1,2", "--platform", "nope"], "no platform named"),
    ];
    for (extra, want) in cases {
        let args: Vec<&str> = ["sweep", "s.toml"].iter().chain(extra.iter()).copied().collect();
        let o = crossover(&args, dir.path());
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(want), "{args:?}: {}", stderr(&o));
        assert!(!dir.path().join("output").exists(), "{args:?} wrote output");
    }
}

/// A sweep is guarded like a run: work beyond the limits is refused (exit 2, nothing
/// written) unless --yes, with the estimate; --quiet leaves stderr empty on success.
#[test]
fn a_sweep_is_estimated_guarded_and_quiet_on_request() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), SLO_FLEET.replace("rps = 30.0", "rps = 20.0")).unwrap();
    let huge = crossover(
        &["sweep", "s.toml", "--vary", "traffic.rps=1e5..1e6:4", "-n", "1000", "--out", "big"],
        dir.path(),
    );
    assert_eq!(huge.status.code(), Some(2), "{}", stderr(&huge));
    let text = stderr(&huge);
    assert!(text.contains("the sweep is about") && text.contains("--yes"), "{text}");
    assert!(!dir.path().join("big").exists(), "nothing written");
    let quiet = crossover(
        &[
            "sweep",
            "s.toml",
            "--vary",
            "platform.fleet.autoscaler.instances=2,3",
            "-n",
            "2",
            "--quiet",
            "--out",
            "q",
        ],
        dir.path(),
    );
    assert!(quiet.status.success(), "{}", stderr(&quiet));
    assert_eq!(stderr(&quiet), "", "--quiet prints nothing on stderr");
    assert!(dir.path().join("q/sweep.csv").exists());
}

/// The sweep's report says on which side of each crossing which platform is cheaper (or
/// whether the SLO is met), with the crossing's interval; an integer key's crossing is a
/// whole value (the fleet meets its SLO from some whole number of instances on).
#[test]
fn the_sweep_report_says_which_side_wins_and_integer_keys_cross_at_whole_values() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("s.toml"), SLO_FLEET).unwrap();
    let o = crossover(
        &["sweep", "s.toml", "--vary", "platform.fleet.autoscaler.instances=2..6:5", "-n", "3", "--out", "r"],
        dir.path(),
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let csv = std::fs::read_to_string(dir.path().join("r/crossovers.csv")).unwrap();
    let slo = csv.lines().find(|l| l.starts_with("p99_slo")).unwrap_or_else(|| panic!("{csv}"));
    let crossing: f64 = slo.split(',').nth(6).unwrap().parse().unwrap();
    assert_eq!(crossing.fract(), 0.0, "{slo}");
    let html = std::fs::read_to_string(dir.path().join("r/report.html")).unwrap();
    assert!(html.contains("It misses the SLO below and meets it above."), "no sides in the verdict");
    assert!(html.contains("(95% "), "no interval in the verdict");
    assert!(html.contains("<th>below</th><th>above</th>"));
}

/// A sweep varies a key of one service of a stack through the same override path as
/// `--set` (`service.NAME.key`), leaving the other services as written.
#[test]
fn a_sweep_varies_one_service_of_a_stack_by_name() {
    let stack = r#"[[service]]
name = "api"
cpu = "20ms"
traffic = { profile = "diurnal", trough_rps = 1.0, peak_rps = 25.0 }
[[service]]
name = "admin"
cpu = "40ms"
traffic = { profile = "constant", rps = 0.2 }
[[platform]]
name = "fleet"
autoscaler = { kind = "fixed", instances = 2 }
[platform.services.admin]
autoscaler = { kind = "fixed", instances = 1 }
"#;
    let dims = vec![
        Vary::parse("service.api.traffic.peak_rps=10..40:4").unwrap(),
        Vary::parse("platform.fleet.services.admin.autoscaler.instances=1,3").unwrap(),
    ];
    let plan = Plan::new(dims, |o: &[Override]| parse(stack, o)).unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(plan.points.len(), 8);
    let peak = |s: &Scenario, i: usize| match &s.services[i].traffic.source {
        crossover_workload::Source::Pattern(p) => p.max_over(0, 7 * 24 * 3_600_000_000_000),
        other => panic!("{other:?}"),
    };
    for (k, point) in plan.points.iter().enumerate() {
        let s = &point.scenario;
        assert_eq!(peak(s, 0), [10.0, 20.0, 30.0, 40.0][k / 2], "point {k}");
        assert_eq!(peak(s, 1), 0.2, "point {k}");
        let instances = |i: usize| match s.platforms[0].services[i].autoscaler {
            crossover_platform::AutoscalerSpec::Fixed { instances } => instances,
            ref other => panic!("{other:?}"),
        };
        assert_eq!((instances(0), instances(1)), (2, [1, 3][k % 2]), "point {k}");
    }
    let e =
        Plan::new(vec![Vary::parse("service.apx.cpu=10ms,20ms").unwrap()], |o: &[Override]| parse(stack, o))
            .unwrap_err();
    assert!(e[0].contains("no service named `apx`") && e[0].contains("did you mean `service.api`?"), "{e:?}");
}
