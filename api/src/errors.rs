//! The one error shape every endpoint answers with: `{ "error": { "code", "message", "field" } }`.

use serde::{Deserialize, Serialize};

/// The body of every 4xx (and, were there a bug, 5xx) response.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong, for programs (`code`, `field`) and for people (`message`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ErrorDetail {
    /// Stable machine-readable code: `invalid_field`, `malformed_json`, `not_found`, ...
    pub code: String,
    /// A sentence for people, saying what would be right.
    pub message: String,
    /// The offending field, as a JSON path (`chain[1].link.terms[0].temperature`) or a query or
    /// path parameter name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}
