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
    #[serde(default)]
    pub simulation: SimulationSection,
    pub traffic: TrafficSection,
    pub service: ServiceSection,
    #[serde(default, rename = "platform")]
    pub platforms: Vec<PlatformSection>,
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
}

impl Default for SimulationSection {
    fn default() -> Self {
        SimulationSection {
            horizon: default_horizon(),
            replications: default_replications(),
            seed: default_seed(),
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
}

/// Keys that apply to one profile only are optional here; validation reports a key
/// given for the wrong profile and a missing one for the right profile.
#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficSection {
    pub profile: ProfileKind,
    /// constant: requests per second.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rps: Option<f64>,
    /// diurnal: requests per second outside business hours.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub trough_rps: Option<f64>,
    /// diurnal: requests per second at the peak hour.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_rps: Option<f64>,
    /// diurnal: local hour of the peak, default 14.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_hour: Option<f64>,
    /// diurnal: [open, close] local hours, default [8, 20].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub business_hours: Option<[f64; 2]>,
    /// Multiplier on Saturdays and Sundays.
    #[serde(default = "one")]
    pub weekend_factor: f64,
}

fn one() -> f64 {
    1.0
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSection {
    /// CPU time per request on one dedicated vCPU.
    pub cpu: DistField,
    /// I/O wait per request (holds a concurrency slot, not the CPU).
    #[serde(default = "DistField::zero")]
    pub io: DistField,
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
    pub autoscaler: AutoscalerSection,
    #[serde(default)]
    pub instance: InstanceSection,
    #[serde(default)]
    pub router: RouterSection,
    #[serde(default)]
    pub billing: BillingSection,
    #[serde(default)]
    pub min_instances: u32,
    #[serde(default = "default_max_instances")]
    pub max_instances: u32,
    #[serde(default = "default_request_timeout")]
    pub request_timeout: Duration,
}

fn default_max_instances() -> u32 {
    1000
}
fn default_request_timeout() -> Duration {
    // Cloud Run's default request timeout (platform-facts.md).
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
        /// (platform-facts.md, Shahrad et al. ATC'20).
        #[serde(default = "default_keep_alive")]
        keep_alive: Duration,
    },
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
    #[serde(default = "DistField::zero")]
    pub cold_start: DistField,
}

impl Default for InstanceSection {
    fn default() -> Self {
        InstanceSection {
            cpu: 1.0,
            memory: default_memory(),
            concurrency: default_concurrency(),
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
    },
}

impl Default for RouterSection {
    fn default() -> Self {
        RouterSection::CentralQueue { timeout: default_queue_timeout() }
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
    pub per_million_requests: f64,
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
}

impl Default for BillingSection {
    fn default() -> Self {
        BillingSection {
            vcpu_second: 0.0,
            gib_second: 0.0,
            idle_vcpu_second: None,
            idle_gib_second: None,
            per_million_requests: 0.0,
            rounding: default_rounding(),
            minimum_per_start: zero_duration(),
            free_vcpu_seconds: 0.0,
            free_gib_seconds: 0.0,
            free_requests: 0.0,
            fixed_monthly: BTreeMap::new(),
        }
    }
}

fn default_rounding() -> Duration {
    Duration(SimDuration::from_millis(100))
}
fn zero_duration() -> Duration {
    Duration(SimDuration::ZERO)
}
