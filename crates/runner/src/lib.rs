//! Monte Carlo replications of a scenario, in parallel, with deterministic results.
//!
//! The unit of work is one (replication, platform) pair; each is a pure function of the
//! scenario, the seed and its indices, so results do not depend on how rayon schedules
//! them. Results are gathered in index order and latency histograms merge exactly
//! (integer counts), so every number is identical for any thread count.

pub mod batch;
pub mod checks;
pub mod guard;
pub mod resume;
pub mod sweep;

pub use checks::{ConservationError, LittleError};

use crossover_engine::{mean_ci95, LatencyRecorder, MeanCi, SimDuration};
use crossover_platform::{
    simulate, simulate_unless, CostBreakdown, CostModel, Counters, MinuteStats, SimInput,
};
use crossover_scenario::Scenario;
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;

/// How many jobs run between merges; bounds memory to this many live histograms.
const CHUNK: usize = 64;

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub replications: u32,
    pub seed: u64,
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Set from outside (Ctrl-C) to stop: jobs not yet started are skipped and the run
    /// returns [`RunError::Interrupted`] with every completed job.
    pub cancel: Option<Arc<AtomicBool>>,
    /// Told (jobs done, jobs in all) after each job, from the worker threads.
    pub progress: Option<Progress>,
    /// Jobs completed by an interrupted run of the same scenario: not run again, and
    /// merged exactly as if they had been (see [`resume`]).
    pub resume: Option<Partial>,
    /// Also keep each platform's per-minute timeline of replication 0 (see
    /// [`timeline`]), recorded by the job that simulates it rather than by simulating
    /// it again afterwards. Recording changes nothing else the replication computes.
    pub timelines: bool,
    /// Save the completed jobs periodically, so that a run killed outright (SIGKILL,
    /// a lost node) resumes from its last save.
    pub checkpoint: Option<Checkpointing>,
}

/// Periodic saving of the completed jobs: `save` is handed everything completed so far
/// (a [`Partial`], as an interrupt would give) once at least `every` has passed since
/// the run started or since the last save, right after a job completes.
#[derive(Clone)]
pub struct Checkpointing {
    pub every: std::time::Duration,
    pub save: Arc<dyn Fn(&Partial) + Send + Sync>,
}

impl fmt::Debug for Checkpointing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checkpointing(every {:?})", self.every)
    }
}

/// Everything completed so far, kept beside the in-order merge for periodic saves:
/// histogram merges add counts, so merging in completion order gives the same
/// histogram as the run's.
struct Saved {
    partial: Partial,
    last: std::time::Instant,
}

impl RunOptions {
    pub fn from_scenario(s: &Scenario) -> Self {
        RunOptions {
            replications: s.replications,
            seed: s.seed,
            threads: None,
            cancel: None,
            progress: None,
            resume: None,
            timelines: false,
            checkpoint: None,
        }
    }

    fn cancelled(&self) -> bool {
        self.cancel.as_ref().is_some_and(|c| c.load(Ordering::Relaxed))
    }
}

/// A progress callback: (jobs done, jobs in all). Called from worker threads.
#[derive(Clone)]
pub struct Progress(pub Arc<dyn Fn(usize, usize) + Send + Sync>);

impl fmt::Debug for Progress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Progress(..)")
    }
}

