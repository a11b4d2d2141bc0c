//! Kubernetes capacity: nodes, which pods fit where, and what the node autoscaler does.
//!
//! Pods of one platform all have the same requests, so "does it fit" and "how many
//! more fit" are exact integer questions per node, and the Cluster Autoscaler's
//! bin-packing estimate needs no search. This module keeps node state and answers
//! those questions; the event loop (sim.rs) moves pods and calls it.

use crate::spec::{InstanceSpec, MachineType, NodeBilling, NodePool, Placement};
use crossover_engine::{SimDuration, SimTime};
use std::collections::VecDeque;

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

/// The node pool at run time.
#[derive(Debug)]
pub(crate) struct Cluster<'a> {
    /// The pool's machine types and node billing.
    pool: &'a NodePool,
    /// The horizon, for the monthly cap of node bills.
    horizon: SimDuration,
    pub nodes: Vec<Node>,
    free_slots: Vec<u32>,
    /// Pods of each node's capacity, by machine type.
    capacity: Vec<u32>,
    /// Nodes not gone (provisioning, ready or deleting).
    pub alive: u32,
    pub peak: u32,
    /// Pod slots waiting for a node, oldest first.
    pub pending: VecDeque<u32>,
    pub last_scale_up: Option<SimTime>,
    /// Karpenter's open batch: (opened, last pending pod seen).
    pub batch: Option<(SimTime, SimTime)>,
    /// Karpenter's consolidation waiting for its replacement node.
    pub replacing: Option<Replacement>,
    /// Karpenter's decision waiting out its validation delay.
    pub validating: Option<Consolidation>,
    pub node_usd: f64,
    pub node_seconds: f64,
}

impl<'a> Cluster<'a> {
    pub fn new(pool: &'a NodePool, pod: &InstanceSpec, horizon: SimDuration) -> Self {
        Cluster {
            pool,
            horizon,
            nodes: Vec::new(),
            free_slots: Vec::new(),
            capacity: pool.machines.iter().map(|m| m.pods_per_node(pod)).collect(),
            alive: 0,
            peak: 0,
            pending: VecDeque::new(),
            last_scale_up: None,
            batch: None,
            replacing: None,
            validating: None,
            node_usd: 0.0,
            node_seconds: 0.0,
        }
    }

    /// Pods that fit on an empty node of machine type `m`.
    pub fn capacity(&self, m: usize) -> u32 {
        self.capacity[m]
    }

    /// Room left on node `n`, in pods.
    pub fn room(&self, n: usize) -> u32 {
        let node = &self.nodes[n];
        self.capacity[node.machine].saturating_sub(node.pods)
    }

