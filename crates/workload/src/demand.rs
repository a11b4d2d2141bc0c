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

/// A part of a request's demand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum DemandPart {
    #[default]
    Cpu,
    Io,
}

/// A duration recorded with a replayed request, standing in for one part of its demand.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordedDemand {
    pub part: DemandPart,
    pub duration: SimDuration,
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

    /// Draws as `draw`, then lets a recorded duration replace its part. Both parts are
    /// still drawn, so a request's draws do not depend on what the trace recorded.
    #[inline]
    pub fn draw_recorded(&self, rng: &mut RngStream, recorded: Option<RecordedDemand>) -> RequestDemand {
        let mut d = self.draw(rng);
        match recorded {
            Some(RecordedDemand { part: DemandPart::Cpu, duration }) => d.cpu = duration,
            Some(RecordedDemand { part: DemandPart::Io, duration }) => d.io = duration,
            None => {}
        }
        d
    }

    /// Mean service time on an uncontended instance, in seconds.
    pub fn mean_secs(&self) -> f64 {
        self.cpu.mean() + self.io.mean()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossover_engine::StreamKey;

    #[test]
    fn a_recorded_duration_replaces_its_part_only() {
        let demand = Demand { cpu: Dist::exponential(0.05).unwrap(), io: Dist::exponential(0.02).unwrap() };
        let key = StreamKey::new(1, 0, 7);
        let plain = demand.draw(&mut RngStream::new(key));
        let seven = SimDuration::from_millis(7);
        let cpu = demand.draw_recorded(
            &mut RngStream::new(key),
            Some(RecordedDemand { part: DemandPart::Cpu, duration: seven }),
        );
        assert_eq!(cpu, RequestDemand { cpu: seven, io: plain.io });
        let io = demand.draw_recorded(
            &mut RngStream::new(key),
            Some(RecordedDemand { part: DemandPart::Io, duration: seven }),
        );
        assert_eq!(io, RequestDemand { cpu: plain.cpu, io: seven });
        assert_eq!(demand.draw_recorded(&mut RngStream::new(key), None), plain);
    }
}
