//! The server crate's integration tests in one test binary: dataset downloads against a local
//! HTTP server, and the router in process.

mod download;
mod router;
