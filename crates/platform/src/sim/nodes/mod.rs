//! The node pool the stack's services share: which pods wait for room, and the node
//! autoscaler's loops (the Cluster Autoscaler's scan, Karpenter's batches and
//! disruption), Spot reclaims and node deletion.
//!
//! `Nodes` exists only when the platform has a node pool. The node autoscalers' loops
//! are in `cluster_autoscaler.rs` and `karpenter.rs`. It keeps node state
//! (`Cluster`) and the pending pods of every service, oldest first; the functions here
//! run at node events and may touch the pods of any service, so they take the stack's
//! services as well as what is shared.

mod cluster_autoscaler;
mod karpenter;

pub(crate) use karpenter::on_node_batch;

use super::service::Service;
use super::{Event, Shared};
use crate::cluster::{add_pods, Cluster, NodeLife, PodCounts};
use crate::instance::Life;
use crate::spec::{InstanceSpec, NodeAutoscaler, NodePool};
use crossover_engine::{EventQueue, RngStream, SimDuration, SimTime, Streams};
use std::collections::VecDeque;

pub(crate) struct Nodes<'a> {
    pub pool: &'a NodePool,
    pub cluster: Cluster<'a>,
    /// Pods waiting for a node with room, as (service, slot), oldest first.
    pub(super) pending: VecDeque<(u32, u32)>,
    /// A pending pod of another service than the one that freed room could be placed:
    /// the stack places pending pods once the current event is handled.
    pub placement_due: bool,
    node_rng: RngStream,
    /// Spot node reclaims, apart from `node_rng` so that on-demand pools draw the same.
    reclaim_rng: RngStream,
    /// The Cluster Autoscaler expander's tie-breaks, apart so that other draws stay put.
    pub(super) expander_rng: RngStream,
}

impl<'a> Nodes<'a> {
    /// The pool of platform `platform`, for pods of the given shapes (one per service).
    pub fn new(
        pool: &'a NodePool,
        pods: &[InstanceSpec],
        platform: &str,
        streams: Streams,
        horizon: SimDuration,
    ) -> Self {
        Nodes {
            pool,
            cluster: Cluster::new(pool, pods, horizon),
            pending: VecDeque::new(),
            placement_due: false,
            node_rng: streams.stream(&format!("platform/{platform}/nodes")),
            reclaim_rng: streams.stream(&format!("platform/{platform}/node-reclaims")),
            expander_rng: streams.stream(&format!("platform/{platform}/expander")),
        }
    }

    /// A node for a new pod of `service`, by the pool's placement policy.
    pub fn choose(&self, service: u32) -> Option<u32> {
        self.cluster.choose(self.pool.placement, service as usize)
    }

    /// A pod found no room. Karpenter opens (or extends) its batch window; the Cluster
    /// Autoscaler will see it at its next scan.
    pub fn pod_pending(&mut self, events: &mut EventQueue<Event>, service: u32, slot: u32, now: SimTime) {
        self.pending.push_back((service, slot));
        let NodeAutoscaler::Karpenter(k) = &self.pool.autoscaler else { return };
        match &mut self.cluster.batch {
            Some((_, last)) => *last = now,
            None => {
                self.cluster.batch = Some((now, now));
                events.schedule(now + k.batch_idle, Event::NodeBatch);
            }
        }
    }

    /// A pending pod was stopped before it found room.
    pub fn forget_pending(&mut self, service: u32, slot: u32) {
        self.pending.retain(|&p| p != (service, slot));
    }

    /// The oldest pending pod that fits somewhere, if it is `service`'s: taken off the
    /// list with its node. An older fitting pod of another service defers the rest to
    /// the stack (`placement_due`).
    pub fn next_placement(&mut self, service: u32) -> Option<(u32, u32)> {
        for i in 0..self.pending.len() {
            let (s, slot) = self.pending[i];
            let Some(node) = self.choose(s) else { continue };
            if s != service {
                self.placement_due = true;
                return None;
            }
            self.pending.remove(i);
            return Some((slot, node));
        }
        None
    }

    /// The oldest pending pod that fits somewhere, of any service, with its node.
    fn next_any(&mut self) -> Option<(u32, u32, u32)> {
        let (i, node) = (0..self.pending.len()).find_map(|i| Some((i, self.choose(self.pending[i].0)?)))?;
        let (s, slot) = self.pending.remove(i).expect("an index found in the list");
        Some((s, slot, node))
    }

