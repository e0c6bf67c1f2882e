//! Comparisons of runs: curves on shared buckets (and each model's over its compared seeds),
//! deltas against each run's teacher and baseline (same experiment and seed), and the
//! accuracy/latency and accuracy/size Pareto fronts.

use api::{ComparedModel, ComparedRun, Comparison, ModelGain, RunCurves, RunKind, RunSummary};
use axum::extract::State;
use axum::Json;
use engine::stats::{estimate, gain_by_seed, spread_curves};
use serde::Deserialize;

use super::curves::{comma_list, max_points_param, metric_list, run_curves, run_row};
use super::extract::ApiQuery;
use super::model_curves::available_metrics;
use super::{ApiError, AppState};
use crate::store::RunRow;

pub(super) const MAX_COMPARED: usize = 20;

/// Runs to compare, which metrics, at what resolution.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
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
                        .map(|m| m.top1())
                })
        };
        let own = run.measurements.as_ref().map(|m| m.top1());
        let teacher = top1_of(&|r| r.kind().in_chain() && r.stage_index == 0);
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
                .map(|m| (m.top1(), m.latency_p50_ms))
        })
        .collect();
    let size: Vec<Option<(f64, f64)>> = compared
        .iter()
        .map(|c| {
            c.run
                .measurements
                .as_ref()
                .map(|m| (m.top1(), m.bytes as f64))
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
    let mut models = compared_models(&compared);
    for model in &mut models {
        let seeds: Vec<&RunCurves> = curves
            .iter()
            .filter(|c| model.runs.contains(&c.run_id))
            .collect();
        model.curves = spread_curves(&seeds, &available_metrics(&seeds));
    }
    let gains = model_gains(&compared, &models);
    Ok(Comparison {
        rows: compared,
        curves,
        models,
        gains,
    })
}

/// The compared runs grouped by model: one stage (or the baseline) of one experiment.
fn compared_models(rows: &[ComparedRun]) -> Vec<ComparedModel> {
    let mut models: Vec<(ModelKey, ComparedModel)> = Vec::new();
    for row in rows {
        let run = &row.run;
        let key = (run.experiment_id.clone(), run.kind, run.stage_index);
        let index = match models.iter().position(|(k, _)| *k == key) {
            Some(i) => i,
            None => {
                models.push((
                    key,
                    ComparedModel {
                        experiment_id: run.experiment_id.clone(),
                        experiment_name: row.experiment_name.clone(),
                        label: run.stage_name.clone(),
                        runs: Vec::new(),
                        seeds: Vec::new(),
                        top1: None,
                        curves: Vec::new(),
                    },
                ));
                models.len() - 1
            }
        };
        let model = &mut models[index].1;
        if !model.runs.contains(&run.id) {
            model.runs.push(run.id.clone());
            model.seeds.push(run.seed);
        }
    }
    models
        .into_iter()
        .map(|(_, mut model)| {
            model.top1 = estimate(
                &accuracies(rows, &model)
                    .into_iter()
                    .map(|v| v.1)
                    .collect::<Vec<_>>(),
            );
            model
        })
        .collect()
}

/// Which model a run belongs to.
type ModelKey = (String, RunKind, usize);

/// `(seed, reported accuracy)` of the succeeded runs of `model`.
fn accuracies(rows: &[ComparedRun], model: &ComparedModel) -> Vec<(u64, f64)> {
    rows.iter()
        .filter(|r| model.runs.contains(&r.run.id))
        .filter_map(|r| Some((r.run.seed, r.run.measurements.as_ref()?.top1())))
        .collect()
}

/// Every model against every later one with seeds in common, paired by seed.
fn model_gains(rows: &[ComparedRun], models: &[ComparedModel]) -> Vec<ModelGain> {
    let mut gains = Vec::new();
    for (i, a) in models.iter().enumerate() {
        for (j, b) in models.iter().enumerate().skip(i + 1) {
            if let Some(gain) = gain_by_seed(&accuracies(rows, a), &accuracies(rows, b)) {
                gains.push(ModelGain {
                    model: i,
                    over: j,
                    gain,
                });
            }
        }
    }
    gains
}

/// Parses and checks a comma-separated list of run ids.
pub(super) fn run_ids(text: Option<&str>) -> Result<Vec<String>, ApiError> {
    let ids = comma_list("runs", text.unwrap_or(""))?;
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
    let max_points = max_points_param(query.max_points.as_deref())?;
    let metrics = metric_list(query.metrics.as_deref())?;
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
