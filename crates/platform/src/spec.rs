//! Plain-data description of a platform, as resolved from a scenario and its presets.

use crate::billing::Tariff;
use crossover_engine::SimDuration;
use crossover_workload::Dist;

#[derive(Clone, Debug, PartialEq)]
pub struct PlatformSpec {
    pub name: String,
    pub instance: InstanceSpec,
    pub router: RouterSpec,
    pub autoscaler: AutoscalerSpec,
    /// Instances kept alive (warm) at all times, started before the horizon begins.
    pub min_instances: u32,
    /// Instances alive (starting or ready) never exceed this.
    pub max_instances: u32,
    /// A request whose end-to-end latency exceeds this is counted as timed out.
    pub request_timeout: SimDuration,
    pub tariff: Tariff,
}

/// One container, task, machine or pod.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceSpec {
    /// vCPUs; fractional values throttle a single request (0.5 vCPU runs it at half speed).
    pub vcpu: f64,
    pub memory_gib: f64,
    /// Requests served at once; further requests wait in the router.
    pub concurrency: u32,
    /// Time from the decision to start an instance until it can serve, in seconds.
    pub cold_start: Dist,
}

#[derive(Clone, Debug, PartialEq)]
pub enum RouterSpec {
    /// One FIFO queue in front of all instances (Cloud Run, the Knative activator):
    /// requests wait there while instances start and are rejected (429) after
    /// `queue_timeout`.
    CentralQueue { queue_timeout: SimDuration },
}

#[derive(Clone, Debug, PartialEq)]
pub enum AutoscalerSpec {
    /// Exactly `instances` instances, all warm from the start, never more, never fewer.
    Fixed { instances: u32 },
    /// AWS Lambda style: a request that finds no free instance starts a new one and
    /// waits for it (it is not handed to another instance that frees first); at
    /// `max_instances` requests wait in the router's queue instead. An idle instance is
    /// stopped after `keep_alive` unless that would go below `min_instances`.
    PerRequest { keep_alive: SimDuration },
}

impl PlatformSpec {
    /// Instances alive at time zero.
    pub fn initial_instances(&self) -> u32 {
        match self.autoscaler {
            AutoscalerSpec::Fixed { instances } => instances,
            AutoscalerSpec::PerRequest { .. } => self.min_instances,
        }
        .min(self.max_instances)
    }
}
