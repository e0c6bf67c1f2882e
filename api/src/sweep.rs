//! A sweep: a base experiment, a search space over paths of its spec, a strategy that picks
//! trials, successive halving that stops weak ones early, and the confirmation of the winner on
//! fresh paired seeds. Trials are scored on validation only; nothing here carries a trial's
//! test accuracy.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::{Estimate, ExperimentSpec, PairedGain};

/// What to tune, how, and how to confirm it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct SweepSpec {
    /// A human name for listings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The experiment whose last stage is tuned. Its first seed trains every trial; its
    /// earlier stages are trained once (or reused) and shared by every trial.
    pub base: ExperimentSpec,
    /// One dimension per spec path, e.g. `chain[1].link.terms[0].temperature` or
    /// `budget.optimizer.lr` (the last stage's budget).
    pub space: BTreeMap<String, Dimension>,
    /// How trials are chosen.
    pub strategy: Strategy,
    /// Stop weak trials early; every trial trains the full budget when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub early_stopping: Option<EarlyStopping>,
    /// The seeds the winner and the base configuration are trained with, paired, at the end.
    #[serde(default)]
    pub confirm: Confirm,
}

impl SweepSpec {
    /// The seed every trial trains with: the base's first.
    pub fn trial_seed(&self) -> u64 {
        self.base.seeds.first().copied().unwrap_or(0)
    }

    /// The seeds of the confirmation: `confirm.seeds`, or the base's when that is empty.
    pub fn confirm_seeds(&self) -> Vec<u64> {
        match self.confirm.seeds.is_empty() {
            true => self.base.seeds.clone(),
            false => self.confirm.seeds.clone(),
        }
    }
}

/// The values one path takes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Dimension {
    /// These values (numbers, booleans or names); the only kind a grid takes.
    Values(Vec<serde_json::Value>),
    /// Uniform between the two bounds (rounded on an integer field).
    Uniform([f64; 2]),
    /// Uniform in the logarithm between the two (positive) bounds.
    LogUniform([f64; 2]),
}

/// How trials are chosen.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum Strategy {
    /// Every combination of the dimensions' values.
    Grid,
    /// `trials` points drawn at random, reproducibly from `seed`.
    Random {
        /// How many configurations.
        trials: usize,
        /// Seed of the draws.
        #[serde(default)]
        seed: u64,
    },
}

/// Early stopping of weak trials.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum EarlyStopping {
    /// Asynchronous successive halving (ASHA): every trial first trains `min_epochs`; whenever
    /// a slot is free, a trial in the top `1/eta` of its rung is promoted to the next rung
    /// (`eta` times the epochs, at most the full budget) before a new trial starts.
    SuccessiveHalving {
        /// Epochs of the first rung.
        min_epochs: usize,
        /// The reduction factor: one trial in `eta` goes on.
        #[serde(default = "default_eta")]
        eta: usize,
    },
}

fn default_eta() -> usize {
    3
}

/// The confirmation of the winner.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Confirm {
    /// Seeds of the confirmation (the base's seeds when empty).
    #[serde(default)]
    pub seeds: Vec<u64>,
}

impl Default for Confirm {
    fn default() -> Self {
        Confirm {
            seeds: vec![0, 1, 2, 3, 4],
        }
    }
}

/// Where a sweep is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum SweepStatus {
    /// Trials are training or waiting for a slot.
    Searching,
    /// The winner and the base configuration are training on the confirmation seeds.
    Confirming,
    /// Done.
    Succeeded,
    /// No trial finished, or the confirmation failed.
    Failed,
    /// Cancelled by request.
    Cancelled,
}

impl SweepStatus {
    /// The name on the wire and in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            SweepStatus::Searching => "searching",
            SweepStatus::Confirming => "confirming",
            SweepStatus::Succeeded => "succeeded",
            SweepStatus::Failed => "failed",
            SweepStatus::Cancelled => "cancelled",
        }
    }

    /// The status named `text`.
    pub fn parse(text: &str) -> Option<SweepStatus> {
        [
            SweepStatus::Searching,
            SweepStatus::Confirming,
            SweepStatus::Succeeded,
            SweepStatus::Failed,
            SweepStatus::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }

    /// Nothing more will happen.
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            SweepStatus::Succeeded | SweepStatus::Failed | SweepStatus::Cancelled
        )
    }
}

/// A sweep as the API shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepView {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where it is.
    pub status: SweepStatus,
    /// Why it failed, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// The spec as submitted.
    pub spec: SweepSpec,
    /// The tuned paths, in the order of `trials[].values`.
    pub dimensions: Vec<String>,
    /// The epochs of each rung (one rung without early stopping).
    pub rungs: Vec<usize>,
    /// The seed every trial trains with.
    pub trial_seed: u64,
    /// The seeds of the confirmation.
    pub confirm_seeds: Vec<u64>,
    /// The trials started so far; validation figures only.
    pub trials: Vec<TrialView>,
    /// The trial chosen on validation, once the search is over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub winner: Option<usize>,
    /// The winner and the base configuration on the confirmation seeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confirmation: Option<Confirmation>,
}

/// One configuration of a sweep.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrialView {
    /// 0-based, in the order trials started.
    pub index: usize,
    /// The value of each dimension, in the order of [`SweepView::dimensions`].
    pub values: Vec<serde_json::Value>,
    /// The highest rung it reached (0-based).
    pub rung: usize,
    /// Epochs trained at that rung.
    pub epochs: usize,
    /// `queued`, `running`, `succeeded`, `failed` or `cancelled`, at that rung.
    pub status: String,
    /// Best validation accuracy at that rung, once it finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub val_accuracy: Option<f64>,
    /// Best validation accuracy at every rung it finished, lowest first.
    pub rung_val_accuracy: Vec<Option<f64>>,
}

/// The winner against the base configuration, paired by seed, on test (val-best models).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Confirmation {
    /// The winner's configuration, with a CE baseline, on the confirmation seeds.
    pub tuned_experiment: String,
    /// The base spec's own configuration on the same seeds (queued once the winner's earlier
    /// stages are trained, which it reuses).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_experiment: Option<String>,
    /// Both experiments have ended.
    pub finished: bool,
    /// Test accuracy (val-best) of the tuned student over the seeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuned: Option<Estimate>,
    /// Test accuracy (val-best) of the default student over the seeds.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<Estimate>,
    /// Tuned minus default, paired by seed, with its 95 % interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuned_vs_default: Option<PairedGain>,
    /// Tuned minus the CE baseline, paired by seed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tuned_vs_baseline: Option<PairedGain>,
}

/// A sweep in a list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepSummary {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Where it is.
    pub status: SweepStatus,
    /// Milliseconds since the epoch.
    pub created_at: i64,
    /// Trials started.
    pub trials: usize,
}

/// The answer to `POST /api/sweeps`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SweepCreated {
    /// The new sweep's id.
    pub id: String,
    /// Trials it will start at most.
    pub trials: usize,
    /// The epochs of each rung.
    pub rungs: Vec<usize>,
}
