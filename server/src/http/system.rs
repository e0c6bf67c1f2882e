//! What the server is and offers: health, system (backend, device, workers),
//! architectures with parameter counts, and the methods with their parameter schemas.

use api::{
    ArchitectureInfo, BuiltinDataset, Health, MethodInfo, ParamCount, ParamCountRequest, RunStatus,
    SystemInfo,
};
use axum::extract::State;
use axum::Json;
use engine::data::describe;
use engine::models::{presets, resolve_zoo, Net};
use engine::spec::input_shape_of;
use serde::Deserialize;

use super::datasets::dataset_facts;
use super::extract::{ApiJson, ApiQuery};
use super::{ApiError, AppState};

/// The server answers.
#[utoipa::path(get, path = "/api/health", tag = "system",
    responses((status = 200, description = "The server is up", body = Health)))]
pub async fn health_get() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        version: env!("CARGO_PKG_VERSION").into(),
    })
}

/// Where runs train and how busy the workers are.
#[utoipa::path(get, path = "/api/system", tag = "system",
    responses((status = 200, description = "Backend, device and workers", body = SystemInfo)))]
pub async fn system_get(State(state): State<AppState>) -> Result<Json<SystemInfo>, ApiError> {
    let jobs = &state.jobs;
    let device = &jobs.runtime().device;
    Ok(Json(SystemInfo {
        version: env!("CARGO_PKG_VERSION").into(),
        backend: device.backend.as_str().into(),
        device: device.name.clone(),
        fallback_reason: device.fallback_reason.clone(),
        workers: jobs.slots(),
        busy: jobs.busy(),
        queued_runs: jobs.store().count_in_status(RunStatus::Queued).await?,
        worker_processes: jobs.live_workers().await?,
        database: if jobs.store().is_postgres() {
            "postgres"
        } else {
            "sqlite"
        }
        .into(),
        conventions: engine::LOSS_CONVENTIONS.into(),
    }))
}

/// The dataset parameter counts are for when none is named.
const DEFAULT_DATASET: &str = "fashion-mnist";

/// `?dataset=` of the architecture list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ArchitecturesQuery {
    /// The dataset parameter counts are for (`fashion-mnist` when absent).
    dataset: Option<String>,
}

/// The architecture presets with their parameter counts on a dataset.
#[utoipa::path(get, path = "/api/architectures", tag = "catalog", params(ArchitecturesQuery),
    responses((status = 200, description = "Every preset", body = [ArchitectureInfo]),
              (status = 400, description = "A malformed dataset name", body = api::ErrorBody),
              (status = 404, description = "No dataset of that name, built in or registered", body = api::ErrorBody)))]
pub async fn architectures_list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ArchitecturesQuery>,
) -> Result<Json<Vec<ArchitectureInfo>>, ApiError> {
    let name = query.dataset.as_deref().unwrap_or(DEFAULT_DATASET);
    let info = dataset_facts(name, &state.jobs.runtime().data_dirs)?;
    let input = input_shape_of(&info);
    let dataset = info.name;
    let list = tokio::task::spawn_blocking(move || {
        presets()
            .into_iter()
            .map(|p| ArchitectureInfo {
                name: p.name.into(),
                params: Net::parameter_count(&p.architecture, input),
                architecture: p.architecture,
                dataset: dataset.clone(),
            })
            .collect()
    })
    .await
    .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(list))
}

/// Counts the trainable parameters of any architecture on a dataset.
#[utoipa::path(post, path = "/api/architectures/params", tag = "catalog", request_body = ParamCountRequest,
    responses((status = 200, description = "The count", body = ParamCount),
              (status = 422, description = "Unknown preset or bad sizes", body = api::ErrorBody)))]
pub async fn architecture_params(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ParamCountRequest>,
) -> Result<Json<ParamCount>, ApiError> {
    let dataset = request
        .dataset
        .unwrap_or_else(|| BuiltinDataset::FashionMnist.into());
    let architecture = resolve_zoo(&request.architecture)
        .map_err(|message| ApiError::invalid_field("architecture", message))?;
    let info = describe(&dataset, &state.jobs.runtime().data_dirs)
        .map_err(|e| ApiError::invalid_field("dataset", e.to_string()))?;
    let input = input_shape_of(&info);
    engine::spec::check_architecture(&architecture, input, "architecture")
        .map_err(|e| ApiError::invalid_field(e.field, e.message))?;
    let counted = architecture.clone();
    let params = tokio::task::spawn_blocking(move || Net::parameter_count(&counted, input))
        .await
        .map_err(|e| ApiError::internal(e.to_string()))?;
    Ok(Json(ParamCount {
        architecture,
        params,
    }))
}

/// The distillation methods, each with its parameters' types, defaults and ranges.
#[utoipa::path(get, path = "/api/methods", tag = "catalog",
    responses((status = 200, description = "Every method", body = [MethodInfo])))]
pub async fn methods_list() -> Json<Vec<MethodInfo>> {
    Json(engine::spec::methods())
}
