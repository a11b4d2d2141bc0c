//! Placement: the cheapest assignment of a stack's services to the scenario's platforms
//! such that every service meets its SLO (`crossover plan`).
//!
//! A plan's bill is the sum, over the platforms it uses, of what each bills for the
//! services placed on it. Services placed on one Kubernetes platform share its cluster
//! (nodes, bin-packing, pending pods), so each such subset is simulated together: a
//! stack of exactly those services. A serverless platform (no node pool, no spill) runs
//! each service's fleet on its own: nothing in the loop couples two services but the
//! event queue's order, and a service's random streams are keyed by its name, so a
//! service alone draws and does exactly what it does inside any stack (tested). Its
//! bill is not additive, though: the free tier is per billing account and the fixed
//! fees, load balancer and people are paid once, so a serverless platform's part of a
//! plan is priced from its services' meters together by
//! [`CostBreakdown::price_stack_by`], exactly as a run of that subset prices it.
//!
//! Every candidate is simulated with the scenario's seed and replications 0..n, so
//! replication r is the same requests in every subset (common random numbers) and the
//! differences between plans are paired, replication by replication.
//!
//! The search is exhaustive when there are at most [`EXHAUSTIVE_LIMIT`] assignments;
//! otherwise it starts from the best single-platform answer and moves one service at a
//! time to another platform (or all the services of one platform to another, since a
//! platform's fixed costs go only with its last service; and, when neither lowers the
//! objective, any two services together to a third platform), taking the best move, while
//! the objective falls; then it does the same from every other single-platform answer
//! and keeps the best plan found. The
//! objective is lexicographic: fewer services missing their SLO first, then the mean
//! monthly bill under the chosen cost model, then the assignment itself (so ties are
//! broken the same way every time).

use crate::{thread_pool, Progress, RunError, RunOptions, RunResult};
use crossover_engine::{mean_ci95, LatencyRecorder, MeanCi};
use crossover_platform::commitment::{self, add_hours, Hour};
use crossover_platform::{simulate, CostBreakdown, CostModel, Meters, SimInput, StackSpec};
use crossover_scenario::Scenario;
use rayon::prelude::*;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

/// Most assignments searched exhaustively.
pub const EXHAUSTIVE_LIMIT: u128 = 256;

/// Why a scenario cannot be planned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanInputError(pub String);

impl std::fmt::Display for PlanInputError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// How the assignment was found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Search {
    /// Every assignment evaluated.
    Exhaustive { assignments: u128 },
    /// Local search from each of the `starts` single-platform answers (`start`, the best
    /// of them, a platform name; `None` when no platform runs every service and each
    /// service started on its first candidate), the plan found from `from`: `moves`
    /// improving moves taken, `evaluated` assignments evaluated (a cached one again),
    /// out of `assignments` possible.
    Local {
        start: Option<String>,
        from: Option<String>,
        starts: usize,
        moves: usize,
        evaluated: usize,
        assignments: u128,
    },
}

impl Search {
    pub fn describe(&self) -> String {
        match self {
            Search::Exhaustive { assignments } => {
                format!("exhaustive: every one of the {assignments} assignments evaluated")
            }
            Search::Local { start, from, starts, moves, evaluated, assignments } => format!(
                "local search (of {assignments} assignments) from each of the {starts} single-platform \
                 answer(s), the best first ({}), moving one service (or one platform's services \
                 together) at a time while the total fell; the plan came from {}; {moves} move(s) taken, \
                 {evaluated} assignment(s) evaluated",
                start.as_deref().unwrap_or("each service on its first candidate platform"),
                from.as_deref().unwrap_or("each service on its first candidate platform"),
            ),
        }
    }
}

