//! Workers: each process that trains runs (`distill serve` with slots, `distill worker`)
//! registers itself, says it is alive with a heartbeat, and says when it stops; the System page
//! lists them. Events for clients of other processes travel through PostgreSQL's NOTIFY.

use super::from_row::from_row;
use super::sql::Dialect;
use super::{Store, StoreError};

/// The channel workers' events are sent on.
pub const EVENTS_CHANNEL: &str = "distill_events";

/// A worker about to register.
#[derive(Debug, Clone)]
pub struct NewWorker {
    pub id: String,
    pub host: String,
    pub pid: i64,
    pub backend: String,
    pub device: String,
    pub slots: i64,
}

/// A row of `workers`.
#[derive(Debug, Clone)]
pub struct WorkerRow {
    pub id: String,
    pub host: String,
    pub pid: i64,
    pub backend: String,
    pub device: String,
    pub slots: i64,
    pub busy: i64,
    pub started_at: i64,
    pub heartbeat_at: i64,
    pub stopped_at: Option<i64>,
}
from_row!(WorkerRow {
    id,
    host,
    pid,
    backend,
    device,
    slots,
    busy,
    started_at,
    heartbeat_at,
    stopped_at
});

impl Store {
    /// Registers a worker, alive as of `now`.
    pub async fn register_worker(&self, worker: &NewWorker, now: i64) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO workers (id, host, pid, backend, device, slots, busy, started_at, heartbeat_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $7)",
        )
        .bind(&worker.id)
        .bind(&worker.host)
        .bind(worker.pid)
        .bind(&worker.backend)
        .bind(&worker.device)
        .bind(worker.slots)
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Records that a worker is alive at `now` with `busy` slots training.
    pub async fn heartbeat(&self, worker: &str, busy: usize, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE workers SET heartbeat_at = $1, busy = $2 WHERE id = $3")
            .bind(now)
            .bind(busy as i64)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Records that a worker stopped.
    pub async fn worker_stopped(&self, worker: &str, now: i64) -> Result<(), StoreError> {
        sqlx::query("UPDATE workers SET stopped_at = $1, busy = 0 WHERE id = $2")
            .bind(now)
            .bind(worker)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Workers not known to have stopped that were heard from after `since`, newest first.
    pub async fn live_workers(&self, since: i64) -> Result<Vec<WorkerRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM workers WHERE stopped_at IS NULL AND heartbeat_at >= $1
             ORDER BY started_at DESC, id",
        )
        .bind(since)
        .fetch_all(&self.pool)
        .await?)
    }

    /// Sends `payload` to every process listening on [`EVENTS_CHANNEL`] (PostgreSQL only; with
    /// SQLite every worker is in the one process and this does nothing).
    pub async fn notify(&self, payload: &str) -> Result<(), StoreError> {
        if self.dialect == Dialect::Postgres {
            sqlx::query("SELECT pg_notify($1, $2)")
                .bind(EVENTS_CHANNEL)
                .bind(payload)
                .execute(&self.pool)
                .await?;
        }
        Ok(())
    }

    /// A connection receiving what [`Store::notify`] sends, or None with SQLite.
    pub async fn listen(&self) -> Result<Option<sqlx::postgres::PgListener>, StoreError> {
        let Some(url) = &self.postgres_url else {
            return Ok(None);
        };
        let mut listener = sqlx::postgres::PgListener::connect(url).await?;
        listener.listen(EVENTS_CHANNEL).await?;
        Ok(Some(listener))
    }
}
