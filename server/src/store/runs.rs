//! A run's life in the database: claimed by a worker, started, reused, ended; dependents
//! cancelled; runs left running by a crash found again.

use api::{RunReport, RunStatus};

use super::from_row::from_row;
use super::sql::Float;
use super::{now_ms, to_json, ListedRun, RunRow, Store, StoreError};

/// A running run with the process id of the worker holding it.
struct HeldRun {
    run: RunRow,
    worker_pid: i64,
}
from_row!(HeldRun { flatten run; worker_pid });

impl Store {
    /// The run `id`.
    pub async fn run(&self, id: &str) -> Result<Option<RunRow>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM runs WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Claims the oldest queued run whose teacher (if any) has succeeded for `worker`, under a
    /// lease until `lease_expires_at`: the next one to train, or None. Atomic across workers
    /// (PostgreSQL skips rows another worker is claiming; SQLite has one writer).
    pub async fn claim_next(
        &self,
        worker: &str,
        lease_expires_at: i64,
    ) -> Result<Option<RunRow>, StoreError> {
        let sql = format!(
            "UPDATE runs SET status = 'running', worker_id = $1, lease_expires_at = $2,
                 started_at = $3, finished_at = NULL, cancel_requested = 0
             WHERE status = 'queued' AND id = (
                 SELECT r.id FROM runs r
                   JOIN experiments e ON e.id = r.experiment_id
                   LEFT JOIN runs t ON t.id = r.teacher_run
                 WHERE r.status = 'queued' AND (r.teacher_run IS NULL OR t.status = 'succeeded')
                 ORDER BY e.created_at, e.id, r.ordinal
                 LIMIT 1{})
             RETURNING *",
            self.dialect.lock_for_claim("r")
        );
        Ok(sqlx::query_as(&sql)
            .bind(worker)
            .bind(lease_expires_at)
            .bind(now_ms())
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Renews the leases of the runs `worker` trains; returns how many it holds.
    pub async fn renew_leases(
        &self,
        worker: &str,
        lease_expires_at: i64,
    ) -> Result<usize, StoreError> {
        let done = sqlx::query(
            "UPDATE runs SET lease_expires_at = $1 WHERE worker_id = $2 AND status = 'running'",
        )
        .bind(lease_expires_at)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() as usize)
    }

    /// Running runs whose lease lapsed before `now` (their worker stopped renewing it).
    pub async fn expired_leases(&self, now: i64) -> Result<Vec<RunRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM runs WHERE status = 'running'
               AND (lease_expires_at IS NULL OR lease_expires_at < $1)
             ORDER BY queued_at, ordinal",
        )
        .bind(now)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Running runs held by a worker of `host`, with that worker's process id.
    pub async fn running_on_host(&self, host: &str) -> Result<Vec<(RunRow, i64)>, StoreError> {
        let held: Vec<HeldRun> = sqlx::query_as(
            "SELECT r.*, w.pid AS worker_pid FROM runs r JOIN workers w ON w.id = r.worker_id
             WHERE r.status = 'running' AND w.host = $1",
        )
        .bind(host)
        .fetch_all(&self.pool)
        .await?;
        Ok(held.into_iter().map(|h| (h.run, h.worker_pid)).collect())
    }

