//! Models trained elsewhere, imported over HTTP: the file is the request body — weights of a
//! zoo architecture, or an ONNX graph imported as a frozen teacher —, the architecture (or the
//! ONNX outputs and preprocessing) and dataset are query parameters, and the answer is the
//! one-stage experiment whose `imported` run a worker evaluates.

use api::{DatasetName, ExperimentDetail};
use axum::body::Body;
use axum::extract::State;
use axum::http::Uri;
use engine::models::{OnnxError, WeightsError};
use serde::Deserialize;

use super::experiments::created_experiment;
use super::extract::parse_query;
use super::upload::Upload;
use super::{ApiError, AppState, Created};
use crate::jobs::{
    import_kind, ImportError, ImportKind, ImportParamError, ModelImport, OnnxOptions,
};

/// What an uploaded weights file is.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NewModelQuery {
    /// The file's name; its extension tells the format: `.safetensors`, or `.pt`/`.pth` for a
    /// PyTorch state_dict (read without running pickled code), or `.onnx` for an ONNX graph
    /// imported as a frozen teacher.
    filename: Option<String>,
    /// The architecture the weights are for (not for ONNX): a preset's name (`resnet32x4`) or
    /// its JSON (`{"kind": "resnet", "depth": 8, "width": 0.5}`). Parameter names follow the
    /// reference implementation (mdistiller's for the CIFAR ResNets, e.g.
    /// `layer1.0.conv1.weight`).
    architecture: Option<String>,
    /// ONNX only: the output holding the logits [default: `logits`, else the first output].
    logits: Option<String>,
    /// ONNX only: outputs that serve as stage features for the feature methods,
    /// comma-separated, input side first (the import's notes list every output with its
    /// shape).
    features: Option<String>,
    /// ONNX only: `224` or `224,224` (height, width), the size the graph takes; images are
    /// resized (bilinear) [default: the dataset's].
    size: Option<String>,
    /// ONNX only: per-channel mean of pixels in `[0, 1]`, comma-separated
    /// (`0.485,0.456,0.406`); with `std`, the graph reads pixels normalised this way instead
    /// of the lab's normalisation.
    mean: Option<String>,
    /// ONNX only: per-channel standard deviation, as `mean`.
    std: Option<String>,
    /// ONNX only: repeat a grey image's channel three times for a graph that takes RGB.
    grey_to_rgb: Option<bool>,
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
              (status = 422, description = "The file does not fit the architecture (every missing, unused and misshapen tensor listed), or the architecture the dataset; an ONNX file that is not ONNX, uses an operator the runtime lacks (named), cannot take the dataset's images, or whose logits are not [batch, classes]", body = api::ErrorBody)))]
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
    let asked_logits = match &import.kind {
        ImportKind::Onnx(choice) => choice.logits.clone(),
        ImportKind::Weights { .. } => None,
    };
    let id = state.jobs.import_model(import).await.map_err(|e| match e {
        ImportError::Submit(e) => e.into(),
        ImportError::Weights(e) => refused(e),
        ImportError::Onnx(e) => onnx_refused(e, asked_logits.as_deref()),
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
    let options = OnnxOptions {
        logits: query.logits,
        features: query.features,
        size: query.size,
        mean: query.mean,
        std: query.std,
        grey_to_rgb: query.grey_to_rgb.unwrap_or(false),
    };
    let kind =
        import_kind(&file_name, query.architecture.as_deref(), &options).map_err(|e| match e {
            ImportParamError::Malformed(e) => ApiError::bad_parameter(&e.field, e.message),
            ImportParamError::Invalid(e) => ApiError::invalid_field(e.field, e.message),
        })?;
    let dataset = required(query.dataset, "dataset", "cifar10")?;
    let dataset = DatasetName::new(&dataset).map_err(|m| ApiError::bad_parameter("dataset", m))?;
    Ok(ModelImport {
        file,
        kind,
        file_name,
        dataset,
        name: query.name,
    })
}

/// An ONNX file that cannot teach as asked: 422 naming the query parameter at fault, else the
/// file.
fn onnx_refused(error: OnnxError, asked_logits: Option<&str>) -> ApiError {
    let field = match &error {
        OnnxError::Logits { .. } => "logits",
        OnnxError::FeatureShape { .. } => "features",
        OnnxError::UnknownOutputs { unknown, .. } => {
            match asked_logits.is_some_and(|l| unknown.iter().any(|u| u == l)) {
                true => "logits",
                false => "features",
            }
        }
        OnnxError::Preprocess { option, .. } => option,
        _ => "file",
    };
    ApiError::invalid_field(field, error.to_string())
}

/// A file that is not the architecture's weights: 422 naming the file.
fn refused(error: WeightsError) -> ApiError {
    ApiError::invalid_field("file", error.to_string())
}
