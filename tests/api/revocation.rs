//! RFC 7009 revocation, RFC 7662 introspection, and the revocation feed.

use std::sync::Arc;

use portcullis::clock::ManualClock;
use serde_json::{Value, json};

use crate::helpers::wait::{STREAM_PUSH_WITHIN, Stopwatch};
use crate::helpers::{
    Client, TestApp, TestDb, Tokens, decode, redeem_spa, sign_in_and_consent, spa_request,
    spawn_app_with, spawn_flow_app, wait_until,
};

const CC: (&str, &str) = ("grant_type", "client_credentials");

/// Two machine clients and a resource server allowed to introspect.
struct Clients {
    a: Client,
    b: Client,
    rs: Client,
}

async fn app_with_clients() -> (TestApp, ManualClock, Clients) {
    let db = TestDb::sqlite();
    let settings = db.settings();
    let clock = ManualClock::at(1_900_000_000);
    let app = spawn_app_with(db, settings, Arc::new(clock.clone())).await;
    let machine = |id: &str| {
        app.client(id)
            .grant("client_credentials")
            .audience("https://api.example")
    };
    let a = machine("svc-a").create().await;
    let b = machine("svc-b").create().await;
    let rs = machine("rs").introspect().create().await;
    (app, clock, Clients { a, b, rs })
}

async fn token_of(app: &TestApp, client: &Client) -> String {
    app.token(&[CC], client.basic()).await.token().to_string()
}

/// What `caller` learns about `token` from the introspection endpoint.
async fn introspect(app: &TestApp, token: &str, caller: &Client) -> Value {
    app.introspect_token(token, caller.basic().unwrap()).await
}

#[actix_web::test]
async fn a_resource_server_sees_a_token_and_other_clients_only_their_own() {
    let (app, _, c) = app_with_clients().await;
    let token = token_of(&app, &c.a).await;

    let info = introspect(&app, &token, &c.rs).await;
    assert_eq!(info["active"], true);
    assert_eq!(info["client_id"], "svc-a");
    assert_eq!(info["scope"], Value::Null);
    assert_eq!(info["token_type"], "Bearer");
    for member in ["exp", "iat", "sub", "aud", "iss", "jti"] {
        assert!(info.get(member).is_some(), "{member}");
    }
    assert_eq!(
        introspect(&app, &token, &c.b).await,
        json!({ "active": false })
    );
    assert_eq!(introspect(&app, &token, &c.a).await["active"], true);
}

#[actix_web::test]
async fn introspection_callers_authenticate_and_not_with_auth_method_none() {
    let (app, _, c) = app_with_clients().await;
    let token = token_of(&app, &c.a).await;
    let res = app.introspect(&[("token", &token)], None).await;
    assert_eq!(res.status, 401, "callers authenticate");
    let res = app
        .introspect(&[("token", &token), ("client_id", "svc-a")], None)
        .await;
    assert_eq!(
        (res.status, res.body["error"].as_str()),
        (401, Some("invalid_client")),
        "not with auth method none"
    );
}

#[actix_web::test]
async fn another_client_cannot_revoke_a_token_though_it_is_told_200() {
    let (app, _, c) = app_with_clients().await;
    let token = token_of(&app, &c.a).await;
    // 200 all the same (RFC 7009 §2.2).
    let res = app.revoke(&[("token", &token)], c.b.basic()).await;
    assert_eq!(res.status, 200);
    assert_eq!(introspect(&app, &token, &c.rs).await["active"], true);
}

#[actix_web::test]
async fn a_revoked_access_token_is_inactive_and_listed_in_the_signed_feed() {
    let (app, _, c) = app_with_clients().await;
    let token = token_of(&app, &c.a).await;
    let feed_before = app.revocations().await;
    assert_eq!(feed_before.status, 200);
    let res = app
        .revoke(
            &[("token", &token), ("token_type_hint", "access_token")],
            c.a.basic(),
        )
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        introspect(&app, &token, &c.rs).await,
        json!({ "active": false })
    );

    // A follower at the version before gets exactly this change, as a delta.
    let (_, before) = decode(&app, &feed_before.text()).await;
    let version_before = before["version"].as_i64().unwrap();
    let jti = decode(&app, &token).await.1["jti"].clone();
    let delta = app
        .get(&format!("/revocations?since={version_before}"))
        .await;
    assert_eq!(delta.status, 200);
    let (header, claims) = decode(&app, &delta.text()).await;
    assert_eq!(header.typ.as_deref(), Some("revocation-list+jwt"));
    assert_eq!(claims["kind"], "delta");
    assert_eq!(claims["since"], version_before);
    assert!(claims["version"].as_i64().unwrap() > version_before);
    assert_eq!(claims["jtis"].as_array().unwrap().len(), 1);
    assert_eq!(claims["jtis"][0]["jti"], jti);
    // Current: 304.
    let current = claims["version"].as_i64().unwrap();
    let res = app.get(&format!("/revocations?since={current}")).await;
    assert_eq!(res.status, 304);
    // A version this list never had: the whole list, saying why.
    let res = app
        .get(&format!("/revocations?since={}", current + 1000))
        .await;
    let (_, whole) = decode(&app, &res.text()).await;
    assert_eq!(whole["kind"], "snapshot");
    assert!(whole["reason"].as_str().unwrap().contains("not a version"));
    assert_eq!(app.get("/revocations?since=abc").await.status, 400);

    // The whole list is re-signed at most once a second: it shows the change soon after.
    let claims = wait_until("the whole list shows the revocation", || async {
        let feed = app.revocations().await;
        let (_, claims) = decode(&app, &feed.text()).await;
        claims["jtis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["jti"] == jti)
            .then_some(claims)
    })
    .await;
    assert_eq!(claims["kind"], "snapshot");
    assert!(claims["version"].as_i64().unwrap() > 0);
}

