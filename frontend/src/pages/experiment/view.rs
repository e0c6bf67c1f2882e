//! An experiment as the page shows it: header, chain diagram, progress, runs, results and
//! curves, each part updating in place as the experiment changes.

use api::{ExperimentDetail, ExperimentSpec, ExperimentSummary, ModelSummary, RunKind, RunSummary};
use leptos::prelude::*;

use super::actions::Actions;
use super::notes::Notes;
use super::runs::RunsTable;
use crate::charts::{color, Spread};
use crate::components::{
    ChainDiagram, CurveRun, CurveTools, CurvesPanel, ModelCurvesPanel, ModelsTable, ProgressBar,
    StatusBadge,
};
use crate::format;
use crate::live_loss::LiveLoss;

/// The legend label of a run: its stage name, with the seed when there are several.
pub fn run_label(run: &RunSummary, seeds: usize) -> String {
    let name = match run.kind {
        RunKind::Stage | RunKind::Imported => run.stage_name.clone(),
        RunKind::Baseline => "baseline".into(),
    };
    if seeds > 1 {
        format!("{name} · seed {}", run.seed)
    } else {
        name
    }
}

/// The whole experiment. `read_only` hides every action (shared views, whose `share` token
/// reads the curves); `live_loss` is what a followed experiment heard of batch losses since its
/// curves were fetched.
#[component]
pub fn ExperimentView(
    detail: Signal<Option<ExperimentDetail>>,
    curves_version: Signal<u64>,
    read_only: bool,
    #[prop(optional)] live_loss: Option<Signal<LiveLoss>>,
    #[prop(optional)] share: Option<String>,
) -> impl IntoView {
    let summary = Memo::new(move |_| detail.with(|d| d.as_ref().map(|d| d.summary.clone())));
    let experiment_id = Memo::new(move |_| summary.with(|s| s.as_ref().map(|s| s.id.clone())));
    let spec = Memo::new(move |_| detail.with(|d| d.as_ref().map(|d| d.spec.clone())));
    let models = Memo::new(move |_| {
        detail.with(|d| d.as_ref().map(|d| d.models.clone()).unwrap_or_default())
    });
    let warnings = Memo::new(move |_| {
        detail.with(|d| d.as_ref().map(|d| d.warnings.clone()).unwrap_or_default())
    });
    let runs =
        Memo::new(move |_| detail.with(|d| d.as_ref().map(|d| d.runs.clone()).unwrap_or_default()));
    let curve_runs = Memo::new(move |_| {
        let seeds = spec.with(|s| s.as_ref().map_or(1, |s| s.seeds.len()));
        runs.with(|runs| {
            runs.iter()
                .enumerate()
                .map(|(i, r)| CurveRun {
                    id: r.id.clone(),
                    label: run_label(r, seeds),
                    color: color(i),
                })
                .collect::<Vec<_>>()
        })
    });

    view! {
        <section class="page experiment">
            {move || summary.get().map(|s| view! { <Header summary=s/> })}
            // Drawn once per experiment, not on every event, so that an edit in progress stays.
            {move || experiment_id.get().and_then(|_| summary.get_untracked()).map(|s| view! {
                <Notes summary=s read_only=read_only/>
            })}
            {(!read_only).then(|| view! { <Actions detail=detail/> })}
            {move || {
                let w = warnings.get();
                (!w.is_empty()).then(|| view! {
                    <div class="notice warn">{w.into_iter().map(|w| view! { <p>{w}</p> }).collect_view()}</div>
                })
            }}
            {move || spec.get().map(|spec: ExperimentSpec| view! { <ChainDiagram spec=spec runs=runs.get() read_only=read_only/> })}
            <h2>"Runs"</h2>
            <RunsTable runs=runs.into() seeds=Signal::derive(move || spec.with(|s| s.as_ref().map_or(1, |s| s.seeds.len()))) read_only=read_only/>
            {move || {
                let models: Vec<ModelSummary> = models.get();
                (!models.is_empty()).then(|| view! {
                    <h2>"Results"</h2>
                    <ModelsTable models=models/>
                })
            }}
            <h2>"Curves"</h2>
            <Curves summary=summary.into() curve_runs=curve_runs.into() version=curves_version live_loss=live_loss share=share/>
        </section>
    }
}

/// The curves of the experiment: by default one line per model (the mean over its seeds) with
/// a band for the seeds' spread; on request every run as its own line.
#[component]
fn Curves(
    summary: Signal<Option<ExperimentSummary>>,
    curve_runs: Signal<Vec<CurveRun>>,
    version: Signal<u64>,
    live_loss: Option<Signal<LiveLoss>>,
    share: Option<String>,
) -> impl IntoView {
    let each_seed = RwSignal::new(false);
    let spread = RwSignal::new(Spread::Range);
    let experiment = Memo::new(move |_| summary.with(|s| s.as_ref().map(|s| s.id.clone())));
    let panel = move || {
        let share = share.clone();
        if each_seed.get() {
            view! { <CurvesPanel runs=curve_runs version=version live_loss=live_loss share=share/> }
                .into_any()
        } else {
            experiment.get().map(|id| view! {
                <ModelCurvesPanel experiment=id version=version spread=spread.into() share=share/>
            }).into_any()
        }
    };
    view! {
        <CurveTools each_seed=each_seed spread=spread/>
        {panel}
    }
}

/// Name, status, dataset, overall progress and timing.
#[component]
fn Header(summary: ExperimentSummary) -> impl IntoView {
    let fraction = if summary.runs_total == 0 {
        0.0
    } else {
        summary.runs_done as f64 / summary.runs_total as f64
    };
    let elapsed = summary.started_at.map(|start| {
        let end = summary
            .finished_at
            .unwrap_or_else(|| js_sys::Date::now() as i64);
        format::duration((end - start) as f64 / 1000.0)
    });
    view! {
        <div class="page-head">
            <h1 data-testid="experiment-name">{summary.name.clone()}</h1>
            <StatusBadge status=summary.status/>
        </div>
        <p class="meta">
            {summary.dataset.to_string()}
            " · created "{format::timestamp(summary.created_at)}" UTC"
            {elapsed.map(|e| format!(" · {e}"))}
            {summary.student_accuracy.map(|a| format!(" · student {}", format::percent(a)))}
            {summary.gain.as_ref().map(|g| format!(" ({} vs baseline, paired)", format::gain(g)))}
        </p>
        <ProgressBar fraction=fraction caption=format!("{} of {} runs ended", summary.runs_done, summary.runs_total)/>
    }
}
