//! Kubernetes capacity at the boundaries: pods wait for room on nodes, the Cluster
//! Autoscaler and Karpenter bring nodes after their provisioning time and take them
//! away again, bin-packing respects allocatable, and KEDA scales to and from zero.
//! Each scenario is small enough to work out by hand.

mod common;

use common::{run, scenario};
use crossover_runner::timeline;
use crossover_scenario::Scenario;

/// A pool of 4-vCPU nodes with nothing reserved: exactly four 1-vCPU pods per node.
const NODES_4X1: &str = r#"
reserved = "none"
machines = [{ name = "n4", cpu = 4, memory = "16GiB", hourly = 0.2 }]
"#;

/// One hour at `low` requests/s, one at `high`, then `low` again for `tail_hours`.
fn step(low: f64, high: f64, tail_hours: usize) -> String {
    let mut hours = vec![low; 24];
    hours[1] = high;
    for h in hours.iter_mut().skip(2 + tail_hours) {
        *h = 0.0;
    }
    format!("profile = \"hourly\"\nhourly_rps = {hours:?}")
}

/// The `[[platform]]` head of the node-pool tests: 1 vCPU / 2 GiB pods (5 s to start)
/// under an HPA at 50% CPU, behind a least-outstanding balancer.
fn hpa_pods(name: &str, max_instances: u32) -> String {
    format!(
        r#"[[platform]]
        name = "{name}"
        min_instances = 1
        max_instances = {max_instances}
        autoscaler = {{ kind = "hpa", metric = "cpu", target = 0.5 }}
        instance = {{ cpu = 1, memory = "2GiB", concurrency = 80, cold_start = "5s" }}
        router = {{ kind = "load-balancer", policy = "least-outstanding", timeout = "0s" }}"#
    )
}

fn k8s_scenario(horizon: &str, reps: u32, traffic: &str, platforms: &str) -> String {
    format!(
        r#"
        [simulation]
        horizon = "{horizon}"
        replications = {reps}
        [traffic]
        {traffic}
        [service]
        cpu = "20ms"
        {platforms}
        "#
    )
}

/// The step to 150 requests/s (3 vCPUs of work) asks the HPA for 6 pods, two more
/// than one node holds: the pending pods bring a second node after exactly the
/// provisioning time plus the wait for the next scan; after the load drops, the node
/// stays through the HPA's 5-minute window and the 10 minutes it must be unneeded.
#[test]
fn a_pending_pod_brings_a_node_which_goes_after_the_unneeded_time() {
    let platform = format!(
        r#"
        {head}
        [platform.nodes]
        {NODES_4X1}
        min = 1
        max = 5
        autoscaler = {{ kind = "cluster-autoscaler", provisioning = "90s" }}
        "#,
        head = hpa_pods("ca", 6)
    );
    let s = scenario(&k8s_scenario("3h", 2, &step(10.0, 150.0, 1), &platform));
    let result = run(&s);
    for r in &result.platforms[0].replications {
        assert_eq!(r.peak_nodes, 2, "{r:?}");
        // Pending from creation to the next scan (< 10 s), then 90 s of provisioning.
        assert!(r.pending_pods >= 2, "{r:?}");
        assert!((90.0..=100.0).contains(&r.mean_pending_secs), "{}", r.mean_pending_secs);
    }
    let tl = &timeline(&s, s.seed, 0)[0];
    let nodes = |minute: usize| tl.minutes[minute].mean_nodes;
    assert_eq!(nodes(30), 1.0);
    // The scale-up happens within the first minutes of hour 1.
    assert_eq!(nodes(90), 2.0);
    // Load drops at 120 min; pods go after the 5-minute stabilisation window; the node
    // must then be unneeded for 10 minutes: still there at minute 134 ...
    assert_eq!(nodes(134), 2.0);
    // ... and gone within a few scans after 135 (+ the HPA's 15 s sync and the scan).
    assert_eq!(nodes(137), 1.0);
    assert_eq!(nodes(179), 1.0);
}

