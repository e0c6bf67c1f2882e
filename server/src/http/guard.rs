//! The middleware that applies the access rules: the `Host` check on every request, the login
//! exchange of a page opened with `?token=`, and, on API routes, credentials → principal → the
//! route's need, with the CSRF rule for cookie-authenticated requests.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, MatchedPath, Request, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};
use crate::access::{
    bearer, hash_secret, policy, session_cookie_of as session_cookie, session_set_cookie, Need,
    Principal, SESSION_LIFETIME,
};

/// Refuses requests for a `Host` this server does not answer for (421).
pub async fn check_host(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let host = request
        .headers()
        .get(header::HOST)
        .and_then(|v| v.to_str().ok())
        .or_else(|| request.uri().authority().map(|a| a.as_str()))
        .unwrap_or("");
    if !state.access.hosts.allows(host) {
        return ApiError::misdirected(host).into_response();
    }
    next.run(request).await
}

/// The client's address: the connection's (loopback when the server was not started with
/// connection info), or the one a trusted proxy forwards.
#[derive(Debug, Clone, Copy)]
pub struct ClientAddr(pub IpAddr);

impl ClientAddr {
    fn of(state: &AppState, extensions: &axum::http::Extensions, headers: &HeaderMap) -> Self {
        let peer = extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |c| c.0.ip());
        ClientAddr(state.access.trusted_proxies.client(peer, headers))
    }
}

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        Ok(ClientAddr::of(state, &parts.extensions, &parts.headers))
    }
}

fn client(state: &AppState, request: &Request) -> IpAddr {
    ClientAddr::of(state, request.extensions(), request.headers()).0
}

/// The refusal of a credential that failed: 429 when its client is over the failed-login
/// limit (`blocked`: seconds to wait), else 401 with `message`.
pub(crate) fn failed_login(blocked: Option<u64>, message: &str) -> ApiError {
    match blocked {
        Some(seconds) => ApiError::too_many_attempts(seconds),
        None => ApiError::unauthenticated(message),
    }
}

pub(crate) fn hex(digest: [u8; 32]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Who presents these headers: `Ok(None)` for nobody, `Err` for a refusal (a bad or blocked
/// bearer).
async fn principal(
    state: &AppState,
    headers: &HeaderMap,
    client: IpAddr,
) -> Result<Option<Principal>, ApiError> {
    let access = &state.access;
    let Some(owner) = &access.owner else {
        return Ok(Some(Principal::Owner { by_cookie: false }));
    };
    let presented = bearer(headers).map_err(|()| {
        ApiError::unauthenticated("the Authorization header must be `Bearer <token>`")
    })?;
    if let Some(secret) = presented {
        let principal = if owner.matches(secret) {
            Some(Principal::Owner { by_cookie: false })
        } else {
            let token = state
                .jobs
                .store()
                .use_token(&hex(hash_secret(secret)))
                .await?;
            token.map(|token| Principal::Token {
                scope: token.scope(),
                id: token.id,
            })
        };
        return match access.failures.judge(client, principal.is_some()) {
            Ok(()) => Ok(principal),
            Err(blocked) => Err(failed_login(
                blocked,
                "this token is not valid (revoked, or never issued by this lab)",
            )),
        };
    }
    match session_cookie(headers) {
        Some(value)
            if state
                .jobs
                .store()
                .session_live(&hex(hash_secret(value)))
                .await? =>
        {
            Ok(Some(Principal::Owner { by_cookie: true }))
        }
        _ => Ok(None),
    }
}

/// Whether a cookie-authenticated request comes from this server's own pages: its `Origin` is
/// this server's, or the browser says `Sec-Fetch-Site: same-origin`.
fn same_origin(state: &AppState, headers: &HeaderMap) -> Option<bool> {
    let fetch_site = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok());
    if fetch_site == Some("same-origin") {
        return Some(true);
    }
    let origin = headers.get(header::ORIGIN)?.to_str().ok()?;
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok())?;
    let scheme = if state.access.secure_cookies {
        "https"
    } else {
        "http"
    };
    Some(origin.eq_ignore_ascii_case(&format!("{scheme}://{host}")))
}

