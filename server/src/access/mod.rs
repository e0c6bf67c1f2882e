//! Who may do what (DESIGN.md §7): one owner per lab, whose secret logs a browser in
//! (Jupyter-style, exchanged for a session cookie) and authenticates scripts (bearer); API
//! tokens with a `read` or `write` scope; read-only share links. Every request's `Host` must be
//! this server's (DNS rebinding); cookie-authenticated unsafe requests must come from its own
//! origin (CSRF); failed logins are rate-limited per client (never a valid credential), the client
//! being the connection's address or the one a trusted proxy forwards. These are the rules;
//! `http::guard` is the middleware that applies them (so this module needs nothing of `http`).

mod credentials;
mod failures;
mod hosts;
mod policy;
mod proxies;
mod secret;

pub(crate) use credentials::{bearer, session_set_cookie};
pub use credentials::{
    hash_secret, session_cookie as session_cookie_of, Principal, SESSION_COOKIE,
};
pub use failures::{FailedLogins, FAILURE_WINDOW};
pub use hosts::AllowedHosts;
pub use policy::{policy, Need};
pub use proxies::TrustedProxies;
pub use secret::{load_owner_secret, OwnerSecret, SecretSource};

use std::time::Duration;

/// How long a browser session lasts.
pub const SESSION_LIFETIME: Duration = Duration::from_secs(30 * 24 * 3600);

/// The access rules of one server.
#[derive(Debug)]
pub struct Access {
    /// The owner's secret; `None` when the lab runs without authentication (`--no-auth`, on a
    /// loopback address only).
    pub owner: Option<OwnerSecret>,
    /// Hosts the server answers for.
    pub hosts: AllowedHosts,
    /// Whether cookies are marked `Secure` (served over https).
    pub secure_cookies: bool,
    /// Failed logins per client.
    pub failures: FailedLogins,
    /// The proxies believed about the client they forward.
    pub trusted_proxies: TrustedProxies,
}
