//! Events across processes. With PostgreSQL, every event a process publishes is sent with
//! `NOTIFY` (tagged with the process's worker id), and every process listens: what a worker on
//! another machine publishes reaches this server's SSE clients, batch progress included. The
//! database is the only channel; with SQLite everything happens in one process and there is no
//! relay.

use std::sync::Arc;
use std::time::Duration;

use api::ExperimentEvent;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc::UnboundedReceiver;

use super::{Inner, Published};

/// PostgreSQL refuses notification payloads of 8,000 bytes or more.
const MAX_PAYLOAD: usize = 7_900;

/// An event as it travels.
#[derive(Serialize, Deserialize)]
struct Relayed {
    /// The worker id of the process that published it.
    origin: String,
    experiment: String,
    event: ExperimentEvent,
}

/// Starts sending this process's events and receiving the others'.
pub(super) fn start(inner: &Arc<Inner>, outbox: UnboundedReceiver<Published>) {
    tokio::spawn(send(inner.clone(), outbox));
    tokio::spawn(receive(inner.clone()));
}

async fn send(inner: Arc<Inner>, mut outbox: UnboundedReceiver<Published>) {
    while let Some(published) = outbox.recv().await {
        let (experiment, event) = &*published;
        let relayed = Relayed {
            origin: inner.worker.id.clone(),
            experiment: experiment.clone(),
            event: event.clone(),
        };
        let payload = serde_json::to_string(&relayed).expect("events serialize");
        if payload.len() > MAX_PAYLOAD {
            // Only snapshots get this large, and they are never relayed: clients of other
            // processes read the experiment from the database.
            tracing::debug!(bytes = payload.len(), "event too large to relay");
            continue;
        }
        if let Err(e) = inner.store.notify(&payload).await {
            tracing::warn!(error = %e, "could not relay an event to other processes");
        }
    }
}

async fn receive(inner: Arc<Inner>) {
    loop {
        let mut listener = match inner.store.listen().await {
            Ok(Some(listener)) => listener,
            Ok(None) => return,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for other processes' events; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        // `recv` reconnects by itself after a lost connection; notifications sent while it
        // was down are lost (clients see the stored state on their next snapshot).
        loop {
            match listener.recv().await {
                Ok(notification) => deliver(&inner, notification.payload()),
                Err(e) => {
                    tracing::warn!(error = %e, "lost the events listener; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

fn deliver(inner: &Inner, payload: &str) {
    let relayed: Relayed = match serde_json::from_str(payload) {
        Ok(relayed) => relayed,
        Err(e) => {
            tracing::warn!(error = %e, "an event from another process did not parse");
            return;
        }
    };
    if relayed.origin == inner.worker.id {
        return;
    }
    // Something changed elsewhere: a run ended (a student may be runnable now) or was queued.
    let wakes = !matches!(relayed.event, ExperimentEvent::Progress { .. });
    inner.hub.deliver(&relayed.experiment, relayed.event);
    if wakes {
        inner.wake.notify_one();
    }
}
