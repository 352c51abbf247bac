//! The token endpoint for machine clients: client_credentials, client authentication
//! (secret basic/post), scopes and audiences, RFC 6749 error shapes.

use std::collections::HashSet;

use jsonwebtoken::Algorithm;
use portcullis::store::audit;
use serde_json::json;

use crate::helpers::jwt::unverified_claims;
use crate::helpers::wait::{CLI_CHANGE_REACHES_SERVER_WITHIN, wait_within};
use crate::helpers::{Client, Response, TestApp, spawn_app, verify};

const CC: (&str, &str) = ("grant_type", "client_credentials");
const API: &str = "https://api.example.test";
const BILLING: &str = "https://billing.example.test";

/// A confidential client-credentials client authenticating with `method`.
async fn machine_client(app: &TestApp, id: &str, method: &str) -> Client {
    app.client(id)
        .confidential()
        .grant("client_credentials")
        .scope("orders.read orders.write")
        .audience(API)
        .allowed_audience(BILLING)
        .auth_method(method)
        .create()
        .await
}

/// An app with the `svc` machine client (client_secret_basic).
async fn app_with_svc() -> (TestApp, Client) {
    let app = spawn_app().await;
    let svc = machine_client(&app, "svc", "client_secret_basic").await;
    (app, svc)
}

fn assert_error(res: &Response, status: u16, error: &str) {
    res.assert_oauth_error(status, error);
}

#[actix_web::test]
async fn client_secret_basic_yields_an_rfc9068_access_token() {
    let (app, svc) = app_with_svc().await;

    let res = app.token(&[CC], svc.basic()).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.header("pragma"), Some("no-cache"));
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert_eq!(res.body["token_type"], "Bearer");
    assert_eq!(res.body["expires_in"], 600);
    assert_eq!(res.body["scope"], "orders.read orders.write");

    let (header, claims) = verify(&app, res.token(), API).await;
    assert_eq!(header.typ.as_deref(), Some("at+jwt"));
    assert_eq!(header.alg, Algorithm::RS256);
    assert!(header.kid.is_some());
    assert_eq!(claims["iss"], app.state.settings.issuer.as_str());
    assert_eq!(claims["sub"], "svc");
    assert_eq!(claims["client_id"], "svc");
    assert_eq!(claims["aud"], API);
    assert_eq!(claims["scope"], "orders.read orders.write");
    let (iat, exp) = (
        claims["iat"].as_i64().unwrap(),
        claims["exp"].as_i64().unwrap(),
    );
    assert_eq!(exp - iat, 600);
    assert!(claims["jti"].as_str().unwrap().len() >= 16);
    assert!(claims["iat"].is_i64(), "whole seconds, not floats");
}

