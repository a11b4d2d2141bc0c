//! Monte Carlo replications of a scenario, in parallel, with deterministic results.
//!
//! The unit of work is one (replication, platform) pair; each is a pure function of the
//! scenario, the seed and its indices, so results do not depend on how rayon schedules
//! them. Results are gathered in index order and latency histograms merge exactly
//! (integer counts), so every number is identical for any thread count.

pub mod batch;
pub mod checks;
pub mod guard;
pub mod plan;
pub mod resume;
pub mod stages;
pub mod sweep;

pub use checks::{ConservationError, LittleError, SplitError};

use crossover_engine::{mean_ci95, LatencyRecorder, MeanCi, SimDuration};
use crossover_platform::{
    simulate, simulate_unless, CostBreakdown, CostModel, Counters, MinuteStats, ServiceLoad, ServiceOutcome,
    SimInput,
};
pub use crossover_platform::{Committed, JobStats, Work};
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
/// metrics of its completed replications (by replication) and their latencies merged
/// (the stack's, and each service's when the stack has several). Histogram merges add
/// counts, so merging the rest into this later gives exactly the histograms of an
/// uninterrupted run.
#[derive(Clone, Debug, PartialEq)]
pub struct Partial {
    pub platforms: Vec<PartialPlatform>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct PartialPlatform {
    pub platform: String,
    pub replications: Vec<ReplicationMetrics>,
    pub latency: Latencies,
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
    /// A replication's services do not add up to its stack (requests or cost lines).
    Split(SplitError),
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
            RunError::Split(e) => e.fmt(f),
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
    /// What the platform bills once for the whole stack rather than per service (a
    /// cluster's node capacity no pod requests, in `nodes`; control plane, fixed fees,
    /// overhead, people): `cost` is this plus every service's `cost`, line by line.
    pub shared_cost: CostBreakdown,
    /// Each service of the stack, in stack order (one for a single service).
    pub services: Vec<ServiceMetrics>,
    /// The platform's commitment, if it has one: its level and what it came to per
    /// month (its fee is `cost.commitment`).
    pub commitment: Option<Committed>,
}

impl ReplicationMetrics {
    /// Share of dispatched requests that waited for a cold start.
    pub fn cold_start_fraction(&self) -> f64 {
        cold_start_fraction(&self.counters)
    }
}

fn cold_start_fraction(c: &Counters) -> f64 {
    ratio(c.cold_start_requests, c.arrived - c.rejected - c.in_flight)
}

/// What one service of a stack did in one replication of one platform.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceMetrics {
    /// Its allocated share of the bill (OpenCost's allocation: its own usage on
    /// serverless, its pods' requests at their nodes' rates on a cluster).
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
    pub pending_pods: u64,
    pub mean_pending_secs: f64,
    /// A worker's backlog and a scheduled job's runs (all zero for an HTTP service).
    pub jobs: JobStats,
}

impl ServiceMetrics {
    fn of(s: &ServiceOutcome) -> ServiceMetrics {
        let q = |p| s.latency.quantile_ms(p);
        ServiceMetrics {
            cost: s.cost,
            p50_ms: q(0.50),
            p90_ms: q(0.90),
            p99_ms: q(0.99),
            p999_ms: q(0.999),
            mean_ms: s.latency.mean_ms(),
            counters: s.counters,
            mean_instances: s.mean_instances,
            peak_instances: s.peak_instances,
            mean_busy_instances: s.mean_busy_instances,
            utilization: s.utilization,
            mean_in_system: s.mean_in_system,
            mean_sojourn_secs: s.mean_sojourn_secs,
            mean_queue_wait_secs: s.mean_queue_wait_secs,
            pending_pods: s.pending_pods,
            mean_pending_secs: s.mean_pending_secs,
            jobs: s.jobs,
        }
    }

    pub fn cold_start_fraction(&self) -> f64 {
        cold_start_fraction(&self.counters)
    }
}

/// Latency histograms of one replication, or of several merged: the stack's (every
/// request), and each service's when the stack has more than one. A single service's
/// latencies are the stack's, so no second copy is held (a histogram is ~230 KB).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Latencies {
    pub stack: LatencyRecorder,
    /// Empty, or one per service in stack order.
    pub services: Vec<LatencyRecorder>,
}

