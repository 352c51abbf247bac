//! ID tokens (OpenID Connect Core §2, §3.1.3.6). Identity claims such as `name` or `email`
//! are not put here for the code flow: they come from UserInfo (OIDC Core §5.4).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use josekit::jwt::JwtPayload;
use serde_json::{Value, json};

use crate::clock::UnixTime;
use crate::keys::{KeyError, KeySet, SigningAlg};

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
    /// The client's `id_token_signed_response_alg`, or the default.
    pub alg: SigningAlg,
}

/// The `typ` of our ID tokens (OIDC Core leaves it open; RFC 7519 §5.1 suggests `JWT`).
pub const TYP: &str = "JWT";

/// `at_hash` (OIDC Core §3.1.3.6): the left half of the access token's hash under the ID
/// token's algorithm, base64url.
pub fn at_hash(alg: SigningAlg, access_token: &str) -> String {
    URL_SAFE_NO_PAD.encode(alg.left_half_hash(access_token))
}

pub fn issue(keys: &KeySet, r: &IdTokenRequest<'_>) -> Result<String, KeyError> {
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
    set("at_hash", json!(at_hash(r.alg, r.access_token)))?;
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
    keys.sign_as(r.alg, TYP, &p, r.now)
}

/// What an `id_token_hint` tells us: whose session it was, which one, for which client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint {
    pub sub: String,
    pub sid: Option<String>,
    pub client_id: String,
}

