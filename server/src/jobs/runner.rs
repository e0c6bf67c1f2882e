//! One run from claim to end: load what it needs, reuse an identical finished run or train it
//! on a blocking thread, store each epoch as it finishes, and settle its status.

use std::path::Path;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use api::{RunKind, RunStatus};
use engine::train::{CancelToken, TrainError};
use tokio::sync::mpsc;

use super::imports::{import_dir, uploaded_model};
use super::live::Live;
use super::outage::persist;
use super::sources::model_source;
use super::training::{prepare, train};
use super::{views, Inner};
use crate::dataset_sharing::ensure_local;
use crate::store::{RunRow, StoreError};

/// How a run ended.
enum Outcome {
    Done,
    Cancelled { epochs_done: usize },
    Failed(String),
}

pub(super) async fn run(inner: Arc<Inner>, row: RunRow, token: CancelToken) {
    let (run_id, experiment_id) = (row.id.clone(), row.experiment_id.clone());
    let outcome = match execute(&inner, row, &token).await {
        Ok(outcome) => outcome,
        Err(e) => Outcome::Failed(format!("the store failed: {e}")),
    };
    if let Err(e) = settle(&inner, &run_id, &experiment_id, outcome).await {
        tracing::error!(run = %run_id, error = %e, "could not record how a run ended");
    }
    inner
        .tokens
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&run_id);
    inner.hub.clear_progress(&run_id);
    inner.busy.fetch_sub(1, Ordering::SeqCst);
    inner.wake.notify_one();
}

fn panic_message(error: tokio::task::JoinError) -> String {
    match error.try_into_panic() {
        Ok(payload) => {
            let text = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_else(|| "unknown panic".into());
            format!("the run crashed (a bug, please report it): {text}")
        }
        Err(e) => format!("the run's thread was lost: {e}"),
    }
}

async fn execute(
    inner: &Arc<Inner>,
    row: RunRow,
    token: &CancelToken,
) -> Result<Outcome, StoreError> {
    let store = &inner.store;
    let artifacts = &inner.runtime.artifacts;
    let Some(experiment) = store.experiment(&row.experiment_id).await? else {
        return Ok(Outcome::Failed("its experiment was deleted".into()));
    };
    let spec = experiment.spec()?;
    let mut sources = Vec::new();
    for (id, role) in [(&row.teacher_run, "teacher run"), (&row.from_run, "run")] {
        sources.push(match id {
            None => None,
            Some(id) => match model_source(&inner.store, id, role).await? {
                Ok(mut source) => match artifacts.fetch_model(&source.model_dir).await {
                    Ok(dir) => {
                        source.model_dir = dir.to_string_lossy().into_owned();
                        Some(source)
                    }
                    Err(e) => {
                        let reason = format!("cannot load the model of {role} {id}: {e}");
                        return Ok(Outcome::Failed(reason));
                    }
                },
                Err(reason) => return Ok(Outcome::Failed(reason)),
            },
        });
    }
    let (mut imported, teacher) = (sources.pop().flatten(), sources.pop().flatten());
    if row.kind() == RunKind::Imported {
        let dir = import_dir(artifacts, &row.id);
        let fetched = artifacts.fetch_model(&dir.to_string_lossy()).await;
        match fetched
            .map_err(|e| e.to_string())
            .and_then(|dir| uploaded_model(&row, &dir))
        {
            Ok(source) => imported = Some(source),
            Err(reason) => {
                return Ok(Outcome::Failed(format!(
                    "its imported model is gone: {reason}"
                )))
            }
        }
    }
    let dataset = &spec.dataset.name;
    if let Err(reason) = ensure_local(artifacts, &inner.runtime.data_dirs, dataset).await {
        return Ok(Outcome::Failed(format!(
            "cannot fetch dataset {dataset}: {reason}"
        )));
    }
    let planned = row.planned(&spec)?;
    let reusable = planned.is_reusable(spec.chain.len());
    let worker = inner.clone();
    let prepared = match tokio::task::spawn_blocking(move || {
        prepare(&worker.runtime, spec, planned, teacher, imported)
    })
    .await
    {
        Ok(Ok(prepared)) => prepared,
        Ok(Err(message)) => return Ok(Outcome::Failed(message)),
        Err(e) => return Ok(Outcome::Failed(panic_message(e))),
    };
    let device = &inner.runtime.device;
    store
        .mark_started(
            &row.id,
            device.backend.as_str(),
            &device.description(),
            &prepared.fingerprint,
        )
        .await?;
    if reusable {
        for source in store.reusable(&prepared.fingerprint, &row.id).await? {
            let model_dir = source.model_dir.as_deref().unwrap_or_default();
            // A model that cannot be looked for now is not reused: the run trains instead.
            let found = artifacts.has_model(model_dir).await.unwrap_or_else(|e| {
                tracing::warn!(run = %row.id, error = %e, "cannot look for a reusable model");
                false
            });
            if found {
                store.mark_reused(&row.id, &source).await?;
                return Ok(Outcome::Done);
            }
        }
    }
    if let Err(e) = artifacts.pull_checkpoint(&prepared.checkpoint_dir).await {
        return Ok(Outcome::Failed(format!(
            "its checkpoint could not be fetched: {e}"
        )));
    }
    views::publish_run(inner, &row.id).await?;
    let model_dir = prepared.checkpoint_dir.to_string_lossy().into_owned();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let (worker, cancel) = (inner.clone(), token.clone());
    let training =
        tokio::task::spawn_blocking(move || train(&prepared, &worker.runtime, &cancel, tx));
    let mut live = Live::new(inner, &row);
    while let Some(message) = rx.recv().await {
        if let Err(e) = live.apply(message).await {
            tracing::error!(run = %row.id, error = %e, "could not store training progress");
        }
    }
    Ok(match training.await {
        Ok(Ok(model)) => {
            let outcome = store_trained(inner, &row.id, &model.report, &model_dir).await?;
            if row.kind() == RunKind::Imported && matches!(outcome, Outcome::Done) {
                // Evaluated, the model lives in the run's checkpoint directory: the upload goes.
                let upload = import_dir(artifacts, &row.id);
                if let Err(e) = artifacts.remove(&upload.to_string_lossy()).await {
                    tracing::warn!(run = %row.id, error = %e, "cannot remove an evaluated import");
                }
            }
            outcome
        }
        Ok(Err(TrainError::Cancelled { epochs_done, .. })) => Outcome::Cancelled { epochs_done },
        Ok(Err(e)) => Outcome::Failed(e.to_string()),
        Err(e) => Outcome::Failed(panic_message(e)),
    })
}

