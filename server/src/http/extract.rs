//! Extractors whose rejections are [`ApiError`]s naming the field: a JSON body (declared as
//! JSON, within the size limit, parsed with the path of the first bad field) and a query string
//! (unknown parameters are errors).

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use super::ApiError;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 1 << 20;

/// A JSON request body.
#[derive(Debug)]
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("<not text>").to_string());
        let is_json = content_type.as_deref().is_some_and(|c| {
            let essence = c
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_ascii_lowercase();
            essence == "application/json" || essence.ends_with("+json")
        });
        if !is_json {
            return Err(ApiError::not_json(content_type.as_deref()));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|rejection| {
                if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::too_large(BODY_LIMIT)
                } else {
                    ApiError::malformed_json(format!("the body could not be read: {rejection}"))
                }
            })?;
        let value: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| ApiError::malformed_json(format!("the body is not valid JSON: {e}")))?;
        serde_path_to_error::deserialize(value)
            .map(ApiJson)
            .map_err(|e| {
                let path = e.path().to_string();
                let field = if path == "." {
                    "body".to_string()
                } else {
                    path
                };
                ApiError::invalid_field(field, e.into_inner().to_string())
            })
    }
}

/// A query string. Every value must be non-empty (the document says `minLength: 1`): an empty
/// one is refused with 400 naming its parameter, whichever parameter it is — one rule, rather
/// than some handlers reading `?status=` as "no filter" and others refusing `?cursor=`.
#[derive(Debug)]
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        parse_query(parts.uri.query().unwrap_or("")).map(ApiQuery)
    }
}

/// Parses a query string as [`ApiQuery`] does, for a handler that must read its body first.
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    {
        let pairs = form_urlencoded::parse(query.as_bytes());
        if let Some((name, _)) = pairs.clone().find(|(_, value)| value.is_empty()) {
            return Err(ApiError::bad_parameter(
                &name,
                format!("`{name}` has an empty value: give one, or leave the parameter out"),
            ));
        }
        let deserializer = serde_urlencoded::Deserializer::new(pairs);
        serde_path_to_error::deserialize(deserializer).map_err(|e| {
            let message = e.inner().to_string();
            // serde names an unknown parameter in its message, not in the path.
            let field = message
                .strip_prefix("unknown field `")
                .and_then(|rest| rest.split('`').next())
                .map(str::to_string)
                .unwrap_or_else(|| e.path().to_string());
            ApiError::bad_parameter(&field, format!("query: {message}"))
        })
    }
}

/// Parses an optional positive integer parameter within `min..=max`.
pub fn bounded(
    field: &str,
    value: Option<&str>,
    default: usize,
    min: usize,
    max: usize,
) -> Result<usize, ApiError> {
    match value {
        None => Ok(default),
        Some(text) => match text.parse::<usize>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            _ => Err(ApiError::bad_parameter(
                field,
                format!("`{field}` must be a whole number from {min} to {max}, got `{text}`"),
            )),
        },
    }
}
