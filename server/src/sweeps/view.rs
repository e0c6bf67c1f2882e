//! A sweep as the API shows it: its trials with validation figures only (the rows it reads
//! carry no test accuracy), the winner, and the confirmation's test figures, paired by seed.

use api::{Confirmation, RunKind, RunStatus, SweepSpec, SweepStatus, SweepView, TrialView};
use engine::stats::{estimate, gain_by_seed};
use engine::sweep::halving::{rung_epochs, Outcome};

use super::driver::{outcome_of, records_of};
use crate::store::{from_json, RunRow, Store, StoreError, SweepRow};

/// The status of a sweep row.
pub(super) fn status_of(row: &SweepRow) -> Result<SweepStatus, StoreError> {
    SweepStatus::parse(&row.status).ok_or_else(|| StoreError::Corrupt {
        what: "sweep status",
        message: format!("unknown status {}", row.status),
    })
}

/// The sweep `id`, or none.
pub(super) async fn sweep_view(store: &Store, id: &str) -> Result<Option<SweepView>, StoreError> {
    let Some(row) = store.sweep(id).await? else {
        return Ok(None);
    };
    let spec: SweepSpec = from_json("sweep spec", &row.spec)?;
    let last = spec.base.chain.len() - 1;
    let rows = store.trials(id, last).await?;
    let (records, values) = records_of(&rows)?;
    let trials = records
        .iter()
        .zip(values)
        .enumerate()
        .map(|(index, (record, values))| {
            let top = rows
                .iter()
                .filter(|r| r.trial as usize == index)
                .max_by_key(|r| r.rung)
                .expect("a trial has a row per rung it reached");
            TrialView {
                index,
                values,
                rung: record.len() - 1,
                epochs: top.epochs as usize,
                status: top.status.clone().unwrap_or_else(|| "queued".into()),
                val_accuracy: score(outcome_of(top)),
                rung_val_accuracy: record.iter().map(|o| score(*o)).collect(),
            }
        })
        .collect();
    let confirmation = match &row.tuned_experiment {
        Some(tuned) => {
            Some(confirmation(store, tuned, row.default_experiment.as_deref(), last).await?)
        }
        None => None,
    };
    Ok(Some(SweepView {
        status: status_of(&row)?,
        message: row.message.clone(),
        created_at: row.created_at,
        dimensions: spec.space.keys().cloned().collect(),
        rungs: rungs_of(&spec),
        trial_seed: spec.trial_seed(),
        confirm_seeds: spec.confirm_seeds(),
        trials,
        winner: row.winner.map(|w| w as usize),
        confirmation,
        spec,
        id: row.id,
        name: row.name,
    }))
}

fn score(outcome: Outcome) -> Option<f64> {
    match outcome {
        Outcome::Scored(accuracy) => Some(accuracy),
        _ => None,
    }
}

/// The rungs' epochs as the plan makes them, from the spec alone (the base's last stage's own
/// budget, else the experiment's).
fn rungs_of(spec: &SweepSpec) -> Vec<usize> {
    let base = &spec.base;
    let full = base
        .chain
        .last()
        .and_then(|s| s.budget.as_ref())
        .unwrap_or(&base.budget)
        .epochs;
    match &spec.early_stopping {
        Some(api::EarlyStopping::SuccessiveHalving { min_epochs, eta }) => {
            rung_epochs(full, *min_epochs, *eta)
        }
        None => vec![full],
    }
}

/// The tuned and default experiments' last stages (and the tuned one's baseline) on the
/// confirmation seeds: test accuracy at the best validation epoch, paired by seed.
async fn confirmation(
    store: &Store,
    tuned: &str,
    default: Option<&str>,
    last: usize,
) -> Result<Confirmation, StoreError> {
    let experiments: Vec<String> = [Some(tuned), default]
        .into_iter()
        .flatten()
        .map(str::to_string)
        .collect();
    let runs = store.runs_of(&experiments).await?;
    let finished = default.is_some() && runs.iter().all(|r| r.status().is_terminal());
    let accuracies = |experiment: &str, kind: RunKind| -> Vec<(u64, f64)> {
        runs.iter()
            .filter(|r| r.experiment_id == experiment && r.kind() == kind)
            .filter(|r| kind == RunKind::Baseline || r.stage_index as usize == last)
            .filter(|r| r.status() == RunStatus::Succeeded)
            .filter_map(|r: &RunRow| Some((r.seed as u64, r.val_best_test_accuracy?)))
            .collect()
    };
    let tuned_acc = accuracies(tuned, RunKind::Stage);
    let default_acc = default.map_or(Vec::new(), |d| accuracies(d, RunKind::Stage));
    let baseline_acc = accuracies(tuned, RunKind::Baseline);
    let values = |pairs: &[(u64, f64)]| pairs.iter().map(|(_, v)| *v).collect::<Vec<_>>();
    Ok(Confirmation {
        tuned_experiment: tuned.to_string(),
        default_experiment: default.map(str::to_string),
        finished,
        tuned: estimate(&values(&tuned_acc)),
        default: estimate(&values(&default_acc)),
        tuned_vs_default: gain_by_seed(&tuned_acc, &default_acc),
        tuned_vs_baseline: gain_by_seed(&tuned_acc, &baseline_acc),
    })
}
