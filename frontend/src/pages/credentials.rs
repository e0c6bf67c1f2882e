//! The System page's access panels: API tokens (create one with a name and scope and copy its
//! secret, shown once; revoke) and the share links that work (revoke).

use api::{ApiTokenInfo, CreatedApiToken, NewApiToken, ShareLink, ShareTarget, TokenScope};
use leptos::prelude::*;

use crate::client::{ApiFailure, ApiResult};
use crate::components::{ErrorNotice, Loading};
use crate::endpoints;
use crate::format;

/// The owner's API tokens.
#[component]
pub fn ApiTokens() -> impl IntoView {
    let tokens = LocalResource::new(endpoints::tokens);
    let name = RwSignal::new(String::new());
    let scope = RwSignal::new("read".to_string());
    let create = Action::new_local(move |request: &NewApiToken| {
        let request = request.clone();
        async move { endpoints::create_token(&request).await }
    });
    Effect::new(move || {
        if let Some(Ok(_)) = create.value().get() {
            tokens.refetch();
        }
    });
    let revoke = Action::new_local(move |id: &String| {
        let id = id.clone();
        async move {
            let result = endpoints::revoke_token(&id).await;
            tokens.refetch();
            result
        }
    });
    let created = move || {
        create.value().get().map(|r: ApiResult<CreatedApiToken>| match r {
            Ok(created) => {
                let secret = created.token.clone();
                let copy = move |_| {
                    let _ = window().navigator().clipboard().write_text(&secret);
                };
                view! {
                    <div class="notice" data-testid="new-token">
                        <p>"Copy the token now: it is not shown again (the lab keeps only its hash)."</p>
                        <input readonly data-testid="new-token-secret" prop:value=created.token.clone()/>
                        <button on:click=copy>"Copy"</button>
                    </div>
                }
                .into_any()
            }
            Err(f) => view! { <ErrorNotice failure=f/> }.into_any(),
        })
    };
    let list = move || {
        tokens.get().map(|r: ApiResult<Vec<ApiTokenInfo>>| match r {
            Err(f) => view! { <ErrorNotice failure=f/> }.into_any(),
            Ok(list) if list.is_empty() => view! { <p class="muted">"No API tokens."</p> }.into_any(),
            Ok(list) => view! {
                <table class="data" data-testid="tokens">
                    <thead><tr><th>"Name"</th><th>"Scope"</th><th>"Created (UTC)"</th><th>"Last used"</th><th></th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|t| {
                            let id = t.id.clone();
                            view! {
                                <tr data-token=t.id.clone()>
                                    <th scope="row">{t.name}</th>
                                    <td>{t.scope.as_str()}</td>
                                    <td>{format::timestamp(t.created_at)}</td>
                                    <td>{t.last_used_at.map(format::timestamp).unwrap_or_else(|| "never".into())}</td>
                                    <td><button on:click=move |_| { revoke.dispatch(id.clone()); }>"Revoke"</button></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any(),
        })
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let scope = match scope.get_untracked().as_str() {
            "write" => TokenScope::Write,
            _ => TokenScope::Read,
        };
        create.dispatch(NewApiToken {
            name: name.get_untracked(),
            scope,
        });
    };
    view! {
        <h2>"API tokens"</h2>
        <p class="muted">"For scripts and workers: send "<code>"Authorization: Bearer <token>"</code>". A read token may only GET."</p>
        <form class="fields" on:submit=submit>
            <label class="field"><span class="field-label">"Name"</span>
                <input data-testid="token-name" prop:value=move || name.get() on:input=move |ev| name.set(event_target_value(&ev))/></label>
            <label class="field"><span class="field-label">"Scope"</span>
                <select data-testid="token-scope" on:change=move |ev| scope.set(event_target_value(&ev))>
                    <option value="read">"read"</option>
                    <option value="write">"write"</option>
                </select></label>
            <button type="submit" data-testid="token-create">"Create token"</button>
        </form>
        {created}
        <Transition fallback=Loading>{list}</Transition>
    }
}

/// The share links that work.
#[component]
pub fn ShareLinks() -> impl IntoView {
    let shares = LocalResource::new(endpoints::shares);
    let revoke = Action::new_local(move |token: &String| {
        let token = token.clone();
        async move {
            let result: Result<(), ApiFailure> = endpoints::revoke_share(&token).await;
            shares.refetch();
            result
        }
    });
    let list = move || {
        shares.get().map(|r: ApiResult<Vec<ShareLink>>| match r {
            Err(f) => view! { <ErrorNotice failure=f/> }.into_any(),
            Ok(list) if list.is_empty() => view! { <p class="muted">"No share links."</p> }.into_any(),
            Ok(list) => view! {
                <table class="data" data-testid="shares">
                    <thead><tr><th>"Link"</th><th>"Opens"</th><th>"Created (UTC)"</th><th></th></tr></thead>
                    <tbody>
                        {list.into_iter().map(|s| {
                            let token = s.token.clone();
                            let opens = match &s.target {
                                ShareTarget::Experiment { experiment_id } => format!("experiment {experiment_id}"),
                                ShareTarget::Comparison { runs } => format!("comparison of {} runs", runs.len()),
                                ShareTarget::Sweep { sweep_id } => format!("sweep {sweep_id}"),
                            };
                            view! {
                                <tr data-share=s.token.clone()>
                                    <th scope="row"><a href=s.path.clone() target="_blank">{s.path.clone()}</a></th>
                                    <td>{opens}</td>
                                    <td>{format::timestamp(s.created_at)}</td>
                                    <td><button on:click=move |_| { revoke.dispatch(token.clone()); }>"Revoke"</button></td>
                                </tr>
                            }
                        }).collect_view()}
                    </tbody>
                </table>
            }
            .into_any(),
        })
    };
    view! {
        <h2>"Share links"</h2>
        <p class="muted">"Read-only views anyone with the link can open; revoking one stops it at once."</p>
        <Transition fallback=Loading>{list}</Transition>
    }
}
