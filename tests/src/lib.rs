//! Helpers for the end-to-end tests: run the real `distill` binary (commands, or `distill
//! serve` on a random port with a fresh SQLite file) and talk to it over HTTP.

mod process;
mod server;
mod specs;

pub use process::{distill, distill_binary, distill_run_on_cpu, serve_files, stderr};
pub use server::{ApiResponse, Server, SseEvent};
pub use specs::three_stage_chain;
