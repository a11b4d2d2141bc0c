//! Usage meters and tariffs: what a replication used and what that costs per month.
//!
//! The simulation only meters (vCPU-seconds and GiB-seconds, active and idle, requests,
//! starts); pricing is a separate, pure step so that one set of meters can be priced
//! under several tariffs. Every cost is normalised to a 730-hour month (the convention
//! of AWS, Google and Azure price calculators): usage over the horizon is scaled by
//! 730 h / horizon before free tiers are subtracted.

use crate::commitment::Commitment;
use crossover_engine::SimDuration;

/// Hours in the billing month every cost is normalised to.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// Prices per second of one vCPU, one GiB of memory and one GPU.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Rates {
    pub vcpu_second: f64,
    pub gib_second: f64,
    pub gpu_second: f64,
}

/// Which idle instances pay the idle rate.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum IdleBilling {
    /// Every idle instance (a VM, a Fargate task, a started Fly machine).
    #[default]
    All,
    /// Only idle instances kept by `min_instances`: idle instances beyond
    /// max(0, min - busy) are free (Cloud Run request-based billing).
    MinInstances,
    /// Idle instances pay the idle rate only while the fleet is at exactly
    /// `min_instances` (> 0); above it every instance pays the active rate (Azure
    /// Container Apps consumption plan).
    AtMinReplicas,
}

/// Usage a provider gives away every month.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct FreeTier {
    pub vcpu_seconds: f64,
    pub gib_seconds: f64,
    pub requests: f64,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Tariff {
    /// Price while an instance starts or serves at least one request.
    pub active: Rates,
    /// Price while an instance is alive but serves nothing (0 = not billed when idle,
    /// as with Cloud Run's request-based billing; equal to `active` = billed for its
    /// whole lifetime, as with a VM or a Fargate task).
    pub idle: Rates,
    pub idle_billing: IdleBilling,
    pub per_million_requests: f64,
    /// Internet egress per GB of responses.
    pub egress_per_gb: f64,
    /// Per second of a machine that exists but is stopped (Fly rootfs storage).
    pub stopped_instance_second: f64,
    /// Each active period (a start, or a busy period) is rounded up to this.
    pub rounding: SimDuration,
    /// An instance is billed at least this long per start, at the active rate.
    pub minimum_per_start: SimDuration,
    pub free_tier: FreeTier,
    /// Other fixed fees per month that the platform itself charges, whatever the usage.
    pub fixed_monthly: Vec<(String, f64)>,
    /// Managed control plane (EKS, GKE cluster fee) per month, before its credit.
    pub control_plane_monthly: f64,
    /// Monthly credit against the control-plane fee (GKE's $74.40 for one cluster).
    pub control_plane_credit_monthly: f64,
    /// Costs a production setup carries beside the compute bill.
    pub overhead: Overhead,
    /// Engineers running the platform, for total cost of ownership.
    pub people: People,
    /// A Savings Plan or committed use discount bought for the platform, if any.
    pub commitment: Option<Commitment>,
}

impl Tariff {
    /// Whether `other` bills the same account: what a platform charges once (free tier,
    /// fixed fees, control plane, overhead, people) is the same. Usage rates may differ
    /// between services (a worker pool billed by instance beside request-billed
    /// services, jobs at the jobs rates).
    pub fn same_account(&self, other: &Tariff) -> bool {
        self.free_tier == other.free_tier
            && self.fixed_monthly == other.fixed_monthly
            && self.control_plane_monthly == other.control_plane_monthly
            && self.control_plane_credit_monthly == other.control_plane_credit_monthly
            && self.overhead == other.overhead
            && self.people == other.people
            && self.commitment == other.commitment
    }
}

/// Monthly costs that are not the platform's own bill but come with it in production:
/// the article's "hidden costs" (load balancers, NAT gateways, logging and monitoring).
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Overhead {
    pub load_balancer: f64,
    pub nat_gateway: f64,
    pub observability: f64,
}

