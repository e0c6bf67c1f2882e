//! A link's loss terms in the composer: each term's parameters from the method catalog, the
//! CTKD option of logit terms, adding and removing terms, and the link's options (the sample
//! curriculum, DOT), one switch each from the catalog.

use api::{MethodInfo, MethodPlacement};
use leptos::prelude::*;

use super::fields::ParamField;
use super::Form;
use crate::composer::{default_values, ParamValue, StageDraft, TermDraft};

/// Which parameter list of a term or link an input edits.
#[derive(Debug, Clone, PartialEq)]
enum Params {
    Term(u32),
    Ctkd(u32),
    /// A link option, by its field name.
    LinkOption(String),
}

/// The parameter list `which` of a stage.
fn params_in<'s>(stage: &'s StageDraft, which: &Params) -> Option<&'s Vec<ParamValue>> {
    let term = |uid| stage.terms.iter().find(|t| t.uid == uid);
    match which {
        Params::Term(uid) => term(*uid).map(|t| &t.params),
        Params::Ctkd(uid) => term(*uid).and_then(|t| t.ctkd.as_ref()),
        Params::LinkOption(name) => stage.options.get(name),
    }
}

/// The parameter list `which` of a stage, to edit.
fn params_in_mut<'s>(stage: &'s mut StageDraft, which: &Params) -> Option<&'s mut Vec<ParamValue>> {
    match which {
        Params::Term(uid) => stage
            .terms
            .iter_mut()
            .find(|t| t.uid == *uid)
            .map(|t| &mut t.params),
        Params::Ctkd(uid) => stage
            .terms
            .iter_mut()
            .find(|t| t.uid == *uid)
            .and_then(|t| t.ctkd.as_mut()),
        Params::LinkOption(name) => stage.options.get_mut(name),
    }
}

/// The inputs of one parameter list, against the catalog entry `method`.
fn param_fields(
    form: Form,
    stage: u32,
    which: Params,
    method: &MethodInfo,
    prefix: Signal<String>,
) -> impl IntoView {
    method
        .params
        .iter()
        .map(|info| {
            let name = info.name.clone();
            let value = Signal::derive({
                let (name, which) = (name.clone(), which.clone());
                move || {
                    form.draft
                        .with(|d| {
                            let list = params_in(d.stage(stage)?, &which)?;
                            list.iter().find(|p| p.name == name).map(|p| p.text.clone())
                        })
                        .unwrap_or_default()
                }
            });
            let set = Callback::new({
                let (name, which) = (name.clone(), which.clone());
                move |text: String| {
                    form.draft.update(|d| {
                        let Some(list) = d.stage_mut(stage).and_then(|s| params_in_mut(s, &which))
                        else {
                            return;
                        };
                        match list.iter_mut().find(|p| p.name == name) {
                            Some(p) => p.text = text,
                            None => list.push(ParamValue {
                                name: name.clone(),
                                text,
                            }),
                        }
                    })
                }
            });
            let path = Signal::derive(move || format!("{}.{}", prefix.get(), name));
            view! { <ParamField info=info.clone() path=path value=value set=set/> }
        })
        .collect_view()
}

/// One term: its method, parameters, CTKD option and a remove button.
#[component]
fn TermCard(stage: u32, term: TermDraft) -> impl IntoView {
    let form = expect_context::<Form>();
    let uid = term.uid;
    let method = form.method(&term.method);
    let ctkd = form.method("ctkd");
    let prefix = Signal::derive(move || {
        form.draft.with(|d| {
            let i = d.index_of(stage).unwrap_or(0);
            let j = d.stages[i]
                .terms
                .iter()
                .position(|t| t.uid == uid)
                .unwrap_or(0);
            format!("chain[{i}].link.terms[{j}]")
        })
    });
    let has_ctkd = Memo::new(move |_| {
        form.draft.with(|d| {
            d.stages
                .iter()
                .flat_map(|s| &s.terms)
                .any(|t| t.uid == uid && t.ctkd.is_some())
        })
    });
    let term_error = move || {
        form.error.with(|e| {
            e.as_ref()
                .filter(|e| e.field.as_deref() == Some(prefix.get().as_str()))
                .map(|e| e.message.clone())
        })
    };
    let remove = move |_| {
        form.draft.update(|d| {
            if let Some(s) = d.stage_mut(stage) {
                s.terms.retain(|t| t.uid != uid);
            }
        })
    };
    let title = method
        .as_ref()
        .map(|m| m.title.clone())
        .unwrap_or_else(|| term.method.clone());
    let takes_ctkd = method
        .as_ref()
        .is_some_and(|m| m.options.iter().any(|o| o == "ctkd"));
    let fields = method.map(|m| param_fields(form, stage, Params::Term(uid), &m, prefix));
    let ctkd_prefix = Signal::derive(move || format!("{}.ctkd", prefix.get()));
    view! {
        <div class="term" data-term=term.method.clone() data-field=prefix>
            <div class="term-head">
                <strong>{title}</strong>
                <button class="icon" title="Remove this term" on:click=remove>"✕"</button>
            </div>
            {move || term_error().map(|m| view! { <span class="field-error" role="alert">{m}</span> })}
            <div class="fields">{fields}</div>
            {takes_ctkd.then(|| view! {
                <label class="check">
                    <input type="checkbox" prop:checked=has_ctkd on:change=move |ev| {
                        let on = event_target_checked(&ev);
                        let defaults = form.method("ctkd").map(|m| default_values(&m.params));
                        form.draft.update(|d| {
                            if let Some(t) = d.stage_mut(stage).and_then(|s| s.terms.iter_mut().find(|t| t.uid == uid)) {
                                t.ctkd = if on { defaults } else { None };
                            }
                        });
                    }/>
                    "Learn the temperature (CTKD)"
                </label>
                {move || has_ctkd.get().then(|| ctkd.clone().map(|m| view! {
                    <div class="fields nested">{param_fields(form, stage, Params::Ctkd(uid), &m, ctkd_prefix)}</div>
                }))}
            })}
        </div>
    }
}

