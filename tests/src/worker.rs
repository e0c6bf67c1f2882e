//! `distill worker` started for a test: the real binary training on the CPU for a lab whose
//! store is a PostgreSQL database, with the checkpoint directory the server and the other
//! workers share; killed when dropped.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::distill_binary;
use crate::process::capture_output;

/// A running worker.
pub struct Worker {
    child: Child,
    /// The id it registered with (what runs and `/api/system` name it by).
    pub id: String,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl Worker {
    /// Starts `distill worker --db DB --slots SLOTS --backend cpu --checkpoints CHECKPOINTS`;
    /// waits until it claims runs.
    pub fn start(db: &str, slots: usize, checkpoints: &Path) -> Worker {
        Worker::spawn(Command::new(distill_binary()), db, slots, checkpoints)
    }

    /// Like [`Worker::start`], but the worker believes it runs on the machine `host` (its
    /// `HOSTNAME`): the others cannot look at its process, as with a worker on another machine,
    /// and only its lease tells them whether it is alive.
    pub fn start_on_host(host: &str, db: &str, slots: usize, checkpoints: &Path) -> Worker {
        let mut command = Command::new(distill_binary());
        command.env("HOSTNAME", host);
        Worker::spawn(command, db, slots, checkpoints)
    }

    fn spawn(mut command: Command, db: &str, slots: usize, checkpoints: &Path) -> Worker {
        let mut child = command
            .args(["worker", "--db", db, "--backend", "cpu", "--slots"])
            .arg(slots.to_string())
            .arg("--checkpoints")
            .arg(checkpoints)
            .env("BURN_DEVICE", "flex")
            .env_remove("DATABASE_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("distill worker starts");
        let (stderr, lines) = capture_output(&mut child);
        let started = lines
            .recv_timeout(Duration::from_secs(120))
            .ok()
            .and_then(|line| {
                let rest = line.strip_prefix("Distill Lab worker ")?.to_string();
                Some(rest.split_whitespace().next()?.to_string())
            });
        let Some(id) = started else {
            let _ = child.kill();
            panic!("the worker did not start: {}", stderr.lock().unwrap());
        };
        // Keep draining stdout so the worker never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        Worker { child, id, stderr }
    }

    /// What the worker logged so far.
    pub fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Kills the worker at once (SIGKILL): its runs stay `running` until someone notices.
    pub fn kill_hard(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the worker to stop (SIGTERM) and waits; returns its exit success.
    pub fn stop(mut self) -> bool {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        self.child.wait().map(|s| s.success()).unwrap_or(false)
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