/// Bin-packing: pods of 1 vCPU on e2-standard-4 (3.92 vCPU allocatable on GKE, less
/// 0.2 for daemonsets: 3.72) fit three per node; of 1.25 vCPU, two.
#[test]
fn bin_packing_respects_allocatable() {
    let run_with = |cpu: f64| {
        let platform = format!(
            r#"
            [[platform]]
            name = "fixed-pods"
            autoscaler = {{ kind = "fixed", instances = 10 }}
            instance = {{ cpu = {cpu}, memory = "2GiB", concurrency = 80 }}
            router = {{ kind = "load-balancer", policy = "random", timeout = "0s" }}
            [platform.nodes]
            reserved = "gke"
            daemonsets = {{ cpu = 0.2, memory = "300MiB" }}
            machines = [{{ name = "e2-standard-4", cpu = 4, memory = "16GiB", hourly = 0.134012 }}]
            min = 1
            max = 20
            autoscaler = {{ kind = "cluster-autoscaler", provisioning = "60s" }}
            billing = {{ rounding = "1s", minimum = "1m" }}
            "#
        );
        let s = scenario(&k8s_scenario("1h", 1, "profile = \"constant\"\nrps = 5.0", &platform));
        run(&s).platforms[0].replications[0].clone()
    };
    let three_per_node = run_with(1.0);
    assert_eq!((three_per_node.peak_nodes, three_per_node.mean_nodes), (4, 4.0));
    assert_eq!(three_per_node.pending_pods, 0, "all ten placed at once");
    // Four e2-standard-4 all month.
    assert!(
        (three_per_node.cost.nodes - 4.0 * 0.134012 * 730.0).abs() < 1e-6,
        "{}",
        three_per_node.cost.nodes
    );
    let two_per_node = run_with(1.25);
    assert_eq!((two_per_node.peak_nodes, two_per_node.mean_nodes), (5, 5.0));
}

/// The same burst on two clusters: one with room for the new pods, one full. The full
/// one's p99 carries the node provisioning time (90 s); the other's only the pod start.
#[test]
fn a_burst_on_a_full_cluster_shows_the_node_delay_in_p99_and_one_that_fits_does_not() {
    let platform = |name: &str, nodes: &str| {
        format!(
            r#"
            [[platform]]
            name = "{name}"
            min_instances = 1
            max_instances = 8
            autoscaler = {{ kind = "hpa", metric = "cpu", target = 0.6 }}
            instance = {{ cpu = 1, memory = "2GiB", concurrency = 1000, cold_start = "5s" }}
            router = {{ kind = "load-balancer", policy = "least-outstanding", timeout = "0s" }}
            [platform.nodes]
            reserved = "none"
            machines = [{{ name = "n1", cpu = 1, memory = "4GiB", hourly = 0.05 }}]
            {nodes}
            "#
        )
    };
    let platforms = platform("room", "min = 8\nmax = 8\nautoscaler = { kind = \"fixed\" }")
        + &platform(
            "full",
            "min = 1\nmax = 8\nautoscaler = { kind = \"cluster-autoscaler\", provisioning = \"90s\" }",
        );
    let s = scenario(&k8s_scenario("2h", 3, &step(5.0, 120.0, 0), &platforms));
    let result = run(&s);
    let (room, full) = (&result.platforms[0], &result.platforms[1]);
    for (r, f) in room.replications.iter().zip(&full.replications) {
        // 120 requests/s of 20 ms on one 1-vCPU pod: 2.4x overload until help comes.
        // With room, help comes after HPA syncs and a 5 s pod start, within ~35 s:
        // the backlog then drains in seconds.
        assert!(r.p99_ms < 40_000.0, "room p99 {} ms", r.p99_ms);
        // Full: help comes only after a scan and 90 s of provisioning; over 2% of the
        // requests arrive in that time, so p99 is at least about a minute.
        assert!(f.p99_ms > 60_000.0, "full p99 {} ms", f.p99_ms);
        assert!(f.p99_ms > r.p99_ms + 40_000.0);
        assert_eq!(r.pending_pods, 0);
        assert!(f.pending_pods > 0);
    }
}

