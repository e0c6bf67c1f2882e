//! Progress bars: a plain fraction, and a run's training progress with epoch, loss and ETA.

use api::RunProgress;
use leptos::prelude::*;

use crate::format;

/// A bar filled to `fraction` (0–1) with a caption.
#[component]
pub fn ProgressBar(fraction: f64, caption: String) -> impl IntoView {
    let percent = (fraction.clamp(0.0, 1.0) * 100.0).round();
    view! {
        <div class="progress" role="progressbar" aria-valuenow=percent aria-valuemin="0" aria-valuemax="100">
            <div class="progress-fill" style=format!("width:{percent}%")></div>
            <span class="progress-caption">{caption}</span>
        </div>
    }
}

/// Where a running run is: epoch, batch, current loss and the estimated time left.
#[component]
pub fn RunProgressBar(progress: RunProgress) -> impl IntoView {
    let eta = progress
        .eta_seconds
        .map(|s| format!(" · about {} left", format::duration(s)))
        .unwrap_or_default();
    let caption = format!(
        "epoch {}/{} · batch {}/{} · loss {:.3}{eta}",
        progress.epoch, progress.epochs, progress.batch, progress.batches, progress.loss
    );
    view! { <ProgressBar fraction=progress.fraction caption=caption/> }
}
