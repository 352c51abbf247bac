//! The upstream's ID token (OpenID Connect Core §3.1.3.7) and back-channel logout token
//! (Back-Channel Logout 1.0 §2.6), accepted only after every check: its signature by a key
//! of the upstream's JWK set with an algorithm it announced, then its claims.

use serde_json::{Map, Value};

use crate::clock::UnixTime;
use crate::token::jwk_set::{self, SignatureError};

/// What the checks are against.
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    /// The `nonce` we sent with the authorization request.
    pub nonce: &'a str,
    pub algs: &'a [String],
    pub now: UnixTime,
    pub skew: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdTokenError {
    #[error("the ID token's signature does not verify: {0}")]
    Signature(#[from] SignatureError),
    #[error("the ID token's {0}")]
    Claims(&'static str),
}

impl IdTokenError {
    /// A key id the set lacks: the upstream may have rotated, so fetch its set again once.
    pub fn unknown_key(&self) -> bool {
        matches!(self, IdTokenError::Signature(SignatureError::UnknownKey))
    }
}

/// The verified claims.
#[derive(Debug, Clone, PartialEq)]
pub struct IdClaims {
    pub sub: String,
    /// The upstream's session, for its back-channel logout.
    pub sid: Option<String>,
    pub claims: Map<String, Value>,
}

fn algs(list: &[String]) -> Vec<&str> {
    list.iter().map(String::as_str).collect()
}

/// `aud` names exactly us (a string, or an array of one); anything else may be a token
/// meant for another party.
fn audience_is(claims: &Map<String, Value>, client_id: &str) -> bool {
    match claims.get("aud") {
        Some(Value::String(a)) => a == client_id,
        Some(Value::Array(list)) => matches!(list.as_slice(), [Value::String(a)] if a == client_id),
        _ => false,
    }
}

fn number(claims: &Map<String, Value>, name: &str) -> Option<i64> {
    claims.get(name).and_then(Value::as_f64).map(|n| n as i64)
}

fn string<'a>(claims: &'a Map<String, Value>, name: &str) -> Option<&'a str> {
    claims.get(name).and_then(Value::as_str)
}

/// Checks `token` against `jwks` (the upstream's set) and `expected`.
pub fn verify(token: &str, jwks: &str, expected: &Expected<'_>) -> Result<IdClaims, IdTokenError> {
    let claims = jwk_set::verify(token, jwks, &algs(expected.algs))?.claims;
    if string(&claims, "iss") != Some(expected.issuer) {
        return Err(IdTokenError::Claims("iss is not the upstream's issuer"));
    }
    if !audience_is(&claims, expected.client_id) {
        return Err(IdTokenError::Claims("aud is not (only) our client_id"));
    }
    // §3.1.3.7 (5): an `azp`, if present, is our client_id.
    if claims.contains_key("azp") && string(&claims, "azp") != Some(expected.client_id) {
        return Err(IdTokenError::Claims("azp is not our client_id"));
    }
    let exp = number(&claims, "exp").ok_or(IdTokenError::Claims("has no exp"))?;
    if exp <= expected.now - expected.skew {
        return Err(IdTokenError::Claims("has expired"));
    }
    let iat = number(&claims, "iat").ok_or(IdTokenError::Claims("has no iat"))?;
    if iat > expected.now + expected.skew {
        return Err(IdTokenError::Claims("was issued in the future"));
    }
    // §3.1.3.7 (11): the nonce we sent, so a token from another sign-in cannot be replayed.
    if string(&claims, "nonce") != Some(expected.nonce) {
        return Err(IdTokenError::Claims("nonce is not the one we sent"));
    }
    let sub = string(&claims, "sub")
        .filter(|s| !s.is_empty() && s.len() <= 255)
        .ok_or(IdTokenError::Claims("sub is missing or too long"))?
        .to_string();
    Ok(IdClaims {
        sid: string(&claims, "sid").map(str::to_string),
        sub,
        claims,
    })
}

/// Whom an upstream's back-channel logout token ends: its `sub`, its `sid`, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogoutOf {
    pub sub: Option<String>,
    pub sid: Option<String>,
}

