//! The browser's session with the lab: whether it is logged in (asked of `/api/session` at
//! start), and a switch any request flips when the server answers 401, so an expired session
//! shows the login page instead of a page of errors.

use std::cell::Cell;

use leptos::prelude::*;

thread_local! {
    static LOGGED_OUT: Cell<Option<RwSignal<bool>>> = const { Cell::new(None) };
}

/// The app's "logged out" signal (created once, at start).
pub fn logged_out() -> RwSignal<bool> {
    LOGGED_OUT.with(|cell| match cell.get() {
        Some(signal) => signal,
        None => {
            let signal = RwSignal::new(false);
            cell.set(Some(signal));
            signal
        }
    })
}

/// Called by the HTTP client on a 401: the session is gone.
pub fn expired() {
    logged_out().set(true);
}
