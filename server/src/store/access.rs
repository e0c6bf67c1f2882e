//! API tokens and browser sessions: stored by the SHA-256 digest of their secret only.

use api::{ApiTokenInfo, TokenScope};

use super::from_row::from_row;
use super::{now_ms, Store, StoreError};

/// A row of `api_tokens`.
#[derive(Debug, Clone)]
pub struct TokenRow {
    pub id: String,
    pub name: String,
    pub scope: String,
    pub created_at: i64,
    pub last_used_at: Option<i64>,
}
from_row!(TokenRow {
    id,
    name,
    scope,
    created_at,
    last_used_at
});

impl TokenRow {
    /// Its scope (an unknown one reads as `read`, the lesser).
    pub fn scope(&self) -> TokenScope {
        TokenScope::parse(&self.scope).unwrap_or(TokenScope::Read)
    }

    /// As the API lists it.
    pub fn info(&self) -> ApiTokenInfo {
        ApiTokenInfo {
            id: self.id.clone(),
            name: self.name.clone(),
            scope: self.scope(),
            created_at: self.created_at,
            last_used_at: self.last_used_at,
        }
    }
}

impl Store {
    /// Stores a new API token by its secret's `digest`.
    pub async fn insert_token(
        &self,
        id: &str,
        name: &str,
        scope: TokenScope,
        digest: &str,
    ) -> Result<TokenRow, StoreError> {
        let created_at = now_ms();
        sqlx::query(
            "INSERT INTO api_tokens (id, name, scope, digest, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id)
        .bind(name)
        .bind(scope.as_str())
        .bind(digest)
        .bind(created_at)
        .execute(&self.pool)
        .await?;
        Ok(TokenRow {
            id: id.into(),
            name: name.into(),
            scope: scope.as_str().into(),
            created_at,
            last_used_at: None,
        })
    }

    /// The tokens not revoked, newest first.
    pub async fn tokens(&self) -> Result<Vec<TokenRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT id, name, scope, created_at, last_used_at FROM api_tokens
             WHERE revoked_at IS NULL ORDER BY created_at DESC, id",
        )
        .fetch_all(&self.pool)
        .await?)
    }

    /// The live token whose secret has `digest`, marked as used now.
    pub async fn use_token(&self, digest: &str) -> Result<Option<TokenRow>, StoreError> {
        Ok(sqlx::query_as(
            "UPDATE api_tokens SET last_used_at = $1 WHERE digest = $2 AND revoked_at IS NULL
             RETURNING id, name, scope, created_at, last_used_at",
        )
        .bind(now_ms())
        .bind(digest)
        .fetch_optional(&self.pool)
        .await?)
    }

    /// Revokes token `id`; false when there was no live one.
    pub async fn revoke_token(&self, id: &str) -> Result<bool, StoreError> {
        let done = sqlx::query(
            "UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now_ms())
        .bind(id)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Starts a session whose cookie has `digest`, valid until `expires_at`.
    pub async fn insert_session(&self, digest: &str, expires_at: i64) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE expires_at <= $1")
            .bind(now_ms())
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO sessions (digest, created_at, expires_at) VALUES ($1, $2, $3)")
            .bind(digest)
            .bind(now_ms())
            .bind(expires_at)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Whether a session with `digest` is live.
    pub async fn session_live(&self, digest: &str) -> Result<bool, StoreError> {
        let found: Option<i64> =
            sqlx::query_scalar("SELECT 1 FROM sessions WHERE digest = $1 AND expires_at > $2")
                .bind(digest)
                .bind(now_ms())
                .fetch_optional(&self.pool)
                .await?;
        Ok(found.is_some())
    }

    /// Ends the session with `digest`.
    pub async fn delete_session(&self, digest: &str) -> Result<(), StoreError> {
        sqlx::query("DELETE FROM sessions WHERE digest = $1")
            .bind(digest)
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