/// KEDA in front of the HPA: an hour without traffic takes the deployment to zero
/// after the cooldown; the first request after it waits for a poll and a pod start.
#[test]
fn keda_scales_to_zero_and_back() {
    let platform = format!(
        r#"
        [[platform]]
        name = "keda"
        min_instances = 0
        max_instances = 4
        autoscaler = {{ kind = "hpa", metric = "rps", target = 50, keda = {{ polling = "30s", cooldown = "5m" }} }}
        instance = {{ cpu = 1, memory = "2GiB", concurrency = 80, cold_start = "5s" }}
        router = {{ kind = "load-balancer", policy = "random", timeout = "2m" }}
        [platform.nodes]
        {NODES_4X1}
        min = 1
        max = 2
        autoscaler = {{ kind = "fixed" }}
        "#
    );
    // Traffic in hour 0, none in hour 1, traffic again in hour 2.
    let hours: Vec<f64> = (0..24).map(|h| if h == 1 { 0.0 } else { 2.0 }).collect();
    let traffic = format!("profile = \"hourly\"\nhourly_rps = {hours:?}");
    let s = scenario(&k8s_scenario("3h", 2, &traffic, &platform));
    let result = run(&s);
    let p = &result.platforms[0];
    assert_eq!(p.totals().rejected, 0, "requests wait for the activation, none is dropped");
    let tl = &timeline(&s, s.seed, 0)[0];
    // From zero at the start: the first poll after the first request wakes one pod.
    assert!(tl.minutes[0].p99_ms.unwrap() >= 5_000.0, "{:?}", tl.minutes[0]);
    assert_eq!(tl.minutes[30].mean_instances, 1.0);
    // Idle from 60 min: zero once 5 minutes have passed and a poll has seen it.
    assert_eq!(tl.minutes[67].mean_instances, 0.0, "{:?}", &tl.minutes[60..68]);
    assert_eq!(tl.minutes[110].mean_instances, 0.0);
    // Traffic at 120 min: a pod within a poll and a start, and it stays.
    assert!(tl.minutes[120].mean_instances > 0.0);
    assert_eq!(tl.minutes[150].mean_instances, 1.0);
    // The requests that found no pod waited a poll (up to 30 s) plus the 5 s start.
    assert!(tl.minutes[120].p99_ms.unwrap() >= 5_000.0 && tl.minutes[120].p99_ms.unwrap() <= 36_000.0);
    // Cost: a pod only about two of the three hours.
    let r = &p.replications[0];
    assert!(r.mean_instances > 0.55 && r.mean_instances < 0.75, "{}", r.mean_instances);
}

/// The presets' provisioning times: Karpenter (batch, then 30-80 s) gets pending pods
/// onto a node faster than the Cluster Autoscaler on EKS (scan, then 60-180 s).
#[test]
fn karpenter_provisions_faster_than_the_cluster_autoscaler() {
    let platforms = r#"
        [[platform]]
        name = "eks"
        preset = "eks"
        [[platform]]
        name = "eks-karpenter"
        preset = "eks-karpenter"
        "#;
    let s = scenario(&k8s_scenario("3h", 3, &step(20.0, 400.0, 1), platforms));
    let result = run(&s);
    let (ca, karpenter) = (&result.platforms[0], &result.platforms[1]);
    for (c, k) in ca.replications.iter().zip(&karpenter.replications) {
        assert!(c.pending_pods > 0 && k.pending_pods > 0);
        // Triangular(60, 100, 180) has mean 113 s; a scan adds up to 10 s. Triangular
        // (30, 40, 80) has mean 50 s; the batch adds 1 to 10 s. Each bound is the
        // distribution's minimum or maximum plus its wait, so none can fail by chance.
        assert!(c.mean_pending_secs >= 60.0 && c.mean_pending_secs <= 190.0, "{}", c.mean_pending_secs);
        assert!(k.mean_pending_secs >= 31.0 && k.mean_pending_secs <= 90.0, "{}", k.mean_pending_secs);
        assert!(k.mean_pending_secs < c.mean_pending_secs);
        // (Not p99: both are set by the minutes before the first new node, and
        // Karpenter's consolidation evicts pods to replace nodes while the load lasts.)
    }
}

/// A pod larger than any node's allocatable is refused with the arithmetic, not left
/// pending forever: the article's 4 vCPU pod on a 4 vCPU m7g.xlarge.
#[test]
fn a_pod_that_fits_no_node_is_a_clear_error() {
    let toml = k8s_scenario(
        "1h",
        1,
        "profile = \"constant\"\nrps = 1.0",
        "[[platform]]\nname = \"eks\"\npreset = \"eks\"\ninstance = { cpu = 4, memory = \"8GiB\" }",
    );
    let err = crossover_scenario::parse(&toml, "t.toml", "t").unwrap_err().to_string();
    assert!(err.contains("fits on no node"), "{err}");
    assert!(err.contains("m7g.xlarge has 3.770 vCPU"), "{err}");
}

