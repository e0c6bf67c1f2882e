//! Background jobs: experiments expand into runs, a pool of worker slots claims runnable runs
//! (teacher first) under a lease and trains them on blocking threads, progress goes to the
//! store and to SSE subscribers, and runs of lost workers resume elsewhere. One job system for
//! `distill serve`, `distill run` and `distill worker`: processes sharing a PostgreSQL store
//! share the queue, and their events reach each other through the relay.

mod dispatch;
mod heartbeat;
mod hub;
mod imports;
mod live;
mod outage;
mod recovery;
mod relay;
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
use tokio::sync::{mpsc, Notify};

use crate::store::{now_ms, NewWorker, Store, StoreError};
pub use heartbeat::{WorkerIdentity, HEARTBEAT, LEASE};
pub use hub::{Hub, Published};
pub use imports::{
    import_dir, import_kind, ImportError, ImportKind, ImportParamError, ModelImport, OnnxOptions,
    NUMBERS_PATTERN, SIZE_PATTERN,
};
pub use sources::{imported_model, ModelSource};
pub use submit::{SubmitError, Submitted};
pub use training::EngineRuntime;

/// The job system; cheap to clone.
#[derive(Clone)]
pub struct Jobs(Arc<Inner>);

struct Inner {
    store: Store,
    worker: WorkerIdentity,
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
    /// Gives back the runs of lost workers, registers this process as a worker with `slots`
    /// slots (none with 0: it trains nothing, and runs wait for other workers), and starts
    /// claiming runs, the heartbeat and, with PostgreSQL, the relay of events.
    pub async fn start(
        store: Store,
        runtime: EngineRuntime,
        slots: usize,
    ) -> Result<Jobs, StoreError> {
        let (relay, outbox) = match store.is_postgres() {
            true => {
                let (tx, rx) = mpsc::unbounded_channel();
                (Some(tx), Some(rx))
            }
            false => (None, None),
        };
        let worker = WorkerIdentity::of_this_process();
        let jobs = Jobs(Arc::new(Inner {
            store,
            worker,
            hub: Hub::new(relay),
            runtime,
            slots,
            busy: AtomicUsize::new(0),
            tokens: Mutex::default(),
            wake: Notify::new(),
            stopping: AtomicBool::new(false),
        }));
        let inner = &jobs.0;
        recovery::recover_lost(inner).await?;
        if slots > 0 {
            let device = &inner.runtime.device;
            let new_worker = NewWorker {
                id: inner.worker.id.clone(),
                host: inner.worker.host.clone(),
                pid: i64::from(inner.worker.pid),
                backend: device.backend.as_str().to_string(),
                device: device.description(),
                slots: slots as i64,
            };
            inner.store.register_worker(&new_worker, now_ms()).await?;
            tokio::spawn(dispatch::dispatch(inner.clone()));
        }
        if let Some(outbox) = outbox {
            relay::start(inner, outbox);
        }
        tokio::spawn(heartbeat::heartbeat(inner.clone()));
        Ok(jobs)
    }

    /// The worker processes heard from within three heartbeats.
    pub async fn live_workers(&self) -> Result<Vec<api::WorkerInfo>, StoreError> {
        let since = now_ms() - 3 * HEARTBEAT.as_millis() as i64;
        let rows = self.0.store.live_workers(since).await?;
        Ok(rows
            .into_iter()
            .map(|w| api::WorkerInfo {
                id: w.id,
                host: w.host,
                pid: w.pid as u64,
                backend: w.backend,
                device: w.device,
                slots: w.slots as usize,
                busy: w.busy as usize,
                started_at: w.started_at,
                heartbeat_at: w.heartbeat_at,
            })
            .collect())
    }

    /// This process as a worker.
    pub fn worker(&self) -> &WorkerIdentity {
        &self.0.worker
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

    /// Whether the job system is shutting down (nothing new should be queued).
    pub fn is_stopping(&self) -> bool {
        self.0.stopping.load(Ordering::SeqCst)
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
        // Workers of other processes see the request within half a second; this one's now.
        inner.store.request_cancel(experiment_id).await?;
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
            if let Err(e) = self.0.runtime.artifacts.remove(&dir).await {
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
        if inner.slots > 0 {
            if let Err(e) = inner.store.worker_stopped(&inner.worker.id, now_ms()).await {
                tracing::warn!(error = %e, "could not record that this worker stopped");
            }
        }
    }
}
