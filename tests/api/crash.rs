//! SIGKILL one of three instances under load: nothing issued is lost, pending back-channel
//! deliveries are still made, and the survivors keep serving.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use portcullis::keys::sealed::Kek;
use portcullis::store::backchannel;
use portcullis::store::schema::sessions;

use crate::helpers::{Cli, ServerProcess, TestDb};
use crate::logout::backchannel_receiver;

fn cli(db: &TestDb, kek: &str) -> Cli {
    db.cli().env("PORTCULLIS_KEYS__ENCRYPTION_KEY", kek)
}

fn seed_session(conn: &mut portcullis::store::DbConnection, sid: &str, user_id: &str) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(portcullis::domain::opaque::hash(sid)),
            sessions::sid.eq(sid),
            sessions::user_id.eq(user_id),
            sessions::auth_time.eq(now),
            sessions::amr.eq("[\"pwd\"]"),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::expires_at.eq(now + 3600),
        ))
        .execute(conn)
        .unwrap();
    backchannel::add_session_client(conn, sid, "rp", user_id, now).unwrap();
}

#[actix_web::test]
async fn killing_an_instance_under_load_loses_nothing() {
    let Some(db) = TestDb::postgres("killing_an_instance_under_load_loses_nothing") else {
        return;
    };
    let kek = Kek::generate().to_base64().expose().clone();
    let status = Arc::new(Mutex::new(503u16));
    let (bc_url, received) = backchannel_receiver(status.clone()).await;
    let svc = cli(&db, &kek)
        .run(&[
            "client",
            "create",
            "--name",
            "Svc",
            "--id",
            "svc",
            "--grant-type",
            "client_credentials",
            "--audience",
            "https://api.example",
            "--json",
        ])
        .ok()
        .json()["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    let rs = cli(&db, &kek)
        .run(&[
            "client",
            "create",
            "--name",
            "RS",
            "--id",
            "rs",
            "--grant-type",
            "client_credentials",
            "--audience",
            "https://api.example",
            "--introspect",
            "--json",
        ])
        .ok()
        .json()["client_secret"]
        .as_str()
        .unwrap()
        .to_string();
    cli(&db, &kek)
        .run(&[
            "client",
            "create",
            "--name",
            "RP",
            "--id",
            "rp",
            "--public",
            "--grant-type",
            "authorization_code",
            "--redirect-uri",
            "https://rp.example/cb",
            "--backchannel-logout-uri",
            &bc_url,
        ])
        .ok();
    cli(&db, &kek)
        .run_with_stdin(
            &["user", "create", "--username", "dave", "--password-stdin"],
            "a long password",
        )
        .ok();
    let user_id = cli(&db, &kek).run(&["user", "list", "--json"]).ok().json()[0]["id"]
        .as_str()
        .unwrap()
        .to_string();

    let servers: Vec<ServerProcess> = (0..3)
        .map(|_| ServerProcess::start(cli(&db, &kek), &["serve"]))
        .collect();
    let urls: Vec<String> = servers.iter().map(|s| s.url("/token")).collect();
    let http = awc::Client::builder()
        .timeout(Duration::from_secs(5))
        .finish();
    let basic = |id: &str, secret: &str| {
        format!(
            "Basic {}",
            base64::Engine::encode(
                &base64::engine::general_purpose::STANDARD,
                format!("{id}:{secret}")
            )
        )
    };

    // Sessions in the database, one of them ended (a back-channel delivery is owed, and the
    // relying party answers 503 for now).
    let mut conn = db.conn();
    seed_session(&mut conn, "sid-ended", &user_id);
    seed_session(&mut conn, "sid-live", &user_id);
    cli(&db, &kek).run(&["session", "revoke", "sid-ended"]).ok();

    // Load on all three; the second dies with SIGKILL half-way.
    let mut issued_by_victim = Vec::new();
    let mut survivor_failures = 0;
    let mut victim = Some(servers);
    let mut survivors: Vec<ServerProcess> = Vec::new();
    let started = Instant::now();
    let mut killed = false;
    while started.elapsed() < Duration::from_secs(3) {
        if !killed && started.elapsed() > Duration::from_millis(1500) {
            let mut all = victim.take().unwrap();
            let dead = all.remove(1);
            dead.kill();
            survivors = all;
            killed = true;
        }
        for (i, url) in urls.iter().enumerate() {
            if killed && i == 1 {
                continue;
            }
            let res = http
                .post(url)
                .insert_header(("Authorization", basic("svc", &svc)))
                .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
                .send_body("grant_type=client_credentials")
                .await;
            match res {
                Ok(mut r) if r.status().is_success() => {
                    if i == 1 {
                        let v: serde_json::Value = r.json().await.unwrap();
                        issued_by_victim.push(v["access_token"].as_str().unwrap().to_string());
                    }
                }
                _ => survivor_failures += 1,
            }
        }
    }
    assert!(killed);
    assert_eq!(survivor_failures, 0, "the survivors kept serving");
    assert!(!issued_by_victim.is_empty());

    // Tokens the dead instance issued are still good at the survivors.
    let introspect_url = survivors[0].url("/introspect");
    for token in issued_by_victim.iter().take(5) {
        let mut r = http
            .post(&introspect_url)
            .insert_header(("Authorization", basic("rs", &rs)))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .send_body(format!("token={token}"))
            .await
            .unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["active"], true);
    }
    // The live session is intact.
    let listed = cli(&db, &kek)
        .run(&["session", "list", "--user", "dave", "--json"])
        .ok()
        .json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["sid"], "sid-live");

    // The owed delivery is made by a survivor once the relying party is back.
    assert_eq!(backchannel::pending(&mut conn).unwrap().len(), 1);
    *status.lock().unwrap() = 200;
    let waited = Instant::now();
    while received.lock().unwrap().is_empty() {
        assert!(waited.elapsed() < Duration::from_secs(30), "delivery lost");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    for s in survivors {
        assert_eq!(s.stop().status, 0);
    }
}
