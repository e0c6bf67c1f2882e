//! Rows as stored, and how they become the API's summaries.

use api::{
    Architecture, DatasetName, ExperimentSpec, ExperimentSummary, RunKind, RunReport, RunStatus,
    RunSummary,
};

use engine::stats::{estimate, gain_by_seed};
use engine::train::PlannedRun;

use super::from_row::from_row;
use super::{from_json, StoreError};

/// A row of `experiments`.
#[derive(Debug, Clone)]
pub struct ExperimentRow {
    pub id: String,
    pub name: String,
    pub dataset: String,
    pub spec: String,
    pub warnings: String,
    pub chain: String,
    pub created_at: i64,
    pub description: String,
    pub tags: String,
}
from_row!(ExperimentRow {
    id,
    name,
    dataset,
    spec,
    warnings,
    chain,
    created_at,
    description,
    tags
});

/// A row of `runs`.
#[derive(Debug, Clone)]
pub struct RunRow {
    pub id: String,
    pub experiment_id: String,
    pub ordinal: i64,
    pub kind: String,
    pub stage_index: i64,
    pub stage_name: String,
    pub seed: i64,
    pub teacher_run: Option<String>,
    pub status: String,
    pub message: Option<String>,
    pub architecture: String,
    pub link: String,
    pub budget: Option<String>,
    pub from_run: Option<String>,
    pub params: i64,
    pub epochs_total: i64,
    pub epochs_done: i64,
    pub best_val_accuracy: Option<f64>,
    pub val_best_test_accuracy: Option<f64>,
    pub last_test_accuracy: Option<f64>,
    pub last_train_loss: Option<f64>,
    pub fingerprint: Option<String>,
    pub model_dir: Option<String>,
    pub reused_from: Option<String>,
    pub backend: Option<String>,
    pub device: Option<String>,
    pub report: Option<String>,
    pub queued_at: i64,
    pub started_at: Option<i64>,
    pub finished_at: Option<i64>,
    /// The worker holding it (while running) or that last held it.
    pub worker_id: Option<String>,
    /// How many times the worker training it was lost (it died, or stopped renewing its lease).
    pub worker_losses: i64,
}
from_row!(RunRow {
    id,
    experiment_id,
    ordinal,
    kind,
    stage_index,
    stage_name,
    seed,
    teacher_run,
    status,
    message,
    architecture,
    link,
    budget,
    from_run,
    params,
    epochs_total,
    epochs_done,
    best_val_accuracy,
    val_best_test_accuracy,
    last_test_accuracy,
    last_train_loss,
    fingerprint,
    model_dir,
    reused_from,
    backend,
    device,
    report,
    queued_at,
    started_at,
    finished_at,
    worker_id,
    worker_losses
});

/// A run with its experiment's name and dataset.
#[derive(Debug, Clone)]
pub struct ListedRun {
    pub run: RunRow,
    pub experiment_name: String,
    pub experiment_dataset: String,
}
from_row!(ListedRun { flatten run; experiment_name, experiment_dataset });

impl ExperimentRow {
    /// The resolved spec.
    pub fn spec(&self) -> Result<ExperimentSpec, StoreError> {
        from_json("experiment spec", &self.spec)
    }

    /// The warnings given at submission.
    pub fn warnings(&self) -> Result<Vec<String>, StoreError> {
        from_json("experiment warnings", &self.warnings)
    }

    /// The summary of this experiment with these runs (its own, in training order).
    pub fn summary(&self, runs: &[RunRow]) -> Result<ExperimentSummary, StoreError> {
        let statuses: Vec<RunStatus> = runs.iter().map(RunRow::status).collect();
        let last_stage = runs
            .iter()
            .filter(|r| r.kind().in_chain())
            .map(|r| r.stage_index)
            .max();
        // The accuracy the experiment's per-model results report (at the best validation
        // epoch), and the gain every result uses (`gain_by_seed`).
        let per_seed = |pick: &dyn Fn(&RunRow) -> bool| -> Vec<(u64, f64)> {
            runs.iter()
                .filter(|r| pick(r) && r.status() == RunStatus::Succeeded)
                .filter_map(|r| Some((r.seed as u64, r.reported_accuracy()?)))
                .collect()
        };
        let student = per_seed(&|r| r.kind().in_chain() && Some(r.stage_index) == last_stage);
        let baseline = per_seed(&|r| r.kind() == RunKind::Baseline);
        let mean =
            |values: &[(u64, f64)]| estimate(&values.iter().map(|v| v.1).collect::<Vec<_>>());
        Ok(ExperimentSummary {
            id: self.id.clone(),
            name: self.name.clone(),
            status: experiment_status(&statuses),
            dataset: DatasetName::new(self.dataset.clone()).map_err(|message| {
                StoreError::Corrupt {
                    what: "experiment dataset",
                    message,
                }
            })?,
            chain: from_json("experiment chain", &self.chain)?,
            runs_total: runs.len(),
            runs_done: statuses.iter().filter(|s| s.is_terminal()).count(),
            student_accuracy: mean(&student).map(|e| e.mean),
            baseline_accuracy: mean(&baseline).map(|e| e.mean),
            gain: gain_by_seed(&student, &baseline),
            created_at: self.created_at,
            started_at: runs.iter().filter_map(|r| r.started_at).min(),
            finished_at: statuses
                .iter()
                .all(|s| s.is_terminal())
                .then(|| runs.iter().filter_map(|r| r.finished_at).max())
                .flatten(),
            description: self.description.clone(),
            tags: from_json("experiment tags", &self.tags)?,
        })
    }
}

