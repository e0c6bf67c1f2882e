//! The system page: what this server trains on and how busy it is (refreshed every few
//! seconds), the datasets (and adding one), the API tokens and the share links.

use std::time::Duration;

use api::SystemInfo;
use leptos::prelude::*;

use super::credentials::{ApiTokens, ShareLinks};
use super::datasets::DatasetsPanel;
use crate::client::ApiResult;
use crate::components::{ErrorNotice, Loading};
use crate::endpoints;

/// The processes training this lab's runs, each with its host, device and load.
#[component]
fn WorkerTable(workers: Vec<api::WorkerInfo>) -> impl IntoView {
    if workers.is_empty() {
        return view! { <p class="muted" data-testid="workers">"No process trains runs right now: start `distill worker` (or a server with slots)."</p> }.into_any();
    }
    view! {
        <table class="data" data-testid="workers">
            <thead><tr><th>"Host"</th><th>"Process"</th><th>"Device"</th><th class="num">"Busy / slots"</th><th>"Last heartbeat"</th></tr></thead>
            <tbody>
                {workers.into_iter().map(|w| view! {
                    <tr data-worker=w.id.clone()>
                        <th scope="row">{w.host}</th>
                        <td>{format!("pid {} · {}", w.pid, w.id)}</td>
                        <td>{format!("{} ({})", w.device, w.backend)}</td>
                        <td class="num">{format!("{} / {}", w.busy, w.slots)}</td>
                        <td>{crate::format::timestamp(w.heartbeat_at)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// Backend, device, version, workers, database, the datasets, tokens and share links.
#[component]
pub fn SystemPage() -> impl IntoView {
    let system = LocalResource::new(endpoints::system);
    // Workers come and go busy: keep the numbers current while the page is open.
    if let Ok(handle) = set_interval_with_handle(move || system.refetch(), Duration::from_secs(3)) {
        on_cleanup(move || handle.clear());
    }
    let system_view = move || {
        system.get().map(|result: ApiResult<SystemInfo>| match result {
            Err(failure) => view! { <ErrorNotice failure=failure/> }.into_any(),
            Ok(s) => view! {
                <dl class="facts" data-testid="system">
                    <dt>"Version"</dt><dd>{s.version}</dd>
                    <dt>"Backend"</dt><dd data-fact="backend">{s.backend}</dd>
                    <dt>"Device"</dt><dd>{s.device}</dd>
                    {s.fallback_reason.map(|r| view! { <dt>"GPU backends passed by"</dt><dd>{r}</dd> })}
                    <dt>"Workers"</dt>
                    <dd data-fact="workers">{format!("{} busy, {} idle ({} slots)", s.busy, s.workers.saturating_sub(s.busy), s.workers)}</dd>
                    <dt>"Queued runs"</dt><dd>{s.queued_runs}</dd>
                    <dt>"Database"</dt><dd>{s.database}</dd>
                    <dt>"Loss conventions"</dt><dd class="small">{s.conventions}</dd>
                </dl>
                <h2>"Worker processes"</h2>
                <WorkerTable workers=s.worker_processes/>
            }
            .into_any(),
        })
    };
    view! {
        <section class="page">
            <h1>"System"</h1>
            <Transition fallback=Loading>{system_view}</Transition>
            <DatasetsPanel/>
            <ApiTokens/>
            <ShareLinks/>
        </section>
    }
}
