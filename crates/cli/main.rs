//! The `crossover` command line: parses arguments, calls the libraries, prints.
//!
//! Glue only: no simulation logic lives here. Exit codes: 0 success, 1 runtime failure,
//! 2 bad input or usage, 130 interrupted (Ctrl-C; the completed part is kept for
//! `--resume`). Messages go to stderr, the summary table and `validate`'s verdicts to
//! stdout, data to files.

// Everything printed to stdout goes through these, not std's: when the reader has gone
// (`crossover run | head`), std's `println!` panics; the rest of the output is simply
// not wanted, so the process ends quietly instead. Declared before the modules so that
// they use them too.
macro_rules! println {
    () => {
        $crate::print_out(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::print_out(format_args!("{}\n", format_args!($($arg)*)))
    };
}
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::print_out(format_args!($($arg)*))
    };
}

mod progress;

mod plan;
mod plot;
mod sweep;

use anyhow::Context;
use clap::{Args, CommandFactory, Parser, Subcommand};
use crossover_engine::Streams;
use crossover_platform::ServiceLoad;
use crossover_runner::batch::{folder_names, BatchTally, BATCH_SUMMARY};
use crossover_runner::guard::{Limits, WorkEstimate};
use crossover_runner::{resume, RunError, RunOptions, RunResult};
use crossover_scenario::{Override, Scenario, ScenarioError};
use crossover_workload::{MinuteSeries, MinuteTraffic, TrafficSummary};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The exit code of a run stopped by Ctrl-C (128 + SIGINT, as shells report it).
pub(crate) const INTERRUPTED: u8 = 130;

/// Runs expected to take longer than this many seconds announce their size first.
const ANNOUNCE_SECONDS: f64 = 5.0;

#[derive(Parser)]
#[command(
    name = "crossover",
    version,
    about = "Serverless containers or Kubernetes: monthly cost and p99 latency for your traffic, by simulation"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Simulate scenarios and write summary.csv, replications.csv, latency.csv, timeline.csv,
    /// scenario.resolved.toml, the charts (SVG and PNG) and report.html
    #[command(
        after_help = "Examples:\n  crossover run                                  # the default scenario\n  crossover run scenarios/kubernetes.toml -n 10\n  crossover run my.toml --set traffic.peak_rps=50 --platform eks\n  crossover run scenarios/*.toml --out results/\n  crossover run my.toml --json | jq .platforms"
    )]
    Run(RunArgs),
    /// Write the traffic of one replication as a per-minute CSV (minute,rate_rps,arrivals)
    /// and print requests per day, mean and peak minute rate
    #[command(
        after_help = "Examples:\n  crossover traffic scenarios/spiky-api.toml\n  crossover traffic my.toml --out - | head\n  crossover traffic my.toml --replication 3 --out traffic-3.csv"
    )]
    Traffic(TrafficArgs),
    /// List the platform presets, or show every value of one with its source
    #[command(after_help = "Examples:\n  crossover presets\n  crossover presets eks")]
    Presets(PresetsArgs),
    /// Check scenario files without running them (exit 0 when all are valid, 2 otherwise)
    #[command(
        after_help = "Examples:\n  crossover validate my.toml\n  crossover validate scenarios/*.toml\n  crossover validate my.toml --set simulation.horizon=1d"
    )]
    Validate(ValidateArgs),
    /// Write a commented starter scenario to edit
    #[command(
        after_help = "Examples:\n  crossover init\n  crossover init --template stack stack.toml\n  crossover init --template gpu gpu.toml --force\n  crossover init --template stack - | less"
    )]
    Init(InitArgs),
    /// Write a scenario from what you deploy today: Kubernetes manifests, Cloud Run YAML,
    /// ECS task definitions and services (JSON), fly.toml
    #[command(
        after_help = "Examples:\n  crossover import k8s/ --out stack.toml\n  crossover import release/kubernetes-manifests.yaml --share frontend=0.5 --out boutique.toml\n  helm template my-chart | crossover import - --traffic traffic.toml\n  crossover import service.yaml taskdef.json ecs-service.json fly.toml"
    )]
    Import(ImportArgs),
    /// Run a scenario at every point of a grid of values (--vary PATH=SPEC) and write
    /// sweep.csv, crossovers.csv and frontier.csv
    Sweep(sweep::SweepArgs),
    /// Combine the shard files of a sweep run with --shard into its results
    Merge(sweep::MergeArgs),
    /// Draw the charts and report.html again from the CSV files of an earlier run
    Plot(plot::PlotArgs),
    /// Find the cheapest placement of a stack's services on the scenario's platforms with
    /// every service meeting its SLO, and write plan.csv, plan-comparison.csv, the
    /// plan-MODEL.toml scenarios that run it, plan.svg and report.html
    #[command(
        after_help = "Examples:\n  crossover plan scenarios/startup-stack.toml\n  crossover plan my.toml --cost tco -n 5\n  crossover plan my.toml --platform cloud-run --platform eks --out plans/"
    )]
    Plan(plan::PlanArgs),
    /// Print a shell completion script to stdout
    #[command(
        after_help = "Examples:\n  crossover completions bash > ~/.local/share/bash-completion/completions/crossover\n  crossover completions zsh > ~/.zfunc/_crossover\n  crossover completions fish > ~/.config/fish/completions/crossover.fish"
    )]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) to stdout
    #[command(
        after_help = "Examples:\n  crossover man > crossover.1 && man ./crossover.1\n  crossover man | gzip > ~/.local/share/man/man1/crossover.1.gz"
    )]
    Man,
}

#[derive(Args)]
struct CompletionsArgs {
    /// The shell to complete for
    #[arg(value_enum)]
    shell: clap_complete::Shell,
}

#[derive(Args)]
struct PresetsArgs {
    /// A preset name (e.g. cloud-run); none lists them all
    name: Option<String>,
}

