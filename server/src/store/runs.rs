//! A run's life in the database: claimed by a worker, started, reused, ended; dependents
//! cancelled; runs left running by a crash found again.

use api::{RunReport, RunStatus};

use super::{now_ms, to_json, ListedRun, RunRow, Store, StoreError};

impl Store {
    /// The run `id`.
    pub async fn run(&self, id: &str) -> Result<Option<RunRow>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM runs WHERE id = ?")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// The oldest queued run whose teacher (if any) has succeeded: the next one to train.
    pub async fn next_runnable(&self) -> Result<Option<RunRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT r.* FROM runs r
               JOIN experiments e ON e.id = r.experiment_id
               LEFT JOIN runs t ON t.id = r.teacher_run
             WHERE r.status = 'queued' AND (r.teacher_run IS NULL OR t.status = 'succeeded')
             ORDER BY e.created_at, e.id, r.ordinal
             LIMIT 1",
        )
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Marks a queued run running; false when it was no longer queued (cancelled meanwhile).
    pub async fn claim(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE runs SET status = 'running', started_at = ?, finished_at = NULL
             WHERE id = ? AND status = 'queued'",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records where a run trains and its configuration's fingerprint. Its message stays: a
    /// run paused by a shutdown says so until training says where it starts
    /// ([`Store::set_running_message`]).
    pub async fn mark_started(
        &self,
        id: &str,
        backend: &str,
        device: &str,
        fingerprint: &str,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE runs SET backend = ?, device = ?, fingerprint = ? WHERE id = ?")
            .bind(backend)
            .bind(device)
            .bind(fingerprint)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Replaces the message of a run that is running (of no other); returns whether it
    /// changed.
    pub async fn set_running_message(
        &self,
        id: &str,
        message: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE runs SET message = ?1 WHERE id = ?2 AND status = 'running' AND message IS NOT ?1",
        )
        .bind(message)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// A succeeded run of the same configuration (fingerprint) whose model is on disk.
    pub async fn reusable(
        &self,
        fingerprint: &str,
        except: &str,
    ) -> Result<Option<RunRow>, StoreError> {
        let candidates: Vec<RunRow> = sqlx::query_as(
            "SELECT * FROM runs WHERE fingerprint = ? AND status = 'succeeded' AND id <> ?
               AND model_dir IS NOT NULL AND report IS NOT NULL
             ORDER BY finished_at",
        )
        .bind(fingerprint)
        .bind(except)
        .fetch_all(&self.pool)
        .await?;
        Ok(candidates.into_iter().find(|r| {
            r.model_dir
                .as_deref()
                .is_some_and(|dir| std::path::Path::new(dir).join("model.bpk").exists())
        }))
    }

    /// Runs newest first (by when they ended, then were queued), with their experiment's name
    /// and dataset: at most `limit`, only of `status` and `dataset` when given.
    pub async fn list_runs(
        &self,
        status: Option<RunStatus>,
        dataset: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ListedRun>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT r.*, e.name AS experiment_name, e.dataset AS experiment_dataset
             FROM runs r JOIN experiments e ON e.id = r.experiment_id
             WHERE (?1 IS NULL OR r.status = ?1) AND (?2 IS NULL OR e.dataset = ?2)
             ORDER BY coalesce(r.finished_at, r.queued_at) DESC, r.id LIMIT ?3",
        )
        .bind(status.map(RunStatus::as_str))
        .bind(dataset)
        .bind(limit as i64)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Ends run `id` as a reuse of `source`: its report, model and curves.
    pub async fn mark_reused(&self, id: &str, source: &RunRow) -> Result<(), StoreError> {
        let mut tx = self.pool.begin().await?;
        let message = format!(
            "reused the trained model of run {} (experiment {}): same configuration, data and seed",
            source.id, source.experiment_id
        );
        sqlx::query(
            "UPDATE runs SET status = 'succeeded', message = ?, reused_from = ?, fingerprint = ?,
                 model_dir = ?, report = ?, epochs_done = ?, best_val_accuracy = ?,
                 val_best_test_accuracy = ?, last_test_accuracy = ?, last_train_loss = ?,
                 backend = ?, device = ?, finished_at = ?
             WHERE id = ?",
        )
        .bind(message)
        .bind(&source.id)
        .bind(&source.fingerprint)
        .bind(&source.model_dir)
        .bind(&source.report)
        .bind(source.epochs_done)
        .bind(source.best_val_accuracy)
        .bind(source.val_best_test_accuracy)
        .bind(source.last_test_accuracy)
        .bind(source.last_train_loss)
        .bind(&source.backend)
        .bind(&source.device)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT OR IGNORE INTO curve_points (run_id, metric, step, epoch, value)
             SELECT ?, metric, step, epoch, value FROM curve_points WHERE run_id = ?",
        )
        .bind(id)
        .bind(&source.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends run `id` successfully with its report and model directory.
    pub async fn mark_succeeded(
        &self,
        id: &str,
        report: &RunReport,
        model_dir: &str,
    ) -> Result<(), StoreError> {
        let m = &report.measurements;
        sqlx::query(
            "UPDATE runs SET status = 'succeeded', report = ?, model_dir = ?,
                 last_test_accuracy = ?, val_best_test_accuracy = ?, best_val_accuracy = ?,
                 epochs_done = ?, finished_at = ?
             WHERE id = ?",
        )
        .bind(to_json(report))
        .bind(model_dir)
        .bind(m.top1_last)
        .bind(m.top1_val_best)
        .bind(m.val_accuracy)
        .bind(report.epochs.len() as i64)
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Sets a run's status and message; an ending status also stamps `finished_at`.
    pub async fn set_status(
        &self,
        id: &str,
        status: RunStatus,
        message: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE runs SET status = ?, message = ?,
                 finished_at = CASE WHEN ? THEN ? ELSE NULL END
             WHERE id = ?",
        )
        .bind(status.as_str())
        .bind(message)
        .bind(status.is_terminal())
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Cancels every queued run taught (directly or through others) by run `id`; returns them.
    pub async fn cancel_dependents(
        &self,
        id: &str,
        reason: &str,
    ) -> Result<Vec<String>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "WITH RECURSIVE below(id) AS (
                 SELECT id FROM runs WHERE teacher_run = ?
                 UNION SELECT r.id FROM runs r JOIN below b ON r.teacher_run = b.id)
             SELECT r.id FROM runs r JOIN below b ON b.id = r.id WHERE r.status = 'queued'",
        )
        .bind(id)
        .fetch_all(&self.pool)
        .await?;
        for dependent in &ids {
            self.set_status(dependent, RunStatus::Cancelled, Some(reason))
                .await?;
        }
        Ok(ids)
    }

    /// Cancels the queued runs of an experiment; returns them.
    pub async fn cancel_queued(
        &self,
        experiment_id: &str,
        reason: &str,
    ) -> Result<Vec<String>, StoreError> {
        let ids: Vec<String> =
            sqlx::query_scalar("SELECT id FROM runs WHERE experiment_id = ? AND status = 'queued'")
                .bind(experiment_id)
                .fetch_all(&self.pool)
                .await?;
        for id in &ids {
            self.set_status(id, RunStatus::Cancelled, Some(reason))
                .await?;
        }
        Ok(ids)
    }

    /// Runs in a status, oldest experiment first.
    pub async fn runs_in_status(&self, status: RunStatus) -> Result<Vec<RunRow>, StoreError> {
        Ok(
            sqlx::query_as("SELECT * FROM runs WHERE status = ? ORDER BY queued_at, ordinal")
                .bind(status.as_str())
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// How many runs are in a status.
    pub async fn count_in_status(&self, status: RunStatus) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status = ?")
            .bind(status.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(n as usize)
    }
}
