//! Redirect URIs (RFC 6749 §3.1.2), also used for post-logout redirect URIs (OIDC
//! RP-Initiated Logout §3). Registration checks the shape once; afterwards a presented
//! value is compared with the registered ones as an exact string (RFC 9700 §4.1.3,
//! OIDC Core §3.1.2.1 "Simple String Comparison"), never normalised: `HTTPS://…`, a
//! trailing slash, an explicit `:443`, a percent-encoded character or userinfo are all
//! different URIs here. This type is the only place that compares redirect URIs.

use std::fmt;

use serde::Serialize;

use super::uri::{self, UriProblem};

/// A registered redirect URI: checked when the client was registered, kept as given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct RedirectUri(String);

impl RedirectUri {
    /// Registration rules: absolute, no fragment, https (http only on loopback hosts,
    /// RFC 8252 §7.3) or a private-use scheme for native apps (RFC 8252 §7.1).
    pub fn register(value: &str) -> Result<Self, UriProblem> {
        uri::check_redirect_uri(value)?;
        Ok(Self(value.to_string()))
    }

    /// A value read back from our own store, which only holds registered URIs.
    pub fn from_stored(value: String) -> Self {
        Self(value)
    }

    /// Exact, byte-for-byte comparison with a presented value.
    pub fn matches(&self, presented: &str) -> bool {
        self.0 == presented
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A loopback redirect by the name `localhost` (RFC 8252 §8.3 prefers the IP literal).
    pub fn is_localhost(&self) -> bool {
        url::Url::parse(&self.0)
            .ok()
            .and_then(|u| u.host_str().map(|h| h.eq_ignore_ascii_case("localhost")))
            .unwrap_or(false)
    }
}

impl fmt::Display for RedirectUri {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Which registered URI a request means: the presented one if it is registered exactly,
/// or — when the request names none — the only one registered (RFC 6749 §3.1.2.3).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution<'a> {
    Matched(&'a RedirectUri),
    /// Presented, but not registered for this client.
    NotRegistered,
    /// Not presented, and the client has zero or several registered.
    Missing,
}

pub fn resolve<'a>(registered: &'a [RedirectUri], presented: Option<&str>) -> Resolution<'a> {
    match presented {
        Some(p) => registered
            .iter()
            .find(|r| r.matches(p))
            .map_or(Resolution::NotRegistered, Resolution::Matched),
        None => match registered {
            [only] => Resolution::Matched(only),
            _ => Resolution::Missing,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGISTERED: &str = "https://app.example.com/cb";

    fn registered() -> Vec<RedirectUri> {
        vec![RedirectUri::register(REGISTERED).unwrap()]
    }

    #[test]
    fn a_redirect_uri_matches_only_the_exact_registered_string() {
        assert_eq!(
            resolve(&registered(), Some(REGISTERED)),
            Resolution::Matched(&registered()[0])
        );
        for variant in [
            "HTTPS://app.example.com/cb",
            "https://APP.example.com/cb",
            "https://app.example.com/CB",
            "https://app.example.com/cb/",
            "https://app.example.com:443/cb",
            "https://app.example.com:8443/cb",
            "https://app.example.com/%63b",
            "https://user@app.example.com/cb",
            "https://app.example.com/cb?x=1",
            "https://app.example.com/cb#",
            "https://app.example.com.evil.example/cb",
            "http://app.example.com/cb",
            " https://app.example.com/cb",
        ] {
            assert_eq!(
                resolve(&registered(), Some(variant)),
                Resolution::NotRegistered,
                "{variant}"
            );
        }
    }

    #[test]
    fn an_omitted_redirect_uri_means_the_only_registered_one() {
        assert_eq!(
            resolve(&registered(), None),
            Resolution::Matched(&registered()[0])
        );
        let two = vec![
            RedirectUri::register(REGISTERED).unwrap(),
            RedirectUri::register("https://app.example.com/other").unwrap(),
        ];
        assert_eq!(resolve(&two, None), Resolution::Missing);
    }

    #[test]
    fn a_localhost_redirect_is_recognised_for_the_rfc_8252_warning() {
        assert!(
            RedirectUri::register("http://localhost:8080/cb")
                .unwrap()
                .is_localhost()
        );
        assert!(
            !RedirectUri::register("http://127.0.0.1:8080/cb")
                .unwrap()
                .is_localhost()
        );
    }

    #[test]
    fn registration_refuses_unsafe_redirect_targets() {
        for bad in [
            "/cb",
            "https://a.example/cb#frag",
            "http://a.example/cb",
            "javascript:alert(1)",
        ] {
            assert!(RedirectUri::register(bad).is_err(), "{bad}");
        }
        assert!(RedirectUri::register("http://127.0.0.1:9000/cb").is_ok());
        assert!(RedirectUri::register("com.example.app:/cb").is_ok());
    }

    proptest::proptest! {
        #[test]
        fn registration_never_panics_and_matching_is_exact(input in "\\PC{0,80}", other in "\\PC{0,80}") {
            if let Ok(uri) = RedirectUri::register(&input) {
                proptest::prop_assert!(uri.matches(&input));
                proptest::prop_assert_eq!(uri.matches(&other), other == input);
                proptest::prop_assert!(!input.contains('#'));
                proptest::prop_assert!(!input.chars().any(char::is_whitespace));
            }
        }

        #[test]
        fn registered_https_uris_without_fragment_are_accepted(host in "[a-z]{1,10}", path in "[a-z0-9/]{0,12}") {
            let uri = format!("https://{host}.example/{path}");
            proptest::prop_assert!(RedirectUri::register(&uri).is_ok());
            let with_fragment = format!("{uri}#x");
            proptest::prop_assert!(RedirectUri::register(&with_fragment).is_err());
        }
    }
}