/// The article's worked example on Kubernetes: GKE Autopilot about $159 and EKS about
/// $192 (with the pod trimmed to fit the node), $311 with the 4 vCPU pod on the next
/// node size. Fixed fleets, so the figures are exact arithmetic of a 730-hour month.
#[test]
fn the_articles_kubernetes_figures_reproduce() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/article-worked-example.toml");
    let overrides = [
        crossover_scenario::Override::parse("simulation.horizon=6h").unwrap(),
        crossover_scenario::Override::parse("simulation.replications=1").unwrap(),
    ];
    let mut s = crossover_scenario::load_with_overrides(&path, &overrides).unwrap();
    let names = ["gke-autopilot-article", "eks-article-3.5-vcpu", "eks-4-vcpu-on-2xlarge"];
    s.select_platforms(&names.map(String::from)).unwrap();
    let result = run(&s);
    let cost = |i: usize| result.platforms[i].replications[0].cost;
    let autopilot = 4.0 * 0.0445 * 730.0 + 8.0 * 0.0049375 * 730.0;
    assert!((cost(0).infrastructure() - autopilot).abs() < 0.01, "{:?}", cost(0));
    assert!((autopilot - 158.77).abs() < 0.01);
    assert_eq!(cost(0).control_plane, 0.0, "the free-tier credit covers one cluster");
    let eks = 0.1632 * 730.0 + 73.0;
    assert!((cost(1).infrastructure() - eks).abs() < 0.01, "{:?}", cost(1));
    assert!((cost(2).infrastructure() - (0.3264 * 730.0 + 73.0)).abs() < 0.01, "{:?}", cost(2));
    // Overhead and TCO add the preset's fixed items and people on top.
    let c = cost(1);
    assert!((c.with_overhead() - (eks + 16.43 + 32.85 + 190.0)).abs() < 0.01);
    assert!((c.tco() - c.with_overhead() - 1.75 * 180_000.0 / 12.0).abs() < 0.01);
}

/// Twelve fixed 1-vCPU pods filling three Spot nodes under the Cluster Autoscaler, at
/// `rate_per_hour` reclaims per node-hour with a two-minute warning; `io` sets how
/// long requests run.
fn spot_platform(io: &str, rps: f64, rate_per_hour: f64) -> Scenario {
    let platform = format!(
        r#"
        [[platform]]
        name = "spot"
        autoscaler = {{ kind = "fixed", instances = 12 }}
        instance = {{ cpu = 1, memory = "2GiB", concurrency = 80, cold_start = "5s" }}
        router = {{ kind = "load-balancer", policy = "random", timeout = "0s" }}
        request_timeout = "1h"
        [platform.nodes]
        {NODES_4X1}
        min = 3
        max = 5
        autoscaler = {{ kind = "cluster-autoscaler", provisioning = "90s" }}
        interruptions = {{ rate_per_hour = {rate_per_hour}, warning = "2m" }}
        "#
    );
    let traffic = format!("profile = \"constant\"\nrps = {rps}");
    let toml = k8s_scenario("12h", 3, &traffic, &platform)
        .replace("[service]", &format!("[service]\nio = \"{io}\""));
    scenario(&toml)
}

/// A reclaimed node is cordoned and drained: its pods get replacements, which wait for a
/// new node, while the pods on the other nodes serve (two nodes are seldom reclaimed
/// within the same 100 s, three never in these runs). Short requests all finish within
/// the warning, so nothing is lost; reclaims come at the pool's rate per node-hour
/// exposed (Poisson, within four standard deviations).
#[test]
fn spot_reclaims_replace_nodes_and_lose_nothing_that_finishes_within_the_warning() {
    let s = spot_platform("0s", 20.0, 1.0);
    let result = run(&s);
    let (mut reclaims, mut exposed_hours) = (0u64, 0.0);
    for r in &result.platforms[0].replications {
        assert!(r.counters.is_conserved());
        assert_eq!(r.counters.rejected + r.counters.timed_out, 0, "{:?}", r.counters);
        assert!(r.counters.interruptions >= 5, "{:?}", r.counters);
        // Each reclaim sends the node's four pods to wait for a new node: the scan, then
        // 90 s of provisioning.
        assert!(r.pending_pods >= 4 * (r.counters.interruptions - 1), "{r:?}");
        assert!((90.0..=101.0).contains(&r.mean_pending_secs), "{}", r.mean_pending_secs);
        assert!(r.mean_nodes < 3.0 && r.peak_nodes == 3, "{r:?}");
        reclaims += r.counters.interruptions;
        // A drained node's 20 ms requests finish at once, so it leaves at the notice:
        // every node-hour counted in mean_nodes was exposed.
        exposed_hours += r.mean_nodes * 12.0;
    }
    let expected = 1.0 * exposed_hours;
    assert!(
        (reclaims as f64 - expected).abs() <= 4.0 * expected.sqrt(),
        "{reclaims} reclaims in {exposed_hours:.1} node-hours at 1 per node-hour"
    );
}

