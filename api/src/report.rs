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
    /// Top-1 accuracy on the validation split (held out from the training data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_accuracy: Option<f64>,
    /// Mean cross-entropy on the validation split.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_loss: Option<f64>,
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
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelMeasurements {
    /// Top-1 test accuracy of the model after the last epoch.
    #[serde(alias = "top1")]
    pub top1_last: f64,
    /// Top-1 test accuracy of the model at the epoch with the best validation accuracy — the
    /// run's reported model (the one kept, downloaded, measured and teaching the next stage).
    /// Absent for runs recorded before validation splits existed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top1_val_best: Option<f64>,
    /// The epoch with the best validation accuracy (1-based; 0 for a model taken from another
    /// run, which was not trained here).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_best_epoch: Option<usize>,
    /// Its validation accuracy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_accuracy: Option<f64>,
    /// Top-5 test accuracy of the reported model, for datasets with at least 20 classes.
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

/// Whether a run is a stage of the chain, the CE-only control, or a model imported from a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum RunKind {
    /// A stage of the chain, taught by the previous stage.
    Stage,
    /// The last stage's model trained with cross-entropy only.
    Baseline,
    /// A model trained elsewhere, imported from a weights file (`POST /api/models`): evaluated
    /// and measured, not trained.
    Imported,
}

impl RunKind {
    /// The name on the wire, in the store and in CSV files.
    pub fn as_str(self) -> &'static str {
        match self {
            RunKind::Stage => "stage",
            RunKind::Baseline => "baseline",
            RunKind::Imported => "imported",
        }
    }

    /// The kind named `name` on the wire or in the store.
    pub fn parse(name: &str) -> Option<RunKind> {
        [RunKind::Stage, RunKind::Baseline, RunKind::Imported]
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }

    /// Whether the run is one of the chain's models (trained or imported), not the CE-only
    /// control.
    pub fn in_chain(self) -> bool {
        self != RunKind::Baseline
    }
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
    /// `cuda`, `wgpu` or `cpu`.
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
    /// The earlier run whose trained model this stage is (`from_run`): evaluated, not trained.
    /// (An `imported` run's model came from a file: its experiment's description names it.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub imported_from: Option<String>,
}

/// The val-best rule that the trainer (which model it keeps), the store (a run's summary) and
/// the dashboard (its live table) all follow: an epoch becomes the reported one when its
/// validation accuracy is strictly higher than the best so far. On a tie the earlier epoch
/// stays; an epoch without a validation accuracy never becomes it.
pub fn is_new_val_best(best_so_far: Option<f64>, candidate: Option<f64>) -> bool {
    match (best_so_far, candidate) {
        (_, None) => false,
        (None, Some(_)) => true,
        (Some(best), Some(candidate)) => candidate > best,
    }
}

impl ModelMeasurements {
    /// The reported accuracy: at the best validation epoch, else (older runs) the last epoch's.
    pub fn top1(&self) -> f64 {
        self.top1_val_best.unwrap_or(self.top1_last)
    }
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

/// A mean over seeds with its spread.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Estimate {
    /// Values (seeds) it is computed from.
    pub n: usize,
    /// Their mean.
    pub mean: f64,
    /// Their sample standard deviation (n − 1); 0 for one value.
    pub std: f64,
}

/// The gain of a model over another trained with the same seeds (a distilled student over its
/// CE-only baseline): the per-seed differences, their mean, spread and 95 % confidence interval
/// (Student's t with n − 1 degrees of freedom). Same seed means same initial weights and data
/// order, so the pairing removes most of the seed-to-seed noise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PairedGain {
    /// Seeds both models have.
    pub n: usize,
    /// Mean of the per-seed differences.
    pub mean: f64,
    /// Their sample standard deviation (0 for one seed).
    pub std: f64,
    /// Lower end of the 95 % confidence interval of the mean; absent for one seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_low: Option<f64>,
    /// Upper end of the 95 % confidence interval; absent for one seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_high: Option<f64>,
    /// The per-seed differences, in seed order of the first model.
    pub differences: Vec<f64>,
}

impl PairedGain {
    /// Whether the interval lies entirely above or below zero.
    pub fn excludes_zero(&self) -> bool {
        matches!((self.ci_low, self.ci_high), (Some(l), Some(h)) if l > 0.0 || h < 0.0)
    }
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
    /// Top-1 test accuracy at each run's best validation epoch (the reported models).
    pub top1_val_best: Estimate,
    /// Top-1 test accuracy after each run's last epoch.
    pub top1_last: Estimate,
    /// Mean top-5 test accuracy of the reported models, for datasets with at least 20 classes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top5_mean: Option<f64>,
    /// Gain over the baseline at the best validation epoch, paired by seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain_val_best: Option<PairedGain>,
    /// Gain over the baseline after the last epoch, paired by seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gain_last: Option<PairedGain>,
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
