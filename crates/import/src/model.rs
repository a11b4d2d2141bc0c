//! What the importer understood, before any scenario is written: one [`Workload`] per
//! deployable thing, with where it runs now and how it scales, and the [`Notes`] about
//! everything read but not mapped. Each format's reader fills these; `emit.rs` alone
//! turns them into TOML.

use crate::node::Loc;

/// The platform family a workload's file describes: where it runs now.
#[derive(Clone, Debug, PartialEq)]
pub enum Origin {
    Kubernetes,
    /// `instance_billing`: CPU always allocated (`run.googleapis.com/cpu-throttling: "false"`).
    CloudRun {
        instance_billing: bool,
    },
    /// `spot`: a FARGATE_SPOT capacity provider with a weight; `arm`: ARM64 tasks.
    Ecs {
        spot: bool,
        arm: bool,
    },
    Fly,
}

/// Scaling rules of the HPA's `spec.behavior` in one direction.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Rules {
    pub stabilization_s: Option<f64>,
    pub pods: Option<(u64, f64)>,
    pub percent: Option<(u64, f64)>,
    /// `Max`, `Min` or `Disabled`.
    pub select: Option<String>,
}

/// The metric an HPA scales on, as the project models it.
#[derive(Clone, Debug, PartialEq)]
pub enum HpaMetric {
    /// Utilisation of the CPU request, a fraction.
    Cpu(f64),
    /// Requests per second per pod.
    Rps(f64),
    /// Requests in flight per pod.
    Concurrency(f64),
    /// A KEDA queue scaler: messages per pod (`queueLength` or the scaler's own key), the
    /// length below which it scales to zero (`activationQueueLength`...), and whether
    /// messages being processed count (SQS `scaleOnInFlight`), when the trigger says.
    Queue { target: f64, activation: Option<f64>, in_flight: Option<bool> },
}

#[derive(Clone, Debug, PartialEq)]
pub struct Hpa {
    pub min: u64,
    pub max: u64,
    /// `None`: none of its metrics can be modelled (listed in the notes).
    pub metric: Option<HpaMetric>,
    pub scale_up: Option<Rules>,
    pub scale_down: Option<Rules>,
    /// KEDA's polling interval and cooldown, when a ScaledObject made this HPA.
    pub keda: Option<(f64, f64)>,
    pub loc: Loc,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Scaling {
    Fixed(u64),
    Hpa(Box<Hpa>),
    /// Knative / Cloud Run: min and max scale, and the per-instance target if set.
    Knative {
        min: u64,
        max: Option<u64>,
        target: Option<f64>,
    },
    /// AWS Application Auto Scaling target tracking on an ECS service: min and max
    /// capacity, the metric (`cpu` or `requests-per-target`) and its target, cooldowns.
    TargetTracking {
        min: u64,
        max: u64,
        metric: &'static str,
        target: f64,
        out_cooldown: Option<f64>,
        in_cooldown: Option<f64>,
    },
    /// fly.toml's `[http_service]`.
    Fly {
        min_running: u64,
        soft: Option<u64>,
        auto_stop: bool,
        auto_start: bool,
    },
}

/// A workload that serves no HTTP requests: a queue worker, a scheduled job (`cron`), or a
/// job run when started (`batch`, which the scenario format cannot express).
#[derive(Clone, Debug, PartialEq)]
pub struct Job {
    /// `cron`, `batch`, or `worker` (started by a queue's length).
    pub kind: &'static str,
    pub schedule: Option<String>,
    /// The schedule's time zone (a CronJob's `spec.timeZone`), as written.
    pub time_zone: Option<String>,
    pub tasks: Option<u64>,
    pub parallelism: Option<u64>,
    pub deadline_s: Option<f64>,
    /// What starts it (a KEDA trigger type), for a worker.
    pub trigger: Option<String>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Workload {
    /// The name in the file (sanitised when the scenario is written).
    pub name: String,
    /// The resource kind (`Deployment`, `Service`, `task definition`, `fly.toml`).
    pub kind: String,
    pub loc: Loc,
    pub origin: Origin,
    /// vCPUs and bytes per instance (pod requests, Cloud Run limits, task size).
    pub cpu: Option<f64>,
    pub memory: Option<f64>,
    /// Instances when nothing scales it (Deployment `replicas`, ECS `desiredCount`).
    pub replicas: Option<u64>,
    pub scaling: Option<Scaling>,
    pub concurrency: Option<u64>,
    pub timeout_s: Option<f64>,
    /// Seconds before a new instance may be ready (readiness probe, health check grace).
    pub startup_s: Option<f64>,
    /// Startup CPU boost (Cloud Run), when the file says.
    pub cpu_boost: Option<bool>,
    pub image: Option<String>,
    pub job: Option<Job>,
}

impl Workload {
    pub fn new(name: &str, kind: &str, loc: Loc, origin: Origin) -> Workload {
        Workload {
            name: name.to_string(),
            kind: kind.to_string(),
            loc,
            origin,
            cpu: None,
            memory: None,
            replicas: None,
            scaling: None,
            concurrency: None,
            timeout_s: None,
            startup_s: None,
            cpu_boost: None,
            image: None,
            job: None,
        }
    }
}

/// What was read and not mapped (kinds skipped, fields ignored), and what was assumed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Notes {
    /// Read, but with no place in the scenario: listed at the end of the output and on stderr.
    pub not_mapped: Vec<String>,
    /// Defaults used and names changed: said in the output's header and on stderr.
    pub assumed: Vec<String>,
}

impl Notes {
    pub fn skip(&mut self, loc: &Loc, text: impl AsRef<str>) {
        self.not_mapped.push(format!("{loc}: {}", text.as_ref()));
    }
    pub fn assume(&mut self, loc: &Loc, text: impl AsRef<str>) {
        self.assumed.push(format!("{loc}: {}", text.as_ref()));
    }
}

/// Everything read from the inputs: the workloads, the load balancers they expose, notes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Imported {
    pub workloads: Vec<Workload>,
    /// Load balancers the files create (Services of type LoadBalancer, Ingresses).
    pub load_balancers: Vec<String>,
    pub notes: Notes,
    /// The files read, as given.
    pub files: Vec<String>,
    /// KEDA ScaledObjects on a queue whose deployment was not read yet: (name, trigger).
    pub(crate) pending_workers: Vec<(String, String)>,
    /// Task definition families an ECS service was read for: their "one task" assumption
    /// is dropped once every service is read ([`crate::ecs::drop_served_assumptions`]).
    pub(crate) served_families: std::collections::BTreeSet<String>,
}
