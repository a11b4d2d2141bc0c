//! The Cluster Autoscaler's expanders: which node group (machine type) a scale-up uses.
//!
//! Follows kubernetes/autoscaler `cluster-autoscaler/expander/`: every machine type that
//! can hold the pending pods is an option (so many nodes of it, scheduling so many pods),
//! and the expander keeps the best; ties that remain are broken at random, as the
//! expander chain's random fallback does (`expander/factory/chain.go`), except `price`,
//! which keeps the first best option it sees.

use crate::spec::{Expander, MachineType};
use crossover_engine::RngStream;

/// One way to scale up: `nodes` new nodes of machine type `machine`, on which `pods` of
/// the pending pods would be scheduled, asking `vcpu` and `memory_gib` in all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct ScaleUpOption {
    pub machine: usize,
    pub nodes: u32,
    pub pods: u32,
    pub vcpu: f64,
    pub memory_gib: f64,
    /// Some of those pods ask for GPUs.
    pub gpu_pods: bool,
}

/// The option the expander picks; None when there is none.
pub fn choose(
    expander: Expander,
    options: &[ScaleUpOption],
    machines: &[MachineType],
    cluster_nodes: u32,
    rng: &mut RngStream,
) -> Option<ScaleUpOption> {
    if options.len() <= 1 {
        return options.first().copied();
    }
    let best: Vec<ScaleUpOption> = match expander {
        Expander::Random => options.to_vec(),
        Expander::MostPods => {
            let most = options.iter().map(|o| o.pods).max().unwrap_or(0);
            options.iter().copied().filter(|o| o.pods == most).collect()
        }
        Expander::LeastWaste => {
            let score = |o: &ScaleUpOption| waste(o, &machines[o.machine]);
            let least = options.iter().map(score).fold(f64::INFINITY, f64::min);
            options.iter().copied().filter(|o| score(o) == least).collect()
        }
        Expander::Price => {
            let score = |o: &ScaleUpOption| price_score(o, &machines[o.machine], cluster_nodes);
            // Strictly lower wins: the first of equal scores stays (`price.go`).
            let mut best = options[0];
            for o in &options[1..] {
                if score(o) < score(&best) {
                    best = *o;
                }
            }
            vec![best]
        }
    };
    match best.len() {
        0 => None,
        1 => Some(best[0]),
        n => Some(best[((rng.open01() * n as f64) as usize).min(n - 1)]),
    }
}

/// `least-waste` (`expander/waste/waste.go`): the unused share of the new nodes' CPU plus
/// the unused share of their memory, over the nodes' capacity (not allocatable).
pub fn waste(o: &ScaleUpOption, m: &MachineType) -> f64 {
    let nodes = f64::from(o.nodes.max(1));
    let (cpu, memory) = (m.vcpu * nodes, m.memory_gib * nodes);
    (cpu - o.vcpu) / cpu + (memory - o.memory_gib) / memory
}

/// `price` (`expander/price/price.go`): (node price + stabilisation) / (pod price +
/// stabilisation) for the next hour, times how far the machine is from the node size
/// preferred for the cluster's size, that penalty fading as the option adds more nodes.
///
/// Upstream prices pods from the provider's per-vCPU and per-GiB base prices; crossover
/// knows only whole-machine prices, so it splits each machine's price between its vCPUs
/// and GiB in the ratio of GCE's base prices (0.004446 $/GiB-h to 0.033174 $/vCPU-h,
/// cluster-autoscaler `cloudprovider/gce/gce_price_model.go`).
pub fn price_score(o: &ScaleUpOption, m: &MachineType, cluster_nodes: u32) -> f64 {
    const GIB_PER_VCPU_PRICE: f64 = 0.004446 / 0.033174;
    let per_vcpu = m.hourly_usd / (m.vcpu + GIB_PER_VCPU_PRICE * m.memory_gib).max(1e-9);
    let price_of = |vcpu: f64, gib: f64| per_vcpu * (vcpu + GIB_PER_VCPU_PRICE * gib);
    // The stabilisation pod: 0.5 vCPU, 500 MiB.
    let stabilization = price_of(0.5, 500.0 / 1024.0);
    let node_price = m.hourly_usd * f64::from(o.nodes);
    let pod_price = price_of(o.vcpu, o.memory_gib);
    let sub_score = (node_price + stabilization) / (pod_price + stabilization);
    let preferred = preferred_vcpu(cluster_nodes);
    let unfitness = (preferred / m.vcpu).max(m.vcpu / preferred);
    let suppressed = (unfitness - 1.0) * (1.0 - (f64::from(o.nodes.max(1) - 1) / 15.0).tanh()) + 1.0;
    // GPU machines score 1000 upstream so that only GPU pods pick them.
    let fitness = if m.gpus > 0 && !o.gpu_pods { 1000.0 } else { suppressed };
    fitness * sub_score
}

