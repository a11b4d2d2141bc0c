//! Sweeps: the full Monte Carlo at every point of a grid of scenario variants, the
//! crossings of cost and p99 curves along each swept dimension, and the cost-versus-p99
//! Pareto frontier.
//!
//! A point is the base scenario with one value of every `--vary` applied as an override,
//! parsed and validated like `--set`. Every point runs with the base seed and the same
//! replication indices, and a replication draws its arrivals and demand from streams
//! keyed by (seed, replication, purpose) only, so replication r sees the same random
//! numbers at every point and on every platform (common random numbers): differences
//! between neighbouring points are differences of the point, not of luck.
//!
//! Results are deterministic: jobs are (point, replication, platform) triples, each a
//! pure function of its indices, gathered in index order, whatever the thread count.
//! [`shard`] splits the same jobs between machines and merges them back exactly.

pub mod checkpoint;
pub mod crossover;
pub mod frontier;
pub mod shard;
pub mod spec;

pub use spec::{Scale, SweepValue, Vary, VaryError};

use crate::{thread_pool, ConservationError, Latencies, PlatformSummary, ReplicationMetrics, RunError};
use crossover_engine::MeanCi;
use crossover_platform::CostModel;
use crossover_scenario::{Override, Scenario};
use frontier::Candidate;
use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How many jobs run between merges; bounds the number of live histograms.
const CHUNK: usize = 64;

/// Fewest replications an adaptive point starts from: a 95% interval from fewer is too
/// unreliable to stop on.
pub const MIN_ADAPTIVE_REPLICATIONS: u32 = 5;

/// A grid point: one value index per dimension, and the scenario it makes.
#[derive(Clone, Debug)]
pub struct Point {
    pub coords: Vec<usize>,
    pub scenario: Scenario,
}

/// The dimensions and every point of the grid, in row-major order (the last `--vary`
/// changes fastest).
#[derive(Clone, Debug)]
pub struct Plan {
    pub dims: Vec<Vary>,
    pub points: Vec<Point>,
}

/// Every combination of value indices, the last dimension fastest.
pub fn grid(dims: &[Vary]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for d in dims {
        out = out
            .into_iter()
            .flat_map(|c| {
                (0..d.values.len()).map(move |i| {
                    let mut c = c.clone();
                    c.push(i);
                    c
                })
            })
            .collect();
    }
    out
}

/// The overrides that make the point at `coords`.
pub fn overrides_at(dims: &[Vary], coords: &[usize]) -> Vec<Override> {
    dims.iter().zip(coords).map(|(d, &i)| d.override_for(&d.values[i])).collect()
}

/// Points a grid of `dims` has (saturating).
pub fn grid_size(dims: &[Vary]) -> usize {
    dims.iter().fold(1usize, |n, d| n.saturating_mul(d.values.len()))
}

impl Plan {
    /// Builds every point with `build` (the base scenario plus the given overrides).
    /// Fails with every distinct error of the points that do not build.
    pub fn new<E: fmt::Display>(
        dims: Vec<Vary>,
        build: impl Fn(&[Override]) -> Result<Scenario, E>,
    ) -> Result<Plan, Vec<String>> {
        let mut points = Vec::new();
        let mut errors: Vec<String> = Vec::new();
        for coords in grid(&dims) {
            match build(&overrides_at(&dims, &coords)) {
                Ok(scenario) => points.push(Point { coords, scenario }),
                Err(e) => {
                    let e = e.to_string();
                    if !errors.contains(&e) {
                        errors.push(e);
                    }
                }
            }
        }
        if errors.is_empty() {
            Ok(Plan { dims, points })
        } else {
            Err(errors)
        }
    }

    /// Index of the point at `coords`.
    pub fn index(&self, coords: &[usize]) -> usize {
        index_of(&self.dims, coords)
    }
}

fn index_of(dims: &[Vary], coords: &[usize]) -> usize {
    dims.iter().zip(coords).fold(0, |acc, (d, &i)| acc * d.values.len() + i)
}

/// `--tolerance`: how narrow refinement makes the bracket around a crossing.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Tolerance {
    /// A fraction of the crossing value (`1%`).
    Relative(f64),
    /// In the swept key's own unit (`0.5`).
    Absolute(f64),
}

