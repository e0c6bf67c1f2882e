//! A trained model as it leaves the lab: burn's burnpack file as training wrote it, a
//! `.safetensors` file in the reference implementation's names, or an `.onnx` file any ONNX
//! runtime runs. `GET /api/runs/{id}/model` and `distill run --export` are this one file.

use api::{DatasetName, RunStatus};
use engine::models::{burnpack_to_onnx, burnpack_to_safetensors};
use engine::spec::input_shape_of;

use crate::jobs::Jobs;
use crate::store::RunRow;

/// The file formats a trained model is downloaded in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ModelFormat {
    /// burn's burnpack (`.bpk`), loadable into the run's architecture.
    Burn,
    /// `.safetensors` in the reference implementation's names and PyTorch's layout.
    Safetensors,
    /// ONNX, its batch dimension free, with the logits and the stage features as outputs.
    Onnx,
}

impl ModelFormat {
    /// The choices, as messages list them.
    pub const CHOICES: &str = "`burn`, `safetensors` or `onnx`";

    /// Every format, as the API document lists them.
    pub const ALL: [ModelFormat; 3] = [
        ModelFormat::Burn,
        ModelFormat::Safetensors,
        ModelFormat::Onnx,
    ];

    /// The format called `name` on the wire.
    pub fn parse(name: &str) -> Option<ModelFormat> {
        ModelFormat::ALL.into_iter().find(|f| f.as_str() == name)
    }

    /// The format's name on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            ModelFormat::Burn => "burn",
            ModelFormat::Safetensors => "safetensors",
            ModelFormat::Onnx => "onnx",
        }
    }

    fn extension(self) -> &'static str {
        match self {
            ModelFormat::Burn => "bpk",
            ModelFormat::Safetensors => "safetensors",
            ModelFormat::Onnx => "onnx",
        }
    }
}

/// Why a run's model cannot be handed out.
#[derive(Debug, thiserror::Error)]
pub enum ModelFileError {
    /// The run has not (or no longer) got a trained model.
    #[error("{0}")]
    NoModel(String),
    /// Converting it failed.
    #[error("{0}")]
    Export(String),
}

/// A model file: its download name and bytes.
pub struct ModelFile {
    /// `{stage}-seed{seed}-{run id}.{extension}`.
    pub name: String,
    /// The file.
    pub bytes: Vec<u8>,
}

/// The trained model of `run` in `format`.
pub async fn model_file(
    jobs: &Jobs,
    run: &RunRow,
    format: ModelFormat,
) -> Result<ModelFile, ModelFileError> {
    let id = &run.id;
    let no_model = || {
        ModelFileError::NoModel(format!(
            "run {id} has no trained model: it is {}",
            run.status().as_str()
        ))
    };
    if run.status() != RunStatus::Succeeded {
        return Err(no_model());
    }
    let model_dir = run.model_dir.as_deref().ok_or_else(no_model)?;
    let frozen = matches!(run.architecture(), Ok(api::Architecture::Onnx(_)));
    if frozen && format != ModelFormat::Onnx {
        return Err(ModelFileError::Export(format!(
            "run {id} is an ONNX teacher, kept as the ONNX file it was imported from: ask for format=onnx"
        )));
    }
    // The run's model file as kept: burnpack weights, or an imported ONNX teacher's graph.
    let stored = jobs
        .runtime()
        .artifacts
        .model_bytes(model_dir)
        .await
        .map_err(|e| {
            ModelFileError::NoModel(format!("the model file of run {id} cannot be read: {e}"))
        })?
        .to_vec();
    let name = format!(
        "{}-seed{}-{id}.{}",
        run.stage_name,
        run.seed,
        format.extension()
    );
    let bytes = match (frozen, format) {
        // An imported ONNX teacher is kept as the file it came in.
        (true, _) | (false, ModelFormat::Burn) => stored,
        (false, ModelFormat::Safetensors | ModelFormat::Onnx) => {
            converted(jobs, run, stored, format).await?
        }
    };
    Ok(ModelFile { name, bytes })
}

/// A run's burnpack file converted to `format`, on the CPU.
async fn converted(
    jobs: &Jobs,
    run: &RunRow,
    burnpack: Vec<u8>,
    format: ModelFormat,
) -> Result<Vec<u8>, ModelFileError> {
    let export = |message: String| {
        ModelFileError::Export(format!(
            "the model of run {} cannot be exported: {message}",
            run.id
        ))
    };
    let experiment = jobs
        .store()
        .experiment(&run.experiment_id)
        .await
        .map_err(|e| export(e.to_string()))?
        .ok_or_else(|| export("its experiment is gone".into()))?;
    let dataset = DatasetName::new(experiment.dataset).map_err(export)?;
    let info = engine::data::describe(&dataset, &jobs.runtime().data_dirs)
        .map_err(|e| export(e.to_string()))?;
    let architecture = run.architecture().map_err(|e| export(e.to_string()))?;
    let input = input_shape_of(&info);
    tokio::task::spawn_blocking(move || match format {
        ModelFormat::Onnx => burnpack_to_onnx(&architecture, input, burnpack),
        _ => burnpack_to_safetensors(&architecture, input, burnpack),
    })
    .await
    .map_err(|e| export(e.to_string()))?
    .map_err(|e| export(e.to_string()))
}
