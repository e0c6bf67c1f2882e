//! The new-experiment page: a chain composer. Start from a template or a cloned experiment,
//! add, remove and reorder stages, pick models and loss terms from the server's catalogs, set
//! the data and budget, and submit; the server's field errors show next to their fields.

mod fields;
mod stage;
mod terms;

use api::{ArchitectureInfo, DatasetInfo, MethodInfo, RunListing};
use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use serde_json::Value;

use self::fields::{SelectField, TextField};
use self::stage::StageCard;
use super::datasets::Preview;
use crate::client::ApiFailure;
use crate::components::ErrorNotice;
use crate::composer::{templates, Draft, StageDraft};
use crate::endpoints;

/// What every part of the form shares.
#[derive(Clone, Copy)]
pub struct Form {
    /// The experiment being composed.
    pub draft: RwSignal<Draft>,
    /// The server's answer to the last submission, when it was an error.
    pub error: RwSignal<Option<ApiFailure>>,
    /// The method catalog (`/api/methods`).
    pub methods: StoredValue<Vec<MethodInfo>>,
    /// Architecture presets for the chosen dataset.
    pub presets: Signal<Vec<ArchitectureInfo>>,
    /// Succeeded runs on the chosen dataset: models a first stage can be taken from.
    pub trained: Signal<Vec<RunListing>>,
}

impl Form {
    /// The catalog entry of `name`.
    pub fn method(&self, name: &str) -> Option<MethodInfo> {
        self.methods
            .with_value(|all| all.iter().find(|m| m.name == name).cloned())
    }

    /// A binding of one text of the stage `uid`.
    fn stage_text(
        self,
        uid: u32,
        get: fn(&StageDraft) -> &String,
        set: fn(&mut StageDraft) -> &mut String,
    ) -> (Signal<String>, Callback<String>) {
        let draft = self.draft;
        (
            Signal::derive(move || {
                draft.with(|d| d.stage(uid).map(|s| get(s).clone()).unwrap_or_default())
            }),
            Callback::new(move |text: String| {
                draft.update(|d| {
                    if let Some(s) = d.stage_mut(uid) {
                        *set(s) = text;
                    }
                })
            }),
        )
    }

    /// A binding of one text of the draft.
    fn text(
        self,
        get: fn(&Draft) -> &String,
        set: fn(&mut Draft) -> &mut String,
    ) -> (Signal<String>, Callback<String>) {
        let draft = self.draft;
        (
            Signal::derive(move || draft.with(|d| get(d).clone())),
            Callback::new(move |text: String| draft.update(|d| *set(d) = text)),
        )
    }
}

/// `/experiments/new`, optionally `?template=KD` or `?from=<experiment id>`.
#[component]
pub fn NewExperimentPage() -> impl IntoView {
    let methods = LocalResource::new(endpoints::methods);
    let datasets = LocalResource::new(endpoints::datasets);
    move || {
        match (methods.get(), datasets.get()) {
        (Some(Ok(methods)), Some(Ok(datasets))) => view! { <Composer methods=methods datasets=datasets/> }.into_any(),
        (Some(Err(f)), _) | (_, Some(Err(f))) => view! { <section class="page"><ErrorNotice failure=f/></section> }.into_any(),
        _ => view! { <section class="page"><p class="loading">"Loading the method catalog…"</p></section> }.into_any(),
    }
    }
}

/// The composer once the catalogs are known.
#[component]
fn Composer(methods: Vec<MethodInfo>, datasets: Vec<DatasetInfo>) -> impl IntoView {
    let query = use_query_map();
    let all_templates = templates();
    let start = query
        .with_untracked(|q| q.get("template"))
        .and_then(|name| all_templates.iter().find(|t| t.name == name).cloned());
    let draft = RwSignal::new(Draft::from_spec(
        &start.unwrap_or_else(|| all_templates[0].clone()).spec,
    ));
    let error = RwSignal::new(None::<ApiFailure>);
    let (presets, trained) = models_for_dataset(draft);
    let form = Form {
        draft,
        error,
        methods: StoredValue::new(methods),
        presets,
        trained,
    };
    provide_context(form);
    if let Some(from) = query.with_untracked(|q| q.get("from")) {
        clone_experiment(from, form);
    }
    let submit = submit_action(error);
    let stage_ids =
        Memo::new(move |_| draft.with(|d| d.stages.iter().map(|s| s.uid).collect::<Vec<_>>()));
    view! {
        <section class="page composer">
            <h1>"New experiment"</h1>
            <Templates form/>
            {move || error.get().map(|f| view! { <ErrorNotice failure=f/> })}
            <DataFields form datasets/>
            <h2>"Chain"</h2>
            <div class="stages">
                <For each=move || stage_ids.get() key=|uid| *uid children=move |uid| view! { <StageCard stage=uid/> }/>
            </div>
            <button on:click=move |_| draft.update(Draft::add_stage)>"+ Add a teaching assistant"</button>
            <h2>"Budget"</h2>
            <BudgetFields form/>
            <details class="spec-preview">
                <summary>"The spec this submits (POST /api/experiments)"</summary>
                <pre>{move || serde_json::to_string_pretty(&draft.with(Draft::to_json)).unwrap_or_default()}</pre>
            </details>
            <div class="actions">
                <button class="primary" data-testid="submit" disabled=move || submit.pending().get()
                    on:click=move |_| { error.set(None); submit.dispatch(draft.with_untracked(Draft::to_json)); }>
                    {move || if submit.pending().get() { "Submitting…" } else { "Run experiment" }}
                </button>
            </div>
        </section>
    }
}