/// Ten-minute requests outlive the two-minute warning: those on a reclaimed node when
/// it is terminated are lost (counted as rejected), and only then.
#[test]
fn spot_reclaims_lose_the_requests_that_outlive_the_warning() {
    let s = spot_platform("10m", 0.5, 1.0);
    let result = run(&s);
    for r in &result.platforms[0].replications {
        assert!(r.counters.is_conserved());
        assert!(r.counters.interruptions > 0);
        assert!(r.counters.rejected > 0, "{:?}", r.counters);
        // At most what a node held: 0.5 requests/s x 600 s spread over three nodes, per reclaim.
        assert!(r.counters.rejected <= r.counters.interruptions * 200, "{:?}", r.counters);
    }
    // The same pool on demand loses nothing.
    let on_demand = spot_platform("10m", 0.5, 0.0);
    for r in &run(&on_demand).platforms[0].replications {
        assert_eq!((r.counters.interruptions, r.counters.rejected), (0, 0), "{:?}", r.counters);
    }
}

/// Karpenter with small (2 pods, $0.08/h) and large (8 pods, $0.14/h) nodes. The hour's
/// burst adds a large node beside the small one (the cheapest fit for four pending
/// pods); when the load drops back to two pods, consolidation deletes the small node
/// (its pods fit on the large one), then replaces the large node, holding two pods, with
/// a new small one: the pool ends on one $0.08 node instead of keeping the $0.14 one for
/// the ten quiet hours (measured: $0.086 per hour of the horizon, against $0.135 with
/// deletion alone).
#[test]
fn karpenter_replaces_a_node_with_a_cheaper_one_when_load_drops() {
    let platform = r#"
        [[platform]]
        name = "karpenter"
        min_instances = 2
        max_instances = 10
        autoscaler = { kind = "hpa", metric = "cpu", target = 0.5 }
        instance = { cpu = 1, memory = "2GiB", concurrency = 80, cold_start = "5s" }
        router = { kind = "load-balancer", policy = "least-outstanding", timeout = "0s" }
        [platform.nodes]
        reserved = "none"
        machines = [
          { name = "s", cpu = 2, memory = "8GiB", hourly = 0.08 },
          { name = "l", cpu = 8, memory = "32GiB", hourly = 0.14 },
        ]
        min = 1
        max = 5
        autoscaler = { kind = "karpenter", provisioning = "40s", consolidate_after = "1m" }
        "#;
    let s = scenario(&k8s_scenario("12h", 2, &step(10.0, 175.0, 10), platform));
    let result = run(&s);
    let hours = 12.0;
    for r in &result.platforms[0].replications {
        assert!(r.counters.is_conserved());
        // A drain evicts every pod of the node at once (no PodDisruptionBudget): while
        // the two replacements start (5 s) no pod is ready and the balancer answers 503.
        assert!(r.counters.rejected < r.counters.arrived / 100, "{:?}", r.counters);
        assert!(r.peak_nodes >= 2, "{}", r.peak_nodes);
        // Node bill per hour of the horizon: one small node most of the time, two nodes
        // for about the burst. Keeping the large node for the ten quiet hours instead
        // costs at least 10/12 x $0.14 = $0.117 per hour.
        let node_usd_per_hour = r.cost.nodes / crossover_platform::HOURS_PER_MONTH;
        assert!(node_usd_per_hour < 0.11, "{node_usd_per_hour} $/h over {hours} h");
    }
    let tl = &timeline(&s, s.seed, 0)[0];
    let last = tl.minutes.len() - 1;
    assert_eq!(tl.minutes[last].mean_nodes, 1.0, "one node at the end");
}

/// The Cluster Autoscaler's unneeded timers run through the cooldown after a scale-up
/// (cluster-autoscaler `core/static_autoscaler.go`: the planner updates them every loop
/// that did not scale up; `delay_after_add` only blocks the deletion). The second node comes
/// at about minute 60; the load drops at 120 and the pods go at about 125 (the HPA's
/// 5-minute window), so the node is unneeded from then. With a 70-minute delay after add
/// (to about 130) and a 10-minute unneeded time it goes at max(130, 135) = 135; with the
/// timers frozen through the cooldown it would stay until 140.
#[test]
fn cluster_autoscaler_unneeded_timers_run_through_the_cooldown() {
    let platform = format!(
        r#"
        {head}
        [platform.nodes]
        {NODES_4X1}
        min = 1
        max = 5
        autoscaler = {{ kind = "cluster-autoscaler", provisioning = "90s", delay_after_add = "70m", unneeded_time = "10m" }}
        "#,
        head = hpa_pods("ca", 6)
    );
    let s = scenario(&k8s_scenario("3h", 1, &step(10.0, 150.0, 1), &platform));
    let tl = &timeline(&s, s.seed, 0)[0];
    let nodes = |minute: usize| tl.minutes[minute].mean_nodes;
    assert_eq!(nodes(90), 2.0);
    assert_eq!(nodes(134), 2.0);
    assert_eq!(nodes(137), 1.0, "the node waited for the cooldown before its unneeded time started");
}