#[derive(Args)]
struct TrafficArgs {
    /// Scenario file (TOML)
    scenario: PathBuf,
    /// Output CSV (default: output/<scenario name>/traffic.csv)
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replication index, from 0 (any index is valid: each is its own random stream)
    #[arg(long, default_value_t = 0)]
    replication: u32,
    /// Base seed (overrides the scenario's simulation.seed)
    #[arg(long)]
    seed: Option<u64>,
    /// Generate even when the estimated work is beyond the limits (1 hour or 1e10 requests)
    #[arg(long)]
    yes: bool,
    /// In a stack, the service whose traffic to write (default: the only one; a stack of
    /// several needs it); `all` writes the stack's total, every service's rate and
    /// arrivals added minute by minute
    #[arg(long, value_name = "NAME")]
    service: Option<String>,
}

#[derive(Args)]
struct RunArgs {
    /// Scenario files (TOML); none runs the built-in default scenario. Several run as a
    /// batch: each into <out>/<scenario name>/, plus <out>/batch-summary.csv
    scenarios: Vec<PathBuf>,
    /// Replications per platform (the same as --set simulation.replications=N)
    #[arg(short = 'n', long)]
    replications: Option<u32>,
    /// Base seed (the same as --set simulation.seed=S)
    #[arg(long, value_parser = clap::value_parser!(u64).range(..=i64::MAX as u64))]
    seed: Option<u64>,
    /// Worker threads (default: all cores); results are identical for any value
    #[arg(long)]
    threads: Option<usize>,
    /// Output folder (default: output/<scenario name>/; for a batch, default output/,
    /// with one sub-folder per scenario)
    #[arg(long)]
    out: Option<PathBuf>,
    #[command(flatten)]
    overrides: OverrideArgs,
    /// Run only this platform (repeatable); the others are left out of the results
    #[arg(long = "platform", value_name = "NAME")]
    platforms: Vec<String>,
    /// Run even when the estimated work is beyond the limits (1 hour or 1e10 requests)
    #[arg(long)]
    yes: bool,
    /// No progress bar and no notes on stderr (errors are still printed)
    #[arg(short, long)]
    quiet: bool,
    /// Print the summary as JSON on stdout instead of the table (nothing else goes to
    /// stdout; a batch prints one JSON object per line, one per scenario)
    #[arg(long)]
    json: bool,
    /// Continue an interrupted run from the checkpoint in its output folder (the same
    /// scenario and options); the results are identical to an uninterrupted run's
    #[arg(long)]
    resume: bool,
    /// Save the completed simulations to <out>/checkpoint.txt every this many seconds
    /// of wall time, so a run killed outright resumes from there with --resume
    #[arg(long, value_name = "SECONDS", default_value_t = 30)]
    checkpoint_every: u64,
}

#[derive(Args)]
struct OverrideArgs {
    /// Override any key before validation, e.g. traffic.peak_rps=50, service.cpu.p50=30ms,
    /// platform.NAME.max_instances=10 or platform[0].instance.cpu=2 (repeatable; recorded
    /// in scenario.resolved.toml)
    #[arg(long = "set", value_name = "KEY.PATH=VALUE")]
    sets: Vec<Override>,
}

#[derive(Args)]
struct ValidateArgs {
    /// Scenario files to check
    #[arg(required = true)]
    files: Vec<PathBuf>,
    #[command(flatten)]
    overrides: OverrideArgs,
}

#[derive(Args)]
struct InitArgs {
    /// Where to write the scenario (`-`: stdout)
    #[arg(default_value = "scenario.toml")]
    path: PathBuf,
    /// What to start from: api (one HTTP API on Cloud Run, Fargate, Lambda, GKE Autopilot
    /// and EKS), stack (three services of a stack on eight platforms, Kubernetes run by you
    /// included) or gpu (GPU inference: Cloud Run L4 against an EKS GPU node)
    #[arg(long, value_enum, default_value_t = Template::Api)]
    template: Template,
    /// Overwrite the file if it exists
    #[arg(long)]
    force: bool,
}

#[derive(Args)]
struct ImportArgs {
    /// Files or folders to read, recognised by content (a folder: its .yaml, .yml, .json
    /// and .toml files, recursively); `-` reads standard input
    #[arg(required = true, value_name = "FILE_OR_DIR")]
    inputs: Vec<PathBuf>,
    /// Where to write the scenario (default: stdout); written whole or not at all
    #[arg(long)]
    out: Option<PathBuf>,
    /// Overwrite --out if it exists
    #[arg(long)]
    force: bool,
    /// The whole stack's traffic: a TOML file with a [traffic] table, or a recording (an
    /// Azure Functions per-minute trace, or a CSV or access log of request times); without
    /// it the scenario gets the default profile, marked as assumed
    #[arg(long, value_name = "FILE")]
    traffic: Option<PathBuf>,
    /// A service's share of the stack's traffic (repeatable), e.g. frontend=0.5; the
    /// services not named split the rest equally
    #[arg(long = "share", value_name = "NAME=FRACTION", value_parser = parse_share)]
    shares: Vec<(String, f64)>,
    /// The scenario's name (default: the --out file's name without .toml, else "imported")
    #[arg(long)]
    name: Option<String>,
}

fn parse_share(text: &str) -> Result<(String, f64), String> {
    let (name, value) =
        text.split_once('=').ok_or_else(|| format!("{text:?}: expected NAME=FRACTION, e.g. frontend=0.5"))?;
    let v: f64 = value.trim().parse().map_err(|_| format!("{text:?}: {value:?} is not a number"))?;
    Ok((name.trim().to_string(), v))
}

/// The templates of `init`, named as in [`crossover_scenario::TEMPLATES`].
#[derive(Clone, Copy, clap::ValueEnum)]
enum Template {
    Api,
    Stack,
    Gpu,
}

impl Template {
    fn text(self) -> &'static str {
        let name = match self {
            Template::Api => "api",
            Template::Stack => "stack",
            Template::Gpu => "gpu",
        };
        crossover_scenario::TEMPLATES.iter().find(|(n, _)| *n == name).map_or("", |t| t.1)
    }
}

/// A failure with the exit code it deserves.
pub(crate) enum Failure {
    BadInput(String),
    Runtime(anyhow::Error),
}

