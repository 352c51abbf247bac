use std::sync::Arc;

use diesel::prelude::*;
use josekit::jwt::JwtPayload;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use portcullis::clock::ManualClock;
use portcullis::config::Settings;
use portcullis::startup::Application;
use portcullis::store::schema::signing_keys;
use rsa::pkcs8::DecodePrivateKey;

use crate::helpers::internals::{KEK_FILE, Kek, Secret, new_kek, opaque};
use crate::helpers::wait::{CLI_CHANGE_REACHES_SERVER_WITHIN, JWKS_CONVERGE_WITHIN, wait_within};
use crate::helpers::{T0, TestApp, TestDb, spawn_app, spawn_app_with};

fn payload(sub: &str, iat: i64) -> JwtPayload {
    let mut p = JwtPayload::new();
    p.set_subject(sub);
    p.set_claim("iat", Some(iat.into())).unwrap();
    p.set_claim("exp", Some((iat + 600).into())).unwrap();
    p
}

/// Verifies a compact JWS against a JWK set with an independent JOSE implementation
/// (jsonwebtoken on RustCrypto), not the code under test. Returns the header's kid.
fn verify_independently(token: &str, jwks: &[u8]) -> Result<String, String> {
    let header = jsonwebtoken::decode_header(token).map_err(|e| e.to_string())?;
    assert_eq!(header.alg, Algorithm::RS256, "header alg");
    let kid = header.kid.ok_or("no kid in header")?;
    let set: JwkSet = serde_json::from_slice(jwks).map_err(|e| e.to_string())?;
    let jwk = set.find(&kid).ok_or(format!("kid {kid} not in JWKS"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|e| e.to_string())?;
    let mut v = Validation::new(Algorithm::RS256);
    // The test clock is not the wall clock; expiry is the server's business here.
    v.validate_exp = false;
    v.required_spec_claims.clear();
    jsonwebtoken::decode::<serde_json::Value>(token, &key, &v).map_err(|e| e.to_string())?;
    Ok(kid)
}

/// The served JWKS, as bytes.
async fn jwks_of(app: &TestApp) -> Vec<u8> {
    let res = app.jwks().await;
    assert_eq!(res.status, 200);
    res.bytes
}

fn kids(jwks: &[u8]) -> Vec<String> {
    let v: serde_json::Value = serde_json::from_slice(jwks).unwrap();
    v["keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["kid"].as_str().unwrap().to_string())
        .collect()
}

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

fn fast_rotation(db: &TestDb) -> Settings {
    let mut s = db.settings();
    s.keys.rotation_period_secs = 1000;
    s.keys.prepublish_secs = 200;
    s.keys.jwks_max_age_secs = 100;
    s.keys.refresh_interval_secs = 1;
    s.tokens.access_token_ttl_secs = 600;
    s.tokens.id_token_ttl_secs = 300;
    s.tokens.clock_skew_secs = 60;
    s
}

fn sealed_rows(db: &TestDb) -> Vec<(String, Option<Vec<u8>>)> {
    signing_keys::table
        .select((signing_keys::kid, signing_keys::private_key_sealed))
        .order(signing_keys::generation)
        .load(&mut db.conn())
        .unwrap()
}

#[actix_web::test]
async fn keys_rotate_on_schedule_with_prepublication_and_retention() {
    let db = TestDb::sqlite();
    let settings = fast_rotation(&db);
    let max_age = settings.keys.jwks_max_age_secs;
    let clock = ManualClock::at(T0);
    let app = spawn_app_with(db, settings, Arc::new(clock.clone())).await;
    let keys = &app.state.keys;

    // T0: the first key, A, signs at once.
    let jwks = jwks_of(&app).await;
    let a = kids(&jwks).pop().unwrap();
    let token_a = keys.sign("JWT", &payload("u", T0)).unwrap();
    assert_eq!(verify_independently(&token_a, &jwks).unwrap(), a);

    // Before the pre-publication point nothing changes.
    clock.set(T0 + 799);
    keys.maintain().await.unwrap();
    assert_eq!(kids(&jwks_of(&app).await), std::slice::from_ref(&a));

    // T0+800: B is published, 200 s (≥ the JWKS max-age) before it signs.
    clock.set(T0 + 800);
    keys.maintain().await.unwrap();
    let published = kids(&jwks_of(&app).await);
    assert_eq!(published.len(), 2);
    let b = published.iter().find(|k| **k != a).unwrap().clone();
    let activates = T0 + 1000;
    assert!(activates - (T0 + 800) >= max_age);
    clock.set(activates - 1);
    let last_a = keys.sign("JWT", &payload("u", activates - 1)).unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&last_a).unwrap().kid.unwrap(),
        a
    );

    // T0+1000: B signs; A is retired but still verifies its tokens.
    clock.set(activates);
    let first_b = keys.sign("JWT", &payload("u", activates)).unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&first_b).unwrap().kid.unwrap(),
        b
    );
    // Retention: the longest token lifetime (600) plus clock skew (60).
    for t in [activates, activates + 659] {
        clock.set(t);
        keys.maintain().await.unwrap();
        let jwks = jwks_of(&app).await;
        assert_eq!(
            verify_independently(&last_a, &jwks).unwrap(),
            a,
            "at +{}",
            t - T0
        );
        assert_eq!(verify_independently(&first_b, &jwks).unwrap(), b);
    }

    // After retention A is gone from JWKS and from the database, private part included.
    clock.set(activates + 660);
    keys.maintain().await.unwrap();
    let jwks = jwks_of(&app).await;
    assert_eq!(kids(&jwks), std::slice::from_ref(&b));
    assert!(verify_independently(&last_a, &jwks).is_err());
    let rows = sealed_rows(&app.db);
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, b);
}

