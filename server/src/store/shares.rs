//! Share links: random tokens that open one experiment, comparison or sweep, revocable.

use super::from_row::from_row;
use super::{from_json, now_ms, to_json, Store, StoreError};

/// A row of `shares`.
#[derive(Debug, Clone)]
pub struct ShareRow {
    pub token: String,
    pub experiment_id: Option<String>,
    pub runs: Option<String>,
    pub sweep_id: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}
from_row!(ShareRow {
    token,
    experiment_id,
    runs,
    sweep_id,
    created_at,
    revoked_at
});

impl ShareRow {
    /// The runs of a shared comparison.
    pub fn runs(&self) -> Result<Option<Vec<String>>, StoreError> {
        self.runs
            .as_deref()
            .map(|text| from_json("shared runs", text))
            .transpose()
    }
}

impl Store {
    /// Stores a new share link.
    pub async fn insert_share(
        &self,
        token: &str,
        experiment_id: Option<&str>,
        runs: Option<&[String]>,
        sweep_id: Option<&str>,
    ) -> Result<ShareRow, StoreError> {
        let created_at = now_ms();
        sqlx::query(
            "INSERT INTO shares (token, experiment_id, runs, sweep_id, created_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(token)
        .bind(experiment_id)
        .bind(runs.map(|r| to_json(&r)))
        .bind(sweep_id)
        .bind(created_at)
        .execute(&self.pool)
        .await?;
        Ok(ShareRow {
            token: token.into(),
            experiment_id: experiment_id.map(str::to_string),
            runs: runs.map(|r| to_json(&r)),
            sweep_id: sweep_id.map(str::to_string),
            created_at,
            revoked_at: None,
        })
    }

    /// The share links not revoked, newest first.
    pub async fn live_shares(&self) -> Result<Vec<ShareRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT * FROM shares WHERE revoked_at IS NULL ORDER BY created_at DESC, token",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The share link `token`, live or revoked.
    pub async fn share(&self, token: &str) -> Result<Option<ShareRow>, StoreError> {
        Ok(sqlx::query_as("SELECT * FROM shares WHERE token = $1")
            .bind(token)
            .fetch_optional(&self.pool)
            .await?)
    }

    /// Revokes a share link; false when there was none (or it was already revoked).
    pub async fn revoke_share(&self, token: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE shares SET revoked_at = $1 WHERE token = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(token)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}
