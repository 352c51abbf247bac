//! The client's address (DESIGN.md decision 23): the TCP peer, unless the peer is a
//! trusted proxy (`http.trusted_proxies`) *and* the operator named the one header that
//! proxy writes (`http.client_ip_header`). Then that header alone is read, from the right:
//! each trusted hop is skipped and the first untrusted address is the client. Entries to
//! its left were written by the client and are never believed, and no other header is
//! consulted: a proxy passes headers it does not set through untouched (nginx forwards a
//! client's `Forwarded` as it came), so reading a second one lets every client choose its
//! own address.

use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::config::ClientIpHeader;
use crate::domain::cidr::Cidr;

/// Where the client's address comes from.
#[derive(Debug, Clone, Default)]
pub struct ClientIpPolicy {
    pub header: Option<ClientIpHeader>,
    pub trusted: Vec<Cidr>,
}

impl ClientIpPolicy {
    fn is_trusted(&self, ip: IpAddr) -> bool {
        self.trusted.iter().any(|c| c.contains(ip))
    }

    /// Whether a connection's peer is one of `http.trusted_proxies`.
    pub fn is_trusted_peer(&self, peer: IpAddr) -> bool {
        self.is_trusted(canonical(peer))
    }

    /// The client's address; `None` only when the connection has no peer address.
    pub fn client_ip(&self, req: &HttpRequest) -> Option<IpAddr> {
        let peer = canonical(req.peer_addr()?.ip());
        let Some(header) = self.header.filter(|_| self.is_trusted(peer)) else {
            return Some(peer);
        };
        let mut client = peer;
        for hop in hops(req, header).iter().rev() {
            // A hop we cannot read (`unknown`, an obfuscated identifier, garbage) ends the
            // walk: what lies to its left cannot be trusted either.
            let Some(ip) = parse_hop(hop).map(canonical) else {
                break;
            };
            client = ip;
            if !self.is_trusted(ip) {
                break;
            }
        }
        Some(client)
    }

    /// [`Self::client_ip`] as text, empty when unknown.
    pub fn source(&self, req: &HttpRequest) -> String {
        self.client_ip(req)
            .map(|ip| ip.to_string())
            .unwrap_or_default()
    }
}

/// `::ffff:192.0.2.1` is 192.0.2.1 (a dual-stack listener reports IPv4 peers that way).
fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// The hops the named header lists, client first. Every field line of that header counts,
/// in order (RFC 9110 §5.3: several lines are one comma-separated list).
fn hops(req: &HttpRequest, header: ClientIpHeader) -> Vec<String> {
    let lines = req
        .headers()
        .get_all(header.name())
        .map(|v| v.to_str().unwrap_or("\u{0}"))
        .collect::<Vec<_>>()
        .join(",");
    match header {
        ClientIpHeader::XForwardedFor | ClientIpHeader::XRealIp => lines
            .split(',')
            .map(|h| h.trim().to_string())
            .filter(|h| !h.is_empty())
            .collect(),
        // RFC 7239 §4: elements separated by commas, pairs within by semicolons; an
        // element without `for=` stands for a hop that did not say (it ends the walk).
        ClientIpHeader::Forwarded => lines
            .split(',')
            .map(|element| {
                element
                    .split(';')
                    .find_map(|pair| {
                        let (k, v) = pair.trim().split_once('=')?;
                        k.trim()
                            .eq_ignore_ascii_case("for")
                            .then(|| v.trim().trim_matches('"').to_string())
                    })
                    .unwrap_or_default()
            })
            .collect(),
    }
}

/// An address from a hop: `192.0.2.1`, `192.0.2.1:8080`, `[2001:db8::1]:443`, `2001:db8::1`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse() {
        return Some(ip);
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok();
    }
    hop.rsplit_once(':')?.0.parse().ok()
}

/// The browser of a sign-in, as the session keeps it (`User-Agent`, shortened).
pub fn device(req: &actix_web::HttpRequest) -> crate::session::sso::Device {
    crate::session::sso::Device::from_user_agent(
        req.headers()
            .get(actix_web::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok()),
    )
}

