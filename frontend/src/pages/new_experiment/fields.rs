//! Form fields of the composer: a labelled input or select bound to a part of the draft, that
//! shows both the client-side range check and the server's error for its field path.

use api::{ParamInfo, ParamKind};
use leptos::prelude::*;

use super::Form;
use crate::composer::check_param;

/// The message to show under the field at `path`: the server's error for exactly that field,
/// else what the local check says.
fn message(form: Form, path: Signal<String>, local: impl Fn() -> Option<String>) -> Option<String> {
    let server = form.error.with(|e| {
        e.as_ref()
            .filter(|e| e.field.as_deref() == Some(path.get().as_str()))
            .map(|e| e.message.clone())
    });
    server.or_else(local)
}

/// Clears the server's error when the field it names is edited.
fn clear_error_for(form: Form, path: &str) {
    if form
        .error
        .with_untracked(|e| e.as_ref().and_then(|e| e.field.as_deref()) == Some(path))
    {
        form.error.set(None);
    }
}

/// A text input. `check` gives a local error message for a value, if any.
#[component]
pub fn TextField(
    label: String,
    #[prop(into)] path: Signal<String>,
    #[prop(into)] value: Signal<String>,
    set: Callback<String>,
    #[prop(optional)] hint: String,
    #[prop(optional)] placeholder: String,
    #[prop(optional, into)] check: Option<Callback<String, Option<String>>>,
) -> impl IntoView {
    let form = expect_context::<Form>();
    let error = move || message(form, path, || check.and_then(|c| c.run(value.get())));
    view! {
        <label class="field" class:invalid=move || error().is_some() data-field=path>
            <span class="field-label" title=hint>{label}</span>
            <input type="text" prop:value=value placeholder=placeholder
                on:input=move |ev| { clear_error_for(form, &path.get_untracked()); set.run(event_target_value(&ev)); }/>
            {move || error().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
        </label>
    }
}

/// A select among `choices` (value, label).
#[component]
pub fn SelectField(
    label: String,
    #[prop(into)] path: Signal<String>,
    #[prop(into)] value: Signal<String>,
    set: Callback<String>,
    #[prop(into)] choices: Signal<Vec<(String, String)>>,
) -> impl IntoView {
    let form = expect_context::<Form>();
    let error = move || message(form, path, || None);
    view! {
        <label class="field" class:invalid=move || error().is_some() data-field=path>
            <span class="field-label">{label}</span>
            <select prop:value=value on:change=move |ev| { clear_error_for(form, &path.get_untracked()); set.run(event_target_value(&ev)); }>
                {move || choices.get().into_iter().map(|(v, l)| {
                    let selected = v == value.get_untracked();
                    view! { <option value=v selected=selected>{l}</option> }
                }).collect_view()}
            </select>
            {move || error().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
        </label>
    }
}

/// A method parameter as the catalog describes it: a number field with its range checked, or
/// a select of its choices.
#[component]
pub fn ParamField(
    info: ParamInfo,
    #[prop(into)] path: Signal<String>,
    #[prop(into)] value: Signal<String>,
    set: Callback<String>,
) -> impl IntoView {
    let placeholder = info
        .default
        .clone()
        .map(|d| format!("default {d}"))
        .unwrap_or_else(|| "automatic".into());
    let choices: Option<Vec<(String, String)>> = match info.kind {
        ParamKind::Choice => Some(
            info.choices
                .iter()
                .map(|c| (c.clone(), c.clone()))
                .collect(),
        ),
        ParamKind::Boolean => Some(vec![
            ("false".to_string(), format!("{}: off", info.name)),
            ("true".to_string(), format!("{}: on", info.name)),
        ]),
        _ => None,
    };
    if let Some(choices) = choices {
        return view! { <SelectField label=info.name.clone() path=path value=value set=set choices=choices/> }.into_any();
    }
    let hint = info.description.clone();
    let check = Callback::new(move |text: String| check_param(&info, &text));
    view! {
        <TextField label=hint.split(" (").next().unwrap_or_default().to_string() hint=hint.clone() path=path value=value set=set
            placeholder=placeholder check=check/>
    }
    .into_any()
}