/// The link of a stage: CE weight, terms, options.
#[component]
pub fn LinkEditor(stage: u32) -> impl IntoView {
    let form = expect_context::<Form>();
    let stage_index = Memo::new(move |_| form.draft.with(|d| d.index_of(stage).unwrap_or(0)));
    let terms = Memo::new(move |_| {
        form.draft
            .with(|d| d.stage(stage).map(|s| s.terms.clone()).unwrap_or_default())
    });
    let term_ids = Memo::new(move |_| {
        terms.with(|t| {
            t.iter()
                .map(|t| (t.uid, t.method.clone()))
                .collect::<Vec<_>>()
        })
    });
    let link_options = form.methods.with_value(|all| {
        all.iter()
            .filter(|m| {
                matches!(
                    m.placement,
                    MethodPlacement::Curriculum | MethodPlacement::Trainer
                )
            })
            .cloned()
            .collect::<Vec<_>>()
    });
    let addable = move || {
        form.methods.with_value(|all| {
            all.iter()
                .filter(|m| m.placement == MethodPlacement::Term)
                .map(|m| (m.name.clone(), m.title.clone()))
                .collect::<Vec<_>>()
        })
    };
    let add_term = move |ev| {
        let name = event_target_value(&ev);
        if let Some(method) = form.method(&name) {
            form.draft.update(|d| {
                let uid = d.fresh_uid();
                if let Some(s) = d.stage_mut(stage) {
                    s.terms.push(TermDraft::with_defaults(uid, &method));
                }
            });
        }
        set_select_to_prompt(&ev);
    };
    let ce = form.method("ce");
    let ce_prefix = Signal::derive(move || format!("chain[{}].link", stage_index.get()));
    let (ce_value, ce_set) = form.stage_text(stage, |s| &s.ce_weight, |s| &mut s.ce_weight);
    view! {
        <div class="link-editor">
            <h4>"Taught by the previous stage with"</h4>
            {ce.and_then(|m| m.params.first().cloned()).map(|info| view! {
                <div class="fields">
                    <ParamField info=info path=Signal::derive(move || format!("{}.ce_weight", ce_prefix.get())) value=ce_value set=ce_set/>
                </div>
            })}
            <For each=move || term_ids.get() key=|t| t.clone() children=move |(uid, _)| {
                let term = terms.with_untracked(|t| t.iter().find(|t| t.uid == uid).cloned());
                term.map(|term| view! { <TermCard stage=stage term=term/> })
            }/>
            {move || term_ids.with(|t| t.is_empty()).then(|| view! { <p class="muted">"Cross-entropy only: no distillation on this link."</p> })}
            <label class="field add-term">
                <span class="field-label">"Add a loss term"</span>
                <select on:change=add_term data-testid="add-term">
                    <option value="">"choose a method…"</option>
                    {addable().into_iter().map(|(name, title)| view! { <option value=name>{title}</option> }).collect_view()}
                </select>
            </label>
            {link_options.into_iter().map(|method| view! { <LinkOption stage=stage method=method/> }).collect_view()}
        </div>
    }
}

/// A link option of the catalog (the sample curriculum, DOT): a switch, and its parameters
/// when on.
#[component]
fn LinkOption(stage: u32, method: MethodInfo) -> impl IntoView {
    let form = expect_context::<Form>();
    let name = method.name.clone();
    let is_on = Memo::new({
        let name = name.clone();
        move |_| {
            form.draft.with(|d| {
                d.stage(stage)
                    .is_some_and(|s| s.options.contains_key(&name))
            })
        }
    });
    let prefix = Signal::derive({
        let name = name.clone();
        move || {
            let i = form.draft.with(|d| d.index_of(stage).unwrap_or(0));
            format!("chain[{i}].link.{name}")
        }
    });
    let toggle = {
        let (name, defaults) = (name.clone(), default_values(&method.params));
        move |ev| {
            let on = event_target_checked(&ev);
            form.draft.update(|d| {
                if let Some(s) = d.stage_mut(stage) {
                    if on {
                        s.options.insert(name.clone(), defaults.clone());
                    } else {
                        s.options.remove(&name);
                    }
                }
            })
        }
    };
    let title = format!("{}: {}", method.title, method.description);
    view! {
        <label class="check" data-option=name.clone()>
            <input type="checkbox" prop:checked=is_on on:change=toggle/>
            {title}
        </label>
        {move || is_on.get().then(|| view! {
            <div class="fields nested">{param_fields(form, stage, Params::LinkOption(name.clone()), &method, prefix)}</div>
        })}
    }
}

fn set_select_to_prompt(ev: &leptos::ev::Event) {
    use wasm_bindgen::JsCast;
    if let Some(select) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlSelectElement>().ok())
    {
        select.set_value("");
    }
}
