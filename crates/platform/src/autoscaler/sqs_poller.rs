//! Lambda's SQS event source mapping: pollers read the queue and invoke the function,
//! one execution environment per batch in flight (a job here). "When messages are
//! available, Lambda starts processing five batches at a time with five concurrent
//! invocations of your function. If messages are still available, Lambda increases the
//! number of processes that are reading batches by up to 300 more instances per minute"
//! up to its maximum, and "when traffic is low, Lambda scales back the processing to five
//! concurrent batches" (AWS Lambda developer guide, "Configuring scaling behavior for SQS
//! event source mappings", docs.aws.amazon.com/lambda/latest/dg/services-sqs-scaling.html,
//! 2026-12). So the concurrency a worker may reach is a cap that starts at `initial`,
//! rises by `per_minute` at each minute that ends with jobs still waiting, and falls back
//! to `initial` at a minute that ends with none.

use crate::spec::SqsPoller;
use crossover_engine::SimDuration;

/// The minute the mapping's concurrency moves by.
pub(crate) const PERIOD: SimDuration = SimDuration::from_secs(60);

/// The concurrency the mapping allows now.
#[derive(Clone, Debug)]
pub struct SqsPollerState {
    cap: u32,
}

impl SqsPollerState {
    pub fn new(cfg: &SqsPoller) -> Self {
        SqsPollerState { cap: cfg.initial }
    }

    pub fn cap(&self) -> u32 {
        self.cap
    }

    /// A minute ends with `waiting` jobs not taken: the new cap, at most `max`.
    pub fn minute(&mut self, cfg: &SqsPoller, waiting: u64, max: u32) -> u32 {
        self.cap = if waiting > 0 { self.cap.saturating_add(cfg.per_minute).min(max) } else { cfg.initial };
        self.cap
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_then_three_hundred_more_a_minute_while_jobs_wait_then_five_again() {
        let cfg = SqsPoller { keep_alive: SimDuration::from_secs(600), initial: 5, per_minute: 300 };
        let mut s = SqsPollerState::new(&cfg);
        assert_eq!(s.cap(), 5);
        assert_eq!(s.minute(&cfg, 10_000, 1000), 305);
        assert_eq!(s.minute(&cfg, 10_000, 1000), 605);
        assert_eq!(s.minute(&cfg, 10_000, 1000), 905);
        assert_eq!(s.minute(&cfg, 10_000, 1000), 1000, "at most the mapping's maximum");
        assert_eq!(s.minute(&cfg, 1, 1000), 1000);
        assert_eq!(s.minute(&cfg, 0, 1000), 5, "the queue drained: back to five");
    }
}
