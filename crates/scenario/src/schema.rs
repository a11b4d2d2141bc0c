//! The scenario file as written: serde structs with every default filled in.
//!
//! Unknown keys are errors (`deny_unknown_fields`), never silently ignored. After
//! deserialisation every optional key holds its default, so serialising the same struct
//! back gives the resolved scenario written beside every run's results.

use crate::units::{Duration, Size};
use crossover_engine::SimDuration;
use serde::{de, Deserialize, Deserializer, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioFile {
    /// Names the output folder; defaults to the file's name without extension.
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// What the scenario's author did not know and filled with a placeholder (`crossover
    /// import` marks the traffic and the work per request it could not read from the
    /// files); every run's report repeats it as a caveat.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub assumed: Vec<AssumedName>,
    #[serde(default)]
    pub simulation: SimulationSection,
    /// The traffic of every service that does not describe its own (required unless each
    /// one does).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic: Option<TrafficSection>,
    /// One `[service]` table, or a stack of `[[service]]` entries.
    pub service: Services,
    #[serde(default, rename = "platform")]
    pub platforms: Vec<PlatformSection>,
    /// The stages a company grows through (`[[stage]]`): `crossover plan` plans each one.
    /// Other commands read the file as written, without them.
    #[serde(default, rename = "stage", skip_serializing_if = "Vec::is_empty")]
    pub stages: Vec<StageSection>,
}

/// One stage of a growing stack (`[[stage]]`): which of the file's services exist at it
/// and how much traffic they take, relative to the file's.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StageSection {
    /// Names the stage in the results; unique.
    pub name: String,
    /// Multiplies every service's traffic (as a `share` would, on top of the service's
    /// own); 1 when absent. A cron service's schedule is not scaled.
    #[serde(default = "one")]
    pub scale: f64,
    /// The file's services that exist at this stage, each once; absent, every service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub services: Option<Vec<String>>,
}

/// A part of a scenario that holds a placeholder rather than a measurement.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AssumedName {
    /// The traffic (`[traffic]` and each service's share).
    Traffic,
    /// The work per request (each service's `cpu`, `io` and `response_size`).
    Demand,
}

/// The services of a scenario as written: the single-service form (`[service]`, a stack
/// of one) or a stack (`[[service]]`, each named). Kept apart so that the resolved
/// scenario is written back in the form it was read in.
#[derive(Clone, Debug, Serialize)]
#[serde(untagged)]
pub enum Services {
    One(Box<ServiceSection>),
    Stack(Vec<ServiceSection>),
}

impl Services {
    pub fn as_slice(&self) -> &[ServiceSection] {
        match self {
            Services::One(s) => std::slice::from_ref(s),
            Services::Stack(v) => v,
        }
    }

    pub fn as_mut_slice(&mut self) -> &mut [ServiceSection] {
        match self {
            Services::One(s) => std::slice::from_mut(s),
            Services::Stack(v) => v,
        }
    }

    pub fn is_stack(&self) -> bool {
        matches!(self, Services::Stack(_))
    }
}

