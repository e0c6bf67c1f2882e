//! The System page's datasets panel: every dataset with its shape, counts and a preview grid,
//! the registered ones with their classes and source (and a remove button), and the form that
//! uploads a user's own data (an image-folder archive or an `.npz`) with its progress.

use api::{DatasetInfo, DatasetManifest};
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::client::{chosen_file, ApiFailure, ApiResult};
use crate::components::{ErrorNotice, Loading};
use crate::endpoints::{self, NewDataset};

/// The datasets table and the upload form.
#[component]
pub fn DatasetsPanel() -> impl IntoView {
    let datasets = LocalResource::new(endpoints::datasets);
    let refresh = Callback::new(move |()| datasets.refetch());
    let table = move || {
        datasets.get().map(|result| match result {
            Err(failure) => view! { <ErrorNotice failure=failure/> }.into_any(),
            Ok(list) => view! { <DatasetTable list refresh/> }.into_any(),
        })
    };
    view! {
        <h2>"Datasets"</h2>
        <Suspense fallback=Loading>{table}</Suspense>
        <AddDataset added=refresh/>
    }
}

#[component]
fn DatasetTable(list: Vec<DatasetInfo>, refresh: Callback<()>) -> impl IntoView {
    view! {
        <table class="data" data-testid="datasets">
            <thead><tr><th>"Dataset"</th><th>"Images"</th><th class="num">"Classes"</th><th class="num">"Train / test"</th><th>"Where"</th><th>"Preview"</th></tr></thead>
            <tbody>
                {list.into_iter().map(|d| view! { <DatasetRow dataset=d refresh/> }).collect_view()}
            </tbody>
        </table>
    }
}

#[component]
fn DatasetRow(dataset: DatasetInfo, refresh: Callback<()>) -> impl IntoView {
    let name = dataset.name.to_string();
    let place = if dataset.available {
        dataset
            .location
            .clone()
            .unwrap_or_else(|| "built in".into())
    } else {
        dataset
            .hint
            .clone()
            .unwrap_or_else(|| "not installed".into())
    };
    let preview = dataset
        .available
        .then(|| view! { <Preview name=name.clone() manifest=dataset.manifest.clone()/> });
    let remove = dataset
        .manifest
        .is_some()
        .then(|| view! { <RemoveButton name=name.clone() refresh/> });
    view! {
        <tr data-dataset=name.clone()>
            <th scope="row">{name.clone()}{remove}</th>
            <td>{format!("{}×{}×{}", dataset.channels, dataset.height, dataset.width)}</td>
            <td class="num">{dataset.classes}</td>
            <td class="num">{format!("{} / {}", dataset.train_size, dataset.test_size)}</td>
            <td class="small">{place}{dataset.manifest.as_ref().map(|m| view! { <div class="muted">{m.source.clone()}</div> })}</td>
            <td>{preview}</td>
        </tr>
    }
}

/// The preview grid, fetched only when opened, with the class of each row.
#[component]
pub fn Preview(name: String, manifest: Option<DatasetManifest>) -> impl IntoView {
    let open = RwSignal::new(false);
    let rows = manifest.map(|m| {
        let shown = m.classes.len().min(32);
        let more = m.classes.len() - shown;
        let mut text = m.classes[..shown].join(", ");
        if more > 0 {
            text.push_str(&format!(" (and {more} more classes, not shown)"));
        }
        text
    });
    let url = endpoints::dataset_preview_url(&name);
    view! {
        <details class="preview" on:toggle=move |_| open.set(true)>
            <summary>"Preview"</summary>
            {move || open.get().then(|| view! {
                <img src=url.clone() alt=format!("a few training images of {name}, one row per class")/>
            })}
            {rows.map(|r| view! { <p class="small">"Rows, top to bottom: " {r}</p> })}
        </details>
    }
}

#[component]
fn RemoveButton(name: String, refresh: Callback<()>) -> impl IntoView {
    let remove = Action::new_local(move |force: &bool| {
        let (name, force) = (name.clone(), *force);
        async move {
            let result = endpoints::remove_dataset(&name, force).await;
            if result.is_ok() {
                refresh.run(());
            }
            result
        }
    });
    let in_use = move || {
        matches!(
            remove.value().get(),
            Some(Err(ApiFailure { status: 409, .. }))
        )
    };
    view! {
        <button class="small" on:click=move |_| { remove.dispatch(false); }>"Remove"</button>
        {move || remove.value().get().and_then(|r| r.err()).map(|f| view! { <ErrorNotice failure=f/> })}
        {move || in_use().then(|| view! {
            <button class="small danger" on:click=move |_| { remove.dispatch(true); }>"Remove anyway"</button>
        })}
    }
}

