//! Token introspection (RFC 7662): who may see what, and the answer. The caller has
//! authenticated as a client (RFC 7662 §2.1). A client sees its own tokens and tokens whose
//! `aud` is its client id (a resource server registered as a client); a client with the
//! `introspect` permission sees all (RFC 7662 §4 leaves the policy to us). Anything else
//! — unknown, expired, revoked or not the caller's to see — is `{"active": false}`, so
//! the answer reveals nothing (RFC 7662 §2.2).

use serde_json::{Value, json};

use super::inspect::AccessClaims;
use crate::clock::UnixTime;
use crate::domain::client::{Client, PERMISSION_INTROSPECT};
use crate::store::refresh_tokens::RefreshRow;

/// The claims an introspection answer repeats from an access token.
const ACCESS_TOKEN_MEMBERS: &[&str] = &[
    "scope",
    "client_id",
    "exp",
    "iat",
    "nbf",
    "sub",
    "aud",
    "iss",
    "jti",
    "sid",
    "auth_time",
    "acr",
    "roles",
    // RFC 9449 §6.2, RFC 7800: the DPoP key a bound token is confirmed by.
    "cnf",
];

pub fn inactive() -> Value {
    json!({ "active": false })
}

/// Whether `caller` may learn about a token issued to `client_id` for `audiences`.
pub fn may_see(caller: &Client, client_id: Option<&str>, audiences: &[&str]) -> bool {
    caller.has_permission(PERMISSION_INTROSPECT)
        || client_id == Some(caller.id.as_str())
        || audiences.contains(&caller.id.as_str())
}

/// The answer for one of our access tokens (signature and issuer already checked);
/// `revoked` comes from the in-memory revocation list.
pub fn access_token(caller: &Client, claims: &AccessClaims, revoked: bool, now: UnixTime) -> Value {
    let live =
        claims.num("exp").is_some_and(|e| e > now) && claims.num("nbf").is_none_or(|n| n <= now);
    if !live || revoked || !may_see(caller, claims.str("client_id"), &claims.audiences()) {
        return inactive();
    }
    // RFC 9449 §6.2: a bound token's key confirmation, and its type.
    let token_type = if claims.jkt().is_some() {
        "DPoP"
    } else {
        "Bearer"
    };
    let mut out = json!({ "active": true, "token_type": token_type });
    for name in ACCESS_TOKEN_MEMBERS {
        if let Some(v) = claims.claims.get(*name) {
            out[*name] = v.clone();
        }
    }
    out
}