impl Tolerance {
    pub fn parse(text: &str) -> Result<Tolerance, String> {
        let t = text.trim();
        let (num, rel) = match t.strip_suffix('%') {
            Some(n) => (n, true),
            None => (t, false),
        };
        let x: f64 = num.trim().parse().map_err(|_| format!("`{text}` is not a number or a percentage"))?;
        if !x.is_finite() || x <= 0.0 {
            return Err(format!("must be above 0, got `{text}`"));
        }
        Ok(if rel { Tolerance::Relative(x / 100.0) } else { Tolerance::Absolute(x) })
    }

    fn reached(&self, lo: f64, hi: f64) -> bool {
        let width = (hi - lo).abs();
        match *self {
            Tolerance::Relative(f) => width <= f * lo.abs().max(hi.abs()),
            Tolerance::Absolute(a) => width <= a,
        }
    }
}

impl fmt::Display for Tolerance {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tolerance::Relative(x) => write!(f, "{}%", x * 100.0),
            Tolerance::Absolute(x) => write!(f, "{x}"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct SweepOptions {
    /// Worker threads; `None` uses every core. Results do not depend on it.
    pub threads: Option<usize>,
    /// Adaptive replications: add replications to a point until the 95% half-width of
    /// every platform's cost and p99 is within this fraction of the mean.
    pub ci_target: Option<f64>,
    /// The most replications an adaptive point gets.
    pub max_replications: u32,
    /// Refine every crossing by bisection to this tolerance.
    pub refine: Option<Tolerance>,
    /// Set from outside (Ctrl-C) to stop: the simulations under way are dropped and
    /// [`run_sweep`] returns [`RunError::SweepInterrupted`] with the completed ones.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Simulations of an interrupted run of the same sweep, taken instead of run again.
    pub resume: Option<Arc<checkpoint::Memo>>,
    /// Called as simulations complete: (done, total) of the round under way (the first
    /// round runs every point; adaptive replications add rounds).
    pub progress: Option<crate::Progress>,
}

impl Default for SweepOptions {
    fn default() -> Self {
        SweepOptions {
            threads: None,
            ci_target: None,
            max_replications: 200,
            refine: None,
            cancel: None,
            resume: None,
            progress: None,
        }
    }
}

/// One grid point's results.
#[derive(Clone, Debug)]
pub struct PointResult {
    pub coords: Vec<usize>,
    pub platforms: Vec<PlatformSummary>,
}

/// What a crossing is of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Metric {
    /// Two platforms' monthly cost under a cost model.
    Cost(CostModel),
    /// One platform's p99 against `simulation.slo_p99`.
    SloP99,
}

/// A crossing along one dimension, the other dimensions held at one value each.
#[derive(Clone, Debug, PartialEq)]
pub struct Crossing {
    pub metric: Metric,
    pub dimension: usize,
    /// Value index of every dimension (the crossing's own dimension's entry is unused).
    pub held: Vec<usize>,
    pub platform_a: String,
    /// The other platform (cost crossings only).
    pub platform_b: Option<String>,
    pub x: f64,
    pub ci: Option<(f64, f64)>,
    /// Cost: the cheaper platform below / above the crossing. SLO: `meets` or `misses`.
    pub below: String,
    pub above: String,
    /// The two evaluated values around the crossing.
    pub bracket: (f64, f64),
    /// Bisection steps taken (0 without `--refine`).
    pub refinements: usize,
    pub replications: usize,
}

/// One Pareto-optimal configuration under a cost model.
#[derive(Clone, Debug, PartialEq)]
pub struct FrontierEntry {
    pub cost_model: CostModel,
    pub point: usize,
    pub platform: usize,
    pub cost: MeanCi,
    /// Pooled p99 of all replications (as in `summary.csv`).
    pub p99_ms: f64,
    pub p99_ci95: f64,
    pub failed_fraction: f64,
}

#[derive(Clone, Debug)]
pub struct SweepResult {
    pub scenario: String,
    pub dims: Vec<Vary>,
    pub slo_ms: Option<f64>,
    pub points: Vec<PointResult>,
    pub crossings: Vec<Crossing>,
    pub frontier: Vec<FrontierEntry>,
    /// Things the user should know (a refinement that could not be evaluated).
    pub notes: Vec<String>,
}

impl SweepResult {
    /// Requests simulated over the grid (refinement points excluded).
    pub fn simulated_requests(&self) -> u64 {
        self.points.iter().flat_map(|p| &p.platforms).map(|s| s.totals().arrived).sum()
    }
}

/// One (point, replication, platform) simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Job {
    pub point: usize,
    pub replication: u32,
    pub platform: usize,
}

