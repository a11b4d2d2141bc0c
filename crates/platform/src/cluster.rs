//! Kubernetes capacity: nodes, which pods fit where, and what the node autoscaler does.
//!
//! Pods of different services ask for different CPU and memory, so room on a node is
//! two-dimensional (plus GPUs): a pod fits when every one of its requests fits in what
//! the node's allocatable has left. Requests are counted in integer nano-units (1e-9 of
//! a vCPU, of a GiB), so adding and removing pods never drifts and every fit question is
//! exact. Each service's pods have one shape (`PodShape`, by service index); a node
//! counts its pods per shape, so "the pods on this node" is a small multiset and the
//! what-if questions of the autoscalers (do these pods fit on those nodes? how many new
//! nodes of this type would they need?) are answered by first-fit decreasing over it,
//! as the Cluster Autoscaler's binpacking estimator and Karpenter's scheduler do. With
//! pods of one shape every answer equals the old pods-per-node arithmetic.
//! This module keeps node state and answers those questions; the event loop (sim/)
//! moves pods and calls it.

use crate::spec::{InstanceSpec, MachineType, NodeBilling, NodePool, Placement};
use crossover_engine::{SimDuration, SimTime};

/// Requests in nano-units (1e-9 vCPU, 1e-9 GiB).
const NANO: f64 = 1e9;

/// What a pod asks of a node, in nano-units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PodShape {
    pub cpu: u64,
    pub memory: u64,
    pub gpus: u32,
}

impl PodShape {
    pub fn of(pod: &InstanceSpec) -> PodShape {
        PodShape { cpu: nano(pod.vcpu), memory: nano(pod.memory_gib), gpus: pod.gpus }
    }

    /// Larger first: CPU, then memory (Karpenter's `byCPUAndMemoryDescending`).
    fn size_key(&self) -> (u64, u64, u32) {
        (self.cpu, self.memory, self.gpus)
    }
}

fn nano(x: f64) -> u64 {
    (x.max(0.0) * NANO).round() as u64
}

/// Requests on a node, or a node type's allocatable, in nano-units.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Resources {
    pub cpu: u64,
    pub memory: u64,
    pub gpus: u32,
    pub pods: u32,
}

impl Resources {
    fn allocatable(m: &MachineType) -> Resources {
        Resources { cpu: nano(m.pod_vcpu), memory: nano(m.pod_memory_gib), gpus: m.gpus, pods: m.max_pods }
    }

    fn add(&mut self, s: PodShape, n: u32) {
        self.cpu += s.cpu * n as u64;
        self.memory += s.memory * n as u64;
        self.gpus += s.gpus * n;
        self.pods += n;
    }

    fn sub(&mut self, s: PodShape) {
        self.cpu -= s.cpu;
        self.memory -= s.memory;
        self.gpus -= s.gpus;
        self.pods -= 1;
    }

    /// How many more pods of `shape` fit on top of these requests within `alloc`. One
    /// nano-unit of slack, as a float comparison with 1e-9 tolerance had.
    fn room_for(&self, alloc: &Resources, s: PodShape) -> u32 {
        let by = |used: u64, limit: u64, need: u64| -> u64 {
            let free = (limit + 1).saturating_sub(used);
            free.checked_div(need).unwrap_or(u64::MAX)
        };
        let gpus = alloc.gpus.saturating_sub(self.gpus).checked_div(s.gpus).unwrap_or(u32::MAX);
        by(self.cpu, alloc.cpu, s.cpu)
            .min(by(self.memory, alloc.memory, s.memory))
            .min(gpus as u64)
            .min(alloc.pods.saturating_sub(self.pods) as u64)
            .min(u32::MAX as u64) as u32
    }

    fn holds(&self, alloc: &Resources) -> bool {
        self.cpu <= alloc.cpu + 1
            && self.memory <= alloc.memory + 1
            && self.gpus <= alloc.gpus
            && self.pods <= alloc.pods
    }
}

/// Pods as a multiset: how many of each shape (by index).
pub(crate) type PodCounts = Vec<(usize, u32)>;

/// Adds `n` pods of shape `s` to `counts`.
pub(crate) fn add_pods(counts: &mut PodCounts, s: usize, n: u32) {
    match counts.iter_mut().find(|(t, _)| *t == s) {
        Some((_, k)) => *k += n,
        None => counts.push((s, n)),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NodeLife {
    /// Asked for; not Ready yet. Billed already (the VM is running).
    Provisioning,
    Ready,
    /// Being removed: takes no new pods, goes when its last pod has stopped.
    Deleting,
    Gone,
}

#[derive(Clone, Debug)]
pub(crate) struct Node {
    pub machine: usize,
    pub life: NodeLife,
    pub started_at: SimTime,
    pub generation: u32,
    /// Pods placed on it (starting, ready or draining).
    pub pods: u32,
    /// Their requests.
    pub used: Resources,
    /// Its pods by shape.
    pub counts: Vec<u32>,
    /// Since when the Cluster Autoscaler has found it unneeded.
    pub unneeded_since: Option<SimTime>,
    /// When a pod last arrived or left (Karpenter's `consolidateAfter`).
    pub changed_at: SimTime,
    /// Spot: the reclaim notice has been given; terminated when the warning ends.
    pub reclaimed: bool,
    /// Tainted NoSchedule by Karpenter while its replacement starts: keeps its pods,
    /// takes no new ones.
    pub cordoned: bool,
}

/// A Karpenter consolidation under way: the new node and the nodes it replaces, which
/// are drained once it is Ready.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Replacement {
    pub node: u32,
    pub generation: u32,
    pub old: Vec<u32>,
}

/// What consolidation would do with some nodes: delete them (their pods fit on the
/// other nodes), or replace them with one new node of machine type `Some(m)`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Consolidation {
    pub launch: Option<usize>,
    pub nodes: Vec<u32>,
}