    /// The pending pods by service.
    pub(super) fn pending_counts(&self) -> PodCounts {
        let mut counts = PodCounts::new();
        for &(s, _) in &self.pending {
            add_pods(&mut counts, s as usize, 1);
        }
        counts
    }
}

/// The node pool of a stack that has one: every node function runs only then.
pub(super) fn pool_of<'s, 'a>(sh: &'s mut Shared<'a>) -> &'s mut Nodes<'a> {
    sh.nodes.as_mut().expect("node events and loops exist only with a node pool")
}

/// The nodes there at time zero, before any pod: the pool's minimum, or enough for
/// every service's initial pods.
pub(crate) fn start_nodes(sh: &mut Shared, services: &[Service]) {
    let Some(nodes) = &mut sh.nodes else { return };
    let pool = nodes.pool;
    let initial: PodCounts = services
        .iter()
        .map(|s| (s.index as usize, s.spec.initial_instances()))
        .filter(|&(_, n)| n > 0)
        .collect();
    let cluster = &nodes.cluster;
    // Karpenter would have launched its claims for the pods already running; further
    // nodes up to the pool's minimum are of the type that holds the largest pod.
    let machines: Vec<usize> = match &pool.autoscaler {
        NodeAutoscaler::Karpenter(_) => {
            let mut launches = cluster.karpenter_launches(&initial);
            let largest =
                (0..services.len()).max_by_key(|&s| (cluster.shapes[s].cpu, cluster.shapes[s].memory));
            let spare = largest
                .and_then(|s| cluster.cheapest_holding(&cluster.requests_of(&vec![(s, 1)])))
                .unwrap_or(0);
            launches.resize(launches.len().max(pool.min_nodes as usize), spare);
            launches
        }
        NodeAutoscaler::Fixed | NodeAutoscaler::ClusterAutoscaler(_) => {
            let (needed, ..) = cluster.estimate(0, &initial, u32::MAX);
            vec![0; pool.min_nodes.max(needed) as usize]
        }
    };
    let first: Vec<u32> = machines
        .into_iter()
        .take(pool.max_nodes as usize)
        .map(|m| nodes.cluster.add_node(m, SimTime::ZERO, true))
        .collect();
    for node in first {
        schedule_reclaim(sh, node);
    }
    let scan = match &pool.autoscaler {
        NodeAutoscaler::Fixed => None,
        NodeAutoscaler::ClusterAutoscaler(ca) => Some(ca.scan_interval),
        NodeAutoscaler::Karpenter(k) => Some(k.scan_interval),
    };
    if let Some(scan) = scan {
        sh.events.schedule(SimTime::ZERO + scan, Event::NodeScan);
    }
}

/// Places pending pods of every service, oldest first, while some fit.
pub(crate) fn place_all_pending<'a>(sh: &mut Shared<'a>, services: &mut [Service<'a>]) {
    loop {
        let nodes = pool_of(sh);
        nodes.placement_due = false;
        let Some((s, slot, node)) = nodes.next_any() else { return };
        let service = &mut services[s as usize];
        service.advance(sh.now);
        service.place_pending(sh, slot, node);
    }
}

/// Asks for a node of machine type `m`; it is Ready after the provisioning time.
pub(super) fn provision_node(sh: &mut Shared, m: usize) -> u32 {
    let now = sh.now;
    let nodes = pool_of(sh);
    let provisioning = match &nodes.pool.autoscaler {
        NodeAutoscaler::ClusterAutoscaler(ca) => &ca.provisioning,
        NodeAutoscaler::Karpenter(k) => &k.provisioning,
        NodeAutoscaler::Fixed => unreachable!("a fixed pool provisions no nodes"),
    };
    let delay = SimDuration::from_secs_f64(provisioning.sample_secs(&mut nodes.node_rng));
    let slot = nodes.cluster.add_node(m, now, false);
    let generation = nodes.cluster.nodes[slot as usize].generation;
    nodes.cluster.last_scale_up = Some(now);
    sh.events.schedule(now + delay, Event::Node { slot, generation });
    schedule_reclaim(sh, slot);
    slot
}

/// Spot: draws when the provider will reclaim a new node (exponential, at the pool's
/// rate per node-hour from its launch).
fn schedule_reclaim(sh: &mut Shared, slot: u32) {
    let now = sh.now;
    let nodes = pool_of(sh);
    let Some(i) = nodes.pool.interruptions.as_ref().filter(|i| i.rate_per_hour > 0.0) else { return };
    let after = SimDuration::from_secs_f64(nodes.reclaim_rng.exponential(3600.0 / i.rate_per_hour));
    let generation = nodes.cluster.nodes[slot as usize].generation;
    sh.events.schedule(now + after, Event::NodeReclaim { slot, generation });
}

