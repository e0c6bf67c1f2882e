//! Sweeps and their trials. A trial row ties one trial at one rung to the experiment that
//! trains it; its outcome is read from that experiment's last-stage run, so the store holds
//! one truth and a restarted server finds the schedule where it was.

use super::from_row::from_row;
use super::{Store, StoreError};

/// A row of `sweeps`.
#[derive(Debug, Clone)]
pub struct SweepRow {
    pub id: String,
    pub name: String,
    pub spec: String,
    pub status: String,
    pub message: Option<String>,
    pub winner: Option<i64>,
    pub tuned_experiment: Option<String>,
    pub default_experiment: Option<String>,
    pub created_at: i64,
    pub finished_at: Option<i64>,
}
from_row!(SweepRow {
    id,
    name,
    spec,
    status,
    message,
    winner,
    tuned_experiment,
    default_experiment,
    created_at,
    finished_at
});

/// One trial at one rung, with the state of the run that trains its last stage.
#[derive(Debug, Clone)]
pub struct TrialRow {
    pub trial: i64,
    pub rung: i64,
    pub trial_values: String,
    pub epochs: i64,
    pub experiment_id: String,
    /// The last stage's run status; none while the experiment's runs are being stored.
    pub status: Option<String>,
    /// Its best validation accuracy so far.
    pub best_val_accuracy: Option<f64>,
}
from_row!(TrialRow {
    trial,
    rung,
    trial_values,
    epochs,
    experiment_id,
    status,
    best_val_accuracy
});

/// A trial about to be recorded.
#[derive(Debug, Clone)]
pub struct NewTrial<'a> {
    pub sweep_id: &'a str,
    pub trial: usize,
    pub rung: usize,
    pub values: &'a [serde_json::Value],
    pub epochs: usize,
    pub experiment_id: &'a str,
}

impl Store {
    /// Stores a new sweep, searching.
    pub async fn insert_sweep(
        &self,
        id: &str,
        name: &str,
        spec: &api::SweepSpec,
        created_at: i64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sweeps (id, name, spec, status, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(name)
        .bind(super::to_json(spec))
        .bind(api::SweepStatus::Searching.as_str())
        .bind(created_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The sweep `id`.
    pub async fn sweep(&self, id: &str) -> Result<Option<SweepRow>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM sweeps WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The newest sweep of exactly `spec`, if any.
    pub async fn sweep_with_spec(
        &self,
        spec: &api::SweepSpec,
    ) -> Result<Option<SweepRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM sweeps WHERE spec = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
        )
        .bind(super::to_json(spec))
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Every sweep, newest first.
    pub async fn sweeps(&self) -> Result<Vec<SweepRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM sweeps ORDER BY created_at DESC, id DESC")
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// The sweeps still searching or confirming, oldest first.
    pub async fn unfinished_sweeps(&self) -> Result<Vec<SweepRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM sweeps WHERE status IN ('searching', 'confirming')
             ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// Records that `trial` trains at `rung` in experiment `experiment_id`.
    pub async fn insert_trial(&self, trial: &NewTrial<'_>) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO sweep_trials (sweep_id, trial, rung, trial_values, epochs, experiment_id)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(trial.sweep_id)
        .bind(trial.trial as i64)
        .bind(trial.rung as i64)
        .bind(super::to_json(&trial.values))
        .bind(trial.epochs as i64)
        .bind(trial.experiment_id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Every trial of sweep `id` at every rung, with the state of its last stage (`stage`).
    pub async fn trials(&self, id: &str, stage: usize) -> Result<Vec<TrialRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT t.trial, t.rung, t.trial_values, t.epochs, t.experiment_id,
                    r.status, r.best_val_accuracy
             FROM sweep_trials t
             LEFT JOIN runs r ON r.experiment_id = t.experiment_id
                 AND r.kind = 'stage' AND r.stage_index = $2
             WHERE t.sweep_id = $1
             ORDER BY t.trial, t.rung",
        )
        .bind(id)
        .bind(stage as i64)
        .fetch_all(&self.pool)
        .await?)
    }

    /// How many trials sweep `id` has started.
    pub async fn trial_count(&self, id: &str) -> Result<usize, StoreError> {
        let count: i64 = sqlx::query_scalar(
            "SELECT COUNT(DISTINCT trial) FROM sweep_trials WHERE sweep_id = $1",
        )
        .bind(id)
        .fetch_one(&self.pool)
        .await?;
        Ok(count as usize)
    }

    /// The experiments of every trial of sweep `id`.
    pub async fn trial_experiments(&self, id: &str) -> Result<Vec<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT experiment_id FROM sweep_trials WHERE sweep_id = $1")
                .bind(id)
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// Moves sweep `id` to the confirmation: the winner and the experiment that confirms it.
    pub async fn sweep_confirming(
        &self,
        id: &str,
        winner: usize,
        tuned: &str,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE sweeps SET status = 'confirming', winner = $1, tuned_experiment = $2
             WHERE id = $3",
        )
        .bind(winner as i64)
        .bind(tuned)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records the experiment of sweep `id`'s base configuration on the confirmation seeds.
    pub async fn sweep_default(&self, id: &str, default: &str) -> Result<(), StoreError> {
        sqlx::query("UPDATE sweeps SET default_experiment = $1 WHERE id = $2")
            .bind(default)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Ends sweep `id` in `status` (with `message`), unless it has already ended. True when this
    /// call ended it.
    pub async fn end_sweep(
        &self,
        id: &str,
        status: api::SweepStatus,
        message: Option<&str>,
        at: i64,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE sweeps SET status = $1, message = $2, finished_at = $3
             WHERE id = $4 AND status IN ('searching', 'confirming')",
        )
        .bind(status.as_str())
        .bind(message)
        .bind(at)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() > 0)
    }

    /// Deletes sweep `id` and its trial rows (their experiments are the caller's to delete).
    pub async fn delete_sweep(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        sqlx::query("DELETE FROM sweep_trials WHERE sweep_id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        let done = sqlx::query("DELETE FROM sweeps WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() > 0)
    }
}
