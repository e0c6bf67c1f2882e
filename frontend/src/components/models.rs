//! The trained models of an experiment, each summarised over its seeds: accuracy mean ± std,
//! gain over the baseline, parameters, size, latency and throughput — all measured by the
//! server on the run's backend.

use api::ModelSummary;
use leptos::prelude::*;

use crate::format;

/// One row per model (stage or baseline).
#[component]
pub fn ModelsTable(models: Vec<ModelSummary>) -> impl IntoView {
    let rows = models
        .into_iter()
        .map(|m| {
            let gain = m.gain_over_baseline.map(format::points).unwrap_or_else(|| "—".into());
            let gain_class = format!("num {}", format::sign_class(m.gain_over_baseline));
            view! {
                <tr data-model=m.label.clone()>
                    <th scope="row">{m.label.clone()}</th>
                    <td class="num">{format::percent_mean_std(m.top1_mean, m.top1_std, m.runs)}</td>
                    <td class=gain_class>{gain}</td>
                    <td class="num">{format::count(m.params)}</td>
                    <td class="num">{format::bytes(m.bytes)}</td>
                    <td class="num">{format::millis(m.latency_p50_ms)}" / "{format::millis(m.latency_p95_ms)}</td>
                    <td class="num">{format!("{:.0}/s", m.throughput_per_s)}</td>
                    <td class="num">{format!("{:.0}/s", m.train_samples_per_s)}</td>
                    <td class="num">{m.runs}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data models">
            <thead>
                <tr>
                    <th>"Model"</th>
                    <th class="num" title="Top-1 test accuracy, mean ± sample std over seeds">"Top-1"</th>
                    <th class="num" title="Mean top-1 minus the no-KD baseline student's">"vs baseline"</th>
                    <th class="num">"Params"</th>
                    <th class="num" title="Serialized model">"Size"</th>
                    <th class="num" title="Batch-1 inference latency, p50 / p95">"Latency p50 / p95"</th>
                    <th class="num" title="Inference throughput at batch 256">"Throughput"</th>
                    <th class="num" title="Training samples per second">"Training"</th>
                    <th class="num">"Seeds"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}
