//! Downsampled curves kept in memory. A run's points change only when an epoch commits (batch
//! losses are buffered until then), so a curve keyed by the run's finished-epoch count is
//! immutable and can be served again without rescanning 100,000 points.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use api::CurvePoint;

/// Buckets of one metric and its raw point count.
pub type Buckets = Arc<(Vec<CurvePoint>, usize)>;

/// What identifies a downsampled curve.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CurveKey {
    /// The run.
    pub run_id: String,
    /// Its finished epochs when read.
    pub epochs_done: i64,
    /// The metric.
    pub metric: String,
    /// The bucket span in epochs (bits of the f64).
    pub span: u64,
    /// Buckets asked for.
    pub buckets: usize,
}

/// A bounded map of curves; forgets everything when full (entries are cheap to rebuild).
#[derive(Debug, Default)]
pub struct CurveCache {
    entries: Mutex<HashMap<CurveKey, Buckets>>,
}

const CAPACITY: usize = 2048;

impl CurveCache {
    /// The curve, if it was computed before.
    pub fn get(&self, key: &CurveKey) -> Option<Buckets> {
        self.lock().get(key).cloned()
    }

    /// Remembers a curve.
    pub fn put(&self, key: CurveKey, value: Buckets) {
        let mut entries = self.lock();
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(key, value);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<CurveKey, Buckets>> {
        self.entries.lock().unwrap_or_else(|e| e.into_inner())
    }
}
