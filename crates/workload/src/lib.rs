//! Traffic and demand: what arrives, when, and how much work each request brings.
//!
//! The rate is a source (a daily profile x weekly pattern, a per-minute trace, or
//! recorded timestamps) times random fluctuations (flash crowds, per-minute noise,
//! on/off clients). Arrivals are a non-homogeneous Poisson process generated lazily (one
//! pending arrival at a time), so memory does not grow with the horizon. Fluctuations
//! and each request's demand come from their own streams, so every platform in a
//! replication sees the identical request stream (common random numbers).
//!
//! Nothing here opens a file: trace parsers take text or a reader (read streaming, a
//! line at a time) and return typed values or a located error; the scenario layer opens
//! the files.

pub mod arrivals;
pub mod cron;
pub mod demand;
pub mod dist;
pub mod fluctuation;
pub mod profile;
pub mod series;
pub mod trace;
pub mod traffic;

pub use arrivals::Arrivals;
pub use cron::{CronError, CronSchedule};
pub use demand::{Demand, DemandPart, RecordedDemand, RequestDemand};
pub use dist::{Dist, DistError};
pub use fluctuation::{Bursts, Fluctuations, OnOff};
pub use profile::{DailyProfile, HourlyShape, Pattern, WeeklyPattern};
pub use series::{MinuteSeries, MinuteTraffic, TrafficSummary};
pub use trace::{MinuteCounts, RecordedArrivals, TraceError, TraceProblem};
pub use traffic::{Source, Traffic};

/// Stream purposes shared by every platform in a replication (common random numbers).
pub const ARRIVALS_STREAM: &str = "traffic/arrivals";
pub const DEMAND_STREAM: &str = "traffic/demand";
pub const BURSTS_STREAM: &str = "traffic/bursts";
pub const NOISE_STREAM: &str = "traffic/noise";
pub const ON_OFF_STREAM: &str = "traffic/on-off";
