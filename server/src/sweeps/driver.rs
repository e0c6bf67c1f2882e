//! The task that drives one sweep: every second it reads the sweep's trials from the store,
//! fills the free slots as successive halving says (promote, start, wait), and when the search
//! is over queues the confirmation (the winner, then the base configuration, on the
//! confirmation seeds) and ends the sweep once both have ended. Its state is the store's rows,
//! and experiments are queued with `submit_or_resume`, so a step repeated after a crash resumes
//! the experiment it had queued rather than training it twice.

use std::collections::BTreeMap;
use std::time::Duration;

use api::{ExperimentSpec, RunStatus, SweepSpec, SweepStatus};
use engine::sweep::halving::{self, Next, Outcome, TrialRecord};
use engine::sweep::SweepPlan;
use serde_json::Value;

use super::Sweeps;
use crate::jobs::SubmitError;
use crate::store::{from_json, now_ms, NewTrial, SweepRow, TrialRow};

/// How often a sweep looks at its trials.
const TICK: Duration = Duration::from_secs(1);

/// What a step left to do.
enum Flow {
    Continue,
    Ended,
}

/// Drives sweep `id` until it ends, the server stops, or it is deleted.
pub(super) async fn drive(sweeps: Sweeps, id: String) {
    let mut plan = None;
    while !sweeps.jobs().is_stopping() {
        match step(&sweeps, &id, &mut plan).await {
            Ok(Flow::Ended) => return,
            Ok(Flow::Continue) => {}
            Err(StepError::Refused(message)) => {
                tracing::warn!(sweep = %id, %message, "sweep failed");
                let store = sweeps.jobs().store();
                if let Err(e) = store
                    .end_sweep(&id, SweepStatus::Failed, Some(&message), now_ms())
                    .await
                {
                    tracing::warn!(sweep = %id, error = %e, "could not record that a sweep failed");
                }
                return;
            }
            Err(StepError::Transient(message)) => {
                tracing::warn!(sweep = %id, %message, "sweep step failed; trying again");
            }
        }
        tokio::time::sleep(TICK).await;
    }
}

/// Why a step did not complete.
enum StepError {
    /// The sweep cannot go on (its base no longer validates, a trial spec is refused).
    Refused(String),
    /// The store or a task failed; the next tick tries again.
    Transient(String),
}

impl From<crate::store::StoreError> for StepError {
    fn from(e: crate::store::StoreError) -> Self {
        StepError::Transient(e.to_string())
    }
}

impl From<SubmitError> for StepError {
    fn from(e: SubmitError) -> Self {
        match e {
            SubmitError::Invalid(e) => StepError::Refused(format!("{}: {}", e.field, e.message)),
            SubmitError::Store(e) => e.into(),
            SubmitError::Internal(message) => StepError::Transient(message),
        }
    }
}

async fn step(sweeps: &Sweeps, id: &str, plan: &mut Option<SweepPlan>) -> Result<Flow, StepError> {
    let store = sweeps.jobs().store();
    let Some(row) = store.sweep(id).await? else {
        return Ok(Flow::Ended);
    };
    let status = super::view::status_of(&row)?;
    if status.is_terminal() {
        return Ok(Flow::Ended);
    }
    let spec: SweepSpec = from_json("sweep spec", &row.spec)?;
    if plan.is_none() {
        *plan = Some(sweeps.plan(&spec, false).await?);
    }
    let plan = plan.as_ref().expect("planned above");
    match status {
        SweepStatus::Searching => search(sweeps, &row, plan).await,
        _ => confirm(sweeps, &row, plan).await,
    }
}

/// Fills free slots with promotions and new trials; queues the confirmation when the search
/// is over.
async fn search(sweeps: &Sweeps, row: &SweepRow, plan: &SweepPlan) -> Result<Flow, StepError> {
    let jobs = sweeps.jobs();
    let last = plan.base.chain.len() - 1;
    let rows = jobs.store().trials(&row.id, last).await?;
    let (mut records, mut values) = records_of(&rows)?;
    // One trial alone until one has finished: it trains the earlier stages that every later
    // trial then reuses, rather than each of the first few training them at once.
    let slots: usize = match records.iter().flatten().any(|o| *o != Outcome::Pending) {
        true => jobs.live_workers().await?.iter().map(|w| w.slots).sum(),
        false => 1,
    };
    let mut in_flight = records
        .iter()
        .filter(|r| r.last() == Some(&Outcome::Pending))
        .count();
    while in_flight < slots.max(1) {
        let (trial, rung) = match halving::next(&records, plan.trials, plan.rungs.len(), plan.eta) {
            Next::Promote { trial, rung } => (trial, rung),
            Next::Start => {
                values.push(plan.values(records.len()));
                records.push(Vec::new());
                (records.len() - 1, 0)
            }
            Next::Wait => break,
            Next::Done => return start_confirmation(sweeps, row, plan, &records, &values).await,
        };
        queue_trial(sweeps, row, plan, trial, rung, &values[trial]).await?;
        records[trial].push(Outcome::Pending);
        in_flight += 1;
    }
    Ok(Flow::Continue)
}

/// Queues `trial` at `rung` and records it.
async fn queue_trial(
    sweeps: &Sweeps,
    row: &SweepRow,
    plan: &SweepPlan,
    trial: usize,
    rung: usize,
    values: &[Value],
) -> Result<(), StepError> {
    let epochs = plan.rungs[rung];
    let name = format!(
        "{} · trial {trial} · {epochs} epochs · sweep {}",
        row.name, row.id
    );
    let spec = plan
        .trial_spec(values, epochs, &[plan.trial_seed], false, name)
        .map_err(|e| StepError::Refused(format!("trial {trial}: {}: {}", e.field, e.message)))?;
    let experiment = queue(sweeps, &row.id, spec).await?;
    sweeps
        .jobs()
        .store()
        .insert_trial(&NewTrial {
            sweep_id: &row.id,
            trial,
            rung,
            values,
            epochs,
            experiment_id: &experiment,
        })
        .await?;
    tracing::info!(sweep = %row.id, trial, rung, epochs, "trial queued");
    Ok(())
}