#[actix_web::test]
async fn basic_credentials_are_form_url_decoded() {
    let (app, svc) = app_with_svc().await;
    // Percent-encode every byte of the secret: the server must decode it (RFC 6749 §2.3.1).
    let encoded: String = svc.secret().bytes().map(|b| format!("%{b:02X}")).collect();
    let creds = base64::Engine::encode(
        &base64::engine::general_purpose::STANDARD,
        format!("svc:{encoded}"),
    );
    let mut res = app
        .http
        .post(app.url("/token"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .insert_header(("Authorization", format!("Basic {creds}")))
        .send_body("grant_type=client_credentials")
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200, "{:?}", res.body().await);
}

#[actix_web::test]
async fn client_secret_post_works_and_a_client_may_use_only_its_own_method() {
    let app = spawn_app().await;
    let poster = machine_client(&app, "poster", "client_secret_post").await;
    let basic = machine_client(&app, "basic", "client_secret_basic").await;
    fn post_form(c: &Client) -> [(&str, &str); 3] {
        [
            CC,
            ("client_id", c.id.as_str()),
            ("client_secret", c.secret()),
        ]
    }

    app.token(&post_form(&poster), None).await.token();

    // The right secret through the wrong method is refused.
    assert_error(
        &app.token(&[CC], poster.basic()).await,
        401,
        "invalid_client",
    );
    assert_error(
        &app.token(&post_form(&basic), None).await,
        401,
        "invalid_client",
    );
}

#[actix_web::test]
async fn a_narrower_scope_and_other_allowed_audiences_can_be_asked_for() {
    let (app, svc) = app_with_svc().await;

    let res = app
        .token(&[CC, ("scope", "orders.read")], svc.basic())
        .await;
    assert_eq!(res.body["scope"], "orders.read");
    let (_, claims) = verify(&app, res.token(), API).await;
    assert_eq!(claims["scope"], "orders.read");

    let res = app.token(&[CC, ("resource", BILLING)], svc.basic()).await;
    let (_, claims) = verify(&app, res.token(), BILLING).await;
    assert_eq!(claims["aud"], BILLING);

    let res = app
        .token(&[CC, ("resource", API), ("resource", BILLING)], svc.basic())
        .await;
    let (_, claims) = verify(&app, res.token(), API).await;
    assert_eq!(claims["aud"], json!([API, BILLING]));
}

#[actix_web::test]
async fn scopes_and_audiences_outside_the_registration_are_refused() {
    let (app, svc) = app_with_svc().await;
    for (param, value, error) in [
        ("scope", "admin", "invalid_scope"),
        ("scope", "orders.read \"x", "invalid_scope"),
        ("resource", "https://evil.example", "invalid_target"),
        ("resource", "not-absolute", "invalid_target"),
    ] {
        let res = app.token(&[CC, (param, value)], svc.basic()).await;
        assert_error(&res, 400, error);
    }
}

#[actix_web::test]
async fn malformed_token_requests_get_rfc6749_errors() {
    let (app, svc) = app_with_svc().await;
    let creds = svc.basic();
    for (form, error) in [
        (vec![("grant_type", "password")], "unsupported_grant_type"),
        (vec![("grant_type", "implicit")], "unsupported_grant_type"),
        (vec![("scope", "orders.read")], "invalid_request"),
        (vec![CC, ("scope", "a"), ("scope", "b")], "invalid_request"),
        (vec![CC, CC], "invalid_request"),
    ] {
        assert_error(&app.token(&form, creds).await, 400, error);
    }
    let res = app
        .token_raw(
            "{\"grant_type\":\"client_credentials\"}".into(),
            creds,
            "application/json",
        )
        .await;
    assert_error(&res, 400, "invalid_request");
}

#[actix_web::test]
async fn a_client_without_the_grant_is_unauthorized() {
    let app = spawn_app().await;
    let web = app
        .client("web")
        .name("Web")
        .grant("authorization_code")
        .redirect_uri("https://app.example/cb")
        .create()
        .await;
    let rotated = app.rotate_client_secret("web");
    app.state.clients.refresh().await.unwrap();
    assert_error(
        &app.token(&[CC], Some((web.id.as_str(), rotated.as_str())))
            .await,
        400,
        "unauthorized_client",
    );
}

#[actix_web::test]
async fn failed_client_authentication_is_invalid_client() {
    let (app, svc) = app_with_svc().await;
    for (form, creds) in [
        (vec![CC], Some(("svc", "not-the-secret-xyz"))),
        (vec![CC], Some(("nobody", "x"))),
        (vec![CC], None),
        (vec![CC, ("client_id", "svc")], None),
    ] {
        assert_error(&app.token(&form, creds).await, 401, "invalid_client");
    }
    // Two authentication methods at once.
    let both = [CC, ("client_id", "svc"), ("client_secret", svc.secret())];
    assert_error(&app.token(&both, svc.basic()).await, 400, "invalid_request");
}

#[actix_web::test]
async fn failed_client_authentications_are_audited_without_the_secret() {
    let (app, svc) = app_with_svc().await;
    for creds in [("svc", "not-the-secret-xyz"), ("nobody", "x")] {
        app.token(&[CC], Some(creds)).await;
    }
    app.token(&[CC], None).await;
    app.token(&[CC, ("client_id", "svc")], None).await;
    let both = [CC, ("client_id", "svc"), ("client_secret", svc.secret())];
    app.token(&both, svc.basic()).await;
    let entries = audit::recent(&mut app.db.conn(), 50).unwrap();
    let failures: Vec<_> = entries
        .iter()
        .filter(|e| e.event == "token.client_auth_failed")
        .collect();
    // One row per source per window, whatever client ids it names (hardening finding 7,
    // round 2 finding 4b): every failure from here is one row, the first one's.
    assert_eq!(failures.len(), 1, "{entries:?}");
    assert!(
        failures
            .iter()
            .any(|e| e.client_id.as_deref() == Some("svc"))
    );
    assert!(
        entries
            .iter()
            .all(|e| !e.details.contains(svc.secret())
                && !e.details.contains("not-the-secret-xyz"))
    );
}

#[actix_web::test]
async fn browsers_may_preflight_the_token_endpoint() {
    let app = spawn_app().await;
    let res = app.preflight("/token", "POST").await;
    assert_eq!(res.status, 204);
    assert_eq!(res.header("access-control-allow-origin"), Some("*"));
    assert!(
        res.header("access-control-allow-methods")
            .unwrap()
            .contains("POST")
    );
}

#[actix_web::test]
async fn a_get_on_the_token_endpoint_is_an_uncached_invalid_request() {
    let app = spawn_app().await;
    let res = app.get("/token").await;
    assert_eq!(res.status, 405);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.body["error"], "invalid_request");
}

