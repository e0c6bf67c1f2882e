//! Lost runs: a run left `running` by a worker that is gone — a process of this host that no
//! longer exists (found at once, e.g. a server killed and started again) or any worker whose
//! lease lapsed — goes back to the queue to resume from its last checkpoint on whichever
//! worker claims it, or becomes `interrupted` (with the reason) when it cannot resume. A run
//! whose worker was lost [`MAX_WORKER_LOSSES`] times fails instead of being tried again.

use api::RunStatus;

use super::Inner;
use crate::store::{now_ms, RunRow, StoreError};

/// How many lost workers a run survives.
pub const MAX_WORKER_LOSSES: i64 = 3;

/// Gives back the runs of lost workers; returns how many were queued again.
pub(super) async fn recover_lost(inner: &Inner) -> Result<usize, StoreError> {
    let mut lost: Vec<(RunRow, String)> = Vec::new();
    for (run, pid) in inner.store.running_on_host(&inner.worker.host).await? {
        if !process_exists(pid) {
            let why = format!("its worker (process {pid} on this host) is gone");
            lost.push((run, why));
        }
    }
    for run in inner.store.expired_leases(now_ms()).await? {
        let own = run.worker_id.as_deref() == Some(inner.worker.id.as_str());
        if !own && !lost.iter().any(|(r, _)| r.id == run.id) {
            let why = match &run.worker_id {
                Some(worker) => format!("its worker {worker} stopped renewing its lease"),
                None => "the server that trained it stopped".to_string(),
            };
            lost.push((run, why));
        }
    }
    let mut queued = 0;
    for (run, why) in lost {
        queued += usize::from(give_back(inner, &run, &why).await?);
    }
    Ok(queued)
}

/// How the message of a run queued again after losing its worker ends (it starts with why).
const QUEUED_AGAIN: &str = "; it resumes from its last checkpoint";

/// Why a run was queued again, when `message` (the run's, as it was claimed) says it lost its
/// worker: what a resumed run goes on saying.
pub(super) fn lost_worker_reason(message: &str) -> Option<&str> {
    message.strip_suffix(QUEUED_AGAIN)
}

/// Queues a lost run again, or ends it when it cannot resume; true when queued.
async fn give_back(inner: &Inner, run: &RunRow, why: &str) -> Result<bool, StoreError> {
    let store = &inner.store;
    let worker = run.worker_id.as_deref();
    let ending = if run.worker_losses + 1 >= MAX_WORKER_LOSSES {
        Some((
            RunStatus::Failed,
            format!(
                "failed: {why}, and this run has now lost its worker {MAX_WORKER_LOSSES} times"
            ),
        ))
    } else {
        resumable(inner, run).await?.err().map(|reason| {
            (
                RunStatus::Interrupted,
                format!("interrupted: {why}, and it cannot resume: {reason}"),
            )
        })
    };
    let (status, message) = ending.unwrap_or((RunStatus::Queued, format!("{why}{QUEUED_AGAIN}")));
    if !store
        .take_from_lost_worker(&run.id, worker, status, &message)
        .await?
    {
        return Ok(false); // its worker settled it after all, or another process took it
    }
    if status == RunStatus::Queued {
        tracing::info!(run = %run.id, %why, "a lost run goes back to the queue");
        return Ok(true);
    }
    tracing::warn!(run = %run.id, %message, "a lost run cannot be resumed");
    let reason = format!(
        "cancelled because its teacher run {} was {}",
        run.id,
        status.as_str()
    );
    store.cancel_dependents(&run.id, &reason).await?;
    Ok(false)
}

/// Whether process `pid` of this host exists (Linux reads `/proc`; elsewhere a lost process
/// is found by its lease alone).
fn process_exists(pid: i64) -> bool {
    if cfg!(target_os = "linux") {
        std::path::Path::new(&format!("/proc/{pid}")).exists()
    } else {
        true
    }
}

/// Why `run` cannot resume, if it cannot.
async fn resumable(inner: &Inner, run: &RunRow) -> Result<Result<(), String>, StoreError> {
    let Some(experiment) = inner.store.experiment(&run.experiment_id).await? else {
        return Ok(Err("its experiment is gone".into()));
    };
    if let Err(e) = experiment.spec() {
        return Ok(Err(e.to_string()));
    }
    if let Some(teacher) = &run.teacher_run {
        let model_dir = inner.store.run(teacher).await?.and_then(|t| t.model_dir);
        let has_model = match model_dir {
            // An object store that does not answer now says nothing about the model: the run
            // stays queued, and the worker claiming it says what it found.
            Some(dir) => inner
                .runtime
                .artifacts
                .has_model(&dir)
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(run = %run.id, error = %e, "cannot look for its teacher's model");
                    true
                }),
            None => false,
        };
        if !has_model {
            return Ok(Err(format!(
                "the model of its teacher run {teacher} is missing"
            )));
        }
    }
    Ok(Ok(()))
}
