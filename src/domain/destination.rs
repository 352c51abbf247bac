//! Which destinations an outgoing request may reach. Special-use addresses (RFC 6890 and
//! its IPv6 counterparts) are refused unless `http.allow_private_destinations` is set:
//! loopback, RFC 1918 private ranges, link-local (incl. the 169.254.169.254 metadata
//! service), CGNAT, unique-local, multicast, unspecified and reserved ranges, and IPv4
//! addresses hidden in IPv6 forms (mapped, compatible, translated, NAT64, 6to4, Teredo)
//! and the discard-only prefix. URLs are checked at
//! registration; every address a name resolves to is checked again at connection time,
//! so DNS rebinding does not help.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use url::{Host, Url};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error("only http and https URLs may be fetched")]
    Scheme,
    #[error("URLs with credentials (user:pass@) are refused")]
    Credentials,
    #[error("the URL has no host")]
    NoHost,
    #[error("{0} is a special-use address (loopback, private, link-local, …)")]
    SpecialUse(IpAddr),
    #[error("`localhost` names this machine")]
    Localhost,
}

fn special_v4(ip: Ipv4Addr) -> bool {
    let [a, b, c, _] = ip.octets();
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0 // "this network"
        || (a == 100 && (64..128).contains(&b)) // CGNAT, RFC 6598
        || (a == 192 && b == 0 && c == 0) // IETF protocol assignments
        || (a == 198 && (18..20).contains(&b)) // benchmarking, RFC 2544
        || a >= 240 // reserved
}

fn special_v6(ip: Ipv6Addr) -> bool {
    if let Some(v4) = ip.to_ipv4_mapped() {
        return special_v4(v4);
    }
    let s = ip.segments();
    // IPv4-compatible (::a.b.c.d, deprecated) hides an IPv4 address.
    if s[..6] == [0, 0, 0, 0, 0, 0] {
        let v4 = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
        return ip.is_unspecified() || ip.is_loopback() || special_v4(v4);
    }
    ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        || embeds_ipv4(s)
        || s[..4] == [0x100, 0, 0, 0] // discard-only, 100::/64 (RFC 6666)
        || (s[0] & 0xfe00) == 0xfc00 // unique local, fc00::/7
        || (s[0] & 0xffc0) == 0xfe80 // link-local, fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local (deprecated), fec0::/10
        || (s[0] == 0x2001 && s[1] == 0x0db8) // documentation
}

/// The ranges whose addresses are IPv4 addresses in IPv6 clothing, translated or tunnelled
/// by some box on the way: any of them may lead to an internal IPv4 address, whatever the
/// embedded address looks like, so each is refused whole (hardening round 2, finding 11).
fn embeds_ipv4(s: [u16; 8]) -> bool {
    s[0] == 0x2002 // 6to4, 2002::/16 (RFC 3056)
        || s[..2] == [0x2001, 0] // Teredo, 2001::/32 (RFC 4380)
        || s[..6] == [0x64, 0xff9b, 0, 0, 0, 0] // NAT64 well-known, 64:ff9b::/96 (RFC 6052)
        || s[..3] == [0x64, 0xff9b, 1] // NAT64 local use, 64:ff9b:1::/48 (RFC 8215)
        || s[..6] == [0, 0, 0, 0, 0xffff, 0] // IPv4-translated, ::ffff:0:0:0/96 (RFC 2765)
}

pub fn is_special_use(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => special_v4(v4),
        IpAddr::V6(v6) => special_v6(v6),
    }
}

/// An address a name resolved to, at connection time.
pub fn check_address(ip: IpAddr, allow_private: bool) -> Result<(), Refused> {
    if !allow_private && is_special_use(ip) {
        return Err(Refused::SpecialUse(ip));
    }
    Ok(())
}

/// A URL, before anything is resolved: scheme, no credentials, and a literal address (in
/// any of the numeric forms URL parsing normalises, such as `2130706433`) or `localhost`
/// must not be special-use.
pub fn check_url(url: &Url, allow_private: bool) -> Result<(), Refused> {
    if !matches!(url.scheme(), "http" | "https") {
        return Err(Refused::Scheme);
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(Refused::Credentials);
    }
    match url.host() {
        None => Err(Refused::NoHost),
        Some(Host::Ipv4(ip)) => check_address(IpAddr::V4(ip), allow_private),
        Some(Host::Ipv6(ip)) => check_address(IpAddr::V6(ip), allow_private),
        Some(Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if !allow_private && (d == "localhost" || d.ends_with(".localhost")) {
                return Err(Refused::Localhost);
            }
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refused(url: &str) -> bool {
        check_url(&Url::parse(url).unwrap(), false).is_err()
    }

    #[test]
    fn special_use_destinations_are_refused_in_every_spelling() {
        for url in [
            "https://169.254.169.254/latest/meta-data/",
            "https://10.0.0.1:6379/",
            "http://2130706433:4151/",
            "http://0x7f.1/",
            "http://127.1/",
            "http://user:pass@example.com/",
            "http://[::1]/",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://[64:ff9b::a9fe:a9fe]/",
            "http://[fd00::1]/",
            "http://[fe80::1]/",
            "http://100.64.0.1/",
            "http://0.0.0.0/",
            "http://224.0.0.1/",
            "http://192.168.1.1/",
            "http://172.16.0.1/",
            "http://localhost/",
            "http://app.localhost/",
            "ftp://example.com/",
        ] {
            assert!(refused(url), "{url}");
        }
    }

    #[test]
    fn every_ipv6_range_that_embeds_ipv4_is_refused_whatever_it_embeds() {
        // Each with a public IPv4 address inside (93.184.216.34 = 5db8:d822), so only
        // the range itself can refuse it.
        for ip in [
            "2002:5db8:d822::1",                    // 6to4
            "64:ff9b::5db8:d822",                   // NAT64, well-known prefix
            "64:ff9b:1::5db8:d822",                 // NAT64, local-use prefix
            "64:ff9b:1:ffff:ffff:ffff::1",          // … anywhere in its /48
            "::ffff:0:5db8:d822",                   // IPv4-translated
            "2001:0:4136:e378:8000:63bf:a247:2bdd", // Teredo
            "100::1",                               // discard-only
            "100::ffff:ffff:ffff:ffff",             // … anywhere in its /64
        ] {
            let ip: IpAddr = ip.parse().unwrap();
            assert!(check_address(ip, false).is_err(), "{ip}");
            assert!(refused(&format!("http://[{ip}]/")), "{ip}");
            assert!(check_address(ip, true).is_ok(), "the switch allows {ip}");
        }
        for neighbour in ["2003::1", "2001:1::1", "64:ff9b:2::1", "100:0:0:1::1"] {
            let ip: IpAddr = neighbour.parse().unwrap();
            assert!(check_address(ip, false).is_ok(), "{ip} is outside them");
        }
    }

    #[test]
    fn public_destinations_pass_and_the_switch_allows_private_ones() {
        for url in [
            "https://rp.example.com/backchannel",
            "https://93.184.216.34/jwks",
            "https://[2606:2800:220:1::1]/",
        ] {
            assert!(!refused(url), "{url}");
        }
        let local = Url::parse("http://127.0.0.1:8080/cb").unwrap();
        assert!(check_url(&local, true).is_ok());
        assert!(check_address("10.1.2.3".parse().unwrap(), true).is_ok());
        assert!(check_address("10.1.2.3".parse().unwrap(), false).is_err());
    }
}