/// Empty nodes go together, up to `max_scale_down_parallelism` per loop (10 by default),
/// where nodes with pods go one per loop: at 350 requests/s of 20 ms (7 vCPUs of work) the
/// HPA at 50% asks for 14 to 16 pods (`max_instances`), four full nodes; when the load drops
/// the pods go at once (the legacy HPA has no scale-down rate), so three nodes are empty in
/// the same loop. One per 10-second loop keeps them 0, 10 and 20 s longer than together:
/// 30 node-seconds, priced exactly.
#[test]
fn cluster_autoscaler_deletes_empty_nodes_in_bulk() {
    let run_with = |parallelism: u32| {
        let platform = format!(
            r#"
            {head}
            [platform.nodes]
            {NODES_4X1}
            min = 1
            max = 10
            autoscaler = {{ kind = "cluster-autoscaler", provisioning = "90s", unneeded_time = "1m", delay_after_add = "1m", max_scale_down_parallelism = {parallelism} }}
            "#,
            head = hpa_pods("ca", 16)
        );
        let s = scenario(&k8s_scenario("4h", 1, &step(1.0, 350.0, 1), &platform));
        let r = &run(&s).platforms[0].replications[0];
        (r.cost.nodes, r.peak_nodes)
    };
    let ((bulk, peak), (one_by_one, peak_1)) = (run_with(10), run_with(1));
    assert_eq!((peak, peak_1), (4, 4));
    // $0.2 per node-hour, billed per second, scaled from 4 hours to a 730-hour month.
    let extra = 30.0 * 0.2 / 3600.0 * 730.0 / 4.0;
    assert!(((one_by_one - bulk) - extra).abs() < 1e-6, "{bulk} {one_by_one} peak {peak}");
}

/// Karpenter's disruption budget and validation (kubernetes-sigs/karpenter
/// `pkg/controllers/disruption`): the step of the bulk-deletion test above brings four
/// nodes; when the load drops three are empty at once. With the default budget of 10% of
/// four nodes (rounded up: one) they go one per loop, each loop waiting 15 s to validate
/// and 10 s to the next: 25 and 50 s later than all together under a 100% budget, 75
/// node-seconds. Without the validation wait the three go 15 s sooner each: 45 node-seconds.
#[test]
fn karpenter_disrupts_within_its_budget_after_validating() {
    let run_with = |budget: u32, validation: &str| {
        let platform = format!(
            r#"
            {head}
            [platform.nodes]
            {NODES_4X1}
            min = 1
            max = 10
            autoscaler = {{ kind = "karpenter", provisioning = "40s", consolidate_after = "1m", budget = {budget}, validation = "{validation}" }}
            "#,
            head = hpa_pods("karpenter", 16)
        );
        let s = scenario(&k8s_scenario("4h", 1, &step(1.0, 350.0, 1), &platform));
        let r = &run(&s).platforms[0].replications[0];
        assert!(r.counters.is_conserved());
        (r.cost.nodes, r.peak_nodes)
    };
    let node_seconds = |s: f64| s * 0.2 / 3600.0 * 730.0 / 4.0;
    let (one_at_a_time, peak) = run_with(10, "15s");
    let (together, peak_all) = run_with(100, "15s");
    let (unvalidated, peak_now) = run_with(100, "0s");
    assert_eq!((peak, peak_all, peak_now), (4, 4, 4));
    assert!(((one_at_a_time - together) - node_seconds(75.0)).abs() < 1e-6, "{one_at_a_time} {together}");
    assert!(((together - unvalidated) - node_seconds(45.0)).abs() < 1e-6, "{together} {unvalidated}");
}

