//! A line chart as SVG: axes with round ticks and grid lines, axis titles, one path per
//! series with its band (the seeds' spread) behind it, and a legend beside it in HTML (so long
//! labels wrap instead of overlapping); the reader hides lines from the legend, reads values
//! under the pointer, drags to zoom into epochs, and switches to a log axis or the page width.

use std::collections::BTreeSet;

use leptos::ev::MouseEvent;
use leptos::prelude::*;
use wasm_bindgen::JsCast;

use crate::charts::{ChartSpec, Series};
use crate::plot::{band_path, line_path, tick_label, Axis, Point, Scale};

/// Drawing area of every chart (the SVG scales to its container).
pub(super) const WIDTH: f64 = 560.0;
pub(super) const HEIGHT: f64 = 260.0;
pub(super) const LEFT: f64 = 64.0;
pub(super) const RIGHT: f64 = 16.0;
pub(super) const TOP: f64 = 14.0;
pub(super) const BOTTOM: f64 = 44.0;

/// What the reader has done to a chart: lines hidden from its legend, a log axis, an x range
/// dragged out, the width of the page, the epoch under the pointer.
#[derive(Debug, Clone, Default, PartialEq)]
struct View {
    hidden: BTreeSet<String>,
    log_y: bool,
    zoom: Option<(f64, f64)>,
    wide: bool,
    hover: Option<f64>,
    drag_from: Option<f64>,
}

/// One chart of a [`ChartSpec`] against the epoch, to explore: click a legend entry to hide or
/// show its line, hover to read every visible line at an epoch, drag across the plot to zoom
/// into epochs (double-click to reset), switch the y axis to a log scale, widen it to the page.
#[component]
pub fn LineChart(spec: ChartSpec) -> impl IntoView {
    let view_state = RwSignal::new(View {
        log_y: spec.log_y,
        ..View::default()
    });
    let spec = StoredValue::new(spec);
    let title = spec.with_value(|s| s.title.clone());
    let plot = move || {
        let state = view_state.get();
        spec.with_value(|spec| plot_view(spec, &state, view_state))
    };
    let legend = move || {
        let hidden = view_state.with(|v| v.hidden.clone());
        spec.with_value(|spec| {
            spec.series
                .iter()
                .map(|s| {
                    let label = s.label.clone();
                    let last = s.points.last().map(|p| tick_label(p.1)).unwrap_or_default();
                    let toggle = {
                        let label = label.clone();
                        move |_| {
                            view_state.update(|v| {
                                if !v.hidden.remove(&label) {
                                    v.hidden.insert(label.clone());
                                }
                            })
                        }
                    };
                    view! {
                        <li class:off=hidden.contains(&label) on:click=toggle title="Hide or show this line">
                            <span class=format!("swatch {}", s.dash.class()) style=format!("border-color:{}", s.color)></span>
                            {label.clone()}
                            <span class="legend-value">{last}</span>
                        </li>
                    }
                })
                .collect_view()
        })
    };
    let readout = move || {
        let state = view_state.get();
        let pointer = state.hover?;
        spec.with_value(|spec| {
            let visible: Vec<&Series> = spec
                .series
                .iter()
                .filter(|s| !state.hidden.contains(&s.label))
                .collect();
            // The epoch of the data point nearest the pointer, and every line's value there.
            let epoch = visible
                .iter()
                .filter_map(|s| nearest(&s.points, pointer))
                .min_by(|a, b| (a.0 - pointer).abs().total_cmp(&(b.0 - pointer).abs()))?
                .0;
            let values: Vec<String> = visible
                .iter()
                .filter_map(|s| {
                    let (at, value) = nearest(&s.points, epoch)?;
                    ((at - epoch).abs() < 1e-9).then(|| format!("{} {}", s.label, tick_label(value)))
                })
                .collect();
            Some(view! { <p class="readout">{format!("epoch {}: {}", tick_label(epoch), values.join(" · "))}</p> })
        })
    };
    let positive = spec.with_value(|s| s.series.iter().flat_map(|s| &s.points).all(|p| p.1 > 0.0));
    view! {
        <figure class="chart" class:wide=move || view_state.with(|v| v.wide) data-chart=title.clone()>
            <figcaption>
                {title.clone()}
                <span class="chart-tools">
                    {positive.then(|| view! {
                        <button class="icon" data-testid="log-y" title="Logarithmic y axis"
                            class:on=move || view_state.with(|v| v.log_y)
                            on:click=move |_| view_state.update(|v| v.log_y = !v.log_y)>"log"</button>
                    })}
                    <button class="icon" data-testid="widen" title="Page width"
                        on:click=move |_| view_state.update(|v| v.wide = !v.wide)>"⤢"</button>
                </span>
            </figcaption>
            {plot}
            {readout}
            <ul class="legend">{legend}</ul>
        </figure>
    }
}

