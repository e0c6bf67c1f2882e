//! A cancellation flag shared between whoever may stop a run and the training loop, which
//! checks it before every batch (the shape of burn's `Interrupter`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// Cloneable; cancelling one clone cancels them all.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    /// A token that is not cancelled.
    pub fn new() -> CancelToken {
        CancelToken::default()
    }

    /// Asks the run to stop at the next batch.
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    /// Whether cancellation was asked for.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}
