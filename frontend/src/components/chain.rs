//! The chain drawn as a diagram: each stage a box with its model, size, status and accuracy
//! (and, for a reused stage, a link to the runs it came from), arrows labelled with how each
//! link distils, and the baseline student below.

use api::{ExperimentSpec, RunStatus, RunSummary};
use leptos::prelude::*;

use super::StatusBadge;
use crate::format;

/// One status for all seeds' runs of a stage: what needs attention first.
fn combined_status(runs: &[&RunSummary]) -> Option<RunStatus> {
    let first = runs.first()?.status;
    if runs.iter().all(|r| r.status == first) {
        return Some(first);
    }
    [
        RunStatus::Running,
        RunStatus::Failed,
        RunStatus::Interrupted,
        RunStatus::Queued,
        RunStatus::Cancelled,
    ]
    .into_iter()
    .find(|s| runs.iter().any(|r| r.status == *s))
    .or(Some(first))
}

/// A box of the diagram.
#[component]
fn StageBox(
    title: String,
    model: String,
    runs: Vec<RunSummary>,
    #[prop(optional)] baseline: bool,
    /// A link to the experiments that share this stage's model as their teacher.
    #[prop(optional_no_strip)]
    sharing: Option<String>,
) -> impl IntoView {
    let refs: Vec<&RunSummary> = runs.iter().collect();
    let status = combined_status(&refs);
    let params = runs
        .first()
        .map(|r| format::count(r.params))
        .unwrap_or_default();
    let accuracies: Vec<f64> = runs
        .iter()
        .filter_map(|r| r.val_best_test_accuracy)
        .collect();
    let accuracy = (!accuracies.is_empty())
        .then(|| format::percent(accuracies.iter().sum::<f64>() / accuracies.len() as f64));
    let stage = title.clone();
    // Where a reused stage's models came from: the earlier runs, side by side with these.
    let sources: Vec<&str> = runs
        .iter()
        .filter_map(|r| r.reused_from.as_deref())
        .collect();
    let reused = (!sources.is_empty()).then(|| {
        let ids: Vec<&str> = sources
            .iter()
            .copied()
            .chain(runs.iter().map(|r| r.id.as_str()))
            .collect();
        let text = match sources.len() {
            1 => "reused from an earlier run".to_string(),
            n => format!("reused from {n} earlier runs"),
        };
        let href = format!("/compare?runs={}", ids.join(","));
        view! { <a class="stage-reused" href=href data-testid="stage-reused">{text}</a> }
    });
    view! {
        <div class="stage-box" class:baseline=baseline data-stage=stage>
            <div class="stage-title">{title}</div>
            <div class="stage-model">{model}</div>
            <div class="stage-meta">{params}" params"</div>
            {status.map(|s| view! { <StatusBadge status=s/> })}
            {accuracy.map(|a| view! { <div class="stage-accuracy" title="test accuracy at the best validation epoch, mean over seeds">"val-best "{a}</div> })}
            {reused}
            {sharing.map(|href| view! { <a class="stage-sharing" href=href data-testid="same-teacher">"experiments with this teacher"</a> })}
        </div>
    }
}

/// The chain `teacher → … → student` with the runs' state, and the baseline if there is one;
/// unless `read_only`, the teacher links to the experiments that share it.
#[component]
pub fn ChainDiagram(
    spec: ExperimentSpec,
    runs: Vec<RunSummary>,
    #[prop(optional)] read_only: bool,
) -> impl IntoView {
    let stage_runs = |i: usize, in_chain: bool| -> Vec<RunSummary> {
        runs.iter()
            .filter(|r| r.stage_index == i && r.kind.in_chain() == in_chain)
            .cloned()
            .collect()
    };
    let last = spec.chain.len().saturating_sub(1);
    let stages = spec
        .chain
        .iter()
        .enumerate()
        .map(|(i, stage)| {
            let title = stage
                .name
                .clone()
                .unwrap_or_else(|| format!("stage {}", i + 1));
            let arrow = (i > 0).then(|| {
                view! {
                    <div class="link-arrow">
                        <span class="link-label">{format::link(&stage.link)}</span>
                        <span class="arrow">"→"</span>
                    </div>
                }
            });
            let runs = stage_runs(i, true);
            let teaches = i == 0 && last > 0 && !read_only;
            let sharing = runs
                .first()
                .filter(|_| teaches)
                .map(|r| format!("/experiments?teacher={}", r.id));
            view! {
                {arrow}
                <StageBox title=title model=format::stage_model(stage) runs=runs sharing=sharing/>
            }
        })
        .collect_view();
    let baseline = spec.baseline.then(|| {
        let model = spec.chain.last().map(format::stage_model).unwrap_or_default();
        view! {
            <div class="baseline-row">
                <span class="link-label">"same model, CE only (no teacher)"</span>
                <StageBox title="baseline".to_string() model=model runs=stage_runs(last, false) baseline=true/>
            </div>
        }
    });
    view! {
        <section class="chain" aria-label="Chain">
            <div class="chain-row">{stages}</div>
            {baseline}
        </section>
    }
}
