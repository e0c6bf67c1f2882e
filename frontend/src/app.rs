//! The app shell: navigation, and one route per page. The server answers every one of these
//! paths with the app, so deep links and reloads land on the same page.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::pages::{
    ComparePage, ExperimentPage, ExperimentsPage, NewExperimentPage, NotFound, SharedPage,
    SystemPage,
};

/// The whole dashboard.
#[component]
pub fn App() -> impl IntoView {
    view! {
        <Router>
            <header class="topbar">
                <A href="/" attr:class="brand">"Distill Lab"</A>
                <nav>
                    <A href="/" exact=true>"Experiments"</A>
                    <A href="/experiments/new">"New experiment"</A>
                    <A href="/system">"System"</A>
                </nav>
            </header>
            <main>
                <Routes fallback=NotFound>
                    <Route path=path!("/") view=ExperimentsPage/>
                    <Route path=path!("/experiments") view=ExperimentsPage/>
                    <Route path=path!("/experiments/new") view=NewExperimentPage/>
                    <Route path=path!("/experiments/:id") view=ExperimentPage/>
                    <Route path=path!("/compare") view=ComparePage/>
                    <Route path=path!("/s/:token") view=SharedPage/>
                    <Route path=path!("/system") view=SystemPage/>
                </Routes>
            </main>
        </Router>
    }
}
