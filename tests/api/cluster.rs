//! Several instances on one PostgreSQL database: any instance serves any step, changes
//! reach every instance within a second, rotation happens once.

use std::sync::Arc;
use std::time::{Duration, Instant};

use portcullis::clock::{Clock, ManualClock, SystemClock};
use portcullis::domain::secret::Secret;
use portcullis::keys::sealed::Kek;
use serde_json::json;

use crate::authorize_flow::{PASSWORD, SPA_CB, VERIFIER, challenge, query};
use crate::browser::Browser;
use crate::helpers::{TestApp, TestDb, spawn_app_with};

/// Three instances sharing one database and one key-encryption key.
async fn cluster(test: &str, clock: Arc<dyn Clock>) -> Option<Vec<TestApp>> {
    let first = TestDb::postgres(test)?;
    let url = first.url.clone();
    let kek = Kek::generate().to_base64().expose().clone();
    let mut apps = Vec::new();
    let mut dbs = vec![first];
    for _ in 0..2 {
        dbs.push(TestDb {
            url: url.clone(),
            dir: tempfile::tempdir().unwrap(),
            pg_name: None,
        });
    }
    for db in dbs {
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

fn basic(id: &str, secret: &str) -> String {
    format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("{id}:{secret}")
        )
    )
}

async fn introspect(app: &TestApp, token: &str, rs: &str) -> serde_json::Value {
    let mut res = app
        .http
        .post(app.url("/introspect"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .insert_header(("Authorization", basic("rs", rs)))
        .send_body(query(&[("token", token)]))
        .await
        .unwrap();
    serde_json::from_slice(&res.body().await.unwrap()).unwrap()
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
    a.create_client(&[
        "--name",
        "Shop",
        "--id",
        "shop",
        "--public",
        "--grant-type",
        "authorization_code",
        "refresh_token",
        "--redirect-uri",
        SPA_CB,
        "--post-logout-redirect-uri",
        "https://shop.example/bye",
    ])
    .await;
    a.cli()
        .run_with_stdin(
            &["user", "create", "--username", "alice", "--password-stdin"],
            PASSWORD,
        )
        .ok();
    for app in &apps {
        app.state.clients.refresh().await.unwrap();
    }

    let mut browser = Browser::new(a);
    let ch = challenge(VERIFIER);
    let url = format!(
        "/authorize?{}",
        query(&[
            ("response_type", "code"),
            ("client_id", "shop"),
            ("redirect_uri", SPA_CB),
            ("scope", "openid profile offline_access"),
            ("state", "s"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
        ])
    );
    let login = browser.get(&url).await; // authorize: A
    browser.switch_to(b);
    let consent = browser.login(&login, "alice", PASSWORD).await; // login: B
    browser.switch_to(c);
    let done = browser.consent(&consent, "allow").await; // consent: C
    assert_eq!(done.status, 303, "{}", done.body);
    let code = done.callback()["code"].clone();
    let tokens = a
        .token(
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", SPA_CB),
                ("client_id", "shop"),
                ("code_verifier", VERIFIER),
            ],
            None,
        )
        .await; // token: A
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let access = tokens.body["access_token"].as_str().unwrap();
    assert_eq!(crate::authorize_flow::userinfo(b, access).await.0, 200); // userinfo: B
    let refreshed = c
        .token(
            &[
                ("grant_type", "refresh_token"),
                (
                    "refresh_token",
                    tokens.body["refresh_token"].as_str().unwrap(),
                ),
                ("client_id", "shop"),
            ],
            None,
        )
        .await; // refresh: C
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    let new_access = refreshed.body["access_token"].as_str().unwrap();
    // revoke: A
    let mut res = a
        .http
        .post(a.url("/revoke"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .send_body(query(&[("token", new_access), ("client_id", "shop")]))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let _ = res.body().await;
    // the revoked token is refused by the other instances within a second
    let started = Instant::now();
    while crate::authorize_flow::userinfo(c, new_access).await.0 != 401 {
        assert!(started.elapsed() < Duration::from_secs(1));
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
    // logout: B, with the ID token from the refresh
    browser.switch_to(b);
    let id_token = refreshed.body["id_token"].as_str().unwrap();
    let page = browser
        .get(&format!(
            "/logout?{}",
            query(&[
                ("id_token_hint", id_token),
                ("post_logout_redirect_uri", "https://shop.example/bye")
            ])
        ))
        .await;
    assert_eq!(page.status, 303, "{}", page.body);
    // and the session is gone on C
    browser.switch_to(c);
    let page = browser.get(&format!("{url}&prompt=none")).await;
    assert_eq!(page.callback()["error"], "login_required");
}

#[actix_web::test]
async fn revocations_and_client_changes_reach_every_instance_within_a_second() {
    let Some(apps) = cluster(
        "revocations_and_client_changes_reach_every_instance_within_a_second",
        Arc::new(SystemClock),
    )
    .await
    else {
        return;
    };
    let (a, b, c) = (&apps[0], &apps[1], &apps[2]);
    let svc = a
        .create_client(&[
            "--name",
            "Svc",
            "--id",
            "svc",
            "--grant-type",
            "client_credentials",
            "--audience",
            "https://api.example",
        ])
        .await["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let rs = a
        .create_client(&[
            "--name",
            "RS",
            "--id",
            "rs",
            "--grant-type",
            "client_credentials",
            "--audience",
            "https://api.example",
            "--introspect",
        ])
        .await["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    // The new clients reach B and C by notification, without an explicit refresh.
    let started = Instant::now();
    for app in [b, c] {
        while app
            .token(&[("grant_type", "client_credentials")], Some(("svc", &svc)))
            .await
            .status
            != 200
        {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "client creation not seen in time"
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
    // ...both clients: the resource server too (its introspection answers, not 401).
    for app in [b, c] {
        while introspect(app, "x", &rs).await.get("active").is_none() {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "client creation not seen in time"
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
    eprintln!(
        "client creation seen everywhere after {} ms",
        started.elapsed().as_millis()
    );

    // A revocation through A.
    let token = b
        .token(&[("grant_type", "client_credentials")], Some(("svc", &svc)))
        .await
        .token()
        .to_string();
    assert_eq!(introspect(c, &token, &rs).await["active"], true);
    let mut res = a
        .http
        .post(a.url("/revoke"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .insert_header(("Authorization", basic("svc", &svc)))
        .send_body(query(&[("token", &token)]))
        .await
        .unwrap();
    let _ = res.body().await;
    let started = Instant::now();
    for app in [b, c] {
        while introspect(app, &token, &rs).await != json!({ "active": false }) {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "revocation not seen in time"
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
    }
    eprintln!(
        "revocation seen everywhere after {} ms",
        started.elapsed().as_millis()
    );

    // A client change (secret rotation) through the CLI.
    let new = a
        .cli()
        .run(&["client", "rotate-secret", "svc", "--json"])
        .ok()
        .json()["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let started = Instant::now();
    for app in [a, b, c] {
        while app
            .token(&[("grant_type", "client_credentials")], Some(("svc", &svc)))
            .await
            .status
            == 200
        {
            assert!(
                started.elapsed() < Duration::from_secs(1),
                "old secret still accepted"
            );
            actix_web::rt::time::sleep(Duration::from_millis(20)).await;
        }
        assert_eq!(
            app.token(&[("grant_type", "client_credentials")], Some(("svc", &new)))
                .await
                .status,
            200
        );
    }
    eprintln!(
        "secret rotation seen everywhere after {} ms",
        started.elapsed().as_millis()
    );
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
    let count = |app: &TestApp| {
        let mut conn = app.db.conn();
        portcullis::store::signing_keys::list(&mut conn)
            .unwrap()
            .len()
    };
    assert_eq!(count(&apps[0]), 1);
    clock.advance(800);
    let (r1, r2, r3) = tokio::join!(
        apps[0].state.keys.maintain(),
        apps[1].state.keys.maintain(),
        apps[2].state.keys.maintain()
    );
    r1.unwrap();
    r2.unwrap();
    r3.unwrap();
    assert_eq!(count(&apps[0]), 2, "exactly one new key");
    let jwks: Vec<Vec<u8>> = futures_join(&apps).await;
    assert!(
        jwks.windows(2).all(|w| w[0] == w[1]),
        "identical JWKS everywhere"
    );
}

async fn futures_join(apps: &[TestApp]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for app in apps {
        app.state.keys.refresh().await.unwrap();
        out.push(app.get_bytes("/.well-known/jwks.json").await);
    }
    out
}

#[actix_web::test]
async fn instances_starting_together_migrate_once() {
    let Some(db) = TestDb::postgres("instances_starting_together_migrate_once") else {
        return;
    };
    let kek = Kek::generate().to_base64().expose().clone();
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
    #[derive(diesel::QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = db.conn();
    let migrations = diesel::RunQueryDsl::get_result::<Count>(
        diesel::sql_query("SELECT COUNT(*) AS n FROM __diesel_schema_migrations"),
        &mut conn,
    )
    .unwrap()
    .n;
    let dirs_on_disk = std::fs::read_dir(format!(
        "{}/migrations/postgres",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .count() as i64;
    assert_eq!(migrations, dirs_on_disk);
    let keys = portcullis::store::signing_keys::list(&mut conn).unwrap();
    assert_eq!(keys.len(), 1, "one first key, not three");
    drop(apps);
}
