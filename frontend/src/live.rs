//! Live updates of one experiment over server-sent events: every event type the server sends,
//! decoded into `api::ExperimentEvent`, until the experiment ends or the page goes away.

use api::ExperimentEvent;
use futures_util::stream::{select_all, StreamExt};
use gloo_net::eventsource::futures::EventSource;
use leptos::prelude::*;
use send_wrapper::SendWrapper;

/// The SSE event names of `ExperimentEvent` (its `type` tags).
const EVENT_TYPES: [&str; 6] = ["snapshot", "progress", "epoch", "run", "experiment", "end"];

/// Follows `/api/experiments/{id}/events`, calling `on_event` for each event. The stream is
/// closed after `end` (the browser would otherwise reconnect and replay it) and when the
/// calling component is cleaned up. `on_lost` is called when the connection fails.
pub fn follow_experiment(
    experiment_id: &str,
    on_event: impl Fn(ExperimentEvent) + 'static,
    on_lost: impl Fn(String) + 'static,
) {
    let url = crate::endpoints::experiment_events_url(experiment_id);
    let mut source = match EventSource::new(&url) {
        Ok(source) => source,
        Err(e) => return on_lost(format!("live updates unavailable: {e}")),
    };
    let mut streams = Vec::new();
    for name in EVENT_TYPES {
        match source.subscribe(name) {
            Ok(stream) => streams.push(stream),
            Err(e) => return on_lost(format!("live updates unavailable: {e}")),
        }
    }
    let (closer_tx, closer_rx) = futures_util::future::AbortHandle::new_pair();
    let abort = SendWrapper::new(closer_tx);
    on_cleanup(move || abort.take().abort());
    leptos::task::spawn_local(async move {
        let events = futures_util::stream::Abortable::new(select_all(streams), closer_rx);
        futures_util::pin_mut!(events);
        while let Some(item) = events.next().await {
            match item {
                Ok((_, message)) => {
                    let data = message.data().as_string().unwrap_or_default();
                    match serde_json::from_str::<ExperimentEvent>(&data) {
                        Ok(event) => {
                            let ended = matches!(event, ExperimentEvent::End { .. });
                            on_event(event);
                            if ended {
                                break;
                            }
                        }
                        Err(e) => on_lost(format!("an update could not be read: {e}")),
                    }
                }
                Err(e) => {
                    on_lost(format!(
                        "live updates interrupted ({e}); the browser is reconnecting"
                    ));
                }
            }
        }
        source.close();
    });
}
