//! A sweep's page, refreshed every two seconds until it ends: the parallel coordinates and the
//! scatter per dimension (validation accuracy), the trial table (rung, epochs, validation
//! accuracy), the winner, and the confirmation: tuned vs default and tuned vs CE on test,
//! paired by seed, with 95 % intervals.

use std::time::Duration;

use api::{Confirmation, SweepView};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_params_map};

use super::plots::{ParallelCoordinates, Scatters};
use crate::client::ApiFailure;
use crate::components::{ErrorNotice, Loading, ShareLinkBox};
use crate::endpoints;
use crate::format;

/// `/sweeps/:id`.
#[component]
pub fn SweepPage() -> impl IntoView {
    let id = use_params_map().with_untracked(|p| p.get("id").unwrap_or_default());
    let sweep = {
        let id = id.clone();
        LocalResource::new(move || {
            let id = id.clone();
            async move { endpoints::sweep(&id).await }
        })
    };
    let running = move || {
        sweep
            .get()
            .and_then(Result::ok)
            .is_none_or(|s| !s.status.is_terminal())
    };
    if let Ok(handle) = set_interval_with_handle(
        move || {
            if running() {
                sweep.refetch();
            }
        },
        Duration::from_secs(2),
    ) {
        on_cleanup(move || handle.clear());
    }
    let body = move || {
        sweep.get().map(|result| match result {
            Err(failure) => view! { <ErrorNotice failure/> }.into_any(),
            Ok(view) => view! { <SweepBody sweep=view read_only=false/> }.into_any(),
        })
    };
    view! {
        <section class="page">
            <Transition fallback=Loading>{body}</Transition>
            <SweepActions id=id/>
        </section>
    }
}

/// A sweep's name, status, confirmation, plots and trials; `read_only` (a share link) links
/// to no experiment.
#[component]
pub fn SweepBody(sweep: SweepView, read_only: bool) -> impl IntoView {
    let status = sweep.status.as_str();
    let rungs = sweep
        .rungs
        .iter()
        .map(usize::to_string)
        .collect::<Vec<_>>()
        .join(", ");
    view! {
        <h1>{sweep.name.clone()}</h1>
        <p data-testid="sweep-status">
            <span class=format!("status {status}")>{status}</span>
            {format!(" · {} of {} trials started · rungs of {rungs} epochs · every trial trains with seed {}",
                sweep.trials.len(), planned_trials(&sweep), sweep.trial_seed)}
        </p>
        {sweep.message.clone().map(|m| view! { <p class="notice error">{m}</p> })}
        {sweep.confirmation.clone().map(|c| view! { <ConfirmationView confirmation=c seeds=sweep.confirm_seeds.clone() read_only/> })}
        <h2>"Trials (validation accuracy)"</h2>
        <ParallelCoordinates sweep=sweep.clone()/>
        <Scatters sweep=sweep.clone()/>
        <TrialTable sweep=sweep/>
    }
}

/// Trials the strategy starts.
fn planned_trials(sweep: &SweepView) -> usize {
    match &sweep.spec.strategy {
        api::Strategy::Random { trials, .. } => *trials,
        api::Strategy::Grid => sweep
            .spec
            .space
            .values()
            .map(|d| match d {
                api::Dimension::Values(v) => v.len(),
                _ => 1,
            })
            .product(),
    }
}

/// `1.234` for fractions and rates, whole numbers as they are.
pub(super) fn value_text(value: &serde_json::Value) -> String {
    match value.as_f64() {
        Some(x) if !value.is_i64() && !value.is_u64() => format!("{x:.4}"),
        _ => value.to_string().trim_matches('"').to_string(),
    }
}

