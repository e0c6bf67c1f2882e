//! The `Host` allow-list: a page of another site that resolves its own name to this server's
//! address (DNS rebinding) sends its own name as `Host`, so only this server's names are
//! answered — the bind address, `localhost`, the loopback addresses, and configured names.

use std::net::SocketAddr;

/// The hosts (`name` or `name:port`) this server answers for.
#[derive(Debug, Clone)]
pub struct AllowedHosts {
    names: Vec<String>,
    port: u16,
}

impl AllowedHosts {
    /// The bind address's names plus `extra` (`--allowed-hosts`, the `--public-url`'s host).
    pub fn new(bind: SocketAddr, extra: &[String]) -> AllowedHosts {
        let mut names = vec![
            "localhost".to_string(),
            "127.0.0.1".to_string(),
            "[::1]".to_string(),
        ];
        let ip = bind.ip();
        if !ip.is_unspecified() {
            names.push(match ip {
                std::net::IpAddr::V6(v6) => format!("[{v6}]"),
                v4 => v4.to_string(),
            });
        }
        names.extend(extra.iter().map(|h| h.trim().to_ascii_lowercase()));
        AllowedHosts {
            names,
            port: bind.port(),
        }
    }

    /// Whether a request's `Host` header value is one of this server's.
    pub fn allows(&self, host: &str) -> bool {
        let host = host.trim().to_ascii_lowercase();
        self.names.iter().any(|name| {
            host == *name
                || host
                    .strip_prefix(name.as_str())
                    .and_then(|rest| rest.strip_prefix(':'))
                    .is_some_and(|port| name.contains(':') || port == self.port.to_string())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_names_and_configured_hosts_are_allowed_and_others_not() {
        let hosts = AllowedHosts::new(
            "127.0.0.1:8080".parse().unwrap(),
            &["lab.example.org".into()],
        );
        for ok in [
            "127.0.0.1:8080",
            "localhost:8080",
            "LOCALHOST",
            "[::1]:8080",
            "lab.example.org",
            "lab.example.org:8080",
        ] {
            assert!(hosts.allows(ok), "{ok}");
        }
        for refused in [
            "evil.example",
            "evil.example:8080",
            "127.0.0.1:9999",
            "localhost.evil.example",
            "lab.example.org.evil",
        ] {
            assert!(!hosts.allows(refused), "{refused}");
        }
    }
}
