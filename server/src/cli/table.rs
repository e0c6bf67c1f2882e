//! The results table printed at the end of `distill run`.

use api::{ModelSummary, RunKind};

fn human_bytes(bytes: usize) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / (1 << 10) as f64),
        b => format!("{b} B"),
    }
}

/// One row per model: accuracy mean ± std over seeds, gain over the baseline, size, latency.
pub fn render(summaries: &[ModelSummary]) -> String {
    let mut out = format!(
        "{:<12} {:>5} {:>16} {:>10} {:>10} {:>10} {:>11} {:>11} {:>12}\n",
        "model",
        "seeds",
        "top-1 (%)",
        "vs base",
        "params",
        "size",
        "p50 (ms)",
        "p95 (ms)",
        "train smp/s"
    );
    for s in summaries {
        let label = match s.kind {
            RunKind::Stage => format!("{}:{}", s.stage_index, s.label),
            RunKind::Baseline => "baseline".to_string(),
        };
        let gain = match (s.kind, s.gain_over_baseline) {
            (RunKind::Stage, Some(g)) => format!("{:+.2}", g * 100.0),
            _ => "—".to_string(),
        };
        out += &format!(
            "{:<12} {:>5} {:>16} {:>10} {:>10} {:>10} {:>11.3} {:>11.3} {:>12.0}\n",
            label,
            s.runs,
            format!("{:.2} ± {:.2}", s.top1_mean * 100.0, s.top1_std * 100.0),
            gain,
            s.params,
            human_bytes(s.bytes),
            s.latency_p50_ms,
            s.latency_p95_ms,
            s.train_samples_per_s,
        );
    }
    out
}
