//! A request's source as counters and audit aggregation count it (DESIGN.md decision 23).

use std::net::{IpAddr, Ipv6Addr};

/// What a source counts as: an IPv4 address is itself; an IPv6 address counts as its /64,
/// since one subscriber is routinely given a whole /64 (RFC 6177) and could otherwise take
/// a fresh address for every attempt. Anything else (a prefixed key) is kept as it is.
pub fn source_key(source: &str) -> String {
    match source.parse::<IpAddr>() {
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
        Ok(v4) => v4.to_string(),
        Err(_) => source.to_string(),
    }
}
