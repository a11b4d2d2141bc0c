//! The platform model: how a cloud runs a service.
//!
//! A platform is plain data ([`PlatformSpec`]): an instance shape, a router, an
//! autoscaler and a tariff. [`simulate`] runs one platform against one replication's
//! request stream and returns what happened and what it cost. Every platform preset
//! (Cloud Run, Fargate, EKS, ...) is a different combination of these same parts.
//!
//! This crate knows nothing about files or threads; the scenario layer builds specs and
//! the runner decides what runs where.

mod autoscaler;
pub mod billing;
mod cluster;
pub mod commitment;
pub mod expander;
pub mod hpa;
mod instance;
pub mod presets;
pub mod sim;
pub mod spec;
mod timeline;

pub use billing::{
    CostBreakdown, CostModel, FreeTier, IdleBilling, Meters, Overhead, People, Rates, Tariff, HOURS_PER_MONTH,
};
pub use commitment::{Commitment, CommitmentLevel, Committed, Term};
pub use hpa::{Hpa, HpaBehavior, HpaMetric, HpaPolicy, HpaRules, HpaSelect, KedaActivation};
pub use sim::{
    simulate, simulate_unless, Counters, CronJob, JobStats, Outcome, Parts, ServiceLoad, ServiceOutcome,
    SimInput, Work,
};
pub use spec::{
    AutoscalerSpec, BalancePolicy, ColdStart, ConcurrencyScaling, FlyProxy, InstanceSpec, Interruptions,
    KedaHttp, PlatformSpec, RouterSpec, Spill, SqsPoller, StackSpec, TargetTracking, TrackedMetric,
    DEFAULT_MAX_QUEUE,
};
pub use spec::{
    ClusterAutoscaler, Expander, Karpenter, MachineType, NodeAutoscaler, NodeBilling, NodePool, Placement,
};
pub use timeline::MinuteStats;
