//! The compare page: runs side by side — curves on shared epoch buckets (one line per model
//! with its seeds' band, or every run), accuracy
//! against latency and size with the Pareto front, and deltas against each run's teacher and
//! baseline student. The shared view shows the same [`ComparisonView`] read-only.

use api::{Comparison, ShareLink};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::use_query_map;

use crate::charts::{charts, color, ChartSpec, LabelledCurves, LabelledModel, Spread};
use crate::client::ApiFailure;
use crate::components::{
    chart_grid, CurveTools, ErrorNotice, Loading, ScatterChart, ScatterPoint, ShareLinkBox,
};
use crate::endpoints;
use crate::format;

/// `/compare?runs=a,b,c`.
#[component]
pub fn ComparePage() -> impl IntoView {
    let query = use_query_map();
    let runs = move || query.with(|q| q.get("runs").unwrap_or_default());
    let comparison = LocalResource::new(move || {
        let runs = runs();
        async move { endpoints::compare(&runs).await }
    });
    view! {
        <section class="page">
            <h1>"Compare runs"</h1>
            <Suspense fallback=Loading>
                {move || comparison.get().map(|result| match result {
                    Ok(c) => view! { <ComparisonView comparison=c read_only=false/> }.into_any(),
                    Err(f) => view! { <ErrorNotice failure=f/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// A comparison: share action (unless read-only), table, model gains, scatter plots and
/// overlaid curves.
#[component]
pub fn ComparisonView(comparison: Comparison, read_only: bool) -> impl IntoView {
    let run_ids: Vec<String> = comparison.rows.iter().map(|r| r.run.id.clone()).collect();
    let (models, gains) = (comparison.models.clone(), comparison.gains.clone());
    view! {
        {(!read_only).then(|| view! { <ShareComparison runs=run_ids/> })}
        <ComparedRunsTable rows=comparison.rows.clone() read_only/>
        <ModelGains models gains/>
        <CostCharts rows=comparison.rows.clone()/>
        <h2>"Curves"</h2>
        <ComparedCurves comparison/>
    }
}

/// How a compared run is named in legends: `experiment · stage · seed n`.
fn run_label(row: &api::ComparedRun) -> String {
    format!(
        "{} · {} · seed {}",
        row.experiment_name, row.run.stage_name, row.run.seed
    )
}

/// One row per compared run: its model, accuracy, deltas to its teacher and baseline, size,
/// latency and Pareto membership.
#[component]
fn ComparedRunsTable(rows: Vec<api::ComparedRun>, read_only: bool) -> impl IntoView {
    let delta = |d: Option<f64>| {
        let class = format!("num {}", format::sign_class(d));
        view! { <td class=class>{d.map(format::points).unwrap_or_else(|| "—".into())}</td> }
    };
    let dash = || "—".to_string();
    let body = rows
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let m = row.run.measurements.clone();
            let experiment_name = row.experiment_name.clone();
            let name = if read_only {
                view! { <span>{experiment_name}</span> }.into_any()
            } else {
                view! { <A href=format!("/experiments/{}", row.run.experiment_id)>{experiment_name}</A> }.into_any()
            };
            let pareto = [(row.pareto_latency, "latency"), (row.pareto_size, "size")]
                .into_iter()
                .filter(|(on, _)| *on)
                .map(|(_, what)| view! { <span class="pareto-tag">{what}</span> })
                .collect_view();
            view! {
                <tr data-run=row.run.id.clone()>
                    <th scope="row"><span class="dot" style=format!("background:{}", color(i))></span>{format!("{} · seed {}", row.run.stage_name, row.run.seed)}</th>
                    <td>{name}</td>
                    <td>{format::architecture(&row.run.architecture)}</td>
                    <td class="num">{m.as_ref().map(|m| format::percent(m.top1())).unwrap_or_else(dash)}</td>
                    {delta(row.delta_vs_teacher)}
                    {delta(row.delta_vs_baseline)}
                    <td class="num">{format::count(row.run.params)}</td>
                    <td class="num">{m.as_ref().map(|m| format::bytes(m.bytes)).unwrap_or_else(dash)}</td>
                    <td class="num">{m.as_ref().map(|m| format!("{} / {}", format::millis(m.latency_p50_ms), format::millis(m.latency_p95_ms))).unwrap_or_else(dash)}</td>
                    <td>{pareto}</td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="data compare">
            <thead>
                <tr>
                    <th>"Run"</th><th>"Experiment"</th><th>"Model"</th>
                    <th class="num" title="Top-1 test accuracy of the model at its best validation epoch">"Top-1 (val-best)"</th>
                    <th class="num" title="Top-1 minus its experiment's teacher (same seed): one seed, no interval">"vs teacher"</th>
                    <th class="num" title="Top-1 minus its experiment's CE-only baseline student (same seed): one seed, no interval">"vs baseline"</th>
                    <th class="num">"Params"</th><th class="num">"Size"</th>
                    <th class="num" title="Batch-1 inference latency">"Latency p50 / p95"</th><th>"Pareto"</th>
                </tr>
            </thead>
            <tbody>{body}</tbody>
        </table>
    }
}

/// Accuracy against latency and against size, the Pareto fronts marked.
#[component]
fn CostCharts(rows: Vec<api::ComparedRun>) -> impl IntoView {
    let scatter = |cost: fn(&api::ModelMeasurements) -> f64,
                   pareto: fn(&api::ComparedRun) -> bool| {
        rows.iter()
            .enumerate()
            .filter_map(|(i, row)| {
                let m = row.run.measurements.as_ref()?;
                Some(ScatterPoint {
                    label: run_label(row),
                    color: color(i),
                    x: cost(m),
                    y: m.top1(),
                    pareto: pareto(row),
                })
            })
            .collect::<Vec<_>>()
    };
    let latency = scatter(|m| m.latency_p50_ms, |r| r.pareto_latency);
    let size = scatter(|m| m.bytes as f64, |r| r.pareto_size);
    view! {
        <div class="charts">
            {(!latency.is_empty()).then(|| view! { <ScatterChart title="Accuracy vs latency".to_string() x_title="batch-1 latency p50, ms (log)".to_string() points=latency/> })}
            {(!size.is_empty()).then(|| view! { <ScatterChart title="Accuracy vs size".to_string() x_title="model size, bytes (log)".to_string() points=size/> })}
        </div>
    }
}

/// The compared curves on shared epoch buckets, one chart per metric: by default one line per
/// model (one stage of one experiment, the mean over its compared seeds) with a band for their
/// spread; on request every run as its own line.
#[component]
fn ComparedCurves(comparison: Comparison) -> impl IntoView {
    let each_seed = RwSignal::new(false);
    let spread = RwSignal::new(Spread::Range);
    let comparison = StoredValue::new(comparison);
    let charts_shown = move || {
        comparison.with_value(|comparison| {
            if each_seed.get() {
                run_charts(comparison)
            } else {
                model_charts(comparison, spread.get())
            }
        })
    };
    view! {
        <CurveTools each_seed=each_seed spread=spread/>
        {move || chart_grid(charts_shown())}
    }
}

/// One line per compared run.
fn run_charts(comparison: &Comparison) -> Vec<ChartSpec> {
    let labelled: Vec<LabelledCurves> = comparison
        .curves
        .iter()
        .filter_map(|curves| {
            let i = comparison
                .rows
                .iter()
                .position(|r| r.run.id == curves.run_id)?;
            Some(LabelledCurves {
                label: run_label(&comparison.rows[i]),
                color: color(i),
                curves,
                live_loss: &[],
            })
        })
        .collect();
    charts(&labelled)
}

/// One line per compared model, labelled with its experiment's short name and its stage.
fn model_charts(comparison: &Comparison, spread: Spread) -> Vec<ChartSpec> {
    let labelled: Vec<LabelledModel> = comparison
        .models
        .iter()
        .enumerate()
        .map(|(i, model)| {
            let label = format!(
                "{} · {}",
                format::short(&model.experiment_name, 24),
                model.label
            );
            LabelledModel::new(label, color(i), &model.curves, spread)
        })
        .collect();
    charts(&labelled)
}

/// The compared runs as models over their seeds, and each model against each other one,
/// paired by seed with a 95 % interval.
#[component]
fn ModelGains(models: Vec<api::ComparedModel>, gains: Vec<api::ModelGain>) -> impl IntoView {
    if gains.is_empty() {
        return None;
    }
    let name = |m: &api::ComparedModel| format!("{} · {}", m.experiment_name, m.label);
    let rows = gains
        .into_iter()
        .map(|g| {
            let (a, b) = (&models[g.model], &models[g.over]);
            let class = format!("num {}", format::gain_class(Some(&g.gain)));
            view! {
                <tr data-gain=format!("{}-{}", g.model, g.over)>
                    <th scope="row">{name(a)}</th>
                    <td>{name(b)}</td>
                    <td class="num">{a.top1.map(|e| format::percent_mean_std(e.mean, e.std, e.n)).unwrap_or_else(|| "—".into())}</td>
                    <td class="num">{b.top1.map(|e| format::percent_mean_std(e.mean, e.std, e.n)).unwrap_or_else(|| "—".into())}</td>
                    <td class=class>{format::gain(&g.gain)}</td>
                    <td class="num">{g.gain.n}</td>
                </tr>
            }
        })
        .collect_view();
    Some(view! {
        <h2>"Models, paired by seed"</h2>
        <table class="data gains">
            <thead>
                <tr>
                    <th>"Model"</th><th>"over"</th>
                    <th class="num" title="The model's top-1 test accuracy at its runs' best validation epochs, mean ± std over seeds">"Model top-1 (val-best)"</th>
                    <th class="num" title="The same for the model it is compared with">"Over top-1 (val-best)"</th>
                    <th class="num" title="Mean of the per-seed differences [95 % confidence interval, Student's t]; coloured when it excludes 0">"Gain (paired)"</th>
                    <th class="num">"Seeds"</th>
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    })
}

/// Creates a read-only link to this comparison.
#[component]
fn ShareComparison(runs: Vec<String>) -> impl IntoView {
    let share = Action::new_local(move |runs: &Vec<String>| {
        let runs = runs.clone();
        async move { endpoints::share_comparison(runs).await }
    });
    let result = move || {
        share
            .value()
            .get()
            .map(|r: Result<ShareLink, ApiFailure>| match r {
                Ok(link) => view! { <ShareLinkBox link=link/> }.into_any(),
                Err(f) => view! { <ErrorNotice failure=f/> }.into_any(),
            })
    };
    view! {
        <div class="actions">
            <button on:click=move |_| { share.dispatch(runs.clone()); }>"Share comparison"</button>
        </div>
        {result}
    }
}
