//! What a page shows while it loads or when a request failed.

use leptos::prelude::*;

use crate::client::ApiFailure;

/// A failed request: the server's message, and the field it names.
#[component]
pub fn ErrorNotice(failure: ApiFailure) -> impl IntoView {
    view! {
        <div class="notice error" role="alert">
            <strong>{if failure.status == 0 { "Offline".to_string() } else { format!("Error {}", failure.status) }}</strong>
            " "
            {failure.message}
            {failure.field.map(|f| view! { <span class="field-name">" (" <code>{f}</code> ")"</span> })}
        </div>
    }
}

/// A placeholder while data loads.
#[component]
pub fn Loading() -> impl IntoView {
    view! { <p class="loading">"Loading…"</p> }
}
