//! Share links: an unguessable token (128 random bits) opening one experiment, one comparison
//! or one sweep read-only; anyone with the token can read, nobody can act through it; revocable.

use api::{ShareLink, ShareRequest, ShareTarget, SharedView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;

use super::compare::comparison;
use super::curves::{curves_of, CurvesQuery};
use super::experiments::experiment_detail;
use super::extract::ApiJson;
use super::extract::ApiQuery;
use super::{ApiError, AppState};
use crate::ids::{is_token, new_token};
use crate::store::ShareRow;

/// What a stored share link opens.
fn target_of(row: &ShareRow) -> Result<ShareTarget, ApiError> {
    Ok(match (&row.experiment_id, row.runs()?, &row.sweep_id) {
        (Some(id), _, _) => ShareTarget::Experiment {
            experiment_id: id.clone(),
        },
        (None, Some(runs), _) => ShareTarget::Comparison { runs },
        (None, None, Some(id)) => ShareTarget::Sweep {
            sweep_id: id.clone(),
        },
        (None, None, None) => return Err(ApiError::internal("a share link with no target")),
    })
}

pub(super) fn link(row: &ShareRow) -> Result<ShareLink, ApiError> {
    let target = target_of(row)?;
    Ok(ShareLink {
        path: format!("/s/{}", row.token),
        token: row.token.clone(),
        target,
        created_at: row.created_at,
    })
}

async fn create(
    state: &AppState,
    request: ShareRequest,
) -> Result<(StatusCode, Json<ShareLink>), ApiError> {
    let store = state.jobs.store();
    let row = match (request.experiment_id, request.runs, request.sweep_id) {
        (Some(id), None, None) => {
            experiment_detail(state, &id)
                .await
                .map_err(|e| e.field("experiment_id"))?;
            store.insert_share(&new_token(), Some(&id), None, None).await?
        }
        (None, None, Some(id)) => {
            super::sweeps::sweep_view(state, &id)
                .await
                .map_err(|e| e.field("sweep_id"))?;
            store.insert_share(&new_token(), None, None, Some(&id)).await?
        }
        (None, Some(runs), None) => {
            if runs.is_empty() || runs.len() > super::compare::MAX_COMPARED {
                return Err(ApiError::invalid_field(
                    "runs",
                    format!(
                        "a comparison has 1 to {} runs, got {}",
                        super::compare::MAX_COMPARED,
                        runs.len()
                    ),
                ));
            }
            // Each id is looked up as it is: joined into a comma list, one holding a comma
            // would count as two.
            let ids = runs;
            for id in &ids {
                super::curves::run_row(state, id, "runs").await?;
            }
            store.insert_share(&new_token(), None, Some(&ids), None).await?
        }
        _ => {
            return Err(ApiError::invalid_field(
                "experiment_id",
                "give exactly one of `experiment_id` (share an experiment), `runs` (share a comparison) or `sweep_id` (share a sweep)",
            ))
        }
    };
    Ok((StatusCode::CREATED, Json(link(&row)?)))
}

/// Creates a read-only link to an experiment.
#[utoipa::path(post, path = "/api/experiments/{id}/share", tag = "shares",
    params(("id" = String, Path, description = "Experiment id")),
    responses((status = 201, description = "The link", body = ShareLink),
              (status = 404, description = "No such experiment", body = api::ErrorBody)))]
pub async fn experiment_share(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ShareLink>), ApiError> {
    experiment_detail(&state, &id).await?;
    create(
        &state,
        ShareRequest {
            experiment_id: Some(id),
            ..ShareRequest::default()
        },
    )
    .await
}

/// Creates a read-only link to a sweep.
#[utoipa::path(post, path = "/api/sweeps/{id}/share", tag = "shares",
    params(("id" = String, Path, description = "Sweep id")),
    responses((status = 201, description = "The link", body = ShareLink),
              (status = 404, description = "No such sweep", body = api::ErrorBody)))]
pub async fn sweep_share(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<ShareLink>), ApiError> {
    super::sweeps::sweep_view(&state, &id).await?;
    create(
        &state,
        ShareRequest {
            sweep_id: Some(id),
            ..ShareRequest::default()
        },
    )
    .await
}

/// Creates a read-only link to an experiment, a comparison of runs or a sweep.
#[utoipa::path(post, path = "/api/shares", tag = "shares", request_body = ShareRequest,
    responses((status = 201, description = "The link", body = ShareLink),
              (status = 404, description = "No such experiment, run or sweep", body = api::ErrorBody),
              (status = 422, description = "Neither or both targets", body = api::ErrorBody)))]
pub async fn shares_create(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<ShareRequest>,
) -> Result<(StatusCode, Json<ShareLink>), ApiError> {
    create(&state, request).await
}

