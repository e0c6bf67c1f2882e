//! A run's or experiment's status as a coloured badge.

use api::RunStatus;
use leptos::prelude::*;

/// `queued`, `running`, `succeeded`, ... in its colour.
#[component]
pub fn StatusBadge(status: RunStatus) -> impl IntoView {
    let name = status.as_str();
    view! { <span class=format!("badge status-{name}") data-status=name>{name}</span> }
}
