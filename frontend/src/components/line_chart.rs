//! A line chart as SVG: axes with round ticks and grid lines, axis titles, one path per
//! series, and a legend beside it in HTML (so long labels wrap instead of overlapping).

use leptos::prelude::*;

use crate::charts::ChartSpec;
use crate::plot::{line_path, tick_label, Axis, Scale};

/// Drawing area of every chart (the SVG scales to its container).
pub(super) const WIDTH: f64 = 560.0;
pub(super) const HEIGHT: f64 = 260.0;
pub(super) const LEFT: f64 = 64.0;
pub(super) const RIGHT: f64 = 16.0;
pub(super) const TOP: f64 = 14.0;
pub(super) const BOTTOM: f64 = 44.0;

/// One chart of a [`ChartSpec`] against the epoch.
#[component]
pub fn LineChart(spec: ChartSpec) -> impl IntoView {
    let scale_y = if spec.log_y {
        Scale::Log
    } else {
        Scale::Linear
    };
    let all = || spec.series.iter().flat_map(|s| s.points.iter());
    let x = Axis::fit(
        all().map(|p| p.0).chain([0.0]),
        Scale::Linear,
        LEFT,
        WIDTH - RIGHT,
    );
    let y = Axis::fit(all().map(|p| p.1), scale_y, HEIGHT - BOTTOM, TOP);
    let lines = spec
        .series
        .iter()
        .map(|s| {
            let pixels: Vec<_> = s
                .points
                .iter()
                .map(|&(ex, v)| (x.px(ex), y.px(v)))
                .collect();
            let last = pixels.last().copied();
            view! {
                <path d=line_path(&pixels) fill="none" stroke=s.color stroke-width="1.8"
                    stroke-dasharray=if s.dashed { "5 3" } else { "" }>
                    <title>{s.label.clone()}</title>
                </path>
                {last.map(|(cx, cy)| view! { <circle cx=cx cy=cy r="2.5" fill=s.color/> })}
            }
        })
        .collect_view();
    let legend = spec
        .series
        .iter()
        .map(|s| {
            let last = s.points.last().map(|p| tick_label(p.1)).unwrap_or_default();
            view! {
                <li>
                    <span class="swatch" class:dashed=s.dashed style=format!("border-color:{}", s.color)></span>
                    {s.label.clone()}
                    <span class="legend-value">{last}</span>
                </li>
            }
        })
        .collect_view();
    view! {
        <figure class="chart" data-chart=spec.title.clone()>
            <figcaption>{spec.title.clone()}</figcaption>
            <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=spec.title.clone()>
                <Axes x=x y=y x_title="epoch".to_string() y_title=spec.y_label.clone()/>
                <g class="lines">{lines}</g>
            </svg>
            <ul class="legend">{legend}</ul>
        </figure>
    }
}

/// Grid lines, tick labels and axis titles of a chart area.
#[component]
pub(super) fn Axes(x: Axis, y: Axis, x_title: String, y_title: String) -> impl IntoView {
    let x_ticks = x
        .labelled_ticks()
        .into_iter()
        .map(|(t, label)| {
            let px = x.px(t);
            view! {
                <line class="grid" x1=px x2=px y1=TOP y2=HEIGHT - BOTTOM/>
                <text class="tick" x=px y=HEIGHT - BOTTOM + 16.0 text-anchor="middle">{label}</text>
            }
        })
        .collect_view();
    let y_ticks = y
        .labelled_ticks()
        .into_iter()
        .map(|(t, label)| {
            let py = y.px(t);
            view! {
                <line class="grid" x1=LEFT x2=WIDTH - RIGHT y1=py y2=py/>
                <text class="tick" x=LEFT - 6.0 y=py + 4.0 text-anchor="end">{label}</text>
            }
        })
        .collect_view();
    let mid_y = (TOP + HEIGHT - BOTTOM) / 2.0;
    view! {
        <g class="axes">
            {x_ticks}
            {y_ticks}
            <line class="axis" x1=LEFT x2=WIDTH - RIGHT y1=HEIGHT - BOTTOM y2=HEIGHT - BOTTOM/>
            <line class="axis" x1=LEFT x2=LEFT y1=TOP y2=HEIGHT - BOTTOM/>
            <text class="axis-title" x=(LEFT + WIDTH - RIGHT) / 2.0 y=HEIGHT - 6.0 text-anchor="middle">{x_title}</text>
            <text class="axis-title" x="14" y=mid_y text-anchor="middle"
                transform=format!("rotate(-90 14 {mid_y})")>{y_title}</text>
        </g>
    }
}
