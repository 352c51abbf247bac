//! The client's address: the TCP peer, or — only when the peer is a trusted proxy
//! (`http.trusted_proxies`) — the rightmost address in `Forwarded` (RFC 7239) or
//! `X-Forwarded-For` that is not itself a trusted proxy. Headers from anyone else are
//! ignored, since a client can write them.

use std::net::IpAddr;

use actix_web::HttpRequest;

use crate::domain::cidr::Cidr;

/// The hops a request passed, client first, from `Forwarded` (preferred) or
/// `X-Forwarded-For`.
fn forwarded_hops(req: &HttpRequest) -> Vec<String> {
    let header = |name: &str| {
        req.headers()
            .get_all(name)
            .filter_map(|v| v.to_str().ok())
            .collect::<Vec<_>>()
            .join(",")
    };
    let forwarded = header("forwarded");
    if !forwarded.is_empty() {
        return forwarded
            .split(',')
            .filter_map(|element| {
                element.split(';').find_map(|pair| {
                    let (k, v) = pair.trim().split_once('=')?;
                    k.trim()
                        .eq_ignore_ascii_case("for")
                        .then(|| v.trim().trim_matches('"').to_string())
                })
            })
            .collect();
    }
    header("x-forwarded-for")
        .split(',')
        .map(|h| h.trim().to_string())
        .filter(|h| !h.is_empty())
        .collect()
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

pub fn client_ip(req: &HttpRequest, trusted: &[Cidr]) -> Option<IpAddr> {
    let peer = req.peer_addr()?.ip();
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    if !is_trusted(peer) {
        return Some(peer);
    }
    let mut client = peer;
    for hop in forwarded_hops(req).iter().rev() {
        let Some(ip) = parse_hop(hop) else {
            break;
        };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    Some(client)
}

/// [`client_ip`] as text, empty when unknown.
pub fn source(req: &HttpRequest, trusted: &[Cidr]) -> String {
    client_ip(req, trusted)
        .map(|ip| ip.to_string())
        .unwrap_or_default()
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

    fn trusted() -> Vec<Cidr> {
        vec![Cidr::parse("10.0.0.0/8").unwrap()]
    }

    fn from(peer: &str, headers: &[(&str, &str)]) -> String {
        let mut r = TestRequest::default().peer_addr(format!("{peer}:5000").parse().unwrap());
        for h in headers {
            r = r.insert_header(*h);
        }
        source(&r.to_http_request(), &trusted())
    }

    #[test]
    fn headers_from_an_untrusted_peer_are_ignored() {
        assert_eq!(
            from("203.0.113.9", &[("x-forwarded-for", "1.2.3.4")]),
            "203.0.113.9"
        );
    }

    #[test]
    fn behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() {
        assert_eq!(
            from(
                "10.0.0.2",
                &[("x-forwarded-for", "6.6.6.6, 198.51.100.7, 10.0.0.5")]
            ),
            "198.51.100.7",
            "a client-written first entry is not believed"
        );
        assert_eq!(
            from(
                "10.0.0.2",
                &[(
                    "forwarded",
                    r#"for=198.51.100.7;proto=https, for="[2001:db8::1]:4711""#
                )]
            ),
            "2001:db8::1"
        );
        assert_eq!(from("10.0.0.2", &[]), "10.0.0.2");
    }
}