#[actix_web::test]
async fn jti_is_unique_across_a_thousand_tokens() {
    let (app, svc) = app_with_svc().await;
    let mut jtis = HashSet::new();
    for _ in 0..1000 {
        let res = app.token(&[CC], svc.basic()).await;
        let jti = unverified_claims(res.token())["jti"]
            .as_str()
            .unwrap()
            .to_string();
        assert!(jtis.insert(jti), "duplicate jti");
    }
    assert_eq!(jtis.len(), 1000);
}

#[actix_web::test]
async fn a_rotated_secret_stops_working_on_the_running_server() {
    let (app, svc) = app_with_svc().await;
    app.token(&[CC], svc.basic()).await.token();
    let new = app.rotate_client_secret("svc");
    // The server notices the change by itself (cache.poll_interval_ms, 1 s by default).
    wait_within(
        "the old secret is refused",
        CLI_CHANGE_REACHES_SERVER_WITHIN,
        || async { app.token(&[CC], svc.basic()).await.status != 200 },
    )
    .await;
    app.token(&[CC], Some(("svc", &new))).await.token();
}

/// Hardening finding 9: a client credentials token names no user, even one whose `sub`,
/// audience and scope look like a user's token.
#[actix_web::test]
async fn a_client_credentials_token_reads_no_userinfo() {
    let app = spawn_app().await;
    let issuer = app.state.settings.issuer.clone();
    let svc = app
        .client("svc")
        .confidential()
        .grant("client_credentials")
        .scope("openid")
        .audience(&issuer)
        .create()
        .await;
    let res = app.token(&[CC], svc.basic()).await;
    let token = res.token().to_string();
    let res = app.userinfo(&token).await;
    assert_eq!(res.status, 401, "{}", res.body);
}

/// Hardening finding 7: unauthenticated requests cannot fill the audit log.
#[actix_web::test]
async fn repeated_failed_client_authentications_write_one_audit_row_per_window() {
    let (app, _svc) = app_with_svc().await;
    for _ in 0..50 {
        let res = app.token(&[CC], Some(("svc", "wrong"))).await;
        assert_eq!(res.status, 401);
    }
    let entries = audit::recent(&mut app.db.conn(), 200).unwrap();
    let rows = entries
        .iter()
        .filter(|e| e.event.starts_with("token.client_auth_failed"))
        .count();
    assert_eq!(rows, 1, "{entries:?}");
}

/// Hardening round 2, finding 4b: a flood of 10,000 failed authentications from one
/// source, each naming a new random (and long) client id, writes one audit row per window
/// (here the clock stands still: exactly one), which keeps only a bounded prefix of the id.
#[actix_web::test]
async fn a_flood_of_random_client_ids_from_one_source_writes_one_audit_row() {
    let db = crate::helpers::TestDb::sqlite();
    let settings = db.settings();
    let app = crate::helpers::spawn_app_with(
        db,
        settings,
        std::sync::Arc::new(portcullis::clock::ManualClock::at(crate::helpers::T0)),
    )
    .await;
    let before = audit::recent(&mut app.db.conn(), 10_000).unwrap().len();
    let url = app.url("/token");
    // One client for the flood: building one (its TLS connector) costs more than a request.
    let client = awc::Client::default();
    for wave in 0..200 {
        let requests: Vec<_> = (0..50)
            .map(|i| {
                let id = format!("{:05}-{}", wave * 50 + i, "r".repeat(300));
                let basic = crate::helpers::app::basic_auth(&id, "x");
                let req = client
                    .post(url.as_str())
                    .insert_header(("Authorization", basic))
                    .insert_header(("Content-Type", "application/x-www-form-urlencoded"));
                actix_web::rt::spawn(async move {
                    req.send_body("grant_type=client_credentials")
                        .await
                        .unwrap()
                        .status()
                        .as_u16()
                })
            })
            .collect();
        for r in requests {
            assert_eq!(r.await.unwrap(), 401);
        }
    }
    let entries = audit::recent(&mut app.db.conn(), 10_000).unwrap();
    assert_eq!(entries.len() - before, 1, "one row for the whole flood");
    let row = &entries[0];
    assert!(
        row.client_id.as_deref().unwrap_or("").chars().count()
            <= portcullis::token::authenticate::AUDITED_CLIENT_ID_CHARS
    );
}
