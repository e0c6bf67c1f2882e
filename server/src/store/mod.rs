//! The store: every SQL statement of the server lives under this module, always with bound
//! parameters. One set of statements runs on SQLite (the embedded default: WAL, foreign keys)
//! and on PostgreSQL (many machines sharing one lab) through sqlx's `Any` driver; the few
//! phrases that differ come from [`sql::Dialect`]. Each database has its schema in
//! `migrations/<database>/`, with the same tables and columns.

mod access;
mod curves;
mod experiments;
mod from_row;
mod migrations;
mod rows;
mod runs;
mod shares;
mod sql;
mod sweeps;
#[cfg(test)]
mod tests;
mod workers;

use sqlx::any::AnyPoolOptions;
use sqlx::migrate::Migrator;
use sqlx::{AnyPool, Executor};

use sql::Dialect;

pub use access::TokenRow;
pub use curves::{CurvePointRow, EpochCommit};
pub use experiments::{ExperimentFilter, NewExperiment, NewRun};
pub use rows::{ExperimentRow, ListedRun, RunRow};
pub use shares::ShareRow;
pub use sweeps::{NewTrial, SweepRow, TrialRow};
pub use workers::{NewWorker, WorkerRow};

/// Why the store failed. Any of these reaching a client is a 500: a bug or a broken disk.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database said no.
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    /// Migrations could not be applied.
    #[error("database migrations: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The database URL names no database the store supports.
    #[error("unsupported database URL `{0}`: use sqlite:PATH or postgres://USER@HOST/DATABASE")]
    UnsupportedUrl(String),
    /// A JSON column did not parse (written by another version?).
    #[error("stored {what} is not valid: {message}")]
    Corrupt {
        /// Which column.
        what: &'static str,
        /// serde's message.
        message: String,
    },
}

impl StoreError {
    /// Whether the database could not be reached or cut the connection (a restart, a failover, a
    /// network cut), rather than refusing the statement: trying again later can succeed.
    pub fn is_unreachable(&self) -> bool {
        let StoreError::Database(error) = self else {
            return false;
        };
        match error {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Protocol(_) => true,
            // PostgreSQL's SQLSTATE class 08 (connection exception), and 57P01 to 57P03: the
            // server is shutting down, crashed, or is starting up.
            sqlx::Error::Database(e) => e.code().is_some_and(|code| {
                code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
            }),
            _ => false,
        }
    }

    /// Whether the database refused a write only because another was under way: SQLite's BUSY
    /// and LOCKED (a transaction that read before writing finds the database written since,
    /// which its busy timeout does not wait out), PostgreSQL's serialization failure and
    /// deadlock. The whole transaction can be run again.
    pub fn is_contention(&self) -> bool {
        let StoreError::Database(sqlx::Error::Database(e)) = self else {
            return false;
        };
        e.code().is_some_and(|code| {
            // SQLite's extended codes keep the primary code in their low byte; PostgreSQL's
            // SQLSTATEs are five characters.
            let sqlite_primary = (code.len() < 5)
                .then(|| code.parse::<i64>().ok())
                .flatten()
                .map(|c| c & 0xff);
            matches!(sqlite_primary, Some(5 | 6)) || matches!(&*code, "40001" | "40P01")
        })
    }
}

/// Parses a JSON column.
pub(crate) fn from_json<T: serde::de::DeserializeOwned>(
    what: &'static str,
    text: &str,
) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt {
        what,
        message: e.to_string(),
    })
}

/// Writes a JSON column.
pub(crate) fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("api types serialize")
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    dialect: Dialect,
    /// PostgreSQL's URL, for listeners (it may hold a password: never printed).
    postgres_url: Option<std::sync::Arc<str>>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("dialect", &self.dialect)
            .finish_non_exhaustive()
    }
}

impl Store {
    /// Opens the database at `url` and applies its migrations: `sqlite:PATH` (created if
    /// missing) or `postgres://USER@HOST/DATABASE` (`?host=/socket/dir` for a unix socket).
    pub async fn open(url: &str) -> Result<Store, StoreError> {
        sqlx::any::install_default_drivers();
        let dialect =
            Dialect::of_url(url).ok_or_else(|| StoreError::UnsupportedUrl(url.to_string()))?;
        let pool = match dialect {
            Dialect::Sqlite => {
                let pool = AnyPoolOptions::new()
                    .max_connections(8)
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            conn.execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
                            )
                            .await?;
                            Ok(())
                        })
                    })
                    .connect(&sql::sqlite_url_creating(url))
                    .await?;
                Migrator::new(migrations::SQLITE).await?.run(&pool).await?;
                pool
            }
            Dialect::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(std::time::Duration::from_secs(30))
                    .connect(url)
                    .await?;
                Migrator::new(migrations::POSTGRES)
                    .await?
                    .run(&pool)
                    .await?;
                pool
            }
        };
        let postgres_url = (dialect == Dialect::Postgres).then(|| url.into());
        Ok(Store {
            pool,
            dialect,
            postgres_url,
        })
    }

    /// Which database this is.
    pub fn is_postgres(&self) -> bool {
        self.dialect == Dialect::Postgres
    }
}
