//! Helpers for the end-to-end tests: run the real `distill` binary (commands, or `distill
//! serve` on a random port with a fresh SQLite file), talk to it over HTTP, and drive its
//! dashboard in a real headless browser.

mod browser;
mod contract;
mod process;
mod server;
mod specs;

pub use browser::{Browser, Element};
pub use contract::{Checked, Contract};
pub use process::{distill, distill_binary, distill_run_on_cpu, serve_files, stderr};
pub use server::{ApiResponse, Server, SseEvent};
pub use specs::three_stage_chain;
