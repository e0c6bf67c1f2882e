//! The end-to-end tests, one module per subject, in one test binary (a test file is otherwise a
//! crate of its own, compiled and linked once per file): the real `distill` binary driven over
//! HTTP, SSE and its command line, workers on PostgreSQL, and the dashboard in headless Chromium.

mod access;
mod api_errors;
mod api_journey;
mod browser;
mod browser_access;
mod browser_curves;
mod browser_datasets;
mod browser_models;
mod browser_sweeps;
mod cli;
mod dashboard;
mod datasets;
mod gpu_kit;
mod jobs;
mod model_curves;
mod models;
mod notes;
mod openapi;
mod schema_requests;
mod stages;
mod sweeps;
mod workers;
