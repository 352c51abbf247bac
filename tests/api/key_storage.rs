//! Signing keys at rest: sealed with the key-encryption key (KEK), kept across restarts,
//! never replaced when the KEK is wrong or missing.

use std::sync::Arc;

use portcullis::clock::ManualClock;
use portcullis::config::Settings;
use portcullis::startup::Application;
use rsa::pkcs8::DecodePrivateKey;

use crate::helpers::internals::{KEK_FILE, Kek, Secret, new_kek};
use crate::helpers::jwt::jwks_of;
use crate::helpers::{T0, TestApp, TestDb, spawn_app_with};

/// An app that made its first key with an embedded KEK (a file under keys.directory).
async fn app_with_a_kek_file() -> (TestApp, Settings) {
    let db = TestDb::sqlite();
    let settings = db.settings();
    let app = spawn_app_with(db, settings.clone(), Arc::new(ManualClock::at(T0))).await;
    (app, settings)
}

#[actix_web::test]
async fn the_key_encryption_key_file_is_readable_by_its_owner_only() {
    let (_app, settings) = app_with_a_kek_file().await;
    let kek_path = settings.keys.directory.join(KEK_FILE);
    let mode = std::os::unix::fs::PermissionsExt::mode(
        &std::fs::metadata(&kek_path).unwrap().permissions(),
    );
    assert_eq!(mode & 0o777, 0o600);
}

#[actix_web::test]
async fn keys_survive_a_restart() {
    let (first, settings) = app_with_a_kek_file().await;
    let jwks_before = jwks_of(&first).await;
    let second = spawn_app_with(first.db, settings, Arc::new(ManualClock::at(T0 + 10))).await;
    assert_eq!(
        jwks_of(&second).await,
        jwks_before,
        "same keys after restart"
    );
}

#[actix_web::test]
async fn a_stored_key_is_sealed_and_opens_with_the_kek_to_the_published_key() {
    let (app, settings) = app_with_a_kek_file().await;
    let jwks = jwks_of(&app).await;
    let rows = app.db.sealed_keys();
    let (kid, sealed) = (&rows[0].0, rows[0].1.as_ref().unwrap());
    assert!(rsa::RsaPrivateKey::from_pkcs8_der(sealed).is_err());
    let kek_path = settings.keys.directory.join(KEK_FILE);
    let kek = Kek::from_base64(&std::fs::read_to_string(&kek_path).unwrap()).unwrap();
    let der = kek.open(kid, sealed).unwrap();
    assert!(
        !sealed
            .windows(64)
            .any(|w| der.expose().windows(64).next() == Some(w))
    );
    let private = rsa::RsaPrivateKey::from_pkcs8_der(der.expose()).unwrap();
    let jwks: serde_json::Value = serde_json::from_slice(&jwks).unwrap();
    let n = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        rsa::traits::PublicKeyParts::n(&private).to_bytes_be(),
    );
    assert_eq!(jwks["keys"][0]["n"], n);
}

/// Keys made under a configured KEK (no file): the database, the settings, the stored rows.
async fn keys_under_a_configured_kek() -> (TestDb, Settings, Vec<(String, Option<Vec<u8>>)>) {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.keys.encryption_key = Some(Secret::new(new_kek()));
    let first = spawn_app_with(db, settings.clone(), Arc::new(ManualClock::at(T0))).await;
    let before = first.db.sealed_keys();
    (first.db, settings, before)
}

async fn start_up_error(settings: Settings) -> String {
    match Application::build_with_clock(settings, Arc::new(ManualClock::at(T0))).await {
        Ok(_) => panic!("start-up must fail"),
        Err(e) => format!("{e:#}"),
    }
}

#[actix_web::test]
async fn a_wrong_key_encryption_key_stops_startup_without_touching_the_keys() {
    let (db, mut settings, before) = keys_under_a_configured_kek().await;
    settings.keys.encryption_key = Some(Secret::new(new_kek()));
    let err = start_up_error(settings).await;
    assert!(
        err.contains("key-encryption key cannot open signing key"),
        "{err}"
    );
    assert_eq!(db.sealed_keys(), before, "no key replaced or added");
}

#[actix_web::test]
async fn without_any_key_encryption_key_startup_stops_and_makes_none() {
    let (db, mut settings, before) = keys_under_a_configured_kek().await;
    // Without a configured KEK and without the file, the embedded setup refuses too.
    settings.keys.encryption_key = None;
    let err = start_up_error(settings.clone()).await;
    assert!(err.contains("no key-encryption key"), "{err}");
    assert!(
        !settings.keys.directory.join(KEK_FILE).exists(),
        "no new KEK file was made"
    );
    assert_eq!(db.sealed_keys(), before);
}
