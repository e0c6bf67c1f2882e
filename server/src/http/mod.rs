//! The HTTP API: one router built by [`router`] (tests call it too), JSON errors everywhere,
//! an OpenAPI document generated from the handlers' own annotations, request tracing and
//! compression; every other path serves the dashboard.

mod access;
mod compare;
mod curve_cache;
mod curves;
mod dashboard;
mod datasets;
mod error;
mod events;
mod experiments;
mod exports;
mod extract;
mod guard;
mod model_curves;
mod models;
mod openapi;
mod runs;
mod shares;
mod sweeps;
mod system;
mod upload;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::middleware::from_fn_with_state;
use axum::Router;
use tokio::sync::watch;
use tower_http::compression::CompressionLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// A 201 answer: the created resource, and its URL in `Location`.
pub(super) type Created<T> = (
    axum::http::StatusCode,
    [(axum::http::HeaderName, String); 1],
    axum::Json<T>,
);

/// The 201 answer for a resource created at `location`.
pub(super) fn created<T>(location: String, body: T) -> Created<T> {
    (
        axum::http::StatusCode::CREATED,
        [(axum::http::header::LOCATION, location)],
        axum::Json(body),
    )
}

pub use error::ApiError;
pub use extract::BODY_LIMIT;

use crate::access::Access;
use crate::dashboard::Dashboard;
use crate::jobs::Jobs;
use crate::sweeps::Sweeps;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    /// The job system (and through it the store and the live hub).
    pub jobs: Jobs,
    /// The sweeps, driven on the job system.
    pub sweeps: Sweeps,
    /// Becomes true when the server shuts down, so event streams end.
    pub shutdown: watch::Receiver<bool>,
    /// The dashboard's bundle.
    pub dashboard: Arc<Dashboard>,
    /// Who may do what.
    pub access: Arc<Access>,
    /// The largest dataset upload, in bytes (`--max-upload-mb`).
    pub max_upload_bytes: u64,
    openapi: Arc<std::sync::OnceLock<String>>,
    curves: Arc<curve_cache::CurveCache>,
}

impl AppState {
    /// State for a router over `jobs`.
    pub fn new(
        jobs: Jobs,
        sweeps: Sweeps,
        shutdown: watch::Receiver<bool>,
        dashboard: Dashboard,
        access: Access,
        max_upload_bytes: u64,
    ) -> AppState {
        AppState {
            jobs,
            sweeps,
            shutdown,
            dashboard: Arc::new(dashboard),
            access: Arc::new(access),
            max_upload_bytes,
            openapi: Arc::default(),
            curves: Arc::default(),
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Distill Lab API",
        description = "Knowledge-distillation experiments (teacher → teaching assistants → student) as background jobs: submit, watch, compare, share. Errors are `{\"error\": {\"code\", \"message\", \"field\"}}`."
    ),
    tags(
        (name = "system", description = "The server itself"),
        (name = "catalog", description = "Datasets, architectures and methods"),
        (name = "experiments", description = "Submit, list, watch, cancel, delete, export"),
        (name = "runs", description = "Curves, comparisons, models"),
        (name = "sweeps", description = "Searches over a spec's last stage, chosen on validation, confirmed on paired seeds"),
        (name = "shares", description = "Read-only share links"),
        (name = "access", description = "Logging in, sessions and API tokens"),
    )
)]
struct ApiDoc;

/// The whole application.
pub fn router(state: AppState) -> Router {
    let (api, document) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(system::health_get))
        .routes(routes!(system::system_get))
        .routes(routes!(openapi::openapi_get))
        .routes(routes!(datasets::datasets_list, datasets::datasets_create))
        .routes(routes!(datasets::dataset_delete))
        .routes(routes!(datasets::dataset_preview))
        .routes(routes!(system::architectures_list))
        .routes(routes!(system::architecture_params))
        .routes(routes!(system::methods_list))
        .routes(routes!(
            experiments::experiments_create,
            experiments::experiments_list
        ))
        .routes(routes!(
            experiments::experiment_get,
            experiments::experiment_patch,
            experiments::experiment_delete
        ))
        .routes(routes!(experiments::experiment_cancel))
        .routes(routes!(events::experiment_events))
        .routes(routes!(exports::experiment_export))
        .routes(routes!(model_curves::experiment_curves_get))
        .routes(routes!(shares::experiment_share))
        .routes(routes!(runs::runs_list))
        .routes(routes!(curves::run_curves_get))
        .routes(routes!(exports::run_model))
        .routes(routes!(models::models_create))
        .routes(routes!(compare::compare_get))
        .routes(routes!(sweeps::sweeps_create, sweeps::sweeps_list))
        .routes(routes!(sweeps::sweep_get, sweeps::sweep_delete))
        .routes(routes!(sweeps::sweep_cancel))
        .routes(routes!(sweeps::sweep_events))
        .routes(routes!(shares::sweep_share))
        .routes(routes!(shares::shares_create, access::shares_list))
        .routes(routes!(shares::shared_get))
        .routes(routes!(shares::shared_curves_get))
        .routes(routes!(shares::shared_experiment_curves_get))
        .routes(routes!(shares::share_delete))
        .routes(routes!(access::login))
        .routes(routes!(access::logout))
        .routes(routes!(access::session_get))
        .routes(routes!(access::tokens_list, access::tokens_create))
        .routes(routes!(access::token_delete))
        .split_for_parts();
    let json = serde_json::to_string_pretty(&openapi::complete(document))
        .expect("the OpenAPI document serializes");
    let _ = state.openapi.set(json);
    api.route_layer(from_fn_with_state(state.clone(), guard::guard))
        .fallback(dashboard::fallback)
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(from_fn_with_state(state.clone(), guard::exchange_url_token))
        .layer(from_fn_with_state(state.clone(), guard::check_host))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(CompressionLayer::new())
        .layer(TraceLayer::new_for_http())
        .with_state(state)
}
