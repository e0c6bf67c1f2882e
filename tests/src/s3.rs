//! A throw-away S3-compatible object store for a test: moto's server (`moto_server`, from PyPI;
//! `scripts/setup.sh` installs it into a virtual environment under the target directory) on a
//! random loopback port, in memory, with one empty bucket; stopped when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::process::Spawned;

/// Set to `1` to let [`S3::require`] skip (return `None`) where moto is not installed.
const SKIP_VARIABLE: &str = "DISTILL_SKIP_S3";

/// The bucket every store starts with.
const BUCKET: &str = "lab";

/// A running object store.
pub struct S3 {
    /// `http://127.0.0.1:<port>`.
    endpoint: String,
    _process: Spawned,
}

impl S3 {
    /// Starts one with an empty bucket; panics when moto is not installed unless
    /// `DISTILL_SKIP_S3=1` is set (then None).
    pub fn require() -> Option<S3> {
        let Some(server) = find_moto_server() else {
            assert!(
                std::env::var(SKIP_VARIABLE).as_deref() == Ok("1"),
                "these tests need moto's S3 server: run scripts/setup.sh (it installs moto from \
                 PyPI into <target>/moto), set DISTILL_MOTO_SERVER, or set {SKIP_VARIABLE}=1 to \
                 skip them"
            );
            eprintln!("skipped: moto is not installed and {SKIP_VARIABLE}=1");
            return None;
        };
        let port = free_port();
        // moto logs its banner on stderr and nothing on stdout: readiness is polled instead.
        let mut command = Command::new(&server);
        command.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
        let process = Spawned::start_unannounced(&mut command);
        let store = S3 {
            endpoint: format!("http://127.0.0.1:{port}"),
            _process: process,
        };
        store.wait_until_answering();
        let created = ureq::put(format!("{}/{BUCKET}", store.endpoint))
            .send_empty()
            .expect("moto creates the bucket");
        assert_eq!(created.status(), 200, "creating bucket {BUCKET}");
        Some(store)
    }

    /// `s3://lab/<prefix>`: a location in the store's bucket.
    pub fn url(&self, prefix: &str) -> String {
        format!("s3://{BUCKET}/{prefix}")
    }

    /// The variables a `distill` process needs to reach the store (moto accepts any keys).
    pub fn env(&self) -> Vec<(String, String)> {
        [
            ("AWS_ENDPOINT", self.endpoint.as_str()),
            ("AWS_ALLOW_HTTP", "true"),
            ("AWS_REGION", "us-east-1"),
            ("AWS_ACCESS_KEY_ID", "test"),
            ("AWS_SECRET_ACCESS_KEY", "test"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    /// The keys of the bucket's objects under `prefix`, sorted.
    pub fn keys(&self, prefix: &str) -> Vec<String> {
        let listing = ureq::get(format!(
            "{}/{BUCKET}?list-type=2&prefix={prefix}",
            self.endpoint
        ))
        .call()
        .and_then(|mut r| r.body_mut().read_to_string())
        .expect("moto lists the bucket");
        let mut keys: Vec<String> = listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_string)
            .collect();
        keys.sort();
        keys
    }

    fn wait_until_answering(&self) {
        let started = Instant::now();
        while ureq::get(&self.endpoint).call().is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(60),
                "moto did not answer on {}",
                self.endpoint
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

/// `DISTILL_MOTO_SERVER`, else the virtual environment `scripts/setup.sh` makes in the target
/// directory these tests were built in, else `moto_server` on PATH.
fn find_moto_server() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("DISTILL_MOTO_SERVER") {
        return Some(PathBuf::from(path));
    }
    let exe = std::env::current_exe().ok()?;
    // <target>/<profile>/deps/<test>
    let target = exe.parent()?.parent()?.parent()?;
    let installed = target.join("moto/bin/moto_server");
    if installed.is_file() {
        return Some(installed);
    }
    std::env::var_os("PATH").and_then(|path| {
        std::env::split_paths(&path)
            .map(|dir| dir.join("moto_server"))
            .find(|candidate| candidate.is_file())
    })
}

/// A loopback port nothing listens on (free a moment ago).
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}
