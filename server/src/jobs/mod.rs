//! Background jobs: experiments expand into runs, a pool of worker slots trains runnable runs
//! (teacher first) on blocking threads, progress goes to the store and to SSE subscribers, and
//! runs left unfinished by a crash are resumed at start.

mod dispatch;
mod hub;
mod live;
mod recovery;
mod runner;
mod sources;
mod submit;
mod training;
mod views;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use api::{ExperimentEvent, RunStatus};
use engine::train::CancelToken;
use tokio::sync::Notify;

use crate::store::{Store, StoreError};
pub use hub::{Hub, Published};
pub use sources::{imported_model, ModelSource};
pub use submit::{SubmitError, Submitted};
pub use training::EngineRuntime;

/// The job system; cheap to clone.
#[derive(Clone)]
pub struct Jobs(Arc<Inner>);

struct Inner {
    store: Store,
    hub: Hub,
    runtime: EngineRuntime,
    slots: usize,
    busy: AtomicUsize,
    tokens: Mutex<HashMap<String, CancelToken>>,
    wake: Notify,
    stopping: AtomicBool,
}

/// What a cancel request did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CancelOutcome {
    /// Queued runs were cancelled and running ones asked to stop.
    Cancelling,
    /// Everything had already ended.
    AlreadyEnded,
}

impl Jobs {
    /// Recovers runs a crash left running, then starts dispatching runs to `slots` workers
    /// (none with 0: runs stay queued).
    pub async fn start(
        store: Store,
        runtime: EngineRuntime,
        slots: usize,
    ) -> Result<Jobs, StoreError> {
        let jobs = Jobs(Arc::new(Inner {
            store,
            hub: Hub::default(),
            runtime,
            slots,
            busy: AtomicUsize::new(0),
            tokens: Mutex::default(),
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
        }));
        recovery::recover(&jobs.0).await?;
        tokio::spawn(dispatch::dispatch(jobs.0.clone()));
        Ok(jobs)
    }

    /// The store.
    pub fn store(&self) -> &Store {
        &self.0.store
    }

    /// Live events and progress.
    pub fn hub(&self) -> &Hub {
        &self.0.hub
    }

    /// The device, data and checkpoints runs use.
    pub fn runtime(&self) -> &EngineRuntime {
        &self.0.runtime
    }

    /// Worker slots.
    pub fn slots(&self) -> usize {
        self.0.slots
    }

    /// Slots training right now.
    pub fn busy(&self) -> usize {
        self.0.busy.load(Ordering::SeqCst)
    }

    /// Cancels an experiment: queued runs now, running ones after their current batch.
    pub async fn cancel(&self, experiment_id: &str) -> Result<CancelOutcome, StoreError> {
        let inner = &self.0;
        let runs = inner.store.runs_of(&[experiment_id.to_string()]).await?;
        if runs.iter().all(|r| r.status().is_terminal()) {
            return Ok(CancelOutcome::AlreadyEnded);
        }
        inner
            .store
            .cancel_queued(experiment_id, "cancelled by request before it started")
            .await?;
        {
            let tokens = inner.tokens.lock().unwrap_or_else(|e| e.into_inner());
            for run in runs.iter().filter(|r| r.status() == RunStatus::Running) {
                if let Some(token) = tokens.get(&run.id) {
                    token.cancel();
                }
            }
        }
        views::publish_experiment(inner, experiment_id).await?;
        Ok(CancelOutcome::Cancelling)
    }

    /// Deletes an experiment (cancelling what still runs) with its curves, shares and the
    /// checkpoints nothing else uses. False when there was none.
    pub async fn delete(&self, experiment_id: &str) -> Result<bool, StoreError> {
        if self.0.store.experiment(experiment_id).await?.is_none() {
            return Ok(false);
        }
        self.cancel(experiment_id).await?;
        for dir in self.0.store.delete_experiment(experiment_id).await? {
            if let Err(e) = tokio::fs::remove_dir_all(&dir).await {
                tracing::warn!(%dir, error = %e, "could not remove a deleted run's checkpoint");
            }
        }
        self.0.hub.publish(
            experiment_id,
            ExperimentEvent::End {
                status: RunStatus::Cancelled,
            },
        );
        Ok(true)
    }

    /// Stops taking runs, asks running ones to stop after their batch (they checkpoint and go
    /// back to the queue, to resume on the next start), and waits for them, at most `grace`.
    pub async fn shutdown(&self, grace: Duration) {
        let inner = &self.0;
        inner.stopping.store(true, Ordering::SeqCst);
        inner.wake.notify_one();
        for token in inner
            .tokens
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
        {
            token.cancel();
        }
        let deadline = tokio::time::Instant::now() + grace;
        while inner.busy.load(Ordering::SeqCst) > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}
