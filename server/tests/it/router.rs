//! The router in process, as axum's testing example drives one (`oneshot`, no socket): the
//! error mapping and the access rules every route shares, on a real SQLite store in a
//! temporary directory, without the cost of a process per check. (The real binary over HTTP is
//! tested in `tests/`.)

use std::path::Path;

use api::ErrorBody;
use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use distill_server::access::{
    load_owner_secret, Access, AllowedHosts, FailedLogins, TrustedProxies,
};
use distill_server::artifacts::Artifacts;
use distill_server::dashboard::Dashboard;
use distill_server::http::{router, AppState};
use distill_server::jobs::{EngineRuntime, Jobs};
use distill_server::store::Store;
use tower::ServiceExt;

const OWNER: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const HOST: &str = "localhost:8080";

/// A lab with no training slots over a SQLite file in `dir`, owned by [`OWNER`].
async fn lab(dir: &Path) -> Router {
    let store = Store::open(&format!("sqlite:{}", dir.join("lab.db").display()))
        .await
        .unwrap();
    let artifacts = Artifacts::open(dir.join("checkpoints"), None).unwrap();
    let runtime = EngineRuntime::new(engine::device::cpu(), Default::default(), artifacts);
    let jobs = Jobs::start(store, runtime, 0).await.unwrap();
    let access = Access {
        owner: Some(load_owner_secret(Some(OWNER), None, dir).unwrap()),
        hosts: AllowedHosts::new("127.0.0.1:8080".parse().unwrap(), &[]),
        secure_cookies: false,
        failures: FailedLogins::default(),
        trusted_proxies: TrustedProxies::default(),
    };
    let (_, shutdown) = tokio::sync::watch::channel(false);
    let dashboard = Dashboard::load(&dir.join("no-dashboard")).unwrap();
    let sweeps = distill_server::sweeps::Sweeps::start(jobs.clone())
        .await
        .unwrap();
    router(AppState::new(
        jobs,
        sweeps,
        shutdown,
        dashboard,
        access,
        1 << 20,
    ))
}

/// A request to the lab's own host, as `token` when given.
fn request(method: &str, path: &str, token: Option<&str>, body: &str) -> Request<Body> {
    let mut builder = Request::builder()
        .method(method)
        .uri(path)
        .header(header::HOST, HOST)
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(token) = token {
        builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    builder.body(Body::from(body.to_string())).unwrap()
}

/// The status and, for an error, its body.
async fn send(lab: &Router, request: Request<Body>) -> (StatusCode, Option<ErrorBody>) {
    let response = lab.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, serde_json::from_slice(&bytes).ok())
}

fn code_and_field(body: Option<ErrorBody>) -> (String, Option<String>) {
    let error = body.expect("an error body").error;
    (error.code, error.field)
}

#[tokio::test]
async fn an_unknown_route_and_a_wrong_method_are_answered_in_json() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path()).await;
    let (status, body) = send(&lab, request("GET", "/api/nope", Some(OWNER), "")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(code_and_field(body).0, "no_such_route");
    let (status, body) = send(&lab, request("DELETE", "/api/health", Some(OWNER), "")).await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(code_and_field(body).0, "method_not_allowed");
}

#[tokio::test]
async fn health_answers_anyone_and_a_change_without_credentials_is_401() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path()).await;
    assert_eq!(
        send(&lab, request("GET", "/api/health", None, "")).await.0,
        StatusCode::OK
    );
    let (status, body) = send(&lab, request("POST", "/api/experiments", None, "{}")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code_and_field(body).0, "unauthenticated");
}

#[tokio::test]
async fn a_foreign_host_is_421_before_anything_else() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path()).await;
    let mut foreign = request("GET", "/api/health", Some(OWNER), "");
    foreign
        .headers_mut()
        .insert(header::HOST, "evil.example".parse().unwrap());
    let (status, body) = send(&lab, foreign).await;
    assert_eq!(status, StatusCode::MISDIRECTED_REQUEST);
    assert_eq!(code_and_field(body).0, "unknown_host");
}

#[tokio::test]
async fn malformed_json_is_400_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path()).await;
    let (status, body) = send(&lab, request("POST", "/api/experiments", Some(OWNER), "{")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code_and_field(body).0, "malformed_json");
    let listed = lab
        .clone()
        .oneshot(request("GET", "/api/experiments", Some(OWNER), ""))
        .await
        .unwrap();
    let bytes = axum::body::to_bytes(listed.into_body(), 1 << 20)
        .await
        .unwrap();
    let page: api::ExperimentPage = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(page.total, 0);
}

#[tokio::test]
async fn an_empty_query_value_is_400_naming_its_parameter() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path()).await;
    for (path, parameter) in [
        ("/api/runs?status=", "status"),
        ("/api/experiments?cursor=", "cursor"),
        ("/api/compare?runs=", "runs"),
    ] {
        let (status, body) = send(&lab, request("GET", path, Some(OWNER), "")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(
            code_and_field(body),
            ("invalid_parameter".to_string(), Some(parameter.to_string())),
            "{path}"
        );
    }
}

#[tokio::test]
async fn failures_past_the_limit_are_429_and_the_owner_still_passes() {
    let dir = tempfile::tempdir().unwrap();
    let lab = lab(dir.path()).await;
    let wrong = "f".repeat(64);
    for attempt in 1..=10 {
        let (status, _) = send(&lab, request("GET", "/api/experiments", Some(&wrong), "")).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "attempt {attempt}");
    }
    let (status, body) = send(&lab, request("GET", "/api/experiments", Some(&wrong), "")).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code_and_field(body).0, "too_many_attempts");
    let (status, _) = send(&lab, request("GET", "/api/experiments", Some(OWNER), "")).await;
    assert_eq!(status, StatusCode::OK);
}