/// The Cluster Autoscaler's expander chooses the machine type of a scale-up: two pods
/// pending beside a full 4-vCPU node fit one 2-vCPU node exactly, which `least-waste`
/// (the default) picks over another 4-vCPU node; a pool of 4-vCPU nodes alone pays for
/// the larger node.
#[test]
fn the_expander_picks_the_machine_type_that_wastes_least() {
    let run_with = |machines: &str, expander: &str| {
        let platform = format!(
            r#"
            {head}
            [platform.nodes]
            reserved = "none"
            machines = [{machines}]
            min = 1
            max = 5
            autoscaler = {{ kind = "cluster-autoscaler", provisioning = "90s", expander = "{expander}" }}
            "#,
            head = hpa_pods("ca", 6)
        );
        let s = scenario(&k8s_scenario("3h", 1, &step(10.0, 150.0, 1), &platform));
        let r = &run(&s).platforms[0].replications[0];
        assert_eq!(r.peak_nodes, 2, "{r:?}");
        r.cost.nodes
    };
    let n4 = r#"{ name = "n4", cpu = 4, memory = "16GiB", hourly = 0.2 }"#;
    let n2 = r#"{ name = "n2", cpu = 2, memory = "8GiB", hourly = 0.1 }"#;
    let both = format!("{n4}, {n2}");
    let least_waste = run_with(&both, "least-waste");
    let n4_only = run_with(n4, "least-waste");
    assert!(least_waste < n4_only - 0.5, "{least_waste} vs {n4_only}");
    // `price` picks the cheaper fit too; `most-pods` ties (both schedule the two pods).
    assert_eq!(run_with(&both, "price"), least_waste);
}