/// Stores a trained run: its model where other workers find it, then the run as succeeded
/// (while this worker still holds it).
async fn store_trained(
    inner: &Inner,
    run_id: &str,
    report: &api::RunReport,
    model_dir: &str,
) -> Result<Outcome, StoreError> {
    if let Err(e) = inner
        .runtime
        .artifacts
        .push_model(Path::new(model_dir))
        .await
    {
        return Ok(Outcome::Failed(format!(
            "trained, but its model could not be stored: {e}"
        )));
    }
    let worker = &inner.worker.id;
    let succeeded = persist("storing a trained run", || {
        inner
            .store
            .mark_succeeded(run_id, worker, report, model_dir)
    });
    if !succeeded.await? {
        tracing::warn!(run = %run_id, "trained, but another worker holds this run now");
    }
    Ok(Outcome::Done)
}

async fn settle(
    inner: &Arc<Inner>,
    run_id: &str,
    experiment_id: &str,
    outcome: Outcome,
) -> Result<(), StoreError> {
    let store = &inner.store;
    let worker = inner.worker.id.as_str();
    // Every ending is written only while this worker still holds the run: one that lost its
    // lease (and was claimed by another worker) is no longer this worker's to settle.
    let (status, message, teacher_ended) = match outcome {
        Outcome::Done => return views::publish_experiment(inner, experiment_id).await,
        Outcome::Cancelled { epochs_done } if inner.stopping.load(Ordering::SeqCst) => (
            RunStatus::Queued,
            format!(
                "paused by a server shutdown after {epochs_done} finished epoch(s); resumes from its checkpoint when a worker claims it again"
            ),
            None,
        ),
        Outcome::Cancelled { epochs_done } => (
            RunStatus::Cancelled,
            format!("cancelled by request after {epochs_done} finished epoch(s)"),
            Some("was cancelled"),
        ),
        Outcome::Failed(message) => {
            tracing::warn!(run = %run_id, %message, "run failed");
            (RunStatus::Failed, message, Some("failed"))
        }
    };
    let released = persist("recording how a run ended", || {
        store.release(run_id, worker, status, Some(&message))
    })
    .await?;
    if !released {
        tracing::warn!(run = %run_id, "not settled here: another worker holds this run now");
    } else if let Some(ended) = teacher_ended {
        let reason = format!("cancelled because its teacher run {run_id} {ended}");
        persist("cancelling the runs it would have taught", || {
            store.cancel_dependents(run_id, &reason)
        })
        .await?;
    }
    views::publish_experiment(inner, experiment_id).await
}