/// Spot reclaim of a node. At the notice a node still provisioning is simply gone; a
/// Ready one is cordoned and drained like a scale-down (each pod replaced elsewhere,
/// finishing what it holds); when the warning ends the node is terminated and the
/// requests still on it are lost.
pub(crate) fn on_node_reclaim<'a>(
    sh: &mut Shared<'a>,
    services: &mut [Service<'a>],
    slot: u32,
    generation: u32,
) {
    let now = sh.now;
    let nodes = pool_of(sh);
    let warning = nodes.pool.interruptions.as_ref().map_or(SimDuration::ZERO, |i| i.warning);
    let node = &mut nodes.cluster.nodes[slot as usize];
    if node.generation != generation || node.life == NodeLife::Gone {
        return;
    }
    if node.reclaimed {
        // The last pod to go takes the node with it (it is being deleted).
        for (s, pod) in pods_on(services, slot) {
            services[s].kill(sh, pod);
        }
        return;
    }
    node.reclaimed = true;
    let life = node.life;
    // Counted once for the platform, on its first service.
    services[0].counters.interruptions += 1;
    match life {
        NodeLife::Provisioning => {
            karpenter::end_replacement(sh, services, slot, false);
            return pool_of(sh).cluster.remove(slot, now);
        }
        NodeLife::Ready => delete_node(sh, services, slot),
        NodeLife::Deleting | NodeLife::Gone => {}
    }
    let node = &pool_of(sh).cluster.nodes[slot as usize];
    if node.generation == generation && node.life != NodeLife::Gone {
        sh.events.schedule(now + warning, Event::NodeReclaim { slot, generation });
    }
}

pub(crate) fn on_node_ready<'a>(
    sh: &mut Shared<'a>,
    services: &mut [Service<'a>],
    slot: u32,
    generation: u32,
) {
    let now = sh.now;
    let node = &mut pool_of(sh).cluster.nodes[slot as usize];
    if node.generation != generation || node.life != NodeLife::Provisioning {
        return;
    }
    node.life = NodeLife::Ready;
    node.changed_at = now;
    karpenter::end_replacement(sh, services, slot, true);
    place_all_pending(sh, services);
}

pub(crate) fn on_node_scan<'a>(sh: &mut Shared<'a>, services: &mut [Service<'a>]) {
    let pool = pool_of(sh).pool;
    let period = match &pool.autoscaler {
        NodeAutoscaler::ClusterAutoscaler(ca) => {
            cluster_autoscaler::scan(sh, services, ca);
            ca.scan_interval
        }
        NodeAutoscaler::Karpenter(k) => karpenter::disrupt(sh, services, k),
        NodeAutoscaler::Fixed => return,
    };
    sh.events.schedule(sh.now + period, Event::NodeScan);
}

/// The pods placed on node `n` (starting, ready or draining), as (service, slot).
fn pods_on(services: &[Service], n: u32) -> Vec<(usize, u32)> {
    let mut pods = Vec::new();
    for (s, service) in services.iter().enumerate() {
        for slot in 0..service.instances.len() as u32 {
            if service.node_of[slot as usize] == n && service.instances[slot as usize].life != Life::Stopped {
                pods.push((s, slot));
            }
        }
    }
    pods
}

/// Drains a node: its pods get replacements elsewhere (a ReplicaSet recreates an
/// evicted pod at once) and finish what they hold; the node goes with its last pod.
pub(super) fn delete_node<'a>(sh: &mut Shared<'a>, services: &mut [Service<'a>], n: u32) {
    let now = sh.now;
    let cluster = &mut pool_of(sh).cluster;
    cluster.nodes[n as usize].life = NodeLife::Deleting;
    if cluster.nodes[n as usize].pods == 0 {
        cluster.remove(n, now);
        return;
    }
    for (s, slot) in pods_on(services, n) {
        let service = &mut services[s];
        if service.instances[slot as usize].draining {
            continue;
        }
        service.drain(sh, slot);
        service.start_instance(sh, true);
        let inst = &service.instances[slot as usize];
        if inst.life == Life::Ready && inst.is_idle() {
            service.stop_instance(sh, slot);
        }
    }
}
