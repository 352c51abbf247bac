//! ID tokens (OpenID Connect Core §2, §3.1.3.6). Identity claims such as `name` or `email`
//! are not put here for the code flow: they come from UserInfo (OIDC Core §5.4).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwt::JwtPayload;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::clock::UnixTime;
use crate::keys::{KeyError, KeyManager};

pub struct IdTokenRequest<'a> {
    pub issuer: &'a str,
    pub subject: &'a str,
    pub client_id: &'a str,
    pub auth_time: UnixTime,
    pub nonce: Option<&'a str>,
    pub acr: Option<&'a str>,
    pub amr: Vec<String>,
    pub sid: Option<&'a str>,
    /// The access token issued alongside, for `at_hash`.
    pub access_token: &'a str,
    pub now: UnixTime,
    pub ttl: i64,
}

/// `at_hash`: the left half of the SHA-256 of the access token, base64url (RS256's hash).
pub fn at_hash(access_token: &str) -> String {
    let digest = Sha256::digest(access_token.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..16])
}

pub fn issue(keys: &KeyManager, r: &IdTokenRequest<'_>) -> Result<String, KeyError> {
    let mut p = JwtPayload::new();
    let mut set = |name: &str, value: Value| {
        p.set_claim(name, Some(value))
            .map_err(|e| KeyError::Jose(e.to_string()))
    };
    set("iss", json!(r.issuer))?;
    set("sub", json!(r.subject))?;
    set("aud", json!(r.client_id))?;
    set("azp", json!(r.client_id))?;
    set("iat", json!(r.now))?;
    set("exp", json!(r.now + r.ttl))?;
    set("auth_time", json!(r.auth_time))?;
    set("at_hash", json!(at_hash(r.access_token)))?;
    if let Some(n) = r.nonce {
        set("nonce", json!(n))?;
    }
    if let Some(a) = r.acr {
        set("acr", json!(a))?;
    }
    if !r.amr.is_empty() {
        set("amr", json!(r.amr))?;
    }
    if let Some(s) = r.sid {
        set("sid", json!(s))?;
    }
    keys.sign("JWT", &p)
}

#[cfg(test)]
mod tests {
    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OpenID Connect Core, Appendix A.3.
        assert_eq!(
            super::at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }
}
