//! The experiments page: every experiment with its status, chain, student accuracy and gain
//! over the baseline and its tags; search (names, chains, descriptions, tags), status filter,
//! the experiments with a tag (`?tag=`) or that share a teacher (`?teacher=<run>`), sorting,
//! pages, and comparing a selection.

use std::collections::BTreeSet;

use api::{ExperimentDetail, ExperimentPage, ExperimentSummary, RunKind, RunStatus};
use leptos::prelude::*;
use leptos_router::components::A;
use leptos_router::hooks::{use_navigate, use_query_map};

use crate::client::ApiFailure;
use crate::components::{ErrorNotice, Loading, StatusBadge, TagList};
use crate::endpoints;
use crate::format;

/// Experiments per page.
const PAGE_SIZE: usize = 20;

/// Columns the table sorts by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SortKey {
    Created,
    Name,
    Status,
    Accuracy,
    Gain,
    Duration,
}

fn duration_ms(e: &ExperimentSummary) -> Option<i64> {
    let start = e.started_at?;
    let end = e.finished_at.unwrap_or_else(|| js_sys::Date::now() as i64);
    Some(end - start)
}

fn sort(rows: &mut [ExperimentSummary], key: SortKey, descending: bool) {
    let by = |a: &ExperimentSummary, b: &ExperimentSummary| {
        let f = |x: Option<f64>| x.unwrap_or(f64::NEG_INFINITY);
        match key {
            SortKey::Created => a.created_at.cmp(&b.created_at),
            SortKey::Name => a.name.to_lowercase().cmp(&b.name.to_lowercase()),
            SortKey::Status => a.status.as_str().cmp(b.status.as_str()),
            SortKey::Accuracy => f(a.student_accuracy).total_cmp(&f(b.student_accuracy)),
            SortKey::Gain => {
                f(a.gain.as_ref().map(|g| g.mean)).total_cmp(&f(b.gain.as_ref().map(|g| g.mean)))
            }
            SortKey::Duration => duration_ms(a).cmp(&duration_ms(b)),
        }
    };
    rows.sort_by(|a, b| if descending { by(b, a) } else { by(a, b) });
}

/// The runs a comparison of whole experiments is about: each one's students and baselines.
fn student_runs(detail: &ExperimentDetail) -> Vec<String> {
    let last = detail.spec.chain.len().saturating_sub(1);
    detail
        .runs
        .iter()
        .filter(|r| r.kind == RunKind::Baseline || r.stage_index == last)
        .map(|r| r.id.clone())
        .collect()
}

/// How the table is sorted: by which column, which way.
#[derive(Debug, Clone, Copy)]
struct Sorting {
    key: RwSignal<SortKey>,
    descending: RwSignal<bool>,
}

/// The page of experiments the filters and cursor ask for, kept on screen while it refreshes,
/// and refreshed every 3 s while any experiment on it is active.
fn live_page(
    query: RwSignal<String>,
    status: RwSignal<String>,
    (teacher, tag): (Memo<Option<String>>, Memo<Option<String>>),
    cursors: RwSignal<Vec<Option<String>>>,
) -> RwSignal<Option<Result<ExperimentPage, ApiFailure>>> {
    let refresh = RwSignal::new(0u64);
    let page = LocalResource::new(move || {
        let search = Some(query.get().trim().to_string()).filter(|q| !q.is_empty());
        let status = Some(status.get()).filter(|s| !s.is_empty());
        let (teacher, tag) = (teacher.get(), tag.get());
        let cursor = cursors.get().last().cloned().flatten();
        refresh.track();
        async move {
            endpoints::experiments(
                PAGE_SIZE,
                search.as_deref(),
                status.as_deref(),
                teacher.as_deref(),
                tag.as_deref(),
                cursor.as_deref(),
            )
            .await
        }
    });
    let shown = RwSignal::new(None::<Result<ExperimentPage, ApiFailure>>);
    Effect::new(move || {
        if let Some(result) = page.get() {
            shown.set(Some(result));
        }
    });
    if let Ok(handle) = set_interval_with_handle(
        move || {
            let active = shown.with_untracked(|p| {
                matches!(p, Some(Ok(page)) if page.experiments.iter().any(|e| !e.status.is_terminal()))
            });
            if active {
                refresh.update(|n| *n += 1);
            }
        },
        std::time::Duration::from_secs(3),
    ) {
        on_cleanup(move || handle.clear());
    }
    shown
}

