//! Summaries of an experiment's runs: per model, the mean and spread over seeds and the gain
//! over the CE-only baseline student.

use api::{ExperimentReport, ModelSummary, RunKind, RunReport};

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len().max(1) as f64
}

/// Sample standard deviation (n − 1); 0 for fewer than two values.
fn sample_std(values: &[f64]) -> f64 {
    if values.len() < 2 {
        return 0.0;
    }
    let m = mean(values);
    (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / (values.len() - 1) as f64).sqrt()
}

fn summarize_group(runs: &[&RunReport], baseline_top1: Option<f64>) -> ModelSummary {
    let first = runs[0];
    let of = |f: fn(&RunReport) -> f64| runs.iter().map(|r| f(r)).collect::<Vec<_>>();
    let top1 = of(|r| r.measurements.top1);
    let top5: Option<Vec<f64>> = runs.iter().map(|r| r.measurements.top5).collect();
    let top1_mean = mean(&top1);
    ModelSummary {
        label: first.stage_name.clone(),
        kind: first.kind,
        stage_index: first.stage_index,
        runs: runs.len(),
        top1_mean,
        top1_std: sample_std(&top1),
        top5_mean: top5.map(|v| mean(&v)),
        gain_over_baseline: baseline_top1.map(|b| top1_mean - b),
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
    let group = |kind: RunKind, stage: usize| -> Vec<&RunReport> {
        report
            .runs
            .iter()
            .filter(|r| r.kind == kind && r.stage_index == stage)
            .collect()
    };
    let last = report.spec.chain.len().saturating_sub(1);
    let baseline = group(RunKind::Baseline, last);
    let baseline_top1 = (!baseline.is_empty()).then(|| {
        mean(
            &baseline
                .iter()
                .map(|r| r.measurements.top1)
                .collect::<Vec<_>>(),
        )
    });
    let mut out: Vec<ModelSummary> = (0..report.spec.chain.len())
        .map(|i| group(RunKind::Stage, i))
        .filter(|runs| !runs.is_empty())
        .map(|runs| summarize_group(&runs, baseline_top1))
        .collect();
    if !baseline.is_empty() {
        out.push(summarize_group(&baseline, baseline_top1));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_standard_deviation_uses_n_minus_one() {
        assert_eq!(sample_std(&[1.0]), 0.0);
        assert!((sample_std(&[1.0, 3.0]) - 2f64.sqrt()).abs() < 1e-12);
    }
}