impl Latencies {
    /// Adds `other`'s counts (exact: histogram merges add integers). An empty side
    /// (nothing merged yet) takes the other's services as they are.
    pub fn merge(&mut self, other: &Latencies) {
        self.stack.merge(&other.stack);
        if self.services.is_empty() {
            self.services = other.services.clone();
        } else {
            for (a, b) in self.services.iter_mut().zip(&other.services) {
                a.merge(b);
            }
        }
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
    /// Every replication's latencies pooled (every request of the stack).
    pub latency: LatencyRecorder,
    /// The stack's services, in stack order.
    pub services: Vec<ServiceSummary>,
}

/// One service of a platform's stack over all replications: its name and SLO, and its
/// latencies pooled.
#[derive(Clone, Debug)]
pub struct ServiceSummary {
    pub name: String,
    /// The p99 it must meet, if stated.
    pub slo_p99: Option<SimDuration>,
    /// Every replication's latencies of this service pooled; `None` in a one-service
    /// stack, whose service's latencies are the platform's `latency` (see
    /// [`PlatformSummary::service`]).
    pub latency: Option<LatencyRecorder>,
    /// `http`, `worker` or `cron` ([`Work::kind`]).
    pub kind: &'static str,
}

impl PlatformSummary {
    /// No replication yet, for a stack of `services`.
    pub fn new(platform: &str, services: &[ServiceLoad]) -> PlatformSummary {
        let mut p = PlatformSummary::for_stack(
            platform,
            services.iter().map(|s| (s.name.clone(), s.slo_p99)).collect(),
        );
        for (summary, load) in p.services.iter_mut().zip(services) {
            summary.kind = load.work.kind();
        }
        p
    }

    /// No replication yet, for a stack of services given by (name, SLO).
    pub fn for_stack(platform: &str, services: Vec<(String, Option<SimDuration>)>) -> PlatformSummary {
        let several = services.len() > 1;
        PlatformSummary {
            platform: platform.to_string(),
            replications: Vec::new(),
            latency: LatencyRecorder::new(),
            services: services
                .into_iter()
                .map(|(name, slo_p99)| ServiceSummary {
                    name,
                    slo_p99,
                    latency: several.then(LatencyRecorder::new),
                    kind: Work::Http.kind(),
                })
                .collect(),
        }
    }

    /// Merges one replication's (or several pooled) latencies.
    pub fn merge_latencies(&mut self, l: &Latencies) {
        self.latency.merge(&l.stack);
        for (s, l) in self.services.iter_mut().zip(&l.services) {
            if let Some(pooled) = &mut s.latency {
                pooled.merge(l);
            }
        }
    }

    /// The pooled latencies as a [`Latencies`] (for a checkpoint).
    pub fn latencies(&self) -> Latencies {
        Latencies {
            stack: self.latency.clone(),
            services: self.services.iter().filter_map(|s| s.latency.clone()).collect(),
        }
    }

    /// Service `index` of the stack.
    pub fn service(&self, index: usize) -> ServiceView<'_> {
        ServiceView { summary: self, index }
    }

    /// Every service of the stack, in stack order.
    pub fn service_views(&self) -> impl Iterator<Item = ServiceView<'_>> {
        (0..self.services.len()).map(|index| self.service(index))
    }

    /// Services with an SLO that meet it (see [`ServiceView::meets_slo`]); `None` when
    /// no service has an SLO.
    pub fn services_meeting_slo(&self) -> Option<usize> {
        let verdicts: Vec<bool> = self.service_views().filter_map(|s| s.meets_slo()).collect();
        (!verdicts.is_empty()).then(|| verdicts.iter().filter(|m| **m).count())
    }

    /// The largest p99 / SLO over the services that have an SLO: at most 1 when every
    /// one meets it. `None` when no service has an SLO.
    pub fn worst_slo_ratio(&self) -> Option<f64> {
        self.service_views().filter_map(|s| s.slo_ratio()).reduce(f64::max)
    }

    /// Mean of each line item the platform bills once for the stack (`shared_cost`).
    pub fn shared_cost_breakdown(&self) -> CostBreakdown {
        mean_breakdown(self.replications.iter().map(|r| &r.shared_cost))
    }

    /// The shared bill under `model`, without the nodes' idle capacity (`nodes`), which
    /// [`PlatformSummary::idle_cost`] gives on its own.
    pub fn shared_cost_under(&self, model: CostModel) -> MeanCi {
        self.ci(|r| r.shared_cost.under(model) - r.shared_cost.nodes)
    }

    /// A cluster's node cost that no pod's requests account for (0 off clusters).
    pub fn idle_cost(&self) -> MeanCi {
        self.ci(|r| r.shared_cost.nodes)
    }

    fn ci(&self, f: impl Fn(&ReplicationMetrics) -> f64) -> MeanCi {
        let xs: Vec<f64> = self.replications.iter().map(f).collect();
        mean_ci95(&xs)
    }
    /// A commitment's figure over replications (`None` for a platform without one).
    pub fn commitment(&self, f: impl Fn(&Committed) -> f64) -> Option<MeanCi> {
        let xs: Option<Vec<f64>> = self.replications.iter().map(|r| r.commitment.as_ref().map(&f)).collect();
        xs.filter(|xs| !xs.is_empty()).map(|xs| mean_ci95(&xs))
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
        mean_breakdown(self.replications.iter().map(|r| &r.cost))
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
        cold_start_fraction(&self.totals())
    }
}

