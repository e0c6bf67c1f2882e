//! The experiment page: the chain, live progress and curves over SSE, per-model results, and
//! the actions (cancel, delete, clone, share, export, download). The shared view shows the
//! same [`ExperimentView`] read-only.

mod actions;
mod notes;
mod runs;
mod view;

use api::ExperimentDetail;
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

pub use view::ExperimentView;

use crate::client::ApiFailure;
use crate::components::{ErrorNotice, Loading};
use crate::endpoints;
use crate::live::follow_experiment;
use crate::live_loss::LiveLoss;
use crate::live_state::{apply, Follow};

/// `/experiments/:id`, live.
#[component]
pub fn ExperimentPage() -> impl IntoView {
    let params = use_params_map();
    let id = move || params.with(|p| p.get("id").unwrap_or_default());
    move || {
        let id = id();
        view! { <LiveExperiment id=id/> }
    }
}

/// One experiment followed over server-sent events from its snapshot to its end.
#[component]
fn LiveExperiment(id: String) -> impl IntoView {
    let detail = RwSignal::new(None::<ExperimentDetail>);
    let failure = RwSignal::new(None::<ApiFailure>);
    let connection = RwSignal::new(None::<String>);
    let curves_version = RwSignal::new(0u64);
    let live_loss = RwSignal::new(LiveLoss::default());

    // The REST read tells a missing experiment apart (404 with a message) and, read again
    // when the experiment ends, brings its final results; the event stream keeps the page
    // current in between.
    let exists = LocalResource::new({
        let id = id.clone();
        move || {
            let id = id.clone();
            async move { endpoints::experiment(&id).await }
        }
    });
    Effect::new(move || match exists.get() {
        Some(Ok(found)) => detail.set(Some(found)),
        Some(Err(e)) => failure.set(Some(e)),
        None => {}
    });
    follow_experiment(
        &id,
        move |event| {
            connection.set(None);
            live_loss.maybe_update(|live| live.apply(&event));
            let mut follow = Follow::Redraw;
            detail.update(|d| follow = apply(d, event));
            match follow {
                Follow::Redraw => {}
                Follow::RefetchCurves => curves_version.update(|v| *v += 1),
                Follow::Ended => {
                    curves_version.update(|v| *v += 1);
                    exists.refetch();
                }
            }
        },
        move |message| connection.set(Some(message)),
    );

    // Only loading → loaded switches the view; every later change updates it in place.
    let loaded = Memo::new(move |_| detail.with(Option::is_some));
    move || {
        if let Some(failure) = failure.get() {
            return view! {
                <section class="page"><h1>"Experiment"</h1><ErrorNotice failure=failure/></section>
            }
            .into_any();
        }
        if !loaded.get() {
            return view! { <section class="page"><Loading/></section> }.into_any();
        }
        view! {
            {move || connection.get().map(|m| view! { <div class="notice warn">{m}</div> })}
            <ExperimentView detail=detail.into() curves_version=curves_version.into() read_only=false live_loss=live_loss.into()/>
        }
        .into_any()
    }
}