#[actix_web::test]
async fn keys_survive_restart_and_are_sealed_at_rest() {
    let db = TestDb::sqlite();
    let settings = db.settings();
    let first = spawn_app_with(db, settings.clone(), Arc::new(ManualClock::at(T0))).await;
    let jwks_before = jwks_of(&first).await;
    let db = first.db;

    // The KEK file was created with mode 0600 under keys.directory.
    let kek_path = settings.keys.directory.join(KEK_FILE);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&kek_path).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);

    let second = spawn_app_with(db, settings.clone(), Arc::new(ManualClock::at(T0 + 10))).await;
    assert_eq!(
        jwks_of(&second).await,
        jwks_before,
        "same keys after restart"
    );

    // The raw row is not the key in the clear, but opens with the KEK to a key whose
    // public half is the published one.
    let rows = sealed_rows(&second.db);
    let (kid, sealed) = (&rows[0].0, rows[0].1.as_ref().unwrap());
    assert!(rsa::RsaPrivateKey::from_pkcs8_der(sealed).is_err());
    let kek = Kek::from_base64(&std::fs::read_to_string(&kek_path).unwrap()).unwrap();
    let der = kek.open(kid, sealed).unwrap();
    assert!(
        !sealed
            .windows(64)
            .any(|w| der.expose().windows(64).next() == Some(w))
    );
    let private = rsa::RsaPrivateKey::from_pkcs8_der(der.expose()).unwrap();
    let jwks: serde_json::Value = serde_json::from_slice(&jwks_before).unwrap();
    let n = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        rsa::traits::PublicKeyParts::n(&private).to_bytes_be(),
    );
    assert_eq!(jwks["keys"][0]["n"], n);
}

