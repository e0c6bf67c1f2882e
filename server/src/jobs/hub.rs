//! Live state shared with clients: the broadcast of experiment events (what SSE streams
//! forward) and the batch progress of running runs (which is never stored). With PostgreSQL,
//! what this process publishes also goes to the relay (other processes' clients), and what
//! other processes publish arrives through [`Hub::deliver`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use api::{ExperimentEvent, RunProgress};
use tokio::sync::{broadcast, mpsc};

/// An event of one experiment.
pub type Published = Arc<(String, ExperimentEvent)>;

/// Fans events out to every subscriber; remembers each running run's progress.
#[derive(Debug)]
pub struct Hub {
    events: broadcast::Sender<Published>,
    progress: Mutex<HashMap<String, RunProgress>>,
    relay: Option<mpsc::UnboundedSender<Published>>,
}

impl Hub {
    /// A hub whose events also go to `relay`, when there is one.
    pub fn new(relay: Option<mpsc::UnboundedSender<Published>>) -> Hub {
        Hub {
            events: broadcast::channel(4096).0,
            progress: Mutex::default(),
            relay,
        }
    }

    /// Sends `event` of experiment `experiment_id` to every subscriber (none is fine), here
    /// and in other processes.
    pub fn publish(&self, experiment_id: &str, event: ExperimentEvent) {
        let published = Arc::new((experiment_id.to_string(), event));
        if let Some(relay) = &self.relay {
            // The relay lives as long as the process; a closed one only loses remote updates.
            let _ = relay.send(published.clone());
        }
        let _ = self.events.send(published);
    }

    /// Hands an event another process published to this process's subscribers, keeping the
    /// progress of that process's runs.
    pub fn deliver(&self, experiment_id: &str, event: ExperimentEvent) {
        match &event {
            ExperimentEvent::Progress { progress } => self.set_progress(progress.clone()),
            ExperimentEvent::Run { run } if run.status != api::RunStatus::Running => {
                self.clear_progress(&run.id)
            }
            _ => {}
        }
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