/// Operations staff attributed to the platform: `fte` people at a fully loaded yearly cost.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct People {
    pub fte: f64,
    pub loaded_salary_yearly: f64,
}

impl People {
    pub fn monthly(&self) -> f64 {
        self.fte * self.loaded_salary_yearly / 12.0
    }
}

/// Which costs a total counts. The article's claims differ by model: Kubernetes is
/// cheaper on infrastructure alone well before it is cheaper with its hidden costs,
/// and later still once the people who run it are counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum CostModel {
    /// What the provider bills for running the service: compute, requests, egress,
    /// control plane and the platform's fixed fees.
    Infrastructure,
    /// Infrastructure plus load balancers, NAT gateways and observability.
    Overhead,
    /// Total cost of ownership: overhead plus the operations people.
    Tco,
}

impl CostModel {
    pub const ALL: [CostModel; 3] = [CostModel::Infrastructure, CostModel::Overhead, CostModel::Tco];

    pub fn name(self) -> &'static str {
        match self {
            CostModel::Infrastructure => "infrastructure",
            CostModel::Overhead => "overhead",
            CostModel::Tco => "tco",
        }
    }
}

impl Tariff {
    /// Billed whenever alive, at one rate: the simplest per-second tariff.
    pub fn per_second(vcpu_second: f64, gib_second: f64) -> Tariff {
        let rates = Rates { vcpu_second, gib_second, gpu_second: 0.0 };
        Tariff {
            active: rates,
            idle: rates,
            idle_billing: IdleBilling::All,
            per_million_requests: 0.0,
            egress_per_gb: 0.0,
            stopped_instance_second: 0.0,
            rounding: SimDuration::from_millis(100),
            minimum_per_start: SimDuration::ZERO,
            free_tier: FreeTier::default(),
            fixed_monthly: Vec::new(),
            control_plane_monthly: 0.0,
            control_plane_credit_monthly: 0.0,
            overhead: Overhead::default(),
            people: People::default(),
            commitment: None,
        }
    }
}

impl Tariff {
    /// Idle time costs the same as active time for every instance: the bill is for the
    /// whole lifetime, metered per instance.
    pub fn bills_lifetime(&self) -> bool {
        self.idle == self.active && self.idle_billing == IdleBilling::All
    }
}

/// What a platform used over the horizon, in instance-seconds of one instance shape.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Meters {
    /// Instance shape the seconds are of.
    pub vcpu: f64,
    pub memory_gib: f64,
    pub gpus: u32,
    /// Starting or serving (rounded as the tariff says), plus per-start minimum top-ups.
    pub active_seconds: f64,
    /// Idle and billed at the idle rate.
    pub idle_seconds: f64,
    /// Idle but billed at the active rate (`IdleBilling::AtMinReplicas` above min).
    pub idle_at_active_rate_seconds: f64,
    /// Machines that exist but are stopped.
    pub stopped_seconds: f64,
    /// Requests billed (every request that reached an instance).
    pub requests: u64,
    pub egress_gb: f64,
    pub instance_starts: u64,
    /// Nodes of a node pool, already priced per node (their machine types differ).
    pub node_usd: f64,
    /// Node-seconds of a node pool.
    pub node_seconds: f64,
}

/// Billed time of one instance life, split into active and idle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BilledTime {
    pub active: SimDuration,
    pub idle: SimDuration,
}

