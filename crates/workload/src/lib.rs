//! Traffic and demand: what arrives, when, and how much work each request brings.
//!
//! Arrivals are a non-homogeneous Poisson process generated lazily (one pending arrival
//! at a time), so memory does not grow with the horizon. Each request's demand is drawn
//! at arrival from its own stream, so every platform in a replication sees the identical
//! request stream (common random numbers).

pub mod arrivals;
pub mod demand;
pub mod dist;
pub mod profile;

pub use arrivals::Arrivals;
pub use demand::{Demand, RequestDemand};
pub use dist::{Dist, DistError};
pub use profile::{DailyProfile, Traffic};

/// Stream purposes shared by every platform in a replication (common random numbers).
pub const ARRIVALS_STREAM: &str = "traffic/arrivals";
pub const DEMAND_STREAM: &str = "traffic/demand";
