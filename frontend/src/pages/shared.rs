//! `/s/:token`: an experiment, a comparison or a sweep someone shared, read-only — no actions.

use api::{ExperimentDetail, SharedView};
use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::compare::ComparisonView;
use super::experiment::ExperimentView;
use super::sweeps::SweepBody;
use crate::components::{ErrorNotice, Loading};
use crate::endpoints;

/// The shared thing behind a token.
#[component]
pub fn SharedPage() -> impl IntoView {
    let params = use_params_map();
    let token = move || params.with(|p| p.get("token").unwrap_or_default());
    let shared = LocalResource::new(move || {
        let token = token();
        async move { endpoints::shared(&token).await }
    });
    view! {
        <div class="notice info shared-banner">"A shared, read-only view."</div>
        <Suspense fallback=Loading>
            {move || shared.get().map(|result| match result {
                Err(f) => view! { <section class="page"><ErrorNotice failure=f/></section> }.into_any(),
                Ok(SharedView::Experiment { experiment }) => {
                    let detail = Signal::derive(move || Some::<ExperimentDetail>((*experiment).clone()));
                    view! { <ExperimentView detail=detail curves_version=Signal::derive(|| 0) read_only=true share=token()/> }.into_any()
                }
                Ok(SharedView::Comparison { comparison }) => view! {
                    <section class="page">
                        <h1>"Shared comparison"</h1>
                        <ComparisonView comparison=*comparison read_only=true/>
                    </section>
                }
                .into_any(),
                Ok(SharedView::Sweep { sweep }) => view! {
                    <section class="page"><SweepBody sweep=*sweep read_only=true/></section>
                }
                .into_any(),
            })}
        </Suspense>
    }
}
