//! Plain-data description of a platform, as resolved from a scenario and its presets.
//!
//! Every preset is a combination of these parts; nothing here is specific to one cloud.

use crate::billing::Tariff;
use crate::hpa::Hpa;
use crossover_engine::SimDuration;
use crossover_workload::Dist;

#[derive(Clone, Debug, PartialEq)]
pub struct PlatformSpec {
    pub name: String,
    pub instance: InstanceSpec,
    pub startup: ColdStart,
    pub router: RouterSpec,
    pub autoscaler: AutoscalerSpec,
    /// Instances kept alive (warm) at all times, started before the horizon begins.
    pub min_instances: u32,
    /// Instances alive (starting or ready) never exceed this. For `FlyProxy` it is the
    /// pool of machines that exist (started or stopped).
    pub max_instances: u32,
    /// A request whose end-to-end latency exceeds this is counted as timed out.
    pub request_timeout: SimDuration,
    /// Spot-style interruptions, if any.
    pub interruptions: Option<Interruptions>,
    pub tariff: Tariff,
    /// Kubernetes: the nodes pods must fit on. None: serverless, instances are placed
    /// at once and pay only their cold start.
    pub nodes: Option<NodePool>,
    /// Hybrid: requests this platform's instances cannot take go to another platform.
    pub spill: Option<Spill>,
}

/// A platform running a stack: one spec per service, in the stack's service order. Each
/// is the platform entry with that service's overrides applied (instance, autoscaler,
/// router, instance limits, start-up, request timeout, spill); the parts the platform
/// shares (name, tariff, node pool) are the same in every one of them, which
/// [`StackSpec::new`] checks.
#[derive(Clone, Debug, PartialEq)]
pub struct StackSpec {
    pub name: String,
    pub services: Vec<PlatformSpec>,
    /// When the platform runs only some of the scenario's services: their indices in
    /// the scenario's service list, increasing (`services` holds their specs, in that
    /// order). `None`: every service, in order.
    pub only: Option<Vec<usize>>,
}

impl StackSpec {
    /// A stack of the given services' specs; an error names what they do not share.
    pub fn new(name: String, services: Vec<PlatformSpec>) -> Result<StackSpec, String> {
        let Some(first) = services.first() else {
            return Err(format!("platform \"{name}\" runs no service"));
        };
        for s in &services[1..] {
            if !s.tariff.same_account(&first.tariff) {
                return Err(format!(
                    "platform \"{name}\": free tier, fixed fees, control plane, overhead and people are the \
                     platform's, the same for every service (only usage rates may differ per service)"
                ));
            }
            if s.nodes != first.nodes {
                return Err(format!("platform \"{name}\": every service must share the same node pool"));
            }
        }
        Ok(StackSpec { name, services, only: None })
    }

    /// The same platform running only the services at `indices` (increasing indices
    /// into the scenario's services, which this stack's specs follow one for one when
    /// it runs them all). Indices it does not run are skipped.
    pub fn only(&self, indices: &[usize]) -> StackSpec {
        let position = |i: usize| match &self.only {
            None => Some(i),
            Some(own) => own.iter().position(|&o| o == i),
        };
        let kept: Vec<(usize, usize)> = indices
            .iter()
            .filter_map(|&i| position(i).filter(|&p| p < self.services.len()).map(|p| (i, p)))
            .collect();
        StackSpec {
            name: self.name.clone(),
            services: kept.iter().map(|&(_, p)| self.services[p].clone()).collect(),
            only: Some(kept.iter().map(|&(i, _)| i).collect()),
        }
    }

    /// Whether the platform runs the scenario's service `index`.
    pub fn runs(&self, index: usize) -> bool {
        match &self.only {
            None => index < self.services.len(),
            Some(own) => own.contains(&index),
        }
    }

    /// A platform running one service.
    pub fn single(spec: PlatformSpec) -> StackSpec {
        StackSpec { name: spec.name.clone(), services: vec![spec], only: None }
    }

    /// The platform's shared parts (tariff, node pool), as every service's spec holds them.
    pub fn shared(&self) -> &PlatformSpec {
        &self.services[0]
    }

    /// Some service spills to an overflow platform.
    pub fn is_hybrid(&self) -> bool {
        self.services.iter().any(|s| s.spill.is_some())
    }
}

/// The article's "middle ground": a baseline fleet (typically Kubernetes pods on nodes
/// bought for steady load) and an overflow platform (typically serverless) that takes
/// the requests arriving while the baseline is saturated. A gateway in front of both
/// (an Envoy or NGINX ingress with an overflow upstream, or a Cloud Load Balancing URL
/// map with a serverless NEG as failover) counts the requests outstanding at the
/// baseline's ready instances and sends a new request to the overflow platform once
/// that count reaches `threshold` of their concurrency slots, or when none is ready.
#[derive(Clone, Debug, PartialEq)]
pub struct Spill {
    /// The overflow platform: a whole platform of its own (instances, autoscaler, tariff),
    /// fed only the requests that spill.
    pub to: Box<PlatformSpec>,
    /// Requests outstanding at the baseline, as a multiple of its ready instances'
    /// concurrency slots, at which new requests spill: 1 = when every slot is busy; 0.8
    /// spills earlier, keeping headroom; 2 lets one request per slot queue first.
    pub threshold: f64,
}

