//! The stage crossover: a stack planned at each stage of a company's growth
//! (`[[stage]]` in the scenario; `crossover plan` on a file with stages), and where the
//! cheapest plan flips from all-serverless to Kubernetes.
//!
//! At each stage (its services, its traffic scale) the services are placed as
//! [`crate::plan`] places them, twice over one cache of simulations: the best plan with
//! every service serverless, and the best plan with at least one service on a platform
//! with nodes (Kubernetes). Those two halves partition the assignments, so the better of
//! the two is the stage's plan. Each search is repeated:
//! - per capacity: `on-demand` (no Spot platform, none with interruptions, and no
//!   platform that buys a commitment), `with-commitments`, `with-spot` and `with-both`;
//! - per pricing: each cost model, and TCO again with every Kubernetes platform's
//!   operations people at each `kubernetes_fte` level, re-priced from the same meters
//!   (nothing is simulated again).
//!
//! Every candidate is simulated with the scenario's seed and replications 0..n (common
//! random numbers), so the difference between the two halves' bills is paired
//! replication by replication: its 95% interval is the difference's own. Along the
//! stages that difference (serverless minus Kubernetes) is interpolated against the
//! stage's compute spend, the best all-serverless plan's infrastructure bill, as
//! `crossover sweep` interpolates its crossovers ([`crate::sweep::crossover::locate`]):
//! the compute spend at which the mean difference crosses zero, with the 95% interval
//! from where its replications' interval crosses zero.

use crate::plan::{search_scoped, Evaluation, Evaluator, PlanInputError, Scope, EXHAUSTIVE_LIMIT};
use crate::sweep::crossover::{locate, sign_changes};
use crate::{Progress, RunError};
use crossover_engine::{mean_ci95, MeanCi};
use crossover_platform::CostModel;
use crossover_scenario::Scenario;

/// Which platforms a stage's plan may use: Spot capacity (a platform with
/// interruptions) and commitments (a platform whose tariff buys one) allowed or not.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Capacity {
    /// Neither: on-demand prices only.
    OnDemand,
    /// Platforms with a commitment, no Spot.
    WithCommitments,
    /// Spot platforms, no commitment.
    WithSpot,
    /// Every platform.
    WithBoth,
}

impl Capacity {
    pub const ALL: [Capacity; 4] =
        [Capacity::OnDemand, Capacity::WithCommitments, Capacity::WithSpot, Capacity::WithBoth];

    pub fn name(self) -> &'static str {
        match self {
            Capacity::OnDemand => "on-demand",
            Capacity::WithCommitments => "with-commitments",
            Capacity::WithSpot => "with-spot",
            Capacity::WithBoth => "with-both",
        }
    }

    /// Whether a platform with (or without) Spot and a commitment is allowed.
    pub fn allows(self, spot: bool, committed: bool) -> bool {
        match self {
            Capacity::OnDemand => !spot && !committed,
            Capacity::WithCommitments => !spot,
            Capacity::WithSpot => !committed,
            Capacity::WithBoth => true,
        }
    }
}

/// How a plan's bill is counted: a cost model, and for TCO optionally every Kubernetes
/// platform's operations people at `kubernetes_fte` instead of the file's `ops_fte`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Pricing {
    pub model: CostModel,
    pub kubernetes_fte: Option<f64>,
}

impl Pricing {
    /// `tco`, or `tco` with its people (`tco@0.5fte`).
    pub fn label(&self) -> String {
        match self.kubernetes_fte {
            None => self.model.name().to_string(),
            Some(f) => format!("{}@{f}fte", self.model.name()),
        }
    }
}

/// Where a plan puts its services.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Class {
    /// Every service on a serverless platform.
    AllServerless,
    /// Some, at most half, on Kubernetes.
    Mix,
    /// More than half on Kubernetes.
    MostlyKubernetes,
}

impl Class {
    pub fn of(on_kubernetes: usize, services: usize) -> Class {
        if on_kubernetes == 0 {
            Class::AllServerless
        } else if 2 * on_kubernetes > services {
            Class::MostlyKubernetes
        } else {
            Class::Mix
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Class::AllServerless => "all-serverless",
            Class::Mix => "mix",
            Class::MostlyKubernetes => "mostly-kubernetes",
        }
    }
}

/// The best plan of one half (all-serverless, or with Kubernetes) at one stage.
#[derive(Clone, Debug)]
pub struct Half {
    pub best: Evaluation,
    /// Its bill under the row's pricing, per replication.
    pub totals: Vec<f64>,
    /// Its infrastructure bill, per replication.
    pub infrastructure: Vec<f64>,
}

/// One stage, capacity and pricing.
#[derive(Clone, Debug)]
pub struct StageRow {
    /// The stage's index in the scenario.
    pub stage: usize,
    pub capacity: Capacity,
    pub pricing: Pricing,
    pub serverless: Option<Half>,
    pub kubernetes: Option<Half>,
    /// (service, platform) of the stage's plan (the better half), in stack order.
    pub placements: Vec<(String, String)>,
    /// The plan's services on Kubernetes.
    pub on_kubernetes: usize,
    /// The plan's services missing their SLO.
    pub misses: usize,
    /// Serverless minus Kubernetes, per replication (positive: Kubernetes cheaper);
    /// empty unless both halves exist.
    pub difference: Vec<f64>,
    /// The stage's compute spend: the infrastructure bill of the best all-serverless
    /// plan under the infrastructure model at this capacity (NaN without one).
    pub compute: MeanCi,
}

