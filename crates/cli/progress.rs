//! The progress bar of `crossover run`: jobs (replication x platform) done, with an ETA.
//! Shown only when stderr is a terminal and `--quiet` is not given; the runner only
//! calls a plain callback, so no terminal code lives below the command line.

use crossover_runner::Progress;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::Arc;

/// A bar over `jobs` (of which `done` are already done), or nothing when it would not be
/// seen.
pub struct Bar(Option<ProgressBar>);

impl Bar {
    pub fn new(jobs: usize, done: usize, quiet: bool) -> Bar {
        if quiet || !std::io::stderr().is_terminal() {
            return Bar(None);
        }
        let bar = ProgressBar::with_draw_target(Some(jobs as u64), ProgressDrawTarget::stderr());
        let style =
            ProgressStyle::with_template("{bar:40} {pos}/{len} simulations, {elapsed} elapsed, ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_position(done as u64);
        Bar(Some(bar))
    }

    /// A bar for a sweep, whose rounds are sized as they start (adaptive replications
    /// add rounds): the callback sets the length with the position.
    pub fn rounds(quiet: bool) -> Bar {
        let bar = Bar::new(0, 0, quiet);
        if let Some(b) = &bar.0 {
            b.set_style(
                ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} simulations of this round, {elapsed} elapsed, ETA {eta}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
        }
        bar
    }

    /// The callback the runner calls after each job.
    pub fn callback(&self) -> Option<Progress> {
        let bar = self.0.clone()?;
        Some(Progress(Arc::new(move |done, total| {
            if bar.length() != Some(total as u64) {
                bar.set_length(total as u64);
                bar.reset_eta();
            }
            bar.set_position(done as u64)
        })))
    }

    /// Prints a line without tearing the bar.
    pub fn suspend(&self, f: impl FnOnce()) {
        match &self.0 {
            Some(bar) => bar.suspend(f),
            None => f(),
        }
    }

    /// Removes the bar before the summary is printed.
    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