impl BilledTime {
    /// Splits one instance life into billed active and idle time.
    ///
    /// Rounding applies to what the bill measures: when idle and active prices are equal
    /// the provider bills the lifetime (a VM, a Fargate task), so the lifetime is rounded;
    /// otherwise it bills active periods (Cloud Run request-based), so each of those was
    /// rounded and idle time is the rest of the lifetime. A life shorter than the per-start
    /// minimum is topped up at the active rate.
    pub fn for_life(
        lifetime: SimDuration,
        raw_active: SimDuration,
        rounded_active: SimDuration,
        tariff: &Tariff,
    ) -> Self {
        let (mut active, idle) = if tariff.bills_lifetime() {
            let billed = lifetime.round_up_to(tariff.rounding);
            let active = raw_active.min(billed);
            (active, billed - active)
        } else {
            (rounded_active, lifetime - rounded_active)
        };
        let billed = active + idle;
        if billed < tariff.minimum_per_start {
            active += tariff.minimum_per_start - billed;
        }
        BilledTime { active, idle }
    }
}

impl Meters {
    /// Adds one instance life (per-instance metering).
    pub fn add_life(&mut self, billed: BilledTime) {
        self.active_seconds += billed.active.as_secs_f64();
        self.idle_seconds += billed.idle.as_secs_f64();
    }
}

/// Monthly cost by line item, in USD.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct CostBreakdown {
    /// vCPU at the active rate.
    pub cpu: f64,
    /// Memory at the active rate.
    pub memory: f64,
    /// GPUs at the active rate.
    pub gpu: f64,
    /// vCPU, memory and GPUs at the idle rate.
    pub idle: f64,
    pub requests: f64,
    pub egress: f64,
    /// Storage of stopped machines.
    pub stopped: f64,
    /// Nodes of a node pool (GKE Standard, EKS, self-managed).
    pub nodes: f64,
    /// Managed control plane after its credit.
    pub control_plane: f64,
    /// The platform's other fixed monthly fees.
    pub fixed: f64,
    pub load_balancer: f64,
    pub nat: f64,
    pub observability: f64,
    /// Operations people (TCO only).
    pub people: f64,
    /// A commitment's hourly fee, used or not; the usage it covered is off the
    /// eligible lines (`nodes`, `cpu`, `memory`, `gpu`, `idle`).
    pub commitment: f64,
}

impl CostBreakdown {
    /// What the provider bills for running the service.
    pub fn infrastructure(&self) -> f64 {
        self.cpu
            + self.memory
            + self.gpu
            + self.idle
            + self.requests
            + self.egress
            + self.stopped
            + self.nodes
            + self.control_plane
            + self.fixed
            + self.commitment
    }

    /// Infrastructure plus the hidden costs of a production setup.
    pub fn with_overhead(&self) -> f64 {
        self.infrastructure() + self.load_balancer + self.nat + self.observability
    }

    /// Total cost of ownership, people included.
    pub fn tco(&self) -> f64 {
        self.with_overhead() + self.people
    }

    /// Line items of two bills added (a hybrid's two fleets).
    pub fn plus(&self, other: &CostBreakdown) -> CostBreakdown {
        CostBreakdown {
            cpu: self.cpu + other.cpu,
            memory: self.memory + other.memory,
            gpu: self.gpu + other.gpu,
            idle: self.idle + other.idle,
            requests: self.requests + other.requests,
            egress: self.egress + other.egress,
            stopped: self.stopped + other.stopped,
            nodes: self.nodes + other.nodes,
            control_plane: self.control_plane + other.control_plane,
            fixed: self.fixed + other.fixed,
            load_balancer: self.load_balancer + other.load_balancer,
            nat: self.nat + other.nat,
            observability: self.observability + other.observability,
            people: self.people + other.people,
            commitment: self.commitment + other.commitment,
        }
    }

    /// The lines a commitment can cover: compute (vCPU, memory, GPUs, idle) and nodes.
    /// Requests, egress, storage and fixed fees are never covered.
    pub fn eligible(&self) -> f64 {
        self.cpu + self.memory + self.gpu + self.idle + self.nodes
    }

    /// This bill with its eligible lines scaled by `kept` (the share left on demand)
    /// and `fee` added as the commitment line.
    pub fn committed(&self, kept: f64, fee: f64) -> CostBreakdown {
        CostBreakdown {
            cpu: self.cpu * kept,
            memory: self.memory * kept,
            gpu: self.gpu * kept,
            idle: self.idle * kept,
            nodes: self.nodes * kept,
            commitment: self.commitment + fee,
            ..*self
        }
    }