#[cfg(test)]
mod tests {
    use actix_web::test::TestRequest;

    use super::*;

    fn policy(header: Option<ClientIpHeader>) -> ClientIpPolicy {
        ClientIpPolicy {
            header,
            trusted: vec![Cidr::parse("10.0.0.0/8").unwrap()],
        }
    }

    fn from(header: Option<ClientIpHeader>, peer: &str, headers: &[(&str, &str)]) -> String {
        let mut r = TestRequest::default().peer_addr(format!("{peer}:5000").parse().unwrap());
        for h in headers {
            r = r.append_header(*h);
        }
        policy(header).source(&r.to_http_request())
    }

    const XFF: Option<ClientIpHeader> = Some(ClientIpHeader::XForwardedFor);
    const FWD: Option<ClientIpHeader> = Some(ClientIpHeader::Forwarded);
    const REAL: Option<ClientIpHeader> = Some(ClientIpHeader::XRealIp);

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        assert_eq!(
            from(XFF, "203.0.113.9", &[("x-forwarded-for", "1.2.3.4")]),
            "203.0.113.9"
        );
    }

    #[test]
    fn with_no_header_named_the_peer_is_the_client_even_behind_a_trusted_proxy() {
        assert_eq!(
            from(
                None,
                "10.0.0.2",
                &[("x-forwarded-for", "1.2.3.4"), ("forwarded", "for=5.6.7.8")]
            ),
            "10.0.0.2"
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        assert_eq!(
            from(
                XFF,
                "10.0.0.2",
                &[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.5")]
            ),
            "198.51.100.7",
            "a client-written first entry is not believed"
        );
        assert_eq!(
            from(
                FWD,
                "10.0.0.2",
                &[(
                    "forwarded",
                    r#"for=198.51.100.7;proto=https, for="[2001:db8::1]:4711""#
                )]
            ),
            "2001:db8::1"
        );
        assert_eq!(from(XFF, "10.0.0.2", &[]), "10.0.0.2");
    }

    #[test]
    fn only_the_named_header_is_read_never_another_one_the_client_sent() {
        // nginx appends to X-Forwarded-For and passes a client's Forwarded through as is.
        let spoofed = [
            ("forwarded", "for=203.0.113.50"),
            ("x-real-ip", "203.0.113.51"),
            ("x-forwarded-for", "203.0.113.52, 198.51.100.7"),
        ];
        assert_eq!(from(XFF, "10.0.0.2", &spoofed), "198.51.100.7");
        assert_eq!(from(FWD, "10.0.0.2", &spoofed), "203.0.113.50");
        assert_eq!(from(REAL, "10.0.0.2", &spoofed), "203.0.113.51");
    }

    #[test]
    fn every_line_of_the_header_counts_in_order_and_the_last_one_wins() {
        assert_eq!(
            from(
                XFF,
                "10.0.0.2",
                &[
                    ("x-forwarded-for", "6.6.6.6"),
                    ("x-forwarded-for", "198.51.100.7")
                ]
            ),
            "198.51.100.7"
        );
    }

    #[test]
    fn an_unreadable_hop_ends_the_walk_at_the_last_trusted_address() {
        assert_eq!(
            from(
                FWD,
                "10.0.0.2",
                &[("forwarded", "for=6.6.6.6, for=unknown")]
            ),
            "10.0.0.2"
        );
        assert_eq!(
            from(XFF, "10.0.0.2", &[("x-forwarded-for", "6.6.6.6, _hidden")]),
            "10.0.0.2"
        );
    }

    #[test]
    fn an_ipv4_mapped_peer_is_its_ipv4_address() {
        let r = TestRequest::default()
            .peer_addr("[::ffff:10.0.0.2]:5000".parse().unwrap())
            .insert_header(("x-forwarded-for", "198.51.100.7"))
            .to_http_request();
        assert_eq!(policy(XFF).source(&r), "198.51.100.7");
    }
}