/// A node machine type, with what pods can use of it.
#[derive(Clone, Debug, PartialEq)]
pub struct MachineType {
    pub name: String,
    pub vcpu: f64,
    pub memory_gib: f64,
    pub gpus: u32,
    /// Price per node-hour (0 where nodes are not billed, as on GKE Autopilot).
    pub hourly_usd: f64,
    /// Allocatable to pods after the system reservation and the daemonsets.
    pub pod_vcpu: f64,
    pub pod_memory_gib: f64,
    /// Daemonset requests per node (counted in the Cluster Autoscaler's utilisation).
    pub daemonset_vcpu: f64,
    pub daemonset_memory_gib: f64,
    /// Pods a node of this type takes, whatever their size (the kubelet's `--max-pods`:
    /// 110 by default, fewer on EKS where each pod takes a VPC address).
    pub max_pods: u32,
}

impl MachineType {
    /// Pods of the given shape that fit on an empty node.
    pub fn pods_per_node(&self, pod: &InstanceSpec) -> u32 {
        let by =
            |free: f64, need: f64| if need <= 0.0 { u32::MAX } else { ((free + 1e-9) / need).floor() as u32 };
        let gpus = self.gpus.checked_div(pod.gpus).unwrap_or(u32::MAX);
        by(self.pod_vcpu, pod.vcpu).min(by(self.pod_memory_gib, pod.memory_gib)).min(gpus).min(self.max_pods)
    }
}

/// Which node a pod goes to among those it fits on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// The first node in creation order.
    FirstFit,
    /// The node with the most free capacity (kube-scheduler's default scoring).
    LeastAllocated,
    /// The node with the least free capacity (bin-packing).
    MostAllocated,
}

/// What adds and removes nodes.
#[derive(Clone, Debug, PartialEq)]
pub enum NodeAutoscaler {
    /// The nodes there are: `min_nodes`, always.
    Fixed,
    ClusterAutoscaler(ClusterAutoscaler),
    Karpenter(Karpenter),
}

/// The Kubernetes Cluster Autoscaler: one node group per machine type (the initial nodes
/// are of the first), the expander choosing which grows.
#[derive(Clone, Debug, PartialEq)]
pub struct ClusterAutoscaler {
    /// `--scan-interval` (10 s).
    pub scan_interval: SimDuration,
    /// From the scale-up decision to a Ready node.
    pub provisioning: Dist,
    /// `--scale-down-unneeded-time` (10 min).
    pub unneeded_time: SimDuration,
    /// `--scale-down-delay-after-add` (10 min).
    pub delay_after_add: SimDuration,
    /// `--scale-down-utilization-threshold` (0.5 of allocatable, requests).
    pub utilization_threshold: f64,
    /// `--max-scale-down-parallelism` (10): empty nodes deleted in one loop; nodes with
    /// pods are drained one at a time (`--max-drain-parallelism`, 1).
    pub max_scale_down_parallelism: u32,
    /// `--expander` (`least-waste` since cluster-autoscaler 1.33): which machine type a
    /// scale-up uses.
    pub expander: Expander,
}

/// The Cluster Autoscaler's expanders (see `expander.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expander {
    LeastWaste,
    MostPods,
    Price,
    Random,
}

/// Karpenter: batches pending pods, launches the cheapest machine type that holds them
/// and consolidates nodes whose pods fit elsewhere.
#[derive(Clone, Debug, PartialEq)]
pub struct Karpenter {
    /// `--batch-idle-duration` (1 s): the batch closes after this long without a new
    /// pending pod ...
    pub batch_idle: SimDuration,
    /// ... or `--batch-max-duration` (10 s) after it opened.
    pub batch_max: SimDuration,
    /// From launch to a Ready node.
    pub provisioning: Dist,
    /// `consolidateAfter`: a node is a candidate this long after its pods last changed.
    pub consolidate_after: SimDuration,
    /// How often consolidation looks (Karpenter's disruption loop polls every 10 s).
    pub scan_interval: SimDuration,
    /// The NodePool's disruption budget, `nodes: "10%"` by default: at most this share of
    /// the initialized nodes (rounded up) disrupted at once.
    pub budget_percent: u32,
    /// How long a decision waits before it is validated and carried out (15 s).
    pub validation: SimDuration,
}