/// Writes to stdout (see `println!` above): a closed pipe ends the process with exit 0,
/// any other failure to write with a message and exit 1.
fn print_out(args: std::fmt::Arguments) {
    if let Err(e) = std::io::stdout().lock().write_fmt(args) {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: writing to standard output: {e}");
        std::process::exit(1);
    }
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let code = if e.use_stderr() { 2 } else { 0 };
            let _ = e.print();
            return ExitCode::from(code);
        }
    };
    let result = match cli.command {
        Command::Run(args) => run(&args),
        Command::Traffic(args) => traffic(&args),
        Command::Presets(args) => presets(&args),
        Command::Validate(args) => validate(&args),
        Command::Init(args) => init(&args),
        Command::Import(args) => import(&args),
        Command::Sweep(args) => sweep::sweep(&args),
        Command::Merge(args) => sweep::merge(&args),
        Command::Plot(args) => plot::plot(&args),
        Command::Plan(args) => plan::plan(&args),
        Command::Completions(args) => completions(&args),
        Command::Man => man(),
    };
    match result {
        Ok(code) => ExitCode::from(code),
        Err(Failure::BadInput(msg)) => {
            eprintln!("{}", safe(&msg));
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {}", safe(&format!("{e:#}")));
            ExitCode::from(1)
        }
    }
}

/// A message as it may reach a terminal: errors echo names and source lines, whose
/// control characters (an ESC sequence) are shown escaped instead of acting.
pub(crate) fn safe(text: &str) -> std::borrow::Cow<'_, str> {
    crossover_scenario::names::terminal_safe(text)
}

/// One scenario to run: the built-in default or a file.
enum Input<'a> {
    Default,
    File(&'a Path),
}

impl Input<'_> {
    fn load(&self, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
        match self {
            Input::Default => crossover_scenario::parse_with_overrides(
                crossover_scenario::DEFAULT_SCENARIO,
                crossover_scenario::DEFAULT_SCENARIO_NAME,
                "default",
                overrides,
            ),
            Input::File(path) => crossover_scenario::load_with_overrides(path, overrides),
        }
    }
}

/// Prints every problem of a scenario and a count, to stderr.
fn report_errors(e: &ScenarioError) {
    let n = e.diagnostics.len();
    let text = format!("{e}\n{}: {n} error{}\n", e.origin, if n == 1 { "" } else { "s" });
    eprintln!("{}", safe(&text));
}

/// `--threads` within 1..=MAX_THREADS, or the usage error.
pub(crate) fn check_threads(threads: Option<usize>) -> Result<(), Failure> {
    match threads {
        Some(n) if n == 0 || n > crossover_runner::MAX_THREADS => Err(Failure::BadInput(format!(
            "error: --threads {n}: must be between 1 and {} (results are the same for any count; \
             more threads than cores gain nothing)",
            crossover_runner::MAX_THREADS
        ))),
        _ => Ok(()),
    }
}

/// A run's error with its exit code: threads the system refuses are a usage problem
/// (`--threads` too high for the process limit), the rest are runtime failures.
pub(crate) fn run_failure(e: RunError) -> Failure {
    match e {
        RunError::Threads(e) => Failure::BadInput(format!("error: {e}")),
        e => Failure::Runtime(e.into()),
    }
}

fn run(args: &RunArgs) -> Result<u8, Failure> {
    check_threads(args.threads)?;
    let threads = args.threads.unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let overrides = with_run_settings(&args.overrides.sets, args.replications, args.seed)?;
    let inputs: Vec<Input> = if args.scenarios.is_empty() {
        vec![Input::Default]
    } else {
        args.scenarios.iter().map(|p| Input::File(p)).collect()
    };
    // Check every file before running any: a typo in the last file is reported at once
    // rather than after the others have run. A bad file does not stop the others.
    let mut tally = BatchTally::default();
    let mut scenarios = Vec::new();
    for input in &inputs {
        match input.load(&overrides) {
            Ok(mut scenario) => {
                match select(&mut scenario, &args.platforms).and_then(|()| guard(&scenario, threads, args)) {
                    Ok(()) => scenarios.push(scenario),
                    Err(msg) => {
                        eprintln!("{}", safe(&msg));
                        tally.bad_input += 1;
                    }
                }
            }
            Err(e) => {
                report_errors(&e);
                tally.bad_input += 1;
            }
        }
    }
    let cancel = interrupt_flag();
    if inputs.len() == 1 {
        if let Some(scenario) = scenarios.first() {
            let out = args.out.clone().unwrap_or_else(|| Path::new("output").join(&scenario.name));
            match run_one(scenario, args, &cancel, &out, None, false)? {
                Ran::Done(_) => {}
                Ran::Interrupted => return Ok(INTERRUPTED),
            }
        }
        return Ok(tally.exit_code());
    }
    run_batch(&scenarios, args, &cancel, tally)
}

/// The flag Ctrl-C (and SIGTERM, SIGHUP) sets: the runner starts no new simulation once
/// it is set, and the simulations under way stop (they look at it every few thousand
/// events). A second one exits at once.
pub(crate) fn interrupt_flag() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    let set = flag.clone();
    let installed = ctrlc::set_handler(move || {
        if set.swap(true, Ordering::SeqCst) {
            std::process::exit(INTERRUPTED.into());
        }
        eprintln!("\ninterrupted: saving the completed simulations (Ctrl-C again to quit at once)");
    });
    if let Err(e) = installed {
        eprintln!("warning: Ctrl-C will not stop cleanly: {e}");
    }
    flag
}

/// The resource guard: announces a long run, refuses one beyond the limits without --yes.
fn guard(scenario: &Scenario, threads: usize, args: &RunArgs) -> Result<(), String> {
    let jobs = u64::from(scenario.replications) * scenario.platforms.len() as u64;
    let estimate = WorkEstimate::new(scenario, jobs, threads);
    match Limits::default().exceeded_by(&estimate) {
        Some(why) if !args.yes => Err(format!(
            "error: \"{}\" is {estimate}: {why}. Lower simulation.horizon, simulation.replications \
             or the traffic, or pass --yes to run it anyway",
            scenario.name
        )),
        _ => {
            if estimate.seconds > ANNOUNCE_SECONDS && !args.quiet {
                eprintln!("\"{}\": {estimate}", scenario.name);
            }
            Ok(())
        }
    }
}