/// Reads an `id_token_hint`: an ID token we issued (our signature, our issuer). Expired
/// hints are fine (OIDC Core §3.1.2.1, RP-Initiated Logout §2: the RP may send an expired
/// one); `alg: none`, foreign keys and other issuers are not. It must be an ID token by
/// its explicit type (RFC 8725 §3.11: not an access token, `at+jwt`, a logout token or any
/// other JWT we sign) whose audience is a registered client (`is_client`).
pub fn verify_hint(
    keys: &KeySet,
    issuer: &str,
    hint: &str,
    is_client: impl Fn(&str) -> bool,
) -> Option<Hint> {
    let payload = keys.verify_typed(hint, Some(TYP)).ok()?;
    if payload.issuer() != Some(issuer) {
        return None;
    }
    let claims = payload.claims_set();
    // Our ID tokens have one audience, the client, also named by `azp`.
    let aud = match claims.get("aud") {
        Some(Value::String(a)) => a.as_str(),
        Some(Value::Array(l)) if l.len() == 1 => l[0].as_str()?,
        _ => return None,
    };
    if claims
        .get("azp")
        .is_some_and(|azp| azp.as_str() != Some(aud))
        || !is_client(aud)
    {
        return None;
    }
    let client_id = aud.to_string();
    Some(Hint {
        sub: payload.subject()?.to_string(),
        sid: claims
            .get("sid")
            .and_then(|v| v.as_str())
            .map(str::to_string),
        client_id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request<'a>(now: UnixTime) -> IdTokenRequest<'a> {
        IdTokenRequest {
            issuer: "https://id.example",
            subject: "user-1",
            client_id: "web",
            auth_time: now - 10,
            nonce: Some("n-0S6"),
            acr: None,
            amr: vec!["pwd".into()],
            sid: Some("sid-1"),
            access_token: "at",
            now,
            ttl: 300,
            alg: SigningAlg::Rs256,
        }
    }

    #[test]
    fn an_id_token_hint_of_ours_names_its_user_session_and_client() {
        let keys = KeySet::ephemeral(1_000);
        let token = issue(&keys, &request(1_000)).unwrap();
        let hint = verify_hint(&keys, "https://id.example", &token, |_| true).unwrap();
        assert_eq!(
            hint,
            Hint {
                sub: "user-1".into(),
                sid: Some("sid-1".into()),
                client_id: "web".into()
            }
        );
    }

    #[test]
    fn an_expired_id_token_hint_is_still_accepted() {
        // Issued in 1970, expired for decades: still names the session (verify_hint never
        // looks at `exp`).
        let keys = KeySet::ephemeral(0);
        let token = issue(&keys, &request(100)).unwrap();
        assert!(verify_hint(&keys, "https://id.example", &token, |_| true).is_some());
    }

    #[test]
    fn a_hint_signed_by_another_key_or_unsigned_or_of_another_issuer_is_refused() {
        let ours = KeySet::ephemeral(1_000);
        let theirs = KeySet::ephemeral(1_000);
        let foreign = issue(&theirs, &request(1_000)).unwrap();
        assert_eq!(
            verify_hint(&ours, "https://id.example", &foreign, |_| true),
            None
        );

        let genuine = issue(&ours, &request(1_000)).unwrap();
        assert_eq!(
            verify_hint(&ours, "https://other.example", &genuine, |_| true),
            None
        );

        // The same claims with `alg: none` and no signature (RFC 8725 §2.1).
        let mut parts = genuine.split('.');
        let header = URL_SAFE_NO_PAD.decode(parts.next().unwrap()).unwrap();
        let mut header: Value = serde_json::from_slice(&header).unwrap();
        header["alg"] = json!("none");
        let header = URL_SAFE_NO_PAD.encode(header.to_string());
        let unsigned = format!("{header}.{}.", parts.next().unwrap());
        assert_eq!(
            verify_hint(&ours, "https://id.example", &unsigned, |_| true),
            None
        );
        assert_eq!(
            verify_hint(&ours, "https://id.example", "not a jwt", |_| true),
            None
        );
    }

    #[test]
    fn an_access_token_or_a_logout_token_is_not_an_id_token_hint() {
        use crate::domain::audience::Audience;
        use crate::domain::scope::Scope;
        use crate::token::access_token::{self, AccessTokenRequest};
        let keys = crate::keys::test_keys();
        let access = access_token::issue(
            keys,
            &AccessTokenRequest {
                jti: "j1",
                issuer: "https://id.example",
                subject: "user-1",
                client_id: "web",
                audience: &[Audience::from_trusted("web")],
                scope: &Scope::parse("openid").unwrap(),
                now: 100,
                ttl: 60,
                extra: Default::default(),
                status: None,
                alg: crate::keys::SigningAlg::Rs256,
                jkt: None,
            },
        )
        .unwrap();
        assert_eq!(
            verify_hint(keys, "https://id.example", &access.token, |_| true),
            None
        );
        let mut p = JwtPayload::new();
        p.set_claim("iss", Some(json!("https://id.example")))
            .unwrap();
        p.set_claim("sub", Some(json!("user-1"))).unwrap();
        p.set_claim("aud", Some(json!("web"))).unwrap();
        let logout = keys.sign("logout+jwt", &p, 100).unwrap();
        assert_eq!(
            verify_hint(keys, "https://id.example", &logout, |_| true),
            None
        );
    }

    #[test]
    fn a_hint_whose_audience_is_not_a_client_is_refused() {
        let keys = KeySet::ephemeral(1_000);
        let token = issue(&keys, &request(1_000)).unwrap();
        assert_eq!(
            verify_hint(&keys, "https://id.example", &token, |id| id == "other"),
            None
        );
        assert!(verify_hint(&keys, "https://id.example", &token, |id| id == "web").is_some());
    }

    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OpenID Connect Core, Appendix A.3.
        assert_eq!(
            super::at_hash(
                SigningAlg::Rs256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
    }

    proptest::proptest! {
        #[test]
        fn any_string_as_a_hint_is_refused_without_panic(input in "\\PC{0,200}") {
            let keys = crate::keys::test_keys();
            proptest::prop_assert_eq!(verify_hint(keys, "https://id.example", &input, |_| true), None);
        }

        #[test]
        fn a_hint_with_any_header_and_payload_segments_is_refused(
            header in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
            payload in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
        ) {
            let keys = crate::keys::test_keys();
            let jwt = format!("{}.{}.", URL_SAFE_NO_PAD.encode(header), URL_SAFE_NO_PAD.encode(payload));
            proptest::prop_assert_eq!(verify_hint(keys, "https://id.example", &jwt, |_| true), None);
        }
    }
}
