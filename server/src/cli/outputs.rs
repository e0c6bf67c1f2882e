//! Files `distill run` writes: the full report (JSON), the per-model summary (JSON), every curve
//! in long format (CSV: one row per run, epoch and metric) and per-run measurements (CSV).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use api::{ExperimentReport, ModelSummary, RunReport};

/// Quotes a CSV field when it needs it (RFC 4180).
fn field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Every metric of every epoch of every run: `run,stage,kind,seed,epoch,metric,value`.
pub fn curves_csv(report: &ExperimentReport) -> String {
    let mut out = String::from("run,stage,kind,seed,epoch,metric,value\n");
    for run in &report.runs {
        for e in &run.epochs {
            let mut row = |metric: &str, value: f64| {
                let _ = writeln!(
                    out,
                    "{},{},{},{},{},{},{}",
                    field(&run.id),
                    field(&run.stage_name),
                    run.kind.as_str(),
                    run.seed,
                    e.epoch,
                    field(metric),
                    value
                );
            };
            row("train_loss", e.train_loss);
            row("train_accuracy", e.train_accuracy);
            row("test_accuracy", e.test_accuracy);
            row("test_loss", e.test_loss);
            if let Some(v) = e.val_accuracy {
                row("val_accuracy", v);
            }
            if let Some(v) = e.val_loss {
                row("val_loss", v);
            }
            row("lr", e.lr);
            if let Some(t5) = e.test_top5 {
                row("test_top5", t5);
            }
            if let Some(t) = e.temperature {
                row("temperature", t);
            }
            if let Some(f) = e.curriculum_fraction {
                row("curriculum_fraction", f);
            }
            for term in &e.terms {
                row(&format!("loss/{}", term.name), term.raw);
                row(&format!("loss/{}/weighted", term.name), term.weighted);
            }
        }
    }
    out
}

/// One row of measurements per run.
pub fn metrics_csv(runs: &[RunReport]) -> String {
    let mut out = String::from(
        "run,stage,kind,seed,backend,top1_val_best,val_best_epoch,top1_last,top5,params,bytes,latency_p50_ms,latency_p95_ms,throughput_per_s,train_samples_per_s,train_seconds\n",
    );
    for r in runs {
        let m = &r.measurements;
        let _ = writeln!(
            out,
            "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}",
            field(&r.id),
            field(&r.stage_name),
            r.kind.as_str(),
            r.seed,
            r.backend,
            m.top1_val_best.map(|v| v.to_string()).unwrap_or_default(),
            m.val_best_epoch.map(|v| v.to_string()).unwrap_or_default(),
            m.top1_last,
            m.top5.map(|v| v.to_string()).unwrap_or_default(),
            m.params,
            m.bytes,
            m.latency_p50_ms,
            m.latency_p95_ms,
            m.throughput_per_s,
            m.train_samples_per_s,
            m.train_seconds
        );
    }
    out
}

/// Writes `report.json`, `summary.json`, `curves.csv` and `metrics.csv` into `dir`.
pub fn write_all(
    dir: &Path,
    report: &ExperimentReport,
    summaries: &[ModelSummary],
) -> anyhow::Result<()> {
    let write = |name: &str, contents: String| {
        let path = dir.join(name);
        std::fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))
    };
    write("report.json", serde_json::to_string_pretty(report)?)?;
    write("summary.json", serde_json::to_string_pretty(summaries)?)?;
    write("curves.csv", curves_csv(report))?;
    write("metrics.csv", metrics_csv(&report.runs))?;
    Ok(())
}