/// Applies the route's need to the request's credentials.
pub async fn guard(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_string())
        .unwrap_or_default();
    let need = policy(request.method(), &route);
    let found = principal(&state, request.headers(), client(&state, &request)).await;
    let principal = match (found, need) {
        // Public routes answer anyone; they still learn who asks (the session probe does).
        (Ok(p), Need::Nothing) => p,
        (Err(_), Need::Nothing) => None,
        (Err(refusal), _) => return refusal.into_response(),
        (Ok(None), _) => return ApiError::unauthenticated(
            "log in: open the URL `distill serve` printed, or send `Authorization: Bearer <token>`",
        )
        .into_response(),
        (Ok(Some(p)), _) => match allowed(&state, &p, need, &request) {
            Ok(()) => Some(p),
            Err(refusal) => return refusal.into_response(),
        },
    };
    let mut request = request;
    if let Some(p) = principal {
        request.extensions_mut().insert(p);
    }
    next.run(request).await
}

/// Whether `principal` may make `request` on a route that needs `need`.
fn allowed(
    state: &AppState,
    principal: &Principal,
    need: Need,
    request: &Request,
) -> Result<(), ApiError> {
    let unsafe_method = !matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    if principal.by_cookie() {
        // Unsafe requests must say they come from here; a page's own event stream may omit it.
        let origin = same_origin(state, request.headers());
        if origin == Some(false) || (unsafe_method && origin.is_none()) {
            return Err(ApiError::forbidden(
                "cross-site request refused: a request authenticated by the session cookie must come from this lab's own pages",
            ));
        }
    }
    match need {
        Need::Write if !principal.may_write() => Err(ApiError::forbidden(
            "this token has the `read` scope: it may only GET",
        )),
        Need::Owner if !matches!(principal, Principal::Owner { .. }) => Err(ApiError::forbidden(
            "only the lab's owner can manage API tokens",
        )),
        _ => Ok(()),
    }
}

/// A page opened with `?token=<owner secret>` (the URL `distill serve` prints): a session
/// cookie is set and the browser is sent to the same page without the token, so it leaves the
/// address bar and the history. A wrong token is counted as a failed login.
pub async fn exchange_url_token(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_string();
    let query = request.uri().query().unwrap_or("").to_string();
    let is_page = request.method() == Method::GET && !path.starts_with("/api");
    let token = form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "token")
        .map(|(_, v)| v.into_owned());
    let (Some(token), true, Some(owner)) = (token, is_page, state.access.owner.as_ref()) else {
        return next.run(request).await;
    };
    let rest: String = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(form_urlencoded::parse(query.as_bytes()).filter(|(k, _)| k != "token"))
        .finish();
    let location = if rest.is_empty() {
        path
    } else {
        format!("{path}?{rest}")
    };
    let ip = client(&state, &request);
    match state.access.failures.judge(ip, owner.matches(&token)) {
        Ok(()) => {}
        Err(Some(seconds)) => return ApiError::too_many_attempts(seconds).into_response(),
        Err(None) => return redirect(&location, None),
    }
    match start_session(&state).await {
        Ok(cookie) => redirect(&location, Some(cookie)),
        Err(e) => e.into_response(),
    }
}

/// A new owner session: its `Set-Cookie` value.
pub(crate) async fn start_session(state: &AppState) -> Result<String, ApiError> {
    let value = crate::ids::new_secret();
    let expires = crate::store::now_ms() + SESSION_LIFETIME.as_millis() as i64;
    state
        .jobs
        .store()
        .insert_session(&hex(hash_secret(&value)), expires)
        .await?;
    Ok(session_set_cookie(
        &value,
        SESSION_LIFETIME.as_secs(),
        state.access.secure_cookies,
    ))
}

fn redirect(location: &str, cookie: Option<String>) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(location) {
        headers.insert(header::LOCATION, value);
    }
    if let Some(value) = cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
        headers.insert(header::SET_COOKIE, value);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
