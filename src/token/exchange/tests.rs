use serde_json::json;

use super::*;
use crate::domain::client::fixtures;
use crate::token::fixtures::{ISSUER, NOW, claims, issuer};

const ORDERS: &str = "https://orders.example";
const BILLING: &str = "https://billing.example";

/// Service A (`frontend`): may exchange tokens for the orders service.
fn frontend() -> Client {
    let mut c = fixtures::service();
    c.id = crate::domain::client_id::ClientId::from_stored("frontend".into());
    c.grant_types.push(GrantType::TokenExchange);
    c.exchange_audiences = vec![Audience::from_trusted(ORDERS)];
    c.default_audience = Some(Audience::from_trusted("https://frontend.example"));
    c
}

/// A user's access token (alice, a session) meant for `aud`, with `scope` and `extra`.
fn user_token(aud: &str, scope: &str, extra: serde_json::Map<String, Value>) -> String {
    let mut extra_claims = serde_json::Map::new();
    extra_claims.insert("sid".into(), json!("sid-1"));
    extra_claims.insert("auth_time".into(), json!(NOW - 100));
    extra_claims.insert("acr".into(), json!("2"));
    extra_claims.insert("amr".into(), json!(["pwd", "otp", "mfa"]));
    extra_claims.extend(extra);
    let scope = Scope::parse(scope).unwrap();
    access_token::issue(
        crate::keys::test_keys(),
        &AccessTokenRequest {
            jti: "subject-jti",
            issuer: ISSUER,
            subject: "user-alice",
            client_id: "spa",
            audience: &[Audience::from_trusted(aud)],
            scope: &scope,
            now: NOW,
            ttl: 600,
            extra: extra_claims,
            status: None,
            alg: crate::keys::SigningAlg::Rs256,
            jkt: None,
        },
    )
    .unwrap()
    .token
}

/// The caller's own client-credentials token: its actor token.
fn actor_token(client: &str) -> String {
    let scope = Scope::default();
    access_token::issue(
        crate::keys::test_keys(),
        &AccessTokenRequest {
            jti: "actor-jti",
            issuer: ISSUER,
            subject: client,
            client_id: client,
            audience: &[Audience::from_trusted("https://frontend.example")],
            scope: &scope,
            now: NOW,
            ttl: 600,
            extra: Default::default(),
            status: None,
            alg: crate::keys::SigningAlg::Rs256,
            jkt: None,
        },
    )
    .unwrap()
    .token
}

fn request(subject: String) -> ExchangeRequest {
    ExchangeRequest {
        subject_token: subject,
        subject_token_type: ACCESS_TOKEN_TYPE.into(),
        actor_token: Some(actor_token("frontend")),
        actor_token_type: Some(ACCESS_TOKEN_TYPE.into()),
        targets: vec![ORDERS.into()],
        scope: None,
        requested_token_type: None,
    }
}

fn not_revoked(_: &TokenRef<'_>) -> bool {
    false
}

fn run(client: &Client, req: &ExchangeRequest) -> Result<Value, TokenError> {
    let link_ok = |e: Exchange| {
        assert!(e.link.is_some(), "an access token subject is linked");
        e.body
    };
    exchange(
        &issuer(),
        &Checks {
            revoked: &not_revoked,
            skew: 0,
        },
        client,
        req,
        NOW,
    )
    .map(link_ok)
}

fn code(r: Result<Value, TokenError>) -> ErrorCode {
    r.unwrap_err().code
}

#[test]
fn a_token_meant_for_the_caller_becomes_a_narrower_one_for_the_target_naming_the_caller() {
    let subject = user_token(
        "https://frontend.example",
        "orders.read orders.write",
        Default::default(),
    );
    let mut req = request(subject);
    req.scope = Some("orders.read".into());
    let body = run(&frontend(), &req).unwrap();
    assert_eq!(body["issued_token_type"], ACCESS_TOKEN_TYPE);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body.get("refresh_token").is_none());
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["sub"], "user-alice");
    assert_eq!(c["aud"], ORDERS);
    assert_eq!(c["scope"], "orders.read");
    assert_eq!(c["client_id"], "frontend");
    assert_eq!(c["act"], json!({ "sub": "frontend" }));
    assert_eq!(c["sid"], "sid-1");
    assert_eq!(c["acr"], "2");
    assert_eq!(c["auth_time"], NOW - 100);
    assert!(
        c["exp"].as_i64().unwrap() <= NOW + 600,
        "never outlives the subject"
    );
}

#[test]
fn an_earlier_actor_nests_inside_the_new_one() {
    let mut extra = serde_json::Map::new();
    extra.insert("act".into(), json!({ "sub": "gateway" }));
    let subject = user_token("https://frontend.example", "orders.read", extra);
    let body = run(&frontend(), &request(subject)).unwrap();
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(
        c["act"],
        json!({ "sub": "frontend", "act": { "sub": "gateway" } })
    );
}