/// The completed part of an interrupted run: per platform (in scenario order), the
/// metrics of its completed replications (by replication) and their latencies merged.
/// Histogram merges add counts, so merging the rest into this later gives exactly the
/// histogram of an uninterrupted run.
#[derive(Clone, Debug, PartialEq)]
pub struct Partial {
    pub platforms: Vec<PartialPlatform>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PartialPlatform {
    pub platform: String,
    pub replications: Vec<ReplicationMetrics>,
    pub latency: LatencyRecorder,
}

impl Partial {
    /// (replication, platform) jobs it holds.
    pub fn jobs(&self) -> usize {
        self.platforms.iter().map(|p| p.replications.len()).sum()
    }
}

/// Why a run produced no result.
#[derive(Debug)]
pub enum RunError {
    /// A replication lost or invented requests: a bug.
    Conservation(ConservationError),
    /// A replication's time-average in system disagrees with its arrivals and sojourns.
    Little(LittleError),
    /// Cancelled through [`RunOptions::cancel`]; the completed jobs, to resume from.
    Interrupted(Partial),
    /// The worker threads could not be started (a process limit such as `ulimit -u`).
    Threads(ThreadsError),
    /// A sweep cancelled through its options: every completed simulation, as `rec`
    /// lines for its checkpoint (see [`sweep::checkpoint`]).
    SweepInterrupted { records: Vec<String> },
}

impl From<ConservationError> for RunError {
    fn from(e: ConservationError) -> Self {
        RunError::Conservation(e)
    }
}

/// Most worker threads `--threads` may ask for. Results are identical for any count, so
/// more threads than cores only costs memory and scheduling; beyond this a count is a
/// typo, and starting thousands of threads takes seconds of CPU on its own.
pub const MAX_THREADS: usize = 1024;

/// The system refused to start the worker threads.
#[derive(Debug)]
pub struct ThreadsError {
    pub threads: usize,
    pub message: String,
}

impl fmt::Display for ThreadsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot start {} worker thread(s): {}; pass a lower --threads (or raise the process limit, \
             `ulimit -u`)",
            self.threads, self.message
        )
    }
}

/// A pool of `threads` workers (`None`: one per core), never more than there are `jobs`
/// (a thread without a job would only be started and stopped), nor more than
/// [`MAX_THREADS`]. A refusal by the system is an error, not a panic.
pub fn thread_pool(threads: Option<usize>, jobs: usize) -> Result<rayon::ThreadPool, ThreadsError> {
    let wanted = threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, MAX_THREADS)
        .min(jobs.max(1));
    rayon::ThreadPoolBuilder::new()
        .num_threads(wanted)
        .build()
        .map_err(|e| ThreadsError { threads: wanted, message: e.to_string() })
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Conservation(e) => e.fmt(f),
            RunError::Little(e) => e.fmt(f),
            RunError::Interrupted(p) => write!(f, "interrupted after {} completed simulation(s)", p.jobs()),
            RunError::Threads(e) => e.fmt(f),
            RunError::SweepInterrupted { records } => {
                write!(f, "interrupted after {} completed simulation(s)", records.len())
            }
        }
    }
}

impl std::error::Error for RunError {}

/// What one platform did in one replication.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicationMetrics {
    pub replication: u32,
    pub cost: CostBreakdown,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub p999_ms: f64,
    pub mean_ms: f64,
    pub counters: Counters,
    pub mean_instances: f64,
    pub peak_instances: u32,
    pub mean_busy_instances: f64,
    pub utilization: f64,
    pub mean_in_system: f64,
    pub mean_sojourn_secs: f64,
    pub mean_queue_wait_secs: f64,
    /// Kubernetes nodes (0 without a node pool).
    pub mean_nodes: f64,
    pub peak_nodes: u32,
    /// Pods that waited for a node, and their mean wait.
    pub pending_pods: u64,
    pub mean_pending_secs: f64,
    /// Hybrid: the overflow platform's infrastructure bill (part of `cost`), USD/month;
    /// 0 for a single platform.
    pub overflow_cost: f64,
    /// Hybrid: p99 of the requests each part served (`base_p99_ms` is `p99_ms` for a
    /// single platform; `overflow_p99_ms` is 0 when nothing spilled).
    pub base_p99_ms: f64,
    pub overflow_p99_ms: f64,
}