/// Back-Channel Logout 1.0 §2.6: signature, `iss`, `aud`, `iat`, the logout event, a
/// `sub` or `sid`, and no `nonce` (so an ID token cannot pass for one).
pub fn verify_logout(
    token: &str,
    jwks: &str,
    expected: &Expected<'_>,
) -> Result<LogoutOf, IdTokenError> {
    let jwk_set::Verified { claims, header } = jwk_set::verify(token, jwks, &algs(expected.algs))?;
    if header
        .get("typ")
        .and_then(Value::as_str)
        .is_some_and(|t| !t.eq_ignore_ascii_case("logout+jwt") && !t.eq_ignore_ascii_case("jwt"))
    {
        return Err(IdTokenError::Claims("typ is not logout+jwt"));
    }
    if string(&claims, "iss") != Some(expected.issuer) {
        return Err(IdTokenError::Claims("iss is not the upstream's issuer"));
    }
    if !audience_is(&claims, expected.client_id) {
        return Err(IdTokenError::Claims("aud is not (only) our client_id"));
    }
    let iat = number(&claims, "iat").ok_or(IdTokenError::Claims("has no iat"))?;
    if iat > expected.now + expected.skew || iat < expected.now - 600 - expected.skew {
        return Err(IdTokenError::Claims("iat is not recent"));
    }
    if number(&claims, "exp").is_some_and(|exp| exp <= expected.now - expected.skew) {
        return Err(IdTokenError::Claims("has expired"));
    }
    let event = claims
        .get("events")
        .and_then(Value::as_object)
        .is_some_and(|e| e.contains_key("http://schemas.openid.net/event/backchannel-logout"));
    if !event {
        return Err(IdTokenError::Claims("has no back-channel logout event"));
    }
    if claims.contains_key("nonce") {
        return Err(IdTokenError::Claims("carries a nonce"));
    }
    let of = LogoutOf {
        sub: string(&claims, "sub").map(str::to_string),
        sid: string(&claims, "sid").map(str::to_string),
    };
    if of.sub.is_none() && of.sid.is_none() {
        return Err(IdTokenError::Claims("names neither sub nor sid"));
    }
    Ok(of)
}

#[cfg(test)]
mod tests {
    use josekit::jwk::Jwk;
    use josekit::jwk::alg::ec::EcCurve;
    use josekit::jws::{ES256, JwsHeader};
    use josekit::jwt::{self, JwtPayload};
    use serde_json::json;

    use super::*;

    const NOW: i64 = 1_767_225_600;

    struct Upstream {
        key: Jwk,
        jwks: String,
    }

    fn upstream(kid: &str) -> Upstream {
        let mut key = Jwk::generate_ec_key(EcCurve::P256).unwrap();
        key.set_key_id(kid);
        let mut public = key.to_public_key().unwrap();
        public.set_key_id(kid);
        let jwks = json!({ "keys": [serde_json::to_value(&public).unwrap()] }).to_string();
        Upstream { key, jwks }
    }

    fn sign(up: &Upstream, claims: serde_json::Value, typ: &str) -> String {
        let mut header = JwsHeader::new();
        header.set_token_type(typ);
        header.set_key_id(up.key.key_id().unwrap());
        let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
        jwt::encode_with_signer(&payload, &header, &ES256.signer_from_jwk(&up.key).unwrap())
            .unwrap()
    }

    fn claims() -> serde_json::Value {
        json!({
            "iss": "https://idp.example", "aud": "portcullis", "sub": "u-42",
            "iat": NOW - 5, "exp": NOW + 300, "nonce": "n-1", "sid": "s-9",
            "email": "dora@example.com",
        })
    }

