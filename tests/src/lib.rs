//! Helpers for the end-to-end tests: run the real `distill` binary (commands, `distill serve`
//! on a random port with a fresh SQLite file or a PostgreSQL database, `distill worker`s), start
//! a throw-away PostgreSQL server and S3-compatible object store, talk to the lab over HTTP, and drive its dashboard in a real
//! headless browser; and write the datasets users bring (`fixtures`).

mod browser;
mod contract;
pub mod fixtures;
pub mod postgres;
mod process;
mod s3;
mod server;
mod specs;
mod worker;

pub use browser::{Browser, Element};
pub use contract::{Checked, Contract};
pub use process::{distill, distill_binary, distill_run_on_cpu, serve_files, stderr};
pub use s3::S3;
pub use server::{ApiResponse, Server, SseEvent};
pub use specs::{kd_pair, three_stage_chain};
pub use worker::Worker;
