//! The runs of an experiment, one row each, updating in place: status, live progress with
//! ETA, accuracy, device and message (a message several runs share is said once, under the
//! table); select runs to compare them, download trained models.

use std::collections::BTreeSet;

use api::{RunStatus, RunSummary};
use leptos::prelude::*;
use leptos_router::components::A;

use super::view::run_label;
use crate::components::{RunProgressBar, StatusBadge};
use crate::format;
use crate::run_notes::shared_messages;

/// Where a run's model came from and where it went: the run that taught it, the runs it
/// taught (links to their rows), and the earlier run it reuses (a link comparing the two).
#[component]
fn Lineage(run: RunSummary, runs: Signal<Vec<RunSummary>>, seeds: Signal<usize>) -> impl IntoView {
    let label = move |id: &str| {
        runs.with(|all| {
            all.iter()
                .find(|r| r.id == id)
                .map(|r| run_label(r, seeds.get()))
        })
        .unwrap_or_else(|| format!("run {}", &id[..id.len().min(8)]))
    };
    let row_link = move |id: String| view! { <a href=format!("#run-{id}")>{label(&id)}</a> };
    let taught: Vec<String> = runs.with(|all| {
        all.iter()
            .filter(|r| r.teacher_run.as_deref() == Some(run.id.as_str()))
            .map(|r| r.id.clone())
            .collect()
    });
    view! {
        <div class="lineage small" data-testid="lineage">
            {run.teacher_run.clone().map(|teacher| view! { <div>"taught by " {row_link(teacher)}</div> })}
            {(!taught.is_empty()).then(|| view! {
                <div>"taught " {taught.into_iter().map(|id| view! { {row_link(id)}" " }).collect_view()}</div>
            })}
            {run.reused_from.clone().map(|source| view! {
                <div><A href=format!("/compare?runs={source},{}", run.id)>{format!("reused from run {}", &source[..source.len().min(8)])}</A></div>
            })}
        </div>
    }
}

/// The runs table. Rows are keyed by run id, so live updates change cells, not rows.
#[component]
pub fn RunsTable(
    runs: Signal<Vec<RunSummary>>,
    seeds: Signal<usize>,
    read_only: bool,
) -> impl IntoView {
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let ids =
        Memo::new(move |_| runs.with(|runs| runs.iter().map(|r| r.id.clone()).collect::<Vec<_>>()));
    let shared = Memo::new(move |_| runs.with(|runs| shared_messages(runs)));
    let own_message = move |r: &RunSummary| {
        let message = r.message.clone().unwrap_or_default();
        let is_shared = shared.with(|s| s.iter().any(|(m, _)| *m == message));
        if is_shared {
            String::new()
        } else {
            message
        }
    };
    let row = move |id: String| {
        let run = Memo::new({
            let id = id.clone();
            move |_| runs.with(|runs| runs.iter().find(|r| r.id == id).cloned())
        });
        let field = move |f: fn(&RunSummary) -> String| {
            move || run.with(|r| r.as_ref().map(f).unwrap_or_default())
        };
        let toggle_id = id.clone();
        let checked_id = id.clone();
        view! {
            <tr data-run=id.clone()>
                {(!read_only).then(|| view! {
                    <td><input type="checkbox" aria-label="select run"
                        prop:checked=move || selected.with(|s| s.contains(&checked_id))
                        on:change=move |_| selected.update(|s| { if !s.remove(&toggle_id) { s.insert(toggle_id.clone()); } })/></td>
                })}
                <th scope="row" id=format!("run-{id}")>{move || run.with(|r| r.as_ref().map(|r| run_label(r, seeds.get())).unwrap_or_default())}</th>
                <td>{move || run.get().map(|r| view! { <Lineage run=r runs seeds/> })}</td>
                <td>{move || run.with(|r| r.as_ref().map(|r| view! { <StatusBadge status=r.status/> }))}</td>
                <td class="progress-cell">{move || run.get().map(|r| match (r.status, r.progress) {
                    (RunStatus::Running, Some(p)) => view! { <RunProgressBar progress=p/> }.into_any(),
                    _ if r.kind == api::RunKind::Imported => view! { <span>"imported"</span> }.into_any(),
                    _ => view! { <span>{format!("{}/{} epochs", r.epochs_done, r.epochs_total)}</span> }.into_any(),
                })}</td>
                <td class="num">{field(|r| r.val_best_test_accuracy.map(format::percent).unwrap_or_else(|| "—".into()))}</td>
                <td class="num">{field(|r| r.last_train_loss.map(|l| format!("{l:.4}")).unwrap_or_else(|| "—".into()))}</td>
                <td>{field(|r| format!("{} · {}", format::architecture(&r.architecture), format::count(r.params)))}</td>
                <td class="small">{field(|r| r.device.clone().unwrap_or_default())}</td>
                <td class="small message">{move || run.with(|r| r.as_ref().map(own_message).unwrap_or_default())}</td>
                <td>{move || run.with(|r| r.as_ref().filter(|r| !read_only && r.status == RunStatus::Succeeded).map(|r| view! {
                    <span class="small">"model: "
                        <a href=crate::endpoints::run_model_url(&r.id, "onnx") download="" data-testid="model-onnx">"onnx"</a>" · "
                        <a href=crate::endpoints::run_model_url(&r.id, "safetensors") download="" data-testid="model-safetensors">"safetensors"</a>" · "
                        <a href=crate::endpoints::run_model_url(&r.id, "burn") download="">"burn"</a>
                    </span>
                }))}</td>
            </tr>
        }
    };
    let compare_href = move || {
        let ids: Vec<String> = selected.get().into_iter().collect();
        format!("/compare?runs={}", ids.join(","))
    };
    view! {
        <table class="data runs">
            <thead>
                <tr>
                    {(!read_only).then(|| view! { <th><span class="sr-only">"Select"</span></th> })}
                    <th>"Run"</th><th>"Lineage"</th><th>"Status"</th><th>"Progress"</th><th class="num" title="Test accuracy at the epoch with the best validation accuracy so far">"Top-1 (val-best)"</th>
                    <th class="num">"Train loss"</th><th>"Model"</th><th>"Device"</th><th>"Message"</th><th></th>
                </tr>
            </thead>
            <tbody>
                <For each=move || ids.get() key=|id| id.clone() children=row/>
            </tbody>
        </table>
        {move || {
            let notes = shared.get();
            (!notes.is_empty()).then(|| {
                let label_of = move |id: &String| runs.with(|runs| {
                    runs.iter().find(|r| &r.id == id).map(|r| run_label(r, seeds.get())).unwrap_or_default()
                });
                view! {
                    <ul class="run-notes small" data-testid="run-notes">
                        {notes.into_iter().map(|(message, ids)| {
                            let about = ids.iter().map(label_of).collect::<Vec<_>>().join(", ");
                            view! { <li>{about}": "{message}</li> }
                        }).collect_view()}
                    </ul>
                }
            })
        }}
        {(!read_only).then(|| view! {
            <div class="toolbar">
                <A href=compare_href attr:class=move || if selected.with(|s| s.len() >= 2) { "button" } else { "button disabled" }
                    attr:aria-disabled=move || selected.with(|s| s.len() < 2).to_string()>
                    {move || format!("Compare selected runs ({})", selected.with(|s| s.len()))}
                </A>
            </div>
        })}
    }
}
