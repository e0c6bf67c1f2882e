//! Server-sent events of one experiment (`GET /api/experiments/{id}/events`). The SSE event
//! name is the `type` field.

use serde::{Deserialize, Serialize};

use crate::{
    EpochMetrics, ExperimentDetail, ExperimentSummary, RunProgress, RunStatus, RunSummary,
};

/// Something that happened to an experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ExperimentEvent {
    /// Sent first to every client: the experiment as it is now.
    Snapshot {
        /// The experiment.
        experiment: Box<ExperimentDetail>,
    },
    /// A run trained some batches (at most a few per second per run).
    Progress {
        /// Where it is.
        progress: RunProgress,
    },
    /// A run finished an epoch; its metrics are stored.
    Epoch {
        /// The run.
        run_id: String,
        /// The epoch's metrics.
        metrics: EpochMetrics,
    },
    /// A run changed status (started, succeeded, failed, was reused, ...).
    Run {
        /// The run as it is now.
        run: Box<RunSummary>,
    },
    /// The experiment's summary changed.
    Experiment {
        /// The summary.
        summary: ExperimentSummary,
    },
    /// The experiment ended; no more events follow.
    End {
        /// How it ended.
        status: RunStatus,
    },
}
