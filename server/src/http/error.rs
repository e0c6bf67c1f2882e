//! The one error type of every handler: a status, a stable code, a message for people and the
//! field to blame, answered as `{ "error": { "code", "message", "field" } }`. A 5xx is logged:
//! it is always a bug (or a broken disk).

use api::{ErrorBody, ErrorDetail};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::jobs::SubmitError;
use crate::store::StoreError;

/// An error answer.
#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    field: Option<String>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
            field: None,
        }
    }

    /// Blames `field`.
    pub fn field(mut self, field: impl Into<String>) -> ApiError {
        self.field = Some(field.into());
        self
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// 400: a query or path parameter is not acceptable.
    pub fn bad_parameter(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", message).field(field)
    }

    /// 400: the body is not JSON.
    pub fn malformed_json(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "malformed_json", message)
    }

    /// 422: the body is JSON but a field is wrong.
    pub fn invalid_field(field: impl Into<String>, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message).field(field)
    }

    /// 404: no such thing.
    pub fn not_found(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message).field(field)
    }

    /// 404: no such route.
    pub fn no_route(path: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_route",
            format!("there is no API route {path}; see /api/openapi.json"),
        )
    }

    /// 404: a page outside the API (this server does not serve the dashboard yet).
    pub fn no_asset(path: &str) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "no_such_asset",
            format!("{path}: no such file in the dashboard's bundle (the REST API is under /api, see /api/openapi.json)"),
        )
    }

    /// 405: the route exists, the method does not.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            "this route does not take that method; see /api/openapi.json",
        )
    }

    /// 409: the request conflicts with the thing's state.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code, message)
    }

    /// 410: it existed and was revoked.
    pub fn gone(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::GONE, "revoked", message).field(field)
    }

    /// 413: the body is over the limit.
    pub fn too_large(limit: usize) -> ApiError {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body_too_large",
            format!("the request body is larger than the {limit}-byte limit"),
        )
    }

    /// 413: an upload is over the server's cap, or unpacks to more than it.
    pub fn upload_too_large(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "upload_too_large", message).field("body")
    }

    /// 415: the body is not declared as JSON.
    pub fn not_json(content_type: Option<&str>) -> ApiError {
        let got = content_type.map_or("no Content-Type".to_string(), |c| {
            format!("Content-Type `{c}`")
        });
        ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("send the body as JSON with `Content-Type: application/json` (got {got})"),
        )
        .field("content-type")
    }

    /// 401: no credentials, or credentials that are not valid.
    pub fn unauthenticated(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthenticated", message)
    }

    /// 403: credentials that may not do this.
    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// 429: too many failed logins from this client.
    pub fn too_many_attempts(retry_after_seconds: u64) -> ApiError {
        ApiError::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_attempts",
            format!(
                "too many failed logins from this address; try again in {retry_after_seconds} s"
            ),
        )
    }

    /// 421: a request for a host this server does not answer for (DNS rebinding).
    pub fn misdirected(host: &str) -> ApiError {
        ApiError::new(
            StatusCode::MISDIRECTED_REQUEST,
            "unknown_host",
            format!("this lab does not answer for host `{host}`; start it with `--allowed-hosts {host}` (or `--public-url`) if it is yours"),
        )
    }

    /// 500: a bug or a broken disk.
    pub fn internal(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> ApiError {
        ApiError::internal(e.to_string())
    }
}

impl From<SubmitError> for ApiError {
    fn from(e: SubmitError) -> ApiError {
        match e {
            SubmitError::Invalid(spec) => ApiError::invalid_field(spec.field, spec.message),
            SubmitError::Store(store) => store.into(),
            SubmitError::Internal(message) => ApiError::internal(message),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if self.status.is_server_error() {
            tracing::error!(code = self.code, message = %self.message, "internal error");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code.to_string(),
                message: self.message,
                field: self.field,
            },
        };
        (self.status, Json(body)).into_response()
    }
}
