//! private_key_jwt client authentication (RFC 7523): keys registered as a JWK set or
//! fetched from the client's jwks_uri, assertions checked for audience, key and replay.

use josekit::jws::{JwsHeader, RS256};
use josekit::jwt::JwtPayload;
use serde_json::json;

use crate::helpers::internals::{SweepPolicy, sweep};
use crate::helpers::stubs::jwks_server;
use crate::helpers::{Response, TestApp, spawn_app, verify};

const CC: (&str, &str) = ("grant_type", "client_credentials");
const API: &str = "https://api.example.test";

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

/// A client_credentials request authenticated by `assertion`.
async fn token_with(app: &TestApp, assertion: &str) -> Response {
    let form = [
        CC,
        (
            "client_assertion_type",
            "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
        ),
        ("client_assertion", assertion),
    ];
    app.token(&form, None).await
}

fn assert_invalid_client(res: &Response) {
    res.assert_oauth_error(401, "invalid_client");
}

/// An app with the `signer` client registered with `key` from a file.
async fn app_with_signer(key: &ClientKey) -> TestApp {
    let app = spawn_app().await;
    let jwks_file = app.db.dir.path().join("client-jwks.json");
    std::fs::write(&jwks_file, &key.jwks).unwrap();
    let signer = app
        .client("signer")
        .name("Signer")
        .grant("client_credentials")
        .audience(API)
        .auth_method("private_key_jwt")
        .jwks_file(jwks_file)
        .create()
        .await;
    assert!(signer.secret.is_none(), "no shared secret exists");
    app
}

fn token_endpoint(app: &TestApp) -> String {
    app.state.settings.issuer.clone() + "/token"
}

#[actix_web::test]
async fn private_key_jwt_authenticates_without_a_secret_and_rejects_replays() {
    let key = client_key("k1");
    let app = app_with_signer(&key).await;
    let a = client_assertion(&key, "signer", &token_endpoint(&app), "jti-1");
    let res = token_with(&app, &a).await;
    verify(&app, res.token(), API).await;
    assert_invalid_client(&token_with(&app, &a).await);
}

#[actix_web::test]
async fn the_issuer_is_accepted_as_audience_and_nothing_else_is() {
    let key = client_key("k1");
    let app = app_with_signer(&key).await;
    let b = client_assertion(&key, "signer", &app.state.settings.issuer, "jti-2");
    token_with(&app, &b).await.token();
    let c = client_assertion(&key, "signer", "https://elsewhere.example", "jti-3");
    assert_invalid_client(&token_with(&app, &c).await);
}

#[actix_web::test]
async fn an_assertion_signed_by_an_unregistered_key_is_refused() {
    let key = client_key("k1");
    let app = app_with_signer(&key).await;
    let stranger = client_key("k1");
    let d = client_assertion(&stranger, "signer", &token_endpoint(&app), "jti-4");
    assert_invalid_client(&token_with(&app, &d).await);
}

#[actix_web::test]
async fn secret_and_assertion_clients_cannot_use_each_others_method() {
    let key = client_key("k1");
    let app = app_with_signer(&key).await;
    let svc = app
        .client("svc")
        .grant("client_credentials")
        .audience(API)
        .create()
        .await;
    let e = client_assertion(&key, "svc", &token_endpoint(&app), "jti-5");
    assert_invalid_client(&token_with(&app, &e).await);
    assert_invalid_client(&app.token(&[CC], Some(("signer", svc.secret()))).await);
}

#[actix_web::test]
async fn an_assertion_of_another_type_is_an_invalid_request() {
    let key = client_key("k1");
    let app = app_with_signer(&key).await;
    let f = client_assertion(&key, "signer", &token_endpoint(&app), "jti-6");
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
    res.assert_oauth_error(400, "invalid_request");
}

#[actix_web::test]
async fn private_key_jwt_keys_can_come_from_a_jwks_uri() {
    let app = spawn_app().await;
    let key = client_key("remote-1");
    let jwks_uri = jwks_server(key.jwks.clone());
    app.client("remote")
        .name("Remote")
        .grant("client_credentials")
        .audience(API)
        .auth_method("private_key_jwt")
        .jwks_uri(&jwks_uri)
        .create()
        .await;
    let a = client_assertion(&key, "remote", &token_endpoint(&app), "r1");
    let res = token_with(&app, &a).await;
    verify(&app, res.token(), API).await;
}

#[actix_web::test]
async fn the_replay_store_forgets_expired_assertions() {
    use portcullis::store::assertion_jtis;
    let app = spawn_app().await;
    let mut conn = app.db.conn();
    assertion_jtis::insert(&mut conn, "c", "old", 1).unwrap();
    assertion_jtis::insert(&mut conn, "c", "live", i64::MAX).unwrap();
    let policy = SweepPolicy::from(&app.state.settings);
    let deleted = sweep(&app.state.store, app.state.clock.as_ref(), policy)
        .await
        .unwrap();
    assert!(deleted.unwrap() >= 1);
    // The live entry still blocks a replay.
    assert!(assertion_jtis::insert(&mut conn, "c", "live", i64::MAX).is_err());
}
