//! Each model of an experiment over its seeds: its runs' curves on shared buckets, folded into
//! one line per metric with the seeds' spread ([`engine::stats::spread_curves`]).

use api::{ExperimentCurves, ModelCurves, RunCurves, RunKind};
use axum::extract::{Path, State};
use axum::Json;
use engine::stats::spread_curves;

use super::curves::{bucketed_curves, max_points_param, metric_list, CurvesQuery};
use super::experiments::no_experiment;
use super::extract::ApiQuery;
use super::{ApiError, AppState};
use crate::ids::is_id;
use crate::store::RunRow;

/// Every model of an experiment (each stage, the baseline) as one line per metric — the mean
/// over its seeds — with the seeds' minimum, maximum and standard deviation at each bucket.
#[utoipa::path(get, path = "/api/experiments/{id}/curves", tag = "experiments",
    params(("id" = String, Path, description = "Experiment id"), CurvesQuery),
    responses((status = 200, description = "Each model's curves over its seeds", body = ExperimentCurves),
              (status = 400, description = "A bad parameter", body = api::ErrorBody),
              (status = 404, description = "No such experiment, or a metric none of its runs has", body = api::ErrorBody)))]
pub async fn experiment_curves_get(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiQuery(query): ApiQuery<CurvesQuery>,
) -> Result<Json<ExperimentCurves>, ApiError> {
    if !is_id(&id) || state.jobs.store().experiment(&id).await?.is_none() {
        return Err(no_experiment(&id));
    }
    experiment_curves(&state, &id, &query).await.map(Json)
}

/// The models of experiment `id` over their seeds, as `query` asks (the experiment's own route
/// and a share link's).
pub(super) async fn experiment_curves(
    state: &AppState,
    id: &str,
    query: &CurvesQuery,
) -> Result<ExperimentCurves, ApiError> {
    let max_points = max_points_param(query.max_points.as_deref())?;
    let asked = metric_list(query.metrics.as_deref())?;
    let runs = state.jobs.store().runs_of(&[id.to_string()]).await?;
    let mut models = Vec::new();
    for runs in by_model(runs) {
        let span = runs.iter().map(|r| r.epochs_total).max().unwrap_or(0) as f64;
        let mut curves = Vec::with_capacity(runs.len());
        for run in &runs {
            // A seed that lacks a metric asked for adds nothing to it (the request fails only
            // when no run has it, below).
            let available = state.jobs.store().metrics_of(&run.id).await?;
            let wanted = match &asked {
                Some(list) => list
                    .iter()
                    .filter(|m| available.contains(m))
                    .cloned()
                    .collect(),
                None => available.clone(),
            };
            curves.push(bucketed_curves(state, run, available, wanted, span, max_points).await?);
        }
        models.push(model_curves(&runs, &curves, asked.as_deref()));
    }
    if let Some(unknown) = asked.iter().flatten().find(|metric| {
        !models
            .iter()
            .any(|m: &ModelCurves| m.available.contains(metric))
    }) {
        return Err(ApiError::not_found(
            "metrics",
            format!("no run of experiment {id} has a metric `{unknown}`"),
        ));
    }
    Ok(ExperimentCurves {
        experiment_id: id.to_string(),
        models,
    })
}

/// The runs of an experiment by model: the stages in chain order, then the baseline; each
/// model's runs in seed order.
fn by_model(mut runs: Vec<RunRow>) -> Vec<Vec<RunRow>> {
    runs.sort_by_key(|r| (r.kind() == RunKind::Baseline, r.stage_index, r.seed));
    let mut models: Vec<Vec<RunRow>> = Vec::new();
    for run in runs {
        match models.last_mut() {
            Some(model) if same_model(&model[0], &run) => model.push(run),
            _ => models.push(vec![run]),
        }
    }
    models
}

fn same_model(a: &RunRow, b: &RunRow) -> bool {
    a.kind() == b.kind() && a.stage_index == b.stage_index
}

/// One model's curves over its seeds: each metric asked for (every metric a seed has when
/// none was named) folded across the seeds' `curves`.
fn model_curves(runs: &[RunRow], curves: &[RunCurves], asked: Option<&[String]>) -> ModelCurves {
    let seeds: Vec<&RunCurves> = curves.iter().collect();
    let available = available_metrics(&seeds);
    let metrics = asked.map_or_else(|| available.clone(), <[String]>::to_vec);
    let first = &runs[0];
    ModelCurves {
        label: first.stage_name.clone(),
        kind: first.kind(),
        stage_index: first.stage_index as usize,
        runs: runs.iter().map(|r| r.id.clone()).collect(),
        curves: spread_curves(&seeds, &metrics),
        available,
    }
}

/// Every metric any of `runs` has, in the order they first appear.
pub(super) fn available_metrics(runs: &[&RunCurves]) -> Vec<String> {
    let mut available: Vec<String> = Vec::new();
    for metric in runs.iter().flat_map(|c| &c.available) {
        if !available.contains(metric) {
            available.push(metric.clone());
        }
    }
    available
}