/// An experiment's status from its runs': running while any runs or waits after another
/// started; otherwise the worst ending (failed, interrupted, cancelled), else succeeded.
pub fn experiment_status(runs: &[RunStatus]) -> RunStatus {
    use RunStatus::*;
    let any = |s: RunStatus| runs.contains(&s);
    if any(Running) || (any(Queued) && runs.iter().any(|&s| s != Queued)) {
        Running
    } else if any(Queued) {
        Queued
    } else if any(Failed) {
        Failed
    } else if any(Interrupted) {
        Interrupted
    } else if any(Cancelled) {
        Cancelled
    } else {
        Succeeded
    }
}

impl RunRow {
    /// The run's status (an unknown one reads as interrupted rather than failing a whole list).
    pub fn status(&self) -> RunStatus {
        RunStatus::parse(&self.status).unwrap_or(RunStatus::Interrupted)
    }

    /// Stage or baseline.
    pub fn kind(&self) -> RunKind {
        RunKind::parse(&self.kind).unwrap_or(RunKind::Stage)
    }

    /// The resolved architecture.
    pub fn architecture(&self) -> Result<Architecture, StoreError> {
        from_json("run architecture", &self.architecture)
    }

    /// The resolved link.
    pub fn link(&self) -> Result<api::LinkSpec, StoreError> {
        from_json("run link", &self.link)
    }

    /// The resolved budget (absent for runs stored before stages had budgets of their own).
    pub fn budget(&self) -> Result<Option<api::Budget>, StoreError> {
        self.budget
            .as_deref()
            .map(|text| from_json("run budget", text))
            .transpose()
    }

    /// The test accuracy the run reports: at its best validation epoch (the last epoch's for
    /// runs recorded before validation splits).
    pub fn reported_accuracy(&self) -> Option<f64> {
        self.val_best_test_accuracy.or(self.last_test_accuracy)
    }

    /// The run as planned at submission, read back: its resolved model, link and budget (runs
    /// stored before stages had budgets of their own use the experiment's, `spec`'s).
    pub fn planned(&self, spec: &ExperimentSpec) -> Result<PlannedRun, StoreError> {
        Ok(PlannedRun {
            id: self.id.clone(),
            kind: self.kind(),
            stage_index: self.stage_index as usize,
            stage_name: self.stage_name.clone(),
            seed: self.seed as u64,
            teacher: self.teacher_run.clone(),
            architecture: self.architecture()?,
            link: self.link()?,
            budget: self.budget()?.unwrap_or_else(|| spec.budget.clone()),
            from_run: self.from_run.clone(),
        })
    }

    /// The report of a succeeded run, as this run: a reused run stores its source's report,
    /// whose id, place in the chain and teacher are the source's (a baseline reused from a
    /// two-stage experiment sits at stage 1, not at a three-stage chain's student).
    pub fn report(&self) -> Result<Option<RunReport>, StoreError> {
        let Some(text) = self.report.as_deref() else {
            return Ok(None);
        };
        let mut report: RunReport = from_json("run report", text)?;
        report.id = self.id.clone();
        report.kind = self.kind();
        report.stage_index = self.stage_index as usize;
        report.stage_name = self.stage_name.clone();
        report.teacher_run = self.teacher_run.clone();
        Ok(Some(report))
    }

    /// The run as the API shows it (without live progress).
    pub fn summary(&self) -> Result<RunSummary, StoreError> {
        Ok(RunSummary {
            id: self.id.clone(),
            experiment_id: self.experiment_id.clone(),
            kind: self.kind(),
            stage_index: self.stage_index as usize,
            stage_name: self.stage_name.clone(),
            seed: self.seed as u64,
            teacher_run: self.teacher_run.clone(),
            status: self.status(),
            message: self.message.clone(),
            architecture: self.architecture()?,
            params: self.params as usize,
            epochs_done: self.epochs_done as usize,
            epochs_total: self.epochs_total as usize,
            best_val_accuracy: self.best_val_accuracy,
            val_best_test_accuracy: self.val_best_test_accuracy,
            last_test_accuracy: self.last_test_accuracy,
            last_train_loss: self.last_train_loss,
            reused_from: self.reused_from.clone(),
            backend: self.backend.clone(),
            worker_id: self.worker_id.clone(),
            device: self.device.clone(),
            measurements: self.report()?.map(|r| r.measurements),
            progress: None,
            queued_at: self.queued_at,
            started_at: self.started_at,
            finished_at: self.finished_at,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use RunStatus::*;

    #[test]
    fn an_experiment_with_a_finished_teacher_and_a_waiting_student_is_running() {
        assert_eq!(experiment_status(&[Succeeded, Queued]), Running);
    }

    #[test]
    fn an_experiment_nothing_of_which_started_is_queued() {
        assert_eq!(experiment_status(&[Queued, Queued]), Queued);
    }

    #[test]
    fn a_failure_outranks_the_cancellations_it_caused() {
        assert_eq!(experiment_status(&[Succeeded, Failed, Cancelled]), Failed);
    }

    #[test]
    fn an_experiment_whose_runs_all_succeeded_succeeded() {
        assert_eq!(experiment_status(&[Succeeded, Succeeded]), Succeeded);
    }
}