impl<'de> Deserialize<'de> for Services {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Services;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a [service] table, or [[service]] entries (a stack of named services)")
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<Services, A::Error> {
                ServiceSection::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(|s| Services::One(Box::new(s)))
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, seq: A) -> Result<Services, A::Error> {
                Vec::<ServiceSection>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(Services::Stack)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SimulationSection {
    #[serde(default = "default_horizon")]
    pub horizon: Duration,
    #[serde(default = "default_replications")]
    pub replications: u32,
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// The p99 latency the service must meet; sweeps report where each platform crosses it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_p99: Option<Duration>,
}

impl Default for SimulationSection {
    fn default() -> Self {
        SimulationSection {
            horizon: default_horizon(),
            replications: default_replications(),
            seed: default_seed(),
            slo_p99: None,
        }
    }
}

fn default_horizon() -> Duration {
    Duration(SimDuration::from_hours(7 * 24))
}
fn default_replications() -> u32 {
    8
}
fn default_seed() -> u64 {
    1
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileKind {
    Constant,
    Diurnal,
    Hourly,
    /// Per-minute counts from a trace file (`[traffic.trace]`).
    Trace,
    /// Request timestamps from a file (`[traffic.timestamps]`).
    Timestamps,
    /// A per-interval count or rate from a file (`[traffic.series]`).
    Series,
}

impl ProfileKind {
    pub fn name(self) -> &'static str {
        match self {
            ProfileKind::Constant => "constant",
            ProfileKind::Diurnal => "diurnal",
            ProfileKind::Hourly => "hourly",
            ProfileKind::Trace => "trace",
            ProfileKind::Timestamps => "timestamps",
            ProfileKind::Series => "series",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HourlyShapeKind {
    Step,
    Linear,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DemandPartKind {
    #[default]
    Cpu,
    Io,
}

/// Keys that apply to some profiles only are optional here; validation reports a key
/// given for the wrong profile and a missing one for the right profile, and fills the
/// defaults of the keys that apply. Sub-tables come last: TOML writes them after the
/// plain keys of their table.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficSection {
    /// Required, except in a service's `traffic` that only scales the top-level
    /// `[traffic]` (`traffic = { share = 0.3 }`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileKind>,
    /// Multiplies the rate of this traffic (in a service's own `traffic`, or of the
    /// top-level `[traffic]` it inherits); absent is 1.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share: Option<f64>,
    /// constant: requests per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps: Option<f64>,
    /// diurnal: requests per second outside business hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trough_rps: Option<f64>,
    /// diurnal: requests per second at the peak hour; hourly with weights: the busiest
    /// hour's rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rps: Option<f64>,
    /// diurnal: local hour of the peak, default 14.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_hour: Option<f64>,
    /// diurnal: [open, close] local hours, default [8, 20].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_hours: Option<[f64; 2]>,
    /// hourly: 24 rates in requests per second, local hour 0 first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly_rps: Option<Vec<f64>>,
    /// hourly: 24 relative weights, scaled by `mean_rps` or `peak_rps`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly_weights: Option<Vec<f64>>,
    /// hourly with weights: the day's mean rate.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mean_rps: Option<f64>,
    /// hourly: "step" (default) or "linear" between the middles of the hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hourly_shape: Option<HourlyShapeKind>,
    /// Multiplier on Saturdays and Sundays, default 1 (profiles only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekend_factor: Option<f64>,
    /// Seven multipliers, Monday first (instead of weekend_factor).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub weekly_factors: Option<Vec<f64>>,
    /// The users' offset from the simulation clock (UTC) in hours, default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<f64>,
    /// Coefficient of variation of the per-minute log-normal noise; 0 is none.
    #[serde(default)]
    pub noise_cv: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trace: Option<TraceSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timestamps: Option<TimestampsSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub series: Option<SeriesSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bursts: Option<BurstsSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_off: Option<OnOffSection>,
}

/// Per-minute counts in the Azure Functions trace format.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TraceSection {
    /// Relative to the scenario file.
    pub file: String,
    /// Function hashes to sum; empty sums every function.
    #[serde(default)]
    pub functions: Vec<String>,
    /// Multiplies every count.
    #[serde(default = "one")]
    pub scale: f64,
    /// Start the trace again when it runs out before the horizon.
    #[serde(default = "yes")]
    pub repeat: bool,
}

/// Request timestamps (and optionally durations) replayed exactly.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TimestampsSection {
    /// Relative to the scenario file.
    pub file: String,
    /// Which part of the demand a recorded duration replaces.
    #[serde(default)]
    pub duration_as: DemandPartKind,
    /// Shift the times so the first request arrives at the start of the horizon.
    #[serde(default)]
    pub rebase: bool,
    /// What the file is: a CSV, or a web server's or load balancer's access log.
    #[serde(default)]
    pub format: LogFormatKind,
    /// How the times are written; `auto` decides from the first row.
    #[serde(default)]
    pub time_format: TimeFormatKind,
    /// The header of the time column.
    #[serde(default = "timestamp_column")]
    pub time_column: String,
    /// The header of the optional duration column (seconds).
    #[serde(default = "duration_column")]
    pub duration_column: String,
}

/// A per-interval series of request counts or rates (Prometheus, Datadog, CloudWatch
/// exports), replayed as a rate.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SeriesSection {
    /// Relative to the scenario file.
    pub file: String,
    /// The header of the time column.
    #[serde(default = "series_time_column")]
    pub time_column: String,
    /// The header of the count or rate column.
    #[serde(default = "series_value_column")]
    pub value_column: String,
    /// What the value column holds.
    #[serde(default)]
    pub value: SeriesValueKind,
    #[serde(default)]
    pub time_format: TimeFormatKind,
    /// Multiplies every value.
    #[serde(default = "one")]
    pub scale: f64,
    /// Start the series again when it runs out before the horizon.
    #[serde(default = "yes")]
    pub repeat: bool,
}

fn series_time_column() -> String {
    "time".into()
}

fn series_value_column() -> String {
    "value".into()
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SeriesValueKind {
    /// Requests counted in each interval.
    #[default]
    Count,
    /// Requests per second over each interval.
    Rate,
}

fn timestamp_column() -> String {
    "timestamp".into()
}

fn duration_column() -> String {
    "duration".into()
}

/// The layout of a timestamps file.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LogFormatKind {
    /// A CSV with a time column (and optionally a duration column).
    #[default]
    Csv,
    /// nginx or Apache, NCSA combined or common format.
    Combined,
    /// An AWS Application Load Balancer access log.
    Alb,
}

/// How recorded times are written (see `crossover_workload::trace::TimeFormat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum TimeFormatKind {
    #[default]
    #[serde(rename = "auto")]
    Auto,
    #[serde(rename = "seconds")]
    Seconds,
    #[serde(rename = "epoch-s")]
    EpochSeconds,
    #[serde(rename = "epoch-ms")]
    EpochMillis,
    #[serde(rename = "epoch-us")]
    EpochMicros,
    #[serde(rename = "rfc3339")]
    Rfc3339,
}

/// Flash crowds.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BurstsSection {
    /// Mean bursts per day (a Poisson process).
    pub per_day: f64,
    #[serde(default = "default_factor_p50")]
    pub factor_p50: f64,
    #[serde(default = "default_factor_p99")]
    pub factor_p99: f64,
    /// Time at the top factor, ramps excluded.
    #[serde(default = "default_burst_p50")]
    pub duration_p50: Duration,
    #[serde(default = "default_burst_p99")]
    pub duration_p99: Duration,
    #[serde(default = "default_ramp_up")]
    pub ramp_up: Duration,
    #[serde(default = "default_ramp_down")]
    pub ramp_down: Duration,
}

