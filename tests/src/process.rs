//! Running the real `distill` binary as a user would, and serving files over HTTP on a random
//! loopback port (a stand-in for dataset mirrors).

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

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

/// Collects a spawned child's stderr (piped) into a shared string as it comes, and yields its
/// stdout (piped) line by line.
pub(crate) fn capture_output(
    child: &mut std::process::Child,
) -> (
    std::sync::Arc<std::sync::Mutex<String>>,
    std::sync::mpsc::Receiver<String>,
) {
    use std::io::{BufRead, BufReader, Read};
    let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
    let mut err_pipe = child.stderr.take().expect("piped stderr");
    let sink = stderr.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = err_pipe.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    let stdout = child.stdout.take().expect("piped stdout");
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    (stderr, rx)
}