    fn expected() -> Expected<'static> {
        static ALGS: std::sync::LazyLock<Vec<String>> =
            std::sync::LazyLock::new(|| vec!["ES256".to_string()]);
        Expected {
            issuer: "https://idp.example",
            client_id: "portcullis",
            nonce: "n-1",
            algs: &ALGS,
            now: NOW,
            skew: 30,
        }
    }

    fn with(change: impl FnOnce(&mut serde_json::Value)) -> serde_json::Value {
        let mut c = claims();
        change(&mut c);
        c
    }

    #[test]
    fn a_good_id_token_gives_its_subject_session_and_claims() {
        let up = upstream("k1");
        let got = verify(&sign(&up, claims(), "JWT"), &up.jwks, &expected()).unwrap();
        assert_eq!(got.sub, "u-42");
        assert_eq!(got.sid.as_deref(), Some("s-9"));
        assert_eq!(got.claims["email"], "dora@example.com");
    }

    #[test]
    fn a_wrong_nonce_audience_issuer_or_azp_is_refused() {
        let up = upstream("k1");
        let cases = [
            with(|c| c["nonce"] = json!("another sign-in")),
            with(|c| {
                c.as_object_mut()
                    .unwrap()
                    .remove("nonce")
                    .map(|_| ())
                    .unwrap()
            }),
            with(|c| c["aud"] = json!("someone-else")),
            with(|c| c["aud"] = json!(["portcullis", "someone-else"])),
            with(|c| c["azp"] = json!("someone-else")),
            with(|c| c["iss"] = json!("https://evil.example")),
            with(|c| c["exp"] = json!(NOW - 60)),
            with(|c| c["iat"] = json!(NOW + 600)),
            with(|c| c["sub"] = json!("")),
        ];
        for c in cases {
            let token = sign(&up, c.clone(), "JWT");
            assert!(
                matches!(
                    verify(&token, &up.jwks, &expected()),
                    Err(IdTokenError::Claims(_))
                ),
                "{c}"
            );
        }
        let single = with(|c| c["aud"] = json!(["portcullis"]));
        assert!(verify(&sign(&up, single, "JWT"), &up.jwks, &expected()).is_ok());
    }

    #[test]
    fn a_token_signed_by_another_key_or_an_unannounced_algorithm_is_refused() {
        let up = upstream("k1");
        let impostor = upstream("k1");
        let forged = sign(&impostor, claims(), "JWT");
        assert_eq!(
            verify(&forged, &up.jwks, &expected()),
            Err(IdTokenError::Signature(SignatureError::Signature))
        );
        let rotated = upstream("k2");
        let err = verify(&sign(&rotated, claims(), "JWT"), &up.jwks, &expected()).unwrap_err();
        assert!(err.unknown_key(), "a new kid asks for the set again");
        let mut rs_only = expected();
        let rs = vec!["RS256".to_string()];
        rs_only.algs = &rs;
        assert_eq!(
            verify(&sign(&up, claims(), "JWT"), &up.jwks, &rs_only),
            Err(IdTokenError::Signature(SignatureError::Algorithm))
        );
        let mut parts: Vec<String> = sign(&up, claims(), "JWT")
            .split('.')
            .map(String::from)
            .collect();
        parts[2] = String::new();
        assert!(
            verify(&parts.join("."), &up.jwks, &expected()).is_err(),
            "unsigned"
        );
    }

    fn logout_claims() -> serde_json::Value {
        json!({
            "iss": "https://idp.example", "aud": "portcullis", "iat": NOW - 2, "jti": "j-1",
            "sid": "s-9", "events": { "http://schemas.openid.net/event/backchannel-logout": {} },
        })
    }

    #[test]
    fn a_logout_token_names_the_upstream_session_and_an_id_token_cannot_pass_for_one() {
        let up = upstream("k1");
        let of = verify_logout(
            &sign(&up, logout_claims(), "logout+jwt"),
            &up.jwks,
            &expected(),
        )
        .unwrap();
        assert_eq!(of.sid.as_deref(), Some("s-9"));
        let id_token = sign(&up, claims(), "JWT");
        assert!(verify_logout(&id_token, &up.jwks, &expected()).is_err());
        let mut with_nonce = logout_claims();
        with_nonce["nonce"] = json!("n");
        assert!(
            verify_logout(&sign(&up, with_nonce, "logout+jwt"), &up.jwks, &expected()).is_err()
        );
        let mut nobody = logout_claims();
        nobody.as_object_mut().unwrap().remove("sid");
        assert!(verify_logout(&sign(&up, nobody, "logout+jwt"), &up.jwks, &expected()).is_err());
        assert!(
            verify_logout(&sign(&up, logout_claims(), "at+jwt"), &up.jwks, &expected()).is_err()
        );
    }
}
