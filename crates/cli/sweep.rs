//! `crossover sweep` and `crossover merge`: glue between the command line and
//! `crossover_runner::sweep`.

use super::{report_errors, safe, select, Failure, OverrideArgs, VERSION};
use anyhow::Context;
use clap::Args;
use crossover_runner::guard::{Limits, WorkEstimate};
use crossover_runner::sweep::shard::{self, ShardSpec};
use crossover_runner::sweep::{self as sw, Metric, Plan, SweepOptions, SweepResult, Tolerance, Vary};
use crossover_scenario::{Override, Scenario};
use std::path::{Path, PathBuf};
use std::time::Instant;

/// Most points a sweep grid may have: each (point, platform) keeps a latency histogram
/// of about 230 KB in memory.
const MAX_POINTS: usize = 2_000;

#[derive(Args)]
pub struct SweepArgs {
    /// Scenario file (TOML): the base every point varies
    scenario: PathBuf,
    /// A key and its values: PATH=1,2,5 (a list), PATH=0..5:6 (a linear range) or
    /// PATH=10..10000:log:25 (a log range); repeatable (several make a grid)
    #[arg(long = "vary", value_name = "PATH=SPEC", required = true)]
    varies: Vec<String>,
    /// Narrow every crossing by bisection (same seed and replications) to --tolerance
    #[arg(long)]
    refine: bool,
    /// Refinement stops when the bracket is this narrow: a percentage of the crossing
    /// value (1%) or a width in the swept key's unit (0.5)
    #[arg(long, default_value = "1%")]
    tolerance: String,
    /// Add replications to each point until the 95% half-width of every platform's cost
    /// and p99 is within this share of the mean (2% or 0.02)
    #[arg(long, value_name = "PERCENT")]
    ci_target: Option<String>,
    /// Most replications per point with --ci-target
    #[arg(long, default_value_t = 200)]
    max_replications: u32,
    /// Run only shard K (from 0) of N of the (point, replication) work and write
    /// shard-K-of-N.txt; `crossover merge` combines the shards
    #[arg(long, value_name = "K/N")]
    shard: Option<String>,
    /// Output folder (default: output/<scenario name>-sweep/; shards:
    /// output/<scenario name>-sweep-shards/)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replications per point (the same as --set simulation.replications=N)
    #[arg(short = 'n', long)]
    replications: Option<u32>,
    /// Base seed, the same at every point (the same as --set simulation.seed=S)
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Worker threads (default: all cores); results are identical for any value
    #[arg(long)]
    threads: Option<usize>,
    #[command(flatten)]
    overrides: OverrideArgs,
    /// Sweep only this platform (repeatable)
    #[arg(long = "platform", value_name = "NAME")]
    platforms: Vec<String>,
    /// Continue an interrupted sweep from the checkpoint in its output folder (the same
    /// command otherwise); the results are identical to an uninterrupted sweep's
    #[arg(long)]
    resume: bool,
    /// Sweep even when the estimated work is beyond the limits (1 hour or 1e10 requests)
    #[arg(long)]
    yes: bool,
    /// No progress bar, estimate or notes on stderr (errors are still printed)
    #[arg(short, long)]
    quiet: bool,
}

#[derive(Args)]
pub struct MergeArgs {
    /// Folders holding shard-K-of-N.txt files (or the files themselves)
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output folder (default: output/<scenario name>-sweep/)
    #[arg(long)]
    out: Option<PathBuf>,
}

fn bad(msg: impl std::fmt::Display) -> Failure {
    Failure::BadInput(format!("error: {msg}"))
}

fn percent(text: &str) -> Result<f64, String> {
    let t = text.trim();
    let x = match t.strip_suffix('%') {
        Some(p) => p.trim().parse::<f64>().map(|x| x / 100.0),
        None => t.parse::<f64>(),
    }
    .map_err(|_| format!("`{text}` is not a percentage (2%) or a fraction (0.02)"))?;
    if !(x > 0.0 && x <= 1.0) {
        return Err(format!("`{text}` must be above 0 and at most 100%"));
    }
    Ok(x)
}