/// The HPA's behaviour as written: no `scale_up` / `scale_down` is upstream's legacy path;
/// either table sets `behavior`, the other direction taking Kubernetes' defaults; each
/// policy may have its own period; `downscale_stabilization` with `behavior` is refused
/// at its key.
#[test]
fn hpa_behavior_is_resolved_as_written() {
    use crossover_platform::spec::AutoscalerSpec;
    use crossover_platform::{HpaPolicy, HpaRules, HpaSelect};
    let hpa = |autoscaler: &str| {
        let src = k8s_scenario(
            "1h",
            1,
            "profile = \"constant\"\nrps = 1.0",
            &format!(
                r#"
                [[platform]]
                name = "k"
                min_instances = 1
                autoscaler = {autoscaler}
                instance = {{ cpu = 1, memory = "2GiB", concurrency = 80 }}
                router = {{ kind = "load-balancer", policy = "random", timeout = "0s" }}
                "#
            ),
        );
        crossover_scenario::parse(&src, "test.toml", "test")
            .map(|s| match &s.platforms[0].services[0].autoscaler {
                AutoscalerSpec::Hpa(h) => h.clone(),
                other => panic!("{other:?}"),
            })
            .map_err(|e| e.to_string())
    };
    let legacy =
        hpa(r#"{ kind = "hpa", metric = "cpu", target = 0.6, downscale_stabilization = "10m" }"#).unwrap();
    assert_eq!(legacy.behavior, None);
    assert_eq!(legacy.downscale_stabilization, crossover_engine::SimDuration::from_secs(600));
    let b = hpa(r#"{ kind = "hpa", metric = "cpu", target = 0.6, scale_up = { pods = 2, percent = 50, period = "15s", pods_period = "60s", select = "min" } }"#)
        .unwrap()
        .behavior
        .unwrap();
    assert_eq!(b.scale_down, HpaRules::default_down());
    let s = crossover_engine::SimDuration::from_secs;
    assert_eq!(
        b.scale_up.policies,
        vec![HpaPolicy::Pods { value: 2, period: s(60) }, HpaPolicy::Percent { value: 50, period: s(15) }]
    );
    assert_eq!(b.scale_up.select, HpaSelect::Min);
    let err = hpa(
        r#"{ kind = "hpa", metric = "cpu", target = 0.6, scale_down = {}, downscale_stabilization = "1m" }"#,
    )
    .unwrap_err();
    assert!(err.contains("downscale_stabilization") && err.contains("legacy"), "{err}");
    let err = hpa(r#"{ kind = "hpa", metric = "cpu", target = 0.6, scale_up = { pods = 0 } }"#).unwrap_err();
    assert!(err.contains("scale_up.pods") && err.contains("between 1 and 10000"), "{err}");
}

/// A nightly job whose pods do not fit the nodes brings a node up: at 01:00 four tasks
/// of 1 vCPU and 20 minutes each join the API's two pods on one 4-vCPU node. Two fit
/// beside the API; the other two wait for a second node (the next scan, then 90 s of
/// provisioning), and the run's makespan is their wait plus their 20 minutes. Once the
/// tasks exit, the second node is unneeded and goes 10 minutes later. The job's
/// allocated cost is its pods' requests at the node's price.
#[test]
fn a_nightly_job_that_does_not_fit_brings_a_node_which_then_goes() {
    let text = format!(
        r#"
        [simulation]
        horizon = "3h"
        replications = 2
        [[service]]
        name = "api"
        cpu = "10ms"
        traffic = {{ profile = "constant", rps = 1 }}
        [[service]]
        name = "nightly"
        kind = "cron"
        schedule = "0 1 * * *"
        tasks = 4
        parallelism = 4
        cpu = "20m"
        [[platform]]
        name = "ca"
        autoscaler = {{ kind = "fixed", instances = 2 }}
        instance = {{ cpu = 1, memory = "2GiB", concurrency = 80, cold_start = "5s" }}
        router = {{ kind = "load-balancer", policy = "least-outstanding", timeout = "0s" }}
        [platform.cron]
        [platform.nodes]
        {NODES_4X1}
        min = 1
        max = 5
        autoscaler = {{ kind = "cluster-autoscaler", provisioning = "90s" }}
        "#
    );
    let s = scenario(&text);
    let result = run(&s);
    let p = &result.platforms[0];
    for r in &p.replications {
        assert_eq!(r.peak_nodes, 2, "{r:?}");
        let job = &r.services[1];
        assert_eq!((job.jobs.runs, job.jobs.finished_runs), (1, 1), "{:?}", job.jobs);
        assert_eq!(job.counters.completed, 4);
        // Two tasks start at once (5 s, then 20 min); two wait for the node: a scan
        // (< 10 s), 90 s of provisioning, 5 s of start, 20 min.
        let makespan = job.jobs.makespan_p99_secs;
        assert!((1295.0..=1310.0).contains(&makespan), "{makespan}");
        assert_eq!(job.pending_pods, 2, "{job:?}");
    }
    let tl = &timeline(&s, s.seed, 0)[0];
    let nodes = |minute: usize| tl.minutes[minute].mean_nodes;
    assert_eq!(nodes(50), 1.0);
    assert_eq!(nodes(70), 2.0);
    // The last tasks end about 21.8 minutes past 01:00; the node is unneeded 10 minutes
    // after that, and gone within a scan or two.
    assert_eq!(nodes(90), 2.0);
    assert_eq!(nodes(95), 1.0);
    assert_eq!(nodes(170), 1.0);
}

/// A worker scaled by KEDA on its queue goes to zero pods when the queue is empty and
/// comes back when jobs arrive, losing none: every job that arrived is done or still
/// queued at the end, none refused or timed out.
#[test]
fn a_queue_worker_goes_to_zero_and_back_without_losing_a_job() {
    let mut hours = vec![0.0; 24];
    hours[0] = 2.0;
    hours[3] = 2.0;
    let text = format!(
        r#"
        [simulation]
        horizon = "6h"
        replications = 3
        [[service]]
        name = "jobs"
        kind = "worker"
        cpu = {{ dist = "exponential", mean = "1s" }}
        traffic = {{ profile = "hourly", hourly_rps = {hours:?} }}
        [[platform]]
        name = "keda"
        min_instances = 0
        max_instances = 20
        autoscaler = {{ kind = "hpa", metric = "queue", target = 5.0, keda = {{ polling = "30s", cooldown = "5m" }} }}
        instance = {{ cpu = 1, memory = "2GiB", concurrency = 1, cold_start = "5s" }}
        [platform.nodes]
        {NODES_4X1}
        min = 1
        max = 10
        autoscaler = {{ kind = "cluster-autoscaler", provisioning = "90s" }}
        "#
    );
    let s = scenario(&text);
    let result = run(&s);
    let p = &result.platforms[0];
    let t = p.totals();
    assert!(t.is_conserved(), "{t:?}");
    assert_eq!((t.rejected, t.timed_out), (0, 0), "{t:?}");
    assert!(t.arrived > 3 * 2 * 2 * 3000, "{t:?}");
    assert!(t.completed + t.in_flight == t.arrived);
    let tl = &timeline(&s, s.seed, 0)[0];
    let pods = |minute: usize| tl.minutes[minute].mean_instances;
    assert!(pods(30) >= 1.0, "busy in hour 0: {}", pods(30));
    // The queue empties early in hour 1; five minutes of cooldown later: no pod.
    assert_eq!(pods(150), 0.0);
    assert!(pods(200) >= 1.0, "back in hour 3: {}", pods(200));
    assert_eq!(pods(330), 0.0);
}