/// The architecture presets and the trained runs of the draft's dataset, refetched when it
/// changes (empty while loading or on failure).
fn models_for_dataset(
    draft: RwSignal<Draft>,
) -> (Signal<Vec<ArchitectureInfo>>, Signal<Vec<RunListing>>) {
    let dataset = Memo::new(move |_| draft.with(|d| d.dataset.clone()));
    let presets = LocalResource::new(move || {
        let dataset = dataset.get();
        async move { endpoints::architectures(&dataset).await }
    });
    let trained = LocalResource::new(move || {
        let dataset = dataset.get();
        async move { endpoints::trained_runs(&dataset).await }
    });
    (
        Signal::derive(move || presets.get().and_then(Result::ok).unwrap_or_default()),
        Signal::derive(move || trained.get().and_then(Result::ok).unwrap_or_default()),
    )
}

/// Replaces the draft with a copy of experiment `id` (`?from=`), named "… (copy)".
fn clone_experiment(id: String, form: Form) {
    leptos::task::spawn_local(async move {
        match endpoints::experiment(&id).await {
            Ok(detail) => {
                let mut copy = Draft::from_spec(&detail.spec);
                copy.name = format!("{} (copy)", detail.summary.name);
                form.draft.set(copy);
            }
            Err(f) => form.error.set(Some(f)),
        }
    });
}

/// Submits a spec; opens the new experiment, or puts the server's error in `error`.
fn submit_action(
    error: RwSignal<Option<ApiFailure>>,
) -> Action<Value, Result<api::ExperimentDetail, ApiFailure>> {
    let navigate = use_navigate();
    let submit = Action::new_local(|spec: &Value| {
        let spec = spec.clone();
        async move { endpoints::submit_experiment(&spec).await }
    });
    Effect::new(move || match submit.value().get() {
        Some(Ok(detail)) => navigate(
            &format!("/experiments/{}", detail.summary.id),
            Default::default(),
        ),
        Some(Err(f)) => error.set(Some(f)),
        None => {}
    });
    submit
}

/// One button per template; a click replaces the draft.
#[component]
fn Templates(form: Form) -> impl IntoView {
    let buttons = templates()
        .into_iter()
        .map(|t| {
            let spec = t.spec.clone();
            view! {
                <button class="template" title=t.description on:click=move |_| { form.error.set(None); form.draft.set(Draft::from_spec(&spec)); }>{t.name}</button>
            }
        })
        .collect_view();
    view! { <div class="templates"><span class="muted">"Start from "</span>{buttons}</div> }
}

/// A check that a text is empty or a whole number.
fn whole_number() -> Callback<String, Option<String>> {
    Callback::new(|text: String| {
        let t = text.trim();
        (!t.is_empty() && t.parse::<u64>().is_err()).then(|| "a whole number is needed".to_string())
    })
}

