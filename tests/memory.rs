//! Memory must not grow with the number of requests simulated: the peak heap of a
//! simulation over 1 day and over 8 days differs by little (no per-request storage).

use crossover_platform::{simulate, SimInput};
use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering::Relaxed};

struct Counting;
static CURRENT: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
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
    let source =
        crossover_scenario::DEFAULT_SCENARIO.replace("horizon = \"7d\"", &format!("horizon = \"{horizon}\""));
    let s = crossover_scenario::parse(&source, "default", "default").unwrap();
    let base = CURRENT.load(Relaxed);
    PEAK.store(base, Relaxed);
    let mut requests = 0;
    for platform in &s.platforms {
        let out = simulate(&SimInput {
            platform,
            traffic: &s.traffic,
            demand: &s.demand,
            horizon: s.horizon,
            seed: 1,
            replication: 0,
            response_gb: 0.0,
            timeline: false,
        });
        requests += out.counters.arrived;
    }
    (PEAK.load(Relaxed) - base, requests)
}

#[test]
fn peak_heap_is_flat_in_the_horizon() {
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