/// OpenCost's default prices (`configs/default.json`: CPU $0.031611 per vCPU-hour, RAM
/// $0.004237 per GiB-hour, GPU $0.95 per GPU-hour), used only for their ratio: they
/// split a node's price between its CPU, memory and GPUs, and a pod is charged its
/// requests' share of each.
const OPENCOST_CPU_HOURLY: f64 = 0.031611;
const OPENCOST_GIB_HOURLY: f64 = 0.004237;
const OPENCOST_GPU_HOURLY: f64 = 0.95;

/// The node pool at run time.
#[derive(Debug)]
pub(crate) struct Cluster<'a> {
    /// The pool's machine types and node billing.
    pool: &'a NodePool,
    /// The horizon, for the monthly cap of node bills.
    horizon: SimDuration,
    pub nodes: Vec<Node>,
    free_slots: Vec<u32>,
    /// Allocatable of each machine type.
    alloc: Vec<Resources>,
    /// Each service's pod shape.
    pub shapes: Vec<PodShape>,
    /// Nodes not gone (provisioning, ready or deleting).
    pub alive: u32,
    pub peak: u32,
    /// Nodes alive, integrated over time (ns).
    pub alive_area: u128,
    area_since: SimTime,
    pub last_scale_up: Option<SimTime>,
    /// Karpenter's open batch: (opened, last pending pod seen).
    pub batch: Option<(SimTime, SimTime)>,
    /// Karpenter's consolidation waiting for its replacement node.
    pub replacing: Option<Replacement>,
    /// Karpenter's decision waiting out its validation delay.
    pub validating: Option<Consolidation>,
    pub node_usd: f64,
    /// The nodes' cost before rounding, minimums and caps: what pod allocations are a
    /// share of.
    pub node_raw_usd: f64,
    pub node_seconds: f64,
}

impl<'a> Cluster<'a> {
    pub fn new(pool: &'a NodePool, pods: &[InstanceSpec], horizon: SimDuration) -> Self {
        Cluster {
            pool,
            horizon,
            nodes: Vec::new(),
            free_slots: Vec::new(),
            alloc: pool.machines.iter().map(Resources::allocatable).collect(),
            shapes: pods.iter().map(PodShape::of).collect(),
            alive: 0,
            peak: 0,
            alive_area: 0,
            area_since: SimTime::ZERO,
            last_scale_up: None,
            batch: None,
            replacing: None,
            validating: None,
            node_usd: 0.0,
            node_raw_usd: 0.0,
            node_seconds: 0.0,
        }
    }

    /// Pods of service `s` that fit on an empty node of machine type `m`.
    #[cfg(test)]
    pub fn capacity(&self, m: usize, s: usize) -> u32 {
        Resources::default().room_for(&self.alloc[m], self.shapes[s])
    }

    /// Room left on node `n` for pods of service `s`.
    pub fn room(&self, n: usize, s: usize) -> u32 {
        let node = &self.nodes[n];
        node.used.room_for(&self.alloc[node.machine], self.shapes[s])
    }

    pub fn integrate(&mut self, now: SimTime) {
        self.alive_area += self.alive as u128 * now.since(self.area_since).as_nanos() as u128;
        self.area_since = now;
    }

    /// Adds a node; it is Ready at once if `ready`.
    pub fn add_node(&mut self, machine: usize, now: SimTime, ready: bool) -> u32 {
        self.integrate(now);
        let mut counts = Vec::new();
        let slot = match self.free_slots.pop() {
            Some(slot) => {
                counts = std::mem::take(&mut self.nodes[slot as usize].counts);
                Some(slot)
            }
            None => None,
        };
        counts.clear();
        counts.resize(self.shapes.len(), 0);
        let node = Node {
            machine,
            life: if ready { NodeLife::Ready } else { NodeLife::Provisioning },
            started_at: now,
            generation: 0,
            pods: 0,
            used: Resources::default(),
            counts,
            unneeded_since: None,
            changed_at: now,
            reclaimed: false,
            cordoned: false,
        };
        let slot = match slot {
            Some(slot) => {
                let generation = self.nodes[slot as usize].generation.wrapping_add(1);
                self.nodes[slot as usize] = Node { generation, ..node };
                slot
            }
            None => {
                self.nodes.push(node);
                (self.nodes.len() - 1) as u32
            }
        };
        self.alive += 1;
        self.peak = self.peak.max(self.alive);
        slot
    }

