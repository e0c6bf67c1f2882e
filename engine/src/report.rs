//! Summaries of an experiment's runs: per model, the accuracy over seeds (at the best
//! validation epoch and at the last epoch) and the gain over the CE-only baseline student,
//! paired by seed, with its 95 % confidence interval.

use api::{ExperimentReport, ModelSummary, RunReport};

use crate::stats::{estimate, gain_by_seed};

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// `(seed, accuracy)` of each run, at the best validation epoch or the last.
fn per_seed(runs: &[&RunReport], val_best: bool) -> Vec<(u64, f64)> {
    runs.iter()
        .map(|r| {
            let m = &r.measurements;
            (r.seed, if val_best { m.top1() } else { m.top1_last })
        })
        .collect()
}

fn summarize_group(runs: &[&RunReport], baseline: &[&RunReport]) -> ModelSummary {
    let first = runs[0];
    let of = |f: fn(&RunReport) -> f64| runs.iter().map(|r| f(r)).collect::<Vec<_>>();
    let values = |val_best: bool| -> Vec<f64> {
        per_seed(runs, val_best)
            .into_iter()
            .map(|(_, v)| v)
            .collect()
    };
    let gain = |val_best: bool| {
        (first.kind.in_chain() && !baseline.is_empty())
            .then(|| gain_by_seed(&per_seed(runs, val_best), &per_seed(baseline, val_best)))
            .flatten()
    };
    let top5: Option<Vec<f64>> = runs.iter().map(|r| r.measurements.top5).collect();
    ModelSummary {
        label: first.stage_name.clone(),
        kind: first.kind,
        stage_index: first.stage_index,
        runs: runs.len(),
        top1_val_best: estimate(&values(true)).expect("a group has runs"),
        top1_last: estimate(&values(false)).expect("a group has runs"),
        top5_mean: top5.map(|v| mean(&v)),
        gain_val_best: gain(true),
        gain_last: gain(false),
        params: first.measurements.params,
        bytes: first.measurements.bytes,
        latency_p50_ms: mean(&of(|r| r.measurements.latency_p50_ms)),
        latency_p95_ms: mean(&of(|r| r.measurements.latency_p95_ms)),
        throughput_per_s: mean(&of(|r| r.measurements.throughput_per_s)),
        train_samples_per_s: mean(&of(|r| r.measurements.train_samples_per_s)),
    }
}

/// One summary per chain stage, then the baseline, each over all seeds.
pub fn summarize(report: &ExperimentReport) -> Vec<ModelSummary> {
    let group = |in_chain: bool, stage: usize| -> Vec<&RunReport> {
        report
            .runs
            .iter()
            .filter(|r| r.kind.in_chain() == in_chain && r.stage_index == stage)
            .collect()
    };
    let last = report.spec.chain.len().saturating_sub(1);
    let baseline = group(false, last);
    let mut out: Vec<ModelSummary> = (0..report.spec.chain.len())
        .map(|i| group(true, i))
        .filter(|runs| !runs.is_empty())
        .map(|runs| {
            // Only the student has a baseline of its own model.
            let paired: &[&RunReport] = if runs[0].stage_index == last {
                &baseline
            } else {
                &[]
            };
            summarize_group(&runs, paired)
        })
        .collect();
    if !baseline.is_empty() {
        out.push(summarize_group(&baseline, &[]));
    }
    out
}