impl StageRow {
    /// The stage's plan: the better half.
    pub fn plan(&self) -> &Half {
        match (&self.serverless, &self.kubernetes) {
            (Some(s), Some(k)) => {
                if better(k, s) {
                    k
                } else {
                    s
                }
            }
            (Some(s), None) => s,
            (None, Some(k)) => k,
            (None, None) => unreachable!("a capacity with no plan has no row (plan_stages)"),
        }
    }

    pub fn class(&self) -> Class {
        Class::of(self.on_kubernetes, self.placements.len())
    }
}

/// Whether `a` is better than `b` by the row's totals: fewer misses, then lower mean,
/// then the assignment (as [`Evaluation`] orders them).
fn better(a: &Half, b: &Half) -> bool {
    let (ma, mb) = (crate::sweep::crossover::mean(&a.totals), crate::sweep::crossover::mean(&b.totals));
    a.best
        .misses
        .cmp(&b.best.misses)
        .then(ma.total_cmp(&mb))
        .then(a.best.assignment.cmp(&b.best.assignment))
        .is_lt()
}

/// Where the difference changes sign between two neighbouring stages.
#[derive(Clone, Debug)]
pub struct StageCrossover {
    pub capacity: Capacity,
    pub pricing: Pricing,
    /// The two neighbouring stages (indices) it lies between.
    pub lower: usize,
    pub upper: usize,
    /// Kubernetes is the cheaper half above the crossover (the usual direction).
    pub kubernetes_above: bool,
    /// The compute spend where the mean difference is zero, and its 95% interval.
    pub compute: f64,
    pub ci: Option<(f64, f64)>,
    pub replications: usize,
}

/// What the stage sweep is told besides the scenario.
#[derive(Clone, Debug, Default)]
pub struct StageOptions {
    pub threads: Option<usize>,
    /// Told (simulations done, in the batch under way).
    pub progress: Option<Progress>,
    /// TCO re-priced with each Kubernetes platform's operations people at each level.
    pub kubernetes_fte: Vec<f64>,
}

/// Every stage's rows and the crossovers.
#[derive(Clone, Debug)]
pub struct StagesResult {
    /// Stage names, in order.
    pub stages: Vec<String>,
    /// Each stage's scale and service count.
    pub scales: Vec<(f64, usize)>,
    /// Stage by stage; within a stage capacity by capacity, then pricing by pricing.
    pub rows: Vec<StageRow>,
    pub crossovers: Vec<StageCrossover>,
    /// Simulations run, all stages.
    pub simulations: usize,
}

impl StagesResult {
    /// The rows of one capacity and pricing, stage by stage.
    pub fn series(&self, capacity: Capacity, pricing: Pricing) -> Vec<&StageRow> {
        self.rows.iter().filter(|r| r.capacity == capacity && r.pricing == pricing).collect()
    }

    /// The pricings, in row order.
    pub fn pricings(&self) -> Vec<Pricing> {
        let mut out: Vec<Pricing> = Vec::new();
        for r in &self.rows {
            if !out.contains(&r.pricing) {
                out.push(r.pricing);
            }
        }
        out
    }
}

/// Why the stage sweep failed.
#[derive(Debug)]
pub enum StagesError {
    /// A stage cannot be planned (exit 2).
    Input(PlanInputError),
    Run(RunError),
}

impl std::fmt::Display for StagesError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StagesError::Input(e) => e.fmt(f),
            StagesError::Run(e) => e.fmt(f),
        }
    }
}

/// Whether platform `p` of `scenario` has Spot interruptions (its instances' or nodes').
fn is_spot(scenario: &Scenario, p: usize) -> bool {
    scenario.platforms[p]
        .services
        .iter()
        .any(|s| s.interruptions.is_some() || s.nodes.as_ref().is_some_and(|n| n.interruptions.is_some()))
}

/// Whether platform `p` of `scenario` buys a commitment (`billing.commitment`).
fn is_committed(scenario: &Scenario, p: usize) -> bool {
    scenario.platforms[p].shared().tariff.commitment.is_some()
}

