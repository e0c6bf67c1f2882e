//! The Experiments page's *Import a model* form: a weights file trained elsewhere (a
//! `.safetensors` file or a PyTorch state_dict), the architecture it is for and the dataset it
//! classifies; sent with its progress, then the new experiment opens while its one run is
//! evaluated.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::client::{chosen_file, ApiFailure};
use crate::components::ErrorNotice;
use crate::endpoints::{self, NewModel};

/// Where the import is.
#[derive(Debug, Clone)]
enum ImportState {
    Idle,
    /// Share of the file sent.
    Sending(f64),
    Failed(ApiFailure),
}

/// Upload a weights file as an imported model.
#[component]
pub fn ImportModel() -> impl IntoView {
    let architecture = RwSignal::new(String::new());
    let dataset = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let file_input = NodeRef::<leptos::html::Input>::new();
    let state = RwSignal::new(ImportState::Idle);
    let datasets = LocalResource::new(endpoints::datasets);
    let navigate = use_navigate();
    let send = move |_| {
        let file = match chosen_file(&file_input, "a .safetensors, .pt or .pth file") {
            Ok(file) => file,
            Err(failure) => return state.set(ImportState::Failed(failure)),
        };
        let request = NewModel {
            architecture: architecture.get_untracked().trim().to_string(),
            dataset: dataset.get_untracked(),
            name: name.get_untracked().trim().to_string(),
            filename: file.name(),
        };
        state.set(ImportState::Sending(0.0));
        let navigate = navigate.clone();
        leptos::task::spawn_local(async move {
            let result = endpoints::import_model(&request, &file, move |share| {
                state.set(ImportState::Sending(share))
            })
            .await;
            match result {
                Ok(detail) => {
                    state.set(ImportState::Idle);
                    navigate(
                        &format!("/experiments/{}", detail.summary.id),
                        Default::default(),
                    );
                }
                Err(failure) => state.set(ImportState::Failed(failure)),
            }
        });
    };
    let busy = move || matches!(state.get(), ImportState::Sending(_));
    let status = move || {
        match state.get() {
        ImportState::Idle => None,
        ImportState::Sending(share) if share < 1.0 => Some(view! {
            <p data-testid="import-progress"><progress max="1" value=share></progress>{format!(" uploading: {:.0} %", share * 100.0)}</p>
        }.into_any()),
        ImportState::Sending(_) => Some(view! { <p data-testid="import-progress">"Uploaded; checking the weights against the architecture…"</p> }.into_any()),
        ImportState::Failed(failure) => Some(view! { <ErrorNotice failure/> }.into_any()),
    }
    };
    let dataset_options = move || {
        datasets.get().and_then(Result::ok).map(|list| {
            if dataset.get_untracked().is_empty() {
                if let Some(first) = list.first() {
                    dataset.set(first.name.to_string());
                }
            }
            list.into_iter()
                .map(|d| {
                    let name = d.name.to_string();
                    view! { <option value=name.clone()>{format!("{name} ({} classes)", d.classes)}</option> }
                })
                .collect_view()
        })
    };
    view! {
        <details class="add-dataset" data-testid="import-model">
            <summary>"Import a model"</summary>
            <p class="small">"A model trained elsewhere: a " <code>".safetensors"</code> " file or a PyTorch state_dict ("
                <code>".pt"</code> ", " <code>".pth"</code> ", read without running pickled code) whose names are the reference implementation's (mdistiller's for the CIFAR ResNets, e.g. "
                <code>"layer1.0.conv1.weight"</code> "). It is evaluated on the dataset's test split and can then teach as a chain's first stage."</p>
            <div class="fields">
                <label class="field" data-field="file">"File" <input type="file" accept=".safetensors,.pt,.pth" node_ref=file_input/></label>
                <label class="field" data-field="architecture">"Architecture"
                    <input placeholder="resnet32x4, or its JSON" prop:value=architecture on:input=move |e| architecture.set(event_target_value(&e))/>
                </label>
                <label class="field" data-field="dataset">"Dataset"
                    <select prop:value=dataset on:change=move |e| dataset.set(event_target_value(&e))>{dataset_options}</select>
                </label>
                <label class="field" data-field="name">"Name" <input placeholder="the file's name" prop:value=name on:input=move |e| name.set(event_target_value(&e))/></label>
            </div>
            <button on:click=send disabled=busy>"Upload and evaluate"</button>
            {status}
        </details>
    }
}
