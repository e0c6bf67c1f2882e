//! Access to a lab: the owner's login, API tokens with a scope, and the session a browser has.

use serde::{Deserialize, Serialize};

/// What an API token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum TokenScope {
    /// `GET` requests only.
    Read,
    /// Everything but managing tokens (the owner's alone).
    Write,
}

impl TokenScope {
    /// The name used in JSON and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenScope::Read => "read",
            TokenScope::Write => "write",
        }
    }

    /// The scope named `name`.
    pub fn parse(name: &str) -> Option<TokenScope> {
        [TokenScope::Read, TokenScope::Write]
            .into_iter()
            .find(|s| s.as_str() == name)
    }
}

/// `POST /api/login`: the owner's secret, exchanged for a session cookie.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// The owner token (printed by `distill serve`, kept in its data directory).
    pub token: String,
}

/// `GET /api/session`: whether the request is logged in, and as what.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SessionInfo {
    /// Whether the request carries valid credentials.
    pub authenticated: bool,
    /// `owner`, `read` or `write`, when authenticated.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Whether the lab runs without authentication (`--no-auth`, loopback only).
    pub auth_disabled: bool,
}

/// `POST /api/tokens`: a new API token.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct NewApiToken {
    /// A name to recognise it by (`worker on gpu-1`, `nightly report`).
    pub name: String,
    /// What it may do.
    pub scope: TokenScope,
}

/// An API token as listed (never its secret).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiTokenInfo {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// What it may do.
    pub scope: TokenScope,
    /// When it was created (Unix milliseconds).
    pub created_at: i64,
    /// When it was last used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_used_at: Option<i64>,
}

/// The answer to [`NewApiToken`]: the secret, shown this once.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedApiToken {
    /// The secret to send as `Authorization: Bearer <token>`; only its hash is kept.
    pub token: String,
    /// The token as listed from now on.
    pub info: ApiTokenInfo,
}
