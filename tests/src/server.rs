//! `distill serve` started for a test: the real binary on a random loopback port, with a fresh
//! SQLite file and checkpoint directory, killed when dropped; plus a small HTTP client that
//! returns status and JSON whatever the status, and an SSE reader. Every response and event it
//! receives is checked against the server's own OpenAPI document ([`Contract`]).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::contract::Contract;
use crate::distill_binary;
use crate::process::Spawned;

/// A running server.
pub struct Server {
    process: Spawned,
    /// `http://127.0.0.1:<port>`.
    pub base: String,
    /// The owner token it was started with (`DISTILL_TOKEN`); every request of [`Server::get`],
    /// [`Server::post`] and friends sends it as a bearer.
    pub token: String,
    agent: ureq::Agent,
    dir: PathBuf,
    contract: Contract,
}

/// A response: status, headers of interest, and the body as JSON (or `Value::Null`).
#[derive(Debug, Clone)]
pub struct ApiResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// Every header, names in lower case (the last value of a repeated one).
    pub headers: std::collections::HashMap<String, String>,
    /// The body.
    pub bytes: Vec<u8>,
    /// The body as text (lossy).
    pub text: String,
    /// The body as JSON, `Null` when it is not JSON.
    pub json: Value,
}

impl ApiResponse {
    /// The body read as the `api` type `T` the document promises; panics naming the type and
    /// showing the body when it is not one.
    pub fn parse<T: serde::de::DeserializeOwned>(&self) -> T {
        serde_json::from_value(self.json.clone()).unwrap_or_else(|e| {
            panic!(
                "the body is not a {}: {e}\n{}",
                std::any::type_name::<T>(),
                self.text
            )
        })
    }

    /// `error.code` of an error body.
    pub fn code(&self) -> &str {
        self.json["error"]["code"].as_str().unwrap_or("")
    }

    /// `error.field` of an error body.
    pub fn field(&self) -> &str {
        self.json["error"]["field"].as_str().unwrap_or("")
    }
}

/// One server-sent event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    /// The `event:` name.
    pub name: String,
    /// The `data:` JSON.
    pub data: Value,
}

impl Server {
    /// Starts `distill serve` on CPU with its database and checkpoints under `dir` (reused by
    /// a restart with the same `dir`) and `extra` arguments; waits until it listens.
    pub fn start_in(dir: &Path, extra: &[&str]) -> Server {
        let db = format!("sqlite:{}", dir.join("distill.db").display());
        Server::start_with_db(dir, &db, extra)
    }

    /// Like [`Server::start_in`], with the database at `db` (e.g. a PostgreSQL URL).
    pub fn start_with_db(dir: &Path, db: &str, extra: &[&str]) -> Server {
        Server::start_with_env(dir, db, extra, &[])
    }

