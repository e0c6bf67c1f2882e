//! The async side of a training run: turns the worker's messages into stored epochs (with
//! their batch losses), live progress with an ETA, and events for subscribers.

use std::time::Instant;

use api::{EpochMetrics, ExperimentEvent, RunProgress};

use super::outage::persist;
use super::training::WorkerMessage;
use super::{recovery, views, Inner};
use crate::store::{EpochCommit, RunRow, StoreError};

/// The async side of a training run: turns the worker's messages into stored epochs, live
/// progress and events.
pub(super) struct Live<'a> {
    inner: &'a Inner,
    run_id: String,
    experiment_id: String,
    step: i64,
    batch_losses: Vec<(i64, f64, f64)>,
    started: Instant,
    start_fraction: Option<f64>,
    last_published: Option<Instant>,
    /// What the run says about where it started, to which notes are added.
    message: Option<String>,
    /// Why it was queued again, when it lost its worker: said with where it resumes.
    lost_worker: Option<String>,
}

impl<'a> Live<'a> {
    pub(super) fn new(inner: &'a Inner, row: &RunRow) -> Live<'a> {
        Live {
            inner,
            run_id: row.id.clone(),
            experiment_id: row.experiment_id.clone(),
            step: 0,
            batch_losses: Vec::new(),
            started: Instant::now(),
            start_fraction: None,
            last_published: None,
            message: None,
            lost_worker: row
                .message
                .as_deref()
                .and_then(recovery::lost_worker_reason)
                .map(str::to_string),
        }
    }

    pub(super) async fn apply(&mut self, message: WorkerMessage) -> Result<(), StoreError> {
        match message {
            WorkerMessage::Started { epochs, completed } => self.started(epochs, completed).await,
            WorkerMessage::Batch {
                epoch,
                epochs,
                batch,
                batches,
                loss,
            } => {
                self.batch(epoch, epochs, batch, batches, loss);
                Ok(())
            }
            WorkerMessage::Epoch(metrics) => self.epoch(metrics).await,
            WorkerMessage::Note(note) => self.note(note).await,
        }
    }

    /// Fills in epochs the checkpoint has and the store missed (a crash between the two), and
    /// says where training starts.
    async fn started(
        &mut self,
        epochs: usize,
        completed: Vec<EpochMetrics>,
    ) -> Result<(), StoreError> {
        let (store, run_id) = (&self.inner.store, self.run_id.as_str());
        self.step = persist("reading the run's last step", || store.last_step(run_id)).await?;
        let committed = persist("reading the run's epochs", || {
            store.committed_epochs(run_id)
        })
        .await?;
        for metrics in completed
            .iter()
            .filter(|m| !committed.contains(&(m.epoch as i64)))
        {
            let commit = EpochCommit {
                run_id,
                worker: Some(&self.inner.worker.id),
                metrics,
                step: self.step,
                batch_losses: &[],
            };
            persist("storing a checkpointed epoch", || {
                store.record_epoch(&commit)
            })
            .await?;
        }
        // Where training starts replaces what the run said while queued (e.g. that a shutdown
        // paused it); a fresh start has nothing to say.
        let message = completed.last().map(|last| {
            if last.epoch == epochs {
                "already trained: its checkpoint was reloaded and measured again".to_string()
            } else {
                let resumed = format!("resumed from its checkpoint after epoch {}", last.epoch);
                match &self.lost_worker {
                    Some(why) => format!("{resumed}: {why}"),
                    None => resumed,
                }
            }
        });
        self.message = message;
        let changed = store
            .set_running_message(&self.run_id, self.message.as_deref())
            .await?;
        if changed {
            views::publish_run(self.inner, &self.run_id).await?;
        }
        Ok(())
    }

    /// Adds `note` to what the run says.
    async fn note(&mut self, note: String) -> Result<(), StoreError> {
        let message = match self.message.take() {
            Some(start) => format!("{start}; {note}"),
            None => note,
        };
        self.message = Some(message);
        let store = &self.inner.store;
        if store
            .set_running_message(&self.run_id, self.message.as_deref())
            .await?
        {
            views::publish_run(self.inner, &self.run_id).await?;
        }
        Ok(())
    }

    fn batch(&mut self, epoch: usize, epochs: usize, batch: usize, batches: usize, loss: f64) {
        self.step += 1;
        let position = (epoch - 1) as f64 + batch as f64 / batches.max(1) as f64;
        self.batch_losses.push((self.step, position, loss));
        let fraction = position / epochs.max(1) as f64;
        let start = *self.start_fraction.get_or_insert(fraction);
        let elapsed = self.started.elapsed().as_secs_f64();
        let eta_seconds = (fraction > start && elapsed > 1.0)
            .then(|| elapsed / (fraction - start) * (1.0 - fraction));
        let progress = RunProgress {
            run_id: self.run_id.clone(),
            epoch,
            epochs,
            batch,
            batches,
            loss,
            fraction,
            eta_seconds,
        };
        self.inner.hub.set_progress(progress.clone());
        let due = self
            .last_published
            .is_none_or(|t| t.elapsed().as_millis() >= 250);
        if due || batch == batches {
            self.last_published = Some(Instant::now());
            self.inner
                .hub
                .publish(&self.experiment_id, ExperimentEvent::Progress { progress });
        }
    }

    async fn epoch(&mut self, metrics: EpochMetrics) -> Result<(), StoreError> {
        let commit = EpochCommit {
            run_id: &self.run_id,
            worker: Some(&self.inner.worker.id),
            metrics: &metrics,
            step: self.step,
            batch_losses: &self.batch_losses,
        };
        let store = &self.inner.store;
        if !persist("storing an epoch", || store.record_epoch(&commit)).await? {
            // This worker lost its lease (a partition, a long stall): training on would waste
            // the device and push checkpoints over those of the run's new worker.
            tracing::warn!(run = %self.run_id, "another worker holds this run now: epoch not stored, training stops");
            let tokens = self.inner.tokens.lock().unwrap_or_else(|e| e.into_inner());
            if let Some(token) = tokens.get(&self.run_id) {
                token.cancel();
            }
        }
        self.batch_losses.clear();
        self.inner.hub.publish(
            &self.experiment_id,
            ExperimentEvent::Epoch {
                run_id: self.run_id.clone(),
                metrics,
            },
        );
        views::publish_run(self.inner, &self.run_id).await
    }
}