/// Runs `jobs` in parallel, in chunks, and hands each result to `sink` in job order.
/// Conservation is checked for every replication, of the stack and of each service.
pub fn execute(
    pool: &rayon::ThreadPool,
    scenarios: &[&Scenario],
    jobs: &[Job],
    sink: impl FnMut(Job, ReplicationMetrics, Latencies),
) -> Result<(), ConservationError> {
    execute_resumable(pool, scenarios, jobs, None, None, sink).map(|_| ())
}

/// [`execute`], taking the jobs `memo` holds from it instead of simulating them, and
/// stopping once `cancel` is set (the simulations under way are dropped, the chunk's
/// completed ones still reach `sink` in order up to the first missing one). Returns
/// whether every job was done.
pub fn execute_resumable(
    pool: &rayon::ThreadPool,
    scenarios: &[&Scenario],
    jobs: &[Job],
    memo: Option<&checkpoint::Memo>,
    cancel: Option<&AtomicBool>,
    mut sink: impl FnMut(Job, ReplicationMetrics, Latencies),
) -> Result<bool, ConservationError> {
    let cancelled = || cancel.is_some_and(|c| c.load(Ordering::Relaxed));
    for chunk in jobs.chunks(CHUNK) {
        if cancelled() {
            return Ok(false);
        }
        let done: Vec<Option<(ReplicationMetrics, Latencies)>> = pool.install(|| {
            chunk
                .par_iter()
                .map(|j| {
                    if let Some(saved) = memo.and_then(|m| m.get(*j)) {
                        return Some(saved.clone());
                    }
                    if cancelled() {
                        return None;
                    }
                    let s = scenarios[j.point];
                    crate::replicate_unless(s, s.seed, j.replication, j.platform, cancel)
                })
                .collect()
        });
        let complete = done.iter().all(Option::is_some);
        // In job order up to the first missing one: what reached `sink` is a prefix.
        for (job, result) in chunk.iter().zip(done) {
            let Some((metrics, latency)) = result else { return Ok(false) };
            let s = scenarios[job.point];
            let stack = &s.platforms[job.platform];
            crate::checks::conservation(&stack.name, &s.loads(stack), &metrics)?;
            sink(*job, metrics, latency);
        }
        if !complete {
            return Ok(false);
        }
    }
    Ok(true)
}

fn empty_summaries(s: &Scenario) -> Vec<PlatformSummary> {
    s.platforms.iter().map(|p| PlatformSummary::new(&p.name, &s.loads(p))).collect()
}

/// Jobs for replications `from..to` of `point`, platforms in scenario order.
fn jobs_for(point: usize, s: &Scenario, from: u32, to: u32) -> impl Iterator<Item = Job> + '_ {
    (from..to).flat_map(move |replication| {
        (0..s.platforms.len()).map(move |platform| Job { point, replication, platform })
    })
}

fn relative_ok(ci: MeanCi, target: f64) -> bool {
    if ci.half_width == 0.0 {
        return true;
    }
    ci.mean != 0.0 && ci.half_width / ci.mean.abs() <= target
}

/// Whether every platform of a point has its cost and p99 within `target`.
pub fn within_target(platforms: &[PlatformSummary], target: f64) -> bool {
    platforms.iter().all(|p| relative_ok(p.cost_month(), target) && relative_ok(p.p99(), target))
}

