//! A scatter plot of models: accuracy against a cost (latency or size, on a log axis), with
//! the Pareto front drawn through the models no other model beats on both.

use leptos::prelude::*;

use super::line_chart::{Axes, BOTTOM, HEIGHT, LEFT, RIGHT, TOP, WIDTH};
use crate::plot::{line_path, Axis, Scale};

/// One model on the plot.
#[derive(Debug, Clone, PartialEq)]
pub struct ScatterPoint {
    /// Legend text.
    pub label: String,
    /// Its colour (the same as its curves').
    pub color: &'static str,
    /// The cost.
    pub x: f64,
    /// The accuracy.
    pub y: f64,
    /// On the Pareto front (as the server computed it).
    pub pareto: bool,
}

/// Accuracy (y) against a cost (x, log scale), the Pareto front as a dashed line.
#[component]
pub fn ScatterChart(title: String, x_title: String, points: Vec<ScatterPoint>) -> impl IntoView {
    let x = Axis::fit(points.iter().map(|p| p.x), Scale::Log, LEFT, WIDTH - RIGHT);
    let y = Axis::fit(
        points.iter().map(|p| p.y),
        Scale::Linear,
        HEIGHT - BOTTOM,
        TOP,
    );
    let mut front: Vec<(f64, f64)> = points
        .iter()
        .filter(|p| p.pareto)
        .map(|p| (p.x, p.y))
        .collect();
    front.sort_by(|a, b| a.0.total_cmp(&b.0));
    let front_px: Vec<_> = front.iter().map(|&(a, b)| (x.px(a), y.px(b))).collect();
    let dots = points
        .iter()
        .map(|p| {
            let (cx, cy) = (x.px(p.x), y.px(p.y));
            view! {
                <circle cx=cx cy=cy r=if p.pareto { "6" } else { "4.5" } fill=p.color
                    stroke=if p.pareto { "#111" } else { "white" } stroke-width="1.5">
                    <title>{format!("{}: {:.2} %", p.label, p.y * 100.0)}</title>
                </circle>
            }
        })
        .collect_view();
    let legend = points
        .iter()
        .map(|p| {
            view! {
                <li>
                    <span class="dot" style=format!("background:{}", p.color)></span>
                    {p.label.clone()}
                    {p.pareto.then(|| view! { <span class="pareto-tag">"Pareto"</span> })}
                </li>
            }
        })
        .collect_view();
    let (data_chart, caption) = (title.clone(), title.clone());
    view! {
        <figure class="chart" data-chart=data_chart>
            <figcaption>{caption}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=title>
                <Axes x=x y=y x_title=x_title y_title="top-1 accuracy".to_string()/>
                <path class="pareto" d=line_path(&front_px) fill="none" stroke="#444" stroke-width="1.2" stroke-dasharray="4 3"/>
                {dots}
            </svg>
            <ul class="legend">
                {legend}
                <li><span class="swatch dashed" style="border-color:#444"></span>"Pareto front: no other model is both cheaper and more accurate"</li>
            </ul>
        </figure>
    }
}
