//! Memory must not grow with the number of requests simulated: the peak heap of a
//! simulation over 1 day and over 8 days differs by little (no per-request storage),
//! with or without the per-minute timeline, and the hot loop does not allocate per
//! request.

use crossover_platform::{simulate, SimInput};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};
use std::sync::Mutex;

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);
static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);
/// The counters are global: tests that read them run one at a time.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Relaxed);
        let now = CURRENT.fetch_add(layout.size(), Relaxed) + layout.size();
        PEAK.fetch_max(now, Relaxed);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        CURRENT.fetch_sub(layout.size(), Relaxed);
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Peak heap growth while simulating every platform of the default scenario.
fn peak_bytes(horizon: &str) -> (usize, u64) {
    let (peak, requests, _) = measure(horizon, false, &[]);
    (peak, requests)
}

/// Peak heap growth, requests and allocations made while simulating every platform of
/// the default scenario (those named in `only`, if any), with or without the per-minute
/// timeline.
fn measure(horizon: &str, timeline: bool, only: &[&str]) -> (usize, u64, usize) {
    let source =
        crossover_scenario::DEFAULT_SCENARIO.replace("horizon = \"7d\"", &format!("horizon = \"{horizon}\""));
    let s = crossover_scenario::parse(&source, "default", "default").unwrap();
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    let allocations = ALLOCATIONS.load(Relaxed);
    let mut requests = 0;
    for platform in s.platforms.iter().filter(|p| only.is_empty() || only.contains(&p.name.as_str())) {
        let out = simulate(&SimInput {
            platform,
            services: &s.services,
            horizon: s.horizon,
            seed: 1,
            replication: 0,
            timeline,
        });
        requests += out.counters.arrived;
    }
    (PEAK.load(Relaxed) - base, requests, ALLOCATIONS.load(Relaxed) - allocations)
}

#[test]
fn peak_heap_is_flat_in_the_horizon() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (one_day, n1) = peak_bytes("1d");
    let (eight_days, n8) = peak_bytes("8d");
    assert!(n8 > 5 * n1, "the longer run simulates many more requests: {n1} vs {n8}");
    assert!(
        (eight_days as f64) < 1.10 * one_day as f64,
        "peak heap grew with the horizon: {one_day} B for {n1} requests, {eight_days} B for {n8}"
    );
    // And it is small in absolute terms: a histogram and a few instances.
    assert!(eight_days < 8 << 20, "{eight_days} bytes");
}

/// The timeline keeps the busiest day and the day in progress, not every minute of the
/// horizon: from two days on, its memory is flat.
#[test]
fn peak_heap_with_the_timeline_is_flat_in_the_horizon() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let (two_days, n2, _) = measure("2d", true, &[]);
    let (eight_days, n8, _) = measure("8d", true, &[]);
    assert!(n8 > 3 * n2, "{n2} vs {n8}");
    assert!(
        (eight_days as f64) < 1.10 * two_days as f64,
        "peak heap grew with the horizon: {two_days} B over 2 days, {eight_days} B over 8 days"
    );
}

/// Requests never allocate on the serverless platforms: seven more days of requests add
/// fewer than one allocation per 10 of them. (Autoscaler ticks may: a reconciliation lists
/// the idle instances.) The default scenario's Kubernetes platforms are left out: under
/// the HPA and the node autoscalers they allocate per request (with them, the five
/// platforms made 20.1 M allocations for 16.3 M more requests), a known cost this test
/// does not hide by loosening its bound.
#[test]
fn the_hot_loop_does_not_allocate_per_request() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let serverless = ["cloud-run", "fargate", "lambda"];
    let (_, n1, a1) = measure("1d", false, &serverless);
    let (_, n8, a8) = measure("8d", false, &serverless);
    let (requests, allocations) = (n8 - n1, a8.saturating_sub(a1));
    assert!(requests > 2_000_000, "{requests}");
    assert!((allocations as u64) * 10 < requests, "{allocations} allocations for {requests} more requests");
}

