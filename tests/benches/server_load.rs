//! Load measurements of the real `distill serve` (numbers for notes, not assertions):
//! 1. latency of the curves endpoint on a run with over 100,000 stored points, max_points=500;
//! 2. requests/s of GET endpoints (with `wrk`, a second process) while a training job runs;
//! 3. 100 concurrent SSE clients on a running experiment: connect, stream, and the spread of
//!    their `end` events after a cancel.
//!
//! `cargo bench -p distill-tests --bench server_load` (uses `DISTILL_BIN` or the release
//! binary next to it; `wrk` from Debian's `wrk` package for part 2).

use std::process::Command;
use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use distill_tests::Server;
use serde_json::json;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn curves_latency(server: &Server) -> String {
    // 17 epochs × 5,883 images at batch size 1: 100,011 batch-loss points, really trained.
    let spec = json!({
        "name": "100k points",
        "dataset": { "name": "synthetic", "train_subset": 5883, "test_subset": 200 },
        "budget": { "epochs": 17, "batch_size": 1 },
        "chain": [ { "architecture": { "kind": "preset", "name": "mlp-xs" } } ]
    });
    let started = Instant::now();
    let detail = server.wait_until_ended(&server.submit(&spec));
    let trained = started.elapsed();
    let run = detail["runs"][0]["id"].as_str().unwrap().to_string();
    let path = format!("/api/runs/{run}/curves?metrics=batch_loss&max_points=500");
    let probe = server.get(&path).json;
    let raw = probe["curves"][0]["raw_points"].as_u64().unwrap();
    let buckets = probe["curves"][0]["points"].as_array().unwrap().len();
    let time = |path: &str| {
        let t = Instant::now();
        assert_eq!(server.get(path).status, 200);
        t.elapsed().as_secs_f64() * 1e3
    };
    // Cold: bucket counts never asked before (the server caches computed curves).
    let mut cold: Vec<f64> = (0..50)
        .map(|i| {
            time(&format!(
                "/api/runs/{run}/curves?metrics=batch_loss&max_points={}",
                501 + i
            ))
        })
        .collect();
    cold.sort_by(f64::total_cmp);
    let mut times: Vec<f64> = (0..200).map(|_| time(&path)).collect();
    times.sort_by(f64::total_cmp);
    let all = format!("/api/runs/{run}/curves?max_points=500");
    let t = Instant::now();
    let every = server.get(&all);
    let all_ms = t.elapsed().as_secs_f64() * 1e3;
    format!(
        "curves endpoint, run with {raw} batch_loss points (trained in {:.0} s), max_points=500 → {buckets} buckets: computed (50 requests with 501..550 buckets, never cached) p50 {:.1} ms, p95 {:.1} ms; repeated (200 sequential requests, served from the cache) p50 {:.2} ms, p95 {:.2} ms, max {:.2} ms; all {} metrics of the run in one request: {all_ms:.1} ms\n",
        trained.as_secs_f64(),
        percentile(&cold, 0.5),
        percentile(&cold, 0.95),
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times.last().unwrap(),
        every.json["curves"].as_array().unwrap().len(),
    ) + &format!("RUN {run}\n")
}

fn long_experiment(server: &Server) -> String {
    let spec = json!({
        "name": "long teacher",
        "dataset": { "name": "synthetic" },
        "budget": { "epochs": 200, "batch_size": 64 },
        "chain": [ { "architecture": { "kind": "preset", "name": "cnn-s" } } ]
    });
    let id = server.submit(&spec);
    server.follow(&id, |e| e.name != "progress");
    id
}

