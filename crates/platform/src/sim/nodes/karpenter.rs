//! Karpenter's loops over a stack's node pool: batches of pending pods (of every service)
//! launched as the cheapest NodeClaims that hold them, and disruption (emptiness, then
//! consolidation) within the NodePool's budget.

use super::{delete_node, pool_of, provision_node, Nodes};
use crate::cluster::{Consolidation, NodeLife, Replacement};
use crate::sim::service::Service;
use crate::sim::{Event, Shared};
use crate::spec::{Karpenter, NodeAutoscaler};
use crossover_engine::{SimDuration, SimTime};

/// Karpenter's disruption loop (kubernetes-sigs/karpenter `pkg/controllers/disruption`),
/// over nodes whose pods have been unchanged for `consolidate_after`: one decision per
/// loop, emptiness first (empty nodes go together), else one consolidation (see
/// `Cluster::consolidation`), all within the NodePool's disruption budget. A decision
/// waits `validation` (15 s) and is carried out only if the loop then decides the same;
/// the next loop comes `scan_interval` after that. Returns the time to the next loop.
pub(super) fn disrupt<'a>(sh: &mut Shared<'a>, services: &mut [Service<'a>], k: &Karpenter) -> SimDuration {
    let now = sh.now;
    let nodes = pool_of(sh);
    let command = disruption_command(nodes, k, now);
    let validated = nodes.cluster.validating.take();
    let Some(command) = command else { return k.scan_interval };
    if k.validation > SimDuration::ZERO && validated.as_ref() != Some(&command) {
        // A new decision (or one that changed while it waited): wait, then look again.
        nodes.cluster.validating = Some(command);
        return k.validation;
    }
    match command.launch {
        None => {
            for n in command.nodes {
                delete_node(sh, services, n);
            }
        }
        Some(m) => {
            for &n in &command.nodes {
                nodes.cluster.nodes[n as usize].cordoned = true;
            }
            let node = provision_node(sh, m);
            let cluster = &mut pool_of(sh).cluster;
            let generation = cluster.nodes[node as usize].generation;
            cluster.replacing = Some(Replacement { node, generation, old: command.nodes });
        }
    }
    k.scan_interval
}

/// A consolidation's replacement node is Ready: the nodes it replaces are drained
/// (their pods' replacements go to it); or it never came (reclaimed while
/// provisioning): they are uncordoned.
pub(super) fn end_replacement<'a>(sh: &mut Shared<'a>, services: &mut [Service<'a>], node: u32, ready: bool) {
    let cluster = &mut pool_of(sh).cluster;
    let generation = cluster.nodes[node as usize].generation;
    let Some(r) = cluster.replacing.take_if(|r| r.node == node && r.generation == generation) else {
        return;
    };
    for old in r.old {
        let cluster = &mut pool_of(sh).cluster;
        cluster.nodes[old as usize].cordoned = false;
        if ready && cluster.nodes[old as usize].life == NodeLife::Ready {
            delete_node(sh, services, old);
        }
    }
}

/// Karpenter's batch: once no pod has gone pending for `batch_idle` (or the window has
/// lasted `batch_max`), launch the cheapest nodes for the pods still uncovered.
pub(crate) fn on_node_batch(sh: &mut Shared) {
    let now = sh.now;
    let nodes = pool_of(sh);
    let NodeAutoscaler::Karpenter(k) = &nodes.pool.autoscaler else { return };
    let Some((opened, last)) = nodes.cluster.batch else { return };
    let deadline = (last + k.batch_idle).min(opened + k.batch_max);
    if now < deadline {
        sh.events.schedule(deadline, Event::NodeBatch);
        return;
    }
    nodes.cluster.batch = None;
    let uncovered = nodes.cluster.uncovered(&nodes.pending_counts());
    let room = nodes.pool.max_nodes.saturating_sub(nodes.cluster.alive) as usize;
    for m in nodes.cluster.karpenter_launches(&uncovered).into_iter().take(room) {
        provision_node(sh, m);
    }
}

/// What the disruption loop would do now, if anything.
fn disruption_command(nodes: &Nodes, k: &Karpenter, now: SimTime) -> Option<Consolidation> {
    let (pool, cluster) = (nodes.pool, &nodes.cluster);
    if !nodes.pending.is_empty() || cluster.replacing.is_some() {
        return None;
    }
    let mut allowed = cluster.allowed_disruptions(k.budget_percent) as usize;
    let settled = |n: usize| {
        let node = &cluster.nodes[n];
        node.life == NodeLife::Ready && !node.cordoned && now >= node.changed_at + k.consolidate_after
    };
    let spare = cluster.serving_nodes().saturating_sub(pool.min_nodes) as usize;
    let empty: Vec<u32> = (0..cluster.nodes.len())
        .filter(|&n| settled(n) && cluster.nodes[n].pods == 0)
        .take(allowed.min(spare))
        .map(|n| n as u32)
        .collect();
    if !empty.is_empty() {
        return Some(Consolidation { launch: None, nodes: empty });
    }
    let mut candidates: Vec<usize> = (0..cluster.nodes.len()).filter(|&n| settled(n)).collect();
    candidates.sort_by_key(|&n| (cluster.nodes[n].pods, n));
    allowed = allowed.min(candidates.len());
    candidates.truncate(allowed);
    let plan = cluster.consolidation(&candidates)?;
    let after = cluster.serving_nodes() + u32::from(plan.launch.is_some()) - plan.nodes.len() as u32;
    if after < pool.min_nodes || (plan.launch.is_some() && cluster.alive >= pool.max_nodes) {
        return None;
    }
    Some(plan)
}