/// The experiment's name and data: dataset, subsets and validation split, with the install
/// hint of a dataset that is not there.
#[component]
fn DataFields(form: Form, datasets: Vec<DatasetInfo>) -> impl IntoView {
    let (name, set_name) = form.text(|d| &d.name, |d| &mut d.name);
    let (dataset, set_dataset) = form.text(|d| &d.dataset, |d| &mut d.dataset);
    let (train_subset, set_train_subset) = form.text(|d| &d.train_subset, |d| &mut d.train_subset);
    let (test_subset, set_test_subset) = form.text(|d| &d.test_subset, |d| &mut d.test_subset);
    let (validation, set_validation) = form.text(|d| &d.validation, |d| &mut d.validation);
    let choices: Vec<(String, String)> = datasets
        .iter()
        .map(|d| {
            let note = if d.available {
                ""
            } else {
                " — not installed"
            };
            (
                d.name.as_str().to_string(),
                format!("{} · {} classes{note}", d.name, d.classes),
            )
        })
        .collect();
    let preview_of = datasets.clone();
    let hint = move || {
        let chosen = dataset.get();
        datasets
            .iter()
            .find(|d| d.name.as_str() == chosen && !d.available)
            .and_then(|d| d.hint.clone())
    };
    // A look at the chosen dataset: shape, classes and its preview grid.
    let preview = move || {
        let chosen = dataset.get();
        preview_of
            .iter()
            .find(|d| d.name.as_str() == chosen && d.available)
            .map(|d| {
                let facts = format!(
                    "{}×{}×{} images, {} classes, {} train / {} test",
                    d.channels, d.height, d.width, d.classes, d.train_size, d.test_size
                );
                view! {
                    <div class="dataset-look" data-testid="dataset-look">
                        <span class="small">{facts}</span>
                        <Preview name=d.name.to_string() manifest=d.manifest.clone()/>
                    </div>
                }
            })
    };
    view! {
        <div class="fields wide">
            <TextField label="Name".to_string() path="name" value=name set=set_name placeholder="derived from the chain".to_string()/>
            <SelectField label="Dataset".to_string() path="dataset.name" value=dataset set=set_dataset choices/>
            <TextField label="Train on first N".to_string() path="dataset.train_subset" value=train_subset set=set_train_subset placeholder="all".to_string() check=whole_number()/>
            <TextField label="Test on first N".to_string() path="dataset.test_subset" value=test_subset set=set_test_subset placeholder="all".to_string() check=whole_number()/>
            <TextField label="Validation samples".to_string() path="dataset.validation" value=validation set=set_validation placeholder="10 % of training".to_string()
                hint="held out from the training samples (stratified, the same for every run); each run reports its model at the epoch with the best validation accuracy".to_string() check=whole_number()/>
        </div>
        {move || hint().map(|h| view! { <div class="notice warn">{h}</div> })}
        {preview}
    }
}

/// The experiment's budget, seeds and baseline switch.
#[component]
fn BudgetFields(form: Form) -> impl IntoView {
    let draft = form.draft;
    let (epochs, set_epochs) = form.text(|d| &d.epochs, |d| &mut d.epochs);
    let (batch_size, set_batch_size) = form.text(|d| &d.batch_size, |d| &mut d.batch_size);
    let (samples, set_samples) = form.text(|d| &d.samples, |d| &mut d.samples);
    let (optimizer, _) = form.text(|d| &d.optimizer, |d| &mut d.optimizer);
    // Another optimizer has other extra settings and another default rate.
    let set_optimizer = Callback::new(move |kind: String| {
        draft.update(|d| {
            if d.optimizer != kind {
                d.optimizer = kind;
                d.optimizer_extra.clear();
                d.lr.clear();
            }
        })
    });
    let (lr, set_lr) = form.text(|d| &d.lr, |d| &mut d.lr);
    let (seeds, set_seeds) = form.text(|d| &d.seeds, |d| &mut d.seeds);
    let optimizers = vec![
        ("adam".to_string(), "Adam".to_string()),
        ("sgd".to_string(), "SGD (momentum)".to_string()),
    ];
    view! {
        <div class="fields wide">
            <TextField label="Epochs".to_string() path="budget.epochs" value=epochs set=set_epochs check=whole_number()/>
            <TextField label="Batch size".to_string() path="budget.batch_size" value=batch_size set=set_batch_size check=whole_number()/>
            <TextField label="Labelled samples".to_string() path="budget.samples" value=samples set=set_samples placeholder="all".to_string()
                hint="each run trains on the first N training samples; a stage's own budget can give its teacher more".to_string() check=whole_number()/>
            <SelectField label="Optimizer".to_string() path="budget.optimizer.kind" value=optimizer set=set_optimizer choices=optimizers/>
            <TextField label="Learning rate".to_string() path="budget.optimizer.lr" value=lr set=set_lr placeholder="the optimizer's default".to_string()/>
            <TextField label="Seeds".to_string() path="seeds" value=seeds set=set_seeds hint="comma separated: every stage trains once per seed".to_string()/>
            <label class="check">
                <input type="checkbox" data-testid="baseline" prop:checked=move || draft.with(|d| d.baseline)
                    on:change=move |ev| draft.update(|d| d.baseline = event_target_checked(&ev))/>
                "Train a baseline student (same model, cross-entropy only)"
            </label>
        </div>
    }
}
