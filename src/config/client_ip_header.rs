//! `http.client_ip_header`: the one header the operator's proxy writes the client's
//! address into (DESIGN.md decision 23). Only that header is read, and only from a peer in
//! `http.trusted_proxies`; no other header is ever combined with it, because any header
//! the proxy merely passes through was written by the client.

use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClientIpHeader {
    /// `X-Forwarded-For`: a list, each proxy appending the address it saw (nginx's
    /// `$proxy_add_x_forwarded_for`, Caddy, Traefik, Envoy, HAProxy's `forwardfor`).
    XForwardedFor,
    /// `Forwarded` (RFC 7239 §4): the same list, as `for=` parameters.
    Forwarded,
    /// `X-Real-IP`: one address, replaced (not appended) by the proxy (nginx's
    /// `proxy_set_header X-Real-IP $remote_addr`).
    XRealIp,
}

impl ClientIpHeader {
    pub fn name(self) -> &'static str {
        match self {
            Self::XForwardedFor => "x-forwarded-for",
            Self::Forwarded => "forwarded",
            Self::XRealIp => "x-real-ip",
        }
    }
}
