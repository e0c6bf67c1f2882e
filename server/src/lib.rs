//! The `distill` binary's library: the command line, and `distill serve` — the REST API
//! ([`http`]), background jobs ([`jobs`]) and the store ([`store`]: SQLite, or PostgreSQL
//! shared with workers) that drive the engine.

pub mod access;
pub mod artifacts;
pub mod cli;
pub mod dashboard;
pub mod dataset_sharing;
pub mod download;
pub mod downsample;
pub mod exports;
pub mod http;
pub mod ids;
pub mod jobs;
pub mod model_files;
pub mod settings;
pub mod startup;
pub mod store;
pub mod sweeps;
