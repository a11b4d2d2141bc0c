//! Per-request demand: CPU work (processor-shared on the instance) and I/O wait
//! (holds a concurrency slot but no CPU), both drawn at arrival.

use crate::dist::Dist;
use crossover_engine::{RngStream, SimDuration};

#[derive(Clone, Debug, PartialEq)]
pub struct Demand {
    /// CPU time the request needs on one dedicated vCPU.
    pub cpu: Dist,
    /// Time spent waiting on I/O (database, downstream calls) after the CPU work.
    pub io: Dist,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RequestDemand {
    pub cpu: SimDuration,
    pub io: SimDuration,
}

impl Demand {
    /// Draws CPU work then I/O wait, always in that order, so the stream stays aligned
    /// across platforms.
    #[inline]
    pub fn draw(&self, rng: &mut RngStream) -> RequestDemand {
        let cpu = self.cpu.sample(rng);
        let io = self.io.sample(rng);
        RequestDemand { cpu, io }
    }

    /// Mean service time on an uncontended instance, in seconds.
    pub fn mean_secs(&self) -> f64 {
        self.cpu.mean() + self.io.mean()
    }
}