    pub fn under(&self, model: CostModel) -> f64 {
        match model {
            CostModel::Infrastructure => self.infrastructure(),
            CostModel::Overhead => self.with_overhead(),
            CostModel::Tco => self.tco(),
        }
    }

    /// Prices meters collected over `horizon` as a 730-hour month. Free tiers come off
    /// active usage first, then idle usage. One service's bill: what
    /// [`CostBreakdown::price_stack`] gives for it alone, with its nodes.
    pub fn price(meters: &Meters, tariff: &Tariff, horizon: SimDuration) -> CostBreakdown {
        let scale = HOURS_PER_MONTH * 3600.0 / horizon.as_secs_f64().max(1e-9);
        let (bill, _) = CostBreakdown::price_stack(std::slice::from_ref(meters), tariff, horizon);
        CostBreakdown { nodes: meters.node_usd * scale, ..bill }
    }
}

/// One service's usage over the month, by what prices it.
#[derive(Clone, Copy, Debug, Default)]
struct Usage {
    active: f64,
    active_cpu: f64,
    idle_cpu: f64,
    active_mem: f64,
    idle_mem: f64,
    active_gpu: f64,
    idle_gpu: f64,
    requests: f64,
    egress: f64,
    stopped: f64,
}

impl Usage {
    fn of(meters: &Meters, tariff: &Tariff, scale: f64) -> Usage {
        let (active, idle) = if tariff.bills_lifetime() {
            ((meters.active_seconds + meters.idle_at_active_rate_seconds + meters.idle_seconds) * scale, 0.0)
        } else {
            (
                (meters.active_seconds + meters.idle_at_active_rate_seconds) * scale,
                meters.idle_seconds * scale,
            )
        };
        let gpus = meters.gpus as f64;
        Usage {
            active,
            active_cpu: active * meters.vcpu,
            idle_cpu: idle * meters.vcpu,
            active_mem: active * meters.memory_gib,
            idle_mem: idle * meters.memory_gib,
            active_gpu: active * gpus,
            idle_gpu: idle * gpus,
            requests: meters.requests as f64 * scale,
            egress: meters.egress_gb * scale,
            stopped: meters.stopped_seconds * scale,
        }
    }

    fn plus(&self, o: &Usage) -> Usage {
        Usage {
            active: self.active + o.active,
            active_cpu: self.active_cpu + o.active_cpu,
            idle_cpu: self.idle_cpu + o.idle_cpu,
            active_mem: self.active_mem + o.active_mem,
            idle_mem: self.idle_mem + o.idle_mem,
            active_gpu: self.active_gpu + o.active_gpu,
            idle_gpu: self.idle_gpu + o.idle_gpu,
            requests: self.requests + o.requests,
            egress: self.egress + o.egress,
            stopped: self.stopped + o.stopped,
        }
    }
}

