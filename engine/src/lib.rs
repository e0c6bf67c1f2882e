//! Distill Lab's science: datasets, the model zoo, distillation losses, the trainer and the
//! measurements of trained models. Synchronous and free of HTTP and SQL, so the CLI, the server's
//! background jobs and the tests all drive the very same code.

pub mod bench;
pub mod checks;
pub mod data;
pub mod device;
pub mod distill;
pub mod kernels;
pub mod models;
pub mod report;
pub mod rng;
pub mod spec;
pub mod stats;
pub mod sweep;
pub mod train;

/// Loss conventions recorded with every result (DESIGN.md §3).
pub const LOSS_CONVENTIONS: &str = "KL is batchmean (sum over classes, mean over the batch); \
logit losses are multiplied by T^2; the teacher runs in eval mode without gradients; \
DKD is scaled by min(epoch/warmup, 1) with 1-based epochs";
