//! Curves of a run, downsampled on the server, and comparisons of runs on shared buckets with
//! deltas against each run's teacher and baseline and the accuracy/latency and accuracy/size
//! Pareto fronts.

use std::sync::Arc;

use api::{ComparedRun, Comparison, Curve, RunCurves, RunKind, RunSummary};
use axum::extract::{Path, State};
use axum::Json;
use serde::Deserialize;

use super::curve_cache::CurveKey;
use super::extract::{bounded, ApiQuery};
use super::{ApiError, AppState};
use crate::ids::is_id;
use crate::store::RunRow;

const DEFAULT_POINTS: usize = 500;
const MAX_POINTS: usize = 10_000;
const MAX_COMPARED: usize = 20;

/// Which metrics, at what resolution.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CurvesQuery {
    /// Comma-separated metric names (all when absent).
    metrics: Option<String>,
    /// Buckets per curve, 2..=10000 (default 500).
    max_points: Option<String>,
}

/// The run `id`, or a 404 naming `field`.
pub(super) async fn run_row(state: &AppState, id: &str, field: &str) -> Result<RunRow, ApiError> {
    let missing = || ApiError::not_found(field, format!("there is no run `{id}`"));
    if !is_id(id) {
        return Err(missing());
    }
    state.jobs.store().run(id).await?.ok_or_else(missing)
}

fn metric_list(text: Option<&str>) -> Option<Vec<String>> {
    text.map(|t| {
        t.split(',')
            .map(str::trim)
            .filter(|m| !m.is_empty())
            .map(str::to_string)
            .collect()
    })
    .filter(|list: &Vec<String>| !list.is_empty())
}

