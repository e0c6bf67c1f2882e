//! Every request the dashboard makes, one named function each, and the URLs it links to: the
//! one place that knows the server's paths (as leptos' hackernews example keeps its API).
//! `client` carries them and turns the server's errors into `ApiFailure`s.

use api::{
    ApiTokenInfo, ArchitectureInfo, Comparison, CreatedApiToken, DatasetInfo, DatasetManifest,
    ExperimentCurves, ExperimentDetail, ExperimentNotes, ExperimentPage, LoginRequest, MethodInfo,
    NewApiToken, ParamCount, RunCurves, RunListing, SessionInfo, ShareLink, ShareRequest,
    SharedView, SystemInfo,
};
use serde_json::Value;

use crate::client::{self, encode, ApiResult};

/// Who this browser is.
pub async fn session() -> ApiResult<SessionInfo> {
    client::get("/api/session").await
}

/// Exchanges the owner's token for a session cookie.
pub async fn login(request: &LoginRequest) -> ApiResult<()> {
    client::post_no_content("/api/login", request).await
}

/// Ends this browser's session.
pub async fn logout() -> ApiResult<()> {
    client::post_no_content("/api/logout", &()).await
}

/// Where runs train and how busy the workers are.
pub async fn system() -> ApiResult<SystemInfo> {
    client::get("/api/system").await
}

/// The datasets and whether this server can read them.
pub async fn datasets() -> ApiResult<Vec<DatasetInfo>> {
    client::get("/api/datasets").await
}

/// How to register an uploaded dataset: its name and the optional conversions.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct NewDataset {
    /// The name it gets.
    pub name: String,
    /// `HxW` to resize every image to, or empty.
    pub resize: String,
    /// `grey`, `rgb`, or empty for as found.
    pub colour: String,
    /// The uploaded file's name.
    pub filename: String,
}

/// Registers `file` (an image-folder archive or an `.npz`) as a dataset; `progress` hears the
/// share uploaded.
pub async fn add_dataset(
    request: &NewDataset,
    file: &web_sys::File,
    progress: impl Fn(f64) + 'static,
) -> ApiResult<DatasetManifest> {
    let mut query = format!(
        "name={}&filename={}",
        encode(&request.name),
        encode(&request.filename)
    );
    for (key, value) in [("resize", &request.resize), ("colour", &request.colour)] {
        if !value.is_empty() {
            query.push_str(&format!("&{key}={}", encode(value)));
        }
    }
    client::upload(&format!("/api/datasets?{query}"), file, progress).await
}

/// Removes a registered dataset (`force`: even though runs used it).
pub async fn remove_dataset(name: &str, force: bool) -> ApiResult<()> {
    client::delete(&format!("/api/datasets/{}?force={force}", encode(name))).await
}

/// The preview grid of a dataset (one row of images per class).
pub fn dataset_preview_url(name: &str) -> String {
    format!("/api/datasets/{}/preview.png", encode(name))
}

/// The distillation methods with their parameter forms.
pub async fn methods() -> ApiResult<Vec<MethodInfo>> {
    client::get("/api/methods").await
}

/// The presets with their sizes on `dataset`.
pub async fn architectures(dataset: &str) -> ApiResult<Vec<ArchitectureInfo>> {
    client::get(&format!("/api/architectures?dataset={}", encode(dataset))).await
}

/// The parameter count of an architecture on a dataset (`{"architecture", "dataset"}`).
pub async fn parameter_count(request: &Value) -> ApiResult<ParamCount> {
    client::post("/api/architectures/params", request).await
}

/// One page of experiments, newest first, filtered by a search and a status when given.
pub async fn experiments(
    limit: usize,
    search: Option<&str>,
    status: Option<&str>,
    teacher: Option<&str>,
    tag: Option<&str>,
    cursor: Option<&str>,
) -> ApiResult<ExperimentPage> {
    let mut path = format!("/api/experiments?limit={limit}");
    let filters = [
        ("q", search),
        ("status", status),
        ("teacher", teacher),
        ("tag", tag),
        ("cursor", cursor),
    ];
    for (name, value) in filters {
        if let Some(value) = value {
            path += &format!("&{name}={}", encode(value));
        }
    }
    client::get(&path).await
}

