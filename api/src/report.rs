//! What a run reports: per-epoch curves and the measurements of the trained model.

use serde::{Deserialize, Serialize};

use crate::{Architecture, ExperimentSpec};

/// One loss term averaged over an epoch, before and after its weight.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TermValue {
    /// `ce`, `kd`, `dkd_tckd`, `dkd_nckd`, `at`, `mgd`, `fitnet`.
    pub name: String,
    /// The term as its formula defines it (T² included for logit terms).
    pub raw: f64,
    /// The term as it enters the total loss (weights, warm-up factors applied).
    pub weighted: f64,
}

/// The metrics of one finished epoch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochMetrics {
    /// 1-based epoch number.
    pub epoch: usize,
    /// Every loss term, mean over the epoch's batches.
    pub terms: Vec<TermValue>,
    /// Total training loss, mean over the epoch's batches.
    pub train_loss: f64,
    /// Accuracy on the training samples seen this epoch (in training mode).
    pub train_accuracy: f64,
    /// Top-1 accuracy on the test split.
    pub test_accuracy: f64,
    /// Top-5 accuracy on the test split, for datasets with at least 20 classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test_top5: Option<f64>,
    /// Mean cross-entropy on the test split.
    pub test_loss: f64,
    /// Learning rate used this epoch.
    pub lr: f64,
    /// Distillation temperature at the end of the epoch (learned under CTKD).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub temperature: Option<f64>,
    /// Fraction of the training set used this epoch under a curriculum.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub curriculum_fraction: Option<f64>,
    /// Training samples processed this epoch.
    pub samples: usize,
    /// Wall-clock seconds of the epoch's training steps (evaluation excluded).
    pub train_seconds: f64,
}

/// Measurements of a trained model (DESIGN.md §6).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelMeasurements {
    /// Top-1 test accuracy.
    pub top1: f64,
    /// Top-5 test accuracy, for datasets with at least 20 classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top5: Option<f64>,
    /// Trainable parameters.
    pub params: usize,
    /// Size of the serialized model in bytes.
    pub bytes: usize,
    /// Median inference latency at batch 1, milliseconds.
    pub latency_p50_ms: f64,
    /// 95th-percentile inference latency at batch 1, milliseconds.
    pub latency_p95_ms: f64,
    /// Timed batch-1 runs behind the percentiles.
    pub latency_runs: usize,
    /// Inference throughput at batch 256, samples per second.
    pub throughput_per_s: f64,
    /// Training samples per second over the whole run.
    pub train_samples_per_s: f64,
    /// Wall-clock seconds spent training (evaluation excluded).
    pub train_seconds: f64,
}

/// Whether a run is a stage of the chain or the CE-only control.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A stage of the chain, taught by the previous stage.
    Stage,
    /// The last stage's model trained with cross-entropy only.
    Baseline,
}

/// One trained model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunReport {
    /// Stable id within the experiment, e.g. `stage2-seed0` or `baseline-seed0`.
    pub id: String,
    /// Stage or baseline.
    pub kind: RunKind,
    /// Position in the chain (the baseline carries the student's index).
    pub stage_index: usize,
    /// The stage's label.
    pub stage_name: String,
    /// The seed.
    pub seed: u64,
    /// The resolved architecture.
    pub architecture: Architecture,
    /// The run that taught this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub teacher_run: Option<String>,
    /// `wgpu` or `cpu`.
    pub backend: String,
    /// The device, as the backend names it.
    pub device: String,
    /// Per-epoch curves.
    pub epochs: Vec<EpochMetrics>,
    /// Measurements of the final model.
    pub measurements: ModelMeasurements,
    /// The epoch a resumed run continued from, if it was resumed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resumed_after_epoch: Option<usize>,
}

/// The result of a whole experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExperimentReport {
    /// The resolved spec that ran.
    pub spec: ExperimentSpec,
    /// Loss conventions, recorded with every result.
    pub conventions: String,
    /// Every run, in the order they trained.
    pub runs: Vec<RunReport>,
}

/// One model of an experiment summarised over its seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelSummary {
    /// Stage label, or `baseline`.
    pub label: String,
    /// Stage or baseline.
    pub kind: RunKind,
    /// Position in the chain.
    pub stage_index: usize,
    /// Seeds (runs) summarised.
    pub runs: usize,
    /// Mean top-1 test accuracy.
    pub top1_mean: f64,
    /// Sample standard deviation of top-1 over seeds (0 for one seed).
    pub top1_std: f64,
    /// Mean top-5 test accuracy, for datasets with at least 20 classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top5_mean: Option<f64>,
    /// Mean top-1 minus the baseline student's mean top-1, when there is a baseline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain_over_baseline: Option<f64>,
    /// Trainable parameters.
    pub params: usize,
    /// Serialized size in bytes.
    pub bytes: usize,
    /// Mean of the runs' median batch-1 latencies, milliseconds.
    pub latency_p50_ms: f64,
    /// Mean of the runs' 95th-percentile batch-1 latencies, milliseconds.
    pub latency_p95_ms: f64,
    /// Mean batch-256 throughput, samples per second.
    pub throughput_per_s: f64,
    /// Mean training throughput, samples per second.
    pub train_samples_per_s: f64,
}
