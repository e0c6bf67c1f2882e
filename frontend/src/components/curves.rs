//! Curves fetched from the server (downsampled there) and refetched whenever `version` changes
//! — the experiment page bumps it on every finished epoch: an experiment's models, each the
//! mean over its seeds with a band for their spread; or some runs one by one, with the batch
//! losses heard live since the fetch drawn after the stored training loss.

use api::RunCurves;
use leptos::prelude::*;

use super::{ErrorNotice, LineChart};
use crate::charts::{charts, color, ChartSpec, LabelledCurves, LabelledModel, Spread};
use crate::client::ApiResult;
use crate::endpoints;
use crate::live_loss::LiveLoss;

/// Buckets per curve: enough for a smooth line at the charts' width.
const MAX_POINTS: usize = 300;

/// A run to draw, with its legend label and colour.
#[derive(Debug, Clone, PartialEq)]
pub struct CurveRun {
    /// The run's id.
    pub id: String,
    /// Legend label.
    pub label: String,
    /// Colour.
    pub color: &'static str,
}

/// Every chart of `runs`, live.
#[component]
pub fn CurvesPanel(
    runs: Signal<Vec<CurveRun>>,
    version: Signal<u64>,
    #[prop(optional_no_strip)] live_loss: Option<Signal<LiveLoss>>,
    /// The share link the page is opened through: curves are read through it (no login).
    #[prop(optional_no_strip)]
    share: Option<String>,
) -> impl IntoView {
    let fetched = LocalResource::new(move || {
        let runs = runs.get();
        version.track();
        let share = share.clone();
        async move {
            let mut all = Vec::with_capacity(runs.len());
            for run in runs {
                let curves: ApiResult<RunCurves> =
                    endpoints::run_curves(share.as_deref(), &run.id, MAX_POINTS).await;
                all.push((run, curves?));
            }
            ApiResult::Ok(all)
        }
    });
    let shown = last_fetched(fetched);
    move || match shown.get() {
        None => view! { <p class="loading">"Loading curves…"</p> }.into_any(),
        Some(Err(failure)) => view! { <ErrorNotice failure=failure/> }.into_any(),
        Some(Ok(all)) => {
            let live = live_loss.map(|l| l.get()).unwrap_or_default();
            let labelled: Vec<LabelledCurves> = all
                .iter()
                .map(|(run, curves)| LabelledCurves {
                    label: run.label.clone(),
                    color: run.color,
                    curves,
                    live_loss: live.of(&run.id),
                })
                .collect();
            chart_grid(charts(&labelled))
        }
    }
}

/// Every chart of experiment `experiment`'s models, each line the mean over the model's seeds
/// with a band spanning `spread`.
#[component]
pub fn ModelCurvesPanel(
    experiment: String,
    version: Signal<u64>,
    spread: Signal<Spread>,
    /// The share link the page is opened through: curves are read through it (no login).
    #[prop(optional_no_strip)]
    share: Option<String>,
) -> impl IntoView {
    let fetched = LocalResource::new(move || {
        version.track();
        let (share, experiment) = (share.clone(), experiment.clone());
        async move { endpoints::experiment_curves(share.as_deref(), &experiment, MAX_POINTS).await }
    });
    let shown = last_fetched(fetched);
    move || match shown.get() {
        None => view! { <p class="loading">"Loading curves…"</p> }.into_any(),
        Some(Err(failure)) => view! { <ErrorNotice failure=failure/> }.into_any(),
        Some(Ok(all)) => {
            let labelled: Vec<LabelledModel> = all
                .models
                .iter()
                .enumerate()
                .map(|(i, model)| {
                    LabelledModel::new(model.label.clone(), color(i), &model.curves, spread.get())
                })
                .collect();
            chart_grid(charts(&labelled))
        }
    }
}

/// The switches of a set of curves: every seed as its own line (or one line per model), and
/// what a model's band spans.
#[component]
pub fn CurveTools(each_seed: RwSignal<bool>, spread: RwSignal<Spread>) -> impl IntoView {
    view! {
        <div class="curves-tools">
            <label class="check">
                <input type="checkbox" data-testid="each-seed" prop:checked=each_seed
                    on:change=move |ev| each_seed.set(event_target_checked(&ev))/>
                "Each seed as its own line"
            </label>
            <label class:hidden=move || each_seed.get()>
                "Band: "
                <select data-testid="band" on:change=move |ev| {
                    spread.set(if event_target_value(&ev) == "std" { Spread::Std } else { Spread::Range })
                }>
                    <option value="range">"lowest to highest seed"</option>
                    <option value="std">"±1 standard deviation"</option>
                </select>
            </label>
        </div>
    }
}

/// The charts side by side, or a note while there are none.
pub fn chart_grid(specs: Vec<ChartSpec>) -> AnyView {
    if specs.is_empty() {
        return view! { <p class="muted">"No curves yet: they appear when the first epoch ends."</p> }.into_any();
    }
    view! {
        <div class="charts">
            {specs.into_iter().map(|spec| view! { <LineChart spec=spec/> }).collect_view()}
        </div>
    }
    .into_any()
}

/// What `fetched` last answered: the last curves stay on screen while the next fetch runs.
fn last_fetched<T: Clone + Send + Sync + 'static>(
    fetched: LocalResource<T>,
) -> RwSignal<Option<T>> {
    let shown = RwSignal::new(None);
    Effect::new(move || {
        if let Some(result) = fetched.get() {
            shown.set(Some(result));
        }
    });
    shown
}