/// Changes an experiment's description and tags.
pub async fn set_notes(id: &str, notes: &ExperimentNotes) -> ApiResult<ExperimentDetail> {
    client::patch(&format!("/api/experiments/{id}"), notes).await
}

/// One experiment.
pub async fn experiment(id: &str) -> ApiResult<ExperimentDetail> {
    client::get(&format!("/api/experiments/{id}")).await
}

/// Submits a spec.
pub async fn submit_experiment(spec: &Value) -> ApiResult<ExperimentDetail> {
    client::post("/api/experiments", spec).await
}

/// Stops an experiment's runs.
pub async fn cancel_experiment(id: &str) -> ApiResult<ExperimentDetail> {
    client::post_empty(&format!("/api/experiments/{id}/cancel")).await
}

/// Deletes an experiment with its runs and files.
pub async fn delete_experiment(id: &str) -> ApiResult<()> {
    client::delete(&format!("/api/experiments/{id}")).await
}

/// A read-only link to an experiment.
pub async fn share_experiment(id: &str) -> ApiResult<ShareLink> {
    client::post_empty(&format!("/api/experiments/{id}/share")).await
}

/// A read-only link to a comparison of runs.
pub async fn share_comparison(runs: Vec<String>) -> ApiResult<ShareLink> {
    let request = ShareRequest {
        runs: Some(runs),
        ..ShareRequest::default()
    };
    client::post("/api/shares", &request).await
}

/// The share links that work.
pub async fn shares() -> ApiResult<Vec<ShareLink>> {
    client::get("/api/shares").await
}

/// Revokes a share link.
pub async fn revoke_share(token: &str) -> ApiResult<()> {
    client::delete(&format!("/api/shares/{token}")).await
}

/// What a share link shows.
pub async fn shared(token: &str) -> ApiResult<SharedView> {
    client::get(&format!("/api/shared/{token}")).await
}

/// Succeeded runs on `dataset`, which a stage can start from.
pub async fn trained_runs(dataset: &str) -> ApiResult<Vec<RunListing>> {
    client::get(&format!(
        "/api/runs?status=succeeded&dataset={}&limit=100",
        encode(dataset)
    ))
    .await
}

/// A run's curves on at most `max_points` buckets; through a share link when `share` is one.
pub async fn run_curves(share: Option<&str>, run: &str, max_points: usize) -> ApiResult<RunCurves> {
    let runs = match share {
        Some(token) => format!("/api/shared/{token}/runs"),
        None => "/api/runs".to_string(),
    };
    client::get(&format!("{runs}/{run}/curves?max_points={max_points}")).await
}

/// Each model of experiment `id` over its seeds, on at most `max_points` buckets; through a
/// share link of the experiment when `share` is one.
pub async fn experiment_curves(
    share: Option<&str>,
    id: &str,
    max_points: usize,
) -> ApiResult<ExperimentCurves> {
    let path = match share {
        Some(token) => format!("/api/shared/{token}/curves"),
        None => format!("/api/experiments/{id}/curves"),
    };
    client::get(&format!("{path}?max_points={max_points}")).await
}

/// Runs side by side.
pub async fn compare(runs: &str) -> ApiResult<Comparison> {
    client::get(&format!("/api/compare?runs={}", encode(runs))).await
}

/// The owner's API tokens.
pub async fn tokens() -> ApiResult<Vec<ApiTokenInfo>> {
    client::get("/api/tokens").await
}

/// A new API token (its secret is shown once).
pub async fn create_token(request: &NewApiToken) -> ApiResult<CreatedApiToken> {
    client::post("/api/tokens", request).await
}

/// Revokes an API token.
pub async fn revoke_token(id: &str) -> ApiResult<()> {
    client::delete(&format!("/api/tokens/{id}")).await
}