/// Queues `spec` for sweep `id` (or resumes the experiment a repeated step had queued), and
/// cancels it at once should the sweep have been cancelled meanwhile. Returns its id.
async fn queue(sweeps: &Sweeps, id: &str, spec: ExperimentSpec) -> Result<String, StepError> {
    let jobs = sweeps.jobs();
    let experiment = jobs.submit_or_resume(spec).await?.id().to_string();
    let ended = match jobs.store().sweep(id).await? {
        Some(row) => super::view::status_of(&row)?.is_terminal(),
        None => true,
    };
    if ended {
        jobs.cancel(&experiment).await?;
    }
    Ok(experiment)
}

/// The outcome of every trial at every rung it reached, and each trial's values, from the
/// store's rows.
pub(super) fn records_of(
    rows: &[TrialRow],
) -> Result<(Vec<TrialRecord>, Vec<Vec<Value>>), crate::store::StoreError> {
    let mut by_trial: BTreeMap<i64, (TrialRecord, Vec<Value>)> = BTreeMap::new();
    for row in rows {
        let entry = match by_trial.get_mut(&row.trial) {
            Some(entry) => entry,
            None => by_trial
                .entry(row.trial)
                .or_insert((Vec::new(), from_json("trial values", &row.trial_values)?)),
        };
        entry.0.push(outcome_of(row));
    }
    Ok(by_trial.into_values().unzip())
}

/// What a trial row's run says about it.
pub(super) fn outcome_of(row: &TrialRow) -> Outcome {
    match row.status.as_deref().and_then(RunStatus::parse) {
        Some(RunStatus::Succeeded) => match row.best_val_accuracy {
            Some(accuracy) => Outcome::Scored(accuracy),
            None => Outcome::Lost,
        },
        Some(RunStatus::Failed | RunStatus::Cancelled | RunStatus::Interrupted) => Outcome::Lost,
        _ => Outcome::Pending,
    }
}

/// The search is over: queue the winner on the confirmation seeds, with a CE baseline, or fail
/// the sweep when no trial finished. The base configuration follows once the winner's earlier
/// stages are trained, so that it reuses them.
async fn start_confirmation(
    sweeps: &Sweeps,
    row: &SweepRow,
    plan: &SweepPlan,
    records: &[TrialRecord],
    values: &[Vec<Value>],
) -> Result<Flow, StepError> {
    let Some(winner) = halving::winner(records) else {
        return Err(StepError::Refused(
            "no trial finished; see the trials' experiments for why".into(),
        ));
    };
    let full = *plan.rungs.last().expect("at least one rung");
    let tuned = plan
        .trial_spec(
            &values[winner],
            full,
            &plan.confirm_seeds,
            true,
            format!("{} · tuned (trial {winner}) · sweep {}", row.name, row.id),
        )
        .map_err(|e| StepError::Refused(format!("{}: {}", e.field, e.message)))?;
    let jobs = sweeps.jobs();
    let tuned = queue(sweeps, &row.id, tuned).await?;
    jobs.store()
        .sweep_confirming(&row.id, winner, &tuned)
        .await?;
    tracing::info!(sweep = %row.id, winner, "sweep confirming its winner");
    Ok(Flow::Continue)
}

/// Queues the base configuration once the winner's earlier stages have ended; ends the sweep
/// once both experiments have.
async fn confirm(sweeps: &Sweeps, row: &SweepRow, plan: &SweepPlan) -> Result<Flow, StepError> {
    let jobs = sweeps.jobs();
    let Some(tuned) = &row.tuned_experiment else {
        return Err(StepError::Refused(
            "confirming without a tuned experiment".into(),
        ));
    };
    let last = plan.base.chain.len() - 1;
    let Some(default) = &row.default_experiment else {
        let runs = jobs.store().runs_of(std::slice::from_ref(tuned)).await?;
        let earlier_ended = runs
            .iter()
            .filter(|r| (r.stage_index as usize) < last)
            .all(|r| r.status().is_terminal());
        if earlier_ended {
            let default = ExperimentSpec {
                seeds: plan.confirm_seeds.clone(),
                baseline: false,
                name: Some(format!("{} · default · sweep {}", row.name, row.id)),
                ..plan.base.clone()
            };
            let default = queue(sweeps, &row.id, default).await?;
            jobs.store().sweep_default(&row.id, &default).await?;
        }
        return Ok(Flow::Continue);
    };
    let runs = jobs
        .store()
        .runs_of(&[tuned.clone(), default.clone()])
        .await?;
    if runs.iter().any(|r| !r.status().is_terminal()) {
        return Ok(Flow::Continue);
    }
    let (status, message) = match runs.iter().find(|r| r.status() != RunStatus::Succeeded) {
        Some(run) => (
            SweepStatus::Failed,
            Some(format!(
                "the confirmation run {} ended {}: {}",
                run.id,
                run.status,
                run.message.as_deref().unwrap_or("no message")
            )),
        ),
        None => (SweepStatus::Succeeded, None),
    };
    jobs.store()
        .end_sweep(&row.id, status, message.as_deref(), now_ms())
        .await?;
    Ok(Flow::Continue)
}
