//! An experiment's notes: its description (plain text, line breaks kept, never HTML) and tags,
//! edited in place unless the page is read-only.

use api::{ExperimentNotes, ExperimentSummary, Tag};
use leptos::prelude::*;

use crate::client::ApiFailure;
use crate::components::{ErrorNotice, TagList};
use crate::endpoints;

/// Tags as typed: separated by commas or spaces.
fn typed_tags(text: &str) -> Vec<Tag> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .map(|t| Tag(t.to_string()))
        .collect()
}

/// The description and tags of `summary`, with *Edit notes* unless `read_only`.
#[component]
pub fn Notes(summary: ExperimentSummary, read_only: bool) -> impl IntoView {
    let description = RwSignal::new(summary.description.clone());
    let tags = RwSignal::new(summary.tags.clone());
    let editing = RwSignal::new(false);
    let error = RwSignal::new(None::<ApiFailure>);
    let (draft_text, draft_tags) = (RwSignal::new(String::new()), RwSignal::new(String::new()));
    let id = summary.id.clone();
    let save = Action::new_local(move |notes: &ExperimentNotes| {
        let (id, notes) = (id.clone(), notes.clone());
        async move { endpoints::set_notes(&id, &notes).await }
    });
    Effect::new(move || match save.value().get() {
        Some(Ok(detail)) => {
            description.set(detail.summary.description);
            tags.set(detail.summary.tags);
            editing.set(false);
            error.set(None);
        }
        Some(Err(failure)) => error.set(Some(failure)),
        None => {}
    });
    let start = move |_| {
        draft_text.set(description.get_untracked());
        draft_tags.set(tags.get_untracked().join(", "));
        editing.set(true);
    };
    let submit = move |_| {
        save.dispatch(ExperimentNotes {
            description: Some(draft_text.get_untracked()),
            tags: Some(typed_tags(&draft_tags.get_untracked())),
        });
    };
    let shown = move || {
        view! {
            <TagList tags=tags.get() read_only=read_only/>
            {move || {
                let text = description.get();
                (!text.is_empty()).then(|| view! { <p class="description" data-testid="description">{text}</p> })
            }}
        }
    };
    let editor = move || {
        view! {
            <div class="notes-editor">
                <label class="field">
                    <span class="field-label">"Description"</span>
                    <textarea data-testid="description-input" rows="4" prop:value=draft_text
                        on:input=move |ev| draft_text.set(event_target_value(&ev))></textarea>
                </label>
                <label class="field">
                    <span class="field-label">"Tags (comma-separated)"</span>
                    <input data-testid="tags-input" prop:value=draft_tags
                        on:input=move |ev| draft_tags.set(event_target_value(&ev))/>
                </label>
                <button class="primary" data-testid="save-notes" on:click=submit disabled=move || save.pending().get()>"Save"</button>
                <button on:click=move |_| editing.set(false)>"Cancel"</button>
                {move || error.get().map(|failure| view! { <ErrorNotice failure=failure/> })}
            </div>
        }
    };
    view! {
        <div class="notes" data-testid="notes">
            {move || if editing.get() { editor().into_any() } else { shown().into_any() }}
            {(!read_only).then(|| view! {
                <button class:hidden=move || editing.get() data-testid="edit-notes" on:click=start>"Edit notes"</button>
            })}
        </div>
    }
}
