//! The `crossover` command line: parses arguments, calls the libraries, prints.
//!
//! Glue only: no simulation or traffic logic lives here. Exit codes: 0 success, 1 runtime failure,
//! 2 bad input or usage. Messages go to stderr, the summary table to stdout, data to files.

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use crossover_runner::{RunOptions, RunResult};
use crossover_scenario::Scenario;
use crossover_workload::{MinuteSeries, MinuteTraffic, TrafficSummary};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

const VERSION: &str = env!("CARGO_PKG_VERSION");

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
    /// Simulate scenarios and write summary.csv, replications.csv and scenario.resolved.toml
    Run(RunArgs),
    /// Write the traffic of one replication as a per-minute CSV (minute,rate_rps,arrivals)
    /// and print requests per day, mean and peak minute rate
    Traffic(TrafficArgs),
    /// List the platform presets, or show every value of one with its source
    Presets(PresetsArgs),
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
}

#[derive(Args)]
struct RunArgs {
    /// Scenario files (TOML); none runs the built-in default scenario
    scenarios: Vec<PathBuf>,
    /// Replications per platform (overrides the scenario's simulation.replications)
    #[arg(short = 'n', long)]
    replications: Option<u32>,
    /// Base seed (overrides the scenario's simulation.seed)
    #[arg(long)]
    seed: Option<u64>,
    /// Worker threads (default: all cores); results are identical for any value
    #[arg(long)]
    threads: Option<usize>,
    /// Output folder (default: output/<scenario name>/; with several scenarios, one
    /// sub-folder per scenario inside it)
    #[arg(long)]
    out: Option<PathBuf>,
}

/// A failure with the exit code it deserves.
enum Failure {
    BadInput(String),
    Runtime(anyhow::Error),
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
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::BadInput(msg)) => {
            eprintln!("{msg}");
            ExitCode::from(2)
        }
        Err(Failure::Runtime(e)) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(args: &RunArgs) -> Result<(), Failure> {
    if args.replications == Some(0) {
        return Err(Failure::BadInput("error: --replications must be at least 1".into()));
    }
    if args.threads == Some(0) {
        return Err(Failure::BadInput("error: --threads must be at least 1".into()));
    }
    // Validate everything before running anything: a typo in the last file should not
    // cost the time of simulating the first.
    let mut scenarios = Vec::new();
    if args.scenarios.is_empty() {
        scenarios.push(crossover_scenario::default_scenario());
    }
    let mut errors = Vec::new();
    for path in &args.scenarios {
        match crossover_scenario::load(path) {
            Ok(s) => scenarios.push(s),
            Err(e) => errors.push(e.to_string()),
        }
    }
    if !errors.is_empty() {
        return Err(Failure::BadInput(errors.join("\n")));
    }
    let several = scenarios.len() > 1;
    for mut scenario in scenarios {
        apply_overrides(&mut scenario, args);
        let out = match (&args.out, several) {
            (Some(dir), false) => dir.clone(),
            (Some(dir), true) => dir.join(&scenario.name),
            (None, _) => Path::new("output").join(&scenario.name),
        };
        run_one(&scenario, args.threads, &out).map_err(Failure::Runtime)?;
    }
    Ok(())
}

fn apply_overrides(scenario: &mut Scenario, args: &RunArgs) {
    if let Some(n) = args.replications {
        scenario.replications = n;
        scenario.file.simulation.replications = n;
    }
    if let Some(seed) = args.seed {
        scenario.seed = seed;
        scenario.file.simulation.seed = seed;
    }
}

fn run_one(scenario: &Scenario, threads: Option<usize>, out: &Path) -> anyhow::Result<()> {
    eprintln!(
        "running \"{}\": {} platform(s) x {} replication(s) over {}",
        scenario.name,
        scenario.platforms.len(),
        scenario.replications,
        scenario.horizon
    );
    let opts = RunOptions { threads, ..RunOptions::from_scenario(scenario) };
    let started = Instant::now();
    let result = crossover_runner::run(scenario, &opts)?;
    let elapsed = started.elapsed().as_secs_f64();
    write_outputs(scenario, &result, out)?;
    print!("{}", crossover_report::summary_table(&result));
    let requests = result.simulated_requests();
    eprintln!(
        "simulated {requests} requests in {elapsed:.2} s ({:.2} M requests/s); results in {}",
        requests as f64 / elapsed.max(1e-9) / 1e6,
        out.display()
    );
    Ok(())
}

fn write_outputs(scenario: &Scenario, result: &RunResult, out: &Path) -> anyhow::Result<()> {
    use crossover_report::write_atomic;
    // Render everything first, then write: a rendering failure leaves no files behind.
    let files = [
        ("summary.csv", crossover_report::summary_csv(result)),
        ("replications.csv", crossover_report::replications_csv(result)),
        ("scenario.resolved.toml", scenario.resolved_toml(VERSION).into_bytes()),
    ];
    for (name, bytes) in files {
        write_atomic(&out.join(name), &bytes)
            .with_context(|| format!("writing results to {}", out.display()))?;
    }
    Ok(())
}

fn traffic(args: &TrafficArgs) -> Result<(), Failure> {
    let scenario = crossover_scenario::load(&args.scenario).map_err(|e| Failure::BadInput(e.to_string()))?;
    let seed = args.seed.unwrap_or(scenario.seed);
    let out =
        args.out.clone().unwrap_or_else(|| Path::new("output").join(&scenario.name).join("traffic.csv"));
    let started = Instant::now();
    let series = MinuteSeries::new(&scenario.traffic, seed, args.replication as u64, scenario.horizon);
    let rows: Vec<MinuteTraffic> = series.collect();
    let elapsed = started.elapsed().as_secs_f64();
    crossover_report::write_atomic(&out, &crossover_report::traffic_csv(&rows))
        .with_context(|| format!("writing the traffic to {}", out.display()))
        .map_err(Failure::Runtime)?;
    let s = TrafficSummary::of(&rows, scenario.horizon);
    println!(
        "traffic of \"{}\", replication {} (seed {seed}) over {}",
        scenario.name, args.replication, scenario.horizon
    );
    println!(
        "requests      {} ({:.0} per day; expected {:.0})",
        s.arrivals,
        s.requests_per_day(),
        s.expected
    );
    println!("mean rate     {:.3} rps (expected {:.3})", s.mean_rps(), s.expected_mean_rps());
    println!(
        "peak minute   {:.3} rps intended at {}; {:.3} rps realised at {}",
        s.peak_rate_rps,
        clock(s.peak_rate_minute),
        s.peak_arrivals_rps,
        clock(s.peak_arrivals_minute)
    );
    println!("quietest      {:.3} rps intended", s.quietest_rate_rps);
    eprintln!(
        "generated {} requests in {elapsed:.2} s ({:.1} M arrivals/s); per-minute CSV in {}",
        s.arrivals,
        s.arrivals as f64 / elapsed.max(1e-9) / 1e6,
        out.display()
    );
    Ok(())
}

/// "minute 1234 (day 0, 20:34)": days from the start of the horizon, clock time.
fn clock(minute: u64) -> String {
    let (day, rest) = (minute / 1440, minute % 1440);
    format!("minute {minute} (day {day}, {:02}:{:02})", rest / 60, rest % 60)
}

fn presets(args: &PresetsArgs) -> Result<(), Failure> {
    match &args.name {
        None => print!("{}", crossover_scenario::presets::listing()),
        Some(name) => {
            let text = crossover_scenario::presets::describe(name)
                .map_err(|e| Failure::BadInput(format!("error: {e}")))?;
            print!("{text}");
        }
    }
    Ok(())
}
