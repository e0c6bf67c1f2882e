//! Files `distill run` writes: the full report (JSON), the per-model summary (JSON), every
//! stored curve point (CSV, the dashboard's export: [`crate::exports`]) and per-run
//! measurements (CSV).

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use api::{ExperimentReport, ModelSummary, RunReport};

use crate::exports::field;

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

/// Writes `report.json`, `summary.json`, `curves.csv` (given) and `metrics.csv` into `dir`.
pub fn write_all(
    dir: &Path,
    report: &ExperimentReport,
    summaries: &[ModelSummary],
    curves_csv: String,
) -> anyhow::Result<()> {
    let write = |name: &str, contents: String| {
        let path = dir.join(name);
        std::fs::write(&path, contents).with_context(|| format!("cannot write {}", path.display()))
    };
    write("report.json", serde_json::to_string_pretty(report)?)?;
    write("summary.json", serde_json::to_string_pretty(summaries)?)?;
    write("curves.csv", curves_csv)?;
    write("metrics.csv", metrics_csv(&report.runs))?;
    Ok(())
}
