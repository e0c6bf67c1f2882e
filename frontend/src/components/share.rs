//! A share link that was just created: its full address to read or copy, and a way to open it.

use api::ShareLink;
use leptos::prelude::*;

/// The read-only link as an absolute address on this server.
#[component]
pub fn ShareLinkBox(link: ShareLink) -> impl IntoView {
    let url = format!(
        "{}{}",
        window().location().origin().unwrap_or_default(),
        link.path
    );
    let copied = url.clone();
    let copy = move |_| {
        let _ = window().navigator().clipboard().write_text(&copied);
    };
    view! {
        <div class="share-link">
            <label>"Read-only link "<input readonly data-testid="share-url" prop:value=url.clone()/></label>
            <button on:click=copy>"Copy"</button>
            <a href=url target="_blank">"Open"</a>
        </div>
    }
}
