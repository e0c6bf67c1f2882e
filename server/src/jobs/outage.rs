//! Riding out a database that is away for a while (a PostgreSQL restart, a failover, a network
//! cut): what a run must not lose — a finished epoch, how the run ended — is written again until
//! the database answers, instead of failing the run or dropping the epoch. Errors that say the
//! database could not be reached, or was busy with another write (SQLite's BUSY: two slots
//! committing epochs at once), are retried; a statement the database refuses fails at once.

use std::future::Future;
use std::time::{Duration, Instant};

use crate::store::StoreError;

/// How long a write keeps trying. Longer than [`super::LEASE`] would be pointless: by then
/// another worker may have taken the run, and the fenced write would be refused anyway.
const RIDE_OUT: Duration = Duration::from_secs(30);
/// The first wait; it doubles up to [`MAX_WAIT`].
const FIRST_WAIT: Duration = Duration::from_millis(250);
const MAX_WAIT: Duration = Duration::from_secs(4);
/// The wait before running a transaction again that lost to another write.
const CONTENTION_WAIT: Duration = Duration::from_millis(20);

/// `write()` until it succeeds, fails for a reason other than an unreachable database, or the
/// database has been unreachable for [`RIDE_OUT`]; `what` names the write in the log. `write`
/// must be safe to repeat (every write it is used for is idempotent or fenced).
pub(super) async fn persist<T, F, Fut>(what: &str, mut write: F) -> Result<T, StoreError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, StoreError>>,
{
    let started = Instant::now();
    let mut wait = FIRST_WAIT;
    let mut retried = false;
    loop {
        match write().await {
            Err(e) if e.is_contention() && started.elapsed() < RIDE_OUT => {
                retried = true;
                tracing::debug!(error = %e, "{what}: the database was busy with another write; trying again");
                tokio::time::sleep(CONTENTION_WAIT).await;
            }
            Err(e) if e.is_unreachable() && started.elapsed() < RIDE_OUT => {
                retried = true;
                tracing::warn!(error = %e, "{what}: the database is unreachable; trying again in {wait:?}");
                tokio::time::sleep(wait).await;
                wait = (wait * 2).min(MAX_WAIT);
            }
            Err(e) if e.is_unreachable() => {
                tracing::error!(error = %e, "{what}: the database stayed unreachable for {RIDE_OUT:?}; giving up");
                return Err(e);
            }
            other => {
                if retried {
                    tracing::info!("{what}: the database answered again");
                }
                return other;
            }
        }
    }
}
