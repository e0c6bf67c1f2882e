//! What can be done to an experiment: cancel, delete, clone into the composer, share a
//! read-only link, export its data.

use api::{ExperimentDetail, ShareLink};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_navigate;

use crate::client::ApiFailure;
use crate::components::{ErrorNotice, ShareLinkBox};
use crate::endpoints;

/// The action bar of an experiment page.
#[component]
pub fn Actions(detail: Signal<Option<ExperimentDetail>>) -> impl IntoView {
    let id = Memo::new(move |_| {
        detail.with(|d| d.as_ref().map(|d| d.summary.id.clone()).unwrap_or_default())
    });
    let active = Memo::new(move |_| {
        detail.with(|d| d.as_ref().is_some_and(|d| !d.summary.status.is_terminal()))
    });
    let failure = RwSignal::new(None::<ApiFailure>);
    let share = RwSignal::new(None::<ShareLink>);

    let cancel = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move { endpoints::cancel_experiment(&id).await.map(|_| ()) }
    });
    let navigate = use_navigate();
    let delete = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move { endpoints::delete_experiment(&id).await }
    });
    let create_share = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move { endpoints::share_experiment(&id).await }
    });
    Effect::new(move || {
        if let Some(Err(e)) = cancel.value().get() {
            failure.set(Some(e));
        }
    });
    Effect::new(move || match delete.value().get() {
        Some(Ok(())) => navigate("/", Default::default()),
        Some(Err(e)) => failure.set(Some(e)),
        None => {}
    });
    Effect::new(move || match create_share.value().get() {
        Some(Ok(link)) => share.set(Some(link)),
        Some(Err(e)) => failure.set(Some(e)),
        None => {}
    });

    let confirm_delete = move |_| {
        let sure = window()
            .confirm_with_message("Delete this experiment, its runs, curves and models?")
            .unwrap_or(false);
        if sure {
            delete.dispatch(id.get_untracked());
        }
    };
    view! {
        <div class="actions">
            <button disabled=move || !active.get() || cancel.pending().get() on:click=move |_| { cancel.dispatch(id.get_untracked()); }>
                "Cancel"
            </button>
            <A href=move || format!("/experiments/new?from={}", id.get()) attr:class="button">"Clone"</A>
            <A href=move || format!("/sweeps/new?from={}", id.get()) attr:class="button">"Sweep this"</A>
            <button on:click=move |_| { create_share.dispatch(id.get_untracked()); }>"Share"</button>
            <a class="button" href=move || endpoints::experiment_export_url(&id.get(), "csv") download="">"Export CSV"</a>
            <a class="button" href=move || endpoints::experiment_export_url(&id.get(), "json") download="">"Export JSON"</a>
            <button class="danger" on:click=confirm_delete>"Delete"</button>
        </div>
        {move || share.get().map(|link| view! { <ShareLinkBox link=link/> })}
        {move || failure.get().map(|f| view! { <ErrorNotice failure=f/> })}
    }
}
