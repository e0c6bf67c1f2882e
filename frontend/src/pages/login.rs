//! The login page, shown when the browser has no session (or it expired): the owner pastes the
//! token `distill serve` printed (or opens the URL it printed, which logs in by itself).

use api::LoginRequest;
use leptos::prelude::*;

use crate::client::ApiFailure;
use crate::components::ErrorNotice;
use crate::endpoints;

/// A form that exchanges the owner token for a session cookie, then reloads the page.
#[component]
pub fn LoginPage() -> impl IntoView {
    let token = RwSignal::new(String::new());
    let login = Action::new_local(|token: &String| {
        let request = LoginRequest {
            token: token.trim().to_string(),
        };
        async move { endpoints::login(&request).await }
    });
    Effect::new(move || {
        if let Some(Ok(())) = login.value().get() {
            let _ = window().location().reload();
        }
    });
    let error = move || {
        login
            .value()
            .get()
            .and_then(|r: Result<(), ApiFailure>| r.err())
            .map(|f| view! { <ErrorNotice failure=f/> })
    };
    view! {
        <section class="page login" data-testid="login">
            <h1>"Log in to this lab"</h1>
            <p>"Open the URL "<code>"distill serve"</code>" printed when it started, or paste its owner token here. "
               "The token is kept in "<code>"~/.local/share/distill-lab/owner-token"</code>" on the server (or is the "<code>"DISTILL_TOKEN"</code>" it was started with)."</p>
            <form class="fields" on:submit=move |ev| { ev.prevent_default(); login.dispatch(token.get_untracked()); }>
                <label class="field">
                    <span class="field-label">"Owner token"</span>
                    <input type="password" autocomplete="current-password" data-testid="login-token"
                        prop:value=move || token.get() on:input=move |ev| token.set(event_target_value(&ev))/>
                </label>
                <button class="primary" type="submit" data-testid="login-submit" disabled=move || login.pending().get()>"Log in"</button>
            </form>
            {error}
        </section>
    }
}