/// The curves of `run`, on buckets over `[0, span]` epochs.
pub(super) async fn run_curves(
    state: &AppState,
    run: &RunRow,
    metrics: Option<&[String]>,
    span: f64,
    max_points: usize,
) -> Result<RunCurves, ApiError> {
    let store = state.jobs.store();
    let available = store.metrics_of(&run.id).await?;
    let wanted: Vec<String> = match metrics {
        None => available.clone(),
        Some(list) => {
            if run.status().is_terminal() {
                if let Some(unknown) = list.iter().find(|m| !available.contains(m)) {
                    return Err(ApiError::bad_parameter(
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
              (status = 404, description = "No such run", body = api::ErrorBody)))]
pub async fn run_curves_get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<CurvesQuery>,
) -> Result<Json<RunCurves>, ApiError> {
    let max_points = bounded(
        "max_points",
        query.max_points.as_deref(),
        DEFAULT_POINTS,
        2,
        MAX_POINTS,
    )?;
    let run = run_row(&state, &id, "id").await?;
    let metrics = metric_list(query.metrics.as_deref());
    let span = run.epochs_total as f64;
    Ok(Json(
        run_curves(&state, &run, metrics.as_deref(), span, max_points).await?,
    ))
}

/// Runs to compare, which metrics, at what resolution.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
pub struct CompareQuery {
    /// Comma-separated run ids (1 to 20).
    runs: Option<String>,
    /// Comma-separated metric names (every metric of every run when absent).
    metrics: Option<String>,
    /// Buckets per curve, 2..=10000 (default 500).
    max_points: Option<String>,
}

/// Whether `i` is on the front of "more accuracy, less cost".
fn on_front(points: &[Option<(f64, f64)>], i: usize) -> bool {
    let Some((acc, cost)) = points[i] else {
        return false;
    };
    !points.iter().enumerate().any(|(j, other)| {
        j != i && other.is_some_and(|(a, c)| a >= acc && c <= cost && (a > acc || c < cost))
    })
}

/// Compares runs: the comparison the handler and share links show.
pub(super) async fn comparison(
    state: &AppState,
    ids: &[String],
    metrics: Option<&[String]>,
    max_points: usize,
) -> Result<Comparison, ApiError> {
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        rows.push(run_row(state, id, "runs").await?);
    }
    let span = rows
        .iter()
        .map(|r| r.epochs_total as f64)
        .fold(1.0, f64::max);
    let store = state.jobs.store();
    let mut compared = Vec::with_capacity(rows.len());
    let mut curves = Vec::with_capacity(rows.len());
    for row in &rows {
        let run: RunSummary = state.jobs.run_summary(row)?;
        let siblings = store
            .runs_of(std::slice::from_ref(&row.experiment_id))
            .await?;
        let top1_of = |pick: &dyn Fn(&RunRow) -> bool| {
            siblings
                .iter()
                .find(|r| pick(r) && r.seed == row.seed)
                .and_then(|r| {
                    r.summary()
                        .ok()
                        .and_then(|s| s.measurements)
                        .map(|m| m.top1)
                })
        };
        let own = run.measurements.as_ref().map(|m| m.top1);
        let teacher = top1_of(&|r| r.kind() == RunKind::Stage && r.stage_index == 0);
        let baseline = top1_of(&|r| r.kind() == RunKind::Baseline);
        let experiment_name = store
            .experiment(&row.experiment_id)
            .await?
            .map(|e| e.name)
            .unwrap_or_default();
        curves.push(run_curves(state, row, None, span, max_points).await?);
        compared.push(ComparedRun {
            delta_vs_teacher: own.zip(teacher).map(|(o, t)| o - t),
            delta_vs_baseline: own.zip(baseline).map(|(o, b)| o - b),
            experiment_name,
            run,
            pareto_latency: false,
            pareto_size: false,
        });
    }
    let latency: Vec<Option<(f64, f64)>> = compared
        .iter()
        .map(|c| {
            c.run
                .measurements
                .as_ref()
                .map(|m| (m.top1, m.latency_p50_ms))
        })
        .collect();
    let size: Vec<Option<(f64, f64)>> = compared
        .iter()
        .map(|c| {
            c.run
                .measurements
                .as_ref()
                .map(|m| (m.top1, m.bytes as f64))
        })
        .collect();
    for (i, c) in compared.iter_mut().enumerate() {
        c.pareto_latency = on_front(&latency, i);
        c.pareto_size = on_front(&size, i);
    }
    if let Some(wanted) = metrics {
        for run_curves in &mut curves {
            run_curves.curves.retain(|c| wanted.contains(&c.metric));
        }
    }
    Ok(Comparison {
        rows: compared,
        curves,
    })
}

/// Parses and checks a comma-separated list of run ids.
pub(super) fn run_ids(text: Option<&str>) -> Result<Vec<String>, ApiError> {
    let ids: Vec<String> = text
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if ids.is_empty() || ids.len() > MAX_COMPARED {
        return Err(ApiError::bad_parameter(
            "runs",
            format!(
                "name 1 to {MAX_COMPARED} run ids, comma-separated (got {})",
                ids.len()
            ),
        ));
    }
    Ok(ids)
}

/// Runs side by side: curves on the same buckets, a table with deltas, Pareto fronts.
#[utoipa::path(get, path = "/api/compare", tag = "runs", params(CompareQuery),
    responses((status = 200, description = "The comparison", body = Comparison),
              (status = 400, description = "A bad parameter", body = api::ErrorBody),
              (status = 404, description = "A run does not exist", body = api::ErrorBody)))]
pub async fn compare_get(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<CompareQuery>,
) -> Result<Json<Comparison>, ApiError> {
    let ids = run_ids(query.runs.as_deref())?;
    let max_points = bounded(
        "max_points",
        query.max_points.as_deref(),
        DEFAULT_POINTS,
        2,
        MAX_POINTS,
    )?;
    let metrics = metric_list(query.metrics.as_deref());
    Ok(Json(
        comparison(&state, &ids, metrics.as_deref(), max_points).await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::on_front;

    #[test]
    fn a_run_beaten_on_both_accuracy_and_cost_is_off_the_front() {
        let points = [Some((0.9, 2.0)), Some((0.8, 3.0)), Some((0.85, 1.0)), None];
        let front: Vec<bool> = (0..4).map(|i| on_front(&points, i)).collect();
        assert_eq!(front, [true, false, true, false]);
    }
}
