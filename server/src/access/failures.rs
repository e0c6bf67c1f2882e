//! Failed logins per client address. A presented credential that is valid always passes, so
//! nobody can lock the owner out by failing from the same address (every client behind one
//! reverse proxy, say). A failing one is counted, and once a client has `limit` failures within
//! the window its further failures are answered 429 with the time to wait instead of 401, until
//! the oldest failure leaves the window. The owner's secret and API tokens are 256-bit random
//! values, so what the limit protects is the server's and the log's time, not the secret.
//!
//! Written here rather than with a rate-limiting crate (e.g. governor): those limit every
//! request, while this counts and refuses only failures, and the whole mechanism is a map of
//! timestamps.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per window and client, by default.
pub const FAILURE_LIMIT: usize = 10;
/// The window.
pub const FAILURE_WINDOW: Duration = Duration::from_secs(60);

/// Recent failed logins by client address.
#[derive(Debug)]
pub struct FailedLogins {
    limit: usize,
    window: Duration,
    recent: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl Default for FailedLogins {
    fn default() -> Self {
        FailedLogins::new(FAILURE_LIMIT, FAILURE_WINDOW)
    }
}

impl FailedLogins {
    /// At most `limit` failures per `window`.
    pub fn new(limit: usize, window: Duration) -> FailedLogins {
        FailedLogins {
            limit,
            window,
            recent: Mutex::default(),
        }
    }

    /// The answer to a credential `client` presented: `Ok` when it is valid (always); else it
    /// is counted, and `Err(Some(seconds))` says the client is over the limit and when it may
    /// fail again without 429, `Err(None)` that it is not.
    pub fn judge(&self, client: IpAddr, valid: bool) -> Result<(), Option<u64>> {
        if valid {
            return Ok(());
        }
        // One lock for the look and the count, so concurrent failures cannot both slip under
        // the limit.
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let times = recent.entry(client).or_default();
        while times.front().is_some_and(|t| now - *t >= self.window) {
            times.pop_front();
        }
        if times.len() >= self.limit {
            let waited = times.front().map_or(Duration::ZERO, |oldest| now - *oldest);
            return Err(Some((self.window - waited).as_secs().max(1)));
        }
        times.push_back(now);
        Err(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    #[test]
    fn failures_past_the_limit_are_refused_and_other_clients_are_not() {
        let failures = FailedLogins::new(3, Duration::from_secs(60));
        let (a, b) = (address("10.0.0.1"), address("10.0.0.2"));
        for _ in 0..3 {
            assert_eq!(failures.judge(a, false), Err(None));
        }
        assert!(matches!(failures.judge(a, false), Err(Some(s)) if (1..=60).contains(&s)));
        assert_eq!(failures.judge(b, false), Err(None));
    }

    #[test]
    fn a_valid_credential_passes_from_a_client_over_the_limit() {
        let failures = FailedLogins::new(2, Duration::from_secs(60));
        let a = address("10.0.0.1");
        for _ in 0..5 {
            let _ = failures.judge(a, false);
        }
        assert!(matches!(failures.judge(a, false), Err(Some(_))));
        assert_eq!(failures.judge(a, true), Ok(()));
    }

    #[test]
    fn failures_leave_the_window() {
        let failures = FailedLogins::new(1, Duration::from_millis(20));
        let a = address("10.0.0.1");
        assert_eq!(failures.judge(a, false), Err(None));
        assert!(matches!(failures.judge(a, false), Err(Some(_))));
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(failures.judge(a, false), Err(None));
    }
}
