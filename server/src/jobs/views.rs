//! Experiments and runs as clients see them: stored summaries plus live progress, per-model
//! results, and the events that tell subscribers something changed.

use api::{ExperimentDetail, ExperimentEvent, ExperimentReport, ExperimentSummary, RunSummary};

use super::{Inner, Jobs};
use crate::store::{ExperimentRow, RunRow, StoreError};

fn run_summary(inner: &Inner, row: &RunRow) -> Result<RunSummary, StoreError> {
    let mut summary = row.summary()?;
    summary.progress = inner.hub.progress(&row.id);
    Ok(summary)
}

fn detail_of(
    inner: &Inner,
    experiment: &ExperimentRow,
    runs: &[RunRow],
) -> Result<ExperimentDetail, StoreError> {
    let spec = experiment.spec()?;
    let reports = runs
        .iter()
        .filter(|r| r.status() == api::RunStatus::Succeeded)
        .filter_map(|r| r.report().transpose())
        .collect::<Result<Vec<_>, _>>()?;
    let models = engine::report::summarize(&ExperimentReport {
        spec: spec.clone(),
        conventions: engine::LOSS_CONVENTIONS.into(),
        runs: reports,
    });
    Ok(ExperimentDetail {
        summary: experiment.summary(runs)?,
        spec,
        warnings: experiment.warnings()?,
        runs: runs
            .iter()
            .map(|r| run_summary(inner, r))
            .collect::<Result<_, _>>()?,
        models,
    })
}

/// Tells subscribers where run `run_id` is now.
pub(super) async fn publish_run(inner: &Inner, run_id: &str) -> Result<(), StoreError> {
    if let Some(row) = inner.store.run(run_id).await? {
        let run = Box::new(run_summary(inner, &row)?);
        inner
            .hub
            .publish(&row.experiment_id, ExperimentEvent::Run { run });
    }
    Ok(())
}

/// Tells subscribers every run's state and the summary, and that the experiment ended if it did.
pub(super) async fn publish_experiment(
    inner: &Inner,
    experiment_id: &str,
) -> Result<(), StoreError> {
    let Some(experiment) = inner.store.experiment(experiment_id).await? else {
        return Ok(());
    };
    let runs = inner.store.runs_of(&[experiment_id.to_string()]).await?;
    for row in &runs {
        let run = Box::new(run_summary(inner, row)?);
        inner
            .hub
            .publish(experiment_id, ExperimentEvent::Run { run });
    }
    let summary = experiment.summary(&runs)?;
    let status = summary.status;
    inner
        .hub
        .publish(experiment_id, ExperimentEvent::Experiment { summary });
    if status.is_terminal() {
        inner
            .hub
            .publish(experiment_id, ExperimentEvent::End { status });
    }
    Ok(())
}

impl Jobs {
    /// The experiment `id` as it is now.
    pub async fn detail(&self, id: &str) -> Result<Option<ExperimentDetail>, StoreError> {
        let Some(experiment) = self.0.store.experiment(id).await? else {
            return Ok(None);
        };
        let runs = self.0.store.runs_of(&[id.to_string()]).await?;
        detail_of(&self.0, &experiment, &runs).map(Some)
    }

    /// Summaries of these experiments, in the same order (one query for all their runs).
    pub async fn summaries(
        &self,
        rows: &[ExperimentRow],
    ) -> Result<Vec<ExperimentSummary>, StoreError> {
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        let runs = self.0.store.runs_of(&ids).await?;
        rows.iter()
            .map(|e| {
                let own: Vec<RunRow> = runs
                    .iter()
                    .filter(|r| r.experiment_id == e.id)
                    .cloned()
                    .collect();
                e.summary(&own)
            })
            .collect()
    }

    /// A run as clients see it (with live progress).
    pub fn run_summary(&self, row: &RunRow) -> Result<RunSummary, StoreError> {
        run_summary(&self.0, row)
    }
}
