//! The app shell: navigation, the login page when the browser has no session (share links
//! open without one), and one route per page. The server answers every one of these paths with
//! the app, so deep links and reloads land on the same page.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::hooks::use_location;
use leptos_router::path;

use crate::endpoints;
use crate::pages::{
    ComparePage, ExperimentPage, ExperimentsPage, LoginPage, NewExperimentPage, NewSweepPage,
    NotFound, SharedPage, SweepPage, SweepsPage, SystemPage,
};
use crate::session::logged_out;

/// The whole dashboard.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <Shell/>
        </Router>
    }
}

/// Navigation and pages, or the login page.
#[component]
fn Shell() -> impl IntoView {
    let session = LocalResource::new(endpoints::session);
    let logged_out = logged_out();
    Effect::new(move || {
        if let Some(Ok(info)) = session.get() {
            if !info.authenticated && !info.auth_disabled {
                logged_out.set(true);
            }
        }
    });
    let location = use_location();
    // A share link is read-only and needs no login.
    let shared = move || location.pathname.get().starts_with("/s/");
    let can_log_out = move || {
        session
            .get()
            .and_then(Result::ok)
            .is_some_and(|s| s.authenticated && !s.auth_disabled)
    };
    let logout = Action::new_local(|_: &()| async move {
        let _ = endpoints::logout().await;
        let _ = window().location().assign("/");
    });
    view! {
        <header class="topbar">
            <A href="/" attr:class="brand">"Distill Lab"</A>
            {move || (!shared() && !logged_out.get()).then(|| view! {
                <nav>
                    <A href="/" exact=true>"Experiments"</A>
                    <A href="/experiments/new">"New experiment"</A>
                    <A href="/sweeps">"Sweeps"</A>
                    <A href="/system">"System"</A>
                </nav>
            })}
            {move || (can_log_out() && !shared()).then(|| view! {
                <button class="logout" data-testid="logout" on:click=move |_| { logout.dispatch(()); }>"Log out"</button>
            })}
        </header>
        <main>
            {move || if logged_out.get() && !shared() {
                view! { <LoginPage/> }.into_any()
            } else {
                view! {
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=ExperimentsPage/>
                        <Route path=path!("/experiments") view=ExperimentsPage/>
                        <Route path=path!("/experiments/new") view=NewExperimentPage/>
                        <Route path=path!("/experiments/:id") view=ExperimentPage/>
                        <Route path=path!("/sweeps") view=SweepsPage/>
                        <Route path=path!("/sweeps/new") view=NewSweepPage/>
                        <Route path=path!("/sweeps/:id") view=SweepPage/>
                        <Route path=path!("/compare") view=ComparePage/>
                        <Route path=path!("/s/:token") view=SharedPage/>
                        <Route path=path!("/system") view=SystemPage/>
                    </Routes>
                }.into_any()
            }}
        </main>
    }
}
