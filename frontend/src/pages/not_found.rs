//! The page for paths the dashboard does not have.

use leptos::prelude::*;
use leptos_router::components::A;

/// "No such page", with the way back.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section class="page">
            <h1>"No such page"</h1>
            <p>"This address is not a page of Distill Lab. " <A href="/">"Back to the experiments"</A></p>
        </section>
    }
}
