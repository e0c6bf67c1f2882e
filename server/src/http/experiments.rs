//! Experiments: submit, list (filter, search, cursor pages), read, cancel, delete.

use api::{ExperimentDetail, ExperimentNotes, ExperimentPage, ExperimentSpec, RunStatus, Tag};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use serde::Deserialize;

use super::extract::{bounded, ApiJson, ApiQuery};
use super::{created, ApiError, AppState, Created};
use crate::ids::is_id;
use crate::jobs::CancelOutcome;
use crate::store::ExperimentFilter;

/// A 404 for an experiment id that is malformed or unknown.
pub(super) fn no_experiment(id: &str) -> ApiError {
    ApiError::not_found("id", format!("there is no experiment `{id}`"))
}

/// The experiment `id`, or a 404 naming it.
pub(super) async fn experiment_detail(
    state: &AppState,
    id: &str,
) -> Result<ExperimentDetail, ApiError> {
    if !is_id(id) {
        return Err(no_experiment(id));
    }
    state
        .jobs
        .detail(id)
        .await?
        .ok_or_else(|| no_experiment(id))
}

/// Validates a spec, queues its runs (each seed's chain in teaching order, then its baseline)
/// and answers with the experiment as stored.
#[utoipa::path(post, path = "/api/experiments", tag = "experiments", request_body = ExperimentSpec,
    responses(
        (status = 201, description = "Queued", body = ExperimentDetail),
        (status = 400, description = "The body is not JSON", body = api::ErrorBody),
        (status = 413, description = "The body is over 1 MiB", body = api::ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = api::ErrorBody),
        (status = 422, description = "A field is wrong; `field` names it", body = api::ErrorBody)))]
pub async fn experiments_create(
    State(state): State<AppState>,
    ApiJson(spec): ApiJson<serde_json::Value>,
) -> Result<Created<ExperimentDetail>, ApiError> {
    // Parsed by the engine, which names fields inside tagged terms and architectures too.
    let spec = engine::spec::parse_spec_value(spec)
        .map_err(|e| ApiError::invalid_field(e.field, e.message))?;
    let id = state.jobs.submit(spec).await?;
    created_experiment(&state, &id).await
}

/// The 201 answer for the new experiment `id`.
pub(super) async fn created_experiment(
    state: &AppState,
    id: &str,
) -> Result<Created<ExperimentDetail>, ApiError> {
    let detail = experiment_detail(state, id).await?;
    Ok(created(format!("/api/experiments/{id}"), detail))
}

/// Most experiments on one page of the list.
pub(super) const MAX_PAGE: usize = 200;

/// Filters and page of the experiment list.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// queued | running | succeeded | failed | cancelled | interrupted
    status: Option<String>,
    /// Case-insensitive text in the name, dataset, chain, description or tags.
    q: Option<String>,
    /// Page size, 1..=200 (default 50).
    limit: Option<String>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// A run id: only experiments whose first stage is that run's model (the run itself, a
    /// reuse of it, or a `from_run` of it), i.e. that share that teacher.
    teacher: Option<String>,
    /// Only experiments with this tag.
    tag: Option<String>,
}

fn parse_cursor(cursor: &str) -> Result<(i64, String), ApiError> {
    cursor
        .split_once('-')
        .and_then(|(at, id)| Some((at.parse().ok()?, id)))
        .filter(|(_, id)| is_id(id))
        .map(|(at, id)| (at, id.to_string()))
        .ok_or_else(|| {
            ApiError::bad_parameter(
                "cursor",
                format!("`{cursor}` is not a cursor this server gave out"),
            )
        })
}

/// The `status` filter of a list: absent or empty for all.
pub(super) fn status_param(text: Option<&str>) -> Result<Option<RunStatus>, ApiError> {
    match text {
        None => Ok(None),
        Some(text) => RunStatus::parse(text).map(Some).ok_or_else(|| {
            let known: Vec<&str> = RunStatus::ALL.iter().map(|s| s.as_str()).collect();
            ApiError::bad_parameter(
                "status",
                format!("unknown status `{text}`; known: {}", known.join(", ")),
            )
        }),
    }
}

/// The run whose model run `id` is: the run it reuses or was taken from, else itself.
async fn teacher_model(state: &AppState, id: &str) -> Result<String, ApiError> {
    let run = super::curves::run_row(state, id, "teacher").await?;
    Ok(run.reused_from.or(run.from_run).unwrap_or(run.id))
}

/// Experiments, newest first, with their status and best student accuracy.
#[utoipa::path(get, path = "/api/experiments", tag = "experiments", params(ListQuery),
    responses((status = 200, description = "One page", body = ExperimentPage),
              (status = 400, description = "A bad parameter", body = api::ErrorBody),
              (status = 404, description = "No run is the `teacher` named", body = api::ErrorBody)))]
