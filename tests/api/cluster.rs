//! Several instances on one PostgreSQL database: any instance serves any step, changes
//! reach every instance within a second, rotation happens once.

use portcullis::clock::{Clock, ManualClock, SystemClock};
use portcullis::store::signing_keys;
use serde_json::json;
use std::sync::Arc;

use crate::helpers::internals::{Secret, new_kek};
use crate::helpers::wait::{REACHES_EVERYWHERE_WITHIN, Stopwatch, wait_within};
use crate::helpers::{
    Client, PASSWORD, SPA_CB, TestApp, TestDb, Tokens, pkce_request, redeem, spawn_app_with,
    wait_until,
};

const CC: (&str, &str) = ("grant_type", "client_credentials");

/// Three instances sharing one database and one key-encryption key.
async fn cluster(test: &str, clock: Arc<dyn Clock>) -> Option<Vec<TestApp>> {
    let first = TestDb::postgres(test)?;
    let kek = new_kek();
    let dbs = vec![first.another_instance(), first.another_instance(), first];
    let mut apps = Vec::new();
    for db in dbs.into_iter().rev() {
        let mut settings = db.settings();
        settings.keys.encryption_key = Some(Secret::new(kek.clone()));
        settings.keys.rotation_period_secs = 1000;
        settings.keys.prepublish_secs = 200;
        settings.keys.jwks_max_age_secs = 100;
        settings.keys.refresh_interval_secs = 1;
        apps.push(spawn_app_with(db, settings, clock.clone()).await);
    }
    Some(apps)
}

#[actix_web::test]
async fn every_step_of_a_full_flow_can_hit_a_different_instance() {
    let Some(apps) = cluster(
        "every_step_of_a_full_flow_can_hit_a_different_instance",
        Arc::new(SystemClock),
    )
    .await
    else {
        return;
    };
    let (a, b, c) = (&apps[0], &apps[1], &apps[2]);
    a.client("shop")
        .public()
        .grant("authorization_code")
        .grant("refresh_token")
        .redirect_uri(SPA_CB)
        .post_logout_redirect_uri("https://shop.example/bye")
        .create()
        .await;
    a.user("alice").create();
    for app in &apps {
        app.state.clients.refresh().await.unwrap();
    }

    let mut browser = a.browser();
    let url = pkce_request("shop", SPA_CB, "openid profile offline_access");
    let login = browser.get(&url).await; // authorize: A
    browser.switch_to(b);
    let consent = browser.login(&login, "alice", PASSWORD).await; // login: B
    browser.switch_to(c);
    let done = browser.consent(&consent, "allow").await; // consent: C
    assert_eq!(done.status, 303, "{}", done.body);
    let tokens = Tokens::of(&redeem(a, "shop", SPA_CB, &done.callback()["code"]).await); // token: A
    assert_eq!(b.userinfo(&tokens.access).await.status, 200); // userinfo: B
    let refreshed = Tokens::of(&c.refresh(&tokens.refresh, "shop").await); // refresh: C
    // revoke: A
    let res = a
        .revoke(&[("token", &refreshed.access), ("client_id", "shop")], None)
        .await;
    assert_eq!(res.status, 200);
    // the revoked token is refused by the other instances within a second
    wait_within(
        "the revoked token is refused on C",
        REACHES_EVERYWHERE_WITHIN,
        || async { c.userinfo(&refreshed.access).await.status == 401 },
    )
    .await;
    // logout: B, with the ID token from the refresh
    browser.switch_to(b);
    let page = browser
        .logout(&[
            ("id_token_hint", &refreshed.id_token),
            ("post_logout_redirect_uri", "https://shop.example/bye"),
        ])
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    // and the session is gone on C
    browser.switch_to(c);
    let page = browser.get(&format!("{url}&prompt=none")).await;
    assert_eq!(page.callback()["error"], "login_required");
}

/// A cluster with `svc` (client credentials) and `rs` (may introspect), created on the
/// first instance, waited for on the others.
async fn cluster_with_clients(test: &str) -> Option<(Vec<TestApp>, Client, Client)> {
    let apps = cluster(test, Arc::new(SystemClock)).await?;
    let machine = |id: &str| {
        apps[0]
            .client(id)
            .grant("client_credentials")
            .audience("https://api.example")
    };
    let svc = machine("svc").create().await;
    let rs = machine("rs").introspect().create().await;
    Some((apps, svc, rs))
}

#[actix_web::test]
async fn new_clients_reach_every_instance_within_a_second() {
    let Some((apps, svc, rs)) =
        cluster_with_clients("new_clients_reach_every_instance_within_a_second").await
    else {
        return;
    };
    // The new clients reach B and C by notification, without an explicit refresh.
    let started = Stopwatch::start();
    for app in &apps[1..] {
        wait_until("svc is known everywhere", || async {
            app.token(&[CC], svc.basic()).await.status == 200
        })
        .await;
        // ...the resource server too (its introspection answers, not 401).
        wait_until("rs is known everywhere", || async {
            app.introspect(&[("token", "x")], rs.basic()).await.status == 200
        })
        .await;
    }
    started.assert_within(REACHES_EVERYWHERE_WITHIN, "client creation seen everywhere");
}

