use std::collections::HashSet;

use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::JwtPayload;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use portcullis::store::audit;
use serde_json::{Value, json};

use crate::helpers::{TestApp, TokenResponse, spawn_app};

const CC: (&str, &str) = ("grant_type", "client_credentials");
const API: &str = "https://api.example.test";

/// A confidential client-credentials client; returns its secret.
async fn machine_client(app: &TestApp, id: &str, method: &str) -> String {
    let created = app
        .create_client(&[
            "--name",
            id,
            "--id",
            id,
            "--grant-type",
            "client_credentials",
            "--scope",
            "orders.read",
            "orders.write",
            "--audience",
            API,
            "--allowed-audience",
            "https://billing.example.test",
            "--auth-method",
            method,
        ])
        .await;
    created["client_secret"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

fn assert_error(res: &TokenResponse, status: u16, error: &str) {
    assert_eq!(res.status, status, "{}", res.body);
    assert_eq!(res.body["error"], error, "{}", res.body);
    assert_eq!(res.header("cache-control"), Some("no-store"));
    assert_eq!(res.header("pragma"), Some("no-cache"));
    assert!(
        res.header("content-type")
            .unwrap()
            .starts_with("application/json")
    );
    let desc = res.body["error_description"].as_str().unwrap_or("");
    assert!(
        desc.bytes().all(|b| b == 0x20
            || b == 0x21
            || (0x23..=0x5B).contains(&b)
            || (0x5D..=0x7E).contains(&b)),
        "error_description charset: {desc}"
    );
    if error == "invalid_client" {
        assert!(res.header("www-authenticate").unwrap().starts_with("Basic"));
    }
}

/// Verifies with jsonwebtoken (independent of josekit) against the served JWKS, checking
/// iss, aud and exp against the wall clock.
async fn verify(app: &TestApp, token: &str, aud: &str) -> (jsonwebtoken::Header, Value) {
    let jwks: JwkSet =
        serde_json::from_slice(&app.get_bytes("/.well-known/jwks.json").await).unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid in JWKS");
    let mut v = Validation::new(Algorithm::RS256);
    v.set_issuer(&[&app.state.settings.issuer]);
    v.set_audience(&[aud]);
    v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    let data = jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &v)
        .expect("token verifies");
    (header, data.claims)
}

#[actix_web::test]
async fn client_secret_basic_yields_an_rfc9068_access_token() {
    let app = spawn_app().await;
    let secret = machine_client(&app, "svc", "client_secret_basic").await;

    let res = app.token(&[CC], Some(("svc", &secret))).await;
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
    let app = spawn_app().await;
    let secret = machine_client(&app, "svc", "client_secret_basic").await;
    // Percent-encode every byte of the secret: the server must decode it (RFC 6749 §2.3.1).
    let encoded: String = secret.bytes().map(|b| format!("%{b:02X}")).collect();
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
    let post_secret = machine_client(&app, "poster", "client_secret_post").await;
    let basic_secret = machine_client(&app, "basic", "client_secret_basic").await;

    let res = app
        .token(
            &[CC, ("client_id", "poster"), ("client_secret", &post_secret)],
            None,
        )
        .await;
    res.token();

    // The right secret through the wrong method is refused.
    let res = app.token(&[CC], Some(("poster", &post_secret))).await;
    assert_error(&res, 401, "invalid_client");
    let res = app
        .token(
            &[CC, ("client_id", "basic"), ("client_secret", &basic_secret)],
            None,
        )
        .await;
    assert_error(&res, 401, "invalid_client");
}

#[actix_web::test]
async fn scopes_and_audiences_are_negotiated() {
    let app = spawn_app().await;
    let s = machine_client(&app, "svc", "client_secret_basic").await;
    let creds = Some(("svc", s.as_str()));

    let res = app.token(&[CC, ("scope", "orders.read")], creds).await;
    assert_eq!(res.body["scope"], "orders.read");
    let (_, claims) = verify(&app, res.token(), API).await;
    assert_eq!(claims["scope"], "orders.read");

    let res = app
        .token(&[CC, ("resource", "https://billing.example.test")], creds)
        .await;
    let (_, claims) = verify(&app, res.token(), "https://billing.example.test").await;
    assert_eq!(claims["aud"], "https://billing.example.test");

    let res = app
        .token(
            &[
                CC,
                ("resource", API),
                ("resource", "https://billing.example.test"),
            ],
            creds,
        )
        .await;
    let (_, claims) = verify(&app, res.token(), API).await;
    assert_eq!(claims["aud"], json!([API, "https://billing.example.test"]));

    assert_error(
        &app.token(&[CC, ("scope", "admin")], creds).await,
        400,
        "invalid_scope",
    );
    assert_error(
        &app.token(&[CC, ("scope", "orders.read \"x")], creds).await,
        400,
        "invalid_scope",
    );
    assert_error(
        &app.token(&[CC, ("resource", "https://evil.example")], creds)
            .await,
        400,
        "invalid_target",
    );
    assert_error(
        &app.token(&[CC, ("resource", "not-absolute")], creds).await,
        400,
        "invalid_target",
    );
}

#[actix_web::test]
async fn every_error_is_shaped_per_rfc6749() {
    let app = spawn_app().await;
    let s = machine_client(&app, "svc", "client_secret_basic").await;
    let creds = Some(("svc", s.as_str()));
    app.create_client(&[
        "--name",
        "Web",
        "--id",
        "web",
        "--grant-type",
        "authorization_code",
        "--redirect-uri",
        "https://app.example/cb",
    ])
    .await;
    let web_secret = app
        .cli()
        .run(&["client", "rotate-secret", "web", "--json"])
        .ok()
        .json()["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    app.state.clients.refresh().await.unwrap();

    assert_error(
        &app.token(&[("grant_type", "password")], creds).await,
        400,
        "unsupported_grant_type",
    );
    assert_error(
        &app.token(&[("grant_type", "implicit")], creds).await,
        400,
        "unsupported_grant_type",
    );
    assert_error(
        &app.token(&[("scope", "orders.read")], creds).await,
        400,
        "invalid_request",
    );
    assert_error(
        &app.token(&[CC, ("scope", "a"), ("scope", "b")], creds)
            .await,
        400,
        "invalid_request",
    );
    assert_error(&app.token(&[CC, CC], creds).await, 400, "invalid_request");
    assert_error(
        &app.token(&[CC], Some(("web", &web_secret))).await,
        400,
        "unauthorized_client",
    );
    assert_error(
        &app.token(&[CC], Some(("svc", "not-the-secret-xyz"))).await,
        401,
        "invalid_client",
    );
    assert_error(
        &app.token(&[CC], Some(("nobody", "x"))).await,
        401,
        "invalid_client",
    );
    assert_error(&app.token(&[CC], None).await, 401, "invalid_client");
    assert_error(
        &app.token(&[CC, ("client_id", "svc")], None).await,
        401,
        "invalid_client",
    );
    // Two authentication methods at once.
    assert_error(
        &app.token(&[CC, ("client_id", "svc"), ("client_secret", &s)], creds)
            .await,
        400,
        "invalid_request",
    );
    let res = app
        .token_raw(
            "{\"grant_type\":\"client_credentials\"}".into(),
            creds,
            "application/json",
        )
        .await;
    assert_error(&res, 400, "invalid_request");

    // CORS preflight for browser clients.
    let res = app
        .http
        .request(actix_web::http::Method::OPTIONS, app.url("/token"))
        .insert_header(("Origin", "https://spa.example"))
        .insert_header(("Access-Control-Request-Method", "POST"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 204);
    assert_eq!(
        res.headers().get("access-control-allow-origin").unwrap(),
        "*"
    );
    assert!(
        res.headers()
            .get("access-control-allow-methods")
            .unwrap()
            .to_str()
            .unwrap()
            .contains("POST")
    );

    let mut res = app.http.get(app.url("/token")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 405);
    assert_eq!(res.headers().get("cache-control").unwrap(), "no-store");
    let body: Value = serde_json::from_slice(&res.body().await.unwrap()).unwrap();
    assert_eq!(body["error"], "invalid_request");

    // Failed authentications are audited, without the secret.
    let mut conn = app.db.conn();
    let entries = audit::recent(&mut conn, 50).unwrap();
    let failures: Vec<_> = entries
        .iter()
        .filter(|e| e.event == "token.client_auth_failed")
        .collect();
    assert!(failures.len() >= 3, "{entries:?}");
    assert!(
        failures
            .iter()
            .any(|e| e.client_id.as_deref() == Some("svc"))
    );
    assert!(
        entries
            .iter()
            .all(|e| !e.details.contains(&s) && !e.details.contains("not-the-secret-xyz"))
    );
}

#[actix_web::test]
async fn jti_is_unique_across_a_thousand_tokens() {
    let app = spawn_app().await;
    let s = machine_client(&app, "svc", "client_secret_basic").await;
    let mut jtis = HashSet::new();
    for _ in 0..100 {
        let batch = (0..10).map(|_| app.token(&[CC], Some(("svc", s.as_str()))));
        for res in futures_join(batch).await {
            let token = res.token().to_string();
            let payload = token.split('.').nth(1).unwrap();
            let bytes =
                base64::Engine::decode(&base64::engine::general_purpose::URL_SAFE_NO_PAD, payload)
                    .unwrap();
            let claims: Value = serde_json::from_slice(&bytes).unwrap();
            assert!(
                jtis.insert(claims["jti"].as_str().unwrap().to_string()),
                "duplicate jti"
            );
        }
    }
    assert_eq!(jtis.len(), 1000);
}

async fn futures_join<F: std::future::Future>(futures: impl Iterator<Item = F>) -> Vec<F::Output> {
    let mut out = Vec::new();
    let pinned: Vec<_> = futures.map(Box::pin).collect();
    for f in pinned {
        out.push(f.await);
    }
    out
}

#[actix_web::test]
async fn a_rotated_secret_stops_working_on_the_running_server() {
    let app = spawn_app().await;
    let old = machine_client(&app, "svc", "client_secret_basic").await;
    app.token(&[CC], Some(("svc", &old))).await.token();
    let new = app
        .cli()
        .run(&["client", "rotate-secret", "svc", "--json"])
        .ok()
        .json()["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    // The server notices the change by itself (cache.poll_interval_ms, 1 s by default).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while app.token(&[CC], Some(("svc", &old))).await.status == 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "old secret still accepted"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    app.token(&[CC], Some(("svc", &new))).await.token();
}

// ---- private_key_jwt ----

struct ClientKey {
    signer: josekit::jws::alg::rsassa::RsassaJwsSigner,
    jwks: String,
}

fn client_key(kid: &str) -> ClientKey {
    let pair = RS256.generate_key_pair(2048).unwrap();
    let mut public = pair.to_jwk_public_key();
    public.set_key_id(kid);
    public.set_algorithm("RS256");
    let mut signer = RS256.signer_from_der(pair.to_der_private_key()).unwrap();
    signer.set_key_id(kid);
    ClientKey {
        signer,
        jwks: json!({ "keys": [public] }).to_string(),
    }
}

fn client_assertion(key: &ClientKey, client_id: &str, aud: &str, jti: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    let claims = json!({
        "iss": client_id, "sub": client_id, "aud": aud, "jti": jti,
        "iat": now, "exp": now + 60,
    });
    let payload = JwtPayload::from_map(claims.as_object().unwrap().clone()).unwrap();
    josekit::jwt::encode_with_signer(&payload, &JwsHeader::new(), &key.signer).unwrap()
}

fn assertion_form(assertion: &str) -> Vec<(&str, &str)> {
    vec![
        CC,
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
    ]
}

#[actix_web::test]
async fn private_key_jwt_authenticates_without_a_secret_and_rejects_replays() {
    let app = spawn_app().await;
    let key = client_key("k1");
    let jwks_file = app.db.dir.path().join("client-jwks.json");
    std::fs::write(&jwks_file, &key.jwks).unwrap();
    let created = app
        .create_client(&[
            "--name",
            "Signer",
            "--id",
            "signer",
            "--grant-type",
            "client_credentials",
            "--audience",
            API,
            "--auth-method",
            "private_key_jwt",
            "--jwks",
            jwks_file.to_str().unwrap(),
        ])
        .await;
    assert!(
        created["client_secret"].is_null(),
        "no shared secret exists"
    );

    let token_endpoint = app.state.settings.issuer.clone() + "/token";
    let a = client_assertion(&key, "signer", &token_endpoint, "jti-1");
    let res = app.token(&assertion_form(&a), None).await;
    verify(&app, res.token(), API).await;

    // The same assertion again is a replay.
    assert_error(
        &app.token(&assertion_form(&a), None).await,
        401,
        "invalid_client",
    );

    // The issuer is accepted as audience too; anything else is not.
    let b = client_assertion(&key, "signer", &app.state.settings.issuer, "jti-2");
    app.token(&assertion_form(&b), None).await.token();
    let c = client_assertion(&key, "signer", "https://elsewhere.example", "jti-3");
    assert_error(
        &app.token(&assertion_form(&c), None).await,
        401,
        "invalid_client",
    );

    // Signed by a key the client never registered.
    let stranger = client_key("k1");
    let d = client_assertion(&stranger, "signer", &token_endpoint, "jti-4");
    assert_error(
        &app.token(&assertion_form(&d), None).await,
        401,
        "invalid_client",
    );

    // A secret-based client cannot authenticate with an assertion, nor this one with a secret.
    let s = machine_client(&app, "svc", "client_secret_basic").await;
    let e = client_assertion(&key, "svc", &token_endpoint, "jti-5");
    assert_error(
        &app.token(&assertion_form(&e), None).await,
        401,
        "invalid_client",
    );
    assert_error(
        &app.token(&[CC], Some(("signer", &s))).await,
        401,
        "invalid_client",
    );

    // Wrong assertion type.
    let f = client_assertion(&key, "signer", &token_endpoint, "jti-6");
    let res = app
        .token(
            &[
                CC,
                ("client_assertion_type", "urn:other"),
                ("client_assertion", &f),
            ],
            None,
        )
        .await;
    assert_error(&res, 400, "invalid_request");
}

#[actix_web::test]
async fn private_key_jwt_keys_can_come_from_a_jwks_uri() {
    let app = spawn_app().await;
    let key = client_key("remote-1");
    // The client's own server publishing its keys.
    let jwks = key.jwks.clone();
    let server = actix_web::HttpServer::new(move || {
        let jwks = jwks.clone();
        actix_web::App::new().route(
            "/jwks",
            actix_web::web::get().to(move || {
                let jwks = jwks.clone();
                async move {
                    actix_web::HttpResponse::Ok()
                        .content_type("application/json")
                        .body(jwks)
                }
            }),
        )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let addr = server.addrs()[0];
    actix_web::rt::spawn(server.run());

    app.create_client(&[
        "--name",
        "Remote",
        "--id",
        "remote",
        "--grant-type",
        "client_credentials",
        "--audience",
        API,
        "--auth-method",
        "private_key_jwt",
        "--jwks-uri",
        &format!("http://{addr}/jwks"),
    ])
    .await;
    let a = client_assertion(
        &key,
        "remote",
        &(app.state.settings.issuer.clone() + "/token"),
        "r1",
    );
    let res = app.token(&assertion_form(&a), None).await;
    verify(&app, res.token(), API).await;
}

#[actix_web::test]
async fn the_replay_store_forgets_expired_assertions() {
    let app = spawn_app().await;
    let mut conn = app.db.conn();
    portcullis::store::assertion_jtis::insert(&mut conn, "c", "old", 1).unwrap();
    portcullis::store::assertion_jtis::insert(&mut conn, "c", "live", i64::MAX).unwrap();
    let policy = portcullis::background::sweep::SweepPolicy::from(&app.state.settings);
    let deleted =
        portcullis::background::sweep::sweep(&app.state.store, app.state.clock.as_ref(), policy)
            .await
            .unwrap();
    assert!(deleted.unwrap() >= 1);
    // The live entry still blocks a replay.
    assert!(portcullis::store::assertion_jtis::insert(&mut conn, "c", "live", i64::MAX).is_err());
}
