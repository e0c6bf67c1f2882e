//! One stage of the chain in the composer: its name, its model (a preset, or the sizes of a
//! family, with the parameter count computed live by the server), its link, and buttons to
//! move or remove it.

use api::ParamCount;
use leptos::prelude::*;
use serde_json::{json, Value};

use super::fields::{SelectField, TextField};
use super::terms::LinkEditor;
use super::Form;
use crate::client::ApiFailure;
use crate::endpoints;
use crate::format;

/// The model of a stage.
#[component]
fn ArchitectureEditor(stage: u32, index: Memo<usize>) -> impl IntoView {
    let form = expect_context::<Form>();
    let path = move |rest: &'static str| {
        Signal::derive(move || format!("chain[{}].architecture{rest}", index.get()))
    };
    let (kind, set_kind) = form.stage_text(stage, |s| &s.arch.kind, |s| &mut s.arch.kind);
    let (preset, set_preset) = form.stage_text(stage, |s| &s.arch.preset, |s| &mut s.arch.preset);
    let (hidden, set_hidden) = form.stage_text(stage, |s| &s.arch.hidden, |s| &mut s.arch.hidden);
    let (channels, set_channels) =
        form.stage_text(stage, |s| &s.arch.channels, |s| &mut s.arch.channels);
    let (fc, set_fc) = form.stage_text(stage, |s| &s.arch.fc, |s| &mut s.arch.fc);
    let (depth, set_depth) = form.stage_text(stage, |s| &s.arch.depth, |s| &mut s.arch.depth);
    let (width, set_width) = form.stage_text(stage, |s| &s.arch.width, |s| &mut s.arch.width);
    let (blocks, set_blocks) = form.stage_text(stage, |s| &s.arch.blocks, |s| &mut s.arch.blocks);
    let (expansion, set_expansion) =
        form.stage_text(stage, |s| &s.arch.expansion, |s| &mut s.arch.expansion);
    let kinds = vec![
        ("preset".to_string(), "Preset".to_string()),
        ("mlp".to_string(), "MLP".to_string()),
        ("cnn".to_string(), "Plain CNN".to_string()),
        ("resnet".to_string(), "ResNet".to_string()),
        ("wrn".to_string(), "Wide ResNet".to_string()),
        ("vgg".to_string(), "VGG".to_string()),
        (
            "imagenet_resnet".to_string(),
            "ResNet, torchvision's".to_string(),
        ),
        ("mobilenetv2".to_string(), "MobileNetV2".to_string()),
        ("shufflenetv2".to_string(), "ShuffleNetV2".to_string()),
    ];
    let presets = Signal::derive(move || {
        form.presets
            .get()
            .into_iter()
            .map(|p| {
                (
                    p.name.clone(),
                    format!("{} · {}", p.name, format::count(p.params)),
                )
            })
            .collect::<Vec<_>>()
    });

    // The parameter count of what is typed, from the server (the same code that builds models).
    let request = Memo::new(move |_| {
        let arch = form
            .draft
            .with(|d| d.stage(stage).map(|s| s.arch.to_value()));
        let dataset = form.draft.with(|d| d.dataset.clone());
        json!({"architecture": arch.unwrap_or(Value::Null), "dataset": dataset})
    });
    let count = LocalResource::new(move || {
        let body = request.get();
        async move { endpoints::parameter_count(&body).await }
    });
    let count_view = move || {
        count.get().map(|r: Result<ParamCount, ApiFailure>| match r {
            Ok(c) => view! { <span class="param-count" data-testid="param-count">{format!("{} parameters", format::count(c.params))}</span> }.into_any(),
            Err(e) => view! { <span class="field-error" role="alert">{e.to_string()}</span> }.into_any(),
        })
    };
    view! {
        <div class="arch-editor">
            <h4>"Model"</h4>
            <div class="fields">
                <SelectField label="Family".to_string() path=path("") value=kind set=set_kind choices=kinds/>
                {move || match kind.get().as_str() {
                    "preset" => view! { <SelectField label="Preset".to_string() path=path(".name") value=preset set=set_preset choices=presets/> }.into_any(),
                    "mlp" => view! { <TextField label="Hidden widths".to_string() hint="comma separated, input side first".to_string() path=path(".hidden") value=hidden set=set_hidden/> }.into_any(),
                    "cnn" => view! {
                        <TextField label="Conv channels".to_string() hint="comma separated; a 2×2 pool after every second layer".to_string() path=path(".channels") value=channels set=set_channels/>
                        <TextField label="FC width".to_string() path=path(".fc") value=fc set=set_fc/>
                    }.into_any(),
                    "vgg" => view! {
                        <TextField label="Blocks".to_string() hint="each block's conv channels, blocks separated by /; a pool after the first three".to_string() path=path(".blocks") value=blocks set=set_blocks/>
                    }.into_any(),
                    "mobilenetv2" => view! {
                        <TextField label="Expansion (t)".to_string() path=path(".expansion") value=expansion set=set_expansion/>
                        <TextField label="Width ×".to_string() path=path(".width") value=width set=set_width/>
                    }.into_any(),
                    "shufflenetv2" => view! {
                        <TextField label="Size (0.2, 0.3, 0.5, 1, 1.5 or 2)".to_string() path=path(".size") value=width set=set_width/>
                    }.into_any(),
                    "imagenet_resnet" => view! {
                        <TextField label="Depth (10, 18 or 34)".to_string() path=path(".depth") value=depth set=set_depth/>
                        <TextField label="Width ×".to_string() path=path(".width") value=width set=set_width/>
                    }.into_any(),
                    "wrn" => view! {
                        <TextField label="Depth (6n+4)".to_string() path=path(".depth") value=depth set=set_depth/>
                        <TextField label="Widen factor".to_string() path=path(".widen") value=width set=set_width/>
                    }.into_any(),
                    _ => view! {
                        <TextField label="Depth (6n+2)".to_string() path=path(".depth") value=depth set=set_depth/>
                        <TextField label="Width ×".to_string() path=path(".width") value=width set=set_width/>
                    }.into_any(),
                }}
            </div>
            <Transition fallback=|| view! { <span class="param-count muted">"counting…"</span> }>{count_view}</Transition>
        </div>
    }
}