    /// The share of free capacity a pod of service `s` would leave on node `n`, the mean
    /// over CPU and memory (kube-scheduler's `NodeResourcesFit` scoring without its
    /// integer rounding).
    fn free_share(&self, n: usize) -> f64 {
        let node = &self.nodes[n];
        let alloc = &self.alloc[node.machine];
        let share = |used: u64, limit: u64| {
            if limit == 0 {
                0.0
            } else {
                (limit.saturating_sub(used)) as f64 / limit as f64
            }
        };
        let (cpu, mem) = (share(node.used.cpu, alloc.cpu), share(node.used.memory, alloc.memory));
        match (alloc.cpu > 0, alloc.memory > 0) {
            (true, true) => (cpu + mem) / 2.0,
            (true, false) => cpu,
            (false, true) => mem,
            (false, false) => 0.0,
        }
    }

    /// A Ready node with room for one more pod of service `s`, chosen by the placement
    /// policy.
    pub fn choose(&self, placement: Placement, s: usize) -> Option<u32> {
        let candidates = (0..self.nodes.len()).filter(|&n| self.schedulable(n) && self.room(n, s) > 0);
        let pick =
            match placement {
                Placement::FirstFit => candidates.min(),
                // Ties go to the oldest node, as first-fit would.
                Placement::LeastAllocated => candidates
                    .min_by(|&a, &b| self.free_share(b).total_cmp(&self.free_share(a)).then(a.cmp(&b))),
                Placement::MostAllocated => candidates
                    .min_by(|&a, &b| self.free_share(a).total_cmp(&self.free_share(b)).then(a.cmp(&b))),
            };
        pick.map(|n| n as u32)
    }

    /// Ready and not cordoned: new pods may go there.
    fn schedulable(&self, n: usize) -> bool {
        self.nodes[n].life == NodeLife::Ready && !self.nodes[n].cordoned
    }

    pub fn place(&mut self, n: u32, s: usize, now: SimTime) {
        let shape = self.shapes[s];
        let node = &mut self.nodes[n as usize];
        node.pods += 1;
        node.used.add(shape, 1);
        node.counts[s] += 1;
        node.changed_at = now;
    }

    /// A pod of service `s` placed at `placed_at` left node `n`; returns its allocated
    /// cost (USD, unscaled) and whether the node is being deleted and is now empty.
    pub fn release(&mut self, n: u32, s: usize, placed_at: SimTime, now: SimTime) -> (f64, bool) {
        let shape = self.shapes[s];
        let usd = self.pod_cost(n as usize, s, now.since(placed_at));
        let node = &mut self.nodes[n as usize];
        node.pods -= 1;
        node.used.sub(shape);
        node.counts[s] -= 1;
        node.changed_at = now;
        (usd, node.life == NodeLife::Deleting && node.pods == 0)
    }

    /// What a pod of service `s` on node `n` for `time` is allocated of the node's price
    /// (OpenCost: its requests' share of the node's CPU, memory and GPU prices).
    pub fn pod_cost(&self, n: usize, s: usize, time: SimDuration) -> f64 {
        let m = &self.pool.machines[self.nodes[n].machine];
        let shape = self.shapes[s];
        let (cpu, mem, gpu) = (
            m.vcpu * OPENCOST_CPU_HOURLY,
            m.memory_gib * OPENCOST_GIB_HOURLY,
            m.gpus as f64 * OPENCOST_GPU_HOURLY,
        );
        let total = cpu + mem + gpu;
        if total <= 0.0 || m.hourly_usd <= 0.0 {
            return 0.0;
        }
        let share = |part: f64, asked: f64, has: f64| {
            if has > 0.0 {
                part / total * (asked / has).min(1.0)
            } else {
                0.0
            }
        };
        let fraction = share(cpu, shape.cpu as f64 / NANO, m.vcpu)
            + share(mem, shape.memory as f64 / NANO, m.memory_gib)
            + share(gpu, shape.gpus as f64, m.gpus as f64);
        fraction * m.hourly_usd * time.as_secs_f64() / 3600.0
    }

    /// The pods on node `n`, by shape.
    pub fn pods_of(&self, n: usize) -> PodCounts {
        self.nodes[n].counts.iter().enumerate().filter(|(_, &c)| c > 0).map(|(s, &c)| (s, c)).collect()
    }

    /// Places `pods` (largest shapes first) on `targets`, first fit, on top of what they
    /// hold; returns the pods that found no room.
    fn fit_onto(&self, pods: &PodCounts, targets: &[usize]) -> PodCounts {
        let mut used: Vec<Resources> = targets.iter().map(|&n| self.nodes[n].used).collect();
        let mut order = pods.clone();
        order.sort_by_key(|&(s, _)| std::cmp::Reverse(self.shapes[s].size_key()));
        let mut left = PodCounts::new();
        for (s, mut count) in order {
            let shape = self.shapes[s];
            for (i, &n) in targets.iter().enumerate() {
                if count == 0 {
                    break;
                }
                let k = used[i].room_for(&self.alloc[self.nodes[n].machine], shape).min(count);
                used[i].add(shape, k);
                count -= k;
            }
            if count > 0 {
                left.push((s, count));
            }
        }
        left
    }

    /// The pending pods that nodes already provisioning will not take.
    pub fn uncovered(&self, pending: &PodCounts) -> PodCounts {
        let provisioning: Vec<usize> =
            (0..self.nodes.len()).filter(|&n| self.nodes[n].life == NodeLife::Provisioning).collect();
        self.fit_onto(pending, &provisioning)
    }

