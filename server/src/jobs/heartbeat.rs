//! Keeping claims alive. Twice a second a process stops the runs it trains that were asked to
//! stop (the request may have come from another machine); every few seconds it says it is
//! alive, renews the leases of its runs, and gives back to the queue the runs of workers that
//! were lost.

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::{recovery, Inner};
use crate::store::{now_ms, StoreError};

/// How long a claim holds without a heartbeat: a run whose worker is silent this long goes
/// back to the queue.
pub const LEASE: Duration = Duration::from_secs(30);
/// How often a worker says it is alive and renews its leases (well inside [`LEASE`]).
pub const HEARTBEAT: Duration = Duration::from_secs(5);
/// How often a worker looks for cancel requests of its runs.
const CANCEL_POLL: Duration = Duration::from_millis(500);

/// Milliseconds since the epoch at which a claim made or renewed now lapses.
pub(super) fn lease_from_now() -> i64 {
    now_ms() + LEASE.as_millis() as i64
}

pub(super) async fn heartbeat(inner: Arc<Inner>) {
    let beats_every = (HEARTBEAT.as_millis() / CANCEL_POLL.as_millis()) as u64;
    for tick in 0u64.. {
        if inner.stopping.load(Ordering::SeqCst) {
            return;
        }
        if inner.slots > 0 {
            if let Err(e) = stop_cancelled(&inner).await {
                tracing::warn!(error = %e, "could not look for cancel requests");
            }
        }
        if tick % beats_every == 0 {
            if let Err(e) = beat(&inner).await {
                tracing::warn!(error = %e, "heartbeat failed (is the database reachable?)");
            }
        }
        tokio::time::sleep(CANCEL_POLL).await;
    }
}

/// Fires the cancel tokens of this worker's runs that someone asked to stop.
async fn stop_cancelled(inner: &Inner) -> Result<(), StoreError> {
    let requested = inner.store.cancel_requests(&inner.worker.id).await?;
    let tokens = inner.tokens.lock().unwrap_or_else(|e| e.into_inner());
    for id in requested {
        if let Some(token) = tokens.get(&id) {
            token.cancel();
        }
    }
    Ok(())
}

async fn beat(inner: &Inner) -> Result<(), StoreError> {
    if inner.slots > 0 {
        let busy = inner.busy.load(Ordering::SeqCst);
        inner
            .store
            .heartbeat(&inner.worker.id, busy, now_ms())
            .await?;
        inner
            .store
            .renew_leases(&inner.worker.id, lease_from_now())
            .await?;
    }
    if recovery::recover_lost(inner).await? > 0 {
        inner.wake.notify_one();
    }
    Ok(())
}

/// Who a process is to the others: a fresh id per process, its host and process id.
#[derive(Debug, Clone)]
pub struct WorkerIdentity {
    /// Unique to this process.
    pub id: String,
    /// The host name.
    pub host: String,
    /// The process id on that host.
    pub pid: u32,
}

impl WorkerIdentity {
    /// This process.
    pub fn of_this_process() -> WorkerIdentity {
        WorkerIdentity {
            id: crate::ids::new_id(),
            host: host_name(),
            pid: std::process::id(),
        }
    }
}

/// The host's name (`HOSTNAME`, then the kernel's), or `localhost`.
fn host_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/proc/sys/kernel/hostname").ok())
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .unwrap_or_else(|| "localhost".into())
}
