//! Curves as the server sends them: downsampled into buckets that keep each bucket's minimum,
//! maximum and last value, comparisons of runs on the same buckets, and each model's curves
//! over its seeds (mean and spread).

use serde::{Deserialize, Serialize};

use crate::{RunKind, RunSummary};

/// One bucket of a curve: its last point, and the range of values inside it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CurvePoint {
    /// Global training step (batches since the start) of the bucket's last point.
    pub step: u64,
    /// Epoch position of that point (fractional within an epoch for batch metrics).
    pub epoch: f64,
    /// The bucket's last value.
    pub value: f64,
    /// Smallest value in the bucket.
    pub min: f64,
    /// Largest value in the bucket.
    pub max: f64,
    /// Raw points in the bucket.
    pub count: usize,
}

/// One metric of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Curve {
    /// `batch_loss`, `train_loss`, `test_accuracy`, `lr`, `loss.kd`, `loss.kd.weighted`, ...
    pub metric: String,
    /// Raw points stored.
    pub raw_points: usize,
    /// Buckets in epoch order; the last is always the run's final point.
    pub points: Vec<CurvePoint>,
}

/// `GET /api/runs/{id}/curves`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RunCurves {
    /// The run.
    pub run_id: String,
    /// Every metric the run has, whether asked for or not.
    pub available: Vec<String>,
    /// The metrics asked for (all when none were named).
    pub curves: Vec<Curve>,
}

/// `GET /api/compare`: runs side by side, their curves on shared buckets, and a table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Comparison {
    /// One row per run, in the order asked.
    pub rows: Vec<ComparedRun>,
    /// Curves of every run on the same epoch buckets.
    pub curves: Vec<RunCurves>,
    /// The compared runs grouped into models (one stage, or the baseline, of one experiment,
    /// over its seeds).
    pub models: Vec<ComparedModel>,
    /// Each model against each other model it shares seeds with, paired by seed.
    pub gains: Vec<ModelGain>,
}

/// The compared runs of one model: one stage (or the baseline) of one experiment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComparedModel {
    /// Its experiment.
    pub experiment_id: String,
    /// Its experiment's name.
    pub experiment_name: String,
    /// Stage label, or `baseline`.
    pub label: String,
    /// The compared runs, one per seed.
    pub runs: Vec<String>,
    /// Their seeds, in the same order.
    pub seeds: Vec<u64>,
    /// Top-1 test accuracy at the best validation epoch, over the runs that succeeded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub top1: Option<crate::Estimate>,
    /// Its runs' curves (the metrics the comparison carries) folded into one line per metric
    /// with the seeds' spread, on the comparison's buckets.
    #[serde(default)]
    pub curves: Vec<SpreadCurve>,
}

/// `models[model]` minus `models[over]`, paired by the seeds both have.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelGain {
    /// Index into `models`.
    pub model: usize,
    /// Index into `models`.
    pub over: usize,
    /// The gain.
    pub gain: crate::PairedGain,
}

/// A run in a comparison, with the differences that matter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ComparedRun {
    /// The run.
    pub run: RunSummary,
    /// Its experiment's name.
    pub experiment_name: String,
    /// Top-1 (at the best validation epoch, as everywhere) minus that of its experiment's first
    /// stage (same seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_vs_teacher: Option<f64>,
    /// Top-1 minus the top-1 of its experiment's baseline student (same seed).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delta_vs_baseline: Option<f64>,
    /// On the Pareto front of accuracy against batch-1 latency among the compared runs.
    pub pareto_latency: bool,
    /// On the Pareto front of accuracy against size among the compared runs.
    pub pareto_size: bool,
}

/// `GET /api/experiments/{id}/export?format=json`: everything, curves at full resolution.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExperimentExport {
    /// The experiment as `GET /api/experiments/{id}` shows it.
    pub experiment: crate::ExperimentDetail,
    /// Loss conventions every run followed.
    pub conventions: String,
    /// Every stored point of every metric of every run.
    pub curves: Vec<RawCurve>,
}

/// All points of one metric of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RawCurve {
    /// The run.
    pub run_id: String,
    /// The metric.
    pub metric: String,
    /// `[step, epoch, value]` triples in step order.
    pub points: Vec<(u64, f64, f64)>,
}

/// `GET /api/experiments/{id}/curves`: every model of an experiment (each stage, the baseline)
/// as one line per metric — the mean over its seeds — with the spread of its seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ExperimentCurves {
    /// The experiment.
    pub experiment_id: String,
    /// Its models in training order (the baseline last).
    pub models: Vec<ModelCurves>,
}

/// One model of an experiment over its seeds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ModelCurves {
    /// The stage's name (`teacher`, `student`, ...), or `baseline`.
    pub label: String,
    /// A stage or the baseline.
    pub kind: RunKind,
    /// The stage's position in the chain (the last stage's for the baseline).
    pub stage_index: usize,
    /// Its runs, one per seed, in seed order.
    pub runs: Vec<String>,
    /// Every metric any of its runs has, whether asked for or not.
    pub available: Vec<String>,
    /// The metrics asked for (all when none were named).
    pub curves: Vec<SpreadCurve>,
}

/// One metric of a model over its seeds, on the buckets of its runs' curves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpreadCurve {
    /// The metric (`val_accuracy`, `loss.kd.weighted`, ...).
    pub metric: String,
    /// One point per bucket position any seed reached.
    pub points: Vec<SpreadPoint>,
}

/// The seeds' values at one bucket position (each seed's bucket value: its last point).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SpreadPoint {
    /// Epoch position (fractional within an epoch for batch metrics).
    pub epoch: f64,
    /// Mean over the seeds that reached it.
    pub mean: f64,
    /// Smallest seed value.
    pub min: f64,
    /// Largest seed value.
    pub max: f64,
    /// Sample standard deviation over the seeds (n − 1; 0 for one seed).
    pub std: f64,
    /// How many seeds reached it (fewer while some still train).
    pub seeds: usize,
}
