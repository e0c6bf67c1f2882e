//! Serves the dashboard: its bundle under `/assets/`, and the app's page for every client
//! route so that deep links and reloads work. Everything under `/api` is the REST API's.

use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};

use super::{ApiError, AppState};
use crate::dashboard::{is_client_route, Asset, INDEX};

/// The router's fallback: API paths that matched nothing, assets, and the app's pages.
pub async fn fallback(
    State(state): State<AppState>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let path = uri.path();
    if path == "/api" || path.starts_with("/api/") {
        return ApiError::no_route(path).into_response();
    }
    if method != Method::GET && method != Method::HEAD {
        return ApiError::method_not_allowed().into_response();
    }
    let dashboard = &state.dashboard;
    if let Some(name) = path.strip_prefix("/assets/") {
        return match dashboard.file(name).filter(|_| name != INDEX) {
            Some(asset) => asset_response(StatusCode::OK, asset, &headers),
            None => ApiError::no_asset(path).into_response(),
        };
    }
    let Some(index) = dashboard.file(INDEX) else {
        return not_built(dashboard.dir());
    };
    let status = if is_client_route(path) {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    };
    asset_response(status, index, &headers)
}

/// `asset` with caching headers (revalidated on every load, so a rebuilt bundle is picked
/// up) and gzipped when the client accepts it.
fn asset_response(status: StatusCode, asset: &Asset, headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&asset.etag).expect("an MD5 hex ETag is a valid header");
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tags| tags.as_bytes() == etag.as_bytes());
    if unchanged && status == StatusCode::OK {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let gzip = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|c| c.trim().starts_with("gzip")));
    let common = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::ETAG, etag),
        (header::VARY, HeaderValue::from_static("accept-encoding")),
    ];
    if gzip {
        let encoding = [(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"))];
        (status, common, encoding, asset.gzipped.clone()).into_response()
    } else {
        (status, common, asset.bytes.clone()).into_response()
    }
}

/// The page shown when the bundle was not built: what to run, and that the API works.
fn not_built(dir: &std::path::Path) -> Response {
    let page = format!(
        "<!doctype html><meta charset=utf-8><title>Distill Lab</title>\
         <h1>The dashboard is not built</h1>\
         <p>No bundle in <code>{}</code>. Build it with <code>scripts/build-dashboard.sh</code> \
         (or start the server with <code>scripts/serve.sh</code>, which builds it), or point \
         <code>distill serve --dashboard DIR</code> at one.</p>\
         <p>The REST API works meanwhile: <a href=/api/openapi.json>/api/openapi.json</a>.</p>",
        html_escape(&dir.display().to_string())
    );
    (StatusCode::SERVICE_UNAVAILABLE, Html(page)).into_response()
}

fn html_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