fn wrk(server: &Server, experiment: &str, curve_run: &str) -> String {
    if Command::new("wrk").arg("--version").output().is_err() {
        return "wrk is not installed (apt-get install wrk): GET throughput not measured\n".into();
    }
    let mut out = String::from("| GET (wrk -t2 -c32 -d10s, while a cnn-s run trains) | requests/s | latency avg | p99 |\n|---|---|---|---|\n");
    for path in [
        "/api/health".to_string(),
        "/api/experiments".to_string(),
        format!("/api/experiments/{experiment}"),
        format!("/api/runs/{curve_run}/curves?metrics=batch_loss&max_points=500"),
    ] {
        let output = Command::new("wrk")
            .args([
                "-t2",
                "-c32",
                "-d10s",
                "--latency",
                "-H",
                &format!("Authorization: Bearer {}", server.token),
                &format!("{}{path}", server.base),
            ])
            .output()
            .expect("wrk runs");
        let text = String::from_utf8_lossy(&output.stdout);
        let field = |prefix: &str, index: usize| {
            text.lines()
                .find(|l| l.trim_start().starts_with(prefix))
                .and_then(|l| l.split_whitespace().nth(index))
                .unwrap_or("?")
                .to_string()
        };
        let non_2xx = field("Non-2xx", 4);
        out += &format!(
            "| `{path}` | {} | {} | {} |{}\n",
            field("Requests/sec:", 1),
            field("Latency", 1),
            field("99%", 1),
            if non_2xx == "?" {
                String::new()
            } else {
                format!(" non-2xx: {non_2xx}")
            }
        );
    }
    out
}

fn sse_clients(server: &Arc<Server>, experiment: &str, clients: usize) -> String {
    let barrier = Arc::new(Barrier::new(clients + 1));
    let start = Instant::now();
    let handles: Vec<_> = (0..clients)
        .map(|_| {
            let (server, barrier, id) = (server.clone(), barrier.clone(), experiment.to_string());
            std::thread::spawn(move || {
                let mut snapshot_at = None;
                let mut progress = 0usize;
                let mut waited = false;
                let events = server.follow(&id, |e| {
                    if e.name == "snapshot" && snapshot_at.is_none() {
                        snapshot_at = Some(start.elapsed());
                    }
                    if e.name == "progress" {
                        progress += 1;
                        if !waited && progress == 1 {
                            waited = true;
                            barrier.wait();
                        }
                    }
                    e.name != "end"
                });
                let ended =
                    (events.last().map(|e| e.name.as_str()) == Some("end")).then(Instant::now);
                (snapshot_at.unwrap_or_default(), progress, ended)
            })
        })
        .collect();
    barrier.wait();
    let connected = start.elapsed();
    std::thread::sleep(Duration::from_secs(10));
    let cancel_at = Instant::now();
    assert_eq!(
        server
            .post(
                &format!("/api/experiments/{experiment}/cancel"),
                &serde_json::Value::Null
            )
            .status,
        202
    );
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    let ended: Vec<f64> = results
        .iter()
        .filter_map(|r| r.2.map(|t| (t - cancel_at).as_secs_f64() * 1e3))
        .collect();
    let mut progress: Vec<usize> = results.iter().map(|r| r.1).collect();
    progress.sort();
    let mut snapshots: Vec<f64> = results.iter().map(|r| r.0.as_secs_f64() * 1e3).collect();
    snapshots.sort_by(f64::total_cmp);
    format!(
        "SSE, {clients} concurrent clients on a running experiment: all had a snapshot and a progress event {:.0} ms after starting to connect (snapshot p50 {:.0} ms, max {:.0} ms); progress events per client over the run: min {}, median {}, max {}; {} of {clients} received `end` after the cancel, {:.0}–{:.0} ms after it (the running run stops at its next batch)\n",
        connected.as_secs_f64() * 1e3,
        percentile(&snapshots, 0.5),
        snapshots.last().unwrap(),
        progress[0],
        progress[progress.len() / 2],
        progress.last().unwrap(),
        ended.len(),
        ended.iter().cloned().fold(f64::INFINITY, f64::min),
        ended.iter().cloned().fold(0.0, f64::max),
    )
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return; // `cargo test --benches` asks benches to list themselves
    }
    let dir = tempfile::tempdir().unwrap();
    let server = Arc::new(Server::start_in(dir.path(), &[]));
    let system = server.get("/api/system").json;
    println!("server: {} on {}", system["backend"], system["device"]);
    let curves = curves_latency(&server);
    let curve_run = curves
        .lines()
        .last()
        .unwrap()
        .trim_start_matches("RUN ")
        .to_string();
    print!("{}", curves.lines().next().unwrap().to_string() + "\n");
    let experiment = long_experiment(&server);
    print!("{}", wrk(&server, &experiment, &curve_run));
    print!("{}", sse_clients(&server, &experiment, 100));
}