fn default_factor_p50() -> f64 {
    3.0
}
fn default_factor_p99() -> f64 {
    10.0
}
fn default_burst_p50() -> Duration {
    Duration(SimDuration::from_minutes(10))
}
fn default_burst_p99() -> Duration {
    Duration(SimDuration::from_hours(1))
}
fn default_ramp_up() -> Duration {
    Duration(SimDuration::from_minutes(1))
}
fn default_ramp_down() -> Duration {
    Duration(SimDuration::from_minutes(5))
}

/// Two-state on/off clients (an MMPP).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OnOffSection {
    pub on_factor: f64,
    #[serde(default = "one")]
    pub off_factor: f64,
    pub mean_on: Duration,
    pub mean_off: Duration,
}

fn one() -> f64 {
    1.0
}

fn yes() -> bool {
    true
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    /// Required in a stack (`[[service]]`); keys the service's random streams, its
    /// overrides (`platform.services.NAME`) and its results. `service` when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// CPU time per request on one dedicated vCPU.
    pub cpu: DistField,
    /// I/O wait per request (holds a concurrency slot, not the CPU).
    #[serde(default = "DistField::zero")]
    pub io: DistField,
    /// Response size per request, for egress charges.
    #[serde(default = "zero_size")]
    pub response_size: Size,
    /// The p99 latency this service must meet; absent, `simulation.slo_p99`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slo_p99: Option<Duration>,
    /// The service's own traffic; absent, the top-level `[traffic]`. For a worker, jobs
    /// enqueued per second; a cron service has none (its schedule says when it runs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic: Option<TrafficSection>,
    /// What kind of work it does: `http` (requests and responses, the default),
    /// `worker` (jobs from a durable queue) or `cron` (a scheduled job).
    #[serde(default, skip_serializing_if = "ServiceKind::is_http")]
    pub kind: ServiceKind,
    /// Cron: when it runs, a standard five-field cron expression in local time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Cron: tasks per run (1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tasks: Option<u32>,
    /// Cron: tasks run at once, at most (1, as a Kubernetes Job's `parallelism`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<u32>,
    /// Cron: a run not finished this long after it started counts as missed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<Duration>,
    /// Cron: the schedule's time zone, hours from the simulation clock (UTC); absent, the
    /// top-level `traffic.utc_offset`, else 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<f64>,
}

/// What kind of work a service does.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ServiceKind {
    #[default]
    Http,
    Worker,
    Cron,
}

impl ServiceKind {
    fn is_http(&self) -> bool {
        *self == ServiceKind::Http
    }

    /// The platform key holding this kind's defaults (`[platform.worker]`, `[platform.cron]`).
    pub fn defaults_key(self) -> Option<&'static str> {
        match self {
            ServiceKind::Http => None,
            ServiceKind::Worker => Some("worker"),
            ServiceKind::Cron => Some("cron"),
        }
    }
}

fn zero_size() -> Size {
    Size(0.0)
}

/// A duration distribution: a plain duration string is a constant; a table names the
/// distribution with `dist`.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(untagged)]
pub enum DistField {
    Constant(Duration),
    Table(DistTable),
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(tag = "dist", rename_all = "kebab-case", deny_unknown_fields)]
pub enum DistTable {
    Constant {
        value: Duration,
    },
    Exponential {
        mean: Duration,
    },
    /// Either (p50, p99) or (mean, cv).
    Lognormal {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        p50: Option<Duration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        p99: Option<Duration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mean: Option<Duration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        cv: Option<f64>,
    },
    Uniform {
        min: Duration,
        max: Duration,
    },
    Triangular {
        min: Duration,
        mode: Duration,
        max: Duration,
    },
    Gamma {
        mean: Duration,
        cv: f64,
    },
    /// Heavy tail: P(X > x) = (min / x)^alpha.
    Pareto {
        min: Duration,
        alpha: f64,
    },
    /// Piecewise-linear between measured percentiles (in percent, 0 to 100).
    Empirical {
        percentiles: Vec<f64>,
        values: Vec<Duration>,
    },
    /// components[i] with probability weights[i] / sum(weights).
    Mixture {
        weights: Vec<f64>,
        components: Vec<DistField>,
    },
    /// Execution-time percentiles of an Azure Functions `_run.csv`, one empirical
    /// distribution per function, mixed by invocation count.
    AzureDurations {
        /// Relative to the scenario file.
        file: String,
        #[serde(default)]
        functions: Vec<String>,
    },
}

impl DistField {
    pub fn zero() -> Self {
        DistField::Constant(Duration(SimDuration::ZERO))
    }
}

