//! What `distill run` shows while its experiment trains: a view of the job system's events
//! (the ones SSE clients get) — a bar for the experiment's epochs and one for the current
//! batch, a line per run that starts, finishes or says something, and one per finished epoch.

use std::collections::HashMap;

use anyhow::Context;
use api::{EpochMetrics, ExperimentDetail, ExperimentEvent, RunStatus, RunSummary};
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use tokio::sync::broadcast::error::RecvError;

use crate::jobs::Jobs;

/// The bars, and what each run last said.
struct View {
    multi: MultiProgress,
    overall: ProgressBar,
    batches: ProgressBar,
    seen: HashMap<String, (RunStatus, Option<String>)>,
    labels: HashMap<String, String>,
}

impl View {
    fn new(detail: &ExperimentDetail) -> View {
        let multi = MultiProgress::new();
        let epochs: usize = detail.runs.iter().map(|r| r.epochs_total).sum();
        let overall = multi.add(ProgressBar::new(epochs as u64));
        overall.set_style(
            ProgressStyle::with_template(
                "{prefix:>10} [{bar:30}] {pos}/{len} epochs, {elapsed} elapsed, ETA {eta}",
            )
            .expect("valid template")
            .progress_chars("=> "),
        );
        overall.set_prefix("experiment");
        let batches = multi.add(ProgressBar::new(1));
        batches.set_style(
            ProgressStyle::with_template("{prefix:>10} [{bar:30}] {pos}/{len} batches {msg}")
                .expect("valid template")
                .progress_chars("=> "),
        );
        batches.set_prefix("epoch");
        let labels = detail
            .runs
            .iter()
            .map(|r| (r.id.clone(), format!("{} seed {}", r.stage_name, r.seed)))
            .collect();
        let mut view = View {
            multi,
            overall,
            batches,
            seen: HashMap::new(),
            labels,
        };
        for run in &detail.runs {
            view.overall.inc(run.epochs_done as u64);
            view.run(run);
        }
        view
    }

    fn line(&self, text: String) {
        // Printed above the bars; plain lines when stderr is not a terminal.
        if self.multi.is_hidden() {
            eprintln!("{text}");
        } else {
            let _ = self.multi.println(text);
        }
    }

    fn label(&self, run_id: &str) -> String {
        self.labels
            .get(run_id)
            .cloned()
            .unwrap_or_else(|| run_id.to_string())
    }

    /// A run's new state: a line when its status or message changed.
    fn run(&mut self, run: &RunSummary) {
        let now = (run.status, run.message.clone());
        if self.seen.get(&run.id) == Some(&now) {
            return;
        }
        let before = self.seen.insert(run.id.clone(), now);
        let label = self.label(&run.id);
        let said = run
            .message
            .as_deref()
            .map(|m| format!(" ({m})"))
            .unwrap_or_default();
        let text = match run.status {
            RunStatus::Queued if before.is_none() => return,
            RunStatus::Running if before.as_ref().map(|b| b.0) != Some(RunStatus::Running) => {
                let on = run
                    .device
                    .as_deref()
                    .map(|d| format!(" on {d}"))
                    .unwrap_or_default();
                format!("{label}: {} epoch(s){on}{said}", run.epochs_total)
            }
            RunStatus::Succeeded => finished(&label, run),
            _ => format!("{label}: {}{said}", run.status.as_str()),
        };
        self.line(text);
    }

    fn epoch(&mut self, run_id: &str, metrics: &EpochMetrics) {
        self.overall.inc(1);
        let label = self.label(run_id);
        let temperature = metrics
            .temperature
            .map(|t| format!(", T {t:.2}"))
            .unwrap_or_default();
        let fraction = metrics
            .curriculum_fraction
            .map(|f| format!(", data {:.0}%", f * 100.0))
            .unwrap_or_default();
        self.line(format!(
            "{label} epoch {}: loss {:.4}, train acc {:.2}%, val acc {}, test acc {:.2}%{temperature}{fraction} ({:.1}s, {:.0} samples/s)",
            metrics.epoch,
            metrics.train_loss,
            metrics.train_accuracy * 100.0,
            metrics.val_accuracy.map_or("—".into(), |v| format!("{:.2}%", v * 100.0)),
            metrics.test_accuracy * 100.0,
            metrics.train_seconds,
            metrics.samples as f64 / metrics.train_seconds.max(1e-9),
        ));
    }
}

/// The line of a run that succeeded: its reported accuracy and which model that is.
fn finished(label: &str, run: &RunSummary) -> String {
    let Some(m) = &run.measurements else {
        return format!("{label}: succeeded");
    };
    let chosen = match (&run.reused_from, m.val_best_epoch) {
        (Some(source), _) => format!("reused from run {source}"),
        (None, Some(0)) => "the model of the run it is taken from".into(),
        (None, Some(epoch)) => format!("epoch {epoch}, best on validation"),
        (None, None) => "the last epoch".into(),
    };
    format!(
        "{label}: top-1 {:.2}% ({chosen}; last epoch {:.2}%), {} params, latency p50 {:.3} ms",
        m.top1() * 100.0,
        m.top1_last * 100.0,
        m.params,
        m.latency_p50_ms
    )
}

/// Shows experiment `id`'s events until it ends; returns how it ended.
pub async fn follow(jobs: &Jobs, id: &str, detail: &ExperimentDetail) -> anyhow::Result<RunStatus> {
    // Subscribe before reading the state, so nothing falls between the two.
    let mut events = jobs.hub().subscribe();
    let mut view = View::new(detail);
    let current = jobs.detail(id).await?.context("the experiment vanished")?;
    for run in &current.runs {
        view.run(run);
    }
    if current.summary.status.is_terminal() {
        view.overall.finish_and_clear();
        view.batches.finish_and_clear();
        return Ok(current.summary.status);
    }
    let status = loop {
        let event = match events.recv().await {
            Ok(event) => event,
            Err(RecvError::Lagged(_)) => continue,
            Err(RecvError::Closed) => anyhow::bail!("the job system stopped"),
        };
        let (experiment, event) = &*event;
        if experiment != id {
            continue;
        }
        match event {
            ExperimentEvent::Progress { progress } => {
                view.batches.set_length(progress.batches as u64);
                view.batches.set_position(progress.batch as u64);
                view.batches.set_message(format!(
                    "{} epoch {}, loss {:.4}",
                    view.label(&progress.run_id),
                    progress.epoch,
                    progress.loss
                ));
            }
            ExperimentEvent::Epoch { run_id, metrics } => view.epoch(run_id, metrics),
            ExperimentEvent::Run { run } => view.run(run),
            ExperimentEvent::End { status } => break *status,
            ExperimentEvent::Snapshot { .. } | ExperimentEvent::Experiment { .. } => {}
        }
    };
    view.overall.finish_and_clear();
    view.batches.finish_and_clear();
    Ok(status)
}
