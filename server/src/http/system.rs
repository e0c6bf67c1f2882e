//! What the server is and offers: health, system (backend, device, workers), datasets,
//! architectures with parameter counts, and the methods with their parameter schemas.

use api::{
    ArchitectureInfo, DatasetInfo, DatasetName, Health, MethodInfo, ParamCount, ParamCountRequest,
    RunStatus, SystemInfo,
};
use axum::extract::State;
use axum::Json;
use engine::data::{catalog, locate};
use engine::models::{presets, resolve, Net};
use engine::spec::input_shape_of;
use serde::Deserialize;

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

/// The datasets, and whether this server has their files.
#[utoipa::path(get, path = "/api/datasets", tag = "catalog",
    responses((status = 200, description = "Every dataset", body = [DatasetInfo])))]
pub async fn datasets_list(State(state): State<AppState>) -> Json<Vec<DatasetInfo>> {
    let dirs = &state.jobs.runtime().data_dirs;
    Json(
        DatasetName::ALL
            .into_iter()
            .map(|name| {
                let info = catalog(name);
                let location = locate(name, dirs);
                let available = name == DatasetName::Synthetic || location.is_some();
                DatasetInfo {
                    name,
                    channels: info.channels,
                    height: info.height,
                    width: info.width,
                    classes: info.classes,
                    train_size: info.train_size,
                    test_size: info.test_size,
                    available,
                    location: location.map(|p| p.display().to_string()),
                    hint: (!available).then(|| format!("distill data fetch {name}")),
                }
            })
            .collect(),
    )
}

/// `?dataset=` of the architecture list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ArchitecturesQuery {
    /// The dataset parameter counts are for (`fashion-mnist` when absent).
    dataset: Option<String>,
}

fn dataset_param(name: Option<&str>) -> Result<DatasetName, ApiError> {
    match name {
        None => Ok(DatasetName::FashionMnist),
        Some(text) => DatasetName::parse(text).ok_or_else(|| {
            let known: Vec<&str> = DatasetName::ALL.iter().map(|d| d.as_str()).collect();
            ApiError::bad_parameter(
                "dataset",
                format!("unknown dataset `{text}`; known: {}", known.join(", ")),
            )
        }),
    }
}

/// The architecture presets with their parameter counts on a dataset.
#[utoipa::path(get, path = "/api/architectures", tag = "catalog", params(ArchitecturesQuery),
    responses((status = 200, description = "Every preset", body = [ArchitectureInfo]),
              (status = 400, description = "Unknown dataset", body = api::ErrorBody)))]
pub async fn architectures_list(
    ApiQuery(query): ApiQuery<ArchitecturesQuery>,
) -> Result<Json<Vec<ArchitectureInfo>>, ApiError> {
    let dataset = dataset_param(query.dataset.as_deref())?;
    let input = input_shape_of(dataset);
    let list = tokio::task::spawn_blocking(move || {
        presets()
            .into_iter()
            .map(|p| ArchitectureInfo {
                name: p.name.into(),
                params: Net::parameter_count(&p.architecture, input),
                architecture: p.architecture,
                dataset,
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
    ApiJson(request): ApiJson<ParamCountRequest>,
) -> Result<Json<ParamCount>, ApiError> {
    let dataset = request.dataset.unwrap_or(DatasetName::FashionMnist);
    let architecture = resolve(&request.architecture)
        .map_err(|message| ApiError::invalid_field("architecture", message))?;
    let input = input_shape_of(dataset);
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