#[component]
fn TrialTable(sweep: SweepView) -> impl IntoView {
    let winner = sweep.winner;
    view! {
        <table class="data" data-testid="trials">
            <thead><tr>
                <th class="num">"Trial"</th>
                {sweep.dimensions.iter().map(|d| view! { <th class="num">{d.clone()}</th> }).collect_view()}
                <th class="num">"Rung"</th><th class="num">"Epochs"</th><th class="num">"Val. accuracy"</th><th>"Status"</th>
            </tr></thead>
            <tbody>
                {sweep.trials.into_iter().map(|t| {
                    let is_winner = winner == Some(t.index);
                    view! {
                        <tr class:winner=is_winner data-trial=t.index>
                            <th scope="row" class="num">{t.index}{is_winner.then_some(" ★")}</th>
                            {t.values.iter().map(|v| view! { <td class="num">{value_text(v)}</td> }).collect_view()}
                            <td class="num">{t.rung}</td>
                            <td class="num">{t.epochs}</td>
                            <td class="num">{t.val_accuracy.map_or("–".to_string(), format::percent)}</td>
                            <td>{t.status}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn ConfirmationView(confirmation: Confirmation, seeds: Vec<u64>, read_only: bool) -> impl IntoView {
    let estimate = |e: Option<api::Estimate>| {
        e.map_or("–".to_string(), |e| {
            format::percent_mean_std(e.mean, e.std, e.n)
        })
    };
    let gain = |g: &Option<api::PairedGain>| g.as_ref().map_or("–".to_string(), format::gain);
    let tuned_vs_default = gain(&confirmation.tuned_vs_default);
    view! {
        <h2>"Confirmation on test (val-best models)"</h2>
        <p data-testid="tuned-vs-default" class=format::gain_class(confirmation.tuned_vs_default.as_ref())>
            {format!("tuned vs default: {tuned_vs_default}")}
        </p>
        <dl class="facts" data-testid="confirmation">
            <dt>"Seeds"</dt><dd>{format!("{seeds:?}")}{(!confirmation.finished).then_some(" (training…)")}</dd>
            <dt>"Tuned"</dt><dd>{linked(Some(confirmation.tuned_experiment.clone()), estimate(confirmation.tuned), read_only)}</dd>
            <dt>"Default"</dt><dd>{match confirmation.default_experiment.clone() {
                Some(id) => linked(Some(id), estimate(confirmation.default), read_only),
                None => view! { <span class="muted">"queued once the tuned run's teachers are trained"</span> }.into_any(),
            }}</dd>
            <dt>"Tuned vs CE baseline"</dt><dd>{gain(&confirmation.tuned_vs_baseline)}</dd>
        </dl>
    }
}

/// `text`, linked to its experiment unless the view is read-only.
fn linked(experiment: Option<String>, text: String, read_only: bool) -> AnyView {
    match experiment.filter(|_| !read_only) {
        Some(id) => view! { <A href=format!("/experiments/{id}")>{text}</A> }.into_any(),
        None => view! { <span>{text}</span> }.into_any(),
    }
}

#[component]
fn SweepActions(id: String) -> impl IntoView {
    let failure = RwSignal::new(None::<ApiFailure>);
    let cancel = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move { endpoints::cancel_sweep(&id).await.map(|_| ()) }
    });
    let delete = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move { endpoints::delete_sweep(&id).await }
    });
    let share = RwSignal::new(None::<api::ShareLink>);
    let create_share = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move { endpoints::share_sweep(&id).await }
    });
    Effect::new(move || match create_share.value().get() {
        Some(Ok(link)) => share.set(Some(link)),
        Some(Err(e)) => failure.set(Some(e)),
        None => {}
    });
    let navigate = use_navigate();
    Effect::new(move || match cancel.value().get() {
        Some(Ok(())) => {
            let _ = window().location().reload();
        }
        Some(Err(e)) => failure.set(Some(e)),
        None => {}
    });
    Effect::new(move || match delete.value().get() {
        Some(Ok(())) => navigate("/sweeps", Default::default()),
        Some(Err(e)) => failure.set(Some(e)),
        None => {}
    });
    let (cancel_id, delete_id, share_id) = (id.clone(), id.clone(), id);
    view! {
        <div class="actions">
            <button on:click=move |_| { cancel.dispatch(cancel_id.clone()); }>"Cancel sweep"</button>
            <button data-testid="share-sweep" on:click=move |_| { create_share.dispatch(share_id.clone()); }>"Share"</button>
            <button class="danger" on:click=move |_| {
                if window().confirm_with_message("Delete this sweep and every experiment it queued?").unwrap_or(false) {
                    delete.dispatch(delete_id.clone());
                }
            }>"Delete"</button>
        </div>
        {move || share.get().map(|link| view! { <ShareLinkBox link=link/> })}
        {move || failure.get().map(|f| view! { <ErrorNotice failure=f/> })}
    }
}
