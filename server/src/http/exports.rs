//! Downloads: an experiment's runs and full-resolution curves as CSV or JSON, and a trained
//! model's weights.

use api::ExperimentExport;
use axum::extract::{Path, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;

use super::curves::run_row;
use super::experiments::experiment_detail;
use super::extract::ApiQuery;
use super::{ApiError, AppState};
use crate::exports::{curves_csv, stored_curves};
use crate::model_files::{model_file, ModelFileError, ModelFormat};

/// The export format.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ExportQuery {
    /// `json` (default) or `csv`.
    format: Option<String>,
}

fn attachment(content_type: &str, file: String, body: impl IntoResponse) -> Response {
    (
        [
            (CONTENT_TYPE, content_type.to_string()),
            (
                CONTENT_DISPOSITION,
                format!("attachment; filename=\"{file}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// An experiment with every run and every stored curve point.
#[utoipa::path(get, path = "/api/experiments/{id}/export", tag = "experiments",
    params(("id" = String, Path, description = "Experiment id"), ExportQuery),
    responses((status = 200, description = "JSON (ExperimentExport) or CSV (one row per point)",
               content((ExperimentExport = "application/json"), (String = "text/csv"))),
              (status = 400, description = "Unknown format", body = api::ErrorBody),
              (status = 404, description = "No such experiment", body = api::ErrorBody)))]
pub async fn experiment_export(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ExportQuery>,
) -> Result<Response, ApiError> {
    let format = query.format.as_deref().unwrap_or("json");
    if !matches!(format, "json" | "csv") {
        return Err(ApiError::bad_parameter(
            "format",
            format!("`format` is `json` or `csv`, got `{format}`"),
        ));
    }
    let experiment = experiment_detail(&state, &id).await?;
    let curves = stored_curves(state.jobs.store(), &experiment.runs).await?;
    if format == "json" {
        let export = ExperimentExport {
            experiment,
            conventions: engine::LOSS_CONVENTIONS.into(),
            curves,
        };
        let body =
            serde_json::to_string_pretty(&export).map_err(|e| ApiError::internal(e.to_string()))?;
        return Ok(attachment(
            "application/json",
            format!("distill-{id}.json"),
            body,
        ));
    }
    let csv = curves_csv(&id, &experiment.runs, &curves);
    Ok(attachment(
        "text/csv; charset=utf-8",
        format!("distill-{id}.csv"),
        csv,
    ))
}

/// Which file of a trained model to download.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ModelQuery {
    /// `burn` (default: burn's burnpack, loadable into the run's architecture),
    /// `safetensors` (the reference implementation's names in PyTorch's layout, so
    /// `load_state_dict` of that definition takes it) or `onnx` (input `images`, batch
    /// dimension free; outputs `logits` and `stage1`, `stage2`, …).
    format: Option<String>,
}

/// The trained model's weights (the val-best model when the run kept one).
#[utoipa::path(get, path = "/api/runs/{id}/model", tag = "runs",
    params(("id" = String, Path, description = "Run id"), ModelQuery),
    responses((status = 200, description = "The weights", content_type = "application/octet-stream"),
              (status = 400, description = "Unknown format", body = api::ErrorBody),
              (status = 404, description = "No such run", body = api::ErrorBody),
              (status = 409, description = "The run has no trained model (yet), or its model cannot be rebuilt to convert it (its dataset is gone)", body = api::ErrorBody)))]
pub async fn run_model(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<ModelQuery>,
) -> Result<Response, ApiError> {
    let name = query.format.as_deref().unwrap_or("burn");
    let format = ModelFormat::parse(name).ok_or_else(|| {
        ApiError::bad_parameter(
            "format",
            format!("`format` is {}, got `{name}`", ModelFormat::CHOICES),
        )
    })?;
    let run = run_row(&state, &id, "id").await?;
    let file = model_file(&state.jobs, &run, format)
        .await
        .map_err(|e| match e {
            ModelFileError::NoModel(message) => ApiError::conflict("no_model", message),
            // Its experiment or registered dataset is gone, say: the model cannot be rebuilt.
            ModelFileError::Export(message) => ApiError::conflict("not_exportable", message),
        })?;
    Ok(attachment(
        "application/octet-stream",
        file.name,
        file.bytes,
    ))
}
