//! Models trained elsewhere, imported over HTTP: the weights file is the request body, the
//! architecture and dataset are query parameters, and the answer is the one-stage experiment
//! whose `imported` run a worker evaluates.

use api::{Architecture, DatasetName, ExperimentDetail};
use axum::body::Body;
use axum::extract::State;
use axum::http::Uri;
use engine::models::{resolve, WeightsError, WeightsFormat};
use serde::Deserialize;

use super::experiments::created_experiment;
use super::extract::parse_query;
use super::upload::Upload;
use super::{ApiError, AppState, Created};
use crate::jobs::{ImportError, ModelImport};

/// What an uploaded weights file is.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NewModelQuery {
    /// The file's name; its extension tells the format: `.safetensors`, or `.pt`/`.pth` for a
    /// PyTorch state_dict (read without running pickled code).
    filename: Option<String>,
    /// The architecture the weights are for: a preset's name (`resnet32x4`) or its JSON
    /// (`{"kind": "resnet", "depth": 8, "width": 0.5}`). Parameter names follow the reference
    /// implementation (mdistiller's for the CIFAR ResNets, e.g. `layer1.0.conv1.weight`).
    architecture: Option<String>,
    /// The dataset the model classifies (its class count must be the classifier's); the model
    /// is evaluated on its test split.
    dataset: Option<String>,
    /// A name for the model and its experiment [default: the file name].
    name: Option<String>,
}

/// Imports a trained model from a weights file in the request body: checked against the
/// architecture whole before anything is stored, then queued for evaluation as a run of kind
/// `imported` (accuracy, size and latency like any run), usable as `chain[0].from_run`.
#[utoipa::path(post, path = "/api/models", tag = "runs", params(NewModelQuery),
    request_body(content = String, content_type = "application/octet-stream",
                 description = "The weights file, as raw bytes"),
    responses((status = 201, description = "Imported: its experiment, with the run queued for evaluation", body = ExperimentDetail),
              (status = 400, description = "A missing or bad query parameter", body = api::ErrorBody),
              (status = 413, description = "Over the upload cap", body = api::ErrorBody),
              (status = 422, description = "The file does not fit the architecture (every missing, unused and misshapen tensor listed), or the architecture the dataset", body = api::ErrorBody)))]
pub async fn models_create(
    State(state): State<AppState>,
    uri: Uri,
    body: Body,
) -> Result<Created<ExperimentDetail>, ApiError> {
    let root = state.jobs.runtime().artifacts.root().to_path_buf();
    // The body is read before anything is refused (see `datasets_create`).
    let upload = Upload::receive(&root, body, state.max_upload_bytes).await?;
    let query: NewModelQuery = parse_query(uri.query().unwrap_or(""))?;
    let import = import_of(query, upload.path().to_path_buf())?;
    let id = state.jobs.import_model(import).await.map_err(|e| match e {
        ImportError::Submit(e) => e.into(),
        ImportError::Weights(e) => refused(e),
    })?;
    drop(upload);
    created_experiment(&state, &id).await
}

/// The import a query asks for, or the parameter that is missing or wrong.
fn import_of(query: NewModelQuery, file: std::path::PathBuf) -> Result<ModelImport, ApiError> {
    let required = |value: Option<String>, name: &str, example: &str| {
        value.ok_or_else(|| {
            ApiError::bad_parameter(name, format!("give `{name}`: ?{name}={example}"))
        })
    };
    let file_name = required(query.filename, "filename", "teacher.safetensors")?;
    let format = WeightsFormat::of_file_name(&file_name).ok_or_else(|| {
        ApiError::bad_parameter(
            "filename",
            format!("`{file_name}` is not a weights file the lab reads: name it .safetensors, .pt or .pth"),
        )
    })?;
    let architecture =
        parse_architecture(&required(query.architecture, "architecture", "resnet32x4")?)?;
    let dataset = required(query.dataset, "dataset", "cifar10")?;
    let dataset = DatasetName::new(&dataset).map_err(|m| ApiError::bad_parameter("dataset", m))?;
    Ok(ModelImport {
        file,
        format,
        file_name,
        architecture,
        dataset,
        name: query.name,
    })
}

/// A preset's name or an architecture's JSON, resolved.
fn parse_architecture(text: &str) -> Result<Architecture, ApiError> {
    let architecture = if text.trim_start().starts_with('{') {
        serde_json::from_str(text).map_err(|e| {
            ApiError::invalid_field("architecture", format!("not an architecture: {e}"))
        })?
    } else {
        Architecture::Preset {
            name: text.to_string(),
        }
    };
    // Any text is a well-formed query value: one that names no architecture is a 422.
    resolve(&architecture).map_err(|m| ApiError::invalid_field("architecture", m))
}

/// A file that is not the architecture's weights: 422 naming the file.
fn refused(error: WeightsError) -> ApiError {
    ApiError::invalid_field("file", error.to_string())
}