    /// Takes a running run from a lost `worker`: back to the queue, or ended with `status`,
    /// unless someone else settled or claimed it meanwhile; returns whether it did.
    pub async fn take_from_lost_worker(
        &self,
        id: &str,
        worker: Option<&str>,
        status: RunStatus,
        message: &str,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE runs SET status = $1, message = $2, lease_expires_at = NULL,
                 worker_losses = worker_losses + 1,
                 finished_at = CASE WHEN $3 THEN $4 ELSE NULL END
             WHERE id = $5 AND status = 'running' AND worker_id IS NOT DISTINCT FROM $6",
        )
        .bind(status.as_str())
        .bind(message)
        .bind(status.is_terminal())
        .bind(now_ms())
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Asks the running runs of an experiment to stop, wherever they train; returns them.
    pub async fn request_cancel(&self, experiment_id: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "UPDATE runs SET cancel_requested = 1
             WHERE experiment_id = $1 AND status = 'running' RETURNING id",
        )
        .bind(experiment_id)
        .fetch_all(&self.pool)
        .await?)
    }

    /// The runs `worker` trains that were asked to stop.
    pub async fn cancel_requests(&self, worker: &str) -> Result<Vec<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM runs WHERE worker_id = $1 AND status = 'running' AND cancel_requested = 1",
        )
        .bind(worker)
        .fetch_all(&self.pool)
        .await?)
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
        sqlx::query("UPDATE runs SET backend = $1, device = $2, fingerprint = $3 WHERE id = $4")
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
            "UPDATE runs SET message = $1 WHERE id = $2 AND status = 'running' AND message IS DISTINCT FROM $1",
        )
        .bind(message)
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// The succeeded runs of the same configuration (fingerprint) with a model, oldest first:
    /// the caller reuses the first whose model file is still there.
    pub async fn reusable(
        &self,
        fingerprint: &str,
        except: &str,
    ) -> Result<Vec<RunRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM runs WHERE fingerprint = $1 AND status = 'succeeded' AND id <> $2
               AND model_dir IS NOT NULL AND report IS NOT NULL
             ORDER BY finished_at",
        )
        .bind(fingerprint)
        .bind(except)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Runs newest first (by when they ended, then were queued), with their experiment's name
    /// and dataset: at most `limit`, only of `status` and `dataset` when given; a sweep's
    /// trials are not listed.
    pub async fn list_runs(
        &self,
        status: Option<RunStatus>,
        dataset: Option<&str>,
        limit: usize,
    ) -> Result<Vec<ListedRun>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT r.*, e.name AS experiment_name, e.dataset AS experiment_dataset
             FROM runs r JOIN experiments e ON e.id = r.experiment_id
             WHERE ($1 IS NULL OR r.status = $1) AND ($2 IS NULL OR e.dataset = $2)
               AND NOT EXISTS (SELECT 1 FROM sweep_trials t WHERE t.experiment_id = e.id)
             ORDER BY coalesce(r.finished_at, r.queued_at) DESC, r.id LIMIT $3",
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
            "UPDATE runs SET status = 'succeeded', message = $1, reused_from = $2, fingerprint = $3,
                 model_dir = $4, report = $5, epochs_done = $6, best_val_accuracy = $7,
                 val_best_test_accuracy = $8, last_test_accuracy = $9, last_train_loss = $10,
                 backend = $11, device = $12, finished_at = $13
             WHERE id = $14",
        )
        .bind(message)
        .bind(&source.id)
        .bind(&source.fingerprint)
        .bind(&source.model_dir)
        .bind(&source.report)
        .bind(source.epochs_done)
        .bind(Float(source.best_val_accuracy))
        .bind(Float(source.val_best_test_accuracy))
        .bind(Float(source.last_test_accuracy))
        .bind(Float(source.last_train_loss))
        .bind(&source.backend)
        .bind(&source.device)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO curve_points (run_id, metric, step, epoch, value)
             SELECT $1, metric, step, epoch, value FROM curve_points WHERE run_id = $2
             ON CONFLICT DO NOTHING",
        )
        .bind(id)
        .bind(&source.id)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Ends run `id`, held by `worker`, successfully with its report and model directory;
    /// false (nothing written) when another worker holds it now.
    pub async fn mark_succeeded(
        &self,
        id: &str,
        worker: &str,
        report: &RunReport,
        model_dir: &str,
    ) -> Result<bool, StoreError> {
        let m = &report.measurements;
        let done = sqlx::query(
            "UPDATE runs SET status = 'succeeded', report = $1, model_dir = $2,
                 last_test_accuracy = $3, val_best_test_accuracy = $4, best_val_accuracy = $5,
                 epochs_done = $6, finished_at = $7, lease_expires_at = NULL
             WHERE id = $8 AND worker_id = $9",
        )
        .bind(to_json(report))
        .bind(model_dir)
        .bind(Float(Some(m.top1_last)))
        .bind(Float(m.top1_val_best))
        .bind(Float(m.val_accuracy))
        .bind(report.epochs.len() as i64)
        .bind(now_ms())
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets a run's status and message; an ending status also stamps `finished_at`.
    pub async fn set_status(
        &self,
        id: &str,
        status: RunStatus,
        message: Option<&str>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE runs SET status = $1, message = $2,
                 finished_at = CASE WHEN $3 THEN $4 ELSE NULL END
             WHERE id = $5",
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

    /// Sets the status and message of run `id` while `worker` holds it (an ending status also
    /// stamps `finished_at`); false (nothing written) when another worker holds it now.
    pub async fn release(
        &self,
        id: &str,
        worker: &str,
        status: RunStatus,
        message: Option<&str>,
    ) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE runs SET status = $1, message = $2, lease_expires_at = NULL,
                 finished_at = CASE WHEN $3 THEN $4 ELSE NULL END
             WHERE id = $5 AND status = 'running' AND worker_id = $6",
        )
        .bind(status.as_str())
        .bind(message)
        .bind(status.is_terminal())
        .bind(now_ms())
        .bind(id)
        .bind(worker)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Cancels every queued run taught (directly or through others) by run `id`; returns them.
    pub async fn cancel_dependents(
        &self,
        id: &str,
        reason: &str,
    ) -> Result<Vec<String>, StoreError> {
        let ids: Vec<String> = sqlx::query_scalar(
            "WITH RECURSIVE below(id) AS (
                 SELECT id FROM runs WHERE teacher_run = $1
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
        let ids: Vec<String> = sqlx::query_scalar(
            "SELECT id FROM runs WHERE experiment_id = $1 AND status = 'queued'",
        )
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
            sqlx::query_as("SELECT * FROM runs WHERE status = $1 ORDER BY queued_at, ordinal")
                .bind(status.as_str())
                .fetch_all(&self.pool)
                .await?,
        )
    }

    /// How many runs are in a status.
    pub async fn count_in_status(&self, status: RunStatus) -> Result<usize, StoreError> {
        let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM runs WHERE status = $1")
            .bind(status.as_str())
            .fetch_one(&self.pool)
            .await?;
        Ok(n as usize)
    }
}
