//! A sweep's trials drawn: parallel coordinates (one axis per dimension, then validation
//! accuracy; each trial a line coloured by its accuracy) and one scatter per dimension (value
//! against validation accuracy). Names on a choice axis are spaced evenly in order of first use.

use api::{Dimension, SweepView};
use leptos::prelude::*;

use super::detail::value_text;
use crate::plot::{Axis, Scale};

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 280.0;
const MARGIN: f64 = 36.0;

/// Where a dimension's values sit on a number line: the numbers themselves, or the position of
/// each name among the names used.
struct Coordinates {
    numbers: Vec<Option<f64>>,
    names: Vec<String>,
    scale: Scale,
}

fn coordinates(sweep: &SweepView, dimension: usize) -> Coordinates {
    let mut names: Vec<String> = Vec::new();
    let numbers = sweep
        .trials
        .iter()
        .map(|t| {
            let value = &t.values[dimension];
            value.as_f64().or_else(|| {
                let name = value_text(value);
                let at = names.iter().position(|n| *n == name).unwrap_or_else(|| {
                    names.push(name);
                    names.len() - 1
                });
                Some(at as f64)
            })
        })
        .collect();
    let log = matches!(
        sweep.spec.space.get(&sweep.dimensions[dimension]),
        Some(Dimension::LogUniform(_))
    );
    Coordinates {
        numbers,
        names,
        scale: if log { Scale::Log } else { Scale::Linear },
    }
}

/// `hsl(…)` from light (worst accuracy among the trials) to dark blue (best).
fn colour(accuracy: Option<f64>, low: f64, high: f64) -> String {
    match accuracy {
        None => "#bbb".into(),
        Some(a) => {
            let t = if high > low {
                (a - low) / (high - low)
            } else {
                1.0
            };
            format!("hsl(215, 70%, {:.0}%)", 78.0 - 48.0 * t)
        }
    }
}

fn accuracy_range(sweep: &SweepView) -> (f64, f64) {
    sweep
        .trials
        .iter()
        .filter_map(|t| t.val_accuracy)
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), a| {
            (lo.min(a), hi.max(a))
        })
}

/// One axis per dimension plus validation accuracy; a line per trial.
#[component]
pub fn ParallelCoordinates(sweep: SweepView) -> impl IntoView {
    let dims = sweep.dimensions.len();
    let x = |axis: usize| MARGIN + axis as f64 * (WIDTH - 2.0 * MARGIN) / dims.max(1) as f64;
    let (bottom, top) = (HEIGHT - MARGIN, MARGIN / 2.0 + 6.0);
    let columns: Vec<Coordinates> = (0..dims).map(|d| coordinates(&sweep, d)).collect();
    let axes: Vec<Axis> = columns
        .iter()
        .map(|c| Axis::fit(c.numbers.iter().flatten().copied(), c.scale, bottom, top))
        .collect();
    let accuracy = Axis::fit(
        sweep.trials.iter().filter_map(|t| t.val_accuracy),
        Scale::Linear,
        bottom,
        top,
    );
    let (low, high) = accuracy_range(&sweep);
    let lines = sweep.trials.iter().enumerate().map(|(i, t)| {
        let mut points: Vec<String> = columns
            .iter()
            .zip(&axes)
            .enumerate()
            .filter_map(|(d, (c, axis))| Some(format!("{:.1},{:.1}", x(d), axis.px(c.numbers[i]?))))
            .collect();
        if let Some(a) = t.val_accuracy {
            points.push(format!("{:.1},{:.1}", x(dims), accuracy.px(a)));
        }
        let winner = sweep.winner == Some(t.index);
        view! {
            <polyline points=points.join(" ") fill="none" stroke=colour(t.val_accuracy, low, high)
                stroke-width=if winner { "3" } else { "1.5" } data-trial=t.index>
                <title>{format!("trial {}", t.index)}</title>
            </polyline>
        }
    }).collect_view();
    let axis_views = columns
        .iter()
        .zip(&axes)
        .enumerate()
        .map(|(d, (c, axis))| {
            let ticks: Vec<(f64, String)> = match c.names.is_empty() {
                true => axis.labelled_ticks(),
                false => c
                    .names
                    .iter()
                    .enumerate()
                    .map(|(i, n)| (i as f64, n.clone()))
                    .collect(),
            };
            axis_view(
                x(d),
                axis,
                ticks,
                sweep.dimensions[d]
                    .rsplit('.')
                    .next()
                    .unwrap_or("")
                    .to_string(),
            )
        })
        .collect_view();
    let accuracy_ticks = accuracy
        .labelled_ticks()
        .into_iter()
        .map(|(v, _)| (v, format!("{:.1} %", v * 100.0)))
        .collect();
    view! {
        <svg class="chart parallel" data-testid="parallel-coordinates" viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img"
            aria-label="Parallel coordinates of the trials: one axis per tuned value, then validation accuracy">
            {lines}
            {axis_views}
            {axis_view(x(dims), &accuracy, accuracy_ticks, "val. accuracy".into())}
        </svg>
    }
}

fn axis_view(x: f64, axis: &Axis, ticks: Vec<(f64, String)>, label: String) -> impl IntoView {
    let (lo, hi) = axis.domain();
    view! {
        <g class="axis">
            <line x1=x x2=x y1=axis.px(lo) y2=axis.px(hi) stroke="#555"/>
            {ticks.into_iter().filter(|(v, _)| *v >= lo && *v <= hi).map(|(v, text)| view! {
                <text x=x + 4.0 y=axis.px(v) + 3.0 font-size="9">{text}</text>
            }).collect_view()}
            <text x=x y=HEIGHT - 10.0 font-size="10" text-anchor="middle">{label}</text>
        </g>
    }
}

/// Validation accuracy against each dimension's value.
#[component]
pub fn Scatters(sweep: SweepView) -> impl IntoView {
    let (w, h, m) = (240.0, 170.0, 30.0);
    let (low, high) = accuracy_range(&sweep);
    let accuracy = Axis::fit(
        sweep.trials.iter().filter_map(|t| t.val_accuracy),
        Scale::Linear,
        h - m,
        8.0,
    );
    (0..sweep.dimensions.len()).map(|d| {
        let c = coordinates(&sweep, d);
        let axis = Axis::fit(c.numbers.iter().flatten().copied(), c.scale, m, w - 8.0);
        let dots = sweep.trials.iter().zip(&c.numbers).filter_map(|(t, value)| {
            let a = t.val_accuracy?;
            Some(view! {
                <circle cx=axis.px((*value)?) cy=accuracy.px(a) r="3.5" fill=colour(Some(a), low, high)>
                    <title>{format!("trial {}: {} → {:.2} %", t.index, value_text(&t.values[d]), a * 100.0)}</title>
                </circle>
            })
        }).collect_view();
        view! {
            <svg class="chart scatter" data-testid="scatter" viewBox=format!("0 0 {w} {h}") width=w height=h role="img"
                aria-label=format!("Validation accuracy against {}", sweep.dimensions[d])>
                <line x1=m x2=w - 8.0 y1=h - m y2=h - m stroke="#555"/>
                <line x1=m x2=m y1=8.0 y2=h - m stroke="#555"/>
                {dots}
                <text x=(w + m) / 2.0 y=h - 8.0 font-size="10" text-anchor="middle">{sweep.dimensions[d].rsplit('.').next().unwrap_or("").to_string()}</text>
            </svg>
        }
    }).collect_view()
}
