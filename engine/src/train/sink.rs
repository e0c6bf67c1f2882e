//! How a run reports progress: batch progress, finished epochs and finished runs go to a
//! [`ProgressSink`] (progress bars in the CLI, the store and SSE in the server).

use api::{EpochMetrics, RunReport};

/// Something that happened during training.
#[derive(Debug)]
pub enum TrainEvent<'a> {
    /// A run starts (or resumes after `resumed_after_epoch`).
    RunStarted {
        /// The run.
        run_id: &'a str,
        /// Epochs in the budget.
        epochs: usize,
        /// Epochs already done (resumed from a checkpoint).
        resumed_after_epoch: usize,
        /// The device's name.
        device: &'a str,
        /// Metrics of the epochs already done, so a store can fill in any it missed.
        completed: &'a [EpochMetrics],
    },
    /// The teacher's outputs for the training set were computed once for the whole run.
    TeacherCached {
        /// The run.
        run_id: &'a str,
        /// Bytes the cache holds.
        bytes: usize,
        /// Whether it holds stage features too (not only logits).
        features: bool,
    },
    /// A batch finished.
    Batch {
        /// The run.
        run_id: &'a str,
        /// 1-based epoch.
        epoch: usize,
        /// Batches done this epoch.
        batch: usize,
        /// Batches in this epoch.
        batches: usize,
        /// The batch's total loss.
        loss: f64,
    },
    /// An epoch finished, was evaluated and checkpointed.
    Epoch {
        /// The run.
        run_id: &'a str,
        /// Epochs in the budget.
        epochs: usize,
        /// Its metrics.
        metrics: &'a EpochMetrics,
    },
    /// A run finished and was measured.
    RunFinished {
        /// Its report.
        report: &'a RunReport,
    },
}

/// Receives training events. Called on the training thread (or a thread of the run's own
/// pool): keep it quick.
pub trait ProgressSink: Send {
    /// Handles one event.
    fn event(&mut self, event: TrainEvent<'_>);
}

/// Discards events.
#[derive(Debug, Default)]
pub struct NullSink;

impl ProgressSink for NullSink {
    fn event(&mut self, _event: TrainEvent<'_>) {}
}

impl<F: FnMut(TrainEvent<'_>) + Send> ProgressSink for F {
    fn event(&mut self, event: TrainEvent<'_>) {
        self(event)
    }
}