/// Opens Compare on the students and baselines of the experiments it is given; a failure, or
/// experiments without runs, lands in `error`.
fn compare_action(
    error: RwSignal<Option<ApiFailure>>,
) -> Action<Vec<String>, Result<Vec<String>, ApiFailure>> {
    let navigate = use_navigate();
    let compare = Action::new_local(move |ids: &Vec<String>| {
        let ids = ids.clone();
        async move {
            let mut runs = Vec::new();
            for id in ids {
                let detail: ExperimentDetail = endpoints::experiment(&id).await?;
                runs.extend(student_runs(&detail));
            }
            Ok::<_, ApiFailure>(runs)
        }
    });
    Effect::new(move || match compare.value().get() {
        Some(Ok(runs)) if !runs.is_empty() => navigate(
            &format!("/compare?runs={}", runs.join(",")),
            Default::default(),
        ),
        Some(Ok(_)) => error.set(Some(ApiFailure {
            status: 422,
            code: "nothing_to_compare".into(),
            message: "the selected experiments have no runs yet".into(),
            field: None,
        })),
        Some(Err(failure)) => error.set(Some(failure)),
        None => {}
    });
    compare
}

/// The list of experiments.
#[component]
pub fn ExperimentsPage() -> impl IntoView {
    let query = RwSignal::new(String::new());
    let status = RwSignal::new(String::new());
    let cursors = RwSignal::new(vec![None::<String>]);
    let sorting = Sorting {
        key: RwSignal::new(SortKey::Created),
        descending: RwSignal::new(true),
    };
    let selected = RwSignal::new(BTreeSet::<String>::new());
    let compare_error = RwSignal::new(None::<ApiFailure>);
    // `?teacher=<run>`: the experiments that share that run's model as their teacher.
    let url = use_query_map();
    let teacher = Memo::new(move |_| url.with(|q| q.get("teacher")).filter(|t| !t.is_empty()));
    // `?tag=<tag>`: the experiments with that tag.
    let tag = Memo::new(move |_| url.with(|q| q.get("tag")).filter(|t| !t.is_empty()));
    let shown = live_page(query, status, (teacher, tag), cursors);
    let compare = compare_action(compare_error);
    let table = move || {
        shown.get().map(|result| match result {
            Err(failure) => view! { <ErrorNotice failure=failure/> }.into_any(),
            Ok(page) => view! { <ExperimentsTable page sorting selected cursors/> }.into_any(),
        })
    };
    view! {
        <section class="page">
            <div class="page-head">
                <h1>"Experiments"</h1>
                <A href="/experiments/new" attr:class="button primary">"New experiment"</A>
            </div>
            <div class="toolbar">
                <input type="search" placeholder="Search names, notes and tags" aria-label="Search"
                    prop:value=query on:input=move |ev| { query.set(event_target_value(&ev)); cursors.set(vec![None]); }/>
                <select aria-label="Status" on:change=move |ev| { status.set(event_target_value(&ev)); cursors.set(vec![None]); }>
                    <option value="">"Any status"</option>
                    {RunStatus::ALL.into_iter().map(|s| view! { <option value=s.as_str()>{s.as_str()}</option> }).collect_view()}
                </select>
                <button class="primary" disabled=move || selected.with(|s| s.is_empty()) || compare.pending().get()
                    on:click=move |_| { compare_error.set(None); compare.dispatch(selected.get_untracked().into_iter().collect()); }>
                    {move || format!("Compare selected ({})", selected.with(|s| s.len()))}
                </button>
            </div>
            {move || teacher.get().map(|run| view! {
                <p class="filter-chip" data-testid="teacher-filter">
                    "Sharing the teacher of run "<code>{run}</code>" "
                    <A href="/experiments">"show all"</A>
                </p>
            })}
            {move || tag.get().map(|tag| view! {
                <p class="filter-chip" data-testid="tag-filter">
                    "Tagged "<span class="tag">{tag}</span>" "
                    <A href="/experiments">"show all"</A>
                </p>
            })}
            {move || compare_error.get().map(|failure| view! { <ErrorNotice failure=failure/> })}
            {move || table().unwrap_or_else(|| view! { <Loading/> }.into_any())}
            <super::import_model::ImportModel/>
        </section>
    }
}