/// `--set`, then `-n` and `--seed` as overrides, so all are validated and recorded alike
/// (`run`, `sweep` and `plan` take them the same way).
pub(crate) fn with_run_settings(
    sets: &[Override],
    replications: Option<u32>,
    seed: Option<u64>,
) -> Result<Vec<Override>, Failure> {
    let mut overrides = sets.to_vec();
    let mut add = |path: &str, value: u64, label: String| -> Result<(), Failure> {
        let value = crossover_scenario::overrides::typed_value(&value.to_string());
        let o = Override::new(path, value, label).map_err(|e| Failure::BadInput(format!("error: {e}")))?;
        overrides.push(o);
        Ok(())
    };
    if let Some(n) = replications {
        add("simulation.replications", n.into(), format!("--replications {n}"))?;
    }
    if let Some(seed) = seed {
        add("simulation.seed", seed, format!("--seed {seed}"))?;
    }
    Ok(overrides)
}

fn select(scenario: &mut Scenario, platforms: &[String]) -> Result<(), String> {
    if platforms.is_empty() {
        return Ok(());
    }
    scenario.select_platforms(platforms).map_err(|e| {
        let near = crossover_scenario::suggest::did_you_mean(&e.name, e.available.iter().map(String::as_str));
        let help = near.map(|n| format!("\n  = help: did you mean `{n}`?")).unwrap_or_default();
        format!("error: --platform: {e}{help}")
    })
}

/// Runs every valid scenario of a batch into `<out>/<name>/` and writes
/// `<out>/batch-summary.csv`; a failed run is reported and the batch goes on.
fn run_batch(
    scenarios: &[Scenario],
    args: &RunArgs,
    cancel: &Arc<AtomicBool>,
    mut tally: BatchTally,
) -> Result<u8, Failure> {
    let base = args.out.clone().unwrap_or_else(|| PathBuf::from("output"));
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    let folders = folder_names(&names);
    let mut summary = crossover_report::BatchSummary::default();
    let mut finished = Vec::new();
    for (scenario, folder) in scenarios.iter().zip(&folders) {
        if scenario.name == BATCH_SUMMARY {
            eprintln!(
                "note: \"{BATCH_SUMMARY}\" is the batch summary's file name; this scenario's results go to {}",
                base.join(folder).display()
            );
        } else if *folder != scenario.name {
            eprintln!(
                "note: another scenario of this batch is also named \"{}\"; this one's results go to {}",
                scenario.name,
                base.join(folder).display()
            );
        }
        match run_one(scenario, args, cancel, &base.join(folder), Some(folder), true) {
            Ok(Ran::Done(result)) => {
                summary.add(folder, &result);
                finished.push(folder);
                tally.ran += 1;
            }
            Ok(Ran::Interrupted) => {
                eprintln!(
                    "batch interrupted: no batch summary is written; the same command with --resume \
                     continues it (scenarios already run are not simulated again)"
                );
                return Ok(INTERRUPTED);
            }
            Err(Failure::BadInput(msg)) => {
                eprintln!("{}", safe(&msg));
                tally.bad_input += 1;
            }
            Err(Failure::Runtime(e)) => {
                eprintln!("error: scenario \"{}\": {}", scenario.name, safe(&format!("{e:#}")));
                tally.failed += 1;
            }
        }
    }
    // The batch is over: the checkpoints kept for resuming it are not needed any more.
    for folder in &finished {
        if let Err(e) = remove_checkpoint(&base.join(folder).join(resume::FILE_NAME)) {
            eprintln!("warning: {e:#}");
        }
    }
    if tally.ran > 0 {
        let path = base.join(BATCH_SUMMARY);
        crossover_report::write_atomic(&path, &summary.to_csv())
            .with_context(|| "writing the batch summary")
            .map_err(Failure::Runtime)?;
        eprintln!("batch summary in {}", path.display());
    }
    eprintln!("batch: {} ran, {} bad input, {} failed", tally.ran, tally.bad_input, tally.failed);
    Ok(tally.exit_code())
}

/// How a run ended, when it did not fail.
enum Ran {
    Done(RunResult),
    /// Ctrl-C: the completed part is in the checkpoint.
    Interrupted,
}

