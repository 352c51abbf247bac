//! Pushed authorization requests (RFC 9126): what a push may carry, the `request_uri`
//! that names it, and how long it lives.

use crate::domain::opaque;

/// RFC 9126 §2.2: the URN prefix of request URIs.
pub const URN_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";
/// A request URI carries 256 bits of randomness.
const REFERENCE_BYTES: usize = 32;
/// Once `/authorize` has taken a pushed request, it stays this long for the sign-in and
/// consent pages that follow (which carry only its reference).
pub const SIGN_IN_WINDOW_SECS: i64 = 600;

/// Client authentication travels with the push but is not part of the request.
const CLIENT_AUTHENTICATION: &[&str] =
    &["client_secret", "client_assertion", "client_assertion_type"];

/// A new `request_uri` and the hash it is stored under.
pub fn new_request_uri() -> (String, Vec<u8>) {
    let uri = format!("{URN_PREFIX}{}", opaque::generate(REFERENCE_BYTES).expose());
    let hash = opaque::hash(&uri);
    (uri, hash)
}

/// The parameters to store, form-encoded in name order, with `client_id` set to the
/// authenticated client (RFC 9126 §2.1: a different one is an error; a push may not
/// itself name a `request_uri`).
pub fn pushable<'a>(
    pairs: impl Iterator<Item = (&'a str, &'a str)>,
    client_id: &str,
) -> Result<String, &'static str> {
    let mut kept: Vec<(&str, &str)> = Vec::new();
    for (name, value) in pairs {
        match name {
            "request_uri" => return Err("a pushed request may not carry request_uri"),
            "client_id" if value != client_id => {
                return Err("client_id is not the authenticated client");
            }
            "client_id" => {}
            n if CLIENT_AUTHENTICATION.contains(&n) => {}
            _ => kept.push((name, value)),
        }
    }
    kept.push(("client_id", client_id));
    kept.sort_unstable();
    let mut out = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in kept {
        out.append_pair(name, value);
    }
    Ok(out.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_push_keeps_the_request_and_drops_client_authentication() {
        let pairs = [
            ("scope", "openid"),
            ("client_secret", "s3cret"),
            ("client_assertion_type", "x"),
            ("response_type", "code"),
        ];
        let stored = pushable(pairs.into_iter(), "web").unwrap();
        assert_eq!(stored, "client_id=web&response_type=code&scope=openid");
    }

    #[test]
    fn a_push_naming_another_client_or_a_request_uri_is_refused() {
        assert!(pushable([("client_id", "other")].into_iter(), "web").is_err());
        assert!(pushable([("request_uri", "urn:x")].into_iter(), "web").is_err());
        assert!(pushable([("client_id", "web")].into_iter(), "web").is_ok());
    }

    #[test]
    fn request_uris_are_distinct_urns() {
        let (a, ha) = new_request_uri();
        let (b, _) = new_request_uri();
        assert!(a.starts_with(URN_PREFIX) && a.len() > URN_PREFIX.len() + 40);
        assert_ne!(a, b);
        assert_eq!(ha, opaque::hash(&a));
    }
}