/// The live events of an experiment (server-sent events).
pub fn experiment_events_url(id: &str) -> String {
    format!("/api/experiments/{id}/events")
}

/// An experiment's results as a download, `csv` or `json`.
pub fn experiment_export_url(id: &str, format: &str) -> String {
    format!("/api/experiments/{id}/export?format={format}")
}

/// A run's trained model as a download: `burn` (burnpack), `safetensors` (the reference
/// implementation's names, for PyTorch) or `onnx` (for any ONNX runtime).
pub fn run_model_url(id: &str, format: &str) -> String {
    format!("/api/runs/{id}/model?format={format}")
}

/// What a model import sends besides the file.
#[derive(Debug, Clone)]
pub struct NewModel {
    /// A weights file's architecture: a preset's name or its JSON (empty for an ONNX file).
    pub architecture: String,
    /// The dataset it classifies.
    pub dataset: String,
    /// Its name (empty: the file's).
    pub name: String,
    /// The file's name (its extension tells the format).
    pub filename: String,
    /// An ONNX file's outputs and preprocessing, as the query takes them (empty ones left out).
    pub onnx: OnnxFields,
}

/// The ONNX options of an import, as typed.
#[derive(Debug, Clone, Default)]
pub struct OnnxFields {
    /// The logits output.
    pub logits: String,
    /// Feature outputs, comma-separated.
    pub features: String,
    /// `224` or `224,224`.
    pub size: String,
    /// Per-channel mean, comma-separated.
    pub mean: String,
    /// Per-channel std, comma-separated.
    pub std: String,
    /// Grey images to RGB.
    pub grey_to_rgb: bool,
}

/// Imports a trained model from a weights or ONNX file; the answer is its experiment, whose
/// one run is queued for evaluation. `progress` hears the share uploaded.
pub async fn import_model(
    request: &NewModel,
    file: &web_sys::File,
    progress: impl Fn(f64) + 'static,
) -> ApiResult<ExperimentDetail> {
    let onnx = &request.onnx;
    let mut query = format!(
        "filename={}&dataset={}",
        encode(&request.filename),
        encode(&request.dataset)
    );
    let optional = [
        ("architecture", &request.architecture),
        ("name", &request.name),
        ("logits", &onnx.logits),
        ("features", &onnx.features),
        ("size", &onnx.size),
        ("mean", &onnx.mean),
        ("std", &onnx.std),
    ];
    for (key, value) in optional {
        if !value.is_empty() {
            query.push_str(&format!("&{key}={}", encode(value)));
        }
    }
    if onnx.grey_to_rgb {
        query.push_str("&grey_to_rgb=true");
    }
    client::upload(&format!("/api/models?{query}"), file, progress).await
}

/// Every sweep, newest first.
pub async fn sweeps() -> ApiResult<Vec<api::SweepSummary>> {
    client::get("/api/sweeps").await
}

/// One sweep: its trials (validation only), the winner and the confirmation.
pub async fn sweep(id: &str) -> ApiResult<api::SweepView> {
    client::get(&format!("/api/sweeps/{id}")).await
}

/// Starts a sweep written as JSON.
pub async fn create_sweep(sweep: &Value) -> ApiResult<api::SweepCreated> {
    client::post("/api/sweeps", sweep).await
}

/// Cancels a sweep and the experiments it queued.
pub async fn cancel_sweep(id: &str) -> ApiResult<api::SweepView> {
    client::post_empty(&format!("/api/sweeps/{id}/cancel")).await
}

/// Creates a read-only link to a sweep.
pub async fn share_sweep(id: &str) -> ApiResult<ShareLink> {
    client::post_empty(&format!("/api/sweeps/{id}/share")).await
}

/// Deletes a sweep with the experiments it queued.
pub async fn delete_sweep(id: &str) -> ApiResult<()> {
    client::delete(&format!("/api/sweeps/{id}")).await
}