struct Options {
    varies: Vec<Vary>,
    sweep: SweepOptions,
    shard: Option<ShardSpec>,
    base: Vec<Override>,
}

fn options(args: &SweepArgs) -> Result<Options, Failure> {
    super::check_threads(args.threads)?;
    let mut varies: Vec<Vary> = Vec::new();
    for arg in &args.varies {
        let v = Vary::parse(arg).map_err(bad)?;
        if varies.iter().any(|w| w.path == v.path) {
            return Err(bad(format!("--vary {arg}: `{}` is already varied", v.path)));
        }
        varies.push(v);
    }
    if sw::grid_size(&varies) > MAX_POINTS {
        return Err(bad(format!(
            "the --vary grid has {} points; at most {MAX_POINTS} (split it into several sweeps)",
            sw::grid_size(&varies)
        )));
    }
    let refine = if args.refine {
        Some(Tolerance::parse(&args.tolerance).map_err(|e| bad(format!("--tolerance: {e}")))?)
    } else {
        None
    };
    let ci_target =
        args.ci_target.as_deref().map(percent).transpose().map_err(|e| bad(format!("--ci-target: {e}")))?;
    let most = crossover_scenario::resolve::MAX_REPLICATIONS;
    if args.max_replications == 0 || args.max_replications > most {
        return Err(bad(format!(
            "--max-replications {}: must be between 1 and {most}, as simulation.replications",
            args.max_replications
        )));
    }
    let shard =
        args.shard.as_deref().map(ShardSpec::parse).transpose().map_err(|e| bad(format!("--shard: {e}")))?;
    if shard.is_some() && (refine.is_some() || ci_target.is_some()) {
        return Err(bad(
            "--shard runs a fixed share of the grid: --refine and --ci-target need every replication of a \
             point in one place. Merge the shards, then refine or add replications without --shard",
        ));
    }
    let base = super::with_run_settings(&args.overrides.sets, args.replications, args.seed)?;
    Ok(Options {
        varies,
        sweep: SweepOptions {
            threads: args.threads,
            ci_target,
            max_replications: args.max_replications,
            refine,
            cancel: None,
            resume: None,
            progress: None,
        },
        shard,
        base,
    })
}