/// One candidate subset of services on one platform, over every replication.
#[derive(Clone, Debug)]
struct Subset {
    /// The platform's bill for these services, per replication.
    cost: Vec<CostBreakdown>,
    /// The meters of a lone service on a serverless platform, per replication (what a
    /// bill of several is priced from).
    meters: Vec<Meters>,
    /// Its eligible usage by the hour, per replication (empty without a commitment):
    /// what a commitment over several lone services is priced from.
    hours: Vec<Vec<Hour>>,
    /// Each service's SLO verdict (pooled p99 as written, against its SLO), in stack
    /// order; `None` without an SLO.
    meets: Vec<Option<bool>>,
}

/// An assignment's evaluation.
#[derive(Clone, Debug)]
pub struct Evaluation {
    /// `assignment[s]`: the platform (index in the scenario) of service `s`.
    pub assignment: Vec<usize>,
    /// Services missing their SLO.
    pub misses: usize,
    /// The whole bill per replication under each cost model (in [`CostModel::ALL`]
    /// order).
    pub totals: [Vec<f64>; 3],
}

impl Evaluation {
    pub fn total(&self, model: CostModel) -> &[f64] {
        &self.totals[model_index(model)]
    }

    pub fn mean(&self, model: CostModel) -> f64 {
        mean_ci95(self.total(model)).mean
    }

    fn key(&self, model: CostModel) -> (usize, f64) {
        (self.misses, self.mean(model))
    }

    /// Lexicographic: misses, then mean bill, then the assignment.
    fn better_than(&self, other: &Evaluation, model: CostModel) -> bool {
        let (a, b) = (self.key(model), other.key(model));
        match a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)) {
            Ordering::Less => true,
            Ordering::Greater => false,
            Ordering::Equal => self.assignment < other.assignment,
        }
    }
}

fn model_index(model: CostModel) -> usize {
    CostModel::ALL.iter().position(|m| *m == model).unwrap_or(0)
}

/// Which assignments a search may return (the stage sweep searches parts of the space
/// that share one cache of simulations).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// `allowed[p]`: whether platform `p` may be used; empty allows every platform.
    pub allowed: Vec<bool>,
    /// `Some(false)`: no service on a platform with nodes (Kubernetes), so every service
    /// serverless; `Some(true)`: at least one service on one; `None`: either.
    pub kubernetes: Option<bool>,
}

/// Simulates the candidate subsets and evaluates assignments, caching every subset.
pub struct Evaluator<'a> {
    scenario: &'a Scenario,
    /// The part of the space searches look in (every assignment by default).
    scope: Scope,
    /// When set, TCO prices each platform with nodes (Kubernetes) at this many operations
    /// people (its `ops_fte`) instead of the file's, at its own loaded salary: re-pricing,
    /// no simulation.
    kubernetes_fte: Option<f64>,
    /// Platforms whose services run apart (no node pool, no spill).
    independent: Vec<bool>,
    /// (platform, services bitmask) -> its simulation over every replication. For an
    /// independent platform only lone services are simulated.
    cache: BTreeMap<(usize, u128), Subset>,
    threads: Option<usize>,
    progress: Option<Progress>,
    /// Simulations (subset x replication) run so far.
    pub simulations: usize,
}