#[actix_web::test]
async fn unknown_and_malformed_tokens_reveal_nothing() {
    let (app, _, c) = app_with_clients().await;
    let res = app.revoke(&[("token", "nonsense")], c.a.basic()).await;
    assert_eq!(res.status, 200);
    let res = app.revoke(&[], c.a.basic()).await;
    assert_eq!(res.body["error"], "invalid_request");
    assert_eq!(
        introspect(&app, "nonsense", &c.rs).await,
        json!({ "active": false })
    );
}

#[actix_web::test]
async fn expired_tokens_are_inactive() {
    let (app, clock, c) = app_with_clients().await;
    let fresh = token_of(&app, &c.a).await;
    clock.advance(601);
    assert_eq!(
        introspect(&app, &fresh, &c.rs).await,
        json!({ "active": false })
    );
}

#[actix_web::test]
async fn the_feed_answers_304_to_its_own_etag() {
    let (app, _, _) = app_with_clients().await;
    let etag = app.revocations().await.header("etag").unwrap().to_string();
    let res = app
        .get_with("/revocations", &[("If-None-Match", etag.as_str())])
        .await;
    assert_eq!(res.status, 304);
}

#[actix_web::test]
async fn the_feed_stream_pushes_each_revocation() {
    let (app, _, c) = app_with_clients().await;
    let mut stream = app.revocation_stream().await;
    assert_eq!(
        stream.headers().get("content-type").unwrap(),
        "text/event-stream"
    );
    assert!(stream.next_event().await.contains("event: revocations"));
    let token = token_of(&app, &c.a).await;
    let jti = decode(&app, &token).await.1["jti"].clone();

    let started = Stopwatch::start();
    app.revoke(&[("token", &token)], c.a.basic()).await;
    let claims = decode(&app, &stream.next_data().await).await.1;
    assert!(
        claims["jtis"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["jti"] == jti)
    );
    started.assert_within(STREAM_PUSH_WITHIN, "the revocation was pushed");
}

#[actix_web::test]
async fn revoking_a_refresh_token_revokes_its_family_and_access_tokens() {
    let s = spawn_flow_app().await;
    let mut b = s.app.browser();
    let cb = sign_in_and_consent(&mut b, &spa_request(&[])).await;
    let tokens = Tokens::of(&redeem_spa(&s.app, &cb["code"]).await);
    assert_eq!(s.app.userinfo(&tokens.access).await.status, 200);
    // A public client revokes with its client_id (auth method none).
    let res = s
        .app
        .revoke(&[("token", &tokens.refresh), ("client_id", "spa")], None)
        .await;
    assert_eq!(res.status, 200);
    assert_eq!(
        s.app.userinfo(&tokens.access).await.status,
        401,
        "access token from the family is revoked"
    );
    let res = s.app.refresh(&tokens.refresh, "spa").await;
    assert_eq!(res.body["error"], "invalid_grant");
}

/// An app on the system clock (the CLI writes not-befores with it) with a machine client
/// `svc` and a resource server `rs` that may introspect.
async fn machine_and_resource_server() -> (TestApp, Client, Client) {
    let app = crate::helpers::spawn_app().await;
    let machine = |id: &str| {
        app.client(id)
            .grant("client_credentials")
            .audience("https://api.example")
    };
    let svc = machine("svc").create().await;
    let rs = machine("rs").introspect().create().await;
    (app, svc, rs)
}

/// Hardening finding 10: deleting a client, or rotating its secret with
/// `--revoke-tokens`, ends the access tokens it holds — at introspection and in the feed.
#[actix_web::test]
async fn deleting_a_client_revokes_its_access_tokens_everywhere() {
    let (app, svc, rs) = machine_and_resource_server().await;
    let token = token_of(&app, &svc).await;
    assert_eq!(introspect(&app, &token, &rs).await["active"], true);
    app.delete_client("svc");
    crate::helpers::wait_until("the deletion reaches introspection", || async {
        (introspect(&app, &token, &rs).await["active"] == false).then_some(())
    })
    .await;
    let feed = app.revocations().await;
    let (_, claims) = decode(&app, &feed.text()).await;
    let clients = claims["clients"].as_array().unwrap();
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0]["client_id"], "svc");
    assert!(clients[0]["nbf"].as_i64().unwrap() > 0);
}

#[actix_web::test]
async fn rotating_a_secret_with_revoke_tokens_ends_the_earlier_tokens() {
    let (app, svc, rs) = machine_and_resource_server().await;
    let before = token_of(&app, &svc).await;
    let kept = app.rotate_client_secret("svc");
    let after_plain_rotation = crate::helpers::wait_until("the new secret works", || async {
        let res = app.token(&[CC], Some(("svc", kept.as_str()))).await;
        (res.status == 200).then(|| res.token().to_string())
    })
    .await;
    assert_eq!(
        introspect(&app, &before, &rs).await["active"],
        true,
        "a plain rotation leaves tokens alone"
    );
    app.rotate_client_secret_revoking_tokens("svc");
    crate::helpers::wait_until("the revocation reaches introspection", || async {
        (introspect(&app, &before, &rs).await["active"] == false
            && introspect(&app, &after_plain_rotation, &rs).await["active"] == false)
            .then_some(())
    })
    .await;
}