/// Where a first stage's model comes from: trained here, or an earlier succeeded run of the
/// same dataset (evaluated again on this experiment's data, not retrained).
#[component]
fn ModelSource(stage: u32) -> impl IntoView {
    let form = expect_context::<Form>();
    let (from_run, set_from_run) = form.stage_text(stage, |s| &s.from_run, |s| &mut s.from_run);
    let choices = Signal::derive(move || {
        let mut choices = vec![(String::new(), "train it in this experiment".to_string())];
        choices.extend(form.trained.get().into_iter().map(|listed| {
            let run = listed.run;
            let accuracy = run
                .val_best_test_accuracy
                .map(format::percent)
                .unwrap_or_else(|| "—".into());
            let label = format!(
                "{} · {} seed {} · {} · {accuracy}",
                listed.experiment_name,
                run.stage_name,
                run.seed,
                format::architecture(&run.architecture)
            );
            (run.id, label)
        }));
        choices
    });
    view! {
        <div class="fields" data-testid="model-source">
            <SelectField label="Use a trained model".to_string() path=Signal::derive(|| "chain[0].from_run".to_string())
                value=from_run set=set_from_run choices=choices/>
        </div>
    }
}

/// A stage card.
#[component]
pub fn StageCard(stage: u32) -> impl IntoView {
    let form = expect_context::<Form>();
    let index = Memo::new(move |_| form.draft.with(|d| d.index_of(stage).unwrap_or(0)));
    let count = Memo::new(move |_| form.draft.with(|d| d.stages.len()));
    let has_link = Memo::new(move |_| {
        form.draft.with(|d| {
            d.stage(stage)
                .is_some_and(|s| !s.terms.is_empty() || !s.options.is_empty())
        })
    });
    let role = move || {
        let (i, n) = (index.get(), count.get());
        if i == 0 {
            "teacher"
        } else if i + 1 == n {
            "student"
        } else {
            "teaching assistant"
        }
    };
    let (name, set_name) = form.stage_text(stage, |s| &s.name, |s| &mut s.name);
    let (epochs, set_epochs) = form.stage_text(stage, |s| &s.epochs, |s| &mut s.epochs);
    let imported = Memo::new(move |_| {
        index.get() == 0
            && form.draft.with(|d| {
                d.stage(stage)
                    .is_some_and(|s| !s.from_run.trim().is_empty())
            })
    });
    let stage_error = move || {
        let path = format!("chain[{}]", index.get());
        form.error.with(|e| {
            e.as_ref()
                .filter(|e| e.field.as_deref() == Some(path.as_str()))
                .map(|e| e.message.clone())
        })
    };
    view! {
        <article class="stage-card" data-stage-index=move || index.get().to_string()>
            <header>
                <span class="stage-number">{move || format!("{} · {}", index.get() + 1, role())}</span>
                <TextField label="Name".to_string() path=Signal::derive(move || format!("chain[{}].name", index.get())) value=name set=set_name placeholder="derived from the position".to_string()/>
                <div class="stage-buttons">
                    <button class="icon" title="Move towards the teacher" disabled=move || index.get() == 0
                        on:click=move |_| form.draft.update(|d| d.move_stage(stage, -1))>"↑"</button>
                    <button class="icon" title="Move towards the student" disabled=move || index.get() + 1 == count.get()
                        on:click=move |_| form.draft.update(|d| d.move_stage(stage, 1))>"↓"</button>
                    <button class="icon" title="Remove this stage" disabled=move || count.get() <= 2
                        on:click=move |_| form.draft.update(|d| d.stages.retain(|s| s.uid != stage))>"✕"</button>
                </div>
            </header>
            {move || stage_error().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
            <div class="stage-body">
                <div class="stage-model-column">
                    {move || (index.get() == 0).then(|| view! { <ModelSource stage=stage/> })}
                    {move || if imported.get() {
                        view! { <p class="muted">"The run's model, evaluated on this experiment's validation and test data."</p> }.into_any()
                    } else {
                        view! {
                            <ArchitectureEditor stage=stage index=index/>
                            <div class="fields">
                                <TextField label="Own epochs".to_string() path=Signal::derive(move || format!("chain[{}].budget.epochs", index.get()))
                                    value=epochs set=set_epochs placeholder="the experiment's".to_string()
                                    hint="train this stage longer or shorter than the rest (e.g. a teacher stronger than its student)".to_string()/>
                            </div>
                        }.into_any()
                    }}
                </div>
                // A stage moved to the front keeps its link on screen until its terms are removed
                // (the first stage has no teacher; the server would reject them).
                {move || if index.get() == 0 && !has_link.get() {
                    view! { <div class="link-editor"><h4>"Teacher"</h4><p class="muted">"Learns from the labels alone (cross-entropy)."</p></div> }.into_any()
                } else {
                    view! { <LinkEditor stage=stage/> }.into_any()
                }}
            </div>
        </article>
    }
}