/// Runs the sweep: every point (adaptively with `ci_target`), then the crossings
/// (refined with `refine`, building new points with `build`) and the frontier.
/// `progress` receives a line of text now and then.
pub fn run_sweep(
    plan: &Plan,
    slo_ms: Option<f64>,
    opts: &SweepOptions,
    build: &dyn Fn(&[Override]) -> Result<Scenario, String>,
    progress: &mut dyn FnMut(String),
) -> Result<SweepResult, RunError> {
    // Adaptive rounds vary in size, so only the thread cap applies here.
    let pool = thread_pool(opts.threads, usize::MAX).map_err(RunError::Threads)?;
    {
        let scenarios: Vec<&Scenario> = plan.points.iter().map(|p| &p.scenario).collect();
        let mut results: Vec<Vec<PlatformSummary>> = scenarios.iter().map(|s| empty_summaries(s)).collect();
        let mut done: Vec<u32> = vec![0; scenarios.len()];
        let mut wanted: Vec<u32> = scenarios
            .iter()
            .map(|s| match opts.ci_target {
                Some(_) => s.replications.max(MIN_ADAPTIVE_REPLICATIONS).min(opts.max_replications.max(1)),
                None => s.replications,
            })
            .collect();
        let batch = wanted.clone();
        let mut round = 0;
        // Every completed simulation as a `rec` line, for the checkpoint an interrupt
        // writes (kept only when the sweep can be interrupted).
        let mut records: Vec<String> = Vec::new();
        loop {
            let jobs: Vec<Job> =
                scenarios.iter().enumerate().flat_map(|(i, s)| jobs_for(i, s, done[i], wanted[i])).collect();
            if jobs.is_empty() {
                break;
            }
            let points_running = (0..scenarios.len()).filter(|&i| wanted[i] > done[i]).count();
            progress(format!(
                "{} {points_running} point(s): {} simulation(s)",
                if round == 0 { "running" } else { "adding replications to" },
                jobs.len()
            ));
            let memo = opts.resume.as_deref();
            let mut completed = 0;
            let complete = execute_resumable(
                &pool,
                &scenarios,
                &jobs,
                memo,
                opts.cancel.as_deref(),
                |job, metrics, latency| {
                    completed += 1;
                    if let Some(p) = &opts.progress {
                        (p.0)(completed, jobs.len());
                    }
                    if opts.cancel.is_some() {
                        records.push(shard::record_line(job, &metrics, &latency));
                    }
                    let summary = &mut results[job.point][job.platform];
                    summary.merge_latencies(&latency);
                    summary.replications.push(metrics);
                },
            )?;
            if !complete {
                return Err(RunError::SweepInterrupted { records });
            }
            done.copy_from_slice(&wanted);
            let Some(target) = opts.ci_target else { break };
            for i in 0..scenarios.len() {
                if done[i] < opts.max_replications && !within_target(&results[i], target) {
                    wanted[i] = (done[i] + batch[i]).min(opts.max_replications);
                }
            }
            round += 1;
        }
        let points: Vec<PointResult> = plan
            .points
            .iter()
            .zip(results)
            .map(|(p, platforms)| PointResult { coords: p.coords.clone(), platforms })
            .collect();
        let refiner =
            opts.refine.map(|tolerance| Refiner { tolerance, build, pool: &pool, cache: HashMap::new() });
        let name = plan.points.first().map_or("", |p| p.scenario.name.as_str());
        Ok(analyse(name, plan.dims.clone(), slo_ms, points, refiner, progress))
    }
}

/// Per-replication metrics of every platform at one point, by name.
#[derive(Clone, Debug)]
struct PointReps {
    names: Vec<String>,
    reps: Vec<Vec<ReplicationMetrics>>,
}

impl PointReps {
    fn of(platforms: &[PlatformSummary]) -> PointReps {
        PointReps {
            names: platforms.iter().map(|p| p.platform.clone()).collect(),
            reps: platforms.iter().map(|p| p.replications.clone()).collect(),
        }
    }
    fn get(&self, name: &str) -> Option<&[ReplicationMetrics]> {
        self.names.iter().position(|n| n == name).map(|i| self.reps[i].as_slice())
    }
}

/// What a crossing compares, to draw its samples at any point.
#[derive(Clone, Debug)]
struct Curve {
    metric: Metric,
    a: String,
    b: Option<String>,
}

impl Curve {
    /// Per replication: cost of A minus cost of B, or p99 of A minus the SLO.
    fn samples(&self, p: &PointReps, slo_ms: f64) -> Option<Vec<f64>> {
        let a = p.get(&self.a)?;
        match (self.metric, &self.b) {
            (Metric::Cost(model), Some(b)) => {
                let b = p.get(b)?;
                Some(a.iter().zip(b).map(|(x, y)| x.cost.under(model) - y.cost.under(model)).collect())
            }
            (Metric::SloP99, _) => Some(a.iter().map(|x| x.p99_ms - slo_ms).collect()),
            _ => None,
        }
    }
}

struct Refiner<'a> {
    tolerance: Tolerance,
    build: &'a dyn Fn(&[Override]) -> Result<Scenario, String>,
    pool: &'a rayon::ThreadPool,
    /// Refinement points already simulated, by their overrides.
    cache: HashMap<String, PointReps>,
}

