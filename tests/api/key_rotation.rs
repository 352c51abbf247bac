//! Signing-key rotation on schedule: pre-publication, retention, and one rotation for a
//! cluster.

use std::sync::Arc;

use portcullis::clock::ManualClock;
use portcullis::keys::SigningAlg;

use crate::helpers::internals::{Secret, new_kek};
use crate::helpers::jwt::{jwks_of, kids, payload, verify_independently};
use crate::helpers::wait::{JWKS_CONVERGE_WITHIN, wait_within};
use crate::helpers::{T0, TestDb, spawn_app_with};

#[actix_web::test]
async fn keys_of_every_algorithm_rotate_on_schedule_with_prepublication_and_retention() {
    for alg in SigningAlg::ALL {
        rotates_on_schedule(alg).await;
    }
}

/// One algorithm's lifecycle; tokens signed by the old key keep verifying with an
/// independent library until they expire.
async fn rotates_on_schedule(alg: SigningAlg) {
    let db = TestDb::sqlite();
    let mut settings = db.fast_rotation_settings();
    settings.keys.algorithms = vec![alg];
    settings.tokens.access_token_alg = alg;
    let max_age = settings.keys.jwks_max_age_secs;
    let clock = ManualClock::at(T0);
    let app = spawn_app_with(db, settings, Arc::new(clock.clone())).await;
    let keys = &app.state.keys;

    // T0: the first key, A, signs at once.
    let jwks = jwks_of(&app).await;
    let a = kids(&jwks).pop().unwrap();
    let token_a = keys.sign("JWT", &payload("u", T0)).unwrap();
    let header = jsonwebtoken::decode_header(&token_a).unwrap();
    assert_eq!(format!("{:?}", header.alg), alg.as_str());
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
    let rows = app.db.sealed_keys();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].0, b);
}

#[actix_web::test]
async fn two_instances_on_postgres_rotate_once_and_serve_identical_jwks() {
    let Some(db) =
        TestDb::postgres("two_instances_on_postgres_rotate_once_and_serve_identical_jwks")
    else {
        return;
    };
    let mut settings = db.fast_rotation_settings();
    settings.keys.encryption_key = Some(Secret::new(new_kek()));
    settings.keys.algorithms = vec![SigningAlg::Es256];
    settings.tokens.access_token_alg = SigningAlg::Es256;
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
    assert_eq!(one.db.sealed_keys().len(), 2, "exactly one new key");

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
