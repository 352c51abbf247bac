//! Where the sign-in page may send a browser back to (`rd`): only to hosts the operator
//! listed (`forward_auth.allowed_redirect_hosts`) or to the issuer's own origin, so the
//! page can never be used as an open redirector (RFC 9700 §4.11).

use url::Url;

/// Longest `rd` accepted: a URL that long is not an application's page.
pub const MAX_RD_LEN: usize = 4096;

/// One entry of `allowed_redirect_hosts`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPattern {
    /// `app.example.com` (any port) or `app.example.com:8443` (that port only).
    Exact { host: String, port: Option<u16> },
    /// `*.example.com`: any host below `example.com`, not `example.com` itself.
    Below(String),
}

fn is_host(h: &str) -> bool {
    !h.is_empty()
        && h.len() <= 253
        && h.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !h.starts_with('.')
        && !h.ends_with('.')
        && !h.contains("..")
}

impl HostPattern {
    pub fn parse(entry: &str) -> Option<Self> {
        let entry = entry.trim().to_ascii_lowercase();
        if let Some(domain) = entry.strip_prefix("*.") {
            return is_host(domain).then(|| Self::Below(domain.to_string()));
        }
        let (host, port) = match entry.rsplit_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.parse::<u16>().ok()?)),
            None => (entry.clone(), None),
        };
        is_host(&host).then_some(Self::Exact { host, port })
    }

    fn matches(&self, host: &str, port: Option<u16>) -> bool {
        match self {
            Self::Exact { host: h, port: p } => h == host && (p.is_none() || *p == port),
            Self::Below(domain) => host
                .strip_suffix(domain.as_str())
                .is_some_and(|rest| rest.len() > 1 && rest.ends_with('.')),
        }
    }
}

/// Parses the operator's list; entries that do not parse were refused at start-up.
pub fn patterns(entries: &[String]) -> Vec<HostPattern> {
    entries
        .iter()
        .filter_map(|e| HostPattern::parse(e))
        .collect()
}

/// `rd` as a URL the browser may be sent to, or `None`. Absolute `http(s)` URLs only, no
/// credentials, on an allowed host or the issuer's origin; `https` only under an `https`
/// issuer (a sign-in is not downgraded to a plain-text page).
pub fn allowed(rd: &str, issuer: &str, allowed: &[HostPattern]) -> Option<Url> {
    if rd.len() > MAX_RD_LEN || rd.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return None;
    }
    let url = Url::parse(rd).ok()?;
    let issuer = Url::parse(issuer).ok()?;
    match url.scheme() {
        "https" => {}
        "http" if issuer.scheme() == "http" => {}
        _ => return None,
    }
    if !url.username().is_empty() || url.password().is_some() {
        return None;
    }
    if url.origin() == issuer.origin() {
        return Some(url);
    }
    let host = url.host_str()?.to_ascii_lowercase();
    allowed
        .iter()
        .any(|p| p.matches(&host, url.port_or_known_default()))
        .then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ISSUER: &str = "https://id.example.com";

    fn list() -> Vec<HostPattern> {
        patterns(&[
            "app.example.com".into(),
            "*.apps.example.com".into(),
            "admin.example.com:8443".into(),
        ])
    }

    #[test]
    fn listed_hosts_and_the_issuer_are_allowed() {
        for rd in [
            "https://app.example.com/orders?id=1",
            "https://app.example.com:9000/",
            "https://grafana.apps.example.com/d/x",
            "https://admin.example.com:8443/",
            "https://id.example.com/account",
        ] {
            assert!(allowed(rd, ISSUER, &list()).is_some(), "{rd}");
        }
    }

    #[test]
    fn every_other_address_is_refused() {
        for rd in [
            "https://evil.example/",
            "https://apps.example.com/",
            "https://app.example.com.evil.example/",
            "https://evilapps.example.com/",
            "https://admin.example.com/",
            "http://app.example.com/",
            "//app.example.com/",
            "/relative",
            "javascript:alert(1)",
            "https://user:pw@app.example.com/",
            "https://app.example.com/\nx",
            "",
        ] {
            assert!(allowed(rd, ISSUER, &list()).is_none(), "{rd}");
        }
        let long = format!("https://app.example.com/{}", "a".repeat(MAX_RD_LEN));
        assert!(allowed(&long, ISSUER, &list()).is_none());
    }

    #[test]
    fn plain_http_is_allowed_only_under_a_plain_http_issuer() {
        let list = patterns(&["app.localhost".into()]);
        assert!(allowed("http://app.localhost:8080/", "http://localhost:9000", &list).is_some());
        assert!(allowed("http://app.localhost:8080/", ISSUER, &list).is_none());
    }

    #[test]
    fn patterns_parse_hosts_ports_and_wildcards_only() {
        assert_eq!(
            HostPattern::parse("App.Example.com"),
            Some(HostPattern::Exact {
                host: "app.example.com".into(),
                port: None
            })
        );
        assert_eq!(
            HostPattern::parse("*.example.com"),
            Some(HostPattern::Below("example.com".into()))
        );
        for bad in ["", "*", "*.", "a..b", "https://x", "x:port", "x/y", "*.*.x"] {
            assert_eq!(HostPattern::parse(bad), None, "{bad}");
        }
    }
}