impl Refiner<'_> {
    /// The point `coords` with dimension `d` at value `v`, simulated with `replications`.
    fn evaluate(
        &mut self,
        dims: &[Vary],
        coords: &[usize],
        d: usize,
        v: &SweepValue,
        replications: u32,
    ) -> Result<&PointReps, String> {
        let mut ovs = overrides_at(dims, coords);
        ovs[d] = dims[d].override_for(v);
        let key = format!(
            "{}#{replications}",
            ovs.iter().map(|o| format!("{}={}", o.path, o.value)).collect::<Vec<_>>().join("\u{1f}")
        );
        if !self.cache.contains_key(&key) {
            let mut s = (self.build)(&ovs)?;
            s.replications = replications;
            let mut summaries = empty_summaries(&s);
            let jobs: Vec<Job> = jobs_for(0, &s, 0, replications).collect();
            execute(self.pool, &[&s], &jobs, |job, metrics, _| {
                summaries[job.platform].replications.push(metrics)
            })
            .map_err(|e| e.to_string())?;
            self.cache.insert(key.clone(), PointReps::of(&summaries));
        }
        Ok(&self.cache[&key])
    }
}

/// Crossings and the frontier of simulated grid points (refining crossings if asked).
fn analyse(
    scenario: &str,
    dims: Vec<Vary>,
    slo_ms: Option<f64>,
    points: Vec<PointResult>,
    mut refiner: Option<Refiner>,
    progress: &mut dyn FnMut(String),
) -> SweepResult {
    let reps: Vec<PointReps> = points.iter().map(|p| PointReps::of(&p.platforms)).collect();
    let names: Vec<String> =
        points.first().map(|p| p.platforms.iter().map(|s| s.platform.clone()).collect()).unwrap_or_default();
    let mut curves = Vec::new();
    for model in CostModel::ALL {
        for i in 0..names.len() {
            for j in i + 1..names.len() {
                curves.push(Curve {
                    metric: Metric::Cost(model),
                    a: names[i].clone(),
                    b: Some(names[j].clone()),
                });
            }
        }
    }
    if slo_ms.is_some() {
        for n in &names {
            curves.push(Curve { metric: Metric::SloP99, a: n.clone(), b: None });
        }
    }
    let slo = slo_ms.unwrap_or(0.0);
    let mut crossings = Vec::new();
    let mut notes = Vec::new();
    for (d, dim) in dims.iter().enumerate() {
        let Some(limits) = dim.range().filter(|_| dim.is_numeric() && dim.values.len() >= 2) else {
            continue;
        };
        for base in grid(&dims).into_iter().filter(|c| c[d] == 0) {
            let line: Vec<usize> = (0..dim.values.len())
                .map(|i| {
                    let mut c = base.clone();
                    c[d] = i;
                    index_of(&dims, &c)
                })
                .collect();
            for curve in &curves {
                let Some(samples) =
                    line.iter().map(|&p| curve.samples(&reps[p], slo)).collect::<Option<Vec<_>>>()
                else {
                    continue;
                };
                for seg in crossover::sign_changes(&samples) {
                    let i = seg.lower;
                    let mut lo = (dim.values[i].x.unwrap_or(0.0), samples[i].clone());
                    let mut hi = (dim.values[i + 1].x.unwrap_or(0.0), samples[i + 1].clone());
                    // Every bracket (coordinates and mean differences), the grid's first.
                    let bracket_of = |lo: &(f64, Vec<f64>), hi: &(f64, Vec<f64>)| {
                        let (u0, u1) = (dim.coordinate(lo.0), dim.coordinate(hi.0));
                        (u0, u1, crossover::mean(&lo.1), crossover::mean(&hi.1))
                    };
                    let mut brackets = vec![bracket_of(&lo, &hi)];
                    let mut steps = 0;
                    if let Some(r) = refiner.as_mut() {
                        let n = lo.1.len().max(hi.1.len()) as u32;
                        loop {
                            if r.tolerance.reached(lo.0, hi.0) || (dim.is_integer() && hi.0 - lo.0 <= 1.0) {
                                break;
                            }
                            let mid = if dim.is_integer() {
                                ((lo.0 + hi.0) / 2.0).floor()
                            } else {
                                dim.from_coordinate((dim.coordinate(lo.0) + dim.coordinate(hi.0)) / 2.0)
                            };
                            let v = dim.value_at(mid);
                            let xm = v.x.unwrap_or(mid);
                            if xm <= lo.0 || xm >= hi.0 {
                                break;
                            }
                            let at_mid = match r.evaluate(&dims, &base, d, &v, n) {
                                Ok(p) => curve.samples(p, slo),
                                Err(e) => {
                                    notes.push(format!("refining at {}={}: {e}", dim.path, v.text));
                                    None
                                }
                            };
                            let Some(s) = at_mid else { break };
                            steps += 1;
                            let positive = s.iter().sum::<f64>() / s.len().max(1) as f64 >= 0.0;
                            if positive == seg.positive_below {
                                lo = (xm, s);
                            } else {
                                hi = (xm, s);
                            }
                            brackets.push(bracket_of(&lo, &hi));
                            if steps == 1 || steps % 4 == 0 {
                                progress(format!(
                                    "refining a crossing along {}: [{}, {}]",
                                    dim.path, lo.0, hi.0
                                ));
                            }
                        }
                    }
                    // The slope of the mean difference over the bracket of four
                    // bisection steps earlier (16 times as wide as the last): wide
                    // enough that the requests between its ends are not mostly noise,
                    // narrow enough that a curved cost is nearly straight over it.
                    let (u0, u1, m0, m1) = brackets[brackets.len().saturating_sub(5)];
                    let slope = (m1 - m0) / (u1 - u0);
                    let located = crossover::locate(
                        dim.coordinate(lo.0),
                        dim.coordinate(hi.0),
                        &lo.1,
                        &hi.1,
                        slope,
                        |u| dim.from_coordinate(u),
                        limits,
                    );
                    // A whole-number key (instances, replicas) has no value between two
                    // neighbours: the crossing is the first whole value past it, and its
                    // interval is rounded outwards to whole values.
                    let located = if dim.is_integer() {
                        crossover::Located {
                            x: located.x.ceil().min(hi.0),
                            ci: located.ci.map(|(a, b)| (a.floor(), b.ceil())),
                            ..located
                        }
                    } else {
                        located
                    };
                    let (below, above) = sides(curve, seg.positive_below);
                    crossings.push(Crossing {
                        metric: curve.metric,
                        dimension: d,
                        held: base.clone(),
                        platform_a: curve.a.clone(),
                        platform_b: curve.b.clone(),
                        x: located.x,
                        ci: located.ci,
                        below,
                        above,
                        bracket: (lo.0, hi.0),
                        refinements: steps,
                        replications: located.replications,
                    });
                }
            }
        }
    }
    let frontier = frontier_of(&points);
    SweepResult { scenario: scenario.to_string(), dims, slo_ms, points, crossings, frontier, notes }
}

