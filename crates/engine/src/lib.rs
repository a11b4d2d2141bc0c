//! The discrete-event simulation kernel.
//!
//! Everything here is domain-free: it knows about time, events, random numbers and
//! statistics, and nothing about clouds, requests or files. It does no I/O, spawns no
//! threads and never reads the clock, so a simulation built on it is a pure function
//! of its inputs.

pub mod indexed;
pub mod queue;
pub mod recorder;
pub mod rng;
pub mod stats;
pub mod time;

pub use indexed::IndexedHeap;
pub use queue::EventQueue;
pub use recorder::{LatencyRecorder, WindowQuantiles};
pub use rng::{RngStream, StreamKey, Streams, DEFAULT_SCOPE};
pub use stats::{mean_ci95, MeanCi};
pub use time::{SimDuration, SimTime};
