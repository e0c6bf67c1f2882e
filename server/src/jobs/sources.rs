//! Finished runs as sources of trained models: a run's teacher, and the earlier run a first
//! stage is taken from (`chain[0].from_run`), checked at submission with errors that name the
//! field. Used by the server's jobs and by `distill run`.

use api::{ExperimentSpec, RunReport, RunStatus};
use engine::device::ComputeDevice;
use engine::models::InputShape;
use engine::spec::{ImportedModel, SpecError};
use engine::train::{Checkpoint, TrainedModel};

use super::SubmitError;
use crate::artifacts::Artifacts;
use crate::ids::is_id;
use crate::store::{Store, StoreError};

/// A finished run whose trained model another run needs.
#[derive(Debug, Clone)]
pub struct ModelSource {
    /// Its report (architecture, id).
    pub report: RunReport,
    /// Its configuration's fingerprint.
    pub fingerprint: String,
    /// Its checkpoint directory, holding `model.bpk` (or an ONNX teacher's `model.onnx`).
    pub model_dir: String,
}

impl ModelSource {
    /// Loads the model on `device`; `what` names it in the error.
    pub fn load(
        self,
        input: InputShape,
        device: &ComputeDevice,
        what: &str,
    ) -> Result<TrainedModel, String> {
        let model = Checkpoint::at(&self.model_dir)
            .load_trained(&self.report.architecture, input, &device.device)
            .map_err(|e| format!("cannot load {what}: {e}"))?;
        Ok(TrainedModel {
            model,
            report: self.report,
            fingerprint: self.fingerprint,
        })
    }
}

/// The trained model of run `id` (`role` names it in messages: `teacher run`, `run`); `Err`
/// inside says why there is none.
pub async fn model_source(
    store: &Store,
    id: &str,
    role: &str,
) -> Result<Result<ModelSource, String>, StoreError> {
    let Some(row) = store.run(id).await? else {
        return Ok(Err(format!("{role} {id} no longer exists")));
    };
    Ok(match (row.report()?, row.fingerprint, row.model_dir) {
        (Some(report), Some(fingerprint), Some(model_dir)) => Ok(ModelSource {
            report,
            fingerprint,
            model_dir,
        }),
        _ => Err(format!("{role} {id} has no trained model")),
    })
}

/// The earlier run a spec's first stage is taken from, as the validator needs it and as the
/// trainer loads it: it must exist, have succeeded and still have its model file. `None` when
/// the first stage is trained.
pub async fn imported_model(
    store: &Store,
    artifacts: &Artifacts,
    spec: &ExperimentSpec,
) -> Result<Option<(ImportedModel, ModelSource)>, SubmitError> {
    let Some(run_id) = spec.chain.first().and_then(|s| s.from_run.as_deref()) else {
        return Ok(None);
    };
    let refuse = |message: String| SpecError {
        field: "chain[0].from_run".into(),
        message,
    };
    let row = match is_id(run_id) {
        true => store.run(run_id).await?,
        false => None,
    }
    .ok_or_else(|| refuse(format!("there is no run `{run_id}`")))?;
    if row.status() != RunStatus::Succeeded {
        return Err(refuse(format!(
            "run {run_id} is {}: only a succeeded run has a model to use",
            row.status().as_str()
        ))
        .into());
    }
    let has_model = match row.model_dir.as_deref() {
        Some(dir) => artifacts.has_model(dir).await.map_err(|e| {
            refuse(format!(
                "the model of run {run_id} cannot be looked for: {e}"
            ))
        })?,
        None => false,
    };
    if !has_model {
        return Err(refuse(format!(
            "the model of run {run_id} is gone from its checkpoint directory ({})",
            artifacts.location()
        ))
        .into());
    }
    let dataset = store
        .experiment(&row.experiment_id)
        .await?
        .and_then(|e| api::DatasetName::new(e.dataset).ok())
        .ok_or_else(|| refuse(format!("the experiment of run {run_id} is gone")))?;
    let model = ImportedModel {
        run_id: run_id.to_string(),
        architecture: row.architecture()?,
        dataset,
    };
    let source = model_source(store, run_id, "run").await?.map_err(refuse)?;
    Ok(Some((model, source)))
}