/// The preferred node's vCPUs by cluster size (`expander/price/preferred.go`: the node
/// size doubles each time the cluster triples).
pub fn preferred_vcpu(cluster_nodes: u32) -> f64 {
    match cluster_nodes {
        0..=2 => 1.0,
        3..=6 => 2.0,
        7..=20 => 4.0,
        21..=60 => 8.0,
        61..=200 => 16.0,
        _ => 32.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cluster::tests::machine;
    use crossover_engine::StreamKey;

    fn rng() -> RngStream {
        RngStream::new(StreamKey { seed: 1, replication: 0, purpose: 7 })
    }

    /// Ten 1 vCPU / 2 GiB pods: 4 x 4-vCPU nodes (3 pods each) or 2 x 8-vCPU (7 each), or
    /// one high-memory 8-vCPU node with 64 GiB.
    fn options() -> (Vec<MachineType>, Vec<ScaleUpOption>) {
        let machines = vec![
            machine("std-4", 4.0, 16.0, 0.2),
            machine("std-8", 8.0, 32.0, 0.4),
            machine("mem-8", 8.0, 64.0, 0.5),
        ];
        let ten = |machine: usize, nodes: u32| ScaleUpOption {
            machine,
            nodes,
            pods: 10,
            vcpu: 10.0,
            memory_gib: 20.0,
            gpu_pods: false,
        };
        let options = vec![ten(0, 4), ten(1, 2), ten(2, 2)];
        (machines, options)
    }

    #[test]
    fn least_waste_adds_the_unused_cpu_and_memory_shares() {
        let (machines, options) = options();
        // std-4 x 4: CPU 6/16 + memory 44/64 unused; std-8 x 2: the same shares.
        let w: Vec<f64> = options.iter().map(|o| waste(o, &machines[o.machine])).collect();
        assert!((w[0] - (6.0 / 16.0 + 44.0 / 64.0)).abs() < 1e-12);
        assert!((w[1] - w[0]).abs() < 1e-12);
        assert!((w[2] - (6.0 / 16.0 + 108.0 / 128.0)).abs() < 1e-12);
        // The two equal options tie; the random fallback picks one of them, never mem-8.
        let mut r = rng();
        let mut seen = [0; 3];
        for _ in 0..200 {
            let o = choose(Expander::LeastWaste, &options, &machines, 3, &mut r).unwrap();
            seen[o.machine] += 1;
        }
        assert_eq!(seen[2], 0);
        assert!(seen[0] > 50 && seen[1] > 50, "{seen:?}");
    }

    #[test]
    fn most_pods_prefers_what_schedules_more() {
        let (machines, mut options) = options();
        options[1].pods = 9;
        options[2].pods = 9;
        let o = choose(Expander::MostPods, &options, &machines, 3, &mut rng()).unwrap();
        assert_eq!(o.machine, 0);
    }

    #[test]
    fn price_weighs_cost_and_the_preferred_node_size() {
        let (machines, options) = options();
        // Same price per pod for std-4 and std-8; in a cluster of 3 nodes the preferred
        // node has 2 vCPUs, so std-4 (unfitness 2, eased by its 4 nodes) beats std-8
        // (unfitness 4); the dearer mem-8 loses.
        let s: Vec<f64> = options.iter().map(|o| price_score(o, &machines[o.machine], 3)).collect();
        assert!(s[0] < s[1] && s[1] < s[2], "{s:?}");
        assert_eq!(choose(Expander::Price, &options, &machines, 3, &mut rng()).unwrap().machine, 0);
        // In a cluster of 30 nodes the preferred node has 8 vCPUs: std-8 wins.
        assert_eq!(choose(Expander::Price, &options, &machines, 30, &mut rng()).unwrap().machine, 1);
        assert_eq!([2, 6, 20, 60, 200, 201].map(preferred_vcpu), [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]);
    }

    #[test]
    fn random_picks_every_option_and_one_option_is_taken_as_is() {
        let (machines, options) = options();
        let mut r = rng();
        let mut seen = [0; 3];
        for _ in 0..300 {
            seen[choose(Expander::Random, &options, &machines, 3, &mut r).unwrap().machine] += 1;
        }
        assert!(seen.iter().all(|&n| n > 60), "{seen:?}");
        assert_eq!(choose(Expander::Random, &options[..1], &machines, 3, &mut r), Some(options[0]));
        assert_eq!(choose(Expander::Random, &[], &machines, 3, &mut r), None);
    }
}