/// The answer for an opaque value: one of our refresh tokens, or nothing.
pub fn refresh_token(
    caller: &Client,
    row: Option<&RefreshRow>,
    issuer: &str,
    now: UnixTime,
) -> Value {
    let Some(r) = row else {
        return inactive();
    };
    let live = r.consumed_at.is_none() && r.revoked_at.is_none() && r.expires_at > now;
    if !live || !may_see(caller, Some(&r.client_id), &[]) {
        return inactive();
    }
    let mut out = json!({
        "active": true,
        "token_type": "refresh_token",
        "client_id": r.client_id,
        "scope": r.scope,
        "exp": r.expires_at,
        "iat": r.issued_at,
        "iss": issuer,
    });
    if let Some(u) = &r.user_id {
        out["sub"] = json!(u);
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::domain::client::fixtures::{confidential_web_app, service};
    use crate::domain::client_id::ClientId;

    const NOW: UnixTime = 1_000;

    fn claims(client_id: &str, aud: &str, exp: UnixTime) -> AccessClaims {
        let Value::Object(claims) = json!({
            "client_id": client_id, "aud": aud, "exp": exp, "sub": "u", "jti": "j",
            "scope": "a.read",
        }) else {
            unreachable!()
        };
        AccessClaims { claims }
    }

    fn resource_server(id: &str) -> Client {
        Client {
            id: ClientId::from_stored(id.into()),
            ..service()
        }
    }

    #[test]
    fn a_client_sees_its_own_tokens_and_tokens_addressed_to_it() {
        let svc = service();
        assert!(may_see(&svc, Some("svc"), &[]));
        assert!(may_see(&resource_server("api"), Some("svc"), &["api"]));
        assert!(!may_see(&resource_server("other"), Some("svc"), &["api"]));
    }

    #[test]
    fn the_introspect_permission_sees_every_token() {
        let mut rs = resource_server("auditor");
        rs.permissions = vec![PERMISSION_INTROSPECT.into()];
        assert!(may_see(&rs, Some("svc"), &["api"]));
    }

    #[test]
    fn a_token_the_caller_may_not_see_is_simply_inactive() {
        let answer = access_token(
            &resource_server("other"),
            &claims("svc", "api", NOW + 60),
            false,
            NOW,
        );
        assert_eq!(answer, inactive());
    }

    #[test]
    fn expired_and_revoked_tokens_are_inactive() {
        let svc = service();
        assert_eq!(
            access_token(&svc, &claims("svc", "api", NOW), false, NOW),
            inactive()
        );
        assert_eq!(
            access_token(&svc, &claims("svc", "api", NOW + 60), true, NOW),
            inactive()
        );
        let live = access_token(&svc, &claims("svc", "api", NOW + 60), false, NOW);
        assert_eq!(live["active"], true);
        assert_eq!(live["scope"], "a.read");
        assert_eq!(live["token_type"], "Bearer");
    }

    #[test]
    fn a_refresh_token_is_visible_only_to_its_client_while_live() {
        let row = RefreshRow {
            token_hash: vec![],
            family_id: "f".into(),
            client_id: "web".into(),
            user_id: Some("u".into()),
            session_sid: None,
            scope: "openid".into(),
            audience: None,
            auth_time: None,
            issued_at: NOW - 10,
            expires_at: NOW + 10,
            consumed_at: None,
            revoked_at: None,
            amr: None,
            acr: None,
            family_expires_at: None,
            dpop_jkt: None,
        };
        let web = confidential_web_app();
        assert_eq!(refresh_token(&web, Some(&row), "iss", NOW)["active"], true);
        assert_eq!(
            refresh_token(&service(), Some(&row), "iss", NOW),
            inactive()
        );
        let used = RefreshRow {
            consumed_at: Some(NOW),
            ..row.clone()
        };
        assert_eq!(refresh_token(&web, Some(&used), "iss", NOW), inactive());
        assert_eq!(refresh_token(&web, None, "iss", NOW), inactive());
    }
}

/// RFC 9701 §5: the media type a caller accepts for a signed answer, and the JWT's `typ`.
pub const JWT_MEDIA_TYPE: &str = "application/token-introspection+jwt";
pub const JWT_TYP: &str = "token-introspection+jwt";

/// Whether an `Accept` header asks for the signed form (RFC 9701 §4).
pub fn wants_jwt(accept: Option<&str>) -> bool {
    accept.is_some_and(|a| {
        a.split(',')
            .map(|part| part.split(';').next().unwrap_or("").trim())
            .any(|m| m.eq_ignore_ascii_case(JWT_MEDIA_TYPE))
    })
}

/// The claims of an RFC 9701 response: `iss`, `aud` (the caller), `iat`, and the RFC 7662
/// answer under `token_introspection`.
pub fn jwt_claims(
    issuer: &str,
    caller: &str,
    answer: &Value,
    now: UnixTime,
) -> serde_json::Map<String, Value> {
    let mut m = serde_json::Map::new();
    m.insert("iss".into(), json!(issuer));
    m.insert("aud".into(), json!(caller));
    m.insert("iat".into(), json!(now));
    m.insert("token_introspection".into(), answer.clone());
    m
}

#[cfg(test)]
mod jwt_tests {
    use super::*;

    #[test]
    fn the_signed_form_is_asked_for_by_its_media_type_only() {
        assert!(wants_jwt(Some("application/token-introspection+jwt")));
        assert!(wants_jwt(Some(
            "application/json;q=0.5, Application/Token-Introspection+JWT"
        )));
        assert!(!wants_jwt(Some("application/json")));
        assert!(!wants_jwt(Some("application/jwt")));
        assert!(!wants_jwt(None));
    }

    #[test]
    fn the_answer_sits_under_token_introspection_for_the_caller() {
        let c = jwt_claims("https://id.example", "rs", &json!({ "active": false }), 5);
        assert_eq!(c["aud"], "rs");
        assert_eq!(c["token_introspection"], json!({ "active": false }));
        assert_eq!(c["iat"], 5);
    }
}
