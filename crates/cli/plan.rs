//! `crossover plan`: the cheapest placement of a stack's services on the scenario's
//! platforms (the search is `crossover_runner::plan`; the files `crossover_report`'s).

use super::{
    check_threads, claim_folder, report_errors, run_failure, safe, select, with_run_settings, Failure,
    OverrideArgs, VERSION,
};
use anyhow::Context;
use clap::Args;
use crossover_platform::CostModel;
use crossover_runner::guard::{Limits, WorkEstimate};
use crossover_runner::plan::{PlanError, PlanOptions};
use crossover_runner::stages::{Capacity, Pricing, StageOptions, StagesError};
use crossover_scenario::Scenario;
use std::path::{Path, PathBuf};
use std::time::Instant;

/// The cost models `--cost` takes.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum CostArg {
    /// What the provider bills
    Infra,
    /// Infrastructure plus load balancers, NAT gateways and observability
    Overhead,
    /// Overhead plus the operations people
    Tco,
}

impl CostArg {
    fn model(self) -> CostModel {
        match self {
            CostArg::Infra => CostModel::Infrastructure,
            CostArg::Overhead => CostModel::Overhead,
            CostArg::Tco => CostModel::Tco,
        }
    }
}

#[derive(Args)]
pub struct PlanArgs {
    /// Scenario file (TOML): a stack of services and the platforms they may go to
    scenario: PathBuf,
    /// The cost model the plan minimises and prints (every model's plan is in the files)
    #[arg(long, value_enum, default_value_t = CostArg::Infra)]
    cost: CostArg,
    /// Output folder (default: output/<scenario name>-plan/)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replications per candidate (the same as --set simulation.replications=N)
    #[arg(short = 'n', long)]
    replications: Option<u32>,
    /// Base seed (the same as --set simulation.seed=S)
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Worker threads (default: all cores); results are identical for any value
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    overrides: OverrideArgs,
    /// With stages ([[stage]]): also price TCO with every Kubernetes platform's operations
    /// people at each of these FTE levels (comma-separated, e.g. 0.25,0.5,1,2), re-priced
    /// from the same simulations
    #[arg(long, value_delimiter = ',', value_name = "FTE,...")]
    kubernetes_fte: Vec<f64>,
    /// Consider only this platform (repeatable)
    #[arg(long = "platform", value_name = "NAME")]
    platforms: Vec<String>,
    /// Plan even when the estimated work is beyond the limits (1 hour or 1e10 requests)
    #[arg(long)]
    yes: bool,
    /// No notes on stderr (errors are still printed)
    #[arg(short, long)]
    quiet: bool,
}

