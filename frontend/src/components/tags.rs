//! An experiment's tags as links to the experiments that carry the same tag.

use leptos::prelude::*;

/// `tags` as chips, each a link to the list filtered by it (plain chips when `read_only`).
#[component]
pub fn TagList(tags: Vec<String>, #[prop(optional)] read_only: bool) -> impl IntoView {
    (!tags.is_empty()).then(|| {
        let chips = tags
            .into_iter()
            .map(|tag| {
                if read_only {
                    view! { <span class="tag">{tag}</span> }.into_any()
                } else {
                    let href = format!("/experiments?tag={tag}");
                    view! { <a class="tag" href=href>{tag}</a> }.into_any()
                }
            })
            .collect_view();
        view! { <span class="tags" data-testid="tags">{chips}</span> }
    })
}
