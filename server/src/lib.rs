//! The `distill` binary's library: the command line today; the REST server, job queue and
//! store come next and will drive the same engine.

pub mod cli;
pub mod download;
