use std::sync::{Arc, Mutex};

use diesel::prelude::*;
use portcullis::store::backchannel;
use portcullis::store::schema::sessions;

use crate::helpers::{Cli, ServerProcess, TestDb};

fn cli(db: &TestDb) -> Cli {
    db.cli()
}

#[actix_web::test]
async fn pending_back_channel_deliveries_survive_a_crash() {
    let db = TestDb::sqlite();
    // The relying party's endpoint is down at first.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bc_url = format!("http://127.0.0.1:{port}/backchannel");
    cli(&db)
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
    cli(&db)
        .run_with_stdin(
            &["user", "create", "--username", "carol", "--password-stdin"],
            "a long password",
        )
        .ok();
    let users = cli(&db).run(&["user", "list", "--json"]).ok().json();
    let user_id = users[0]["id"].as_str().unwrap().to_string();

    // A session in which rp received tokens (as a browser sign-in would leave it).
    let mut conn = db.conn();
    diesel::insert_into(sessions::table)
        .values((
            sessions::id_hash.eq(vec![7u8; 32]),
            sessions::sid.eq("sid-crash"),
            sessions::user_id.eq(&user_id),
            sessions::auth_time.eq(1),
            sessions::amr.eq("[\"pwd\"]"),
            sessions::created_at.eq(1),
            sessions::last_seen_at.eq(1),
            sessions::expires_at.eq(i64::MAX),
        ))
        .execute(&mut conn)
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    backchannel::add_session_client(&mut conn, "sid-crash", "rp", &user_id, now).unwrap();

    let first = ServerProcess::start(cli(&db), &["serve"]);
    let out = cli(&db).run(&["session", "revoke", "sid-crash"]).ok();
    assert!(
        out.stdout.contains("1 back-channel logout(s) queued"),
        "{}",
        out.stdout
    );
    // Let the first server try (and fail) at least once, then crash it.
    for _ in 0..50 {
        let pending = backchannel::pending(&mut conn).unwrap();
        if pending.first().is_some_and(|d| d.attempts > 0) {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    first.kill();
    let pending = backchannel::pending(&mut conn).unwrap();
    assert_eq!(pending.len(), 1, "the delivery is still owed");
    assert!(pending[0].attempts >= 1);

    // The endpoint comes back, and so does the server.
    let received: Arc<Mutex<Vec<String>>> = Arc::default();
    let record = received.clone();
    let server = actix_web::HttpServer::new(move || {
        let record = record.clone();
        actix_web::App::new().route(
            "/backchannel",
            actix_web::web::post().to(move |body: actix_web::web::Bytes| {
                let record = record.clone();
                async move {
                    record
                        .lock()
                        .unwrap()
                        .push(String::from_utf8_lossy(&body).into_owned());
                    actix_web::HttpResponse::Ok().finish()
                }
            }),
        )
    })
    .workers(1)
    .bind(("127.0.0.1", port))
    .unwrap();
    actix_web::rt::spawn(server.run());
    let second = ServerProcess::start(cli(&db), &["serve"]);
    let mut delivered = None;
    for _ in 0..150 {
        if let Some(b) = received.lock().unwrap().first().cloned() {
            delivered = Some(b);
            break;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let body = delivered.expect("delivered after the restart");
    assert!(body.starts_with("logout_token="));
    let stopped = second.stop();
    assert_eq!(stopped.status, 0);
    assert!(backchannel::pending(&mut conn).unwrap().is_empty());
}