pub async fn experiments_list(
    State(state): State<AppState>,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> Result<Json<ExperimentPage>, ApiError> {
    let status = status_param(query.status.as_deref())?;
    let filter = ExperimentFilter {
        status,
        search: query
            .q
            .filter(|q| !q.trim().is_empty())
            .map(|q| q.trim().to_string()),
        limit: bounded("limit", query.limit.as_deref(), 50, 1, MAX_PAGE)?,
        before: query.cursor.as_deref().map(parse_cursor).transpose()?,
        tag: match query.tag {
            Some(tag) => match Tag::problem(&tag) {
                Some(problem) => return Err(ApiError::bad_parameter("tag", problem)),
                None => Some(tag),
            },
            None => None,
        },
        teacher: match query.teacher.as_deref().filter(|t| !t.is_empty()) {
            Some(id) => Some(teacher_model(&state, id).await?),
            None => None,
        },
    };
    let (mut rows, total) = state.jobs.store().list_experiments(&filter).await?;
    // The store reads one row more than the page, to know whether another page follows.
    let next_cursor = (rows.len() > filter.limit)
        .then(|| {
            rows.truncate(filter.limit);
            rows.last().map(|r| format!("{}-{}", r.created_at, r.id))
        })
        .flatten();
    Ok(Json(ExperimentPage {
        experiments: state.jobs.summaries(&rows).await?,
        next_cursor,
        total,
    }))
}

/// The experiment: resolved spec, every run with live progress, per-model results.
#[utoipa::path(get, path = "/api/experiments/{id}", tag = "experiments",
    params(("id" = String, Path, description = "Experiment id")),
    responses((status = 200, description = "The experiment", body = ExperimentDetail),
              (status = 404, description = "No such experiment", body = api::ErrorBody)))]
pub async fn experiment_get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ExperimentDetail>, ApiError> {
    Ok(Json(experiment_detail(&state, &id).await?))
}

/// The longest description an experiment keeps.
const MAX_DESCRIPTION: usize = 10_000;
/// The most tags an experiment keeps.
const MAX_TAGS: usize = 20;

/// Changes the experiment's notes: its description and tags (a field left out stays as it is).
#[utoipa::path(patch, path = "/api/experiments/{id}", tag = "experiments", request_body = ExperimentNotes,
    params(("id" = String, Path, description = "Experiment id")),
    responses((status = 200, description = "The experiment with its notes", body = ExperimentDetail),
              (status = 400, description = "The body is not JSON", body = api::ErrorBody),
              (status = 404, description = "No such experiment", body = api::ErrorBody),
              (status = 413, description = "The body is over 1 MiB", body = api::ErrorBody),
              (status = 415, description = "The body is not declared as JSON", body = api::ErrorBody),
              (status = 422, description = "A field is wrong; `field` names it", body = api::ErrorBody)))]
pub async fn experiment_patch(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(notes): ApiJson<ExperimentNotes>,
) -> Result<Json<ExperimentDetail>, ApiError> {
    experiment_detail(&state, &id).await?;
    if let Some(description) = &notes.description {
        let length = description.chars().count();
        if length > MAX_DESCRIPTION {
            return Err(ApiError::invalid_field(
                "description",
                format!("a description is at most {MAX_DESCRIPTION} characters, got {length}"),
            ));
        }
    }
    let tags = notes.tags.map(checked_tags).transpose()?;
    state
        .jobs
        .store()
        .set_notes(&id, notes.description.as_deref(), tags.as_deref())
        .await?;
    Ok(Json(experiment_detail(&state, &id).await?))
}

/// `tags` as stored: each checked, duplicates once, at most [`MAX_TAGS`].
fn checked_tags(tags: Vec<Tag>) -> Result<Vec<String>, ApiError> {
    let mut kept: Vec<String> = Vec::new();
    for (i, Tag(tag)) in tags.into_iter().enumerate() {
        if let Some(problem) = Tag::problem(&tag) {
            return Err(ApiError::invalid_field(format!("tags[{i}]"), problem));
        }
        if !kept.contains(&tag) {
            kept.push(tag);
        }
    }
    if kept.len() > MAX_TAGS {
        return Err(ApiError::invalid_field(
            "tags",
            format!("at most {MAX_TAGS} tags, got {}", kept.len()),
        ));
    }
    Ok(kept)
}

/// Cancels queued runs now and running ones after their current batch.
#[utoipa::path(post, path = "/api/experiments/{id}/cancel", tag = "experiments",
    params(("id" = String, Path, description = "Experiment id")),
    responses((status = 202, description = "Cancelling", body = ExperimentDetail),
              (status = 404, description = "No such experiment", body = api::ErrorBody),
              (status = 409, description = "It already ended", body = api::ErrorBody)))]
pub async fn experiment_cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ExperimentDetail>), ApiError> {
    let before = experiment_detail(&state, &id).await?;
    match state.jobs.cancel(&id).await? {
        CancelOutcome::AlreadyEnded => Err(ApiError::conflict(
            "already_ended",
            format!(
                "experiment {id} already ended ({})",
                before.summary.status.as_str()
            ),
        )),
        CancelOutcome::Cancelling => Ok((
            StatusCode::ACCEPTED,
            Json(experiment_detail(&state, &id).await?),
        )),
    }
}

/// Deletes the experiment with its runs, curves, share links and unused checkpoints
/// (cancelling whatever still runs).
#[utoipa::path(delete, path = "/api/experiments/{id}", tag = "experiments",
    params(("id" = String, Path, description = "Experiment id")),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "No such experiment", body = api::ErrorBody)))]
pub async fn experiment_delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !is_id(&id) || !state.jobs.delete(&id).await? {
        return Err(no_experiment(&id));
    }
    Ok(StatusCode::NO_CONTENT)
}