    /// Whether node `n`'s pods fit on the schedulable nodes outside `set`.
    pub fn fits_outside(&self, n: usize, set: &[usize]) -> bool {
        let targets: Vec<usize> =
            (0..self.nodes.len()).filter(|t| !set.contains(t) && self.schedulable(*t)).collect();
        self.fit_onto(&self.pods_of(n), &targets).is_empty()
    }

    /// The Cluster Autoscaler's binpacking estimate for one node group
    /// (`estimator/binpacking_estimator.go`): new nodes of type `m` for `pods` (largest
    /// share of the node first, first fit onto the new nodes), at most `max_nodes` of
    /// them. Returns (nodes, pods scheduled, their vCPU, their GiB).
    pub fn estimate(&self, m: usize, pods: &PodCounts, max_nodes: u32) -> (u32, u32, f64, f64) {
        let alloc = &self.alloc[m];
        // Upstream's `DecreasingPodOrderer`: the largest share of the node first, the
        // score being the pod's CPU over the node's plus its memory over the node's.
        let share = |need: u64, has: u64| if has == 0 { 0.0 } else { need as f64 / has as f64 };
        let score =
            |s: usize| share(self.shapes[s].cpu, alloc.cpu) + share(self.shapes[s].memory, alloc.memory);
        let mut order = pods.clone();
        order.sort_by(|&(a, _), &(b, _)| score(b).total_cmp(&score(a)).then(a.cmp(&b)));
        let mut nodes: Vec<Resources> = Vec::new();
        let (mut placed, mut cpu, mut mem) = (0u32, 0u64, 0u64);
        for (s, mut count) in order {
            let shape = self.shapes[s];
            if Resources::default().room_for(alloc, shape) == 0 {
                continue;
            }
            let mut place = |n: &mut Resources, k: u32| {
                n.add(shape, k);
                placed += k;
                cpu += shape.cpu * k as u64;
                mem += shape.memory * k as u64;
            };
            for n in nodes.iter_mut() {
                let k = n.room_for(alloc, shape).min(count);
                place(n, k);
                count -= k;
            }
            while count > 0 && (nodes.len() as u32) < max_nodes {
                let mut n = Resources::default();
                let k = n.room_for(alloc, shape).min(count);
                place(&mut n, k);
                count -= k;
                nodes.push(n);
            }
        }
        (nodes.len() as u32, placed, cpu as f64 / NANO, mem as f64 / NANO)
    }

    /// Karpenter's consolidation of `candidates` (settled nodes, fewest pods first):
    /// first the largest leading group of two or more whose pods fit on the other nodes
    /// plus at most one new node cheaper than the group (multi-node consolidation), then
    /// each candidate alone, deleted if its pods fit elsewhere or replaced by a cheaper
    /// node (single-node consolidation).
    pub fn consolidation(&self, candidates: &[usize]) -> Option<Consolidation> {
        let plan = |set: &[usize]| -> Option<Consolidation> {
            let hourly: f64 = set.iter().map(|&n| self.pool.machines[self.nodes[n].machine].hourly_usd).sum();
            let nodes = set.iter().map(|&n| n as u32).collect();
            let mut pods = PodCounts::new();
            for &n in set {
                for (s, c) in self.pods_of(n) {
                    add_pods(&mut pods, s, c);
                }
            }
            let targets: Vec<usize> =
                (0..self.nodes.len()).filter(|t| !set.contains(t) && self.schedulable(*t)).collect();
            let uncovered = self.fit_onto(&pods, &targets);
            if uncovered.is_empty() {
                return Some(Consolidation { launch: None, nodes });
            }
            let price = |m: usize| self.pool.machines[m].hourly_usd;
            // Replacing several nodes by one of a type among them is no better than
            // deleting the others (Karpenter's multi-node consolidation filters such
            // types out unless they are cheaper than every node replaced).
            let cheapest_replaced =
                set.iter().map(|&n| price(self.nodes[n].machine)).fold(f64::INFINITY, f64::min);
            let among = |m: usize| set.iter().any(|&n| self.nodes[n].machine == m);
            // The uncovered pods go onto one new NodeClaim of any type that holds them
            // all; more than one new claim is no consolidation.
            match self.cheapest_holding(&self.requests_of(&uncovered)) {
                Some(m)
                    if price(m) < hourly && !(set.len() > 1 && among(m) && price(m) >= cheapest_replaced) =>
                {
                    Some(Consolidation { launch: Some(m), nodes })
                }
                _ => None,
            }
        };
        (2..=candidates.len())
            .rev()
            .find_map(|k| plan(&candidates[..k]))
            .or_else(|| candidates.iter().find_map(|&n| plan(&[n])))
    }

    /// The summed requests of some pods.
    pub fn requests_of(&self, pods: &PodCounts) -> Resources {
        let mut r = Resources::default();
        for &(s, c) in pods {
            r.add(self.shapes[s], c);
        }
        r
    }

