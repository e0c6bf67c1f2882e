//! What a run is: its plan (model, link, budget, seed, teacher), where it runs, what it
//! produces, how it can fail, and the fingerprint that ties a checkpoint to its configuration.

use std::path::Path;

use api::RunReport;
use burn::prelude::*;

use super::{CancelToken, CheckpointError, PlannedRun};
use crate::data::{Batcher, ImageSet, Split};
use crate::device::ComputeDevice;
use crate::distill::LinkModules;
use crate::models::{InputShape, Model, Net};

/// What trains: the model and the learnable parts of its link.
#[derive(Module, Debug)]
pub struct Student {
    /// The model.
    pub net: Net,
    /// Regressors, generators, learned temperature.
    pub link: LinkModules,
}

/// A trained model, in eval mode, with its report.
#[derive(Debug, Clone)]
pub struct TrainedModel {
    /// The reported model (at its best validation epoch), without autodiff; or the frozen
    /// ONNX graph an import brought.
    pub model: Model,
    /// What happened.
    pub report: RunReport,
    /// Fingerprint of the run's configuration (teachers included).
    pub fingerprint: String,
}

/// What to train.
#[derive(Debug, Clone)]
pub struct RunPlan<'a> {
    /// Which run of the experiment this is, with its resolved model, link and budget.
    pub run: PlannedRun,
    /// Crop + flip augmentation.
    pub augment: bool,
    /// The trained teacher, for distillation terms and curricula.
    pub teacher: Option<&'a TrainedModel>,
    /// The trained model this run is (a first stage `from_run`): evaluated, not trained.
    pub imported: Option<&'a TrainedModel>,
}

/// Where and on what a run trains.
#[derive(Debug, Clone, Copy)]
pub struct RunContext<'a> {
    /// Train and test data (already cut to the spec's subsets; the validation samples are not
    /// in `train`).
    pub data: &'a Split,
    /// The validation samples, held out from the training data.
    pub validation: &'a ImageSet,
    /// Normalisation fitted to the training set.
    pub batcher: &'a Batcher,
    /// Image shape and classes.
    pub input: InputShape,
    /// The device.
    pub device: &'a ComputeDevice,
    /// Root of per-run checkpoint directories; none means no checkpoints.
    pub checkpoints: Option<&'a Path>,
    /// Checked before every batch.
    pub cancel: &'a CancelToken,
}

/// Why a run stopped without finishing.
#[derive(Debug, thiserror::Error)]
pub enum TrainError {
    /// Cancelled; the last finished epoch is checkpointed.
    #[error("run {run_id} was cancelled after {epochs_done} finished epoch(s)")]
    Cancelled {
        /// The run.
        run_id: String,
        /// Epochs finished (and checkpointed) before the cancel.
        epochs_done: usize,
    },
    /// The loss stopped being a number.
    #[error("run {run_id}: the loss became {value} at epoch {epoch}, batch {batch}; try a lower learning rate or smaller loss weights")]
    Diverged {
        /// The run.
        run_id: String,
        /// 1-based epoch.
        epoch: usize,
        /// 1-based batch.
        batch: usize,
        /// The loss.
        value: f64,
    },
    /// Reading or writing a checkpoint failed.
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
}

/// FNV-1a, stable across Rust versions (unlike `DefaultHasher`).
fn fnv1a(text: &str) -> String {
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    });
    format!("{hash:016x}")
}

/// The fingerprint of a run's configuration (model, link, the stage's budget, seed, data sizes
/// and the teacher's own fingerprint): equal fingerprints train the same model. A model taken
/// from another run keeps that run's fingerprint.
pub fn fingerprint(plan: &RunPlan<'_>, ctx: &RunContext<'_>) -> String {
    if let Some(imported) = plan.imported {
        return imported.fingerprint.clone();
    }
    let run = &plan.run;
    let mut description = serde_json::json!({
        "engine": env!("CARGO_PKG_VERSION"),
        "architecture": run.architecture,
        "link": run.link,
        "budget": run.budget,
        "seed": run.seed,
        "augment": plan.augment,
        "data": [ctx.data.train.len(), ctx.validation.len(), ctx.data.test.len(), ctx.data.classes],
        "teacher": plan.teacher.map(|t| &t.fingerprint),
    });
    // Only registered datasets have a checksum: built-in ones keep their earlier fingerprints.
    if let Some(checksum) = &ctx.data.checksum {
        description["dataset"] = checksum.as_str().into();
    }
    fnv1a(&description.to_string())
}
