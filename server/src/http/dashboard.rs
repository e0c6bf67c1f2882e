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
/// up), brotli- or gzip-compressed when the client accepts it.
fn asset_response(status: StatusCode, asset: &Asset, headers: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&asset.etag).expect("an MD5 hex ETag is a valid header");
    let unchanged = headers
        .get(header::IF_NONE_MATCH)
        .is_some_and(|tags| tags.as_bytes() == etag.as_bytes());
    if unchanged && status == StatusCode::OK {
        return (StatusCode::NOT_MODIFIED, [(header::ETAG, etag)]).into_response();
    }
    let accepted = headers
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let common = [
        (
            header::CONTENT_TYPE,
            HeaderValue::from_static(asset.content_type),
        ),
        (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
        (header::ETAG, etag),
        (header::VARY, HeaderValue::from_static("accept-encoding")),
    ];
    let (encoding, body) = match &asset.brotli {
        Some(brotli) if accepts(accepted, "br") => (Some("br"), brotli),
        _ if accepts(accepted, "gzip") => (Some("gzip"), &asset.gzipped),
        _ => (None, &asset.bytes),
    };
    match encoding {
        Some(encoding) => {
            let encoding = [(header::CONTENT_ENCODING, HeaderValue::from_static(encoding))];
            (status, common, encoding, body.clone()).into_response()
        }
        None => (status, common, body.clone()).into_response(),
    }
}

/// Whether an `Accept-Encoding` value accepts `coding` (named, with a non-zero weight).
fn accepts(accept_encoding: &str, coding: &str) -> bool {
    accept_encoding.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let named = parts.next().is_some_and(|c| c.eq_ignore_ascii_case(coding));
        let refused = parts.any(|p| {
            p.strip_prefix("q=")
                .and_then(|q| q.parse::<f32>().ok())
                .is_some_and(|q| q == 0.0)
        });
        named && !refused
    })
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

#[cfg(test)]
mod tests {
    use super::accepts;

    #[test]
    fn an_encoding_is_accepted_when_named_without_a_zero_weight() {
        assert!(accepts("gzip, deflate, br, zstd", "br"));
        assert!(accepts("br;q=0.5, gzip", "br"));
        assert!(accepts("GZIP", "gzip"));
        assert!(!accepts("br;q=0, gzip", "br"));
        assert!(!accepts("gzip", "br"));
        assert!(!accepts("", "gzip"));
        assert!(!accepts("x-gzip-ish", "gzip"));
    }
}
