//! What each route needs: nothing (health, the login exchange, the session probe, read-only
//! share views), a read credential (every other GET), a write credential (every change), or
//! the owner (managing API tokens).

use axum::http::Method;

/// What a route asks of a request's credentials.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// Anyone may call it.
    Nothing,
    /// Any credential: the owner, or a read or write token.
    Read,
    /// The owner or a write token.
    Write,
    /// The owner only.
    Owner,
}

/// What `method` on the route template `route` (as the router matched it) needs.
pub fn policy(method: &Method, route: &str) -> Need {
    match (method.as_str(), route) {
        ("GET", "/api/health" | "/api/session" | "/api/shared/{token}")
        | ("GET", "/api/shared/{token}/runs/{id}/curves" | "/api/shared/{token}/curves")
        | ("POST", "/api/login" | "/api/logout") => Need::Nothing,
        (_, route) if route == "/api/tokens" || route.starts_with("/api/tokens/") => Need::Owner,
        ("GET" | "HEAD", _) => Need::Read,
        _ => Need::Write,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn share_views_are_public_and_revoking_a_share_needs_a_writer() {
        assert_eq!(policy(&Method::GET, "/api/shared/{token}"), Need::Nothing);
        assert_eq!(
            policy(&Method::GET, "/api/shared/{token}/curves"),
            Need::Nothing
        );
        assert_eq!(policy(&Method::DELETE, "/api/shares/{token}"), Need::Write);
        assert_eq!(policy(&Method::GET, "/api/experiments"), Need::Read);
        assert_eq!(
            policy(&Method::POST, "/api/experiments/{id}/cancel"),
            Need::Write
        );
        assert_eq!(policy(&Method::GET, "/api/tokens"), Need::Owner);
        assert_eq!(policy(&Method::DELETE, "/api/tokens/{id}"), Need::Owner);
    }
}