impl<'a> Evaluator<'a> {
    pub fn new(
        scenario: &'a Scenario,
        threads: Option<usize>,
        progress: Option<Progress>,
    ) -> Result<Evaluator<'a>, PlanInputError> {
        check_plannable(scenario)?;
        let independent = scenario.platforms.iter().map(|p| p.shared().nodes.is_none()).collect();
        Ok(Evaluator {
            scenario,
            scope: Scope::default(),
            kubernetes_fte: None,
            independent,
            cache: BTreeMap::new(),
            threads,
            progress,
            simulations: 0,
        })
    }

    /// Limits later searches to `scope` (simulations already run stay cached).
    pub fn set_scope(&mut self, scope: Scope) {
        self.scope = scope;
    }

    /// Prices TCO with every Kubernetes platform's operations people at `fte` (`None`:
    /// as the scenario says). Evaluations after this use it.
    pub fn set_kubernetes_fte(&mut self, fte: Option<f64>) {
        self.kubernetes_fte = fte;
    }

    /// Whether platform `p` is in scope for a service (allowed, and serverless when the
    /// scope wants no Kubernetes).
    fn in_scope(&self, p: usize) -> bool {
        self.scope.allowed.get(p).copied().unwrap_or(true)
            && (self.scope.kubernetes != Some(false) || self.independent[p])
    }

    /// Whether an assignment is in scope (each platform in scope, and some service on
    /// Kubernetes when the scope wants one).
    pub fn admissible(&self, assignment: &[usize]) -> bool {
        assignment.iter().all(|&p| self.in_scope(p))
            && (self.scope.kubernetes != Some(true) || assignment.iter().any(|&p| !self.independent[p]))
    }

    /// Platforms service `s` may go to: those that run it, in scope.
    pub fn candidates(&self, s: usize) -> Vec<usize> {
        (0..self.scenario.platforms.len())
            .filter(|&p| self.scenario.platforms[p].runs(s) && self.in_scope(p))
            .collect()
    }

    /// Whether platform `p` runs its services apart (serverless): their subset's bill
    /// is priced from each one's own simulation.
    pub fn is_independent(&self, p: usize) -> bool {
        self.independent[p]
    }

    /// The (platform, mask) subsets an assignment needs simulated.
    fn needs(&self, assignment: &[usize]) -> Vec<(usize, u128)> {
        let mut out = Vec::new();
        for (p, mask) in masks(assignment) {
            if self.independent[p] {
                out.extend(bits(mask).map(|s| (p, 1u128 << s)));
            } else {
                out.push((p, mask));
            }
        }
        out
    }

    /// Simulates every subset the assignments need that is not cached yet, all in one
    /// parallel batch (results gathered in order: the same for any thread count).
    pub fn prepare(&mut self, assignments: &[Vec<usize>]) -> Result<(), RunError> {
        let wanted: BTreeSet<(usize, u128)> =
            assignments.iter().flat_map(|a| self.needs(a)).filter(|k| !self.cache.contains_key(k)).collect();
        if wanted.is_empty() {
            return Ok(());
        }
        let wanted: Vec<(usize, u128)> = wanted.into_iter().collect();
        let reps = self.scenario.replications as usize;
        let jobs: Vec<(usize, u32)> =
            (0..wanted.len()).flat_map(|k| (0..reps as u32).map(move |r| (k, r))).collect();
        let pool = thread_pool(self.threads, jobs.len()).map_err(RunError::Threads)?;
        let scenario = self.scenario;
        let stacks: Vec<StackSpec> = wanted.iter().map(|&(p, mask)| stack_of(scenario, p, mask)).collect();
        let done = std::sync::atomic::AtomicUsize::new(0);
        let total = jobs.len();
        let progress = self.progress.clone();
        let results: Vec<_> = pool.install(|| {
            jobs.par_iter()
                .map(|&(k, r)| {
                    let stack = &stacks[k];
                    let out = simulate(&SimInput {
                        platform: stack,
                        services: &scenario.loads(stack),
                        horizon: scenario.horizon,
                        seed: scenario.seed,
                        replication: r as u64,
                        timeline: false,
                    });
                    let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                    if let Some(Progress(f)) = &progress {
                        f(n, total);
                    }
                    let latencies: Vec<LatencyRecorder> =
                        out.services.into_iter().map(|s| s.latency).collect();
                    (out.cost, out.meters, out.eligible_hours, latencies)
                })
                .collect()
        });
        self.simulations += total;
        let mut results = results.into_iter();
        for (k, &(p, mask)) in wanted.iter().enumerate() {
            let n = stacks[k].services.len();
            let mut pooled = vec![LatencyRecorder::new(); n];
            let mut cost = Vec::with_capacity(reps);
            let mut meters = Vec::with_capacity(reps);
            let mut hours = Vec::with_capacity(reps);
            for _ in 0..reps {
                let (c, m, h, lat) = results.next().expect("one result per job");
                hours.push(h);
                for (a, b) in pooled.iter_mut().zip(&lat) {
                    a.merge(b);
                }
                cost.push(c);
                meters.push(m);
            }
            let meets = bits(mask)
                .zip(&pooled)
                .map(|(s, l)| {
                    let slo = scenario.services[s].slo_p99?;
                    Some(written_p99(l) <= slo.as_nanos() as f64 / 1e6)
                })
                .collect();
            self.cache.insert((p, mask), Subset { cost, meters, hours, meets });
        }
        Ok(())
    }

    /// Evaluates an assignment whose subsets are prepared.
    pub fn evaluate(&self, assignment: &[usize]) -> Evaluation {
        let reps = self.scenario.replications as usize;
        let mut totals: [Vec<f64>; 3] = [vec![0.0; reps], vec![0.0; reps], vec![0.0; reps]];
        let mut misses = 0;
        for (p, mask) in masks(assignment) {
            let bills = self.bills(p, mask);
            // TCO re-priced with other Kubernetes operations people, if asked.
            let people = match self.kubernetes_fte {
                Some(fte) if !self.independent[p] => {
                    let own = self.scenario.platforms[p].shared().tariff.people;
                    Some(crossover_platform::People { fte, ..own }.monthly())
                }
                _ => None,
            };
            for (r, bill) in bills.iter().enumerate() {
                for (m, model) in CostModel::ALL.iter().enumerate() {
                    totals[m][r] += match (model, people) {
                        (CostModel::Tco, Some(people)) => bill.with_overhead() + people,
                        _ => bill.under(*model),
                    };
                }
            }
            misses += self.verdicts(p, mask).iter().filter(|v| **v == Some(false)).count();
        }
        Evaluation { assignment: assignment.to_vec(), misses, totals }
    }

    /// Platform `p`'s bill for the services of `mask`, per replication.
    pub fn bills(&self, p: usize, mask: u128) -> Vec<CostBreakdown> {
        if !self.independent[p] {
            return self.cache[&(p, mask)].cost.clone();
        }
        let stack = &self.scenario.platforms[p];
        let shared = &stack.shared().tariff;
        // Each service's usage at its own rates (a worker pool, jobs), the rest once.
        // A platform that runs only some services (`only_services`) holds their specs in
        // its own order.
        let spec = |s: usize| match &stack.only {
            None => &stack.services[s],
            Some(own) => &stack.services[own.iter().position(|&o| o == s).expect("the platform runs it")],
        };
        let tariffs: Vec<&crossover_platform::Tariff> = bits(mask).map(|s| &spec(s).tariff).collect();
        let lone: Vec<&Subset> = bits(mask).map(|s| &self.cache[&(p, 1u128 << s)]).collect();
        (0..self.scenario.replications as usize)
            .map(|r| {
                let meters: Vec<Meters> = lone.iter().map(|l| l.meters[r]).collect();
                let mut bill =
                    CostBreakdown::price_stack_by(&meters, &tariffs, shared, self.scenario.horizon).0;
                // A commitment covers the services' usage together, hour by hour.
                if let Some(c) = &shared.commitment {
                    let hours = lone.iter().fold(Vec::new(), |acc, l| add_hours(&acc, &l.hours[r]));
                    commitment::apply(c, &hours, self.scenario.horizon, &mut bill, &mut []);
                }
                bill
            })
            .collect()
    }

    /// Each service of `mask` on `p`: its SLO verdict, in stack order.
    pub fn verdicts(&self, p: usize, mask: u128) -> Vec<Option<bool>> {
        if self.independent[p] {
            bits(mask).map(|s| self.cache[&(p, 1u128 << s)].meets[0]).collect()
        } else {
            self.cache[&(p, mask)].meets.clone()
        }
    }

    /// Assignments possible (the product of each service's candidates), saturating.
    pub fn assignment_count(&self) -> u128 {
        (0..self.scenario.services.len())
            .map(|s| self.candidates(s).len() as u128)
            .fold(1u128, |a, n| a.saturating_mul(n))
    }

    /// Every service on platform `p`, if `p` runs them all and that is in scope.
    pub fn single(&self, p: usize) -> Option<Vec<usize>> {
        let n = self.scenario.services.len();
        let a = vec![p; n];
        ((0..n).all(|s| self.scenario.platforms[p].runs(s)) && self.admissible(&a)).then_some(a)
    }

    /// The scenario evaluated.
    pub fn scenario(&self) -> &Scenario {
        self.scenario
    }
}