/// Runs one scenario and writes its results to `out`; `title` heads its summary table
/// on stdout (in a batch, where several tables follow each other). With `--resume` the
/// jobs of the checkpoint in `out` are not run again; on Ctrl-C the completed jobs are
/// written to that checkpoint. A finished run removes the checkpoint, or with `keep` (in
/// a batch, until the batch ends) saves every job in it, so that resuming an interrupted
/// batch does not simulate this scenario again.
fn run_one(
    scenario: &Scenario,
    args: &RunArgs,
    cancel: &Arc<AtomicBool>,
    out: &Path,
    title: Option<&str>,
    keep: bool,
) -> Result<Ran, Failure> {
    let resolved = scenario.resolved_toml(VERSION);
    let fingerprint = resume::fingerprint(&resolved);
    let checkpoint = out.join(resume::FILE_NAME);
    let from = if args.resume { load_checkpoint(scenario, &checkpoint, fingerprint)? } else { None };
    let done = from.as_ref().map_or(0, |p| p.jobs());
    if !args.quiet {
        eprintln!(
            "running \"{}\": {} platform(s) x {} replication(s) over {}",
            scenario.name,
            scenario.platforms.len(),
            scenario.replications,
            scenario.horizon
        );
        if from.is_some() {
            eprintln!("resuming from {}: {done} simulation(s) already done", checkpoint.display());
        }
    }
    // An unwritable folder, or one another run is writing into, fails now, not after
    // the simulation; a folder this run created is removed again if the run fails.
    let created = missing_folders(out);
    let _lock = claim_folder(out, args.quiet)?;
    let jobs = scenario.replications as usize * scenario.platforms.len();
    let bar = progress::Bar::new(jobs, done, args.quiet);
    let opts = RunOptions {
        threads: args.threads,
        cancel: Some(cancel.clone()),
        progress: bar.callback(),
        resume: from,
        timelines: true,
        checkpoint: Some(periodic_checkpoint(&checkpoint, fingerprint, scenario, args.checkpoint_every)),
        ..RunOptions::from_scenario(scenario)
    };
    let started = Instant::now();
    let cpu_before = process_cpu_seconds();
    let outcome = crossover_runner::run(scenario, &opts);
    let remove_if_created = || remove_created(&created);
    let cpu = cpu_before.zip(process_cpu_seconds()).map(|(before, after)| after - before);
    bar.finish();
    let result = match outcome {
        Ok(result) => result,
        Err(RunError::Interrupted(partial)) => {
            let text =
                resume::to_text_stacks(&partial, fingerprint, scenario.replications, &stack_sizes(scenario));
            crossover_report::write_atomic(&checkpoint, text.as_bytes())
                .context("saving the completed simulations")
                .map_err(Failure::Runtime)?;
            eprintln!(
                "interrupted: {} of {jobs} simulation(s) completed, saved in {}; run the same command \
                 with --resume to continue",
                partial.jobs(),
                checkpoint.display()
            );
            return Ok(Ran::Interrupted);
        }
        Err(e) => {
            remove_if_created();
            return Err(run_failure(e));
        }
    };
    let elapsed = started.elapsed().as_secs_f64();
    write_outputs(scenario, &resolved, &result, out).map_err(|e| {
        // A periodic checkpoint of this run is kept (and the folder with it): the
        // simulations it holds need not be run again once the write can succeed.
        if checkpoint.exists() {
            return Failure::Runtime(anyhow::anyhow!(
                "{e:#}; no result file was written, but the simulations saved in {} are kept: once \
                 the results can be written, run the same command with --resume",
                checkpoint.display()
            ));
        }
        remove_if_created();
        Failure::Runtime(e)
    })?;
    if keep {
        let text = resume::to_text_stacks(
            &resume::completed(&result),
            fingerprint,
            scenario.replications,
            &stack_sizes(scenario),
        );
        crossover_report::write_atomic(&checkpoint, text.as_bytes())
            .context("saving the finished simulations until the batch ends")
            .map_err(Failure::Runtime)?;
    } else {
        // The results supersede any checkpoint of this folder.
        remove_checkpoint(&checkpoint).map_err(Failure::Runtime)?;
    }
    if let Some(title) = title.filter(|_| !args.json) {
        println!("\n{title}");
    }
    // The answer first (the report's verdict), then the table it comes from; then what
    // may make the figures mislead, on stderr.
    let summary = crossover_report::summary_csv(&result);
    let data = crossover_report::summary_data(&summary, &resolved);
    let (verdict, caveats) = match &data {
        Ok(data) => (
            crossover_report::html::verdict(data),
            crossover_report::caveats::caveats(&data.summary, data.scenario.as_deref()),
        ),
        Err(e) => (Vec::new(), vec![format!("cannot check the results' intervals: {e}")]),
    };
    if args.json {
        let json = summary_json(scenario, &summary, &verdict, &caveats, out);
        println!("{json}");
    } else {
        for (i, line) in verdict.iter().enumerate() {
            println!("{} {line}", if i == 0 { "=>" } else { "  " });
        }
        if !verdict.is_empty() {
            println!();
        }
        print!("{}", crossover_report::summary_table(&result));
    }
    // --quiet silences them with the other notes: they stay in report.html and --json.
    if !args.quiet {
        caveats.iter().for_each(|c| eprintln!("warning: {c}"));
    }
    let requests = result.simulated_requests();
    if !args.quiet {
        // Per CPU-second: the process's CPU time during the run where the system says
        // (Linux), else the wall time times the threads that had work.
        let threads = args.threads.unwrap_or_else(rayon_threads).min(jobs.max(1));
        let per_cpu = match cpu {
            Some(cpu) if cpu > 0.0 => format!("{:.2} M per CPU-second", requests as f64 / cpu / 1e6),
            _ => format!(
                "{:.2} M per thread-second on {threads} threads",
                requests as f64 / (elapsed * threads as f64).max(1e-9) / 1e6
            ),
        };
        eprintln!(
            "simulated {requests} requests in {elapsed:.2} s ({:.2} M requests/s, {per_cpu}); results in {}",
            requests as f64 / elapsed.max(1e-9) / 1e6,
            out.display()
        );
    }
    Ok(Ran::Done(result))
}

/// The folders creating `dir` makes (`dir` and its missing ancestors), deepest first:
/// what a run that fails removes again.
pub(crate) fn missing_folders(dir: &Path) -> Vec<PathBuf> {
    let mut missing = Vec::new();
    let mut at = Some(dir);
    while let Some(d) = at.filter(|d| !d.as_os_str().is_empty() && std::fs::symlink_metadata(d).is_err()) {
        missing.push(d.to_path_buf());
        at = d.parent();
    }
    missing
}

/// Removes the folders a failed run created (from [`missing_folders`]), deepest first,
/// each only if it is empty: `remove_dir` refuses a folder with anything in it, so
/// nothing another run (or a batch's other scenario) wrote is touched.
pub(crate) fn remove_created(folders: &[PathBuf]) {
    for folder in folders {
        if std::fs::remove_dir(folder).is_err() {
            break;
        }
    }
}

/// Makes `out` ready for this process alone: created, writable, locked against other
/// runs for as long as the lock is held, and cleared of the temporary files a killed
/// run left (safe under the lock: no other run writes there).
pub(crate) fn claim_folder(out: &Path, quiet: bool) -> Result<Option<crossover_report::FolderLock>, Failure> {
    let context = || format!("writing results to {}", out.display());
    let lock = crossover_report::lock_folder(out).with_context(context).map_err(Failure::Runtime)?;
    crossover_report::probe_writable(out).with_context(context).map_err(Failure::Runtime)?;
    let removed = crossover_report::remove_stale_temporaries(out);
    if removed > 0 && !quiet {
        eprintln!("note: removed {removed} temporary file(s) a killed run left in {}", out.display());
    }
    Ok(lock)
}

/// How many services each platform runs (all of them, or its `only_services`).
fn stack_sizes(scenario: &Scenario) -> Vec<usize> {
    scenario.platforms.iter().map(|p| p.services.len()).collect()
}