#[actix_web::test]
async fn revocations_reach_every_instance_within_a_second() {
    let Some((apps, svc, rs)) =
        cluster_with_clients("revocations_reach_every_instance_within_a_second").await
    else {
        return;
    };
    let (a, b, c) = (&apps[0], &apps[1], &apps[2]);
    for app in [b, c] {
        app.state.clients.refresh().await.unwrap();
    }
    let rs = rs.basic().unwrap();
    let token = b.token(&[CC], svc.basic()).await.token().to_string();
    assert_eq!(c.introspect_token(&token, rs).await["active"], true);
    a.revoke(&[("token", &token)], svc.basic()).await;
    let started = Stopwatch::start();
    for app in [b, c] {
        wait_until("the revocation is seen everywhere", || async {
            app.introspect_token(&token, rs).await == json!({ "active": false })
        })
        .await;
    }
    started.assert_within(REACHES_EVERYWHERE_WITHIN, "revocation seen everywhere");
}

#[actix_web::test]
async fn a_rotated_secret_reaches_every_instance_within_a_second() {
    let Some((apps, svc, _)) =
        cluster_with_clients("a_rotated_secret_reaches_every_instance_within_a_second").await
    else {
        return;
    };
    for app in &apps[1..] {
        app.state.clients.refresh().await.unwrap();
    }
    let new = apps[0].rotate_client_secret("svc");
    let started = Stopwatch::start();
    for app in &apps {
        wait_until("the old secret is refused everywhere", || async {
            app.token(&[CC], svc.basic()).await.status != 200
        })
        .await;
        let res = app.token(&[CC], Some(("svc", &new))).await;
        assert_eq!(res.status, 200);
    }
    started.assert_within(REACHES_EVERYWHERE_WITHIN, "secret rotation seen everywhere");
}

#[actix_web::test]
async fn rotation_triggered_on_three_instances_at_once_creates_one_key() {
    let clock = ManualClock::at(1_900_000_000);
    let Some(apps) = cluster(
        "rotation_triggered_on_three_instances_at_once_creates_one_key",
        Arc::new(clock.clone()),
    )
    .await
    else {
        return;
    };
    let count = |app: &TestApp| signing_keys::list(&mut app.db.conn()).unwrap().len();
    assert_eq!(count(&apps[0]), 2, "one key for each of RS256 and ES256");
    clock.advance(800);
    let (r1, r2, r3) = tokio::join!(
        apps[0].state.keys.maintain(),
        apps[1].state.keys.maintain(),
        apps[2].state.keys.maintain()
    );
    r1.unwrap();
    r2.unwrap();
    r3.unwrap();
    assert_eq!(count(&apps[0]), 4, "exactly one new key for each algorithm");
    let mut jwks = Vec::new();
    for app in &apps {
        app.state.keys.refresh().await.unwrap();
        let res = app.jwks().await;
        assert_eq!(res.status, 200);
        jwks.push(res.bytes);
    }
    assert!(
        jwks.windows(2).all(|w| w[0] == w[1]),
        "identical JWKS everywhere"
    );
}

#[actix_web::test]
async fn instances_starting_together_migrate_once() {
    let Some(db) = TestDb::postgres("instances_starting_together_migrate_once") else {
        return;
    };
    let kek = new_kek();
    let settings = |dir: &tempfile::TempDir| {
        let mut s = db.settings();
        s.keys.directory = dir.path().join("keys");
        s.keys.encryption_key = Some(Secret::new(kek.clone()));
        s
    };
    let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
    let (a, b, c) = tokio::join!(
        portcullis::startup::Application::build(settings(&dirs[0])),
        portcullis::startup::Application::build(settings(&dirs[1])),
        portcullis::startup::Application::build(settings(&dirs[2])),
    );
    let apps = [a.unwrap(), b.unwrap(), c.unwrap()];
    assert_eq!(
        db.migration_rows(),
        crate::helpers::db::migration_dirs("postgres")
    );
    let keys = signing_keys::list(&mut db.conn()).unwrap();
    assert_eq!(keys.len(), 2, "one first key for each algorithm, not three");
    drop(apps);
}

#[actix_web::test]
async fn concurrent_revocations_on_two_instances_all_reach_every_instance() {
    let Some((apps, svc, rs)) =
        cluster_with_clients("concurrent_revocations_on_two_instances_all_reach_every_instance")
            .await
    else {
        return;
    };
    for app in &apps[1..] {
        app.state.clients.refresh().await.unwrap();
    }
    let mut tokens = Vec::new();
    for _ in 0..120 {
        tokens.push(apps[0].token(&[CC], svc.basic()).await.token().to_string());
    }
    // Two instances revoke at once, 8 connections each: their log numbers interleave.
    let mut tasks = Vec::new();
    for (n, chunk) in tokens.chunks(15).enumerate() {
        let url = apps[n % 2].url("/revoke");
        let (chunk, id, secret) = (chunk.to_vec(), svc.id.clone(), svc.secret().to_string());
        tasks.push(actix_web::rt::spawn(async move {
            let http = awc::Client::default();
            for token in chunk {
                let res = http
                    .post(&url)
                    .basic_auth(&id, &secret)
                    .send_form(&[("token", token.as_str())])
                    .await
                    .unwrap();
                assert_eq!(res.status().as_u16(), 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let rs = rs.basic().unwrap();
    for app in &apps {
        wait_until("every revocation is applied on every instance", || async {
            for token in &tokens {
                if app.introspect_token(token, rs).await["active"] != false {
                    return false;
                }
            }
            true
        })
        .await;
        assert_eq!(
            app.state.revocations.len(),
            tokens.len(),
            "each applied once"
        );
    }
}
