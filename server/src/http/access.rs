//! Logging in and out, the session probe, API tokens (owner only) and the list of live share
//! links.

use api::{ApiTokenInfo, CreatedApiToken, LoginRequest, NewApiToken, SessionInfo, ShareLink};
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::extract::ApiJson;
use super::guard::{failed_login, hex, start_session, ClientAddr};
use super::shares::link;
use super::{ApiError, AppState};
use crate::access::{hash_secret, Principal, SESSION_COOKIE};
use crate::ids::{is_id, new_id, new_secret};

/// The longest name an API token may have, in characters (the document says so too).
pub(super) const TOKEN_NAME_MAX: usize = 100;

/// Exchanges the owner's secret for a session cookie.
#[utoipa::path(post, path = "/api/login", tag = "access", request_body = LoginRequest,
    responses((status = 204, description = "Logged in: the session cookie is set"),
              (status = 401, description = "Not the owner's token", body = api::ErrorBody),
              (status = 429, description = "Too many failed logins from this address", body = api::ErrorBody)))]
pub async fn login(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(request): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let Some(owner) = &state.access.owner else {
        return Ok(StatusCode::NO_CONTENT.into_response());
    };
    let valid = owner.matches(request.token.trim());
    if let Err(blocked) = state.access.failures.judge(client, valid) {
        return Err(failed_login(blocked, "this is not the lab's owner token").field("token"));
    }
    let cookie = start_session(&state).await?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}

/// Ends the browser's session.
#[utoipa::path(post, path = "/api/logout", tag = "access",
    responses((status = 204, description = "Logged out: the session is gone and its cookie cleared")))]
pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(value) = crate::access::session_cookie_of(&headers) {
        state
            .jobs
            .store()
            .delete_session(&hex(hash_secret(value)))
            .await?;
    }
    let clear = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0");
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, clear)]).into_response())
}

/// Whether this request is logged in, and as what.
#[utoipa::path(get, path = "/api/session", tag = "access",
    responses((status = 200, description = "The request's credentials", body = SessionInfo)))]
pub async fn session_get(
    State(state): State<AppState>,
    principal: Option<Extension<Principal>>,
) -> Json<SessionInfo> {
    let role = principal.map(|Extension(p)| match p {
        Principal::Owner { .. } => "owner".to_string(),
        Principal::Token { scope, .. } => scope.as_str().to_string(),
    });
    Json(SessionInfo {
        authenticated: role.is_some(),
        role,
        auth_disabled: state.access.owner.is_none(),
    })
}

/// The API tokens that are not revoked (never their secrets).
#[utoipa::path(get, path = "/api/tokens", tag = "access",
    responses((status = 200, description = "The live tokens", body = [ApiTokenInfo])))]
pub async fn tokens_list(
    State(state): State<AppState>,
) -> Result<Json<Vec<ApiTokenInfo>>, ApiError> {
    let rows = state.jobs.store().tokens().await?;
    Ok(Json(rows.iter().map(|r| r.info()).collect()))
}

/// Creates an API token; its secret is in this answer only.
#[utoipa::path(post, path = "/api/tokens", tag = "access", request_body = NewApiToken,
    responses((status = 201, description = "The token and its secret (shown once)", body = CreatedApiToken)))]
pub async fn tokens_create(
    State(state): State<AppState>,
    ApiJson(request): ApiJson<NewApiToken>,
) -> Result<(StatusCode, Json<CreatedApiToken>), ApiError> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > TOKEN_NAME_MAX {
        return Err(ApiError::invalid_field(
            "name",
            format!("a token needs a name of 1 to {TOKEN_NAME_MAX} characters"),
        ));
    }
    let secret = format!("dl_{}", new_secret());
    let row = state
        .jobs
        .store()
        .insert_token(&new_id(), name, request.scope, &hex(hash_secret(&secret)))
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(CreatedApiToken {
            token: secret,
            info: row.info(),
        }),
    ))
}

/// Revokes an API token: it stops working at once.
#[utoipa::path(delete, path = "/api/tokens/{id}", tag = "access",
    params(("id" = String, Path, description = "Token id")),
    responses((status = 204, description = "Revoked")))]
pub async fn token_delete(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    if !is_id(&id) || !state.jobs.store().revoke_token(&id).await? {
        return Err(ApiError::not_found(
            "id",
            format!("there is no live token `{id}`"),
        ));
    }
    Ok(StatusCode::NO_CONTENT)
}

/// The share links that work, newest first.
#[utoipa::path(get, path = "/api/shares", tag = "shares",
    responses((status = 200, description = "The live share links", body = [ShareLink])))]
pub async fn shares_list(State(state): State<AppState>) -> Result<Json<Vec<ShareLink>>, ApiError> {
    let rows = state.jobs.store().live_shares().await?;
    rows.iter().map(link).collect::<Result<_, _>>().map(Json)
}
