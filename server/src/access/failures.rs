//! Failed logins per client address: after `limit` failures within a window, every further
//! attempt from that address is refused with 429 until the oldest failure leaves the window —
//! before its credentials are even checked, so guessing cannot go on.
//!
//! Written here rather than with a rate-limiting crate (e.g. governor): those limit every
//! request, while this must count only failures yet block every attempt once over the limit,
//! and the whole mechanism is a map of timestamps.

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

    /// Seconds until `client` may try again; `None` when it may now.
    pub fn blocked(&self, client: IpAddr) -> Option<u64> {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let times = recent.get_mut(&client)?;
        while times.front().is_some_and(|t| now - *t >= self.window) {
            times.pop_front();
        }
        if times.is_empty() {
            recent.remove(&client);
            return None;
        }
        (times.len() >= self.limit).then(|| {
            let oldest = *times.front().expect("not empty");
            (self.window - (now - oldest)).as_secs().max(1)
        })
    }

    /// Counts a failed attempt of `client`.
    pub fn record(&self, client: IpAddr) {
        let mut recent = self.recent.lock().unwrap_or_else(|e| e.into_inner());
        recent.entry(client).or_default().push_back(Instant::now());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_is_blocked_after_its_failures_and_others_are_not() {
        let failures = FailedLogins::new(3, Duration::from_secs(60));
        let (a, b): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        for _ in 0..2 {
            failures.record(a);
        }
        assert_eq!(failures.blocked(a), None);
        failures.record(a);
        assert!(failures.blocked(a).is_some_and(|s| (1..=60).contains(&s)));
        assert_eq!(failures.blocked(b), None);
    }

    #[test]
    fn failures_leave_the_window() {
        let failures = FailedLogins::new(1, Duration::from_millis(20));
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        failures.record(a);
        assert!(failures.blocked(a).is_some());
        std::thread::sleep(Duration::from_millis(30));
        assert_eq!(failures.blocked(a), None);
    }
}