/// How nodes are billed.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeBilling {
    /// Each node life rounded up to this (1 s on Compute Engine and EC2, 1 h at Hetzner).
    pub rounding: SimDuration,
    /// Billed at least this long per node (1 min on Compute Engine and EC2).
    pub minimum: SimDuration,
    /// A node never costs more than this per month (Hetzner's cap); 0 = no cap.
    pub monthly_cap_usd: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct NodePool {
    /// Node types; the Cluster Autoscaler and fixed pools use the first, Karpenter picks.
    pub machines: Vec<MachineType>,
    pub placement: Placement,
    pub autoscaler: NodeAutoscaler,
    pub min_nodes: u32,
    pub max_nodes: u32,
    pub billing: NodeBilling,
    /// Spot nodes: the provider reclaims a node at random with a warning; at the notice
    /// the node is cordoned and drained (the AWS Node Termination Handler, Karpenter's
    /// interruption handling), its pods replaced elsewhere; at the end of the warning it
    /// is terminated with whatever still runs on it.
    pub interruptions: Option<Interruptions>,
}

/// One container, task, machine or pod.
#[derive(Clone, Debug, PartialEq)]
pub struct InstanceSpec {
    /// vCPUs; fractional values throttle a single request (0.5 vCPU runs it at half speed).
    pub vcpu: f64,
    pub memory_gib: f64,
    /// GPUs attached (billed per GPU-second; no effect on service time).
    pub gpus: u32,
    /// Requests served at once; further requests wait in the router or the instance queue.
    pub concurrency: u32,
}

/// Time from the decision to start an instance until it serves:
/// `fixed + image_mb / pull_mb_per_s + init x cpu_boost + U(0, health_check_interval)`.
#[derive(Clone, Debug, PartialEq)]
pub struct ColdStart {
    /// Scheduling, network attachment, VM boot: the part that does not depend on the app.
    pub fixed: SimDuration,
    /// Container image size in MB; pulled at `pull_mb_per_s` (0 = cached, never pulled).
    pub image_mb: f64,
    pub pull_mb_per_s: f64,
    /// Runtime and application start.
    pub init: Dist,
    /// Multiplier on `init` (startup CPU boost: 0.65 = 35% faster; 1 = none).
    pub cpu_boost: f64,
    /// A load balancer sends traffic only after a passing health check; the first check
    /// comes uniformly within this interval (0 = ready at once).
    pub health_check_interval: SimDuration,
}

impl ColdStart {
    pub fn pull_time(&self) -> SimDuration {
        if self.pull_mb_per_s > 0.0 && self.image_mb > 0.0 {
            SimDuration::from_secs_f64(self.image_mb / self.pull_mb_per_s)
        } else {
            SimDuration::ZERO
        }
    }
}