    /// Adds a node; it is Ready at once if `ready`.
    pub fn add_node(&mut self, machine: usize, now: SimTime, ready: bool) -> u32 {
        let node = Node {
            machine,
            life: if ready { NodeLife::Ready } else { NodeLife::Provisioning },
            started_at: now,
            generation: 0,
            pods: 0,
            unneeded_since: None,
            changed_at: now,
            reclaimed: false,
            cordoned: false,
        };
        let slot = match self.free_slots.pop() {
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

    /// A Ready node with room for one more pod, chosen by the placement policy.
    pub fn choose(&self, placement: Placement) -> Option<u32> {
        let candidates = (0..self.nodes.len()).filter(|&n| self.schedulable(n) && self.room(n) > 0);
        let free_share = |n: usize| self.room(n) as f64 / self.capacity[self.nodes[n].machine].max(1) as f64;
        let pick = match placement {
            Placement::FirstFit => candidates.min(),
            // Ties go to the oldest node, as first-fit would.
            Placement::LeastAllocated => {
                candidates.min_by(|&a, &b| free_share(b).total_cmp(&free_share(a)).then(a.cmp(&b)))
            }
            Placement::MostAllocated => {
                candidates.min_by(|&a, &b| free_share(a).total_cmp(&free_share(b)).then(a.cmp(&b)))
            }
        };
        pick.map(|n| n as u32)
    }

    /// Ready and not cordoned: new pods may go there.
    fn schedulable(&self, n: usize) -> bool {
        self.nodes[n].life == NodeLife::Ready && !self.nodes[n].cordoned
    }

    pub fn place(&mut self, n: u32, now: SimTime) {
        let node = &mut self.nodes[n as usize];
        node.pods += 1;
        node.changed_at = now;
    }

    /// A pod left node `n`; true if the node is being deleted and is now empty.
    pub fn release(&mut self, n: u32, now: SimTime) -> bool {
        let node = &mut self.nodes[n as usize];
        node.pods -= 1;
        node.changed_at = now;
        node.life == NodeLife::Deleting && node.pods == 0
    }

    /// Pending pods that nodes already provisioning will take.
    pub fn upcoming_room(&self) -> u32 {
        (0..self.nodes.len())
            .filter(|&n| self.nodes[n].life == NodeLife::Provisioning)
            .map(|n| self.room(n))
            .sum()
    }

    /// Pods that could move onto Ready nodes other than `except`.
    pub fn room_elsewhere(&self, except: usize) -> u32 {
        self.room_outside(&[except])
    }

    /// Pods that could move onto schedulable nodes outside `set`.
    pub fn room_outside(&self, set: &[usize]) -> u32 {
        (0..self.nodes.len()).filter(|n| !set.contains(n) && self.schedulable(*n)).map(|n| self.room(n)).sum()
    }

    /// Karpenter's consolidation of `candidates` (settled nodes, fewest pods first):
    /// first the largest leading group of two or more whose pods fit on the other nodes
    /// plus at most one new node cheaper than the group (multi-node consolidation), then
    /// each candidate alone, deleted if its pods fit elsewhere or replaced by a cheaper
    /// node (single-node consolidation).
    pub fn consolidation(&self, candidates: &[usize]) -> Option<Consolidation> {
        let plan = |set: &[usize]| -> Option<Consolidation> {
            let pods: u32 = set.iter().map(|&n| self.nodes[n].pods).sum();
            let hourly: f64 = set.iter().map(|&n| self.pool.machines[self.nodes[n].machine].hourly_usd).sum();
            let nodes = set.iter().map(|&n| n as u32).collect();
            let uncovered = pods.saturating_sub(self.room_outside(set));
            if uncovered == 0 {
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
            match cheapest_holding(&self.pool.machines, &self.capacity, uncovered) {
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
    pub fn utilization(&self, n: usize, pod: &InstanceSpec) -> f64 {
        let node = &self.nodes[n];
        let m = &self.pool.machines[node.machine];
        let alloc_cpu = m.pod_vcpu + m.daemonset_vcpu;
        let alloc_mem = m.pod_memory_gib + m.daemonset_memory_gib;
        let cpu = (node.pods as f64 * pod.vcpu + m.daemonset_vcpu) / alloc_cpu.max(1e-9);
        let mem = (node.pods as f64 * pod.memory_gib + m.daemonset_memory_gib) / alloc_mem.max(1e-9);
        cpu.max(mem)
    }

    /// Removes a node and meters its life.
    pub fn remove(&mut self, n: u32, now: SimTime) {
        debug_assert!(self.nodes[n as usize].life != NodeLife::Gone && self.nodes[n as usize].pods == 0);
        self.meter(n as usize, now);
        let node = &mut self.nodes[n as usize];
        node.life = NodeLife::Gone;
        node.generation = node.generation.wrapping_add(1);
        self.alive -= 1;
        self.free_slots.push(n);
    }

    /// Meters the nodes still alive at the end of the horizon.
    pub fn close(&mut self, now: SimTime) {
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

/// Nodes needed for `pods` more pods at `per_node` pods a node (0 if none fit at all).
pub(crate) fn nodes_for(pods: u32, per_node: u32) -> u32 {
    if per_node == 0 {
        0
    } else {
        pods.div_ceil(per_node)
    }
}

/// The cheapest machine type one node of which holds `pods` pods (the first listed on a
/// tie): what a NodeClaim launches, since EC2 Fleet takes the lowest-priced of the types
/// that fit it.
pub(crate) fn cheapest_holding(machines: &[MachineType], capacity: &[u32], pods: u32) -> Option<usize> {
    (0..machines.len())
        .filter(|&m| capacity[m] >= pods.max(1))
        .min_by(|&a, &b| machines[a].hourly_usd.total_cmp(&machines[b].hourly_usd).then(a.cmp(&b)))
}

/// Karpenter's launches for `pods` pending pods, one machine type per NodeClaim. Its
/// scheduler (kubernetes-sigs/karpenter `pkg/controllers/provisioning/scheduling`) adds
/// pods to one NodeClaim while some instance type can still take another, then opens a
/// new one; each claim launches the cheapest type that holds its pods. With pods of one
/// size every claim but the last holds as many as the largest type does.
pub(crate) fn karpenter_launches(machines: &[MachineType], capacity: &[u32], pods: u32) -> Vec<usize> {
    let largest = capacity.iter().copied().max().unwrap_or(0);
    if largest == 0 {
        return Vec::new();
    }
    let mut launches = Vec::new();
    let mut left = pods;
    while left > 0 {
        let claim = left.min(largest);
        launches.extend(cheapest_holding(machines, capacity, claim));
        left -= claim;
    }
    launches
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
        let mut c = Cluster::new(&pool, &pod(1.0, 1.0), SimDuration::from_hours(1));
        let t = SimTime::ZERO;
        for _ in 0..3 {
            c.add_node(0, t, true);
        }
        c.place(0, t);
        c.place(0, t);
        c.place(1, t);
        // Room: node 0 has 1, node 1 has 2, node 2 has 3.
        assert_eq!(c.choose(Placement::FirstFit), Some(0));
        assert_eq!(c.choose(Placement::MostAllocated), Some(0));
        assert_eq!(c.choose(Placement::LeastAllocated), Some(2));
        c.place(0, t);
        assert_eq!(c.choose(Placement::FirstFit), Some(1), "a full node is skipped");
        assert_eq!(c.room_elsewhere(2), 2);
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
            let mut c = Cluster::new(&pool, &pod(1.0, 1.0), SimDuration::from_hours(1));
            for &(m, pods) in layout {
                let n = c.add_node(m, t, true);
                for _ in 0..pods {
                    c.place(n, t);
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
        assert_eq!(c.room_elsewhere(0), 0);
        assert_eq!(c.choose(Placement::FirstFit), Some(0));
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
        let p = pod(1.0, 2.0);
        let capacity: Vec<u32> = machines.iter().map(|m| m.pods_per_node(&p)).collect();
        assert_eq!(capacity, vec![1, 3, 15]);
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
        let p = pod(1.0, 2.0);
        let capacity: Vec<u32> = machines.iter().map(|m| m.pods_per_node(&p)).collect();
        assert_eq!(capacity, vec![1, 3, 7, 15]);
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