/// The p99 of a pooled histogram as the result files write it (to the microsecond),
/// as `ServiceView::p99_written_ms` judges it.
fn written_p99(l: &LatencyRecorder) -> f64 {
    format!("{:.3}", l.quantile_ms(0.99)).parse().unwrap_or(f64::NAN)
}

/// Platform `p` running the services of `mask`.
fn stack_of(scenario: &Scenario, p: usize, mask: u128) -> StackSpec {
    let indices: Vec<usize> = bits(mask).collect();
    scenario.platforms[p].only(&indices)
}

/// The services (bits) of a mask, in increasing order.
fn bits(mask: u128) -> impl Iterator<Item = usize> {
    (0..128).filter(move |i| mask >> i & 1 == 1)
}

/// Each platform an assignment uses, with the mask of its services, by platform.
fn masks(assignment: &[usize]) -> BTreeMap<usize, u128> {
    let mut out: BTreeMap<usize, u128> = BTreeMap::new();
    for (s, &p) in assignment.iter().enumerate() {
        *out.entry(p).or_default() |= 1u128 << s;
    }
    out
}

/// A scenario `plan` can take: at most 128 services, every service placeable on some
/// platform, no spill (a hybrid's overflow platform is a second placement of its own).
pub fn check_plannable(scenario: &Scenario) -> Result<(), PlanInputError> {
    if scenario.services.len() > 128 {
        return Err(PlanInputError(format!(
            "plan places at most 128 services; the scenario has {}",
            scenario.services.len()
        )));
    }
    if let Some(p) = scenario.platforms.iter().find(|p| p.is_hybrid()) {
        return Err(PlanInputError(format!(
            "platform \"{}\" spills to another platform (`spill`): plan places each service on one \
             platform; leave it out with --platform, or remove its spill",
            p.name
        )));
    }
    for (s, load) in scenario.services.iter().enumerate() {
        if !scenario.platforms.iter().any(|p| p.runs(s)) {
            return Err(PlanInputError(format!(
                "no platform runs service \"{}\" (`only_services`)",
                load.name
            )));
        }
    }
    Ok(())
}