pub fn plan(args: &PlanArgs) -> Result<u8, Failure> {
    check_threads(args.threads)?;
    let overrides = with_run_settings(&args.overrides.sets, args.replications, args.seed)?;
    let mut scenario = match crossover_scenario::load_with_overrides(&args.scenario, &overrides) {
        Ok(s) => s,
        Err(e) => {
            report_errors(&e);
            return Ok(2);
        }
    };
    select(&mut scenario, &args.platforms).map_err(Failure::BadInput)?;
    crossover_runner::plan::check_plannable(&scenario)
        .map_err(|e| Failure::BadInput(format!("error: {}: {e}", args.scenario.display())))?;
    if !scenario.stages.is_empty() {
        return stages(args, &scenario);
    }
    if !args.kubernetes_fte.is_empty() {
        return Err(Failure::BadInput(format!(
            "error: --kubernetes-fte re-prices the stages of a stage sweep, and {} has no [[stage]]",
            args.scenario.display()
        )));
    }
    guard(&scenario, args)?;
    let out = args.out.clone().unwrap_or_else(|| Path::new("output").join(format!("{}-plan", scenario.name)));
    let _lock = claim_folder(&out, args.quiet)?;
    let started = Instant::now();
    // Each batch of candidates is a round of the bar (simulations of this round).
    let bar = super::progress::Bar::rounds(args.quiet);
    let options = PlanOptions { threads: args.threads, progress: bar.callback() };
    let planned = crossover_runner::plan::plan(&scenario, &options);
    bar.finish();
    let result = match planned {
        Ok(r) => r,
        Err(PlanError::Input(e)) => return Err(Failure::BadInput(format!("error: {e}"))),
        Err(PlanError::Run(e)) => return Err(run_failure(e)),
    };
    let primary = args.cost.model();
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("plan.csv".into(), crossover_report::plan_csv(&result)),
        ("plan-comparison.csv".into(), crossover_report::plan_comparison_csv(&result)),
    ];
    for planned in &result.models {
        files.push((
            format!("plan-{}.toml", planned.plan.model.name()),
            planned.placed.resolved_toml(VERSION).into_bytes(),
        ));
    }
    files.push(("plan.svg".into(), crossover_report::plan_svg(&result).into_bytes()));
    files.push((
        "report.html".into(),
        crossover_report::plan_html(&scenario.name, &result, primary).into_bytes(),
    ));
    let files: Vec<(PathBuf, Vec<u8>)> = files.into_iter().map(|(n, b)| (out.join(n), b)).collect();
    crossover_report::write_all_atomic(&files)
        .with_context(|| format!("writing the plan to {}", out.display()))
        .map_err(Failure::Runtime)?;

    let p = result.get(primary);
    let totals = p.run_totals();
    let total = crossover_engine::mean_ci95(&totals);
    println!(
        "=> Plan ({} cost): ${:.2}/month ± {:.2}, {}.",
        primary.name(),
        total.mean,
        total.half_width,
        if p.plan.best.misses == 0 {
            "every service meets its SLO".to_string()
        } else {
            format!("{} service(s) miss their SLO wherever they go", p.plan.best.misses)
        }
    );
    println!("   Search: {}.", p.plan.search.describe());
    println!();
    println!(
        "{:<24} {:<20} {:>10} {:>8} {:>10} {:>8}  meets",
        "service", "platform", "$/month", "±95%", "p99 ms", "SLO ms"
    );
    for pl in &p.run.platforms {
        for s in pl.service_views() {
            let c = s.cost_under(primary);
            println!(
                "{:<24} {:<20} {:>10.2} {:>8.2} {:>10.1} {:>8}  {}",
                safe(s.name()),
                safe(&pl.platform),
                c.mean,
                c.half_width,
                s.latency().quantile_ms(0.99),
                s.slo_p99().map_or(String::new(), |d| format!("{:.0}", d.as_nanos() as f64 / 1e6)),
                s.meets_slo().map_or("", |m| if m { "yes" } else { "NO" })
            );
        }
    }
    println!();
    println!(
        "{:<24} {:>10} {:>8} {:>7} {:>12}  {}",
        "single platform", "$/month", "±95%", "misses", "plan saves", "95% interval"
    );
    for c in &p.comparisons {
        println!(
            "{:<24} {:>10.2} {:>8.2} {:>7} {:>12.2}  {:.2} to {:.2}",
            safe(&c.platform),
            c.total.mean,
            c.total.half_width,
            c.misses,
            c.saving.mean,
            c.saving.low(),
            c.saving.high()
        );
    }
    // Where the cost models disagree.
    for (s, (service, _)) in p.placements.iter().enumerate() {
        let places: Vec<&str> = result.models.iter().map(|m| m.placed_platform(s)).collect();
        if places.iter().any(|x| *x != places[0]) {
            let per: Vec<String> = result
                .models
                .iter()
                .zip(&places)
                .map(|(m, x)| format!("{} {}", m.plan.model.name(), x))
                .collect();
            println!("   note: {} goes to {}", safe(service), safe(&per.join(", ")));
        }
    }
    println!();
    println!(
        "# The [[platform]] entries that run this plan with `crossover run` (the whole scenario: {}):",
        out.join(format!("plan-{}.toml", primary.name())).display()
    );
    print!("{}", crossover_report::plan_entries(p));
    if !args.quiet {
        eprintln!(
            "plan: {} simulations in {:.1} s; results in {}",
            result.simulations,
            started.elapsed().as_secs_f64(),
            out.display()
        );
    }
    Ok(0)
}

/// The resource guard of a plan, as a run's: a plan simulates at least its placement
/// once per replication (every service, at every stage), and its search a multiple of
/// that, so a plan whose placement alone is beyond the limits is refused without --yes
/// (a 31-day horizon at 10,000 replications ran for days), and a long one is announced.
fn guard(scenario: &Scenario, args: &PlanArgs) -> Result<(), Failure> {
    let threads = args.threads.unwrap_or_else(super::rayon_threads);
    let placement = |s: &Scenario| WorkEstimate::new(s, u64::from(s.replications), threads);
    let least: WorkEstimate = if scenario.stages.is_empty() {
        placement(scenario)
    } else {
        (0..scenario.stages.len()).map(|i| placement(&scenario.stage(i))).sum()
    };
    match Limits::default().exceeded_by(&least) {
        Some(why) if !args.yes => Err(Failure::BadInput(format!(
            "error: a plan of \"{}\" simulates at least its placement, {least}: {why}, before the \
             search multiplies it. Lower simulation.horizon, simulation.replications or the traffic, \
             or pass --yes to plan anyway",
            safe(&scenario.name)
        ))),
        _ => {
            if least.seconds > super::ANNOUNCE_SECONDS && !args.quiet {
                eprintln!(
                    "a plan of \"{}\": at least {least}, and the search a multiple of it",
                    safe(&scenario.name)
                );
            }
            Ok(())
        }
    }
}