impl CostBreakdown {
    /// Prices the meters of a stack's services together, as one bill: their usage is
    /// added before the free tier comes off (a free tier is per billing account, not per
    /// service) and the fixed fees are counted once. Returns the bill without nodes
    /// (`nodes` is the stack's, priced by the caller) and each service's share of every
    /// usage line, in proportion to its usage on that line, so the shares add up to
    /// the bill's usage lines. With one service the bill is exactly [`CostBreakdown::price`]'s.
    pub fn price_stack(
        meters: &[Meters],
        tariff: &Tariff,
        horizon: SimDuration,
    ) -> (CostBreakdown, Vec<CostBreakdown>) {
        let scale = HOURS_PER_MONTH * 3600.0 / horizon.as_secs_f64().max(1e-9);
        let usage: Vec<Usage> = meters.iter().map(|m| Usage::of(m, tariff, scale)).collect();
        let total = usage.iter().fold(Usage::default(), |a, u| a.plus(u));
        let free = &tariff.free_tier;
        let (active_cpu, idle_cpu) = after_free(total.active_cpu, total.idle_cpu, free.vcpu_seconds);
        let (active_mem, idle_mem) = after_free(total.active_mem, total.idle_mem, free.gib_seconds);
        let requests = (total.requests - free.requests).max(0.0);
        let bill = CostBreakdown {
            cpu: active_cpu * tariff.active.vcpu_second,
            memory: active_mem * tariff.active.gib_second,
            gpu: total.active_gpu * tariff.active.gpu_second,
            idle: idle_cpu * tariff.idle.vcpu_second
                + idle_mem * tariff.idle.gib_second
                + total.idle_gpu * tariff.idle.gpu_second,
            requests: requests / 1e6 * tariff.per_million_requests,
            egress: total.egress * tariff.egress_per_gb,
            stopped: total.stopped * tariff.stopped_instance_second,
            nodes: 0.0,
            control_plane: (tariff.control_plane_monthly - tariff.control_plane_credit_monthly).max(0.0),
            // + 0.0: an empty float sum is -0.0.
            fixed: tariff.fixed_monthly.iter().map(|(_, usd)| usd).sum::<f64>() + 0.0,
            load_balancer: tariff.overhead.load_balancer,
            nat: tariff.overhead.nat_gateway,
            observability: tariff.overhead.observability,
            people: tariff.people.monthly(),
            commitment: 0.0,
        };
        // A line's share: its whole when the service is alone, else in proportion.
        let share = |line: f64, part: f64, whole: f64| {
            if meters.len() == 1 {
                line
            } else if whole > 0.0 {
                line * (part / whole)
            } else {
                0.0
            }
        };
        let idle_cpu_usd = idle_cpu * tariff.idle.vcpu_second;
        let idle_mem_usd = idle_mem * tariff.idle.gib_second;
        let idle_gpu_usd = total.idle_gpu * tariff.idle.gpu_second;
        let shares = usage
            .iter()
            .map(|u| CostBreakdown {
                cpu: share(bill.cpu, u.active_cpu, total.active_cpu),
                memory: share(bill.memory, u.active_mem, total.active_mem),
                gpu: share(bill.gpu, u.active_gpu, total.active_gpu),
                idle: if meters.len() == 1 {
                    bill.idle
                } else {
                    share(idle_cpu_usd, u.idle_cpu, total.idle_cpu)
                        + share(idle_mem_usd, u.idle_mem, total.idle_mem)
                        + share(idle_gpu_usd, u.idle_gpu, total.idle_gpu)
                },
                requests: share(bill.requests, u.requests, total.requests),
                egress: share(bill.egress, u.egress, total.egress),
                stopped: share(bill.stopped, u.stopped, total.stopped),
                ..CostBreakdown::default()
            })
            .collect();
        (bill, shares)
    }
}