/// Each line item's mean over `bills` (the Student-t mean, as every other mean here).
fn mean_breakdown<'a>(bills: impl Iterator<Item = &'a CostBreakdown> + Clone) -> CostBreakdown {
    let m = |f: fn(&CostBreakdown) -> f64| mean_ci95(&bills.clone().map(f).collect::<Vec<_>>()).mean;
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
        commitment: m(|c| c.commitment),
    }
}

/// A service's [`JobStats`] over a run's replications ([`ServiceView::jobs`]).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct JobSummary {
    pub peak_backlog: u64,
    pub mean_backlog: f64,
    pub runs_per_replication: f64,
    pub skipped_runs: u64,
    pub missed_deadlines: u64,
    pub makespan_p50_secs: f64,
    pub makespan_p99_secs: f64,
}

/// One service of a platform's stack, over all replications: its share of each
/// replication's metrics and its pooled latencies.
#[derive(Clone, Copy, Debug)]
pub struct ServiceView<'a> {
    pub summary: &'a PlatformSummary,
    pub index: usize,
}

impl<'a> ServiceView<'a> {
    pub fn name(&self) -> &'a str {
        &self.summary.services[self.index].name
    }

    /// `http`, `worker` or `cron`.
    pub fn kind(&self) -> &'static str {
        self.summary.services[self.index].kind
    }

    pub fn slo_p99(&self) -> Option<SimDuration> {
        self.summary.services[self.index].slo_p99
    }

    /// Its latencies pooled over replications (the platform's in a one-service stack).
    pub fn latency(&self) -> &'a LatencyRecorder {
        self.summary.services[self.index].latency.as_ref().unwrap_or(&self.summary.latency)
    }

    fn metrics(&self) -> impl Iterator<Item = &'a ServiceMetrics> + Clone + 'a {
        let i = self.index;
        self.summary.replications.iter().filter_map(move |r| r.services.get(i))
    }

    fn ci(&self, f: impl Fn(&ServiceMetrics) -> f64) -> MeanCi {
        mean_ci95(&self.metrics().map(f).collect::<Vec<_>>())
    }

    /// Its allocated cost under `model`.
    pub fn cost_under(&self, model: CostModel) -> MeanCi {
        self.ci(|m| m.cost.under(model))
    }

    /// Mean of each line item of its allocated cost.
    pub fn cost_breakdown(&self) -> CostBreakdown {
        mean_breakdown(self.metrics().map(|m| &m.cost))
    }

    /// Mean of per-replication p99s, with its interval (as [`PlatformSummary::p99`]).
    pub fn p99(&self) -> MeanCi {
        self.ci(|m| m.p99_ms)
    }

    /// The pooled p99 as `summary.csv` and `services.csv` write it (to the microsecond),
    /// so that a verdict agrees with the column beside it.
    pub fn p99_written_ms(&self) -> f64 {
        let written = format!("{:.3}", self.latency().quantile_ms(0.99));
        written.parse().unwrap_or(f64::NAN)
    }

    /// Pooled p99 / SLO, if it has an SLO (a scenario's SLO is never 0; were it, no
    /// ratio is given rather than an infinite one, which no result file may hold).
    pub fn slo_ratio(&self) -> Option<f64> {
        let slo = self.slo_p99()?.as_nanos() as f64 / 1e6;
        (slo > 0.0).then(|| self.p99_written_ms() / slo)
    }

    /// Whether the pooled p99 is within the SLO, if it has one.
    pub fn meets_slo(&self) -> Option<bool> {
        let slo = self.slo_p99()?.as_nanos() as f64 / 1e6;
        Some(self.p99_written_ms() <= slo)
    }

    pub fn mean_instances(&self) -> MeanCi {
        self.ci(|m| m.mean_instances)
    }

    pub fn peak_instances(&self) -> u32 {
        self.metrics().map(|m| m.peak_instances).max().unwrap_or(0)
    }

    pub fn utilization(&self) -> MeanCi {
        self.ci(|m| m.utilization)
    }

    /// A worker's backlog and a scheduled job's runs over the replications: the largest
    /// backlog of any; the mean backlog, makespan quantiles (over replications with a
    /// finished run) and runs per replication as means; skipped runs and missed
    /// deadlines summed.
    pub fn jobs(&self) -> JobSummary {
        let n = self.summary.replications.len().max(1) as f64;
        let jobs: Vec<JobStats> = self.metrics().map(|m| m.jobs).collect();
        let finished: Vec<&JobStats> = jobs.iter().filter(|j| j.finished_runs > 0).collect();
        let mean_of = |f: fn(&JobStats) -> f64| {
            if finished.is_empty() {
                0.0
            } else {
                finished.iter().map(|j| f(j)).sum::<f64>() / finished.len() as f64
            }
        };
        JobSummary {
            peak_backlog: jobs.iter().map(|j| j.peak_backlog).max().unwrap_or(0),
            mean_backlog: jobs.iter().map(|j| j.mean_backlog).sum::<f64>() / n,
            runs_per_replication: jobs.iter().map(|j| j.runs as f64).sum::<f64>() / n,
            skipped_runs: jobs.iter().map(|j| j.skipped_runs).sum(),
            missed_deadlines: jobs.iter().map(|j| j.missed_deadlines).sum(),
            makespan_p50_secs: mean_of(|j| j.makespan_p50_secs),
            makespan_p99_secs: mean_of(|j| j.makespan_p99_secs),
        }
    }

    /// Counters summed over replications.
    pub fn totals(&self) -> Counters {
        let mut t = Counters::default();
        for m in self.metrics() {
            t.add(&m.counters);
        }
        t
    }

    pub fn cold_start_fraction(&self) -> f64 {
        cold_start_fraction(&self.totals())
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
    let mut platforms: Vec<PlatformSummary> =
        scenario.platforms.iter().map(|p| PlatformSummary::new(&p.name, &scenario.loads(p))).collect();
    // Jobs done before: their metrics by job index, their latencies merged at once.
    let mut done: BTreeMap<usize, ReplicationMetrics> = BTreeMap::new();
    if let Some(partial) = &opts.resume {
        for (i, (summary, p)) in platforms.iter_mut().zip(&partial.platforms).enumerate() {
            summary.merge_latencies(&p.latency);
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
                latency: p.latencies(),
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
                    let stack = &scenario.platforms[platform];
                    if checks::replication(&stack.name, &scenario.loads(stack), metrics, scenario.horizon)
                        .is_ok()
                    {
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
            let loads = scenario.loads(&scenario.platforms[job % n_platforms]);
            checks::replication(&summary.platform, &loads, &metrics, scenario.horizon)?;
            summary.merge_latencies(&latency);
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
                    let latency = p.latencies();
                    PartialPlatform { platform: p.platform, replications: p.replications, latency }
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
) -> (ReplicationMetrics, Latencies) {
    let (metrics, latency, _) = replicate_recording(scenario, seed, replication, platform, false, None)
        .expect("a replication without a stop flag runs to its end");
    (metrics, latency)
}

/// What a job returns: the replication's metrics, its latencies, and its timeline if
/// it was asked to record one.
type Replicated = (ReplicationMetrics, Latencies, Option<Vec<MinuteStats>>);

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
    let stack = &scenario.platforms[platform];
    let out = simulate_unless(
        &SimInput {
            platform: stack,
            services: &scenario.loads(stack),
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
        shared_cost: out.shared_cost,
        services: out.services.iter().map(ServiceMetrics::of).collect(),
        commitment: out.commitment,
    };
    // A single service's latencies are the stack's: not kept twice.
    let services = if out.services.len() > 1 {
        out.services.into_iter().map(|s| s.latency).collect()
    } else {
        Vec::new()
    };
    let latency = Latencies { stack: out.latency, services };
    Some((metrics, latency, timeline.then_some(out.timeline)))
}

/// [`replicate`], given up (`None`) once `stop` is set.
pub fn replicate_unless(
    scenario: &Scenario,
    seed: u64,
    replication: u32,
    platform: usize,
    stop: Option<&AtomicBool>,
) -> Option<(ReplicationMetrics, Latencies)> {
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
                services: &scenario.loads(platform),
                horizon: scenario.horizon,
                seed,
                replication: replication as u64,
                timeline: true,
            });
            PlatformTimeline { platform: platform.name.clone(), minutes: out.timeline }
        })
        .collect()
}

/// Values for the tests of several modules.
#[cfg(test)]
pub(crate) mod test_support {
    use crossover_engine::SimDuration;
    use crossover_platform::ServiceLoad;
    use crossover_workload::{Demand, Dist, Traffic};

    /// A service named `name` (its traffic and demand matter to no test that uses it).
    pub fn load(name: &str, slo_ms: Option<u64>) -> ServiceLoad {
        ServiceLoad {
            name: name.into(),
            traffic: Traffic::constant(1.0),
            demand: Demand { cpu: Dist::Constant { value: 0.001 }, io: Dist::Constant { value: 0.0 } },
            response_gb: 0.0,
            slo_p99: slo_ms.map(SimDuration::from_millis),
            work: crossover_platform::Work::Http,
        }
    }
}