/// `crossover plan` on a scenario with `[[stage]]` entries: every stage planned, its
/// class and the all-serverless / Kubernetes difference, and the crossovers.
fn stages(args: &PlanArgs, scenario: &crossover_scenario::Scenario) -> Result<u8, Failure> {
    if let Some(bad) = args.kubernetes_fte.iter().find(|f| !(f.is_finite() && **f >= 0.0 && **f <= 100.0)) {
        return Err(Failure::BadInput(format!(
            "error: --kubernetes-fte {bad}: each level must be a number of people from 0 to 100"
        )));
    }
    for (i, stage) in scenario.stages.iter().enumerate() {
        crossover_runner::plan::check_plannable(&scenario.stage(i)).map_err(|e| {
            Failure::BadInput(format!(
                "error: {}: stage \"{}\": {e}",
                args.scenario.display(),
                safe(&stage.name)
            ))
        })?;
    }
    guard(scenario, args)?;
    let out = args.out.clone().unwrap_or_else(|| Path::new("output").join(format!("{}-plan", scenario.name)));
    let _lock = claim_folder(&out, args.quiet)?;
    let started = Instant::now();
    let bar = super::progress::Bar::rounds(args.quiet);
    let options = StageOptions {
        threads: args.threads,
        progress: bar.callback(),
        kubernetes_fte: args.kubernetes_fte.clone(),
    };
    let planned = crossover_runner::stages::plan_stages(scenario, &options);
    bar.finish();
    let result = match planned {
        Ok(r) => r,
        Err(StagesError::Input(e)) => return Err(Failure::BadInput(format!("error: {e}"))),
        Err(StagesError::Run(e)) => return Err(run_failure(e)),
    };
    let files: Vec<(PathBuf, Vec<u8>)> = vec![
        ("stages.csv", crossover_report::stages_csv(&result)),
        ("stage-crossovers.csv", crossover_report::stage_crossovers_csv(&result)),
        ("stages.svg", crossover_report::stages_svg(&result).into_bytes()),
        ("report.html", crossover_report::stages_html(&scenario.name, &result).into_bytes()),
    ]
    .into_iter()
    .map(|(n, b)| (out.join(n), b))
    .collect();
    crossover_report::write_all_atomic(&files)
        .with_context(|| format!("writing the stage sweep to {}", out.display()))
        .map_err(Failure::Runtime)?;

    let primary = args.cost.model();
    println!(
        "=> Stages ({} cost; compute = the best all-serverless plan's infrastructure bill; difference = \
         all-serverless minus with-Kubernetes, positive when Kubernetes is cheaper):",
        primary.name()
    );
    for capacity in Capacity::ALL {
        println!();
        println!(
            "{:<14} {:<10} {:>10} {:>18} {:<18} {:>22}  placement",
            "stage", "capacity", "compute", "plan $/month", "class", "difference (95%)"
        );
        for r in result.series(capacity, Pricing { model: primary, kubernetes_fte: None }) {
            let plan = crossover_engine::mean_ci95(&r.plan().totals);
            let diff = if r.difference.is_empty() {
                String::new()
            } else {
                let d = crossover_engine::mean_ci95(&r.difference);
                format!("{:.0} ({:.0} to {:.0})", d.mean, d.low(), d.high())
            };
            let placement: Vec<String> = r.placements.iter().map(|(s, p)| format!("{s}={p}")).collect();
            println!(
                "{:<14} {:<10} {:>10.0} {:>11.0} ± {:<4.0} {:<18} {:>22}  {}",
                safe(&result.stages[r.stage]),
                capacity.name(),
                r.compute.mean,
                plan.mean,
                plan.half_width,
                r.class().name(),
                diff,
                safe(&placement.join(" "))
            );
        }
    }
    println!();
    if result.crossovers.is_empty() {
        println!("No crossover: the cheaper half is the same at every stage, under every pricing.");
    }
    for c in &result.crossovers {
        println!(
            "crossover {:<10} {:<18} between {} and {}: {} cheaper above ${:.0}/month of compute{}",
            c.capacity.name(),
            c.pricing.label(),
            safe(&result.stages[c.lower]),
            safe(&result.stages[c.upper]),
            if c.kubernetes_above { "Kubernetes" } else { "serverless" },
            c.compute,
            c.ci.map_or(String::new(), |(lo, hi)| format!(" (95%: ${lo:.0} to ${hi:.0})"))
        );
    }
    if !args.quiet {
        eprintln!(
            "plan: {} stages, {} simulations in {:.1} s; results in {}",
            result.stages.len(),
            result.simulations,
            started.elapsed().as_secs_f64(),
            out.display()
        );
    }
    Ok(0)
}