/// Saves the completed simulations to `path` (atomically: a kill mid-write leaves the
/// previous save) every `seconds`.
fn periodic_checkpoint(
    path: &Path,
    fingerprint: u64,
    scenario: &Scenario,
    seconds: u64,
) -> crossover_runner::Checkpointing {
    let (replications, services) = (scenario.replications, stack_sizes(scenario));
    let path = path.to_path_buf();
    let warned = AtomicBool::new(false);
    crossover_runner::Checkpointing {
        every: std::time::Duration::from_secs(seconds),
        save: Arc::new(move |partial| {
            let text = resume::to_text_stacks(partial, fingerprint, replications, &services);
            if let Err(e) = crossover_report::write_atomic(&path, text.as_bytes()) {
                if !warned.swap(true, Ordering::Relaxed) {
                    eprintln!("warning: cannot save the periodic checkpoint: {}", safe(&format!("{e:#}")));
                }
            }
        }),
    }
}

/// The run's summary as one JSON object: the scenario, the verdict and warnings, and
/// `summary.csv`'s rows as objects keyed by its columns (numbers as numbers, an empty
/// field as null).
fn summary_json(
    scenario: &Scenario,
    summary_csv: &[u8],
    verdict: &[String],
    warnings: &[String],
    out: &Path,
) -> serde_json::Value {
    use serde_json::{json, Value};
    let mut platforms = Vec::new();
    let mut reader = csv::ReaderBuilder::new().from_reader(summary_csv);
    let header = reader.headers().cloned().unwrap_or_default();
    for record in reader.records().flatten() {
        let row: serde_json::Map<String, Value> = header
            .iter()
            .zip(record.iter())
            .map(|(column, field)| {
                let value = if field.is_empty() {
                    Value::Null
                } else if let Ok(n) = field.parse::<u64>() {
                    json!(n)
                } else {
                    field
                        .parse::<f64>()
                        .ok()
                        .filter(|v| v.is_finite())
                        .map_or_else(|| json!(field), |v| json!(v))
                };
                (column.to_string(), value)
            })
            .collect();
        platforms.push(Value::Object(row));
    }
    json!({
        "scenario": scenario.name,
        "horizon": scenario.horizon.to_string(),
        "replications": scenario.replications,
        "seed": scenario.seed,
        "output": out.display().to_string(),
        "verdict": verdict,
        "warnings": warnings,
        "platforms": platforms,
    })
}

/// `completions SHELL`: the completion script of every command and option.
fn completions(args: &CompletionsArgs) -> Result<u8, Failure> {
    let mut cmd = Cli::command();
    // Generated into memory, then printed: clap_complete panics when a write fails, and
    // `crossover completions bash | head` closes the pipe early.
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut cmd, "crossover", &mut script);
    print!("{}", String::from_utf8_lossy(&script));
    Ok(0)
}

/// `man`: the manual page, in roff, from the same definitions as `--help`.
fn man() -> Result<u8, Failure> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command()).render(&mut page).map_err(|e| Failure::Runtime(e.into()))?;
    print!("{}", String::from_utf8_lossy(&page));
    Ok(0)
}

/// Worker threads of a run given no `--threads`: every core.
fn rayon_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// User plus system CPU time of this process so far, in seconds, where the system
/// reports it (`/proc/self/stat` on Linux, in its fixed 1/100 s ticks); `None` elsewhere.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may hold spaces) start at the state, field 3;
    // utime and stime are fields 14 and 15.
    let mut fields = stat.get(stat.rfind(')')? + 1..)?.split_whitespace().skip(11);
    let utime: u64 = fields.next()?.parse().ok()?;
    let stime: u64 = fields.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

fn remove_checkpoint(path: &Path) -> anyhow::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            Err(e).with_context(|| format!("removing the finished checkpoint {}", path.display()))
        }
        _ => Ok(()),
    }
}

/// The checkpoint of `scenario` at `path`, if there is one; one made for another
/// scenario, or damaged, is bad input.
fn load_checkpoint(
    scenario: &Scenario,
    path: &Path,
    fingerprint: u64,
) -> Result<Option<crossover_runner::Partial>, Failure> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            eprintln!("note: --resume: no checkpoint in {}; running from the start", path.display());
            return Ok(None);
        }
        // Not text: damaged, as a checkpoint of another scenario is (bad input).
        Err(e) if e.kind() == std::io::ErrorKind::InvalidData => {
            return Err(Failure::BadInput(format!(
                "error: --resume: the checkpoint {}: not a crossover checkpoint ({e}); delete it, or run \
                 without --resume",
                path.display()
            )))
        }
        Err(e) => return Err(Failure::Runtime(anyhow::anyhow!("cannot read {}: {e}", path.display()))),
    };
    let names: Vec<String> = scenario.platforms.iter().map(|p| p.name.clone()).collect();
    let bad =
        |e: String| Failure::BadInput(format!("error: --resume: the checkpoint {}: {e}", path.display()));
    let partial =
        resume::parse(&text, fingerprint, scenario.replications, &names).map_err(|e| bad(e.to_string()))?;
    // Its fingerprint ties it to this scenario, so only an edited file gets here.
    let sizes = stack_sizes(scenario);
    match partial.services_differ(&sizes) {
        Some((i, n)) => Err(bad(format!(
            "it holds stacks of {n} service(s) on platform \"{}\", the scenario's has {}; delete it, or run \
             without --resume",
            safe(&scenario.platforms[i].name),
            sizes[i]
        ))),
        None => Ok(Some(partial)),
    }
}

/// Writes the result files (and the charts and report) all or nothing: an unwritable
/// folder or a full disk leaves no new file behind.
fn write_outputs(scenario: &Scenario, resolved: &str, result: &RunResult, out: &Path) -> anyhow::Result<()> {
    // Render everything first, then write: a rendering failure leaves no files behind.
    let mut files: Vec<(String, Vec<u8>)> = [
        ("summary.csv", crossover_report::summary_csv(result)),
        ("services.csv", crossover_report::services_csv(result)),
        ("replications.csv", crossover_report::replications_csv(result)),
        ("scenario.resolved.toml", resolved.as_bytes().to_vec()),
    ]
    .map(|(name, bytes)| (name.to_string(), bytes))
    .into();
    let commitments: Vec<_> =
        scenario.platforms.iter().map(|p| p.services[0].tariff.commitment.as_ref()).collect();
    if let Some(csv) = crossover_report::commitments_csv(result, &commitments) {
        files.push(("commitments.csv".to_string(), csv));
    }
    files.extend(plot::run_extras(scenario, result, &files)?);
    let files: Vec<(PathBuf, Vec<u8>)> =
        files.into_iter().map(|(name, bytes)| (out.join(name), bytes)).collect();
    crossover_report::write_all_atomic(&files)
        .with_context(|| format!("writing results to {}", out.display()))
}

