//! The JWKS and the `portcullis keys` commands.

use std::sync::Arc;

use crate::helpers::internals::opaque;
use crate::helpers::jwt::{jwks_of, kids, payload, verify_independently};
use crate::helpers::wait::{CLI_CHANGE_REACHES_SERVER_WITHIN, wait_within};
use crate::helpers::{T0, TestApp, TestDb, spawn_app, spawn_app_with};
use portcullis::keys::SigningAlg;

#[actix_web::test]
async fn a_token_signed_now_verifies_with_the_jwks_served_now() {
    let app = spawn_app().await;
    let token = app.state.keys.sign("JWT", &payload("alice", T0)).unwrap();
    let jwks = jwks_of(&app).await;
    let kid = verify_independently(&token, &jwks).unwrap();
    assert!(kids(&jwks).contains(&kid));
    assert_eq!(kids(&jwks).len(), 2, "one key for each of RS256 and ES256");

    // A tampered token does not verify.
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = opaque::generate(16);
    parts[1] = forged.expose();
    assert!(verify_independently(&parts.join("."), &jwks).is_err());
}

#[actix_web::test]
async fn each_algorithm_signs_and_verifies_against_the_served_jwks_with_an_independent_library() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.keys.algorithms = SigningAlg::ALL.to_vec();
    let app = spawn_app_with(db, settings, Arc::new(portcullis::clock::SystemClock)).await;
    let jwks = jwks_of(&app).await;
    assert_eq!(kids(&jwks).len(), 4);
    let keys = app.state.keys.current();
    for alg in SigningAlg::ALL {
        let token = keys
            .sign_as(alg, "JWT", &payload("alice", T0), T0 + 10_000_000)
            .unwrap();
        let header = jsonwebtoken::decode_header(&token).unwrap();
        assert_eq!(format!("{:?}", header.alg), alg.as_str(), "header alg");
        let kid = verify_independently(&token, &jwks).unwrap();
        let served = &app.jwks().await.body["keys"];
        let jwk = served
            .as_array()
            .unwrap()
            .iter()
            .find(|k| k["kid"] == kid.as_str())
            .unwrap();
        assert_eq!(jwk["alg"], alg.as_str());
    }
}

#[actix_web::test]
async fn the_jwks_holds_only_public_signing_keys_with_unique_kids() {
    let app = spawn_app().await;
    app.state.keys.maintain().await.unwrap();
    let jwks = app.jwks().await.body;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 2);
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        let mut members: Vec<&str> = k.as_object().unwrap().keys().map(|s| s.as_str()).collect();
        members.sort();
        let expected: &[&str] = match k["alg"].as_str().unwrap() {
            "RS256" => &["alg", "e", "kid", "kty", "n", "use"],
            "ES256" => &["alg", "crv", "kid", "kty", "use", "x", "y"],
            other => panic!("unexpected alg {other}"),
        };
        assert_eq!(members, expected, "{k}");
        assert_eq!(k["use"], "sig");
        assert!(!k["kid"].as_str().unwrap().trim().is_empty());
        assert!(
            seen.insert(k["kid"].as_str().unwrap().to_string()),
            "kids are unique"
        );
    }
}

/// An app whose server re-reads keys every second.
async fn app_refreshing_keys_every_second() -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.keys.refresh_interval_secs = 1;
    spawn_app_with(db, settings, Arc::new(portcullis::clock::SystemClock)).await
}

fn states(app: &TestApp) -> Vec<String> {
    let listed = app.cli().run(&["keys", "list", "--json"]).ok().json();
    listed
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn keys_rotate_schedules_one_pending_key() {
    let app = spawn_app().await;
    let out = app.cli().run(&["keys", "rotate"]).ok();
    assert!(out.stdout.contains("becomes active at"), "{}", out.stdout);
    let out = app.cli().run(&["keys", "rotate"]).ok();
    assert!(out.stdout.contains("already scheduled"), "{}", out.stdout);
    let mut states = states(&app);
    states.sort();
    assert_eq!(
        states,
        ["active", "active", "pending", "pending"],
        "one successor for each algorithm"
    );
}

#[actix_web::test]
async fn revoking_the_previous_key_needs_an_immediate_rotation() {
    let app = spawn_app().await;
    let out = app.cli().run(&["keys", "rotate", "--revoke-previous"]);
    assert_ne!(out.status, 0, "--revoke-previous needs --now");
}

/// `keys rotate --alg RS256`, then `keys rotate --alg RS256 --now --revoke-previous`: the
/// one RS256 key left; the ES256 key is untouched.
fn rotate_now_revoking_the_rest(app: &TestApp) -> String {
    let es256_before = keys_of(app, "ES256");
    app.cli().run(&["keys", "rotate", "--alg", "RS256"]).ok();
    let out = app
        .cli()
        .run(&[
            "keys",
            "rotate",
            "--alg",
            "RS256",
            "--now",
            "--revoke-previous",
        ])
        .ok();
    assert!(out.stdout.contains("is active now"), "{}", out.stdout);
    let rs256 = keys_of(app, "RS256");
    assert_eq!(rs256.len(), 1, "pending and revoked keys are gone");
    assert_eq!(
        keys_of(app, "ES256"),
        es256_before,
        "other algorithms rotate on their own"
    );
    rs256[0].clone()
}

/// The kids `keys list` shows for `alg`.
fn keys_of(app: &TestApp, alg: &str) -> Vec<String> {
    let listed = app.cli().run(&["keys", "list", "--json"]).ok().json();
    listed
        .as_array()
        .unwrap()
        .iter()
        .filter(|k| k["alg"] == alg)
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn rotating_an_algorithm_that_is_not_configured_is_refused() {
    let app = spawn_app().await;
    let out = app.cli().run(&["keys", "rotate", "--alg", "EdDSA"]);
    assert_ne!(out.status, 0);
    assert!(
        out.stderr.contains("not in keys.algorithms"),
        "{}",
        out.stderr
    );
    let out = app.cli().run(&["keys", "rotate", "--alg", "HS256"]);
    assert_ne!(out.status, 0);
}

#[actix_web::test]
async fn an_immediate_rotation_revoking_the_rest_leaves_one_new_active_key() {
    let app = spawn_app().await;
    let old = kids(&jwks_of(&app).await);
    let new_kid = rotate_now_revoking_the_rest(&app);
    assert!(!old.contains(&new_kid));
    let human = app.cli().run(&["keys", "list"]).ok().stdout;
    assert!(human.contains(&new_kid) && human.contains("active"));
}

#[actix_web::test]
async fn a_cli_rotation_reaches_a_running_server_within_the_refresh_interval() {
    let app = app_refreshing_keys_every_second().await;
    let new_kid = rotate_now_revoking_the_rest(&app);
    let jwks = wait_within(
        "the server picks up the rotation",
        CLI_CHANGE_REACHES_SERVER_WITHIN,
        || async {
            let jwks = jwks_of(&app).await;
            let kids = kids(&jwks);
            (kids.contains(&new_kid) && kids.len() == 2).then_some(jwks)
        },
    )
    .await;
    let token = app.state.keys.sign("JWT", &payload("u", T0)).unwrap();
    assert_eq!(verify_independently(&token, &jwks).unwrap(), new_kid);
}
