//! Experiments and runs as the server tracks them: status, progress, summaries and details.

use serde::{Deserialize, Serialize};

use crate::{Architecture, DatasetName, ExperimentSpec, ModelMeasurements, ModelSummary, RunKind};

/// Where a run (or an experiment) is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Waiting for a worker slot or for its teacher.
    Queued,
    /// Training on a worker.
    Running,
    /// Trained and measured.
    Succeeded,
    /// Stopped by an error; `message` says which.
    Failed,
    /// Stopped on request, or because a run it depends on did not succeed.
    Cancelled,
    /// Left unfinished by a crash and could not be resumed.
    Interrupted,
}

impl RunStatus {
    /// Every status, in life order.
    pub const ALL: [RunStatus; 6] = [
        RunStatus::Queued,
        RunStatus::Running,
        RunStatus::Succeeded,
        RunStatus::Failed,
        RunStatus::Cancelled,
        RunStatus::Interrupted,
    ];

    /// The name used in JSON, URLs and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Queued => "queued",
            RunStatus::Running => "running",
            RunStatus::Succeeded => "succeeded",
            RunStatus::Failed => "failed",
            RunStatus::Cancelled => "cancelled",
            RunStatus::Interrupted => "interrupted",
        }
    }

    /// The status named `name`.
    pub fn parse(name: &str) -> Option<RunStatus> {
        RunStatus::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether nothing more will happen to it.
    pub fn is_terminal(self) -> bool {
        !matches!(self, RunStatus::Queued | RunStatus::Running)
    }
}

/// The batch a running run is at, with an estimate of the time left.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunProgress {
    /// The run.
    pub run_id: String,
    /// 1-based epoch in progress.
    pub epoch: usize,
    /// Epochs in the budget.
    pub epochs: usize,
    /// Batches done in this epoch.
    pub batch: usize,
    /// Batches in this epoch.
    pub batches: usize,
    /// The last batch's loss.
    pub loss: f64,
    /// Fraction of the run's training done, 0..1.
    pub fraction: f64,
    /// Seconds left at the pace so far, once there is a pace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub eta_seconds: Option<f64>,
}

/// One run, as lists and details show it (read from its summary row, never from the curves).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunSummary {
    /// The run's id.
    pub id: String,
    /// The experiment it belongs to.
    pub experiment_id: String,
    /// Stage or baseline.
    pub kind: RunKind,
    /// Position in the chain (the student's for the baseline).
    pub stage_index: usize,
    /// Stage label.
    pub stage_name: String,
    /// Seed.
    pub seed: u64,
    /// The run that teaches it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_run: Option<String>,
    /// Status.
    pub status: RunStatus,
    /// Why it failed, was cancelled or interrupted; or that it was reused or resumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// The resolved architecture.
    pub architecture: Architecture,
    /// Trainable parameters.
    pub params: usize,
    /// Finished epochs.
    pub epochs_done: usize,
    /// Epochs in the budget.
    pub epochs_total: usize,
    /// Best validation accuracy over finished epochs (the first epoch reaching it is the one
    /// whose model the run reports).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub best_val_accuracy: Option<f64>,
    /// Test accuracy at that epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_best_test_accuracy: Option<f64>,
    /// Test accuracy after the last finished epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_test_accuracy: Option<f64>,
    /// Mean training loss of the last finished epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_train_loss: Option<f64>,
    /// The earlier run whose trained model this one reuses (same configuration and seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reused_from: Option<String>,
    /// `cuda`, `wgpu` or `cpu`, once it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backend: Option<String>,
    /// The worker process that trains it, or last trained it (see `/api/system`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub worker_id: Option<String>,
    /// The device, once it started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device: Option<String>,
    /// Measurements of the final model, once it succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measurements: Option<ModelMeasurements>,
    /// The batch it is at, while it runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub progress: Option<RunProgress>,
    /// When it was queued (Unix milliseconds).
    pub queued_at: i64,
    /// When it (last) started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
}

/// One experiment in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExperimentSummary {
    /// The experiment's id.
    pub id: String,
    /// Its name (given, or derived from the chain).
    pub name: String,
    /// Queued until a run starts; succeeded when every run did; failed, cancelled or
    /// interrupted when a run ended that way and nothing is left to run.
    pub status: RunStatus,
    /// The dataset.
    pub dataset: DatasetName,
    /// The chain's stages, teacher first (`teacher: cnn-m`).
    pub chain: Vec<String>,
    /// Runs, all seeds and the baseline included.
    pub runs_total: usize,
    /// Runs that ended.
    pub runs_done: usize,
    /// Mean top-1 (at the best validation epoch) of the last stage over the seeds that
    /// finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub student_accuracy: Option<f64>,
    /// The same for the baseline students.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_accuracy: Option<f64>,
    /// The student's gain over its baseline, paired by seed (seeds where both finished).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain: Option<crate::PairedGain>,
    /// When it was submitted (Unix milliseconds).
    pub created_at: i64,
    /// When its first run started.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<i64>,
    /// When its last run ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<i64>,
    /// Its description, plain text (line breaks kept), as `PATCH` left it.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Its tags, as `PATCH` left them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// `PATCH /api/experiments/{id}`: the notes to change (an absent field stays as it is).
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ExperimentNotes {
    /// A description in plain text, at most 10,000 characters (empty to clear it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_length = 10000))]
    pub description: Option<String>,
    /// At most 20 tags, each 1 to 40 of `a-z 0-9 . _ -`, starting with a letter or digit
    /// (empty to clear them); duplicates count once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(max_items = 20, inline))]
    pub tags: Option<Vec<Tag>>,
}

/// A tag: 1 to 40 of `a-z 0-9 . _ -`, starting with a letter or digit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[a-z0-9][a-z0-9._-]{0,39}$"))]
#[serde(transparent)]
pub struct Tag(pub String);

impl Tag {
    /// Why `text` is not a tag, if it is not.
    pub fn problem(text: &str) -> Option<String> {
        let mut chars = text.chars();
        let first_ok = chars
            .next()
            .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        let rest_ok = text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
        (!(first_ok && rest_ok && text.len() <= 40)).then(|| {
            format!(
                "`{text}` is not a tag: 1 to 40 of a-z 0-9 . _ -, starting with a letter or digit"
            )
        })
    }
}

/// `GET /api/experiments/{id}`: the spec as it runs, every run, and per-model results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExperimentDetail {
    /// The summary.
    pub summary: ExperimentSummary,
    /// The resolved spec (presets and defaults filled in).
    pub spec: ExperimentSpec,
    /// Things worth knowing that did not stop it.
    pub warnings: Vec<String>,
    /// Every run, in training order.
    pub runs: Vec<RunSummary>,
    /// Each model summarised over its seeds, once all its runs succeeded.
    pub models: Vec<ModelSummary>,
}

/// `GET /api/experiments`: one page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExperimentPage {
    /// Newest first.
    pub experiments: Vec<ExperimentSummary>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Experiments matching the filters, over all pages.
    pub total: usize,
}

/// `GET /api/runs`: one run with what it belongs to (runs to pick from, e.g. a trained model a
/// new experiment's first stage can be taken from).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunListing {
    /// The run.
    pub run: RunSummary,
    /// Its experiment's name.
    pub experiment_name: String,
    /// Its experiment's dataset.
    pub dataset: DatasetName,
}