/// One page of experiments as a sortable table with a pager.
#[component]
fn ExperimentsTable(
    page: ExperimentPage,
    sorting: Sorting,
    selected: RwSignal<BTreeSet<String>>,
    cursors: RwSignal<Vec<Option<String>>>,
) -> impl IntoView {
    if page.experiments.is_empty() {
        return view! {
            <div class="empty">
                <p>"No experiments match."</p>
                <p><A href="/experiments/new">"Compose one"</A>" — templates for KD, DKD, TAKD, CTKD, AT and MGD are one click away."</p>
            </div>
        }
        .into_any();
    }
    let rows = page.experiments.clone();
    let body = move || {
        let mut rows = rows.clone();
        sort(&mut rows, sorting.key.get(), sorting.descending.get());
        rows.into_iter()
            .map(|experiment| view! { <ExperimentRow experiment selected/> })
            .collect_view()
    };
    let next = page.next_cursor.clone();
    let has_next = next.is_some();
    let total = page.total;
    view! {
        <table class="data experiments">
            <thead>
                <tr>
                    <th><span class="sr-only">"Select"</span></th>
                    <SortHeader label="Name" key=SortKey::Name numeric=false sorting/>
                    <SortHeader label="Status" key=SortKey::Status numeric=false sorting/>
                    <th>"Dataset"</th>
                    <th>"Chain"</th>
                    <SortHeader label="Student top-1 (val-best)" key=SortKey::Accuracy numeric=true sorting/>
                    <SortHeader label="vs baseline (paired; * CI excludes 0)" key=SortKey::Gain numeric=true sorting/>
                    <th class="num">"Runs"</th>
                    <SortHeader label="Duration" key=SortKey::Duration numeric=true sorting/>
                    <SortHeader label="Created (UTC)" key=SortKey::Created numeric=true sorting/>
                </tr>
            </thead>
            <tbody>{body}</tbody>
        </table>
        <div class="pager">
            <span class="muted">{format!("{total} experiment{} in all", if total == 1 { "" } else { "s" })}</span>
            <button disabled=move || cursors.with(|c| c.len() <= 1) on:click=move |_| cursors.update(|c| { c.pop(); })>"← Newer"</button>
            <button disabled=!has_next on:click=move |_| cursors.update(|c| c.push(next.clone()))>"Older →"</button>
        </div>
    }
    .into_any()
}

/// A column header that sorts by `key`: a second click reverses the order; names and
/// statuses start ascending, numbers descending.
#[component]
fn SortHeader(label: &'static str, key: SortKey, numeric: bool, sorting: Sorting) -> impl IntoView {
    let Sorting {
        key: current,
        descending,
    } = sorting;
    let arrow = move || match (current.get() == key, descending.get()) {
        (true, true) => " ▼",
        (true, false) => " ▲",
        _ => "",
    };
    let aria_sort = move || match (current.get() == key, descending.get()) {
        (true, true) => "descending",
        (true, false) => "ascending",
        _ => "none",
    };
    view! {
        <th class:num=numeric aria-sort=aria_sort>
            <button class="sort" on:click=move |_| {
                if current.get_untracked() == key {
                    descending.update(|d| *d = !*d);
                } else {
                    current.set(key);
                    descending.set(!matches!(key, SortKey::Name | SortKey::Status));
                }
            }>{label}{arrow}</button>
        </th>
    }
}

/// One experiment's row: its selection box, link, status, chain, results and times.
#[component]
fn ExperimentRow(
    experiment: ExperimentSummary,
    selected: RwSignal<BTreeSet<String>>,
) -> impl IntoView {
    let e = experiment;
    let id = e.id.clone();
    let id_toggle = e.id.clone();
    let checked = move || selected.with(|s| s.contains(&id));
    let toggle = move |_| {
        selected.update(|s| {
            if !s.remove(&id_toggle) {
                s.insert(id_toggle.clone());
            }
        })
    };
    let gain_class = format!("num {}", format::gain_class(e.gain.as_ref()));
    let gain_title = e.gain.as_ref().map(format::gain).unwrap_or_default();
    let dash = || "—".to_string();
    let name = e.name.clone();
    let duration = duration_ms(&e).map(|ms| format::duration(ms as f64 / 1000.0));
    view! {
        <tr data-experiment=e.id.clone()>
            <td><input type="checkbox" aria-label="select" prop:checked=checked on:change=toggle/></td>
            <td>
                <A href=format!("/experiments/{}", e.id)>{name}</A>
                <TagList tags=e.tags.clone()/>
            </td>
            <td><StatusBadge status=e.status/></td>
            <td>{e.dataset.to_string()}</td>
            <td class="chain-cell">{e.chain.join(" → ")}</td>
            <td class="num">{e.student_accuracy.map(format::percent).unwrap_or_else(dash)}</td>
            <td class=gain_class title=gain_title>{e.gain.as_ref().map(format::gain_short).unwrap_or_else(dash)}</td>
            <td class="num">{format!("{}/{}", e.runs_done, e.runs_total)}</td>
            <td class="num">{duration.unwrap_or_else(dash)}</td>
            <td class="num">{format::timestamp(e.created_at)}</td>
        </tr>
    }
}
