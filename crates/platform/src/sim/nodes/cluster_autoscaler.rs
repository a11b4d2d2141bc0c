//! The Kubernetes Cluster Autoscaler's loop over a stack's node pool: scale up for every
//! service's pending pods, scale down nodes whose pods fit elsewhere.

use super::{delete_node, pool_of, provision_node};
use crate::cluster::NodeLife;
use crate::expander::{self, ScaleUpOption};
use crate::sim::service::Service;
use crate::sim::Shared;
use crate::spec::ClusterAutoscaler;

/// One Cluster Autoscaler loop (`core/static_autoscaler.go` RunOnce): nodes for pending
/// pods (bin-packed onto the nodes already on their way first, the rest estimated per
/// node group by first-fit decreasing, as `estimator/binpacking_estimator.go` does),
/// and a loop that scaled up ends there. Otherwise every node's unneeded timer is
/// brought up to date (also during the cooldown after a scale-up, which blocks only the
/// deletion: a node goes at max(delay_after_add, unneeded_time)); then, out of cooldown
/// and with no pod pending, the empty nodes unneeded long enough go together, up to
/// `max_scale_down_parallelism`, and at most one node with pods is drained.
pub(super) fn scan<'a>(sh: &mut Shared<'a>, services: &mut [Service<'a>], ca: &ClusterAutoscaler) {
    let now = sh.now;
    let nodes = pool_of(sh);
    let pool = nodes.pool;
    let cluster = &nodes.cluster;
    let pending = nodes.pending.len();
    if pending > 0 {
        let uncovered = cluster.uncovered(&nodes.pending_counts());
        let room = pool.max_nodes.saturating_sub(cluster.alive);
        // Every machine type that holds a pod is a node group to expand.
        let options: Vec<ScaleUpOption> = (0..pool.machines.len())
            .map(|m| {
                let (nodes, pods, vcpu, memory_gib) = cluster.estimate(m, &uncovered, room);
                let gpu_pods = uncovered.iter().any(|&(s, _)| cluster.shapes[s].gpus > 0);
                ScaleUpOption { machine: m, nodes, pods, vcpu, memory_gib, gpu_pods }
            })
            .filter(|o| o.nodes > 0)
            .collect();
        let size = cluster.serving_nodes();
        if let Some(o) =
            expander::choose(ca.expander, &options, &pool.machines, size, &mut nodes.expander_rng)
        {
            for _ in 0..o.nodes {
                provision_node(sh, o.machine);
            }
            return;
        }
    }
    let nodes = pool_of(sh);
    let cluster = &mut nodes.cluster;
    let cooldown = cluster.last_scale_up.is_some_and(|t| now < t + ca.delay_after_add);
    let mut ripe = Vec::new();
    for n in 0..cluster.nodes.len() {
        if cluster.nodes[n].life != NodeLife::Ready {
            continue;
        }
        let unneeded = cluster.utilization(n) < ca.utilization_threshold
            && cluster.fits_outside(n, &[n])
            && cluster.serving_nodes() > pool.min_nodes;
        let node = &mut cluster.nodes[n];
        if !unneeded {
            node.unneeded_since = None;
            continue;
        }
        let since = *node.unneeded_since.get_or_insert(now);
        if now >= since + ca.unneeded_time {
            ripe.push(n);
        }
    }
    if cooldown || pending > 0 {
        return;
    }
    let mut deleted: Vec<usize> = Vec::new();
    let mut serving = cluster.serving_nodes();
    for &n in &ripe {
        if cluster.nodes[n].pods == 0
            && deleted.len() < ca.max_scale_down_parallelism as usize
            && serving > pool.min_nodes
        {
            deleted.push(n);
            serving -= 1;
        }
    }
    // One node with pods, whose pods fit on what stays.
    let drained = ripe.iter().copied().find(|&n| {
        let mut outside = deleted.clone();
        outside.push(n);
        cluster.nodes[n].pods > 0
            && deleted.len() < ca.max_scale_down_parallelism as usize
            && serving > pool.min_nodes
            && cluster.fits_outside(n, &outside)
    });
    for n in deleted.into_iter().chain(drained) {
        delete_node(sh, services, n as u32);
    }
}
