//! Importing a model trained elsewhere: its weights file is checked against the architecture
//! and converted before anything is stored (a file that does not fit is refused whole), kept
//! as burnpack in the artifacts (`import-{run id}/model.bpk`, shared with workers through the
//! object store), and queued as a one-stage experiment whose run, of kind `imported`, a worker
//! evaluates and measures like a first stage taken from an earlier run.

use std::path::{Path, PathBuf};

use api::{Architecture, DatasetName, ExperimentSpec, RunKind, RunReport};
use engine::models::{import_weights, WeightsError, WeightsFormat};
use engine::spec::input_shape_of;
use engine::train::Checkpoint;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::sources::ModelSource;
use super::{Jobs, SubmitError};
use crate::artifacts::Artifacts;
use crate::store::RunRow;

/// A weights file to import.
#[derive(Debug, Clone)]
pub struct ModelImport {
    /// The file, on this machine.
    pub file: PathBuf,
    /// Its format.
    pub format: WeightsFormat,
    /// What it is called (the upload's or the file's name), recorded in the experiment's notes.
    pub file_name: String,
    /// The architecture the weights are for (a preset or sizes).
    pub architecture: Architecture,
    /// The dataset it classifies, and is evaluated on.
    pub dataset: DatasetName,
    /// The experiment's and the model's name [default: the file name].
    pub name: Option<String>,
}

/// Why a model was not imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The architecture or dataset cannot be used (the error names the field), or the store
    /// failed.
    #[error(transparent)]
    Submit(#[from] SubmitError),
    /// The file is not the architecture's weights.
    #[error(transparent)]
    Weights(#[from] WeightsError),
}

/// Where an imported run's model waits to be evaluated.
pub fn import_dir(artifacts: &Artifacts, run_id: &str) -> PathBuf {
    artifacts.root().join(format!("import-{run_id}"))
}

impl Jobs {
    /// Checks and converts `import`'s file, stores it, and queues its evaluation; returns the
    /// experiment's id.
    pub async fn import_model(&self, import: ModelImport) -> Result<String, ImportError> {
        let name = import
            .name
            .clone()
            .unwrap_or_else(|| import.file_name.clone());
        let spec: ExperimentSpec = serde_json::from_value(json!({
            "name": name,
            "dataset": {"name": import.dataset},
            "chain": [{"name": name, "architecture": import.architecture}],
            "budget": {"epochs": 1},
            "seeds": [0],
        }))
        .map_err(|e| SubmitError::Internal(format!("the import's spec: {e}")))?;
        let (experiment, mut runs) = self.expand(spec).await?;
        let run = &mut runs[0].run;
        run.kind = RunKind::Imported;
        let (architecture, run_id) = (run.architecture.clone(), run.id.clone());
        let info = engine::data::describe(&import.dataset, &self.runtime().data_dirs)
            .map_err(|e| SubmitError::Internal(e.to_string()))?;
        let dir = import_dir(&self.runtime().artifacts, &run_id);
        let (file, format, target) = (import.file.clone(), import.format, dir.clone());
        tokio::task::spawn_blocking(move || -> Result<(), ImportError> {
            let net = import_weights(&file, format, &architecture, input_shape_of(&info))?;
            Checkpoint::at(&target)
                .save_model(&net)
                .map_err(|e| SubmitError::Internal(e.to_string()))?;
            Ok(())
        })
        .await
        .map_err(|e| SubmitError::Internal(format!("the import crashed: {e}")))??;
        if let Err(e) = self.runtime().artifacts.push_model(&dir).await {
            let _ = tokio::fs::remove_dir_all(&dir).await;
            return Err(
                SubmitError::Internal(format!("the model could not be stored: {e}")).into(),
            );
        }
        self.insert(&experiment, &runs).await?;
        let origin = format!(
            "Imported from {} ({}).",
            import.file_name,
            import.format.label()
        );
        self.store()
            .set_notes(&experiment.id, Some(&origin), None)
            .await
            .map_err(SubmitError::from)?;
        tracing::info!(experiment = %experiment.id, file = %import.file_name, "model imported");
        Ok(experiment.id)
    }
}

/// The model an `imported` run evaluates, fetched to `dir`: its report says only what the
/// import knew (the architecture, the parameter count); its fingerprint is the file's digest.
pub fn uploaded_model(row: &RunRow, dir: &Path) -> Result<ModelSource, String> {
    let file = Checkpoint::at(dir).model_path();
    let bytes = std::fs::read(&file)
        .map_err(|e| format!("the imported model {} cannot be read: {e}", file.display()))?;
    let architecture = row.architecture().map_err(|e| e.to_string())?;
    let report = RunReport {
        id: row.id.clone(),
        kind: RunKind::Imported,
        stage_index: 0,
        stage_name: row.stage_name.clone(),
        seed: row.seed as u64,
        architecture,
        teacher_run: None,
        backend: String::new(),
        device: String::new(),
        epochs: Vec::new(),
        measurements: api::ModelMeasurements {
            params: row.params as usize,
            ..Default::default()
        },
        resumed_after_epoch: None,
        imported_from: None,
    };
    Ok(ModelSource {
        report,
        fingerprint: format!("{:x}", Sha256::digest(&bytes)),
        model_dir: dir.to_string_lossy().into_owned(),
    })
}