/// An output file named on the command line must be a regular file if it exists: the
/// output goes to a temporary file renamed over it, which would replace a device node
/// (run as root, the system's own) or a FIFO with a plain file, and a folder can only
/// fail after the work.
fn check_out_file(path: &Path, what: &str) -> Result<(), Failure> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => Err(Failure::BadInput(format!(
            "error: {what} {}: exists and is not a regular file (a folder, device or pipe is not \
             replaced); name a file, or `-` for standard output",
            safe(&path.display().to_string())
        ))),
        _ => Ok(()),
    }
}

fn traffic(args: &TrafficArgs) -> Result<u8, Failure> {
    if let Some(out) = args.out.as_deref().filter(|o| o.as_os_str() != "-") {
        check_out_file(out, "--out")?;
    }
    let scenario = crossover_scenario::load(&args.scenario).map_err(|e| Failure::BadInput(e.to_string()))?;
    let seed = args.seed.unwrap_or(scenario.seed);
    let chosen = chosen_services(&scenario, args.service.as_deref()).map_err(Failure::BadInput)?;
    // One replication's arrivals, generated on one core (10x faster than simulating them).
    let expected: f64 = chosen
        .iter()
        .map(|s| crossover_runner::guard::expected_requests(&s.traffic, scenario.horizon.as_nanos()))
        .sum();
    let estimate = WorkEstimate {
        requests_per_replication: expected,
        jobs: 1,
        requests: expected,
        seconds: expected / 1e7,
    };
    if let (Some(why), false) = (Limits::default().exceeded_by(&estimate), args.yes) {
        return Err(Failure::BadInput(format!(
            "error: the traffic of \"{}\" is about {expected:.3e} requests: {why}. Lower \
             simulation.horizon or the traffic, or pass --yes to generate it anyway",
            scenario.name
        )));
    }
    let out =
        args.out.clone().unwrap_or_else(|| Path::new("output").join(&scenario.name).join("traffic.csv"));
    // `--out -`: the CSV on stdout, and the summary on stderr so as not to mix with it.
    let to_stdout = out.as_os_str() == "-";
    let started = Instant::now();
    // Each service draws its own streams (keyed by its name), as in a run; a total adds
    // the services' minutes.
    let mut rows: Vec<MinuteTraffic> = Vec::new();
    for service in &chosen {
        let series = MinuteSeries::new(
            &service.traffic,
            Streams::scoped(seed, args.replication as u64, &service.name),
            scenario.horizon,
        );
        if rows.is_empty() {
            rows = series.collect();
        } else {
            for (row, minute) in rows.iter_mut().zip(series) {
                row.rate_rps += minute.rate_rps;
                row.arrivals += minute.arrivals;
            }
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let csv = crossover_report::traffic_csv(&rows);
    if to_stdout {
        // Through print_out: a reader that goes first (`| head`) ends the run quietly.
        print_out(format_args!("{}", String::from_utf8_lossy(&csv)));
    } else {
        // A folder made for the file goes again if the file cannot be written.
        let created = out.parent().map(missing_folders).unwrap_or_default();
        crossover_report::write_atomic(&out, &csv)
            .with_context(|| format!("writing the traffic to {}", out.display()))
            .map_err(|e| {
                remove_created(&created);
                Failure::Runtime(e)
            })?;
    }
    let s = TrafficSummary::of(&rows, scenario.horizon);
    let summary = [
        format!(
            "traffic of \"{}\"{}, replication {} (seed {seed}) over {}",
            scenario.name,
            match (scenario.services.len(), chosen.len()) {
                (1, _) => String::new(),
                (n, k) if k == n => format!(" (all {n} services)"),
                _ => format!(" (service \"{}\")", chosen[0].name),
            },
            args.replication,
            scenario.horizon
        ),
        format!(
            "requests      {} ({:.0} per day; expected {:.0})",
            s.arrivals,
            s.requests_per_day(),
            s.expected
        ),
        format!("mean rate     {:.3} rps (expected {:.3})", s.mean_rps(), s.expected_mean_rps()),
        format!(
            "peak minute   {:.3} rps intended at {}; {:.3} rps realised at {}",
            s.peak_rate_rps,
            clock(s.peak_rate_minute),
            s.peak_arrivals_rps,
            clock(s.peak_arrivals_minute)
        ),
        format!("quietest      {:.3} rps intended", s.quietest_rate_rps),
    ];
    for line in summary {
        if to_stdout {
            eprintln!("{line}");
        } else {
            println!("{line}");
        }
    }
    eprintln!(
        "generated {} requests in {elapsed:.2} s ({:.1} M arrivals/s); per-minute CSV {}",
        s.arrivals,
        s.arrivals as f64 / elapsed.max(1e-9) / 1e6,
        if to_stdout { "on stdout".to_string() } else { format!("in {}", out.display()) }
    );
    Ok(0)
}

/// The services `crossover traffic --service` names: the only one by default, one by
/// name, or every one (`all`); a stack of several without the flag is an error that
/// lists them, since no single service is the obvious one.
fn chosen_services<'a>(scenario: &'a Scenario, wanted: Option<&str>) -> Result<Vec<&'a ServiceLoad>, String> {
    let names: Vec<&str> = scenario.services.iter().map(|s| s.name.as_str()).collect();
    match wanted {
        None if scenario.services.len() == 1 => Ok(vec![&scenario.services[0]]),
        None => Err(format!(
            "error: \"{}\" is a stack of {} services ({}): choose one with --service NAME, or \
             --service all for their total",
            scenario.name,
            names.len(),
            names.join(", ")
        )),
        Some(all) if all == crossover_scenario::names::RESERVED_SERVICE_NAME => {
            Ok(scenario.services.iter().collect())
        }
        Some(name) => match scenario.services.iter().find(|s| s.name == name) {
            Some(s) => Ok(vec![s]),
            None => {
                let hint = crossover_scenario::suggest::did_you_mean(name, names.iter().copied())
                    .map(|near| format!(" (did you mean \"{near}\"?)"))
                    .unwrap_or_default();
                Err(format!(
                    "error: --service: \"{}\" has no service named \"{}\"{hint}; its services: {} (or all)",
                    scenario.name,
                    crossover_scenario::names::terminal_safe(name),
                    names.join(", ")
                ))
            }
        },
    }
}