/// The plan under one cost model.
#[derive(Clone, Debug)]
pub struct ModelPlan {
    pub model: CostModel,
    pub best: Evaluation,
    pub search: Search,
}

/// The best assignment under `model`: exhaustive when there are at most
/// [`EXHAUSTIVE_LIMIT`], else local search from the best single-platform answer.
pub fn search(ev: &mut Evaluator, model: CostModel) -> Result<ModelPlan, RunError> {
    search_with(ev, model, EXHAUSTIVE_LIMIT)
}

/// [`search`], exhaustive up to `limit` assignments (a test compares the two searches).
pub fn search_with(ev: &mut Evaluator, model: CostModel, limit: u128) -> Result<ModelPlan, RunError> {
    Ok(search_scoped(ev, model, limit)?.expect("every service has a platform (check_plannable)"))
}

/// The best assignment in the evaluator's scope (see [`Evaluator::set_scope`]), `None`
/// when the scope holds none.
pub fn search_scoped(
    ev: &mut Evaluator,
    model: CostModel,
    limit: u128,
) -> Result<Option<ModelPlan>, RunError> {
    let n = ev.scenario.services.len();
    let candidates: Vec<Vec<usize>> = (0..n).map(|s| ev.candidates(s)).collect();
    if candidates.iter().any(Vec::is_empty) {
        return Ok(None);
    }
    let count = ev.assignment_count();
    if count <= limit {
        let all: Vec<Vec<usize>> = enumerate(&candidates).into_iter().filter(|a| ev.admissible(a)).collect();
        ev.prepare(&all)?;
        let best =
            all.iter().map(|a| ev.evaluate(a)).reduce(|a, b| if b.better_than(&a, model) { b } else { a });
        return Ok(best.map(|best| ModelPlan {
            model,
            best,
            search: Search::Exhaustive { assignments: count },
        }));
    }
    let singles: Vec<Vec<usize>> = (0..ev.scenario.platforms.len()).filter_map(|p| ev.single(p)).collect();
    ev.prepare(&singles)?;
    let mut starts: Vec<(Evaluation, Option<String>)> =
        singles.iter().map(|a| (ev.evaluate(a), Some(ev.scenario.platforms[a[0]].name.clone()))).collect();
    if starts.is_empty() {
        let mut a: Vec<usize> = candidates.iter().map(|c| c[0]).collect();
        if !ev.admissible(&a) {
            // The scope wants a service on Kubernetes: the first that can go to one.
            let k8s =
                (0..n).find_map(|s| candidates[s].iter().find(|&&p| !ev.independent[p]).map(|&p| (s, p)));
            match k8s {
                Some((s, p)) => a[s] = p,
                None => return Ok(None),
            }
        }
        ev.prepare(std::slice::from_ref(&a))?;
        starts.push((ev.evaluate(&a), None));
    }
    // The best single-platform answer first; then the others: a descent from one
    // platform's answer reaches plans that a descent from another's cannot, when a
    // platform is worth its fixed costs only with several services on it.
    starts.sort_by(|a, b| {
        if a.0.better_than(&b.0, model) {
            Ordering::Less
        } else if b.0.better_than(&a.0, model) {
            Ordering::Greater
        } else {
            Ordering::Equal
        }
    });
    let first = starts[0].1.clone();
    let count_starts = starts.len();
    let mut evaluated = starts.len();
    let mut moves = 0;
    let mut best: Option<(Evaluation, Option<String>)> = None;
    for (start, name) in starts {
        let current = descend(ev, model, &candidates, start, &mut evaluated, &mut moves)?;
        if best.as_ref().is_none_or(|(b, _)| current.better_than(b, model)) {
            best = Some((current, name));
        }
    }
    let (best, from) = best.expect("at least one start");
    Ok(Some(ModelPlan {
        model,
        best,
        search: Search::Local {
            start: first,
            from,
            starts: count_starts,
            moves,
            evaluated,
            assignments: count,
        },
    }))
}