/// What the upload is doing.
#[derive(Debug, Clone, PartialEq)]
enum UploadState {
    Idle,
    /// Share of the file sent.
    Sending(f64),
    Done(ApiResult<DatasetManifest>),
}

/// Upload a folder archive or `.npz` as a new dataset.
#[component]
fn AddDataset(added: Callback<()>) -> impl IntoView {
    let name = RwSignal::new(String::new());
    let resize = RwSignal::new(String::new());
    let colour = RwSignal::new(String::new());
    let file_input = NodeRef::<leptos::html::Input>::new();
    let state = RwSignal::new(UploadState::Idle);
    let send = move |_| {
        let file = match chosen_file(&file_input, "a .zip, .tar, .tar.gz or .npz file") {
            Ok(file) => file,
            Err(failure) => return state.set(UploadState::Done(Err(failure))),
        };
        let request = NewDataset {
            name: name.get_untracked().trim().to_string(),
            resize: resize.get_untracked().trim().to_string(),
            colour: colour.get_untracked(),
            filename: file.name(),
        };
        state.set(UploadState::Sending(0.0));
        leptos::task::spawn_local(async move {
            let result = endpoints::add_dataset(&request, &file, move |share| {
                state.set(UploadState::Sending(share))
            })
            .await;
            if result.is_ok() {
                added.run(());
            }
            state.set(UploadState::Done(result));
        });
    };
    let busy = move || matches!(state.get(), UploadState::Sending(_));
    let status = move || {
        match state.get() {
        UploadState::Idle => None,
        UploadState::Sending(share) if share < 1.0 => Some(view! {
            <p data-testid="upload-progress"><progress max="1" value=share></progress>{format!(" uploading: {:.0} %", share * 100.0)}</p>
        }.into_any()),
        UploadState::Sending(_) => Some(view! { <p data-testid="upload-progress">"Uploaded; decoding and converting the images…"</p> }.into_any()),
        UploadState::Done(Err(failure)) => Some(view! { <ErrorNotice failure/> }.into_any()),
        UploadState::Done(Ok(manifest)) => Some(view! { <Manifest manifest/> }.into_any()),
    }
    };
    let text = |signal: RwSignal<String>| {
        move |e: leptos::ev::Event| {
            if let Some(input) = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            {
                signal.set(input.value());
            }
        }
    };
    view! {
        <details class="add-dataset" data-testid="add-dataset">
            <summary>"Add dataset"</summary>
            <p class="small">"An image folder — " <code>"train/<class>/*.png|jpg|jpeg|bmp|webp"</code> " and optionally " <code>"test/<class>/…"</code>
                " — as a .zip, .tar or .tar.gz; or an .npz with " <code>"x_train, y_train, x_test, y_test"</code> " (and optionally " <code>"classes"</code> "). Without a test split, 20 % of the images are held out, stratified."</p>
            <div class="fields">
                <label class="field" data-field="name">"Name" <input placeholder="my-icons" prop:value=name on:input=text(name)/></label>
                <label class="field" data-field="file">"File" <input type="file" accept=".zip,.tar,.gz,.tgz,.npz" node_ref=file_input/></label>
                <label class="field" data-field="resize">"Resize to" <input placeholder="as found, e.g. 32x32" prop:value=resize on:input=text(resize)/></label>
                <label class="field" data-field="colour">"Colour"
                    <select on:change=move |e| colour.set(event_target_value(&e))>
                        <option value="">"as found"</option>
                        <option value="grey">"grey"</option>
                        <option value="rgb">"RGB"</option>
                    </select>
                </label>
            </div>
            <button on:click=send disabled=busy>"Upload and register"</button>
            {status}
        </details>
    }
}

/// A registered dataset's manifest, as the upload's answer.
#[component]
fn Manifest(manifest: DatasetManifest) -> impl IntoView {
    let counts = |per_class: &[usize]| per_class.iter().sum::<usize>();
    view! {
        <dl class="facts" data-testid="manifest">
            <dt>"Registered"</dt><dd data-fact="name">{manifest.name.to_string()}</dd>
            <dt>"Images"</dt><dd>{format!("{}×{}×{}", manifest.channels, manifest.height, manifest.width)}</dd>
            <dt>"Classes"</dt><dd data-fact="classes">{manifest.classes.join(", ")}</dd>
            <dt>"Train / test"</dt><dd data-fact="counts">{format!("{} / {}", counts(&manifest.train_per_class), counts(&manifest.test_per_class))}</dd>
            <dt>"Source"</dt><dd>{manifest.source.clone()}</dd>
            <dt>"Size"</dt><dd>{api::bytes_text(manifest.bytes as usize)}</dd>
            <dt>"Checksum"</dt><dd class="small"><code>{manifest.checksum.clone()}</code></dd>
        </dl>
    }
}
