//! Start-up: runs a crash left `running` go back to the queue to resume from their last
//! checkpoint, or become `interrupted` (with the reason) when they cannot resume.

use api::RunStatus;

use super::Inner;
use crate::store::{RunRow, StoreError};

pub(super) async fn recover(inner: &Inner) -> Result<(), StoreError> {
    for run in inner.store.runs_in_status(RunStatus::Running).await? {
        match resumable(inner, &run).await? {
            Ok(()) => {
                tracing::info!(run = %run.id, "resuming a run the last server left running");
                let message = "the server stopped while this run trained; it resumes from its last checkpoint";
                inner
                    .store
                    .set_status(&run.id, RunStatus::Queued, Some(message))
                    .await?;
            }
            Err(reason) => {
                tracing::warn!(run = %run.id, %reason, "cannot resume a run the last server left running");
                let message = format!("interrupted by a server crash and cannot resume: {reason}");
                inner
                    .store
                    .set_status(&run.id, RunStatus::Interrupted, Some(&message))
                    .await?;
                inner
                    .store
                    .cancel_dependents(
                        &run.id,
                        &format!(
                            "cancelled because its teacher run {} was interrupted",
                            run.id
                        ),
                    )
                    .await?;
            }
        }
    }
    Ok(())
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
        let model = inner
            .store
            .run(teacher)
            .await?
            .and_then(|t| t.model_dir)
            .map(|dir| std::path::Path::new(&dir).join("model.bpk"));
        if !model.is_some_and(|m| m.exists()) {
            return Ok(Err(format!(
                "the model of its teacher run {teacher} is missing"
            )));
        }
    }
    Ok(Ok(()))
}