/// Moves from `current` to its best neighbour while that lowers the objective: one
/// service to another platform, or all the services of one platform to another.
fn descend(
    ev: &mut Evaluator,
    model: CostModel,
    candidates: &[Vec<usize>],
    mut current: Evaluation,
    evaluated: &mut usize,
    moves: &mut usize,
) -> Result<Evaluation, RunError> {
    let n = candidates.len();
    // Each move strictly lowers the objective over a finite set: the loop ends.
    loop {
        let mut neighbours: Vec<Vec<usize>> = (0..n)
            .flat_map(|s| {
                let current = &current.assignment;
                candidates[s].iter().filter(move |&&q| q != current[s]).map(move |&q| {
                    let mut a = current.clone();
                    a[s] = q;
                    a
                })
            })
            .collect();
        // A platform's fixed costs (control plane, fees, load balancer, people) are paid
        // once it runs anything, so moving its services out one at a time saves nothing
        // until the last has gone: also try moving all of a platform's services at once
        // to another platform that can run them all.
        let used: BTreeSet<usize> = current.assignment.iter().copied().collect();
        for &from in &used {
            for to in 0..ev.scenario.platforms.len() {
                let group: Vec<usize> = (0..n).filter(|&s| current.assignment[s] == from).collect();
                if to == from || group.len() < 2 || !group.iter().all(|&s| candidates[s].contains(&to)) {
                    continue;
                }
                let mut a = current.assignment.clone();
                for &s in &group {
                    a[s] = to;
                }
                neighbours.push(a);
            }
        }
        neighbours.retain(|a| ev.admissible(a));
        ev.prepare(&neighbours)?;
        *evaluated += neighbours.len();
        let best =
            neighbours
                .iter()
                .map(|a| ev.evaluate(a))
                .reduce(|a, b| if b.better_than(&a, model) { b } else { a });
        let best = match best {
            Some(b) if b.better_than(&current, model) => Some(b),
            // Stuck: try moving two services together to one other platform. On a
            // cluster a node is freed only when every pod on it goes, and a platform's
            // fixed costs (a control plane) are worth paying only for several services,
            // so a pair may be worth moving where neither alone is (cases the property
            // test found: two pods sharing a node; two services opening a cluster).
            _ => {
                let pairs = pair_moves(ev, candidates, &current.assignment);
                ev.prepare(&pairs)?;
                *evaluated += pairs.len();
                pairs
                    .iter()
                    .map(|a| ev.evaluate(a))
                    .reduce(|a, b| if b.better_than(&a, model) { b } else { a })
                    .filter(|b| b.better_than(&current, model))
            }
        };
        match best {
            Some(b) => {
                current = b;
                *moves += 1;
            }
            None => return Ok(current),
        }
    }
}