pub fn sweep(args: &SweepArgs) -> Result<u8, Failure> {
    let o = options(args)?;
    let path = &args.scenario;
    let origin = path.display().to_string();
    let source = match crossover_scenario::read_source(path) {
        Ok(source) => source,
        Err(e) => {
            report_errors(&e);
            return Ok(2);
        }
    };
    let stem = path.file_stem().and_then(|s| s.to_str()).unwrap_or("scenario").to_string();
    let base_dir =
        path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    // A point: the file, then --set/-n/--seed, then the point's --vary values.
    let load = |extra: &[Override]| -> Result<Scenario, String> {
        let all: Vec<Override> = o.base.iter().chain(extra).cloned().collect();
        let mut s = crossover_scenario::parse_with_overrides_in(&source, &origin, &stem, &all, &base_dir)
            .map_err(|e| {
                let n = e.diagnostics.len();
                format!("{e}\n{}: {n} error{}", e.origin, if n == 1 { "" } else { "s" })
            })?;
        select(&mut s, &args.platforms)?;
        Ok(s)
    };
    let base = match crossover_scenario::parse_with_overrides_in(&source, &origin, &stem, &o.base, &base_dir)
    {
        Ok(s) => s,
        Err(e) => {
            report_errors(&e);
            return Ok(2);
        }
    };
    let mut base = base;
    select(&mut base, &args.platforms).map_err(Failure::BadInput)?;
    if o.shard.is_some() && base.has_partial_platforms() {
        // A shard file records one stack per point, the one every platform runs.
        return Err(Failure::BadInput(format!(
            "error: --shard: {} has platforms that run only some services (`only_services`); shards \
             record one stack that every platform runs: run the sweep without --shard",
            safe(&origin)
        )));
    }
    let plan = match Plan::new(o.varies.clone(), load) {
        Ok(plan) => plan,
        Err(errors) => {
            for e in &errors {
                eprintln!("{}\n", safe(&e.to_string()));
            }
            return Ok(2);
        }
    };
    let slo_ms = base.slo_p99.map(|d| d.as_secs_f64() * 1e3);
    let resolved = base.resolved_toml(VERSION);
    let started = Instant::now();
    if let Err(message) = guard(&plan, o.sweep.threads, args) {
        eprintln!("{}", safe(&message));
        return Ok(2);
    }
    let note = |line: String| {
        if !args.quiet {
            eprintln!("{line}");
        }
    };
    note(format!(
        "sweeping \"{}\": {} point(s) x {} platform(s) x {} replication(s) over {}",
        base.name,
        plan.points.len(),
        base.platforms.len(),
        match o.sweep.ci_target {
            Some(t) => format!(
                "adaptive (95% half-width within {}%, at most {})",
                t * 100.0,
                o.sweep.max_replications
            ),
            None => base.replications.to_string(),
        },
        base.horizon
    ));
    if let Some(spec) = o.shard {
        let out = args
            .out
            .clone()
            .unwrap_or_else(|| Path::new("output").join(format!("{}-sweep-shards", base.name)));
        let file = out.join(spec.file_name());
        if shard::shard_jobs(&plan, spec).is_empty() {
            let units: u64 = plan.points.iter().map(|p| u64::from(p.scenario.replications)).sum();
            eprintln!(
                "warning: shard {} of {} has no work: the sweep has {units} (point, replication) unit(s); \
                 more shards than that only start idle tasks",
                spec.index, spec.count
            );
        }
        // A complete file of this very shard is kept: resubmitting a whole job array
        // after some tasks failed re-runs only the missing shards.
        if let Ok(existing) = std::fs::read(&file) {
            if shard::is_complete(&plan, slo_ms, spec, &resolved, &existing) {
                eprintln!(
                    "shard {} of {}: {} is already complete; nothing to do",
                    spec.index,
                    spec.count,
                    file.display()
                );
                return Ok(0);
            }
        }
        let bytes =
            shard::run_shard(&plan, slo_ms, spec, o.sweep.threads, &resolved).map_err(super::run_failure)?;
        // Both files or neither. The folder stays even if this shard created it: the
        // other shards of the array write into it at the same time.
        write(&out, &[(&spec.file_name(), bytes), ("scenario.resolved.toml", resolved.into_bytes())])?;
        eprintln!(
            "shard {} of {} done in {:.1} s: {}",
            spec.index,
            spec.count,
            started.elapsed().as_secs_f64(),
            file.display()
        );
        return Ok(0);
    }
    let out = args.out.clone().unwrap_or_else(|| Path::new("output").join(format!("{}-sweep", base.name)));
    // Claimed before simulating: a second sweep into the folder is refused at once. A
    // folder this sweep creates is removed again if it fails.
    let created = super::missing_folders(&out);
    let _lock = super::claim_folder(&out, false)?;
    let fingerprint = shard::sweep_fingerprint(&plan, slo_ms, &resolved);
    let checkpoint = out.join(sw::checkpoint::FILE_NAME);
    let mut opts = o.sweep.clone();
    opts.cancel = Some(super::interrupt_flag());
    if args.resume {
        match std::fs::read_to_string(&checkpoint) {
            Ok(text) => {
                let memo = sw::checkpoint::parse(&text, fingerprint)
                    .map_err(|e| bad(format!("--resume: the checkpoint {}: {e}", checkpoint.display())))?;
                note(format!(
                    "resuming from {}: {} simulation(s) already done",
                    checkpoint.display(),
                    memo.len()
                ));
                opts.resume = Some(std::sync::Arc::new(memo));
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                eprintln!(
                    "note: --resume: no checkpoint in {}; sweeping from the start",
                    checkpoint.display()
                );
            }
            Err(e) => return Err(bad(format!("--resume: cannot read {}: {e}", checkpoint.display()))),
        }
    }
    let bar = crate::progress::Bar::rounds(args.quiet);
    opts.progress = bar.callback();
    let outcome = sw::run_sweep(&plan, slo_ms, &opts, &load, &mut |line| {
        bar.suspend(|| note(line));
    });
    bar.finish();
    let result = match outcome {
        Ok(result) => result,
        Err(crossover_runner::RunError::SweepInterrupted { records }) => {
            let text = sw::checkpoint::to_text(fingerprint, &records);
            crossover_report::write_atomic(&checkpoint, text.as_bytes())
                .context("saving the completed simulations")
                .map_err(Failure::Runtime)?;
            eprintln!(
                "interrupted: {} simulation(s) completed, saved in {}; run the same command with --resume \
                 to continue",
                records.len(),
                checkpoint.display()
            );
            return Ok(super::INTERRUPTED);
        }
        Err(e) => {
            super::remove_created(&created);
            return Err(super::run_failure(e));
        }
    };
    finish(&result, resolved.into_bytes(), &out).inspect_err(|_| super::remove_created(&created))?;
    // The results supersede the checkpoint.
    if let Err(e) = std::fs::remove_file(&checkpoint) {
        if e.kind() != std::io::ErrorKind::NotFound {
            eprintln!("warning: cannot remove the finished checkpoint {}: {e}", checkpoint.display());
        }
    }
    let requests = result.simulated_requests();
    let elapsed = started.elapsed().as_secs_f64();
    note(format!(
        "simulated {requests} requests on the grid in {elapsed:.1} s ({:.2} M requests/s); results in {}",
        requests as f64 / elapsed.max(1e-9) / 1e6,
        out.display()
    ));
    Ok(0)
}

