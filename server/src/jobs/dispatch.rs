//! The dispatcher: whenever a slot is free, claims the oldest runnable run (its teacher done)
//! under a lease and starts it. Woken on submissions and finished runs (here or, through the
//! relay, in other processes), and every few seconds regardless.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use engine::train::CancelToken;

use super::heartbeat::lease_from_now;
use super::{runner, views, Inner};

pub(super) async fn dispatch(inner: Arc<Inner>) {
    loop {
        if inner.stopping.load(Ordering::SeqCst) {
            return;
        }
        while inner.busy.load(Ordering::SeqCst) < inner.slots {
            match claim_next(&inner).await {
                Ok(true) => {}
                Ok(false) => break,
                Err(e) => {
                    tracing::error!(error = %e, "could not claim a run");
                    break;
                }
            }
        }
        tokio::select! {
            _ = inner.wake.notified() => {}
            _ = tokio::time::sleep(Duration::from_secs(2)) => {}
        }
    }
}

/// Starts the next runnable run; false when there is none.
async fn claim_next(inner: &Arc<Inner>) -> Result<bool, crate::store::StoreError> {
    let Some(row) = inner
        .store
        .claim_next(&inner.worker.id, lease_from_now())
        .await?
    else {
        return Ok(false);
    };
    inner.busy.fetch_add(1, Ordering::SeqCst);
    let token = CancelToken::new();
    inner
        .tokens
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(row.id.clone(), token.clone());
    views::publish_run(inner, &row.id).await?;
    tokio::spawn(runner::run(inner.clone(), row, token));
    Ok(true)
}
