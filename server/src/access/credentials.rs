//! What a request presents (a bearer secret or a session cookie) and who that makes it: the
//! owner, an API token with its scope, or nobody.

use axum::http::{header, HeaderMap};
use sha2::{Digest, Sha256};

use api::TokenScope;

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "distill_session";

/// SHA-256 of a secret. Every secret here is ≥ 128 random bits, so a fast hash is the right
/// one to store (a password hash like argon2 defends low-entropy passwords, which these are not).
pub fn hash_secret(secret: &str) -> [u8; 32] {
    Sha256::digest(secret.as_bytes()).into()
}

/// Who a request is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Principal {
    /// The owner: by the owner secret as a bearer, or by a session cookie.
    Owner {
        /// Authenticated by the cookie (so CSRF rules apply).
        by_cookie: bool,
    },
    /// An API token.
    Token {
        /// Its id.
        id: String,
        /// What it may do.
        scope: TokenScope,
    },
}

impl Principal {
    /// Whether it may change things (POST, PUT, PATCH, DELETE).
    pub fn may_write(&self) -> bool {
        !matches!(
            self,
            Principal::Token {
                scope: TokenScope::Read,
                ..
            }
        )
    }

    /// Whether it authenticated with the session cookie.
    pub fn by_cookie(&self) -> bool {
        matches!(self, Principal::Owner { by_cookie: true })
    }
}

/// The secret of `Authorization: Bearer <secret>`, if any (`Err` when the header is there but
/// is not a bearer).
pub fn bearer(headers: &HeaderMap) -> Result<Option<&str>, ()> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let text = value.to_str().map_err(|_| ())?;
    match text.split_once(' ') {
        Some((scheme, secret)) if scheme.eq_ignore_ascii_case("bearer") => Ok(Some(secret.trim())),
        _ => Err(()),
    }
}

/// The session cookie's value, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|line| line.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.trim())
}

/// `Set-Cookie` for a new session (HttpOnly, SameSite=Lax, Secure over https).
pub fn session_set_cookie(value: &str, max_age_seconds: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!(
        "{SESSION_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age_seconds}{secure}"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bearer_and_a_session_cookie_are_read_from_their_headers() {
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer abc".parse().unwrap());
        headers.insert(
            header::COOKIE,
            "a=1; distill_session=xyz; b=2".parse().unwrap(),
        );
        assert_eq!(bearer(&headers), Ok(Some("abc")));
        assert_eq!(session_cookie(&headers), Some("xyz"));
        headers.insert(header::AUTHORIZATION, "Basic abc".parse().unwrap());
        assert_eq!(bearer(&headers), Err(()));
    }

    #[test]
    fn a_read_token_may_not_write() {
        let read = Principal::Token {
            id: "t".into(),
            scope: TokenScope::Read,
        };
        assert!(!read.may_write());
        assert!(Principal::Owner { by_cookie: true }.may_write());
    }
}