impl CostBreakdown {
    /// [`CostBreakdown::price_stack`] for services billed at rates of their own (a Cloud
    /// Run worker pool billed by instance beside request-billed services; jobs at the
    /// jobs rates). What the platform bills once (free tier, fixed fees, control plane,
    /// overhead, people) comes from `shared`, which every service's tariff must agree
    /// with on those parts. The free tier comes off the stack's usage as a whole and is
    /// spread over the services in proportion to their usage; each service's remainder
    /// is priced at its own rates. With every tariff equal to `shared` this is exactly
    /// `price_stack`.
    pub fn price_stack_by(
        meters: &[Meters],
        tariffs: &[&Tariff],
        shared: &Tariff,
        horizon: SimDuration,
    ) -> (CostBreakdown, Vec<CostBreakdown>) {
        debug_assert_eq!(meters.len(), tariffs.len());
        if tariffs.iter().all(|t| *t == shared) {
            return CostBreakdown::price_stack(meters, shared, horizon);
        }
        let scale = HOURS_PER_MONTH * 3600.0 / horizon.as_secs_f64().max(1e-9);
        let usage: Vec<Usage> = meters.iter().zip(tariffs).map(|(m, t)| Usage::of(m, t, scale)).collect();
        let total = usage.iter().fold(Usage::default(), |a, u| a.plus(u));
        let free = &shared.free_tier;
        let (active_cpu, idle_cpu) = after_free(total.active_cpu, total.idle_cpu, free.vcpu_seconds);
        let (active_mem, idle_mem) = after_free(total.active_mem, total.idle_mem, free.gib_seconds);
        let requests = (total.requests - free.requests).max(0.0);
        // The part of a service's usage left to pay: the stack's remainder over its whole.
        let left = |after: f64, whole: f64| if whole > 0.0 { after / whole } else { 0.0 };
        let (k_acpu, k_icpu) = (left(active_cpu, total.active_cpu), left(idle_cpu, total.idle_cpu));
        let (k_amem, k_imem) = (left(active_mem, total.active_mem), left(idle_mem, total.idle_mem));
        let k_req = left(requests, total.requests);
        let shares: Vec<CostBreakdown> = usage
            .iter()
            .zip(tariffs)
            .map(|(u, t)| CostBreakdown {
                cpu: u.active_cpu * k_acpu * t.active.vcpu_second,
                memory: u.active_mem * k_amem * t.active.gib_second,
                gpu: u.active_gpu * t.active.gpu_second,
                idle: u.idle_cpu * k_icpu * t.idle.vcpu_second
                    + u.idle_mem * k_imem * t.idle.gib_second
                    + u.idle_gpu * t.idle.gpu_second,
                requests: u.requests * k_req / 1e6 * t.per_million_requests,
                egress: u.egress * t.egress_per_gb,
                stopped: u.stopped * t.stopped_instance_second,
                ..CostBreakdown::default()
            })
            .collect();
        let usage_lines = shares.iter().fold(CostBreakdown::default(), |a, s| a.plus(s));
        let bill = CostBreakdown {
            control_plane: (shared.control_plane_monthly - shared.control_plane_credit_monthly).max(0.0),
            fixed: shared.fixed_monthly.iter().map(|(_, usd)| usd).sum::<f64>() + 0.0,
            load_balancer: shared.overhead.load_balancer,
            nat: shared.overhead.nat_gateway,
            observability: shared.overhead.observability,
            people: shared.people.monthly(),
            ..usage_lines
        };
        (bill, shares)
    }
}

