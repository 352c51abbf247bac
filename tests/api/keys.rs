//! The JWKS and the `portcullis keys` commands.

use std::sync::Arc;

use crate::helpers::internals::opaque;
use crate::helpers::jwt::{jwks_of, kids, payload, verify_independently};
use crate::helpers::wait::{CLI_CHANGE_REACHES_SERVER_WITHIN, wait_within};
use crate::helpers::{T0, TestApp, TestDb, spawn_app, spawn_app_with};

#[actix_web::test]
async fn a_token_signed_now_verifies_with_the_jwks_served_now() {
    let app = spawn_app().await;
    let token = app.state.keys.sign("JWT", &payload("alice", T0)).unwrap();
    let jwks = jwks_of(&app).await;
    let kid = verify_independently(&token, &jwks).unwrap();
    assert_eq!(kids(&jwks), [kid]);

    // A tampered token does not verify.
    let mut parts: Vec<&str> = token.split('.').collect();
    let forged = opaque::generate(16);
    parts[1] = forged.expose();
    assert!(verify_independently(&parts.join("."), &jwks).is_err());
}

#[actix_web::test]
async fn the_jwks_holds_only_public_rsa_signing_keys_with_unique_kids() {
    let app = spawn_app().await;
    app.state.keys.maintain().await.unwrap();
    let jwks = app.jwks().await.body;
    let keys = jwks["keys"].as_array().unwrap();
    assert!(!keys.is_empty());
    let mut seen = std::collections::HashSet::new();
    for k in keys {
        let mut members: Vec<&str> = k.as_object().unwrap().keys().map(|s| s.as_str()).collect();
        members.sort();
        assert_eq!(members, ["alg", "e", "kid", "kty", "n", "use"], "{k}");
        assert_eq!(k["kty"], "RSA");
        assert_eq!(k["use"], "sig");
        assert_eq!(k["alg"], "RS256");
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
    assert_eq!(states(&app), ["active", "pending"]);
}

#[actix_web::test]
async fn revoking_the_previous_key_needs_an_immediate_rotation() {
    let app = spawn_app().await;
    let out = app.cli().run(&["keys", "rotate", "--revoke-previous"]);
    assert_ne!(out.status, 0, "--revoke-previous needs --now");
}

/// `keys rotate`, then `keys rotate --now --revoke-previous`: the one key left.
fn rotate_now_revoking_the_rest(app: &TestApp) -> String {
    app.cli().run(&["keys", "rotate"]).ok();
    let out = app
        .cli()
        .run(&["keys", "rotate", "--now", "--revoke-previous"])
        .ok();
    assert!(out.stdout.contains("is active now"), "{}", out.stdout);
    let listed = app.cli().run(&["keys", "list", "--json"]).ok().json();
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "pending and revoked keys are gone"
    );
    listed[0]["kid"].as_str().unwrap().to_string()
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
            (kids(&jwks) == [new_kid.clone()]).then_some(jwks)
        },
    )
    .await;
    let token = app.state.keys.sign("JWT", &payload("u", T0)).unwrap();
    assert_eq!(verify_independently(&token, &jwks).unwrap(), new_kid);
}
