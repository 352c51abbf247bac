//! RFC 7638 JWK thumbprints (SHA-256): the key id Portcullis gives its own keys and DPoP's
//! `jkt` (RFC 9449 §6.1).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwk::Jwk;
use sha2::{Digest, Sha256};

/// The required public members of each key type (RFC 7638 §3.2, RFC 8037 §2).
pub fn required_members(kty: &str) -> &'static [&'static str] {
    match kty {
        "RSA" => &["e", "n"],
        "EC" => &["crv", "x", "y"],
        "OKP" => &["crv", "x"],
        _ => &[],
    }
}

/// `None` for a key type without a thumbprint here or a key missing a member.
pub fn thumbprint(jwk: &Jwk) -> Option<String> {
    let kty = jwk.key_type();
    let members = required_members(kty);
    if members.is_empty() {
        return None;
    }
    // Members in lexicographic order, no whitespace (RFC 7638 §3.3). Built by hand: a
    // dependency may turn on serde_json's `preserve_order`, and then a map keeps insertion
    // order.
    let mut pairs: Vec<(&str, &str)> = vec![("kty", kty)];
    for name in members {
        pairs.push((name, jwk.parameter(name)?.as_str()?));
    }
    pairs.sort_unstable_by_key(|(name, _)| *name);
    let body: Vec<String> = pairs
        .iter()
        .map(|(name, value)| format!("\"{name}\":{}", serde_json::Value::from(*value)))
        .collect();
    let text = format!("{{{}}}", body.join(","));
    Some(URL_SAFE_NO_PAD.encode(Sha256::digest(text.as_bytes())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thumbprints_match_rfc_7638s_example() {
        // RFC 7638 §3.1.
        let jwk = Jwk::from_bytes(br#"{"kty":"RSA","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw","e":"AQAB","alg":"RS256","kid":"2011-04-29"}"#).unwrap();
        assert_eq!(
            thumbprint(&jwk).unwrap(),
            "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs"
        );
    }

    #[test]
    fn keys_without_a_thumbprint_rule_have_none() {
        let jwk = Jwk::from_bytes(br#"{"kty":"oct","k":"AAAA"}"#).unwrap();
        assert!(thumbprint(&jwk).is_none());
    }
}
