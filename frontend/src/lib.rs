//! Distill Lab's dashboard: a Leptos client-side app compiled to wasm32 that talks to the
//! server only through the `api` types, over REST and server-sent events.
//!
//! The UI-free parts — number formatting, plot geometry, the composer's draft model, which run
//! messages to gather — build on
//! every target and are unit-tested natively; the app itself exists only on wasm32.

pub mod charts;
pub mod composer;
pub mod format;
pub mod live_loss;
pub mod live_state;
pub mod plot;
pub mod run_notes;

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod client;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod endpoints;
#[cfg(target_arch = "wasm32")]
mod live;
#[cfg(target_arch = "wasm32")]
mod pages;
#[cfg(target_arch = "wasm32")]
mod session;

#[cfg(target_arch = "wasm32")]
pub use app::App;