impl ReplicationMetrics {
    /// Share of dispatched requests that waited for a cold start.
    pub fn cold_start_fraction(&self) -> f64 {
        let served = self.counters.arrived - self.counters.rejected - self.counters.in_flight;
        ratio(self.counters.cold_start_requests, served)
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 {
        0.0
    } else {
        a as f64 / b as f64
    }
}

/// One platform over all replications.
#[derive(Clone, Debug)]
pub struct PlatformSummary {
    pub platform: String,
    pub replications: Vec<ReplicationMetrics>,
    /// Every replication's latencies pooled.
    pub latency: LatencyRecorder,
}

impl PlatformSummary {
    fn ci(&self, f: impl Fn(&ReplicationMetrics) -> f64) -> MeanCi {
        let xs: Vec<f64> = self.replications.iter().map(f).collect();
        mean_ci95(&xs)
    }
    /// Infrastructure cost per month (what the provider bills).
    pub fn cost_month(&self) -> MeanCi {
        self.cost_under(CostModel::Infrastructure)
    }
    pub fn cost_under(&self, model: CostModel) -> MeanCi {
        self.ci(|r| r.cost.under(model))
    }
    /// Mean of each cost line item across replications.
    pub fn cost_breakdown(&self) -> CostBreakdown {
        let m = |f: fn(&CostBreakdown) -> f64| self.ci(|r| f(&r.cost)).mean;
        CostBreakdown {
            cpu: m(|c| c.cpu),
            memory: m(|c| c.memory),
            idle: m(|c| c.idle),
            gpu: m(|c| c.gpu),
            requests: m(|c| c.requests),
            egress: m(|c| c.egress),
            stopped: m(|c| c.stopped),
            nodes: m(|c| c.nodes),
            control_plane: m(|c| c.control_plane),
            fixed: m(|c| c.fixed),
            load_balancer: m(|c| c.load_balancer),
            nat: m(|c| c.nat),
            observability: m(|c| c.observability),
            people: m(|c| c.people),
        }
    }
    /// p99 across replications (mean of per-replication p99s, with its interval).
    pub fn p99(&self) -> MeanCi {
        self.ci(|r| r.p99_ms)
    }
    /// A hybrid that spilled requests or paid for its overflow platform.
    pub fn is_hybrid(&self) -> bool {
        self.replications.iter().any(|r| r.counters.spilled > 0 || r.overflow_cost != 0.0)
    }
    /// Hybrid: the overflow platform's part of the infrastructure bill.
    pub fn overflow_cost(&self) -> MeanCi {
        self.ci(|r| r.overflow_cost)
    }
    /// Hybrid: p99 of each part's requests (mean of per-replication p99s).
    pub fn base_p99(&self) -> MeanCi {
        self.ci(|r| r.base_p99_ms)
    }
    pub fn overflow_p99(&self) -> MeanCi {
        self.ci(|r| r.overflow_p99_ms)
    }
    pub fn mean_instances(&self) -> MeanCi {
        self.ci(|r| r.mean_instances)
    }
    pub fn utilization(&self) -> MeanCi {
        self.ci(|r| r.utilization)
    }
    pub fn mean_nodes(&self) -> MeanCi {
        self.ci(|r| r.mean_nodes)
    }
    pub fn peak_nodes(&self) -> u32 {
        self.replications.iter().map(|r| r.peak_nodes).max().unwrap_or(0)
    }
    pub fn peak_instances(&self) -> u32 {
        self.replications.iter().map(|r| r.peak_instances).max().unwrap_or(0)
    }
    /// Counters summed over replications.
    pub fn totals(&self) -> Counters {
        let mut t = Counters::default();
        for r in &self.replications {
            t.add(&r.counters);
        }
        t
    }
    pub fn cold_start_fraction(&self) -> f64 {
        let t = self.totals();
        ratio(t.cold_start_requests, t.arrived - t.rejected - t.in_flight)
    }
}

#[derive(Clone, Debug)]
pub struct RunResult {
    pub scenario: String,
    pub seed: u64,
    pub horizon: SimDuration,
    pub platforms: Vec<PlatformSummary>,
    /// With [`RunOptions::timelines`], replication 0's timeline of each platform whose
    /// replication 0 this run simulated (not one taken from a checkpoint), in scenario
    /// order.
    pub timelines: Vec<PlatformTimeline>,
}

impl RunResult {
    /// Requests simulated, summed over platforms and replications.
    pub fn simulated_requests(&self) -> u64 {
        self.platforms.iter().map(|p| p.totals().arrived).sum()
    }
}

/// Runs every replication of every platform.
pub fn run(scenario: &Scenario, opts: &RunOptions) -> Result<RunResult, RunError> {
    let jobs = opts.replications as usize * scenario.platforms.len();
    let pool = thread_pool(opts.threads, jobs).map_err(RunError::Threads)?;
    pool.install(|| run_in_pool(scenario, opts))
}

fn run_in_pool(scenario: &Scenario, opts: &RunOptions) -> Result<RunResult, RunError> {
    let n_platforms = scenario.platforms.len();
    let jobs = opts.replications as usize * n_platforms;
    let mut platforms: Vec<PlatformSummary> = scenario
        .platforms
        .iter()
        .map(|p| PlatformSummary {
            platform: p.name.clone(),
            replications: Vec::with_capacity(opts.replications as usize),
            latency: LatencyRecorder::new(),
        })
        .collect();
    // Jobs done before: their metrics by job index, their latencies merged at once.
    let mut done: BTreeMap<usize, ReplicationMetrics> = BTreeMap::new();
    if let Some(partial) = &opts.resume {
        for (i, (summary, p)) in platforms.iter_mut().zip(&partial.platforms).enumerate() {
            summary.latency.merge(&p.latency);
            for m in &p.replications {
                done.insert(m.replication as usize * n_platforms + i, m.clone());
            }
        }
    }
    let finished = AtomicUsize::new(done.len());
    let saved = opts.checkpoint.as_ref().map(|_| {
        let platforms = platforms
            .iter()
            .enumerate()
            .map(|(i, p)| PartialPlatform {
                platform: p.platform.clone(),
                replications: done
                    .iter()
                    .filter(|(job, _)| *job % n_platforms == i)
                    .map(|(_, m)| m.clone())
                    .collect(),
                latency: p.latency.clone(),
            })
            .collect();
        std::sync::Mutex::new(Saved { partial: Partial { platforms }, last: std::time::Instant::now() })
    });
    let mut timelines = Vec::new();
    let mut interrupted = false;
    for start in (0..jobs).step_by(CHUNK) {
        let end = (start + CHUNK).min(jobs);
        let chunk: Vec<Option<Replicated>> = (start..end)
            .into_par_iter()
            .map(|job| {
                if done.contains_key(&job) || opts.cancelled() {
                    return None;
                }
                let (replication, platform) = (job / n_platforms, job % n_platforms);
                let recording = opts.timelines && replication == 0;
                // The flag is also watched inside the simulation, so an interrupt stops a
                // long replication at once; a replication cut short is simply not done.
                let out = replicate_recording(
                    scenario,
                    opts.seed,
                    replication as u32,
                    platform,
                    recording,
                    opts.cancel.as_deref(),
                )?;
                if let (Some(saved), Some(c)) = (&saved, &opts.checkpoint) {
                    // Only jobs that pass the self-checks are saved: a resumed run takes
                    // saved jobs as they are.
                    let (metrics, latency, _) = &out;
                    let name = &scenario.platforms[platform].name;
                    let checked = checks::conservation(name, metrics).is_ok()
                        && checks::littles_law(name, metrics, scenario.horizon).is_ok();
                    if checked {
                        let mut s = saved.lock().unwrap_or_else(|e| e.into_inner());
                        let p = &mut s.partial.platforms[platform];
                        p.replications.push(metrics.clone());
                        p.latency.merge(latency);
                        if s.last.elapsed() >= c.every {
                            for p in &mut s.partial.platforms {
                                p.replications.sort_by_key(|m| m.replication);
                            }
                            (c.save)(&s.partial);
                            s.last = std::time::Instant::now();
                        }
                    }
                }
                let n = finished.fetch_add(1, Ordering::Relaxed) + 1;
                if let Some(Progress(report)) = &opts.progress {
                    report(n, jobs);
                }
                Some(out)
            })
            .collect();
        for (job, computed) in (start..end).zip(chunk) {
            let summary = &mut platforms[job % n_platforms];
            if let Some(metrics) = done.remove(&job) {
                summary.replications.push(metrics);
                continue;
            }
            let Some((metrics, latency, minutes)) = computed else {
                interrupted = true;
                continue;
            };
            if let Some(minutes) = minutes {
                timelines.push(PlatformTimeline { platform: summary.platform.clone(), minutes });
            }
            checks::conservation(&summary.platform, &metrics).map_err(RunError::Conservation)?;
            checks::littles_law(&summary.platform, &metrics, scenario.horizon).map_err(RunError::Little)?;
            summary.latency.merge(&latency);
            summary.replications.push(metrics);
        }
        if interrupted {
            // Completed jobs of later chunks (from the checkpoint) are kept too.
            for (job, metrics) in std::mem::take(&mut done) {
                platforms[job % n_platforms].replications.push(metrics);
            }
            let platforms = platforms
                .into_iter()
                .map(|mut p| {
                    p.replications.sort_by_key(|m| m.replication);
                    PartialPlatform { platform: p.platform, replications: p.replications, latency: p.latency }
                })
                .collect();
            return Err(RunError::Interrupted(Partial { platforms }));
        }
    }
    Ok(RunResult {
        scenario: scenario.name.clone(),
        seed: opts.seed,
        horizon: scenario.horizon,
        platforms,
        timelines,
    })
}

/// One platform, one replication: a pure function of its arguments.
pub fn replicate(
    scenario: &Scenario,
    seed: u64,
    replication: u32,
    platform: usize,
) -> (ReplicationMetrics, LatencyRecorder) {
    let (metrics, latency, _) = replicate_recording(scenario, seed, replication, platform, false, None)
        .expect("a replication without a stop flag runs to its end");
    (metrics, latency)
}

/// What a job returns: the replication's metrics, its latencies, and its timeline if
/// it was asked to record one.
type Replicated = (ReplicationMetrics, LatencyRecorder, Option<Vec<MinuteStats>>);

/// [`replicate`], recording the per-minute timeline too if `timeline` is set.
fn replicate_recording(
    scenario: &Scenario,
    seed: u64,
    replication: u32,
    platform: usize,
    timeline: bool,
    stop: Option<&AtomicBool>,
) -> Option<Replicated> {
    let never = AtomicBool::new(false);
    let out = simulate_unless(
        &SimInput {
            platform: &scenario.platforms[platform],
            services: &scenario.services,
            horizon: scenario.horizon,
            seed,
            replication: replication as u64,
            timeline,
        },
        stop.unwrap_or(&never),
    )?;
    let q = |p| out.latency.quantile_ms(p);
    let metrics = ReplicationMetrics {
        replication,
        cost: out.cost,
        p50_ms: q(0.50),
        p90_ms: q(0.90),
        p99_ms: q(0.99),
        p999_ms: q(0.999),
        mean_ms: out.latency.mean_ms(),
        counters: out.counters,
        mean_instances: out.mean_instances,
        peak_instances: out.peak_instances,
        mean_busy_instances: out.mean_busy_instances,
        utilization: out.utilization,
        mean_in_system: out.mean_in_system,
        mean_sojourn_secs: out.mean_sojourn_secs,
        mean_queue_wait_secs: out.mean_queue_wait_secs,
        mean_nodes: out.mean_nodes,
        peak_nodes: out.peak_nodes,
        pending_pods: out.pending_pods,
        mean_pending_secs: out.mean_pending_secs,
        overflow_cost: out.parts.as_ref().map_or(0.0, |p| p.overflow.cost.infrastructure()),
        base_p99_ms: out.parts.as_ref().map_or(q(0.99), |p| p.base.latency.quantile_ms(0.99)),
        overflow_p99_ms: out.parts.as_ref().map_or(0.0, |p| p.overflow.latency.quantile_ms(0.99)),
    };
    Some((metrics, out.latency, timeline.then_some(out.timeline)))
}

/// [`replicate`], given up (`None`) once `stop` is set.
pub fn replicate_unless(
    scenario: &Scenario,
    seed: u64,
    replication: u32,
    platform: usize,
    stop: Option<&AtomicBool>,
) -> Option<(ReplicationMetrics, LatencyRecorder)> {
    replicate_recording(scenario, seed, replication, platform, false, stop).map(|(m, l, _)| (m, l))
}

/// One platform's per-minute record of one replication.
#[derive(Clone, Debug, PartialEq)]
pub struct PlatformTimeline {
    pub platform: String,
    pub minutes: Vec<MinuteStats>,
}

/// Every platform's per-minute record of one replication, for the timeline chart. The
/// replication is the same pure function as in [`run`], so its totals match that run's.
pub fn timeline(scenario: &Scenario, seed: u64, replication: u32) -> Vec<PlatformTimeline> {
    scenario
        .platforms
        .iter()
        .map(|platform| {
            let out = simulate(&SimInput {
                platform,
                services: &scenario.services,
                horizon: scenario.horizon,
                seed,
                replication: replication as u64,
                timeline: true,
            });
            PlatformTimeline { platform: platform.name.clone(), minutes: out.timeline }
        })
        .collect()
}