/// The resource guard of a sweep, as a run's: every point's simulations of its first
/// round (adaptive replications and refinement add to it), announced past a few seconds
/// and refused beyond the limits without --yes.
fn guard(plan: &Plan, threads: Option<usize>, args: &SweepArgs) -> Result<(), String> {
    let threads = threads.unwrap_or_else(super::rayon_threads);
    let total: WorkEstimate = plan
        .points
        .iter()
        .map(|p| {
            let s = &p.scenario;
            WorkEstimate::new(s, u64::from(s.replications) * s.platforms.len() as u64, threads)
        })
        .sum();
    match Limits::default().exceeded_by(&total) {
        Some(why) if !args.yes => Err(format!(
            "error: the sweep is {total}: {why}. Fewer points (--vary), a shorter horizon, fewer \
             replications (-n), or pass --yes to sweep anyway"
        )),
        _ => {
            if total.seconds > super::ANNOUNCE_SECONDS && !args.quiet {
                eprintln!("the sweep: {total} (the points' first round; refinement adds to it)");
            }
            Ok(())
        }
    }
}

/// Writes every file into `out`, all or none (a failure, such as a full disk, leaves
/// none of them and no temporary file).
fn write(out: &Path, files: &[(&str, Vec<u8>)]) -> Result<(), Failure> {
    let files: Vec<(PathBuf, Vec<u8>)> =
        files.iter().map(|(name, bytes)| (out.join(name), bytes.clone())).collect();
    crossover_report::write_all_atomic(&files)
        .with_context(|| format!("writing results to {}", out.display()))
        .map_err(Failure::Runtime)
}