#[test]
fn refusals_carry_the_rfc_8693_codes() {
    let good = || {
        user_token(
            "https://frontend.example",
            "orders.read",
            Default::default(),
        )
    };
    // Not meant for the caller.
    let other = user_token(
        "https://elsewhere.example",
        "orders.read",
        Default::default(),
    );
    assert_eq!(
        code(run(&frontend(), &request(other))),
        ErrorCode::InvalidRequest
    );
    // An audience it may not obtain.
    let mut req = request(good());
    req.targets = vec![BILLING.into()];
    assert_eq!(code(run(&frontend(), &req)), ErrorCode::InvalidTarget);
    // Scope widening.
    let mut req = request(good());
    req.scope = Some("orders.read orders.write".into());
    assert_eq!(code(run(&frontend(), &req)), ErrorCode::InvalidScope);
    // Impersonation without permission.
    let mut req = request(good());
    req.actor_token = None;
    req.actor_token_type = None;
    assert_eq!(code(run(&frontend(), &req)), ErrorCode::UnauthorizedClient);
    // An actor that is not the caller.
    let mut req = request(good());
    req.actor_token = Some(actor_token("someone-else"));
    assert_eq!(code(run(&frontend(), &req)), ErrorCode::InvalidRequest);
    // Not registered for the grant.
    assert_eq!(
        code(run(&fixtures::service(), &request(good()))),
        ErrorCode::UnauthorizedClient
    );
    // Garbage, an unknown type, another requested type.
    let mut req = request("not a token".into());
    assert_eq!(code(run(&frontend(), &req)), ErrorCode::InvalidRequest);
    req = request(good());
    req.subject_token_type = "urn:ietf:params:oauth:token-type:saml2".into();
    assert_eq!(code(run(&frontend(), &req)), ErrorCode::InvalidRequest);
    req = request(good());
    req.requested_token_type = Some("urn:ietf:params:oauth:token-type:refresh_token".into());
    assert_eq!(code(run(&frontend(), &req)), ErrorCode::InvalidRequest);
}

#[test]
fn an_expired_or_revoked_subject_token_is_refused() {
    let subject = user_token(
        "https://frontend.example",
        "orders.read",
        Default::default(),
    );
    let later = exchange(
        &issuer(),
        &Checks {
            revoked: &not_revoked,
            skew: 0,
        },
        &frontend(),
        &request(subject.clone()),
        NOW + 601,
    );
    assert!(later.unwrap_err().description.contains("expired"));
    let sid_revoked = |t: &TokenRef<'_>| t.sid == Some("sid-1");
    let revoked = exchange(
        &issuer(),
        &Checks {
            revoked: &sid_revoked,
            skew: 0,
        },
        &frontend(),
        &request(subject),
        NOW,
    );
    assert!(revoked.unwrap_err().description.contains("revoked"));
}

#[test]
fn an_impersonating_client_gets_a_token_without_act() {
    let mut client = frontend();
    client.exchange_impersonate = true;
    let mut req = request(user_token(
        "https://frontend.example",
        "orders.read",
        Default::default(),
    ));
    req.actor_token = None;
    req.actor_token_type = None;
    let body = run(&client, &req).unwrap();
    let c = claims(body["access_token"].as_str().unwrap());
    assert!(c.get("act").is_none());
    assert_eq!(c["sub"], "user-alice");
}

proptest::proptest! {
    #[test]
    fn any_subject_or_actor_token_is_exchanged_or_refused_without_panic(
        subject in "\\PC{0,120}",
        actor in proptest::option::of("\\PC{0,120}"),
        kind in proptest::sample::select(vec![ACCESS_TOKEN_TYPE, ID_TOKEN_TYPE, "x"]),
    ) {
        let req = ExchangeRequest {
            subject_token: subject,
            subject_token_type: kind.into(),
            actor_token_type: actor.as_ref().map(|_| ACCESS_TOKEN_TYPE.to_string()),
            actor_token: actor,
            targets: vec![ORDERS.into()],
            scope: None,
            requested_token_type: None,
        };
        proptest::prop_assert!(run(&frontend(), &req).is_err());
    }
}

#[test]
fn several_allowed_audiences_make_one_token_for_all_of_them() {
    let mut client = frontend();
    client
        .exchange_audiences
        .push(Audience::from_trusted(BILLING));
    let mut req = request(user_token(
        "https://frontend.example",
        "orders.read",
        Default::default(),
    ));
    req.targets = vec![ORDERS.into(), BILLING.into(), ORDERS.into()];
    let body = run(&client, &req).unwrap();
    let c = claims(body["access_token"].as_str().unwrap());
    assert_eq!(c["aud"], json!([ORDERS, BILLING]));
}