/// The plot of `spec` as `state` shows it, reporting the pointer into `view_state`.
fn plot_view(spec: &ChartSpec, state: &View, view_state: RwSignal<View>) -> impl IntoView {
    let visible: Vec<&Series> = spec
        .series
        .iter()
        .filter(|s| !state.hidden.contains(&s.label))
        .collect();
    let inside = |x: f64| state.zoom.is_none_or(|(lo, hi)| (lo..=hi).contains(&x));
    let all = || {
        visible
            .iter()
            .flat_map(|s| s.points.iter())
            .filter(|p| inside(p.0))
    };
    let x_values: Vec<f64> = match state.zoom {
        Some((lo, hi)) => vec![lo, hi],
        None => all().map(|p| p.0).chain([0.0]).collect(),
    };
    let x = Axis::fit(x_values, Scale::Linear, LEFT, WIDTH - RIGHT);
    let band_edges = visible
        .iter()
        .flat_map(|s| s.band.iter().flatten())
        .filter(|b| inside(b.0))
        .flat_map(|&(_, lo, hi)| [lo, hi]);
    let scale_y = if state.log_y {
        Scale::Log
    } else {
        Scale::Linear
    };
    let y = Axis::fit(
        all().map(|p| p.1).chain(band_edges),
        scale_y,
        HEIGHT - BOTTOM,
        TOP,
    );
    let bands = visible
        .iter()
        .filter_map(|s| {
            let sections: Vec<_> = s
                .band
                .as_ref()?
                .iter()
                .filter(|b| inside(b.0))
                .map(|&(ex, lo, hi)| (x.px(ex), y.px(lo), y.px(hi)))
                .collect();
            Some(view! { <path class="band" d=band_path(&sections) fill=s.color/> })
        })
        .collect_view();
    let lines = visible
        .iter()
        .map(|s| {
            let pixels: Vec<_> = s
                .points
                .iter()
                .filter(|p| inside(p.0))
                .map(|&(ex, v)| (x.px(ex), y.px(v)))
                .collect();
            let last = pixels.last().copied();
            view! {
                <path d=line_path(&pixels) fill="none" stroke=s.color stroke-width="1.8"
                    stroke-dasharray=s.dash.pattern()>
                    <title>{s.label.clone()}</title>
                </path>
                {last.map(|(cx, cy)| view! { <circle cx=cx cy=cy r="2.5" fill=s.color/> })}
            }
        })
        .collect_view();
    let cursor = state.hover.map(|epoch| {
        let px = x.px(epoch);
        view! { <line class="cursor" x1=px x2=px y1=TOP y2=HEIGHT - BOTTOM/> }
    });
    let epoch_at = {
        let x = x.clone();
        move |ev: &MouseEvent| x.value(pointer_px(ev))
    };
    let (on_move, on_down, on_up) = (epoch_at.clone(), epoch_at.clone(), epoch_at);
    view! {
        <svg viewBox=format!("0 0 {WIDTH} {HEIGHT}") role="img" aria-label=spec.title.clone()
            on:mousemove=move |ev| view_state.update(|v| v.hover = Some(on_move(&ev)))
            on:mouseleave=move |_| view_state.update(|v| { v.hover = None; v.drag_from = None; })
            on:mousedown=move |ev| { ev.prevent_default(); view_state.update(|v| v.drag_from = Some(on_down(&ev))) }
            on:mouseup=move |ev| {
                let to = on_up(&ev);
                view_state.update(|v| {
                    if let Some(from) = v.drag_from.take() {
                        let (lo, hi) = (from.min(to), from.max(to));
                        if hi - lo > 1e-9 && (hi - lo) < v.zoom.map_or(f64::INFINITY, |z| z.1 - z.0) * 0.98 {
                            v.zoom = Some((lo, hi));
                        }
                    }
                })
            }
            on:dblclick=move |_| view_state.update(|v| v.zoom = None)>
            <Axes x=x y=y x_title="epoch".to_string() y_title=spec.y_label.clone()/>
            <g class="bands">{bands}</g>
            <g class="lines">{lines}</g>
            {cursor}
        </svg>
    }
}

/// The point of `points` (sorted by epoch) nearest to `epoch`.
fn nearest(points: &[Point], epoch: f64) -> Option<Point> {
    points
        .iter()
        .copied()
        .min_by(|a, b| (a.0 - epoch).abs().total_cmp(&(b.0 - epoch).abs()))
}

/// Where the pointer is, in the chart's own coordinates (the SVG scales to its box).
fn pointer_px(ev: &MouseEvent) -> f64 {
    let Some(svg) = ev
        .current_target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
    else {
        return 0.0;
    };
    let rect = svg.get_bounding_client_rect();
    if rect.width() <= 0.0 {
        return 0.0;
    }
    (ev.client_x() as f64 - rect.left()) * WIDTH / rect.width()
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