/// Writes the sweep's files and prints its crossings.
fn finish(result: &SweepResult, resolved: Vec<u8>, out: &Path) -> Result<(), Failure> {
    let files = [
        ("sweep.csv", crossover_report::sweep_csv(result)),
        ("crossovers.csv", crossover_report::crossovers_csv(result)),
        ("frontier.csv", crossover_report::frontier_csv(result)),
        ("scenario.resolved.toml", resolved),
    ];
    // The charts and report are drawn from the bytes about to be written, as
    // `crossover plot` draws them from the folder later.
    let mut input = crossover_report::RunFiles::default();
    for (name, bytes) in &files {
        input.insert(name, bytes.clone());
    }
    let drawn = crossover_report::render_report(&input)
        .context("drawing the sweep's charts and report")
        .map_err(Failure::Runtime)?;
    let mut all: Vec<(&str, Vec<u8>)> = files.to_vec();
    all.extend(drawn.iter().map(|(n, b)| (n.as_str(), b.clone())));
    write(out, &all)?;
    for note in &result.notes {
        eprintln!("note: {note}");
    }
    if result.crossings.is_empty() {
        println!("no crossings within the swept ranges");
    }
    for c in &result.crossings {
        let dim = &result.dims[c.dimension];
        let ci = c.ci.map_or(String::new(), |(lo, hi)| format!(" (95% {lo:.4} .. {hi:.4})"));
        let what = match c.metric {
            Metric::Cost(m) => format!(
                "{} cost: {} = {}",
                m.name(),
                c.platform_a,
                c.platform_b.as_deref().unwrap_or_default()
            ),
            Metric::SloP99 => format!("p99 SLO: {}", c.platform_a),
        };
        println!("{what} at {}={:.4}{ci}; below: {}, above: {}", dim.path, c.x, c.below, c.above);
    }
    Ok(())
}

/// A FIFO or a device in a shard folder is refused before it is read: reading one never
/// ended. (A folder of that name fails to read with its own message.)
fn not_a_pipe(path: &Path) -> Result<(), Failure> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() && !m.is_dir() => {
            Err(bad(format!("{}: not a regular file (a device or a pipe is not read)", path.display())))
        }
        _ => Ok(()),
    }
}

pub fn merge(args: &MergeArgs) -> Result<u8, Failure> {
    let mut files = Vec::new();
    let mut resolved: Option<(PathBuf, Vec<u8>)> = None;
    for input in &args.inputs {
        // A mistyped folder would otherwise be read as a file in `.`, and the error would
        // blame `./scenario.resolved.toml`.
        if !input.exists() {
            return Err(bad(format!("{}: no such shard folder or file", input.display())));
        }
        let (dir, names): (PathBuf, Vec<PathBuf>) = if input.is_dir() {
            let mut names: Vec<PathBuf> = std::fs::read_dir(input)
                .map_err(|e| bad(format!("{}: {e}", input.display())))?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("shard-") && n.ends_with(".txt"))
                })
                .collect();
            names.sort();
            if names.is_empty() {
                return Err(bad(format!("{}: no shard-K-of-N.txt files", input.display())));
            }
            (input.clone(), names)
        } else {
            let dir =
                input.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
            (dir, vec![input.clone()])
        };
        let r = dir.join("scenario.resolved.toml");
        not_a_pipe(&r)?;
        let text = std::fs::read(&r)
            .map_err(|e| bad(format!("{}: {e} (every shard folder has one)", r.display())))?;
        match &resolved {
            Some((first, t)) if *t != text => {
                return Err(bad(format!(
                    "{} and {} differ: shards of different sweeps",
                    first.display(),
                    r.display()
                )))
            }
            Some(_) => {}
            None => resolved = Some((r, text)),
        }
        for name in names {
            not_a_pipe(&name)?;
            let bytes = std::fs::read(&name).map_err(|e| bad(format!("{}: {e}", name.display())))?;
            files.push((name.display().to_string(), bytes));
        }
    }
    let result = shard::merge(&files).map_err(bad)?;
    let out = match &args.out {
        Some(out) => out.clone(),
        // The name came from the shard files: checked there, and checked again here, as
        // the last step before writing into a folder it names.
        None => crossover_scenario::names::child_folder(
            Path::new("output"),
            &format!("{}-sweep", result.scenario),
        )
        .map_err(bad)?,
    };
    let resolved = resolved.map(|(_, t)| t).unwrap_or_default();
    let created = super::missing_folders(&out);
    let _lock = super::claim_folder(&out, false)?;
    eprintln!("merged {} shard file(s) of \"{}\"", files.len(), result.scenario);
    finish(&result, resolved, &out).inspect_err(|_| super::remove_created(&created))?;
    eprintln!("results in {}", out.display());
    Ok(0)
}