async fn live_share(state: &AppState, token: &str) -> Result<ShareRow, ApiError> {
    let missing = || ApiError::not_found("token", "there is no share link with this token");
    if !is_token(token) {
        return Err(missing());
    }
    let row = state.jobs.store().share(token).await?.ok_or_else(missing)?;
    if row.revoked_at.is_some() {
        return Err(ApiError::gone(
            "token",
            "this share link was revoked by its owner",
        ));
    }
    Ok(row)
}

/// What a share link opens, read-only.
#[utoipa::path(get, path = "/api/shared/{token}", tag = "shares",
    params(("token" = String, Path, description = "Share token")),
    responses((status = 200, description = "The shared experiment, comparison or sweep", body = SharedView),
              (status = 404, description = "No such link", body = api::ErrorBody),
              (status = 410, description = "The link was revoked", body = api::ErrorBody)))]
pub async fn shared_get(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<SharedView>, ApiError> {
    let row = live_share(&state, &token).await?;
    Ok(Json(match target_of(&row)? {
        ShareTarget::Experiment { experiment_id } => SharedView::Experiment {
            experiment: Box::new(experiment_detail(&state, &experiment_id).await?),
        },
        ShareTarget::Comparison { runs } => SharedView::Comparison {
            comparison: Box::new(
                comparison(&state, &runs, None, super::curves::DEFAULT_POINTS).await?,
            ),
        },
        ShareTarget::Sweep { sweep_id } => SharedView::Sweep {
            sweep: Box::new(super::sweeps::sweep_view(&state, &sweep_id).await?),
        },
    }))
}

/// The curves of a run the share link shows (a run of its experiment, or one it compares).
#[utoipa::path(get, path = "/api/shared/{token}/runs/{id}/curves", tag = "shares",
    params(("token" = String, Path, description = "Share token"), ("id" = String, Path, description = "Run id"), CurvesQuery),
    responses((status = 200, description = "The curves", body = api::RunCurves),
              (status = 404, description = "No such link, or the link does not show this run", body = api::ErrorBody),
              (status = 410, description = "The link was revoked", body = api::ErrorBody)))]
pub async fn shared_curves_get(
    State(state): State<AppState>,
    Path((token, id)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<CurvesQuery>,
) -> Result<Json<api::RunCurves>, ApiError> {
    let share = live_share(&state, &token).await?;
    let run = super::curves::run_row(&state, &id, "id").await?;
    // A sweep's link shows no run's curves: its trials are validation figures only.
    let shown = match target_of(&share)? {
        ShareTarget::Experiment { experiment_id } => run.experiment_id == experiment_id,
        ShareTarget::Comparison { runs } => runs.contains(&run.id),
        ShareTarget::Sweep { .. } => false,
    };
    if !shown {
        return Err(ApiError::not_found(
            "id",
            format!("this share link does not show run `{id}`"),
        ));
    }
    curves_of(&state, &run, &query).await.map(Json)
}

/// The models of the experiment the share link shows, each over its seeds (as
/// `GET /api/experiments/{id}/curves`).
#[utoipa::path(get, path = "/api/shared/{token}/curves", tag = "shares",
    params(("token" = String, Path, description = "Share token"), CurvesQuery),
    responses((status = 200, description = "Each model's curves over its seeds", body = api::ExperimentCurves),
              (status = 400, description = "A bad parameter", body = api::ErrorBody),
              (status = 404, description = "No such link, or it shows no experiment", body = api::ErrorBody),
              (status = 410, description = "The link was revoked", body = api::ErrorBody)))]
pub async fn shared_experiment_curves_get(
    State(state): State<AppState>,
    Path(token): Path<String>,
    ApiQuery(query): ApiQuery<CurvesQuery>,
) -> Result<Json<api::ExperimentCurves>, ApiError> {
    let share = live_share(&state, &token).await?;
    match target_of(&share)? {
        ShareTarget::Experiment { experiment_id } => {
            super::model_curves::experiment_curves(&state, &experiment_id, &query)
                .await
                .map(Json)
        }
        ShareTarget::Comparison { .. } | ShareTarget::Sweep { .. } => Err(ApiError::not_found(
            "token",
            "this share link shows no experiment's models: read its runs' curves one by one",
        )),
    }
}

/// Revokes a share link: it stops working at once.
#[utoipa::path(delete, path = "/api/shares/{token}", tag = "shares",
    params(("token" = String, Path, description = "Share token")),
    responses((status = 204, description = "Revoked"),
              (status = 404, description = "No such link", body = api::ErrorBody),
              (status = 410, description = "Already revoked", body = api::ErrorBody)))]
pub async fn share_delete(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<StatusCode, ApiError> {
    live_share(&state, &token).await?;
    state.jobs.store().revoke_share(&token).await?;
    Ok(StatusCode::NO_CONTENT)
}
