//! DSLab FaaS on one whole day of an Azure Functions 2019 trace in the dataset's own
//! layout (see benches/peers/azure_to_dslab.py), with DSLab's own trace generator:
//! arrivals spread uniformly in their minute, durations drawn from each function's
//! percentiles, each app's largest memory, 1 s cold starts. Prints what it simulated
//! and how long each part took; measure the whole process with `/usr/bin/time -v`.
//!
//!     dslab-azure-day TRACE_DIR HOSTS_YAML [APPS]
use dslab_faas::coldstart::FixedTimeColdStartPolicy;
use dslab_faas::config::{Config, ConfigParamResolvers, RawConfig};
use dslab_faas::extra::azure_trace_2019::{process_azure_2019_trace, AppPreference, Azure2019TraceConfig};
use dslab_faas::simulation::ServerlessSimulation;
use simcore::simulation::Simulation;
use std::path::Path;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!("usage: dslab-azure-day TRACE_DIR HOSTS_YAML [APPS]");
        std::process::exit(2);
    }
    let apps: usize = args.get(3).map_or(1000, |a| a.parse().expect("APPS is a count"));
    let start = Instant::now();
    // The whole day (1,440 minutes) and every app: the popularity range [0, 0.99999]
    // takes apps 0 to APPS - 1 of APPS.
    let trace = process_azure_2019_trace(
        Path::new(&args[1]),
        Azure2019TraceConfig {
            time_period: 1440,
            app_preferences: vec![AppPreference::new(apps, 0.0, 0.99999)],
            ..Default::default()
        },
    );
    let generated = start.elapsed().as_secs_f64();
    let file = std::fs::File::open(&args[2]).expect("HOSTS_YAML is readable");
    let raw: RawConfig = serde_yaml::from_reader(file).expect("HOSTS_YAML is a DSLab FaaS config");
    let resolvers = ConfigParamResolvers {
        // The one policy measured: a container is kept 10 minutes after its last
        // invocation, none prewarmed.
        coldstart_policy_resolver: Box::new(|_| Box::new(FixedTimeColdStartPolicy::new(600.0, 0.0, false))),
        ..Default::default()
    };
    let mut sim = ServerlessSimulation::new(Simulation::new(1), Config::from_raw(raw, resolvers));
    sim.load_trace(&trace);
    let loaded = start.elapsed().as_secs_f64();
    sim.step_until_no_events();
    let done = start.elapsed().as_secs_f64();
    let stats = sim.invocation_stats();
    println!(
        "dslab invocations {} completed {} cold_starts {} events {} generate_s {:.2} load_s {:.2} simulate_s {:.2}",
        stats.invocations,
        stats.abs_exec_slowdown.len(),
        stats.cold_starts,
        sim.event_count(),
        generated,
        loaded - generated,
        done - loaded
    );
}