/// Every assignment that moves two services together to a platform that runs both and
/// was neither's, within the evaluator's scope.
fn pair_moves(ev: &Evaluator, candidates: &[Vec<usize>], current: &[usize]) -> Vec<Vec<usize>> {
    let n = current.len();
    let mut out = Vec::new();
    for s in 0..n {
        for t in s + 1..n {
            for &to in candidates[s]
                .iter()
                .filter(|&&q| q != current[s] && q != current[t] && candidates[t].contains(&q))
            {
                let mut a = current.to_vec();
                a[s] = to;
                a[t] = to;
                if ev.admissible(&a) {
                    out.push(a);
                }
            }
        }
    }
    out
}

/// Every assignment, the last service changing fastest.
fn enumerate(candidates: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let mut out = vec![Vec::new()];
    for c in candidates {
        out = out
            .into_iter()
            .flat_map(|a: Vec<usize>| {
                c.iter().map(move |&p| {
                    let mut b = a.clone();
                    b.push(p);
                    b
                })
            })
            .collect();
    }
    out
}

/// A plan against one single-platform answer: the saving per month (single minus
/// plan, positive when the plan is cheaper), its 95% interval from the per-replication
/// paired differences.
#[derive(Clone, Debug)]
pub struct Comparison {
    pub platform: String,
    pub total: MeanCi,
    pub misses: usize,
    pub saving: MeanCi,
}

/// Compares `plan` with every platform that runs every service.
pub fn compare(ev: &mut Evaluator, plan: &Evaluation, model: CostModel) -> Result<Vec<Comparison>, RunError> {
    let singles: Vec<(usize, Vec<usize>)> =
        (0..ev.scenario.platforms.len()).filter_map(|p| ev.single(p).map(|a| (p, a))).collect();
    ev.prepare(&singles.iter().map(|(_, a)| a.clone()).collect::<Vec<_>>())?;
    Ok(singles
        .into_iter()
        .map(|(p, a)| {
            let e = ev.evaluate(&a);
            let diffs: Vec<f64> = e.total(model).iter().zip(plan.total(model)).map(|(s, q)| s - q).collect();
            Comparison {
                platform: ev.scenario.platforms[p].name.clone(),
                total: mean_ci95(e.total(model)),
                misses: e.misses,
                saving: mean_ci95(&diffs),
            }
        })
        .collect())
}

/// What `plan` is told besides the scenario.
#[derive(Clone, Debug, Default)]
pub struct PlanOptions {
    /// Worker threads; `None` uses every core. Results are the same for any count.
    pub threads: Option<usize>,
    /// Told (simulations done, in the batch under way) from the worker threads.
    pub progress: Option<Progress>,
}

