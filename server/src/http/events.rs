//! `GET /api/experiments/{id}/events`: server-sent events. A client first gets a snapshot of
//! the experiment, then progress, epochs and status changes as they happen, keep-alives while
//! nothing does, and a terminal `end` event when the experiment ends (or at once, after the
//! snapshot, if it already had). A client that falls behind gets a fresh snapshot.

use std::convert::Infallible;
use std::time::Duration;

use api::{ExperimentEvent, RunStatus};
use axum::extract::{Path, State};
use axum::response::sse::{Event, KeepAlive, Sse};
use futures_util::stream::{self, Stream};
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::{broadcast, watch};

use super::experiments::experiment_detail;
use super::{ApiError, AppState};
use crate::jobs::Published;

fn sse_event(event: &ExperimentEvent) -> Event {
    let name = match event {
        ExperimentEvent::Snapshot { .. } => "snapshot",
        ExperimentEvent::Progress { .. } => "progress",
        ExperimentEvent::Epoch { .. } => "epoch",
        ExperimentEvent::Run { .. } => "run",
        ExperimentEvent::Experiment { .. } => "experiment",
        ExperimentEvent::End { .. } => "end",
    };
    Event::default()
        .event(name)
        .json_data(event)
        .unwrap_or_else(|_| Event::default().event("error"))
}

enum Phase {
    /// Send this first.
    Start(Box<ExperimentEvent>),
    /// Send the end, then stop.
    Ending(RunStatus),
    Live,
    Done,
}

struct Subscription {
    state: AppState,
    id: String,
    events: broadcast::Receiver<Published>,
    shutdown: watch::Receiver<bool>,
    phase: Phase,
}

impl Subscription {
    async fn next(mut self) -> Option<(Result<Event, Infallible>, Subscription)> {
        loop {
            match std::mem::replace(&mut self.phase, Phase::Live) {
                Phase::Start(snapshot) => {
                    if let ExperimentEvent::Snapshot { experiment } = snapshot.as_ref() {
                        if experiment.summary.status.is_terminal() {
                            self.phase = Phase::Ending(experiment.summary.status);
                        }
                    }
                    return Some((Ok(sse_event(&snapshot)), self));
                }
                Phase::Ending(status) => {
                    self.phase = Phase::Done;
                    return Some((Ok(sse_event(&ExperimentEvent::End { status })), self));
                }
                Phase::Done => return None,
                Phase::Live => {}
            }
            tokio::select! {
                received = self.events.recv() => match received {
                    Ok(published) if published.0 == self.id => {
                        if matches!(published.1, ExperimentEvent::End { .. }) {
                            self.phase = Phase::Done;
                        }
                        return Some((Ok(sse_event(&published.1)), self));
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => match experiment_detail(&self.state, &self.id).await {
                        Ok(detail) => self.phase = Phase::Start(Box::new(ExperimentEvent::Snapshot { experiment: Box::new(detail) })),
                        Err(_) => self.phase = Phase::Ending(RunStatus::Cancelled),
                    },
                    Err(RecvError::Closed) => return None,
                },
                _ = self.shutdown.changed() => return None,
            }
        }
    }
}

/// Live events of one experiment (SSE; the event name is the JSON's `type`).
#[utoipa::path(get, path = "/api/experiments/{id}/events", tag = "experiments",
    params(("id" = String, Path, description = "Experiment id")),
    responses((status = 200, description = "An event stream (text/event-stream) of ExperimentEvent JSON",
               body = ExperimentEvent, content_type = "text/event-stream"),
              (status = 404, description = "No such experiment", body = api::ErrorBody)))]
pub async fn experiment_events(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    // Subscribe before reading the snapshot, so nothing between the two is missed.
    let events = state.jobs.hub().subscribe();
    let detail = experiment_detail(&state, &id).await?;
    let subscription = Subscription {
        shutdown: state.shutdown.clone(),
        state,
        id,
        events,
        phase: Phase::Start(Box::new(ExperimentEvent::Snapshot {
            experiment: Box::new(detail),
        })),
    };
    let stream = stream::unfold(subscription, Subscription::next);
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15))))
}