/// Plans every stage of `scenario` (which has `[[stage]]` entries).
pub fn plan_stages(scenario: &Scenario, opts: &StageOptions) -> Result<StagesResult, StagesError> {
    let mut pricings: Vec<Pricing> =
        CostModel::ALL.iter().map(|&model| Pricing { model, kubernetes_fte: None }).collect();
    pricings.extend(
        opts.kubernetes_fte.iter().map(|&f| Pricing { model: CostModel::Tco, kubernetes_fte: Some(f) }),
    );
    let mut rows = Vec::new();
    let mut simulations = 0;
    for i in 0..scenario.stages.len() {
        let staged = scenario.stage(i);
        let mut ev = Evaluator::new(&staged, opts.threads, opts.progress.clone()).map_err(|e| {
            StagesError::Input(PlanInputError(format!("stage \"{}\": {e}", scenario.stages[i].name)))
        })?;
        for capacity in Capacity::ALL {
            let allowed: Vec<bool> = (0..staged.platforms.len())
                .map(|p| capacity.allows(is_spot(&staged, p), is_committed(&staged, p)))
                .collect();
            // A capacity that leaves some service without a platform has no plan here.
            ev.set_scope(Scope { allowed: allowed.clone(), kubernetes: None });
            if (0..staged.services.len()).any(|s| ev.candidates(s).is_empty()) {
                continue;
            }
            // The stage's compute spend: the best all-serverless plan on infrastructure.
            ev.set_kubernetes_fte(None);
            ev.set_scope(Scope { allowed: allowed.clone(), kubernetes: Some(false) });
            let compute = search_scoped(&mut ev, CostModel::Infrastructure, EXHAUSTIVE_LIMIT)
                .map_err(StagesError::Run)?
                .map_or(MeanCi { mean: f64::NAN, half_width: 0.0, n: 0 }, |p| {
                    mean_ci95(p.best.total(CostModel::Infrastructure))
                });
            for &pricing in &pricings {
                ev.set_kubernetes_fte(pricing.kubernetes_fte);
                let mut half = |kubernetes: bool| -> Result<Option<Half>, StagesError> {
                    ev.set_scope(Scope { allowed: allowed.clone(), kubernetes: Some(kubernetes) });
                    let found =
                        search_scoped(&mut ev, pricing.model, EXHAUSTIVE_LIMIT).map_err(StagesError::Run)?;
                    Ok(found.map(|p| Half {
                        totals: p.best.total(pricing.model).to_vec(),
                        infrastructure: p.best.total(CostModel::Infrastructure).to_vec(),
                        best: p.best,
                    }))
                };
                let serverless = half(false)?;
                let kubernetes = half(true)?;
                let difference = match (&serverless, &kubernetes) {
                    (Some(s), Some(k)) => s.totals.iter().zip(&k.totals).map(|(a, b)| a - b).collect(),
                    _ => Vec::new(),
                };
                let mut row = StageRow {
                    stage: i,
                    capacity,
                    pricing,
                    serverless,
                    kubernetes,
                    placements: Vec::new(),
                    on_kubernetes: 0,
                    misses: 0,
                    difference,
                    compute,
                };
                let plan = row.plan().best.clone();
                row.placements = staged
                    .services
                    .iter()
                    .zip(&plan.assignment)
                    .map(|(l, &p)| (l.name.clone(), staged.platforms[p].name.clone()))
                    .collect();
                row.on_kubernetes = plan.assignment.iter().filter(|&&p| !ev.is_independent(p)).count();
                row.misses = plan.misses;
                rows.push(row);
            }
        }
        ev.set_scope(Scope::default());
        simulations += ev.simulations;
    }
    let mut result = StagesResult {
        stages: scenario.stages.iter().map(|s| s.name.clone()).collect(),
        scales: scenario.stages.iter().map(|s| (s.scale, s.services.len())).collect(),
        rows,
        crossovers: Vec::new(),
        simulations,
    };
    result.crossovers = crossovers(&result);
    Ok(result)
}

/// The sign changes of the paired difference along the stages, each located in compute
/// spend with its 95% interval, for every capacity and pricing.
pub fn crossovers(result: &StagesResult) -> Vec<StageCrossover> {
    let mut out = Vec::new();
    for capacity in Capacity::ALL {
        for pricing in result.pricings() {
            let series = result.series(capacity, pricing);
            // Only where every stage has both halves and a compute spend.
            if series.is_empty()
                || series.iter().any(|r| r.difference.is_empty() || !r.compute.mean.is_finite())
            {
                continue;
            }
            let samples: Vec<Vec<f64>> = series.iter().map(|r| r.difference.clone()).collect();
            let xs: Vec<f64> = series.iter().map(|r| r.compute.mean).collect();
            let limits = (
                xs.iter().copied().fold(f64::INFINITY, f64::min),
                xs.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            );
            for seg in sign_changes(&samples) {
                let (i, j) = (seg.lower, seg.lower + 1);
                let (a, b) = (&samples[i], &samples[j]);
                let du = xs[j] - xs[i];
                let slope = if du != 0.0 {
                    (crate::sweep::crossover::mean(b) - crate::sweep::crossover::mean(a)) / du
                } else {
                    f64::NAN
                };
                let l = locate(xs[i], xs[j], a, b, slope, |u| u, limits);
                out.push(StageCrossover {
                    capacity,
                    pricing,
                    lower: series[i].stage,
                    upper: series[j].stage,
                    kubernetes_above: !seg.positive_below,
                    compute: l.x,
                    ci: l.ci,
                    replications: l.replications,
                });
            }
        }
    }
    out
}