    /// The cheapest machine type one node of which holds `requests` (the first listed on
    /// a tie): what a NodeClaim launches, since EC2 Fleet takes the lowest-priced of the
    /// types that fit it.
    pub fn cheapest_holding(&self, requests: &Resources) -> Option<usize> {
        let machines = &self.pool.machines;
        (0..machines.len())
            .filter(|&m| requests.holds(&self.alloc[m]))
            .min_by(|&a, &b| machines[a].hourly_usd.total_cmp(&machines[b].hourly_usd).then(a.cmp(&b)))
    }

    /// Karpenter's launches for pending `pods`, one machine type per NodeClaim. Its
    /// scheduler (kubernetes-sigs/karpenter `pkg/controllers/provisioning/scheduling`,
    /// `queue.go` `byCPUAndMemoryDescending` and `scheduler.go` `add`) takes pods largest
    /// first and adds each to the open NodeClaim with the fewest pods that some instance
    /// type can still hold it with, else opens a new one; each claim launches the
    /// cheapest type that holds its pods. With pods of one size every claim but the last
    /// holds as many as the largest type does.
    pub fn karpenter_launches(&self, pods: &PodCounts) -> Vec<usize> {
        let mut order = pods.clone();
        order.sort_by_key(|&(s, _)| std::cmp::Reverse(self.shapes[s].size_key()));
        let mut claims: Vec<Resources> = Vec::new();
        let fits_some = |r: &Resources| self.alloc.iter().any(|a| r.holds(a));
        for (s, count) in order {
            let shape = self.shapes[s];
            let mut alone = Resources::default();
            alone.add(shape, 1);
            if !fits_some(&alone) {
                continue;
            }
            for _ in 0..count {
                // The open NodeClaim with the fewest pods that some type can still hold
                // it with (the first on a tie), as the scheduler tries them.
                let slot = (0..claims.len())
                    .filter(|&i| {
                        let mut with = claims[i];
                        with.add(shape, 1);
                        fits_some(&with)
                    })
                    .min_by_key(|&i| (claims[i].pods, i));
                match slot {
                    Some(i) => claims[i].add(shape, 1),
                    None => claims.push(alone),
                }
            }
        }
        claims.iter().filter_map(|c| self.cheapest_holding(c)).collect()
    }

    /// Karpenter's disruption budget (`BuildDisruptionBudgetMapping`): `percent` of the
    /// initialized nodes (Ready, or Ready once and now being deleted), rounded up, less
    /// those already being disrupted (deleting, or cordoned for a replacement).
    pub fn allowed_disruptions(&self, percent: u32) -> u32 {
        let initialized =
            self.nodes.iter().filter(|n| matches!(n.life, NodeLife::Ready | NodeLife::Deleting));
        let total = initialized.clone().count() as u32;
        let disrupting = initialized.filter(|n| n.life == NodeLife::Deleting || n.cordoned).count() as u32;
        (total * percent).div_ceil(100).saturating_sub(disrupting)
    }

    /// Nodes serving or about to (not being deleted).
    pub fn serving_nodes(&self) -> u32 {
        self.nodes.iter().filter(|n| matches!(n.life, NodeLife::Ready | NodeLife::Provisioning)).count()
            as u32
    }

    /// The Cluster Autoscaler's utilisation of a node: requests (its pods' and the
    /// daemonsets') over allocatable, the larger of CPU and memory.
    pub fn utilization(&self, n: usize) -> f64 {
        let node = &self.nodes[n];
        let m = &self.pool.machines[node.machine];
        let alloc_cpu = m.pod_vcpu + m.daemonset_vcpu;
        let alloc_mem = m.pod_memory_gib + m.daemonset_memory_gib;
        let cpu = (node.used.cpu as f64 / NANO + m.daemonset_vcpu) / alloc_cpu.max(1e-9);
        let mem = (node.used.memory as f64 / NANO + m.daemonset_memory_gib) / alloc_mem.max(1e-9);
        cpu.max(mem)
    }

    /// Removes a node and meters its life.
    pub fn remove(&mut self, n: u32, now: SimTime) {
        debug_assert!(self.nodes[n as usize].life != NodeLife::Gone && self.nodes[n as usize].pods == 0);
        self.integrate(now);
        self.meter(n as usize, now);
        let node = &mut self.nodes[n as usize];
        node.life = NodeLife::Gone;
        node.generation = node.generation.wrapping_add(1);
        self.alive -= 1;
        self.free_slots.push(n);
    }

    /// What the nodes have cost so far at their hourly prices (before rounding, minimums
    /// and caps): the closed lives' cost and the open ones' up to `now`.
    pub fn raw_usd_to(&self, now: SimTime) -> f64 {
        let open: f64 = self
            .nodes
            .iter()
            .filter(|n| n.life != NodeLife::Gone)
            .map(|n| {
                now.since(n.started_at).as_secs_f64() / 3600.0 * self.pool.machines[n.machine].hourly_usd
            })
            .sum();
        self.node_raw_usd + open
    }

    /// Meters the nodes still alive at the end of the horizon.
    pub fn close(&mut self, now: SimTime) {
        self.integrate(now);
        for n in 0..self.nodes.len() {
            if self.nodes[n].life != NodeLife::Gone {
                self.meter(n, now);
            }
        }
    }