impl<'de> Deserialize<'de> for DistField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = DistField;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str(
                    "a duration (\"20ms\") or a distribution table such as \
                     { dist = \"lognormal\", p50 = \"20ms\", p99 = \"250ms\" }",
                )
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DistField, E> {
                crate::units::parse_duration(v).map(|d| DistField::Constant(Duration(d))).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DistField, E> {
                Duration::deserialize(de::value::I64Deserializer::new(v)).map(DistField::Constant)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, map: A) -> Result<DistField, A::Error> {
                DistTable::deserialize(de::value::MapAccessDeserializer::new(map)).map(DistField::Table)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformSection {
    pub name: String,
    /// The preset this entry was built on (its values are merged under the entry's own
    /// keys before deserialisation; kept for the record).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preset: Option<String>,
    /// A cold-start profile of the preset (`go`, `node`, `python`, ...).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime: Option<String>,
    pub autoscaler: AutoscalerSection,
    #[serde(default)]
    pub instance: InstanceSection,
    #[serde(default)]
    pub startup: StartupSection,
    #[serde(default)]
    pub router: RouterSection,
    #[serde(default)]
    pub billing: BillingSection,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interruptions: Option<InterruptionsSection>,
    /// Shape limits the platform accepts (from its preset).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limits: Option<LimitsSection>,
    #[serde(default)]
    pub min_instances: u32,
    #[serde(default = "default_max_instances")]
    pub max_instances: u32,
    #[serde(default = "default_request_timeout")]
    pub request_timeout: Duration,
    /// Kubernetes: the node pool pods run on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nodes: Option<NodesSection>,
    /// Hybrid: where requests go while this platform's instances are saturated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spill: Option<SpillSection>,
    /// What a worker service runs as on this platform, by default (a preset's
    /// `[worker]`): the keys of `[platform.services.NAME]`, under each worker's own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker: Option<ServiceOverrides>,
    /// What a scheduled job runs as on this platform, by default (a preset's `[cron]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cron: Option<ServiceOverrides>,
    /// The services this platform runs, when not all of the file's (`crossover plan`
    /// writes them): names of the file's services, each once; the platform's stack is
    /// these in the file's order. `None`: every service.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_services: Option<Vec<String>>,
    /// Per-service overrides, by service name: what differs for that service on this
    /// platform. Each table present here has been merged over the platform's own (as a
    /// preset is merged under an entry) before deserialisation, so it is complete.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub services: BTreeMap<String, ServiceOverrides>,
}

/// The keys a platform sets per service (`[platform.services.NAME]`); the others (the
/// tariff, the node pool, interruptions, limits) are shared by every service it runs.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceOverrides {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_instances: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_instances: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instance: Option<InstanceSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaler: Option<AutoscalerSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub router: Option<RouterSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup: Option<StartupSection>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spill: Option<SpillSection>,
    /// The service's usage rates (a worker pool billed by instance, jobs at the jobs
    /// rates); the free tier and fixed fees stay the platform's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billing: Option<BillingSection>,
}

impl ServiceOverrides {
    /// The keys this override sets, as `PlatformSection` names them.
    pub fn keys(&self) -> Vec<&'static str> {
        let mut keys = Vec::new();
        let mut add = |set: bool, key| {
            if set {
                keys.push(key)
            }
        };
        add(self.min_instances.is_some(), "min_instances");
        add(self.max_instances.is_some(), "max_instances");
        add(self.request_timeout.is_some(), "request_timeout");
        add(self.instance.is_some(), "instance");
        add(self.autoscaler.is_some(), "autoscaler");
        add(self.router.is_some(), "router");
        add(self.startup.is_some(), "startup");
        add(self.spill.is_some(), "spill");
        add(self.billing.is_some(), "billing");
        keys
    }

    /// `platform` as this service runs on it: the platform's keys with these replacing
    /// theirs.
    pub fn apply(&self, platform: &PlatformSection) -> PlatformSection {
        let mut p = platform.clone();
        p.services = BTreeMap::new();
        if let Some(v) = self.min_instances {
            p.min_instances = v;
        }
        if let Some(v) = self.max_instances {
            p.max_instances = v;
        }
        if let Some(v) = self.request_timeout {
            p.request_timeout = v;
        }
        if let Some(v) = &self.instance {
            p.instance = v.clone();
        }
        if let Some(v) = &self.autoscaler {
            p.autoscaler = v.clone();
        }
        if let Some(v) = &self.router {
            p.router = v.clone();
        }
        if let Some(v) = &self.startup {
            p.startup = v.clone();
        }
        if let Some(v) = &self.spill {
            p.spill = Some(v.clone());
        }
        if let Some(v) = &self.billing {
            p.billing = v.clone();
        }
        p.worker = None;
        p.cron = None;
        p
    }
}

/// A hybrid's overflow: another `[[platform]]` of the same file takes the requests that
/// arrive while this one's ready instances are saturated.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SpillSection {
    /// The `name` of the overflow platform's entry.
    pub to: String,
    /// Requests outstanding at the ready instances, as a multiple of their concurrency
    /// slots, at which requests spill (1: every slot busy).
    #[serde(default = "one")]
    pub threshold: f64,
}

