//! The results table printed at the end of `distill run`: per model the test accuracy at the
//! best validation epoch and at the last epoch, and the gain over the baseline paired by seed
//! with its 95 % confidence interval.

use api::{ModelSummary, PairedGain, RunKind};

/// `+1.23 [+0.40, +2.06]*` in percentage points (`*`: the interval excludes 0), or
/// `+1.23 (1 seed: no interval)`.
pub fn gain_text(gain: &PairedGain) -> String {
    let pts = |v: f64| format!("{:+.2}", v * 100.0);
    match (gain.ci_low, gain.ci_high) {
        (Some(low), Some(high)) => format!(
            "{} [{}, {}]{}",
            pts(gain.mean),
            pts(low),
            pts(high),
            if gain.excludes_zero() { "*" } else { "" }
        ),
        _ => format!("{} (1 seed: no interval)", pts(gain.mean)),
    }
}

/// One row per model: accuracy mean ± std over seeds at the best validation epoch and at the
/// last, the paired gain over the baseline, size, latency.
pub fn render(summaries: &[ModelSummary]) -> String {
    let mut out = format!(
        "{:<12} {:>5} {:>15} {:>15} {:>27} {:>9} {:>10} {:>9} {:>9} {:>11}\n",
        "model",
        "seeds",
        "top-1 val-best",
        "top-1 last",
        "gain vs base (pts, 95% CI)",
        "params",
        "size",
        "p50 (ms)",
        "p95 (ms)",
        "train smp/s"
    );
    for s in summaries {
        let label = match s.kind {
            RunKind::Stage | RunKind::Imported => format!("{}:{}", s.stage_index, s.label),
            RunKind::Baseline => "baseline".to_string(),
        };
        let gain = s.gain_val_best.as_ref().map_or("—".to_string(), gain_text);
        let estimate = |e: &api::Estimate| format!("{:.2} ± {:.2}", e.mean * 100.0, e.std * 100.0);
        out += &format!(
            "{:<12} {:>5} {:>15} {:>15} {:>27} {:>9} {:>10} {:>9.3} {:>9.3} {:>11.0}\n",
            label,
            s.runs,
            estimate(&s.top1_val_best),
            estimate(&s.top1_last),
            gain,
            s.params,
            api::bytes_text(s.bytes),
            s.latency_p50_ms,
            s.latency_p95_ms,
            s.train_samples_per_s,
        );
    }
    out += "top-1: test accuracy (%) of the model at its best validation epoch, and after the last epoch; gain: paired by seed, at the best validation epoch (* the interval excludes 0)\n";
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_gain_shows_its_interval_and_marks_one_that_excludes_zero() {
        let gain = PairedGain {
            n: 3,
            mean: 0.012,
            std: 0.001,
            ci_low: Some(0.0095),
            ci_high: Some(0.0145),
            differences: vec![0.011, 0.012, 0.013],
        };
        assert_eq!(gain_text(&gain), "+1.20 [+0.95, +1.45]*");
        let one = PairedGain {
            n: 1,
            ci_low: None,
            ci_high: None,
            ..gain
        };
        assert_eq!(gain_text(&one), "+1.20 (1 seed: no interval)");
    }
}