    /// Like [`Server::start_with_db`], with more environment variables (an object store's
    /// credentials, say).
    pub fn start_with_env(
        dir: &Path,
        db: &str,
        extra: &[&str],
        env: &[(String, String)],
    ) -> Server {
        let token = format!("test-owner-{}", random_hex());
        let checkpoints = dir.join("checkpoints");
        let mut command = Command::new(distill_binary());
        command
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--backend",
                "cpu",
                "--db",
                db,
            ])
            .arg("--checkpoints")
            .arg(&checkpoints)
            .args(extra)
            .env("BURN_DEVICE", "flex")
            .env("DISTILL_TOKEN", &token)
            .env("HOME", dir)
            .env_remove("DATABASE_URL")
            .envs(env.iter().map(|(k, v)| (k, v)));
        let (process, base) = Spawned::start(
            &mut command,
            "Distill Lab listening on ",
            Duration::from_secs(120),
        );
        let base = base.trim().to_string();
        // A fresh connection per request: the server (hyper) closes a connection whose request
        // body it did not read when that body arrives after the headers (the tests send bodies
        // to routes that take none), and a pooled connection closed that way fails the next
        // request with "peer disconnected" on a loaded machine.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(600)))
            .max_idle_connections(0)
            .max_idle_connections_per_host(0)
            // Redirects are part of what is tested (the login exchange answers 303).
            .max_redirects(0)
            .build()
            .into();
        let document = agent
            .get(format!("{base}/api/openapi.json"))
            .header("authorization", format!("Bearer {token}"))
            .call()
            .ok()
            .and_then(|mut r| r.body_mut().read_to_string().ok())
            .and_then(|text| serde_json::from_str::<Value>(&text).ok())
            .unwrap_or_else(|| panic!("{base} serves no OpenAPI document"));
        Server {
            process,
            base,
            token,
            agent,
            dir: dir.to_path_buf(),
            contract: Contract::new(document),
        }
    }

    /// Responses and events checked against the OpenAPI document so far.
    pub fn responses_checked(&self) -> usize {
        self.contract.checked()
    }

    /// The directory holding its database and checkpoints.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// What the server logged so far.
    pub fn logs(&self) -> String {
        self.process.logs()
    }

    /// Kills the server at once (SIGKILL): no shutdown, no cleanup.
    pub fn kill_hard(mut self) {
        self.process.kill_hard();
    }

    /// Asks the server to stop (SIGTERM) and waits for it; returns its exit success.
    pub fn stop(mut self) -> bool {
        self.process.stop()
    }

    fn finish(
        &self,
        method: &str,
        path: &str,
        response: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> ApiResponse {
        let mut response = response.unwrap_or_else(|error| {
            panic!(
                "the server did not answer ({error}); its log:\n{}",
                self.logs()
            )
        });
        let status = response.status().as_u16();
        let headers = response
            .headers()
            .iter()
            .filter_map(|(k, v)| Some((k.as_str().to_string(), v.to_str().ok()?.to_string())))
            .collect();
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        let bytes = response
            .body_mut()
            .with_config()
            .limit(256 << 20)
            .read_to_vec()
            .expect("the body arrives");
        self.contract
            .check(method, path, status, &content_type, &bytes);
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let json = serde_json::from_str(&text).unwrap_or(Value::Null);
        ApiResponse {
            status,
            headers,
            content_type,
            bytes,
            text,
            json,
        }
    }

    /// The absolute URL of `path` on this server.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The URL that logs a browser in (what `distill serve` prints).
    pub fn login_url(&self) -> String {
        format!("{}/?token={}", self.base, self.token)
    }

    /// `GET path`, as the owner.
    pub fn get(&self, path: &str) -> ApiResponse {
        self.send("GET", path, None, b"")
    }

    /// `DELETE path`, as the owner.
    pub fn delete(&self, path: &str) -> ApiResponse {
        self.send("DELETE", path, None, b"")
    }

    /// `POST path` with a JSON body.
    pub fn post(&self, path: &str, body: &Value) -> ApiResponse {
        self.send(
            "POST",
            path,
            Some("application/json"),
            body.to_string().as_bytes(),
        )
    }

    /// `PATCH path` with a JSON body.
    pub fn patch(&self, path: &str, body: &Value) -> ApiResponse {
        self.send(
            "PATCH",
            path,
            Some("application/json"),
            body.to_string().as_bytes(),
        )
    }

    /// Any request with a raw body and content type (for malformed requests), as the owner.
    pub fn send(
        &self,
        method: &str,
        path: &str,
        content_type: Option<&str>,
        body: &[u8],
    ) -> ApiResponse {
        let bearer = format!("Bearer {}", self.token);
        let mut headers = vec![("authorization", bearer.as_str())];
        headers.extend(content_type.map(|ct| ("content-type", ct)));
        self.send_with(method, path, &headers, body)
    }

    /// Any request with exactly these headers (no credentials unless they are among them).
    pub fn send_with(
        &self,
        method: &str,
        path: &str,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> ApiResponse {
        let mut request = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        // ureq refuses a body on GET and DELETE, even an empty one: send none there.
        let response = if body.is_empty() {
            self.agent.run(request.body(()).expect("a valid request"))
        } else {
            self.agent
                .run(request.body(body.to_vec()).expect("a valid request"))
        };
        self.finish(method, path, response)
    }

    /// Submits `spec`; panics unless it is accepted. Returns the experiment's id.
    pub fn submit(&self, spec: &Value) -> String {
        let response = self.post("/api/experiments", spec);
        assert_eq!(response.status, 201, "{}", response.text);
        response.json["summary"]["id"].as_str().unwrap().to_string()
    }

    /// Follows `/api/experiments/{id}/events`, handing each event to `on_event` until it
    /// returns false or the stream ends; returns every event seen.
    pub fn follow(
        &self,
        experiment: &str,
        mut on_event: impl FnMut(&SseEvent) -> bool,
    ) -> Vec<SseEvent> {
        let response = self
            .agent
            .get(self.url(&format!("/api/experiments/{experiment}/events")))
            .header("authorization", format!("Bearer {}", self.token))
            .call()
            .expect("the event stream opens");
        assert_eq!(response.status().as_u16(), 200);
        let content_type = response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(
            content_type.starts_with("text/event-stream"),
            "events come as {content_type}"
        );
        let reader = BufReader::new(response.into_body().into_reader());
        let mut events = Vec::new();
        let (mut name, mut data) = (String::new(), String::new());
        for line in reader.lines() {
            let Ok(line) = line else { break };
            if let Some(value) = line.strip_prefix("event:") {
                name = value.trim().to_string();
            } else if let Some(value) = line.strip_prefix("data:") {
                data.push_str(value.trim_start());
            } else if line.is_empty() && !name.is_empty() {
                let event = SseEvent {
                    name: std::mem::take(&mut name),
                    data: serde_json::from_str(&std::mem::take(&mut data)).unwrap_or(Value::Null),
                };
                self.contract.check_event(&event.name, &event.data);
                let more = on_event(&event);
                events.push(event);
                if !more {
                    break;
                }
            }
        }
        events
    }

    /// Polls experiment `experiment` until its run `run` (as its detail shows it) satisfies
    /// `done`; returns that run and how long it took. Panics with the run after `limit`.
    pub fn wait_for_run(
        &self,
        experiment: &str,
        run: &str,
        limit: Duration,
        done: impl Fn(&Value) -> bool,
    ) -> (Value, Duration) {
        let started = Instant::now();
        loop {
            let detail = self.get(&format!("/api/experiments/{experiment}")).json;
            let found = detail["runs"]
                .as_array()
                .and_then(|runs| runs.iter().find(|r| r["id"] == run))
                .cloned()
                .unwrap_or_else(|| panic!("experiment {experiment} has no run {run}: {detail}"));
            if done(&found) {
                return (found, started.elapsed());
            }
            assert!(
                started.elapsed() < limit,
                "still not so after {limit:?}: {found}"
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// The experiment's detail, as the API types it.
    pub fn detail(&self, experiment: &str) -> api::ExperimentDetail {
        let detail = self.get(&format!("/api/experiments/{experiment}"));
        assert_eq!(detail.status, 200, "{}", detail.text);
        detail.parse()
    }

    /// Waits (through the event stream) until the experiment ends; returns its detail.
    pub fn ended(&self, experiment: &str) -> api::ExperimentDetail {
        self.follow(experiment, |e| e.name != "end");
        self.detail(experiment)
    }

    /// [`Server::ended`], as JSON (for tests that read fields the way a script would).
    pub fn wait_until_ended(&self, experiment: &str) -> Value {
        self.follow(experiment, |e| e.name != "end");
        let detail = self.get(&format!("/api/experiments/{experiment}"));
        assert_eq!(detail.status, 200);
        detail.json
    }
}

/// 128 random bits as hex (a token nobody can guess, for each test server).
fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    // Two std `RandomState`s are seeded from the OS: enough unpredictability for a test token.
    (0..2)
        .map(|_| {
            let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
            hasher.write_u64(std::process::id() as u64);
            format!("{:016x}", hasher.finish())
        })
        .collect()
}

impl Drop for Server {
    fn drop(&mut self) {
        eprintln!(
            "{} responses and events were checked against the OpenAPI document",
            self.contract.checked()
        );
    }
}