/// Which platform is cheaper (or whether the SLO is met) below and above a crossing.
fn sides(curve: &Curve, positive_below: bool) -> (String, String) {
    match &curve.b {
        // A - B >= 0 below: B is the cheaper one there.
        Some(b) if positive_below => (b.clone(), curve.a.clone()),
        Some(b) => (curve.a.clone(), b.clone()),
        // p99 - SLO >= 0 below: the SLO is missed below.
        None if positive_below => ("misses".into(), "meets".into()),
        None => ("meets".into(), "misses".into()),
    }
}

fn frontier_of(points: &[PointResult]) -> Vec<FrontierEntry> {
    let mut out = Vec::new();
    for model in CostModel::ALL {
        let candidates: Vec<Candidate> = points
            .iter()
            .enumerate()
            .flat_map(|(pi, p)| {
                p.platforms.iter().enumerate().map(move |(k, s)| {
                    let t = s.totals();
                    let failed = if t.arrived == 0 {
                        0.0
                    } else {
                        (t.rejected + t.timed_out) as f64 / t.arrived as f64
                    };
                    Candidate {
                        point: pi,
                        platform: k,
                        cost: s.cost_under(model).mean,
                        p99_ms: s.latency.quantile_ms(0.99),
                        failed_fraction: failed,
                    }
                })
            })
            .collect();
        for c in frontier::pareto(&candidates) {
            let s = &points[c.point].platforms[c.platform];
            out.push(FrontierEntry {
                cost_model: model,
                point: c.point,
                platform: c.platform,
                cost: s.cost_under(model),
                p99_ms: c.p99_ms,
                p99_ci95: s.p99().half_width,
                failed_fraction: c.failed_fraction,
            });
        }
    }
    out
}

/// The crossings and frontier of points simulated elsewhere (merged shards): exactly
/// what [`run_sweep`] computes from the same points without refinement.
pub fn assemble(
    scenario: &str,
    dims: Vec<Vary>,
    slo_ms: Option<f64>,
    points: Vec<PointResult>,
) -> SweepResult {
    analyse(scenario, dims, slo_ms, points, None, &mut |_| {})
}