/// Subtracts a free allowance from active usage first, then from idle usage.
fn after_free(active: f64, idle: f64, free: f64) -> (f64, f64) {
    let from_active = free.min(active);
    let from_idle = (free - from_active).min(idle);
    (active - from_active, idle - from_idle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MONTH: SimDuration = SimDuration::from_hours(730);

    #[test]
    fn per_second_tariff_by_hand() {
        // 4 vCPU / 8 GiB active for 12 h x 22 days: the article's Cloud Run example.
        let secs = 12.0 * 22.0 * 3600.0;
        let meters = Meters { vcpu: 4.0, memory_gib: 8.0, active_seconds: secs, ..Meters::default() };
        let mut tariff = Tariff::per_second(0.000024, 0.0000025);
        tariff.idle = Rates::default();
        let c = CostBreakdown::price(&meters, &tariff, MONTH);
        assert!((c.cpu - 91.2384).abs() < 1e-9, "{}", c.cpu);
        assert!((c.memory - 19.008).abs() < 1e-9, "{}", c.memory);
        assert!((c.infrastructure() - 110.2464).abs() < 1e-9);
    }

    #[test]
    fn usage_is_normalised_to_a_730_hour_month() {
        let meters = Meters { vcpu: 1.0, active_seconds: 3600.0, ..Meters::default() };
        let tariff = Tariff::per_second(1.0 / 3600.0, 0.0);
        // One vCPU-hour in one day is 730/24 vCPU-hours a month.
        let c = CostBreakdown::price(&meters, &tariff, SimDuration::from_hours(24));
        assert!((c.cpu - 730.0 / 24.0).abs() < 1e-9);
    }

    #[test]
    fn free_tier_comes_off_active_then_idle() {
        let meters = Meters {
            vcpu: 1.0,
            active_seconds: 100_000.0,
            idle_seconds: 200_000.0,
            requests: 3_000_000,
            ..Meters::default()
        };
        let mut tariff = Tariff::per_second(0.00001, 0.0);
        tariff.idle.vcpu_second = 0.000001;
        tariff.per_million_requests = 0.40;
        tariff.free_tier = FreeTier { vcpu_seconds: 180_000.0, gib_seconds: 360_000.0, requests: 2e6 };
        let c = CostBreakdown::price(&meters, &tariff, MONTH);
        assert_eq!(c.cpu, 0.0);
        // 80,000 free seconds left for idle: 120,000 idle vCPU-s billed.
        assert!((c.idle - 120_000.0 * 0.000001).abs() < 1e-12);
        assert!((c.requests - 0.40).abs() < 1e-12);
    }

    fn secs(s: u64) -> SimDuration {
        SimDuration::from_secs(s)
    }

    #[test]
    fn minimum_per_start_tops_up_short_lives() {
        // Fargate: per second, one-minute minimum, billed for the lifetime.
        let mut tariff = Tariff::per_second(1.0, 1.0);
        tariff.rounding = secs(1);
        tariff.minimum_per_start = secs(60);
        let short = BilledTime::for_life(secs(20), secs(5), secs(5), &tariff);
        assert_eq!((short.active, short.idle), (secs(45), secs(15)));
        let long = BilledTime::for_life(secs(600), secs(5), secs(5), &tariff);
        assert_eq!((long.active, long.idle), (secs(5), secs(595)));
    }

    #[test]
    fn lifetime_billing_rounds_the_lifetime_not_each_busy_period() {
        let mut tariff = Tariff::per_second(1.0, 1.0);
        tariff.rounding = secs(1);
        // 100 busy periods of 50 ms (5 s raw, 100 s if each were rounded) in 60.2 s.
        let life = SimDuration::from_millis(60_200);
        let b = BilledTime::for_life(life, secs(5), secs(100), &tariff);
        assert_eq!((b.active, b.idle), (secs(5), secs(56)));
    }

    /// A lifetime-billed instance (Fargate) is billed in vCPU and memory line items; its
    /// idle seconds are no separate line, and the total is the lifetime at the rates.
    #[test]
    fn lifetime_billing_has_no_idle_line() {
        let mut tariff = Tariff::per_second(0.001, 0.0001);
        tariff.rounding = secs(1);
        let meters = Meters {
            vcpu: 2.0,
            memory_gib: 4.0,
            active_seconds: 100.0,
            idle_seconds: 3500.0,
            ..Meters::default()
        };
        let month = SimDuration::from_hours(730);
        let c = CostBreakdown::price(&meters, &tariff, month);
        assert_eq!(c.idle, 0.0);
        assert!((c.cpu - 3600.0 * 2.0 * 0.001).abs() < 1e-9, "{}", c.cpu);
        assert!((c.memory - 3600.0 * 4.0 * 0.0001).abs() < 1e-9, "{}", c.memory);
        // A request-billed tariff (cheaper idle) keeps its idle line.
        tariff.idle = Rates { vcpu_second: 0.0001, ..Rates::default() };
        assert!(CostBreakdown::price(&meters, &tariff, month).idle > 0.0);
    }

    #[test]
    fn active_billing_rounds_each_busy_period() {
        // Cloud Run request-based: idle is free, busy periods rounded up to 100 ms.
        let mut tariff = Tariff::per_second(1.0, 1.0);
        tariff.idle = Rates::default();
        let b = BilledTime::for_life(secs(60), SimDuration::from_millis(5_050), secs(10), &tariff);
        assert_eq!((b.active, b.idle), (secs(10), secs(50)));
    }

    #[test]
    fn fixed_fees_are_added_whole() {
        let mut tariff = Tariff::per_second(0.0, 0.0);
        tariff.fixed_monthly = vec![("control plane".into(), 73.0), ("nat".into(), 32.0)];
        let c = CostBreakdown::price(&Meters::default(), &tariff, SimDuration::from_hours(1));
        assert_eq!(c.fixed, 105.0);
        assert_eq!(c.infrastructure(), 105.0);
    }

    #[test]
    fn cost_models_nest_and_the_control_plane_credit_never_pays_out() {
        let mut tariff = Tariff::per_second(0.0, 0.0);
        tariff.control_plane_monthly = 73.0;
        tariff.control_plane_credit_monthly = 74.40;
        tariff.overhead = Overhead { load_balancer: 18.0, nat_gateway: 32.85, observability: 300.0 };
        tariff.people = People { fte: 1.5, loaded_salary_yearly: 180_000.0 };
        let meters = Meters { node_usd: 10.0, ..Meters::default() };
        // Ten dollars of nodes over one hour is 7,300 dollars over a 730-hour month.
        let c = CostBreakdown::price(&meters, &tariff, SimDuration::from_hours(1));
        assert_eq!(c.control_plane, 0.0);
        assert_eq!(c.nodes, 7_300.0);
        assert_eq!(c.under(CostModel::Infrastructure), 7_300.0);
        assert!((c.under(CostModel::Overhead) - (7_300.0 + 350.85)).abs() < 1e-9);
        assert!((c.under(CostModel::Tco) - (7_650.85 + 22_500.0)).abs() < 1e-9);
        tariff.control_plane_credit_monthly = 0.0;
        let c = CostBreakdown::price(&meters, &tariff, SimDuration::from_hours(1));
        assert_eq!(c.control_plane, 73.0);
    }
}

#[cfg(test)]
mod line_item_tests {
    use super::*;

    #[test]
    fn gpu_egress_and_stopped_storage_by_hand() {
        // One L4 instance (4 vCPU, 16 GiB) active for 1,000 s in a 10,000 s horizon.
        let meters = Meters {
            vcpu: 4.0,
            memory_gib: 16.0,
            gpus: 1,
            active_seconds: 1_000.0,
            stopped_seconds: 5_000.0,
            egress_gb: 2.0,
            ..Meters::default()
        };
        let mut tariff = Tariff::per_second(0.000018, 0.000002);
        tariff.active.gpu_second = 0.0002909;
        tariff.egress_per_gb = 0.12;
        tariff.stopped_instance_second = 1e-7;
        let c = CostBreakdown::price(&meters, &tariff, SimDuration::from_secs(10_000));
        let scale = 730.0 * 3600.0 / 10_000.0;
        assert!((c.gpu - 1_000.0 * scale * 0.0002909).abs() < 1e-9);
        assert!((c.cpu - 4_000.0 * scale * 0.000018).abs() < 1e-9);
        assert!((c.egress - 2.0 * scale * 0.12).abs() < 1e-9);
        assert!((c.stopped - 5_000.0 * scale * 1e-7).abs() < 1e-12);
    }

    #[test]
    fn idle_at_active_rate_is_priced_as_active() {
        let meters = Meters { vcpu: 1.0, idle_at_active_rate_seconds: 100.0, ..Meters::default() };
        let mut tariff = Tariff::per_second(0.000024, 0.0);
        tariff.idle.vcpu_second = 0.000003;
        let c = CostBreakdown::price(&meters, &tariff, SimDuration::from_hours(730));
        assert!((c.cpu - 100.0 * 0.000024).abs() < 1e-12);
        assert_eq!(c.idle, 0.0);
    }
}
