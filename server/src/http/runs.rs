//! Runs across experiments: a filtered list, newest first (the composer picks a trained model
//! for a first stage from it).

use api::{DatasetName, RunListing};
use axum::extract::State;
use axum::Json;
use serde::Deserialize;

use super::experiments::MAX_PAGE;
use super::extract::{bounded, ApiQuery};
use super::{ApiError, AppState};

/// Filters of the run list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RunsQuery {
    /// queued | running | succeeded | failed | cancelled | interrupted
    status: Option<String>,
    /// Only runs of experiments on this dataset.
    dataset: Option<String>,
    /// At most this many, 1..=200 (default 50).
    limit: Option<String>,
}

/// Runs of every experiment, newest first, with their experiment's name and dataset.
#[utoipa::path(get, path = "/api/runs", tag = "runs", params(RunsQuery),
    responses((status = 200, description = "The runs", body = [RunListing])))]
pub async fn runs_list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<RunsQuery>,
) -> Result<Json<Vec<RunListing>>, ApiError> {
    let status = super::experiments::status_param(query.status.as_deref())?;
    let dataset = match query.dataset.as_deref() {
        None => None,
        Some(text) => Some(
            DatasetName::new(text)
                .map_err(|message| ApiError::bad_parameter("dataset", message))?,
        ),
    };
    let limit = bounded("limit", query.limit.as_deref(), 50, 1, MAX_PAGE)?;
    let rows = state
        .jobs
        .store()
        .list_runs(status, dataset.as_ref().map(DatasetName::as_str), limit)
        .await?;
    rows.into_iter()
        .map(|listed| {
            Ok(RunListing {
                run: state.jobs.run_summary(&listed.run)?,
                experiment_name: listed.experiment_name,
                dataset: DatasetName::new(listed.experiment_dataset).map_err(ApiError::internal)?,
            })
        })
        .collect::<Result<_, ApiError>>()
        .map(Json)
}
