//! Sweeps: the list, a new sweep written as JSON (drafted from an experiment by "Sweep this"),
//! and a sweep's page (trials on validation, the winner, its confirmation on paired seeds).

mod detail;
mod draft;
mod plots;

use api::SweepSummary;
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde_json::Value;

pub use detail::{SweepBody, SweepPage};

use crate::client::ApiFailure;
use crate::components::{ErrorNotice, Loading};
use crate::endpoints;

/// Every sweep, newest first.
#[component]
pub fn SweepsPage() -> impl IntoView {
    let sweeps = LocalResource::new(endpoints::sweeps);
    let table = move || {
        sweeps.get().map(|result| match result {
            Err(failure) => view! { <ErrorNotice failure/> }.into_any(),
            Ok(list) if list.is_empty() => view! {
                <p class="muted" data-testid="sweeps">"No sweep yet: open an experiment and press “Sweep this”, or run `distill sweep` with a file from examples/sweeps."</p>
            }.into_any(),
            Ok(list) => view! { <SweepTable sweeps=list/> }.into_any(),
        })
    };
    view! {
        <section class="page">
            <h1>"Sweeps"</h1>
            <p><A href="/sweeps/new" attr:class="button">"New sweep"</A></p>
            <Transition fallback=Loading>{table}</Transition>
        </section>
    }
}

#[component]
fn SweepTable(sweeps: Vec<SweepSummary>) -> impl IntoView {
    view! {
        <table class="data" data-testid="sweeps">
            <thead><tr><th>"Sweep"</th><th>"Status"</th><th class="num">"Trials"</th><th>"Started"</th></tr></thead>
            <tbody>
                {sweeps.into_iter().map(|s| view! {
                    <tr>
                        <th scope="row"><A href=format!("/sweeps/{}", s.id)>{s.name}</A></th>
                        <td><span class=format!("status {}", s.status.as_str())>{s.status.as_str()}</span></td>
                        <td class="num">{s.trials}</td>
                        <td>{crate::format::timestamp(s.created_at)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
}

/// A sweep written as JSON: drafted from experiment `?from=` (its last stage's parameters with
/// ranges from the method catalogue, each with a checkbox to keep it or leave it out), or
/// from the pattern of examples/sweeps.
#[component]
pub fn NewSweepPage() -> impl IntoView {
    let text = RwSignal::new(String::new());
    let failure = RwSignal::new(None::<ApiFailure>);
    let from = use_query_map().with_untracked(|q| q.get("from"));
    let drafted = LocalResource::new(move || {
        let from = from.clone();
        async move {
            let Some(id) = from else {
                return Ok(None);
            };
            let detail = endpoints::experiment(&id).await?;
            let methods = endpoints::methods().await?;
            Ok::<_, ApiFailure>(Some(draft::draft_sweep(&detail.spec, &methods)))
        }
    });
    // The drafted dimensions, each a checkbox that keeps it in the sweep or takes it out.
    let offered = RwSignal::new(Vec::<(String, Value)>::new());
    Effect::new(move || match drafted.get() {
        Some(Ok(Some(sweep))) => {
            let space = sweep["space"].as_object().cloned().unwrap_or_default();
            offered.set(space.into_iter().collect());
            text.set(serde_json::to_string_pretty(&sweep).unwrap_or_default());
        }
        Some(Err(e)) => failure.set(Some(e)),
        _ => {}
    });
    let tuned = move |path: &str| {
        text.with(|t| {
            serde_json::from_str::<Value>(t)
                .ok()
                .is_some_and(|v| v["space"].get(path).is_some())
        })
    };
    let toggle = move |path: String, dimension: Value, on: bool| {
        let Ok(mut sweep) = serde_json::from_str::<Value>(&text.get_untracked()) else {
            return;
        };
        if let Some(space) = sweep["space"].as_object_mut() {
            match on {
                true => space.insert(path, dimension),
                false => space.remove(&path),
            };
        }
        text.set(serde_json::to_string_pretty(&sweep).unwrap_or_default());
    };
    let navigate = use_navigate();
    let start = Action::new_local(move |body: &String| {
        let body = body.clone();
        async move {
            let sweep = serde_json::from_str(&body).map_err(|e| ApiFailure {
                status: 400,
                code: "malformed_json".into(),
                message: format!("the sweep is not JSON: {e}"),
                field: None,
            })?;
            endpoints::create_sweep(&sweep).await
        }
    });
    Effect::new(move || match start.value().get() {
        Some(Ok(created)) => navigate(&format!("/sweeps/{}", created.id), Default::default()),
        Some(Err(e)) => failure.set(Some(e)),
        None => {}
    });
    view! {
        <section class="page">
            <h1>"New sweep"</h1>
            <p class="muted">"Trials tune the last stage and are scored on validation only; the winner is then trained on the confirmation seeds beside the base configuration, and their paired difference on test is reported with its 95 % interval."</p>
            {move || failure.get().map(|f| view! { <ErrorNotice failure=f/> })}
            {move || (!offered.with(Vec::is_empty)).then(|| view! {
                <fieldset class="sweep-fields" data-testid="sweep-fields">
                    <legend>"Tune"</legend>
                    {offered.get().into_iter().map(|(path, dimension)| {
                        let (checked_path, toggled_path) = (path.clone(), path.clone());
                        view! {
                            <label>
                                <input type="checkbox" data-path=path.clone()
                                    prop:checked=move || tuned(&checked_path)
                                    on:change=move |ev| toggle(toggled_path.clone(), dimension.clone(), event_target_checked(&ev))/>
                                {format!(" {path} ")}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
            })}
            <textarea class="sweep-json" data-testid="sweep-json" rows="28" spellcheck="false"
                prop:value=move || text.get()
                on:input=move |ev| text.set(event_target_value(&ev))></textarea>
            <p>
                <button class="primary" data-testid="start-sweep" disabled=move || start.pending().get()
                    on:click=move |_| { failure.set(None); start.dispatch(text.get_untracked()); }>
                    "Start sweep"
                </button>
            </p>
        </section>
    }
}
