//! The Experiments page's *Import a model* form: a weights file trained elsewhere (a
//! `.safetensors` file or a PyTorch state_dict) and the architecture it is for, or an ONNX file
//! with its outputs and preprocessing (a frozen teacher), and the dataset it classifies; sent
//! with its progress, then the new experiment opens while its one run is evaluated.

use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

use crate::client::{chosen_file, ApiFailure};
use crate::components::ErrorNotice;
use crate::endpoints::{self, NewModel, OnnxFields};

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
    let onnx = OnnxSignals::new();
    let is_onnx = RwSignal::new(false);
    let file_input = NodeRef::<leptos::html::Input>::new();
    let state = RwSignal::new(ImportState::Idle);
    let datasets = LocalResource::new(endpoints::datasets);
    let navigate = use_navigate();
    let send = move |_| {
        let file = match chosen_file(&file_input, "a .safetensors, .pt, .pth or .onnx file") {
            Ok(file) => file,
            Err(failure) => return state.set(ImportState::Failed(failure)),
        };
        // Set when the file was chosen.
        let is_onnx = is_onnx.get_untracked();
        let request = NewModel {
            architecture: match is_onnx {
                true => String::new(),
                false => architecture.get_untracked().trim().to_string(),
            },
            dataset: dataset.get_untracked(),
            name: name.get_untracked().trim().to_string(),
            filename: file.name(),
            onnx: match is_onnx {
                true => onnx.fields(),
                false => OnnxFields::default(),
            },
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
        ImportState::Sending(_) => Some(view! { <p data-testid="import-progress">"Uploaded; checking the file against the architecture and the dataset…"</p> }.into_any()),
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
                <code>"layer1.0.conv1.weight"</code> "), or any " <code>".onnx"</code> " file as a frozen teacher. It is evaluated on the dataset's test split and can then teach as a chain's first stage."</p>
            <div class="fields">
                <label class="field" data-field="file">"File"
                    <input type="file" accept=".safetensors,.pt,.pth,.onnx" node_ref=file_input
                        on:change=move |_| is_onnx.set(chosen_file(&file_input, "a file").is_ok_and(|f| f.name().to_ascii_lowercase().ends_with(".onnx")))/>
                </label>
                <Show when=move || !is_onnx.get()>
                    <label class="field" data-field="architecture">"Architecture"
                        <input placeholder="resnet32x4, or its JSON" prop:value=architecture on:input=move |e| architecture.set(event_target_value(&e))/>
                    </label>
                </Show>
                <label class="field" data-field="dataset">"Dataset"
                    <select prop:value=dataset on:change=move |e| dataset.set(event_target_value(&e))>{dataset_options}</select>
                </label>
                <label class="field" data-field="name">"Name" <input placeholder="the file's name" prop:value=name on:input=move |e| name.set(event_target_value(&e))/></label>
            </div>
            <Show when=move || is_onnx.get()>
                <OnnxOptions onnx/>
            </Show>
            <button on:click=send disabled=busy>"Upload and evaluate"</button>
            {status}
        </details>
    }
}

/// The ONNX options as typed.
#[derive(Debug, Clone, Copy)]
struct OnnxSignals {
    logits: RwSignal<String>,
    features: RwSignal<String>,
    size: RwSignal<String>,
    mean: RwSignal<String>,
    std: RwSignal<String>,
    grey_to_rgb: RwSignal<bool>,
}

impl OnnxSignals {
    fn new() -> OnnxSignals {
        OnnxSignals {
            logits: RwSignal::new(String::new()),
            features: RwSignal::new(String::new()),
            size: RwSignal::new(String::new()),
            mean: RwSignal::new(String::new()),
            std: RwSignal::new(String::new()),
            grey_to_rgb: RwSignal::new(false),
        }
    }

    fn fields(&self) -> OnnxFields {
        let text = |signal: RwSignal<String>| signal.get_untracked().trim().to_string();
        OnnxFields {
            logits: text(self.logits),
            features: text(self.features),
            size: text(self.size),
            mean: text(self.mean),
            std: text(self.std),
            grey_to_rgb: self.grey_to_rgb.get_untracked(),
        }
    }
}

/// An ONNX file's outputs (logits, and the stage features the feature methods read) and the
/// preprocessing it expects when not the lab's.
#[component]
fn OnnxOptions(onnx: OnnxSignals) -> impl IntoView {
    let text_field = move |field: &'static str,
                           label: &'static str,
                           placeholder: &'static str,
                           signal: RwSignal<String>| {
        view! {
            <label class="field" data-field=field>{label}
                <input placeholder=placeholder prop:value=signal on:input=move |e| signal.set(event_target_value(&e))/>
            </label>
        }
    };
    view! {
        <p class="small">"An ONNX file teaches frozen: name its logits output and, for feature methods, the outputs that serve as stages (the import's notes list every output with its shape). Give mean and std only when it expects pixels normalised its own way; the lab applies them, the size and grey→RGB to this teacher alone."</p>
        <div class="fields">
            {text_field("logits", "Logits output", "logits", onnx.logits)}
            {text_field("features", "Feature outputs", "layer3,layer4", onnx.features)}
            {text_field("size", "Input size", "the dataset's, or 224", onnx.size)}
            {text_field("mean", "Mean", "0.485,0.456,0.406", onnx.mean)}
            {text_field("std", "Std", "0.229,0.224,0.225", onnx.std)}
            <label class="field" data-field="grey_to_rgb">
                <input type="checkbox" prop:checked=onnx.grey_to_rgb on:change=move |e| onnx.grey_to_rgb.set(event_target_checked(&e))/>
                "Grey → RGB"
            </label>
        </div>
    }
}
