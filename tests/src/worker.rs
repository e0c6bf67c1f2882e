//! `distill worker` started for a test: the real binary training on the CPU for a lab whose
//! store is a PostgreSQL database, with a checkpoint directory of its own or the one the server
//! and the other workers share; killed when dropped.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::distill_binary;
use crate::process::Spawned;

/// A running worker.
pub struct Worker {
    process: Spawned,
    /// The id it registered with (what runs and `/api/system` name it by).
    pub id: String,
}

impl Worker {
    /// Starts `distill worker --db DB --slots SLOTS --backend cpu --checkpoints CHECKPOINTS`;
    /// waits until it claims runs.
    pub fn start(db: &str, slots: usize, checkpoints: &Path) -> Worker {
        Worker::start_with_env(db, slots, checkpoints, &[])
    }

    /// Like [`Worker::start`], but the worker believes it runs on the machine `host` (its
    /// `HOSTNAME`): the others cannot look at its process, as with a worker on another machine,
    /// and only its lease tells them whether it is alive.
    pub fn start_on_host(host: &str, db: &str, slots: usize, checkpoints: &Path) -> Worker {
        let env = [("HOSTNAME".to_string(), host.to_string())];
        Worker::start_with_env(db, slots, checkpoints, &env)
    }

    /// Like [`Worker::start`], with more environment variables (`HOSTNAME`, an object store's
    /// location and credentials).
    pub fn start_with_env(
        db: &str,
        slots: usize,
        checkpoints: &Path,
        env: &[(String, String)],
    ) -> Worker {
        let mut command = Command::new(distill_binary());
        command
            .args(["worker", "--db", db, "--backend", "cpu", "--slots"])
            .arg(slots.to_string())
            .arg("--checkpoints")
            .arg(checkpoints)
            .env("BURN_DEVICE", "flex")
            .env_remove("DATABASE_URL")
            .envs(env.iter().map(|(k, v)| (k, v)));
        let (process, rest) = Spawned::start(
            &mut command,
            "Distill Lab worker ",
            Duration::from_secs(120),
        );
        let id = rest
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string();
        Worker { process, id }
    }

    /// What the worker logged so far.
    pub fn logs(&self) -> String {
        self.process.logs()
    }

    /// Kills the worker at once (SIGKILL): its runs stay `running` until someone notices.
    pub fn kill_hard(mut self) {
        self.process.kill_hard();
    }

    /// Freezes the worker (SIGSTOP), as a machine that stalls or loses its network would.
    pub fn freeze(&self) {
        self.process.signal("STOP");
    }

    /// Lets a frozen worker go on (SIGCONT).
    pub fn thaw(&self) {
        self.process.signal("CONT");
    }

    /// Asks the worker to stop (SIGTERM) and waits; returns its exit success.
    pub fn stop(mut self) -> bool {
        self.process.stop()
    }
}
