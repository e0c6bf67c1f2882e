//! Sweeps: submit, list, read, cancel, delete, and watch (SSE). A sweep's trials are shown with
//! validation figures only; its confirmation with test figures and paired intervals.

use std::convert::Infallible;
use std::time::Duration;

use api::{SweepCreated, SweepSpec, SweepSummary, SweepView};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::Json;
use futures_util::stream::{self, Stream};

use super::extract::ApiJson;
use super::{created, ApiError, AppState, Created};
use crate::ids::is_id;

/// How often an event stream looks for a change of its sweep.
const POLL: Duration = Duration::from_secs(1);

fn no_sweep(id: &str) -> ApiError {
    ApiError::not_found("id", format!("there is no sweep `{id}`"))
}

/// The sweep `id`, or a 404 naming it.
pub(super) async fn sweep_view(state: &AppState, id: &str) -> Result<SweepView, ApiError> {
    if !is_id(id) {
        return Err(no_sweep(id));
    }
    state.sweeps.view(id).await?.ok_or_else(|| no_sweep(id))
}

/// Checks a sweep (its base spec, every path, every range's ends through the spec validator,
/// the caps) and starts it: trials are queued as slots free up.
#[utoipa::path(post, path = "/api/sweeps", tag = "sweeps", request_body = SweepSpec,
    responses(
        (status = 201, description = "Started", body = SweepCreated),
        (status = 400, description = "The body is not JSON", body = api::ErrorBody),
        (status = 413, description = "The body is over 1 MiB", body = api::ErrorBody),
        (status = 415, description = "The body is not declared as JSON", body = api::ErrorBody),
        (status = 422, description = "A field is wrong; `field` names it (`space.<path>` for a dimension)", body = api::ErrorBody)))]
pub async fn sweeps_create(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<serde_json::Value>,
) -> Result<Created<SweepCreated>, ApiError> {
    let spec = engine::sweep::parse_sweep_value(body)
        .map_err(|e| ApiError::invalid_field(e.field, e.message))?;
    let sweep = state.sweeps.submit(spec).await?;
    Ok(created(format!("/api/sweeps/{}", sweep.id), sweep))
}

/// Every sweep, newest first.
#[utoipa::path(get, path = "/api/sweeps", tag = "sweeps",
    responses((status = 200, description = "The sweeps", body = Vec<SweepSummary>)))]
pub async fn sweeps_list(
    State(state): State<AppState>,
) -> Result<Json<Vec<SweepSummary>>, ApiError> {
    Ok(Json(state.sweeps.list().await?))
}

/// The sweep: its trials (validation accuracy only), the winner and its confirmation.
#[utoipa::path(get, path = "/api/sweeps/{id}", tag = "sweeps",
    params(("id" = String, Path, description = "Sweep id")),
    responses((status = 200, description = "The sweep", body = SweepView),
              (status = 404, description = "No such sweep", body = api::ErrorBody)))]
pub async fn sweep_get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<SweepView>, ApiError> {
    Ok(Json(sweep_view(&state, &id).await?))
}

/// Cancels the sweep and every experiment it queued.
#[utoipa::path(post, path = "/api/sweeps/{id}/cancel", tag = "sweeps",
    params(("id" = String, Path, description = "Sweep id")),
    responses((status = 202, description = "Cancelled", body = SweepView),
              (status = 404, description = "No such sweep", body = api::ErrorBody),
              (status = 409, description = "It already ended", body = api::ErrorBody)))]
pub async fn sweep_cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<SweepView>), ApiError> {
    let before = sweep_view(&state, &id).await?;
    if before.status.is_terminal() {
        return Err(ApiError::conflict(
            "already_ended",
            format!("sweep {id} already ended ({})", before.status.as_str()),
        ));
    }
    state.sweeps.cancel(&id).await?;
    Ok((StatusCode::ACCEPTED, Json(sweep_view(&state, &id).await?)))
}

/// Deletes the sweep with every experiment it queued (cancelling what still runs).
#[utoipa::path(delete, path = "/api/sweeps/{id}", tag = "sweeps",
    params(("id" = String, Path, description = "Sweep id")),
    responses((status = 204, description = "Deleted"),
              (status = 404, description = "No such sweep", body = api::ErrorBody)))]
pub async fn sweep_delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !is_id(&id) || !state.sweeps.delete(&id).await? {
        return Err(no_sweep(&id));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// What an event stream of a sweep last sent.
struct Watch {
    state: AppState,
    id: String,
    last: Option<SweepView>,
    ended: bool,
}

impl Watch {
    /// The next `sweep` event: the sweep whenever it changes; after it ends, one `end`.
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Watch)> {
        if self.ended {
            return None;
        }
        loop {
            if *self.state.shutdown.borrow() {
                return None;
            }
            let view = self.state.sweeps.view(&self.id).await.ok().flatten()?;
            if self.last.as_ref() != Some(&view) {
                let event = Event::default()
                    .event("sweep")
                    .json_data(&view)
                    .unwrap_or_else(|_| Event::default().event("error"));
                self.last = Some(view);
                return Some((Ok(event), self));
            }
            if view.status.is_terminal() {
                self.ended = true;
                let end = Event::default()
                    .event("end")
                    .json_data(serde_json::json!({ "status": view.status }))
                    .unwrap_or_else(|_| Event::default().event("error"));
                return Some((Ok(end), self));
            }
            let mut shutdown = self.state.shutdown.clone();
            tokio::select! {
                _ = tokio::time::sleep(POLL) => {}
                _ = shutdown.changed() => return None,
            }
        }
    }
}

/// The sweep as it changes (SSE): a `sweep` event with the whole [`SweepView`] at once and at
/// every change, then `end` (`{"status"}`) when it has ended.
#[utoipa::path(get, path = "/api/sweeps/{id}/events", tag = "sweeps",
    params(("id" = String, Path, description = "Sweep id")),
    responses((status = 200, description = "An event stream (text/event-stream) of SweepView JSON",
               body = SweepView, content_type = "text/event-stream"),
              (status = 404, description = "No such sweep", body = api::ErrorBody)))]
pub async fn sweep_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    sweep_view(&state, &id).await?;
    let watch = Watch {
        state,
        id,
        last: None,
        ended: false,
    };
    Ok(Sse::new(stream::unfold(watch, Watch::next))
        .keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