    /// Adds node `n`'s life up to `now` to the bill.
    fn meter(&mut self, n: usize, now: SimTime) {
        let node = &self.nodes[n];
        let lifetime = now.since(node.started_at);
        let machine = &self.pool.machines[node.machine];
        self.node_usd += node_cost(lifetime, machine, &self.pool.billing, self.horizon);
        self.node_raw_usd += lifetime.as_secs_f64() / 3600.0 * machine.hourly_usd;
        self.node_seconds += lifetime.as_secs_f64();
    }
}

/// One node life's bill over the horizon: rounded, at least the minimum, and never
/// above the monthly cap scaled to the horizon (the bill is scaled back to a month).
pub(crate) fn node_cost(
    lifetime: SimDuration,
    m: &MachineType,
    b: &NodeBilling,
    horizon: SimDuration,
) -> f64 {
    let billed = lifetime.round_up_to(b.rounding).max(b.minimum);
    let usd = billed.as_secs_f64() / 3600.0 * m.hourly_usd;
    if b.monthly_cap_usd > 0.0 {
        let month_share = horizon.as_secs_f64() / (crate::billing::HOURS_PER_MONTH * 3600.0);
        usd.min(b.monthly_cap_usd * month_share)
    } else {
        usd
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A machine type with EKS-like reservations (0.23 vCPU, 1.2 GiB, daemonsets 0.15 vCPU).
    pub(crate) fn machine(name: &str, vcpu: f64, gib: f64, hourly: f64) -> MachineType {
        MachineType {
            name: name.into(),
            vcpu,
            memory_gib: gib,
            gpus: 0,
            hourly_usd: hourly,
            pod_vcpu: vcpu - 0.23,
            pod_memory_gib: gib - 1.2,
            daemonset_vcpu: 0.15,
            daemonset_memory_gib: 0.2,
            max_pods: 110,
        }
    }

    /// A pool of these machine types, fixed, first-fit, billed per second.
    fn pool_of(machines: Vec<MachineType>) -> NodePool {
        NodePool {
            machines,
            placement: Placement::FirstFit,
            autoscaler: crate::spec::NodeAutoscaler::Fixed,
            min_nodes: 0,
            max_nodes: 100,
            billing: NodeBilling {
                rounding: SimDuration::ZERO,
                minimum: SimDuration::ZERO,
                monthly_cap_usd: 0.0,
            },
            interruptions: None,
        }
    }

    fn pod(vcpu: f64, gib: f64) -> InstanceSpec {
        InstanceSpec { vcpu, memory_gib: gib, gpus: 0, concurrency: 10 }
    }

    #[test]
    fn bin_packing_respects_allocatable() {
        let m = machine("m7g.xlarge", 4.0, 16.0, 0.1632);
        // 3.77 vCPU allocatable: three 1-vCPU pods, one 2-vCPU pod, no 4-vCPU pod.
        assert_eq!(m.pods_per_node(&pod(1.0, 2.0)), 3);
        assert_eq!(m.pods_per_node(&pod(2.0, 4.0)), 1);
        assert_eq!(m.pods_per_node(&pod(4.0, 8.0)), 0);
        // Memory can be the limit: 14.8 GiB holds two 6-GiB pods.
        assert_eq!(m.pods_per_node(&pod(0.25, 6.0)), 2);
        // Equal requests fill a node exactly, float noise aside.
        let mut exact = m.clone();
        exact.pod_vcpu = 3.0;
        assert_eq!(exact.pods_per_node(&pod(0.1, 0.1)), 30);
        // Whatever their size, a node takes at most `max_pods`.
        exact.max_pods = 8;
        assert_eq!(exact.pods_per_node(&pod(0.1, 0.1)), 8);
        let pool = pool_of(vec![exact]);
        let mut c = Cluster::new(&pool, &[pod(0.1, 0.1)], SimDuration::from_hours(1));
        let n = c.add_node(0, SimTime::ZERO, true);
        for _ in 0..8 {
            assert_eq!(c.choose(Placement::FirstFit, 0), Some(n));
            c.place(n, 0, SimTime::ZERO);
        }
        assert_eq!(c.choose(Placement::FirstFit, 0), None, "the ninth pod waits");
    }

    #[test]
    fn placement_policies_pick_the_node_they_say() {
        let pool = NodePool {
            machines: vec![machine("m", 4.0, 16.0, 0.1)],
            placement: Placement::FirstFit,
            autoscaler: crate::spec::NodeAutoscaler::Fixed,
            min_nodes: 0,
            max_nodes: 10,
            billing: NodeBilling {
                rounding: SimDuration::from_secs(1),
                minimum: SimDuration::ZERO,
                monthly_cap_usd: 0.0,
            },
            interruptions: None,
        };
        let mut c = Cluster::new(&pool, &[pod(1.0, 1.0)], SimDuration::from_hours(1));
        let t = SimTime::ZERO;
        for _ in 0..3 {
            c.add_node(0, t, true);
        }
        c.place(0, 0, t);
        c.place(0, 0, t);
        c.place(1, 0, t);
        // Room: node 0 has 1, node 1 has 2, node 2 has 3.
        assert_eq!(c.choose(Placement::FirstFit, 0), Some(0));
        assert_eq!(c.choose(Placement::MostAllocated, 0), Some(0));
        assert_eq!(c.choose(Placement::LeastAllocated, 0), Some(2));
        c.place(0, 0, t);
        assert_eq!(c.choose(Placement::FirstFit, 0), Some(1), "a full node is skipped");
        assert_eq!((c.room(0, 0), c.room(1, 0)), (0, 2));
        assert!(c.fits_outside(1, &[1]), "node 1's pod fits on node 2");
    }

    /// Karpenter's consolidation on exact pods-per-node: small nodes hold 2 pods at
    /// $0.08, large ones 8 at $0.20.
    #[test]
    fn consolidation_deletes_or_replaces_what_a_cheaper_layout_holds() {
        let mut small = machine("s", 2.0, 8.0, 0.08);
        small.pod_vcpu = 2.0;
        let mut large = machine("l", 8.0, 32.0, 0.20);
        large.pod_vcpu = 8.0;
        let pool = NodePool {
            machines: vec![small, large],
            placement: Placement::FirstFit,
            autoscaler: crate::spec::NodeAutoscaler::Fixed,
            min_nodes: 0,
            max_nodes: 10,
            billing: NodeBilling {
                rounding: SimDuration::ZERO,
                minimum: SimDuration::ZERO,
                monthly_cap_usd: 0.0,
            },
            interruptions: None,
        };
        let t = SimTime::ZERO;
        let cluster = |layout: &[(usize, u32)]| {
            let mut c = Cluster::new(&pool, &[pod(1.0, 1.0)], SimDuration::from_hours(1));
            for &(m, pods) in layout {
                let n = c.add_node(m, t, true);
                for _ in 0..pods {
                    c.place(n, 0, t);
                }
            }
            c
        };
        // A large node left with 2 pods: a small node holds them for less.
        let c = cluster(&[(1, 2)]);
        assert_eq!(c.consolidation(&[0]), Some(Consolidation { launch: Some(0), nodes: vec![0] }));
        // A small and a large node with one pod each: one small node for both would be
        // of a type among them, so the small one is deleted (its pod fits on the large
        // one), which a later pass replaces as above.
        let c = cluster(&[(0, 1), (1, 1)]);
        assert_eq!(c.consolidation(&[0, 1]), Some(Consolidation { launch: None, nodes: vec![0] }));
        // Two large nodes with one pod each: one small node replaces both.
        let c = cluster(&[(1, 1), (1, 1)]);
        assert_eq!(c.consolidation(&[0, 1]), Some(Consolidation { launch: Some(0), nodes: vec![0, 1] }));
        // Two small nodes with one pod each: the first moves onto the second, no launch.
        let c = cluster(&[(0, 1), (0, 1)]);
        assert_eq!(c.consolidation(&[0, 1]), Some(Consolidation { launch: None, nodes: vec![0] }));
        // A full large node: nothing cheaper holds 8 pods in one node.
        let c = cluster(&[(1, 8)]);
        assert_eq!(c.consolidation(&[0]), None);
        // A cordoned node is no room for others.
        let mut c = cluster(&[(0, 1), (0, 1)]);
        c.nodes[1].cordoned = true;
        assert!(!c.fits_outside(0, &[0]));
        assert_eq!(c.choose(Placement::FirstFit, 0), Some(0));
        // Karpenter's disruption budget rounds up
        // (`intstr.GetScaledValueFromIntOrPercent(.., roundUp = true)`): 10% of 5 nodes is
        // one, of 11 two; nodes being deleted or cordoned use it up.
        let mut c = cluster(&[(0, 1); 5]);
        assert_eq!(c.allowed_disruptions(10), 1);
        assert_eq!(c.allowed_disruptions(0), 0);
        assert_eq!(c.allowed_disruptions(100), 5);
        c.nodes[0].cordoned = true;
        assert_eq!(c.allowed_disruptions(10), 0);
        assert_eq!(c.allowed_disruptions(40), 1);
        let c = cluster(&[(0, 1); 11]);
        assert_eq!(c.allowed_disruptions(10), 2);
    }

    #[test]
    fn karpenter_picks_the_cheapest_machine_for_the_batch() {
        let machines = vec![
            machine("large", 2.0, 8.0, 0.0816),
            machine("xlarge", 4.0, 16.0, 0.1632),
            machine("4xl", 16.0, 64.0, 0.6528),
        ];
        let pool = pool_of(machines.clone());
        let c = Cluster::new(&pool, &[pod(1.0, 2.0)], SimDuration::from_hours(1));
        let capacity: Vec<u32> = (0..machines.len()).map(|m| c.capacity(m, 0)).collect();
        assert_eq!(capacity, vec![1, 3, 15]);
        let karpenter_launches =
            |_: &[MachineType], _: &[u32], pods: u32| c.karpenter_launches(&vec![(0, pods)]);
        // 3 pods: one xlarge ($0.1632) beats three large ($0.2448).
        assert_eq!(karpenter_launches(&machines, &capacity, 3), vec![1]);
        // 1 pod: one large.
        assert_eq!(karpenter_launches(&machines, &capacity, 1), vec![0]);
        // 15 pods: one 4xlarge.
        assert_eq!(karpenter_launches(&machines, &capacity, 15), vec![2]);
        assert_eq!(karpenter_launches(&machines, &capacity, 0), Vec::<usize>::new());
    }

    /// The EKS Karpenter preset's sizes for 1 vCPU / 2 GiB pods: 1, 3, 7 and 15 pods per
    /// node (allocatable after the EKS AMI's reservation and 0.15 vCPU of daemonsets). A
    /// claim fills to the largest type's 15 pods, then the rest gets the cheapest type
    /// that holds it: 16 pods are a 4xlarge and a large ($0.7344/h), not three 2xlarge
    /// ($0.9792/h), the cheapest uniform fleet.
    #[test]
    fn karpenter_fills_one_claim_before_opening_the_next() {
        let eks = |name: &str, vcpu: f64, reserved: f64, hourly: f64| MachineType {
            pod_vcpu: vcpu - reserved - 0.15,
            ..machine(name, vcpu, 4.0 * vcpu, hourly)
        };
        let machines = vec![
            eks("m7g.large", 2.0, 0.07, 0.0816),
            eks("m7g.xlarge", 4.0, 0.08, 0.1632),
            eks("m7g.2xlarge", 8.0, 0.09, 0.3264),
            eks("m7g.4xlarge", 16.0, 0.11, 0.6528),
        ];
        let pool = pool_of(machines.clone());
        let c = Cluster::new(&pool, &[pod(1.0, 2.0)], SimDuration::from_hours(1));
        let capacity: Vec<u32> = (0..machines.len()).map(|m| c.capacity(m, 0)).collect();
        assert_eq!(capacity, vec![1, 3, 7, 15]);
        let karpenter_launches =
            |_: &[MachineType], _: &[u32], pods: u32| c.karpenter_launches(&vec![(0, pods)]);
        let hourly = |pods: u32| -> f64 {
            karpenter_launches(&machines, &capacity, pods).iter().map(|&m| machines[m].hourly_usd).sum()
        };
        assert_eq!(karpenter_launches(&machines, &capacity, 16), vec![3, 0]);
        assert!((hourly(16) - 0.7344).abs() < 1e-12);
        // 8 pods: one 4xlarge holds them all ($0.6528), though a 2xlarge and a large
        // would cost $0.408: a claim launches one type for all its pods.
        assert_eq!(karpenter_launches(&machines, &capacity, 8), vec![3]);
        // 7 pods: a 2xlarge; 33 pods: two 4xlarge and an xlarge.
        assert_eq!(karpenter_launches(&machines, &capacity, 7), vec![2]);
        assert_eq!(karpenter_launches(&machines, &capacity, 33), vec![3, 3, 1]);
    }

    /// The Cluster Autoscaler packs the pods that take the largest share of a node first
    /// (cpu/allocatable + memory/allocatable). On 4 vCPU / 16 GiB nodes, two 1.5 vCPU /
    /// 12 GiB pods (score 1.125) go first, one a node, and two 2 vCPU / 2 GiB pods
    /// (0.625) join them: two nodes. Largest CPU first would put both 2-vCPU pods on
    /// one node and need a node for each memory-heavy pod: three.
    #[test]
    fn the_estimate_packs_the_largest_share_of_a_node_first() {
        let mut m = machine("n", 4.0, 16.0, 0.2);
        m.pod_vcpu = 4.0;
        m.pod_memory_gib = 16.0;
        let pool = pool_of(vec![m]);
        let c = Cluster::new(&pool, &[pod(2.0, 2.0), pod(1.5, 12.0)], SimDuration::from_hours(1));
        let (nodes, pods, vcpu, gib) = c.estimate(0, &vec![(0, 2), (1, 2)], 10);
        assert_eq!((nodes, pods), (2, 4));
        assert!((vcpu - 7.0).abs() < 1e-9 && (gib - 28.0).abs() < 1e-9);
        // At most `max_nodes`: one node holds one heavy pod and one light one.
        assert_eq!(c.estimate(0, &vec![(0, 2), (1, 2)], 1).0, 1);
        assert_eq!(c.estimate(0, &vec![(0, 2), (1, 2)], 1).1, 2);
    }

    #[test]
    fn node_bills_round_take_the_minimum_and_respect_a_monthly_cap() {
        let m = machine("e2-standard-4", 4.0, 16.0, 0.134012);
        let per_second = NodeBilling {
            rounding: SimDuration::from_secs(1),
            minimum: SimDuration::from_secs(60),
            monthly_cap_usd: 0.0,
        };
        let week = SimDuration::from_hours(168);
        assert!(
            (node_cost(SimDuration::from_secs(20), &m, &per_second, week) - 60.0 / 3600.0 * 0.134012).abs()
                < 1e-12
        );
        assert!(
            (node_cost(SimDuration::from_millis(90_500), &m, &per_second, week) - 91.0 / 3600.0 * 0.134012)
                .abs()
                < 1e-12
        );
        // Hourly, capped at $18 a month: a node alive all week bills the cap's weekly
        // share; one alive 2 h 10 min bills 3 hours.
        let hetzner = machine("cax31", 8.0, 16.0, 0.04);
        let hourly = NodeBilling {
            rounding: SimDuration::from_hours(1),
            minimum: SimDuration::ZERO,
            monthly_cap_usd: 18.0,
        };
        assert!((node_cost(week, &hetzner, &hourly, week) - 18.0 * 168.0 / 730.0).abs() < 1e-9);
        assert!((node_cost(SimDuration::from_minutes(130), &hetzner, &hourly, week) - 0.12).abs() < 1e-12);
    }
}