#[actix_web::test]
async fn a_wrong_key_encryption_key_stops_startup_without_touching_the_keys() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.keys.encryption_key = Some(Secret::new(new_kek()));
    let first = spawn_app_with(db, settings.clone(), Arc::new(ManualClock::at(T0))).await;
    let db = first.db;
    let before = sealed_rows(&db);

    settings.keys.encryption_key = Some(Secret::new(new_kek()));
    let err = match Application::build_with_clock(settings.clone(), Arc::new(ManualClock::at(T0)))
        .await
    {
        Ok(_) => panic!("start-up must fail with the wrong KEK"),
        Err(e) => format!("{e:#}"),
    };
    assert!(
        err.contains("key-encryption key cannot open signing key"),
        "{err}"
    );
    assert_eq!(sealed_rows(&db), before, "no key replaced or added");

    // Without a configured KEK and without the file, the embedded setup refuses too.
    settings.keys.encryption_key = None;
    let err = match Application::build_with_clock(settings.clone(), Arc::new(ManualClock::at(T0)))
        .await
    {
        Ok(_) => panic!("start-up must fail without the KEK"),
        Err(e) => format!("{e:#}"),
    };
    assert!(err.contains("no key-encryption key"), "{err}");
    assert!(
        !settings.keys.directory.join(KEK_FILE).exists(),
        "no new KEK file was made"
    );
    assert_eq!(sealed_rows(&db), before);
}

#[actix_web::test]
async fn two_instances_on_postgres_rotate_once_and_serve_identical_jwks() {
    let Some(db) =
        TestDb::postgres("two_instances_on_postgres_rotate_once_and_serve_identical_jwks")
    else {
        return;
    };
    let mut settings = fast_rotation(&db);
    settings.keys.encryption_key = Some(Secret::new(new_kek()));
    let clock = ManualClock::at(T0);
    let other_db = db.another_instance();
    let one = spawn_app_with(db, settings.clone(), Arc::new(clock.clone())).await;
    let two = spawn_app_with(other_db, settings, Arc::new(clock.clone())).await;
    assert_eq!(jwks_of(&one).await, jwks_of(&two).await);

    // Both instances find a rotation due at the same moment.
    clock.set(T0 + 800);
    let (r1, r2) = tokio::join!(one.state.keys.maintain(), two.state.keys.maintain());
    r1.unwrap();
    r2.unwrap();
    assert_eq!(sealed_rows(&one.db).len(), 2, "exactly one new key");

    // Within the refresh interval (1 s here) both serve the same bytes.
    wait_within(
        "both instances serve the same two keys",
        JWKS_CONVERGE_WITHIN,
        || async {
            let (a, b) = (jwks_of(&one).await, jwks_of(&two).await);
            a == b && kids(&a).len() == 2
        },
    )
    .await;
}

#[actix_web::test]
async fn a_cli_rotation_reaches_a_running_server_within_the_refresh_interval() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.keys.refresh_interval_secs = 1;
    let app = spawn_app_with(db, settings, Arc::new(portcullis::clock::SystemClock)).await;
    let old = kids(&jwks_of(&app).await);

    let cli = || app.cli();
    let out = cli().run(&["keys", "rotate"]).ok();
    assert!(out.stdout.contains("becomes active at"), "{}", out.stdout);
    let out = cli().run(&["keys", "rotate"]).ok();
    assert!(out.stdout.contains("already scheduled"), "{}", out.stdout);
    let listed = cli().run(&["keys", "list", "--json"]).ok().json();
    let states: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap())
        .collect();
    assert_eq!(states, ["active", "pending"]);

    let out = cli().run(&["keys", "rotate", "--revoke-previous"]);
    assert_ne!(out.status, 0, "--revoke-previous needs --now");

    let out = cli()
        .run(&["keys", "rotate", "--now", "--revoke-previous"])
        .ok();
    assert!(out.stdout.contains("is active now"), "{}", out.stdout);
    let listed = cli().run(&["keys", "list", "--json"]).ok().json();
    assert_eq!(
        listed.as_array().unwrap().len(),
        1,
        "pending and revoked keys are gone"
    );
    let new_kid = listed[0]["kid"].as_str().unwrap().to_string();
    assert!(!old.contains(&new_kid));
    let human = cli().run(&["keys", "list"]).ok().stdout;
    assert!(human.contains(&new_kid) && human.contains("active"));

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