/// "minute 1234 (day 0, 20:34)": days from the start of the horizon, clock time.
fn clock(minute: u64) -> String {
    let (day, rest) = (minute / 1440, minute % 1440);
    format!("minute {minute} (day {day}, {:02}:{:02})", rest / 60, rest % 60)
}

fn presets(args: &PresetsArgs) -> Result<u8, Failure> {
    match &args.name {
        None => print!("{}", crossover_scenario::presets::listing()),
        Some(name) => {
            let text = crossover_scenario::presets::describe(name)
                .map_err(|e| Failure::BadInput(format!("error: {e}")))?;
            print!("{text}");
        }
    }
    Ok(0)
}

/// Checks every file; prints `ok FILE` for each valid one and every error of the others.
fn validate(args: &ValidateArgs) -> Result<u8, Failure> {
    let mut bad = 0;
    for path in &args.files {
        match crossover_scenario::load_with_overrides(path, &args.overrides.sets) {
            Ok(_) => println!("ok {}", path.display()),
            Err(e) => {
                report_errors(&e);
                bad += 1;
            }
        }
    }
    if bad > 0 {
        eprintln!("{bad} of {} file(s) invalid", args.files.len());
        return Ok(2);
    }
    Ok(0)
}

/// Writes the starter scenario, refusing to overwrite a file unless asked to.
fn init(args: &InitArgs) -> Result<u8, Failure> {
    let path = &args.path;
    // `-`: the template on stdout, to read or pipe.
    if path.as_os_str() == "-" {
        print!("{}", args.template.text());
        return Ok(0);
    }
    check_out_file(path, "init")?;
    if path.exists() && !args.force {
        return Err(Failure::BadInput(format!(
            "error: {} already exists; pass --force to overwrite it",
            path.display()
        )));
    }
    crossover_report::write_atomic(path, args.template.text().as_bytes())
        .with_context(|| format!("writing {}", path.display()))
        .map_err(Failure::Runtime)?;
    eprintln!(
        "wrote {p}: a commented starter scenario. Edit it, then:\n  crossover validate {p}\n  crossover run {p}",
        p = path.display()
    );
    Ok(0)
}

/// Reads the inputs, writes the scenario (stdout, or `--out` atomically), and prints what
/// was assumed and what was not mapped on stderr. A malformed input is exit 2 with its
/// location, and nothing is written.
fn import(args: &ImportArgs) -> Result<u8, Failure> {
    let bad = |e: String| Failure::BadInput(format!("error: {e}"));
    if let Some(out) = &args.out {
        // Checked before anything is read: --force cannot replace a folder with a file
        // (the write failed at the end, as a runtime error, exit 1).
        if out.is_dir() {
            return Err(bad(format!(
                "--out {}: is a folder; --out names the scenario file to write (e.g. {})",
                out.display(),
                out.join("stack.toml").display()
            )));
        }
        if out.exists() && !args.force {
            return Err(bad(format!("{} already exists; pass --force to overwrite it", out.display())));
        }
    }
    let mut sources = Vec::new();
    // What the inputs may come to in all (each is held in memory while they are read).
    let mut left = crossover_import::MAX_FILE_BYTES;
    for input in &args.inputs {
        if input.as_os_str() == "-" {
            // Bounded like a file: a pipe can run forever.
            let text = crossover_import::read_text(std::io::stdin().lock(), "<stdin>", "")
                .map_err(|e| bad(e.to_string()))?;
            crossover_import::take_bytes(text.len() as u64, "<stdin>", &mut left)
                .map_err(|e| bad(e.to_string()))?;
            sources.push(crossover_import::Source { name: "<stdin>".into(), text });
        } else {
            sources.extend(
                crossover_import::collect_within(std::slice::from_ref(input), &mut left)
                    .map_err(|e| bad(e.to_string()))?,
            );
        }
    }
    let imported = crossover_import::read(&sources).map_err(|e| bad(e.to_string()))?;
    let base = match &args.out {
        Some(out) => out
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf),
        None => PathBuf::from("."),
    };
    let traffic = match &args.traffic {
        Some(file) => Some(crossover_import::traffic::table(file, &base).map_err(|e| bad(e.to_string()))?),
        None => None,
    };
    let name = match (&args.name, &args.out) {
        (Some(n), _) => n.clone(),
        (None, Some(out)) => out.file_stem().and_then(|s| s.to_str()).unwrap_or("imported").to_string(),
        (None, None) => "imported".to_string(),
    };
    if let Some(problem) = crossover_scenario::names::scenario_name_problem(&name) {
        return Err(bad(format!("--name {name:?}: {problem}")));
    }
    let opts = crossover_import::Options { name, traffic, shares: args.shares.clone(), excluded: Vec::new() };
    let (text, notes) = crossover_import::build(&imported, &opts, &base).map_err(|e| {
        if e.contains("a defect of crossover import") {
            Failure::Runtime(anyhow::anyhow!(e))
        } else {
            bad(e)
        }
    })?;
    match &args.out {
        None => print!("{text}"),
        Some(out) => {
            crossover_report::write_atomic(out, text.as_bytes())
                .with_context(|| format!("writing {}", out.display()))
                .map_err(Failure::Runtime)?;
        }
    }
    for n in &notes {
        eprintln!("{}", safe(n));
    }
    if let Some(out) = &args.out {
        let services = imported.workloads.iter().filter(|w| w.job.is_none()).count();
        eprintln!(
            "wrote {p}: {services} service(s). Next:\n  crossover validate {p}\n  crossover run {p}",
            p = out.display()
        );
    }
    Ok(0)
}