/// Spot capacity: the provider reclaims instances at random with a warning.
#[derive(Clone, Debug, PartialEq)]
pub struct Interruptions {
    /// Interruptions per instance-hour (Poisson).
    pub rate_per_hour: f64,
    /// Notice before the instance is stopped; it takes no new requests meanwhile and a
    /// replacement starts (cold) at once.
    pub warning: SimDuration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BalancePolicy {
    RoundRobin,
    LeastOutstanding,
    Random,
}

/// Requests a router holds waiting by default: the Knative activator's
/// `breakerQueueDepth`, "the number of requests that are queued on the breaker before the
/// 503s are sent" (knative/serving `pkg/activator/net/throttler.go`), the one documented
/// figure for a router's queue among the platforms modelled.
pub const DEFAULT_MAX_QUEUE: u32 = 10_000;

#[derive(Clone, Debug, PartialEq)]
pub enum RouterSpec {
    /// One FIFO queue in front of all instances (Cloud Run, the Knative activator):
    /// requests wait there while instances start and are rejected (429) after
    /// `queue_timeout`. A request goes to the least-loaded instance with a free slot.
    /// At most `max_queue` requests wait; more are refused at once (503).
    CentralQueue { queue_timeout: SimDuration, max_queue: u32 },
    /// A load balancer (ALB, kube-proxy, fly-proxy) assigns each request to a ready
    /// instance at once; what exceeds the instance's concurrency queues inside it. With
    /// no ready instance the request waits up to `queue_timeout` (0 = rejected at once),
    /// at most `max_queue` of them.
    LoadBalancer { policy: BalancePolicy, queue_timeout: SimDuration, max_queue: u32 },
}

#[derive(Clone, Debug, PartialEq)]
pub enum AutoscalerSpec {
    /// Exactly `instances` instances, all warm from the start (replaced if interrupted).
    Fixed { instances: u32 },
    /// AWS Lambda style: a request that finds no free instance starts a new one and
    /// waits for it (it is not handed to another instance that frees first); at
    /// `max_instances` requests wait in the router's queue instead. An idle instance is
    /// stopped after `keep_alive` unless that would go below `min_instances`.
    PerRequest { keep_alive: SimDuration },
    /// Knative's KPA as Cloud Run uses it: every `tick`, desired instances from the
    /// average concurrency (and CPU) over the stable window, with a panic mode on the
    /// short window; requests that find no capacity start instances at once.
    Concurrency(ConcurrencyScaling),
    /// AWS Application Auto Scaling target tracking (ECS services).
    TargetTracking(TargetTracking),
    /// KEDA's HTTP scaler as Azure Container Apps runs it.
    KedaHttp(KedaHttp),
    /// fly-proxy autostart/autostop over a fixed pool of `max_instances` machines.
    FlyProxy(FlyProxy),
    /// Scheduled scaling (Application Auto Scaling scheduled actions): a desired count
    /// for each hour of weekdays and of weekends, applied on the hour.
    Schedule { weekday: [u32; 24], weekend: [u32; 24] },
    /// The Kubernetes Horizontal Pod Autoscaler (optionally behind KEDA).
    Hpa(Hpa),
    /// Lambda's SQS event source mapping, for a worker: per-request starts as
    /// `PerRequest`, within a concurrency that ramps while jobs wait.
    SqsPoller(SqsPoller),
}

/// Lambda's SQS event source mapping (see `autoscaler/sqs_poller.rs`).
#[derive(Clone, Debug, PartialEq)]
pub struct SqsPoller {
    /// An idle execution environment is kept this long.
    pub keep_alive: SimDuration,
    /// Concurrent invocations when messages first appear, and after a quiet minute (5).
    pub initial: u32,
    /// Added at each minute that ends with messages waiting (300).
    pub per_minute: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ConcurrencyScaling {
    /// Target concurrency per instance as a fraction of its concurrency limit.
    pub target_concurrency: f64,
    /// Target CPU utilisation (0 disables the CPU driver).
    pub target_cpu: f64,
    pub tick: SimDuration,
    pub stable_window: SimDuration,
    pub panic_window: SimDuration,
    /// Panic when the panic-window desire is this multiple of ready instances.
    pub panic_threshold: f64,
    pub max_scale_up_rate: f64,
    pub max_scale_down_rate: f64,
    /// An instance above the desired count is stopped only after idling this long
    /// (Cloud Run keeps idle instances around; Knative removes them at once).
    pub idle_retention: SimDuration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TrackedMetric {
    /// Average CPU utilisation of the running tasks (fraction).
    Cpu,
    /// ALBRequestCountPerTarget: requests per task per datapoint period.
    RequestsPerTarget,
    /// Backlog per task: a queue's visible messages over the running tasks, AWS's
    /// documented pattern for scaling on Amazon SQS (a metric math expression of
    /// ApproximateNumberOfMessagesVisible and RunningTaskCount).
    BacklogPerTask,
}

#[derive(Clone, Debug, PartialEq)]
pub struct TargetTracking {
    pub metric: TrackedMetric,
    pub target: f64,
    /// CloudWatch datapoint period (one minute).
    pub period: SimDuration,
    /// Consecutive datapoints above target before scaling out (3) ...
    pub datapoints_out: u32,
    /// ... and below the scale-in threshold before scaling in (15).
    pub datapoints_in: u32,
    pub scale_out_cooldown: SimDuration,
    pub scale_in_cooldown: SimDuration,
    /// How far below the target a datapoint must be to count towards scale-in: AWS removes
    /// capacity "only when utilization passes a threshold that is far enough below the
    /// target value (usually more than 10% lower)" (0.1).
    pub scale_in_margin: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct KedaHttp {
    /// Target request rate per replica (ACA "concurrentRequests": requests in the last
    /// window divided by its length in seconds).
    pub target_per_replica: f64,
    /// Evaluation period and the window the rate is taken over (15 s).
    pub polling: SimDuration,
    /// Scale-down stabilisation: the HPA scales down only to the highest desire over
    /// this window (300 s).
    pub stabilization: SimDuration,
    /// Time without requests before the last replica goes (300 s).
    pub cooldown: SimDuration,
}

#[derive(Clone, Debug, PartialEq)]
pub struct FlyProxy {
    /// A machine at or above this many requests is "over soft limit"; when all running
    /// machines are, a stopped one is started.
    pub soft_limit: u32,
    /// How often the proxy may stop one excess machine.
    pub check_period: SimDuration,
}

impl PlatformSpec {
    /// Instances alive at time zero.
    pub fn initial_instances(&self) -> u32 {
        match self.autoscaler {
            AutoscalerSpec::Fixed { instances } => instances.max(self.min_instances),
            AutoscalerSpec::Schedule { weekday, .. } => weekday[0].max(self.min_instances),
            _ => self.min_instances,
        }
        .min(self.max_instances)
    }
}