/// A Kubernetes node pool.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodesSection {
    /// Machine types: the Cluster Autoscaler and fixed pools use the first; Karpenter
    /// chooses among all.
    pub machines: Vec<MachineSection>,
    /// Kubelet system reservation: `gke`, `eks` or `none`.
    #[serde(default = "default_reserved")]
    pub reserved: ReservedName,
    /// Requests of the daemonsets on every node.
    #[serde(default)]
    pub daemonsets: DaemonsetsSection,
    #[serde(default = "default_placement")]
    pub placement: PlacementName,
    #[serde(default)]
    pub min: u32,
    #[serde(default = "default_max_nodes")]
    pub max: u32,
    pub autoscaler: NodeAutoscalerSection,
    #[serde(default)]
    pub billing: NodeBillingSection,
    /// Spot nodes: reclaims per node-hour and their warning.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interruptions: Option<InterruptionsSection>,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MachineSection {
    pub name: String,
    pub cpu: f64,
    pub memory: Size,
    #[serde(default)]
    pub gpus: u32,
    /// USD per node-hour.
    pub hourly: f64,
    /// Pods per node (EKS: ENIs x (IPs per ENI - 1) + 2; its memory reservation grows
    /// with it).
    #[serde(default = "default_max_pods")]
    pub max_pods: u32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ReservedName {
    Gke,
    Eks,
    None,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PlacementName {
    FirstFit,
    LeastAllocated,
    MostAllocated,
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DaemonsetsSection {
    #[serde(default)]
    pub cpu: f64,
    #[serde(default = "zero_size")]
    pub memory: Size,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum NodeAutoscalerSection {
    /// The nodes there are: `nodes.min`, always.
    Fixed {},
    /// Defaults are the Cluster Autoscaler's flags (FAQ.md).
    ClusterAutoscaler {
        #[serde(default = "default_ca_scan")]
        scan_interval: Duration,
        provisioning: DistField,
        #[serde(default = "default_ten_minutes")]
        unneeded_time: Duration,
        #[serde(default = "default_ten_minutes")]
        delay_after_add: Duration,
        #[serde(default = "default_utilization_threshold")]
        utilization_threshold: f64,
        #[serde(default = "default_max_scale_down_parallelism")]
        max_scale_down_parallelism: u32,
        #[serde(default = "default_expander")]
        expander: ExpanderName,
    },
    /// Defaults are Karpenter's settings (karpenter.sh reference).
    Karpenter {
        #[serde(default = "default_batch_idle")]
        batch_idle: Duration,
        #[serde(default = "default_batch_max")]
        batch_max: Duration,
        provisioning: DistField,
        #[serde(default = "zero_duration")]
        consolidate_after: Duration,
        #[serde(default = "default_ca_scan")]
        scan_interval: Duration,
        /// `disruption.budgets[].nodes` as a percentage.
        #[serde(default = "default_karpenter_budget")]
        budget: u32,
        #[serde(default = "default_karpenter_validation")]
        validation: Duration,
    },
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct NodeBillingSection {
    #[serde(default = "default_node_rounding")]
    pub rounding: Duration,
    #[serde(default = "zero_duration")]
    pub minimum: Duration,
    /// A node never costs more than this per month (Hetzner); 0 = no cap.
    #[serde(default)]
    pub monthly_cap: f64,
}

impl Default for NodeBillingSection {
    fn default() -> Self {
        NodeBillingSection { rounding: default_node_rounding(), minimum: zero_duration(), monthly_cap: 0.0 }
    }
}

fn default_reserved() -> ReservedName {
    ReservedName::None
}
fn default_placement() -> PlacementName {
    PlacementName::FirstFit
}
fn default_max_nodes() -> u32 {
    100
}
/// The kubelet's default `--max-pods`.
fn default_max_pods() -> u32 {
    110
}
fn default_ca_scan() -> Duration {
    Duration(SimDuration::from_secs(10))
}
fn default_ten_minutes() -> Duration {
    Duration(SimDuration::from_minutes(10))
}
fn default_utilization_threshold() -> f64 {
    0.5
}
fn default_batch_idle() -> Duration {
    Duration(SimDuration::from_secs(1))
}
fn default_batch_max() -> Duration {
    Duration(SimDuration::from_secs(10))
}
fn default_node_rounding() -> Duration {
    Duration(SimDuration::from_secs(1))
}

/// A `behavior.scaleUp` / `scaleDown` of the HPA. Without `pods` and `percent` the
/// direction keeps Kubernetes' default policies.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HpaRulesSection {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stabilization: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent: Option<u32>,
    #[serde(default = "default_hpa_period")]
    pub period: Duration,
    /// Each policy has its own `periodSeconds` upstream: these override `period`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pods_period: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub percent_period: Option<Duration>,
    /// `selectPolicy`: `max` (default), `min` or `disabled`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<HpaSelectName>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HpaSelectName {
    Max,
    Min,
    Disabled,
}

/// KEDA in front of the HPA (keda.sh ScaledObject defaults).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KedaSection {
    #[serde(default = "default_keda_k8s_polling")]
    pub polling: Duration,
    #[serde(default = "default_cooldown")]
    pub cooldown: Duration,
    /// Queue scalers (`metric = "queue"`): messages above which the scaler is active
    /// (`activationQueueLength`, 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation: Option<f64>,
    /// Queue scalers: count messages being processed as well as those waiting
    /// (`scaleOnInFlight`, true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub in_flight: Option<bool>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HpaMetricName {
    Cpu,
    Concurrency,
    Rps,
    /// Messages in a worker's queue per replica (an External metric, as KEDA's queue
    /// scalers report it).
    Queue,
}

/// cluster-autoscaler's `--expander`, `least-waste` by default since 1.33
/// (kubernetes/autoscaler#7631).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ExpanderName {
    LeastWaste,
    MostPods,
    Price,
    Random,
}
fn default_expander() -> ExpanderName {
    ExpanderName::LeastWaste
}
/// cluster-autoscaler's `--max-scale-down-parallelism` default (FAQ.md, "What are the
/// parameters to CA?").
fn default_max_scale_down_parallelism() -> u32 {
    10
}
/// Karpenter's default NodePool disruption budget, `nodes: "10%"` (karpenter.sh, NodePools,
/// Disruption budgets).
fn default_karpenter_budget() -> u32 {
    10
}
/// Karpenter waits 15 s before it validates and executes a disruption decision
/// (kubernetes-sigs/karpenter `pkg/controllers/disruption`, the consolidation TTL).
fn default_karpenter_validation() -> Duration {
    Duration(SimDuration::from_secs(15))
}
/// "How target tracking scaling for Application Auto Scaling works": capacity is removed
/// only below a threshold "usually more than 10% lower" than the target.
fn default_scale_in_margin() -> f64 {
    0.1
}
fn default_hpa_period() -> Duration {
    Duration(SimDuration::from_secs(15))
}
fn default_hpa_tolerance() -> f64 {
    0.1
}
fn default_keda_k8s_polling() -> Duration {
    Duration(SimDuration::from_secs(30))
}

fn default_max_instances() -> u32 {
    1000
}
fn default_request_timeout() -> Duration {
    // Cloud Run's default request timeout (cloud.google.com/run/docs/configuring/request-timeout).
    Duration(SimDuration::from_secs(300))
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum AutoscalerSection {
    Fixed {
        instances: u32,
    },
    PerRequest {
        /// AWS Lambda keeps an idle execution environment about 10 minutes
        /// (Shahrad et al. ATC'20).
        #[serde(default = "default_keep_alive")]
        keep_alive: Duration,
    },
    /// Lambda's SQS event source mapping, for a worker: per-request starts within a
    /// concurrency of `initial` that rises by `per_minute` while jobs wait.
    SqsPoller {
        #[serde(default = "default_keep_alive")]
        keep_alive: Duration,
        #[serde(default = "default_sqs_initial")]
        initial: u32,
        #[serde(default = "default_sqs_per_minute")]
        per_minute: u32,
    },
    /// Knative KPA / Cloud Run; defaults are Knative's (config/core/configmaps/autoscaler.yaml).
    Concurrency {
        #[serde(default = "default_target_concurrency")]
        target_concurrency: f64,
        #[serde(default)]
        target_cpu: f64,
        #[serde(default = "default_kpa_tick")]
        tick: Duration,
        #[serde(default = "default_stable_window")]
        stable_window: Duration,
        #[serde(default = "default_panic_window")]
        panic_window: Duration,
        #[serde(default = "default_panic_threshold")]
        panic_threshold: f64,
        #[serde(default = "default_max_scale_up_rate")]
        max_scale_up_rate: f64,
        #[serde(default = "default_max_scale_down_rate")]
        max_scale_down_rate: f64,
        #[serde(default = "zero_duration")]
        idle_retention: Duration,
    },
    /// AWS Application Auto Scaling target tracking.
    TargetTracking {
        metric: TrackedMetricName,
        target: f64,
        #[serde(default = "default_datapoint_period")]
        period: Duration,
        #[serde(default = "default_datapoints_out")]
        datapoints_out: u32,
        #[serde(default = "default_datapoints_in")]
        datapoints_in: u32,
        #[serde(default = "default_cooldown")]
        scale_out_cooldown: Duration,
        #[serde(default = "default_cooldown")]
        scale_in_cooldown: Duration,
        #[serde(default = "default_scale_in_margin")]
        scale_in_margin: f64,
    },
    /// KEDA HTTP scaling (Azure Container Apps).
    KedaHttp {
        #[serde(default = "default_keda_target")]
        target_per_replica: f64,
        #[serde(default = "default_keda_polling")]
        polling: Duration,
        #[serde(default = "default_cooldown")]
        stabilization: Duration,
        #[serde(default = "default_cooldown")]
        cooldown: Duration,
    },
    /// fly-proxy autostart/autostop over a pool of `max_instances` machines.
    FlyProxy {
        #[serde(default = "default_soft_limit")]
        soft_limit: u32,
        #[serde(default = "default_cooldown")]
        check_period: Duration,
    },
    /// The Kubernetes HPA; defaults are kube-controller-manager's.
    Hpa {
        metric: HpaMetricName,
        target: f64,
        #[serde(default = "default_hpa_period")]
        sync_period: Duration,
        #[serde(default = "default_hpa_tolerance")]
        tolerance: f64,
        #[serde(default = "default_hpa_period")]
        metric_window: Duration,
        /// `spec.behavior`: with neither table the HPA takes upstream's legacy path.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scale_up: Option<HpaRulesSection>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        scale_down: Option<HpaRulesSection>,
        /// The legacy path's window (`--horizontal-pod-autoscaler-downscale-stabilization`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        downscale_stabilization: Option<Duration>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        keda: Option<KedaSection>,
    },
    /// Scheduled scaling: instances for each hour of weekdays and weekends, on the
    /// simulation clock (Monday 00:00 at UTC offset 0), as scheduled actions use UTC.
    Schedule {
        weekday: Vec<u32>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        weekend: Option<Vec<u32>>,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TrackedMetricName {
    Cpu,
    RequestsPerTarget,
    /// A worker's queue backlog per running task (AWS's pattern for SQS).
    BacklogPerTask,
}

/// Lambda's SQS mapping starts with five concurrent batches ...
fn default_sqs_initial() -> u32 {
    5
}
/// ... and adds up to 300 a minute while messages remain.
fn default_sqs_per_minute() -> u32 {
    300
}

fn default_target_concurrency() -> f64 {
    0.7
}
fn default_kpa_tick() -> Duration {
    Duration(SimDuration::from_secs(2))
}
fn default_stable_window() -> Duration {
    Duration(SimDuration::from_secs(60))
}
fn default_panic_window() -> Duration {
    Duration(SimDuration::from_secs(6))
}
fn default_panic_threshold() -> f64 {
    2.0
}
fn default_max_scale_up_rate() -> f64 {
    1000.0
}
fn default_max_scale_down_rate() -> f64 {
    2.0
}
fn default_datapoint_period() -> Duration {
    Duration(SimDuration::from_secs(60))
}
fn default_datapoints_out() -> u32 {
    3
}
fn default_datapoints_in() -> u32 {
    15
}
fn default_cooldown() -> Duration {
    Duration(SimDuration::from_secs(300))
}
fn default_keda_target() -> f64 {
    10.0
}
fn default_keda_polling() -> Duration {
    Duration(SimDuration::from_secs(15))
}
fn default_soft_limit() -> u32 {
    20
}

/// How an instance starts: `fixed + image_size / pull_rate + cold_start x cpu_boost +
/// U(0, health_check_interval)`.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StartupSection {
    #[serde(default = "zero_duration")]
    pub fixed: Duration,
    /// Image pull rate in MB/s (0 = images cached, never pulled).
    #[serde(default)]
    pub pull_mb_per_s: f64,
    #[serde(default = "one")]
    pub cpu_boost: f64,
    #[serde(default = "zero_duration")]
    pub health_check_interval: Duration,
}

impl Default for StartupSection {
    fn default() -> Self {
        StartupSection {
            fixed: zero_duration(),
            pull_mb_per_s: 0.0,
            cpu_boost: 1.0,
            health_check_interval: zero_duration(),
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InterruptionsSection {
    pub rate_per_hour: f64,
    #[serde(default = "default_spot_warning")]
    pub warning: Duration,
}

fn default_spot_warning() -> Duration {
    Duration(SimDuration::from_secs(120))
}

/// Instance shapes a platform accepts.
#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSection {
    /// Allowed vCPU values (absent: any within `cpu_range`; an empty list is an error).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_values: Option<Vec<f64>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_range: Option<[f64; 2]>,
    /// Memory allowed by vCPU: rows of [vCPU, min GiB, max GiB]; a shape uses the first
    /// row whose vCPU is at least its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub memory_by_cpu: Vec<[f64; 3]>,
    /// Memory per vCPU, GiB, [min, max].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gib_per_vcpu: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub memory_range_gib: Option<[f64; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrency: Option<u32>,
    /// Below one vCPU, concurrency may not exceed this (Cloud Run: 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fractional_cpu_max_concurrency: Option<u32>,
    /// Minimum vCPU and memory (GiB) when GPUs are attached.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gpu_min_shape: Option<[f64; 2]>,
    /// The longest one request, job or task may run (Lambda: 15 minutes): a worker or
    /// scheduled job whose mean task is longer is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_duration: Option<Duration>,
}

fn default_keep_alive() -> Duration {
    Duration(SimDuration::from_minutes(10))
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct InstanceSection {
    #[serde(default = "one")]
    pub cpu: f64,
    #[serde(default = "default_memory")]
    pub memory: Size,
    #[serde(default = "default_concurrency")]
    pub concurrency: u32,
    #[serde(default)]
    pub gpus: u32,
    /// Container image size (pulled at `startup.pull_mb_per_s`).
    #[serde(default = "zero_size")]
    pub image_size: Size,
    /// Runtime and application start-up time.
    #[serde(default = "DistField::zero")]
    pub cold_start: DistField,
}

impl Default for InstanceSection {
    fn default() -> Self {
        InstanceSection {
            cpu: 1.0,
            memory: default_memory(),
            concurrency: default_concurrency(),
            gpus: 0,
            image_size: zero_size(),
            cold_start: DistField::zero(),
        }
    }
}

fn default_memory() -> Size {
    Size(0.5)
}
fn default_concurrency() -> u32 {
    1
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case", deny_unknown_fields)]
pub enum RouterSection {
    CentralQueue {
        /// How long a request may wait for an instance before a 429.
        #[serde(default = "default_queue_timeout")]
        timeout: Duration,
        /// Requests waiting at most; more are refused at once.
        #[serde(default = "default_max_queue")]
        max_queue: u32,
    },
    /// A load balancer assigning each request to an instance at once.
    LoadBalancer {
        #[serde(default = "default_policy")]
        policy: BalancePolicyName,
        /// How long a request may wait when no instance is ready (0: 503 at once).
        #[serde(default = "zero_duration")]
        timeout: Duration,
        /// Requests waiting at most; more are refused at once.
        #[serde(default = "default_max_queue")]
        max_queue: u32,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BalancePolicyName {
    RoundRobin,
    LeastOutstanding,
    Random,
}

fn default_max_queue() -> u32 {
    crossover_platform::DEFAULT_MAX_QUEUE
}

fn default_policy() -> BalancePolicyName {
    BalancePolicyName::RoundRobin
}

impl Default for RouterSection {
    fn default() -> Self {
        RouterSection::CentralQueue { timeout: default_queue_timeout(), max_queue: default_max_queue() }
    }
}

fn default_queue_timeout() -> Duration {
    // Cloud Run documentation versions say 10 s to 60 s; the longer is the default here.
    Duration(SimDuration::from_secs(60))
}

/// Prices in USD. Idle rates default to the active rates (billed whenever alive).
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BillingSection {
    #[serde(default)]
    pub vcpu_second: f64,
    #[serde(default)]
    pub gib_second: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_vcpu_second: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_gib_second: Option<f64>,
    #[serde(default)]
    pub gpu_second: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_gpu_second: Option<f64>,
    /// Which idle instances pay the idle rate: all, min-instances, at-min-replicas.
    #[serde(default = "default_idle_billing")]
    pub idle_billing: IdleBillingName,
    #[serde(default)]
    pub per_million_requests: f64,
    #[serde(default)]
    pub egress_per_gb: f64,
    /// Per stopped machine per month (Fly rootfs storage).
    #[serde(default)]
    pub stopped_per_month: f64,
    #[serde(default = "default_rounding")]
    pub rounding: Duration,
    #[serde(default = "zero_duration")]
    pub minimum_per_start: Duration,
    #[serde(default)]
    pub free_vcpu_seconds: f64,
    #[serde(default)]
    pub free_gib_seconds: f64,
    #[serde(default)]
    pub free_requests: f64,
    /// Named fixed fees in USD per month.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub fixed_monthly: BTreeMap<String, f64>,
    /// Managed control plane per month (EKS $73, GKE $73 before its credit).
    #[serde(default)]
    pub control_plane_monthly: f64,
    /// Monthly credit against the control-plane fee.
    #[serde(default)]
    pub control_plane_credit_monthly: f64,
    /// Overhead (hidden costs) per month: load balancers, NAT gateways, observability.
    #[serde(default)]
    pub load_balancer_monthly: f64,
    #[serde(default)]
    pub nat_gateway_monthly: f64,
    #[serde(default)]
    pub observability_monthly: f64,
    /// Operations engineers (full-time equivalents) for TCO, at a loaded yearly cost.
    #[serde(default)]
    pub ops_fte: f64,
    #[serde(default = "default_loaded_salary")]
    pub ops_loaded_salary: f64,
    /// The discount programmes the platform sells, by name: the discount off on-demand
    /// prices for each term (presets list them, with their sources).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub commitments: BTreeMap<String, CommitmentRates>,
    /// The programme bought, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub commitment: Option<CommitmentSection>,
}

/// A programme's discount off on-demand prices, by term (no upfront payment).
#[derive(Clone, Debug, Default, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentRates {
    #[serde(rename = "1y", default, skip_serializing_if = "Option::is_none")]
    pub one_year: Option<f64>,
    #[serde(rename = "3y", default, skip_serializing_if = "Option::is_none")]
    pub three_years: Option<f64>,
}

/// A commitment bought for the platform: `{ kind, term, level }`.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CommitmentSection {
    /// One of the platform's `commitments` (or any name, with `discount`).
    pub kind: String,
    /// `1y` or `3y`.
    pub term: String,
    /// `"auto"`, or USD paid per hour.
    #[serde(default = "default_commitment_level")]
    pub level: CommitmentLevelField,
    /// Fraction off on-demand prices; defaults to the platform's rate for the kind and term.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discount: Option<f64>,
}

/// `"auto"` or a number of USD per hour.
#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(untagged)]
pub enum CommitmentLevelField {
    Usd(f64),
    Word(String),
}

fn default_commitment_level() -> CommitmentLevelField {
    CommitmentLevelField::Word("auto".into())
}

/// The article's "$180K average fully-loaded cost per engineer".
fn default_loaded_salary() -> f64 {
    180_000.0
}

impl Default for BillingSection {
    fn default() -> Self {
        BillingSection {
            vcpu_second: 0.0,
            gib_second: 0.0,
            idle_vcpu_second: None,
            idle_gib_second: None,
            gpu_second: 0.0,
            idle_gpu_second: None,
            idle_billing: default_idle_billing(),
            per_million_requests: 0.0,
            egress_per_gb: 0.0,
            stopped_per_month: 0.0,
            rounding: default_rounding(),
            minimum_per_start: zero_duration(),
            free_vcpu_seconds: 0.0,
            free_gib_seconds: 0.0,
            free_requests: 0.0,
            fixed_monthly: BTreeMap::new(),
            control_plane_monthly: 0.0,
            control_plane_credit_monthly: 0.0,
            load_balancer_monthly: 0.0,
            nat_gateway_monthly: 0.0,
            observability_monthly: 0.0,
            ops_fte: 0.0,
            ops_loaded_salary: default_loaded_salary(),
            commitments: BTreeMap::new(),
            commitment: None,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum IdleBillingName {
    All,
    MinInstances,
    AtMinReplicas,
}

fn default_idle_billing() -> IdleBillingName {
    IdleBillingName::All
}

fn default_rounding() -> Duration {
    Duration(SimDuration::from_millis(100))
}
fn zero_duration() -> Duration {
    Duration(SimDuration::ZERO)
}
