//! Expiry sweeps keep tables flat.

use std::sync::Arc;

use portcullis::clock::ManualClock;
use portcullis::store::{assertion_jtis, audit, revoked};

use crate::helpers::db::count;
use crate::helpers::internals::{SweepPolicy, sweep};
use crate::helpers::{
    SPA_CB, T0, TestDb, pkce_request, redeem, sign_in_and_consent, spawn_app_with,
};

const TABLES: [&str; 11] = [
    "authorization_codes",
    "redeemed_codes",
    "refresh_tokens",
    "family_access_tokens",
    "revoked_tokens",
    "revoked_sessions",
    "sessions",
    "client_assertion_jtis",
    "session_clients",
    "audit_log",
    "consents",
];

#[actix_web::test]
async fn expired_rows_go_in_small_batches_and_live_ones_stay() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.sweep.batch_size = 7;
    // Only the sweep below counts the rows: the background sweeper's first pass (at
    // start) sees a clock long before any of them expired, and its next is a day away.
    settings.sweep.interval_secs = 86_400;
    let clock = ManualClock::at(T0 - 200 * 86_400);
    let app = spawn_app_with(db, settings, Arc::new(clock.clone())).await;
    clock.set(T0);
    let mut conn = app.db.conn();
    for i in 0..30 {
        assertion_jtis::insert(&mut conn, "c", &format!("old-{i}"), T0 - 1).unwrap();
        revoked::revoke(&mut conn, &format!("jti-{i}"), T0 - 1, T0 - 100).unwrap();
        revoked::revoke_session(&mut conn, &format!("sid-{i}"), T0 - 1, T0 - 100).unwrap();
        audit::record(
            &mut conn,
            &audit::AuditEvent {
                event: "old",
                actor: "test",
                ..Default::default()
            },
            T0 - 100 * 86_400,
        )
        .unwrap();
    }
    for i in 0..3 {
        assertion_jtis::insert(&mut conn, "c", &format!("live-{i}"), T0 + 60).unwrap();
        revoked::revoke(&mut conn, &format!("live-jti-{i}"), T0 + 60, T0).unwrap();
        audit::record(
            &mut conn,
            &audit::AuditEvent {
                event: "recent",
                actor: "test",
                ..Default::default()
            },
            T0,
        )
        .unwrap();
    }
    let policy = SweepPolicy::from(&app.state.settings);
    let deleted = sweep(&app.state.store, &clock, policy)
        .await
        .unwrap()
        .unwrap();
    assert!(deleted >= 120, "{deleted}");
    assert_eq!(count(&mut conn, "client_assertion_jtis"), 3);
    assert_eq!(count(&mut conn, "revoked_tokens"), 3);
    assert_eq!(count(&mut conn, "revoked_sessions"), 0);
    assert!(count(&mut conn, "audit_log") >= 3);
    assert!(
        audit::recent(&mut conn, 1000)
            .unwrap()
            .iter()
            .all(|e| e.event != "old")
    );
}

#[actix_web::test]
async fn table_sizes_stay_flat_over_a_sustained_run() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.tokens.access_token_ttl_secs = 60;
    settings.tokens.id_token_ttl_secs = 60;
    settings.tokens.refresh_token_idle_secs = 120;
    settings.tokens.refresh_token_absolute_secs = 300;
    settings.tokens.session_ttl_secs = 300;
    settings.sweep.audit_retention_days = 1;
    let clock = ManualClock::at(T0);
    let app = spawn_app_with(db, settings, Arc::new(clock.clone())).await;
    app.client("app")
        .public()
        .grant("authorization_code")
        .grant("refresh_token")
        .redirect_uri(SPA_CB)
        .create()
        .await;
    app.user("alice").create();
    let url = pkce_request("app", SPA_CB, "openid offline_access");
    let policy = SweepPolicy::from(&app.state.settings);
    let mut totals = Vec::new();
    for _round in 0..8 {
        // A day of use: sign in, redeem, refresh, revoke, reuse a code.
        let mut b = app.browser();
        let cb = sign_in_and_consent(&mut b, &url).await;
        let res = redeem(&app, "app", SPA_CB, &cb["code"]).await;
        let mut refresh = res.str("refresh_token");
        for _ in 0..3 {
            refresh = app.refresh(&refresh, "app").await.str("refresh_token");
        }
        redeem(&app, "app", SPA_CB, &cb["code"]).await; // replayed code: revocations
        clock.advance(2 * 86_400);
        sweep(&app.state.store, &clock, policy).await.unwrap();
        let mut conn = app.db.conn();
        totals.push(TABLES.iter().map(|t| count(&mut conn, t)).sum::<i64>());
    }
    // After each day everything expired is gone: the total does not grow.
    let first = totals[1];
    assert!(totals.iter().skip(1).all(|t| *t <= first), "{totals:?}");
}
