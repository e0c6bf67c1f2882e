//! Live state shared with clients: the broadcast of experiment events (what SSE streams
//! forward) and the batch progress of running runs (which is never stored).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use api::{ExperimentEvent, RunProgress};
use tokio::sync::broadcast;

/// An event of one experiment.
pub type Published = Arc<(String, ExperimentEvent)>;

/// Fans events out to every subscriber; remembers each running run's progress.
#[derive(Debug)]
pub struct Hub {
    events: broadcast::Sender<Published>,
    progress: Mutex<HashMap<String, RunProgress>>,
}

impl Default for Hub {
    fn default() -> Hub {
        Hub {
            events: broadcast::channel(4096).0,
            progress: Mutex::default(),
        }
    }
}

impl Hub {
    /// Sends `event` of experiment `experiment_id` to every subscriber (none is fine).
    pub fn publish(&self, experiment_id: &str, event: ExperimentEvent) {
        let _ = self
            .events
            .send(Arc::new((experiment_id.to_string(), event)));
    }

    /// Every event published from now on.
    pub fn subscribe(&self) -> broadcast::Receiver<Published> {
        self.events.subscribe()
    }

    /// Remembers where a run is.
    pub fn set_progress(&self, progress: RunProgress) {
        self.lock().insert(progress.run_id.clone(), progress);
    }

    /// Forgets a run's progress (it ended).
    pub fn clear_progress(&self, run_id: &str) {
        self.lock().remove(run_id);
    }

    /// Where a running run is.
    pub fn progress(&self, run_id: &str) -> Option<RunProgress> {
        self.lock().get(run_id).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, RunProgress>> {
        // Progress is plain data: a panic elsewhere cannot leave it half-written.
        self.progress.lock().unwrap_or_else(|e| e.into_inner())
    }
}