/// The plan under one cost model, checked by running it.
#[derive(Clone, Debug)]
pub struct Planned {
    pub plan: ModelPlan,
    /// Against every platform that runs every service.
    pub comparisons: Vec<Comparison>,
    /// The plan as a scenario: each platform it uses with `only_services`.
    pub placed: Scenario,
    /// `placed` run as `crossover run` runs it: its per-replication bills add up to the
    /// plan's (tested), and its services' rows are the plan's.
    pub run: RunResult,
    /// (service, platform) for each service, in the scenario's order.
    pub placements: Vec<(String, String)>,
}

impl Planned {
    /// The platform the plan puts service `s` on.
    pub fn placed_platform(&self, s: usize) -> &str {
        &self.placements[s].1
    }

    /// Service `s`'s name.
    pub fn service_name(&self, s: usize) -> &str {
        &self.placements[s].0
    }

    /// The run's whole bill under the plan's cost model, per replication: every
    /// platform's, added.
    pub fn run_totals(&self) -> Vec<f64> {
        let reps = self.run.platforms.first().map_or(0, |p| p.replications.len());
        (0..reps)
            .map(|r| self.run.platforms.iter().map(|p| p.replications[r].cost.under(self.plan.model)).sum())
            .collect()
    }
}

/// The plans under every cost model, and what it took.
#[derive(Clone, Debug)]
pub struct PlanResult {
    /// In [`CostModel::ALL`] order.
    pub models: Vec<Planned>,
    /// Simulations (candidate subset x replication) the search ran.
    pub simulations: usize,
}

impl PlanResult {
    pub fn get(&self, model: CostModel) -> &Planned {
        &self.models[model_index(model)]
    }
}

/// Plans `scenario` under each cost model, then runs each distinct plan.
pub fn plan(scenario: &Scenario, opts: &PlanOptions) -> Result<PlanResult, PlanError> {
    let mut ev = Evaluator::new(scenario, opts.threads, opts.progress.clone()).map_err(PlanError::Input)?;
    let mut runs: BTreeMap<Vec<usize>, (Scenario, RunResult)> = BTreeMap::new();
    let mut models = Vec::new();
    for model in CostModel::ALL {
        let plan = search(&mut ev, model).map_err(PlanError::Run)?;
        let comparisons = compare(&mut ev, &plan.best, model).map_err(PlanError::Run)?;
        let a = plan.best.assignment.clone();
        if !runs.contains_key(&a) {
            let name = format!("{}-plan", scenario.name);
            let placed = scenario.placed(&a, &name);
            let mut ro = RunOptions::from_scenario(&placed);
            ro.threads = opts.threads;
            let run = crate::run(&placed, &ro).map_err(PlanError::Run)?;
            runs.insert(a.clone(), (placed, run));
        }
        let (placed, run) = runs[&a].clone();
        let placements = scenario
            .services
            .iter()
            .zip(&a)
            .map(|(l, &p)| (l.name.clone(), scenario.platforms[p].name.clone()))
            .collect();
        models.push(Planned { plan, comparisons, placed, run, placements });
    }
    Ok(PlanResult { models, simulations: ev.simulations })
}

/// Why a plan was not made.
#[derive(Debug)]
pub enum PlanError {
    /// The scenario cannot be planned (exit 2).
    Input(PlanInputError),
    Run(RunError),
}

impl std::fmt::Display for PlanError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlanError::Input(e) => e.fmt(f),
            PlanError::Run(e) => e.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_is_the_product_in_order() {
        let all = enumerate(&[vec![0, 1], vec![2], vec![0, 3]]);
        assert_eq!(all, vec![vec![0, 2, 0], vec![0, 2, 3], vec![1, 2, 0], vec![1, 2, 3]]);
    }

    #[test]
    fn masks_group_services_by_platform() {
        let m = masks(&[1, 0, 1, 2]);
        assert_eq!(m.into_iter().collect::<Vec<_>>(), vec![(0, 0b10), (1, 0b101), (2, 0b1000)]);
        assert_eq!(bits(0b1011).collect::<Vec<_>>(), vec![0, 1, 3]);
    }
}
