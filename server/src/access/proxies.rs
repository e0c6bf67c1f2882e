//! Which client a request comes from when the lab sits behind reverse proxies. A connection
//! from a proxy named by `--trusted-proxy` is believed about the address it forwards
//! (`X-Forwarded-For`); anyone else's header is ignored, since any client can write one. The
//! client is the right-most forwarded address that is not itself a trusted proxy: every proxy
//! appends the address it was reached from, so entries left of the first untrusted one may be
//! the client's own inventions.

use std::net::IpAddr;

use axum::http::HeaderMap;
use ipnet::IpNet;

/// The proxies whose `X-Forwarded-For` is believed.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Parses `--trusted-proxy` values: addresses (`10.0.0.5`, `::1`) or networks
    /// (`10.0.0.0/8`).
    pub fn parse(values: &[String]) -> Result<TrustedProxies, String> {
        values
            .iter()
            .map(|value| {
                let value = value.trim();
                value
                    .parse::<IpNet>()
                    .or_else(|_| value.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| {
                        format!("--trusted-proxy `{value}` is neither an IP address nor a network like 10.0.0.0/8")
                    })
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    fn trusts(&self, address: IpAddr) -> bool {
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind a connection from `peer` that sent `headers`.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        if !self.trusts(peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(|entry| entry.trim().parse::<IpAddr>())
            .collect::<Result<_, _>>()
            // A header that does not parse is not believed at all.
            .unwrap_or_default();
        forwarded
            .into_iter()
            .rev()
            .find(|address| !self.trusts(*address))
            .unwrap_or(peer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded_for(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", value.parse().unwrap());
        headers
    }

    #[test]
    fn a_trusted_proxy_is_believed_about_the_client_it_forwards() {
        let proxies = TrustedProxies::parse(&["10.0.0.0/8".into()]).unwrap();
        let headers = forwarded_for("203.0.113.9");
        assert_eq!(proxies.client(ip("10.1.2.3"), &headers), ip("203.0.113.9"));
    }

    #[test]
    fn anyone_else_is_not_believed() {
        let proxies = TrustedProxies::parse(&["10.0.0.5".into()]).unwrap();
        let headers = forwarded_for("203.0.113.9");
        assert_eq!(
            proxies.client(ip("198.51.100.7"), &headers),
            ip("198.51.100.7")
        );
        let nobody = TrustedProxies::default();
        assert_eq!(nobody.client(ip("10.0.0.5"), &headers), ip("10.0.0.5"));
    }

    #[test]
    fn the_client_is_the_right_most_address_no_trusted_proxy_added() {
        let proxies = TrustedProxies::parse(&["10.0.0.5".into(), "10.0.0.6".into()]).unwrap();
        // The client wrote 1.2.3.4 itself; 203.0.113.9 is where proxy 10.0.0.6 was reached from.
        let headers = forwarded_for("1.2.3.4, 203.0.113.9, 10.0.0.6");
        assert_eq!(proxies.client(ip("10.0.0.5"), &headers), ip("203.0.113.9"));
    }

    #[test]
    fn a_header_that_does_not_parse_is_ignored() {
        let proxies = TrustedProxies::parse(&["10.0.0.5".into()]).unwrap();
        let headers = forwarded_for("203.0.113.9, not-an-address");
        assert_eq!(proxies.client(ip("10.0.0.5"), &headers), ip("10.0.0.5"));
    }

    #[test]
    fn a_value_that_is_no_address_is_refused_with_its_text() {
        let err = TrustedProxies::parse(&["proxy.local".into()]).unwrap_err();
        assert!(err.contains("`proxy.local`"), "{err}");
    }
}