/// A stack of five services (the default scenario's traffic split five ways) on Cloud Run
/// and on EKS, sharing one cluster there: its peak heap is flat in the horizon too, and
/// its serverless fleets do not allocate per request.
#[test]
fn a_stack_is_flat_in_the_horizon_and_does_not_allocate_per_request() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let stack = |horizon: &str| {
        let mut text = format!(
            "[simulation]\nhorizon = \"{horizon}\"\n[traffic]\nprofile = \"diurnal\"\ntrough_rps = 1.0\npeak_rps = 25.0\n"
        );
        for i in 0..5 {
            text.push_str(&format!(
                "[[service]]\nname = \"s{i}\"\ncpu = {{ dist = \"lognormal\", p50 = \"20ms\", p99 = \"250ms\" }}\n\
                 io = \"15ms\"\ntraffic = {{ share = 0.2 }}\n"
            ));
        }
        text.push_str("[[platform]]\nname = \"cloud-run\"\npreset = \"cloud-run\"\n[[platform]]\nname = \"eks\"\npreset = \"eks\"\n");
        crossover_scenario::parse(&text, "stack", "stack").unwrap()
    };
    let measure = |horizon: &str, platform: usize| {
        let s = stack(horizon);
        let base = CURRENT.load(Relaxed);
        PEAK.store(base, Relaxed);
        let allocations = ALLOCATIONS.load(Relaxed);
        let out = simulate(&SimInput {
            platform: &s.platforms[platform],
            services: &s.services,
            horizon: s.horizon,
            seed: 1,
            replication: 0,
            timeline: false,
        });
        (PEAK.load(Relaxed) - base, out.counters.arrived, ALLOCATIONS.load(Relaxed) - allocations)
    };
    for platform in [0, 1] {
        let (one_day, n1, a1) = measure("1d", platform);
        let (eight_days, n8, a8) = measure("8d", platform);
        assert!(n8 > 5 * n1, "{n1} vs {n8}");
        assert!(
            (eight_days as f64) < 1.10 * one_day as f64,
            "platform {platform}: peak heap grew with the horizon: {one_day} B for {n1} requests, {eight_days} B for {n8}"
        );
        if platform == 0 {
            let (requests, allocations) = (n8 - n1, a8.saturating_sub(a1));
            assert!(
                (allocations as u64) * 10 < requests,
                "{allocations} allocations for {requests} more requests"
            );
        }
    }
}

/// Trace files are read streaming, never whole: the peak heap of resolving a scenario
/// that replays one depends on what the parsed trace holds (its minutes; for recorded
/// timestamps, its requests), not on the size of the file. Four days of per-second counts
/// (345,601 rows) cost what four days of per-minute counts (5,761 rows) do; a thousand
/// functions of the Azure trace what one does; a request log with a 300-byte column the
/// replay ignores what the same log without it does. Read whole, each larger file would
/// add its own size (and the series its rows) to the peak.
#[test]
fn trace_files_are_read_streaming_not_whole() {
    let _alone = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let dir = tempfile::tempdir().unwrap();
    let peak = |contents: String, traffic: &str| -> (usize, usize) {
        std::fs::write(dir.path().join("trace.csv"), &contents).unwrap();
        let text = format!(
            "{traffic}\n[service]\ncpu = \"10ms\"\n[[platform]]\nname = \"fixed\"\n\
             autoscaler = {{ kind = \"fixed\", instances = 1 }}\n"
        );
        let base = CURRENT.load(Relaxed);
        PEAK.store(base, Relaxed);
        let s = crossover_scenario::parse_in(&text, "t.toml", "t", dir.path()).unwrap();
        let peak = PEAK.load(Relaxed) - base;
        drop(s);
        (peak, contents.len())
    };
    let series = "[traffic]\nprofile = \"series\"\nseries = { file = \"trace.csv\" }";
    let every = |seconds: u64| {
        let rows: String =
            (0..=4 * 86_400 / seconds).map(|k| format!("{},{}\n", k * seconds, seconds)).collect();
        format!("time,value\n{rows}")
    };
    let trace = "[traffic]\nprofile = \"trace\"\ntrace = { file = \"trace.csv\" }";
    let functions = |n: usize| {
        let minutes: Vec<String> = (1..=1440).map(|k| format!("minute_{k}")).collect();
        let row = vec!["12"; 1440].join(",");
        let rows: String = (0..n).map(|f| format!("f{f},a,o,{row}\n")).collect();
        format!("HashFunction,HashApp,HashOwner,{}\n{rows}", minutes.join(","))
    };
    let timestamps = "[traffic]\nprofile = \"timestamps\"\ntimestamps = { file = \"trace.csv\" }";
    let log = |agent: usize| {
        let agent = "a".repeat(agent);
        let rows: String = (0..20_000).map(|k| format!("{}.5,0.01,{agent}\n", k * 4)).collect();
        format!("timestamp,duration,user_agent\n{rows}")
    };
    for (what, traffic, small, large) in [
        ("series", series, every(60), every(1)),
        ("Azure trace", trace, functions(1), functions(1000)),
        ("timestamps", timestamps, log(1), log(300)),
    ] {
        let ((small_peak, small_size), (large_peak, large_size)) =
            (peak(small, traffic), peak(large, traffic));
        eprintln!(
            "{what}: {small_size} B file, peak {small_peak} B; {large_size} B file, peak {large_peak} B"
        );
        assert!(large_size > small_size + (2 << 20), "{what}: {small_size} vs {large_size}");
        assert!(
            large_peak < small_peak + (128 << 10),
            "{what}: the peak heap grew with the file: {small_peak} B for {small_size} B, \
             {large_peak} B for {large_size} B"
        );
    }
}
