//! The trained models of an experiment, each summarised over its seeds: test accuracy at the
//! best validation epoch and at the last epoch (mean ± std), the gain over the baseline paired
//! by seed with its 95 % interval, parameters, size, latency and throughput — all measured by
//! the server on the run's backend.

use api::ModelSummary;
use leptos::prelude::*;

use crate::format;

/// One row per model (stage or baseline).
#[component]
pub fn ModelsTable(models: Vec<ModelSummary>) -> impl IntoView {
    let rows = models
        .into_iter()
        .map(|m| {
            let gain = m.gain_val_best.as_ref().map(format::gain).unwrap_or_else(|| "—".into());
            let gain_class = format!("num {}", format::gain_class(m.gain_val_best.as_ref()));
            let last_gain = m.gain_last.as_ref().map(format::gain).unwrap_or_else(|| "—".into());
            let estimate = |e: &api::Estimate| format::percent_mean_std(e.mean, e.std, e.n);
            view! {
                <tr data-model=m.label.clone()>
                    <th scope="row">{m.label.clone()}</th>
                    <td class="num" data-col="val-best">{estimate(&m.top1_val_best)}</td>
                    <td class="num" data-col="last">{estimate(&m.top1_last)}</td>
                    <td class=gain_class data-col="gain" title=format!("after the last epoch: {last_gain}")>{gain}</td>
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
                    <th class="num" title="Top-1 test accuracy of the model at its best validation epoch (the reported model), mean ± sample std over seeds">"Top-1 (val-best)"</th>
                    <th class="num" title="Top-1 test accuracy after the last epoch, mean ± sample std over seeds">"Top-1 (last)"</th>
                    <th class="num" title="Top-1 (val-best) minus the no-KD baseline student's of the same seed: mean [95 % confidence interval, Student's t]; coloured when the interval excludes 0">"vs baseline (paired)"</th>
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
