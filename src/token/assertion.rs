//! `private_key_jwt` (RFC 7523 §3, OpenID Connect Core §9): a client proves itself with a
//! JWT signed by a key whose public half it registered. No shared secret exists.

use serde_json::Value;

use crate::clock::UnixTime;

/// Longest assertion lifetime we accept: assertions are single-use and short-lived, and the
/// replay store must remember each `jti` until `exp`.
pub const MAX_ASSERTION_LIFETIME: i64 = 600;

pub use super::jwk_set::SUPPORTED_ALGS;
use super::jwk_set::{self, SignatureError};

pub struct Rules<'a> {
    pub client_id: &'a str,
    /// Accepted `aud` values: the token endpoint URL and the issuer.
    pub audiences: [&'a str; 2],
    pub now: UnixTime,
    pub skew: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verified {
    pub jti: String,
    pub exp: UnixTime,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssertionError {
    #[error("the client assertion is not a signed JWT")]
    Malformed,
    #[error("the client assertion uses an unsupported algorithm")]
    Algorithm,
    /// The key id is not in the client's JWK set (a `jwks_uri` client may have rotated).
    #[error("no registered key of this client matches the assertion")]
    UnknownKey,
    #[error("the client assertion signature is invalid")]
    Signature,
    #[error("the client assertion {0}")]
    Claims(&'static str),
}

/// Verifies the signature against the client's keys and checks the claims. The caller
/// must still record the `jti` (single use).
pub fn verify(assertion: &str, jwks: &str, rules: &Rules<'_>) -> Result<Verified, AssertionError> {
    let claims = jwk_set::verify(assertion, jwks, SUPPORTED_ALGS)
        .map_err(|e| match e {
            SignatureError::Malformed => AssertionError::Malformed,
            SignatureError::Algorithm => AssertionError::Algorithm,
            SignatureError::UnknownKey => AssertionError::UnknownKey,
            SignatureError::Signature => AssertionError::Signature,
        })?
        .claims;
    check_claims(&claims, rules)
}

fn check_claims(
    claims: &serde_json::Map<String, Value>,
    rules: &Rules<'_>,
) -> Result<Verified, AssertionError> {
    let string = |name| claims.get(name).and_then(Value::as_str);
    let number = |name| claims.get(name).and_then(Value::as_f64).map(|n| n as i64);
    if string("iss") != Some(rules.client_id) {
        return Err(AssertionError::Claims("iss must be the client_id"));
    }
    if string("sub") != Some(rules.client_id) {
        return Err(AssertionError::Claims("sub must be the client_id"));
    }
    // RFC 7523 §3 and RFC 9700 §2.3: the audience identifies this server only — the
    // issuer or the token endpoint, as a string or a one-element array. An array that also
    // names other parties would let one assertion be replayed at them.
    let aud_ok = match claims.get("aud") {
        Some(Value::String(a)) => rules.audiences.contains(&a.as_str()),
        Some(Value::Array(list)) => match list.as_slice() {
            [Value::String(a)] => rules.audiences.contains(&a.as_str()),
            _ => false,
        },
        _ => false,
    };
    if !aud_ok {
        return Err(AssertionError::Claims(
            "aud must be the token endpoint or the issuer",
        ));
    }
    let exp = number("exp").ok_or(AssertionError::Claims("has no exp"))?;
    if exp <= rules.now - rules.skew {
        return Err(AssertionError::Claims("has expired"));
    }
    if exp > rules.now + MAX_ASSERTION_LIFETIME + rules.skew {
        return Err(AssertionError::Claims(
            "lives too long (exp at most 10 minutes ahead, plus the clock-skew allowance)",
        ));
    }
    if number("nbf").is_some_and(|nbf| nbf > rules.now + rules.skew) {
        return Err(AssertionError::Claims("is not valid yet"));
    }
    if number("iat").is_some_and(|iat| iat > rules.now + rules.skew) {
        return Err(AssertionError::Claims("was issued in the future"));
    }
    let jti = string("jti")
        .filter(|j| !j.is_empty() && j.len() <= 256)
        .ok_or(AssertionError::Claims("needs a jti of 1-256 characters"))?;
    Ok(Verified {
        jti: jti.to_string(),
        exp,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use josekit::jws::{ES256, JwsHeader};
    use josekit::jwt::JwtPayload;
    use serde_json::json;

    const NOW: i64 = 1_900_000_000;
    const TOKEN: &str = "https://id.example/token";

    fn key() -> (josekit::jws::alg::ecdsa::EcdsaJwsSigner, String) {
        let pair = ES256.generate_key_pair().unwrap();
        let mut public = pair.to_jwk_public_key();
        public.set_key_id("k1");
        let signer = ES256.signer_from_jwk(&pair.to_jwk_private_key()).unwrap();
        (signer, json!({ "keys": [public] }).to_string())
    }

    fn assertion(signer: &dyn josekit::jws::JwsSigner, claims: Value) -> String {
        let mut header = JwsHeader::new();
        header.set_key_id("k1");
        let p = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
        josekit::jwt::encode_with_signer(&p, &header, signer).unwrap()
    }

    fn rules() -> Rules<'static> {
        Rules {
            client_id: "svc",
            audiences: [TOKEN, "https://id.example"],
            now: NOW,
            skew: 60,
        }
    }

    fn good() -> Value {
        json!({"iss": "svc", "sub": "svc", "aud": TOKEN, "exp": NOW + 60, "iat": NOW, "jti": "j1"})
    }

    #[test]
    fn a_good_assertion_verifies() {
        let (signer, jwks) = key();
        let v = verify(&assertion(&signer, good()), &jwks, &rules()).unwrap();
        assert_eq!(
            v,
            Verified {
                jti: "j1".into(),
                exp: NOW + 60
            }
        );
        let mut issuer_aud = good();
        issuer_aud["aud"] = json!(["https://id.example"]);
        assert!(verify(&assertion(&signer, issuer_aud), &jwks, &rules()).is_ok());
    }

    #[test]
    fn bad_assertions_are_refused() {
        let (signer, jwks) = key();
        let (other, _) = key();
        assert_eq!(
            verify(&assertion(&other, good()), &jwks, &rules()),
            Err(AssertionError::Signature)
        );
        for (claim, value) in [
            ("iss", json!("other")),
            ("sub", json!("other")),
            ("aud", json!("https://elsewhere")),
            ("aud", json!([TOKEN, "https://elsewhere"])),
            ("aud", json!([])),
            ("exp", json!(NOW - 120)),
            ("exp", json!(NOW + 3600)),
            ("nbf", json!(NOW + 600)),
            ("jti", json!("")),
        ] {
            let mut c = good();
            c[claim] = value;
            assert!(
                matches!(
                    verify(&assertion(&signer, c), &jwks, &rules()),
                    Err(AssertionError::Claims(_))
                ),
                "{claim}"
            );
        }
        let mut no_jti = good();
        no_jti.as_object_mut().unwrap().remove("jti");
        assert!(verify(&assertion(&signer, no_jti), &jwks, &rules()).is_err());
        // alg none
        let unsigned = format!(
            "{}.{}.",
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                r#"{"alg":"none"}"#
            ),
            base64::Engine::encode(
                &base64::engine::general_purpose::URL_SAFE_NO_PAD,
                good().to_string()
            )
        );
        assert_eq!(
            verify(&unsigned, &jwks, &rules()),
            Err(AssertionError::Algorithm)
        );
        assert_eq!(
            verify("garbage", &jwks, &rules()),
            Err(AssertionError::Malformed)
        );
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

        #[test]
        fn any_string_as_an_assertion_is_refused_without_panic(input in "\\PC{0,200}") {
            let (_, jwks) = key();
            proptest::prop_assert!(verify(&input, &jwks, &rules()).is_err());
        }

        #[test]
        fn any_claims_are_verified_or_refused_without_panic(
            iss in "(svc|other|)", aud in "\\PC{0,20}", exp in 0i64..4_000_000_000, jti in "\\PC{0,8}"
        ) {
            let (signer, jwks) = key();
            let claims = json!({"iss": iss, "sub": "svc", "aud": aud, "exp": exp, "jti": jti});
            let r = verify(&assertion(&signer, claims), &jwks, &rules());
            if r.is_ok() {
                proptest::prop_assert_eq!(iss, "svc");
                proptest::prop_assert!(aud == TOKEN || aud == "https://id.example");
            }
        }
    }
}
