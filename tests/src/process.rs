//! Running the real `distill` binary as a user would (a command to its end, or a process kept
//! running with its output collected), and serving files over HTTP on a random loopback port (a
//! stand-in for dataset mirrors).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Duration;

/// The `distill` binary cargo built next to this test (or `DISTILL_BIN`).
pub fn distill_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("DISTILL_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    let profile_dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>/deps");
    let binary = profile_dir.join(format!("distill{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.is_file(),
        "{} is missing: run the tests with `cargo test --workspace` so cargo builds it",
        binary.display()
    );
    binary
}

/// Runs `distill` with `args` and waits for it.
pub fn distill(args: &[&str]) -> Output {
    Command::new(distill_binary())
        .args(args)
        .env("BURN_DEVICE", "flex")
        .output()
        .expect("distill starts")
}

/// Runs `distill run SPEC --backend cpu --out OUT` plus `extra` arguments.
pub fn distill_run_on_cpu(spec: &Path, out: &Path, extra: &[&str]) -> Output {
    let (spec, out) = (
        spec.to_str().expect("UTF-8 path"),
        out.to_str().expect("UTF-8 path"),
    );
    let mut args = vec!["run", spec, "--backend", "cpu", "--out", out];
    args.extend_from_slice(extra);
    distill(&args)
}

/// Standard error of a finished command, as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Serves `files` (URL path → body) over HTTP/1.1 on 127.0.0.1 until the process ends; returns
/// the base URL. Unknown paths get a 404.
pub fn serve_files(files: HashMap<String, Vec<u8>>) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
    let base = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
            let mut request_line = String::new();
            if reader.read_line(&mut request_line).is_err() {
                continue;
            }
            let mut header = String::new();
            while reader
                .read_line(&mut header)
                .map(|n| n > 2)
                .unwrap_or(false)
            {
                header.clear();
            }
            let path = request_line
                .split_whitespace()
                .nth(1)
                .unwrap_or("/")
                .to_string();
            let mut stream = stream;
            let _ = match files.get(&path) {
                Some(body) => stream
                    .write_all(
                        format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            body.len()
                        )
                        .as_bytes(),
                    )
                    .and_then(|_| stream.write_all(body)),
                None => stream.write_all(
                    b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                ),
            };
        }
    });
    base
}

/// A child process of a test (`distill serve`, `distill worker`, an object store), its
/// standard error collected as it comes and its standard output drained; killed when dropped.
pub(crate) struct Spawned {
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl Spawned {
    /// Starts `command` with piped output and waits (at most `limit`) for the first line of its
    /// standard output that starts with `ready`; returns the process and the rest of that line.
    /// Panics with what the process logged when it exits or says nothing of the kind in time.
    pub(crate) fn start(command: &mut Command, ready: &str, limit: Duration) -> (Spawned, String) {
        let (mut spawned, announced) = Spawned::spawn(command, Some(ready.to_string()));
        match announced.recv_timeout(limit) {
            Ok(rest) => (spawned, rest),
            Err(_) => {
                spawned.kill_hard();
                panic!("{command:?} did not start: {}", spawned.logs());
            }
        }
    }

    /// Starts `command` with piped output, without waiting for it to say anything.
    pub(crate) fn start_unannounced(command: &mut Command) -> Spawned {
        Spawned::spawn(command, None).0
    }

    /// Spawns `command`; the receiver gets the rest of its first stdout line starting with
    /// `ready`, if any. Standard output is drained to its end either way.
    fn spawn(command: &mut Command, ready: Option<String>) -> (Spawned, mpsc::Receiver<String>) {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("{command:?} does not start: {e}"));
        let stderr = collect(child.stderr.take().expect("piped stderr"));
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines().map_while(Result::ok);
            if let Some(ready) = ready {
                let announced =
                    lines.find_map(|line| line.strip_prefix(&ready).map(str::to_string));
                if let Some(rest) = announced {
                    let _ = tx.send(rest);
                }
            }
            // Keep draining, so that the process never blocks on a full pipe.
            lines.for_each(drop);
        });
        (Spawned { child, stderr }, rx)
    }

    /// What the process wrote to its standard error so far.
    pub(crate) fn logs(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Kills the process at once (SIGKILL) and reaps it.
    pub(crate) fn kill_hard(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Asks the process to stop (SIGTERM) and waits; returns its exit success.
    pub(crate) fn stop(&mut self) -> bool {
        self.signal("TERM");
        self.child.wait().map(|s| s.success()).unwrap_or(false)
    }

    /// Sends the process signal `name` (`TERM`, `STOP`, `CONT`).
    pub(crate) fn signal(&self, name: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status();
        assert!(sent.is_ok_and(|s| s.success()), "kill -{name} failed");
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        self.kill_hard();
    }
}

/// Appends everything read from `pipe` to a shared string, on a thread of its own.
fn collect(mut pipe: impl Read + Send + 'static) -> Arc<Mutex<String>> {
    let text = Arc::new(Mutex::new(String::new()));
    let sink = text.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    text
}
