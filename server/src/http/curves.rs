//! Curves of a run, downsampled on the server (and cached per finished epoch).

use std::sync::Arc;

use api::{Curve, RunCurves};
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;

use super::curve_cache::CurveKey;
use super::extract::{bounded, ApiQuery};
use super::{ApiError, AppState};
use crate::ids::is_id;
use crate::store::RunRow;

/// Buckets per curve when the request does not say.
pub(super) const DEFAULT_POINTS: usize = 500;
/// Most buckets a request may ask for.
pub(super) const MAX_POINTS: usize = 10_000;

/// Which metrics, at what resolution.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct CurvesQuery {
    /// Comma-separated metric names (all when absent).
    pub(super) metrics: Option<String>,
    /// Buckets per curve, 2..=10000 (default 500).
    pub(super) max_points: Option<String>,
}

/// The run `id`, or a 404 naming `field`.
pub(super) async fn run_row(state: &AppState, id: &str, field: &str) -> Result<RunRow, ApiError> {
    let missing = || ApiError::not_found(field, format!("there is no run `{id}`"));
    if !is_id(id) {
        return Err(missing());
    }
    state.jobs.store().run(id).await?.ok_or_else(missing)
}

/// The `max_points` parameter: 2..=10,000 buckets, 500 when absent.
pub(super) fn max_points_param(text: Option<&str>) -> Result<usize, ApiError> {
    bounded("max_points", text, DEFAULT_POINTS, 2, MAX_POINTS)
}

/// The `metrics` parameter: `None` (every metric) when absent.
pub(super) fn metric_list(text: Option<&str>) -> Result<Option<Vec<String>>, ApiError> {
    text.map(|t| comma_list("metrics", t)).transpose()
}

/// The items of a comma-separated query value; an empty item (`a,,b`, or a comma at an end)
/// is refused like an empty value (`ApiQuery`).
pub(super) fn comma_list(parameter: &str, text: &str) -> Result<Vec<String>, ApiError> {
    if text.is_empty() {
        return Ok(Vec::new());
    }
    text.split(',')
        .map(|item| match item.trim() {
            "" => Err(ApiError::bad_parameter(
                parameter,
                format!("`{parameter}` has an empty item: name one between each pair of commas"),
            )),
            item => Ok(item.to_string()),
        })
        .collect()
}

/// The curves of `run`, on buckets over `[0, span]` epochs.
pub(super) async fn run_curves(
    state: &AppState,
    run: &RunRow,
    metrics: Option<&[String]>,
    span: f64,
    max_points: usize,
) -> Result<RunCurves, ApiError> {
    let available = state.jobs.store().metrics_of(&run.id).await?;
    let wanted: Vec<String> = match metrics {
        None => available.clone(),
        Some(list) => {
            if run.status().is_terminal() {
                // Any name is a well-formed request; a curve the run does not have is not
                // found, like a run that does not exist.
                if let Some(unknown) = list.iter().find(|m| !available.contains(m)) {
                    return Err(ApiError::not_found(
                        "metrics",
                        format!(
                            "run {} has no metric `{unknown}`; it has: {}",
                            run.id,
                            available.join(", ")
                        ),
                    ));
                }
            }
            list.to_vec()
        }
    };
    bucketed_curves(state, run, available, wanted, span, max_points).await
}

/// The curves `wanted` of `run` (which has the metrics `available`), on buckets over
/// `[0, span]` epochs, cached per finished epoch.
pub(super) async fn bucketed_curves(
    state: &AppState,
    run: &RunRow,
    available: Vec<String>,
    wanted: Vec<String>,
    span: f64,
    max_points: usize,
) -> Result<RunCurves, ApiError> {
    let store = state.jobs.store();
    let mut curves = Vec::with_capacity(wanted.len());
    for metric in wanted {
        let key = CurveKey {
            run_id: run.id.clone(),
            epochs_done: run.epochs_done,
            metric: metric.clone(),
            span: span.to_bits(),
            buckets: max_points,
        };
        let buckets = match state.curves.get(&key) {
            Some(cached) => cached,
            None => {
                let computed = Arc::new(
                    store
                        .curve_buckets(&run.id, &metric, span, max_points)
                        .await?,
                );
                state.curves.put(key, computed.clone());
                computed
            }
        };
        let (points, raw_points) = (buckets.0.clone(), buckets.1);
        curves.push(Curve {
            points,
            raw_points,
            metric,
        });
    }
    Ok(RunCurves {
        run_id: run.id.clone(),
        available,
        curves,
    })
}

/// A run's curves, downsampled to `max_points` buckets (min, max and last of each; the final
/// point always kept).
#[utoipa::path(get, path = "/api/runs/{id}/curves", tag = "runs", params(("id" = String, Path, description = "Run id"), CurvesQuery),
    responses((status = 200, description = "The curves", body = RunCurves),
              (status = 400, description = "A bad parameter", body = api::ErrorBody),
              (status = 404, description = "No such run, or a metric it does not have", body = api::ErrorBody)))]
pub async fn run_curves_get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<CurvesQuery>,
) -> Result<Json<RunCurves>, ApiError> {
    let run = run_row(&state, &id, "id").await?;
    curves_of(&state, &run, &query).await.map(Json)
}

/// The curves of `run` as `query` asks (the run's own route and a share link's).
pub(super) async fn curves_of(
    state: &AppState,
    run: &RunRow,
    query: &CurvesQuery,
) -> Result<RunCurves, ApiError> {
    let max_points = max_points_param(query.max_points.as_deref())?;
    let metrics = metric_list(query.metrics.as_deref())?;
    let span = run.epochs_total as f64;
    run_curves(state, run, metrics.as_deref(), span, max_points).await
}
