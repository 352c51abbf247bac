//! The database going away: `/readyz` fails and requests answer 503 promptly (no panic, no
//! hang); when it returns, the same instance recovers by itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use portcullis::clock::SystemClock;
use portcullis::config::DatabaseUrl;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::wait::{OUTAGE_ANSWERED_WITHIN, Stopwatch};
use crate::helpers::{TestDb, spawn_app_with, wait_until};

/// A TCP proxy to PostgreSQL that can be cut: `set(false)` drops every connection and
/// refuses new ones, as a stopped server would.
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
}

impl Proxy {
    async fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let (cut, _) = watch::channel(0u64);
        let (flag, cuts) = (up.clone(), cut.clone());
        actix_web::rt::spawn(async move {
            loop {
                let Ok((mut client, _)) = listener.accept().await else {
                    return;
                };
                if !flag.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                let mut cut_rx = cuts.subscribe();
                actix_web::rt::spawn(async move {
                    let Ok(mut server) = TcpStream::connect("127.0.0.1:5432").await else {
                        return;
                    };
                    tokio::select! {
                        _ = copy_bidirectional(&mut client, &mut server) => {}
                        _ = cut_rx.changed() => {}
                    }
                });
            }
        });
        Self { port, up, cut }
    }

    fn set(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
        if !up {
            self.cut.send_modify(|n| *n += 1);
        }
    }
}

#[actix_web::test]
async fn a_database_outage_answers_503_and_heals_by_itself() {
    let Some(db) = TestDb::postgres("a_database_outage_answers_503_and_heals_by_itself") else {
        return;
    };
    let proxy = Proxy::start().await;
    let name = db.name();
    let mut settings = db.settings();
    settings.database.url = DatabaseUrl::new(format!(
        "postgres://postgres@127.0.0.1:{}/{name}",
        proxy.port
    ));
    settings.database.connect_timeout_secs = 1;
    let app = spawn_app_with(db, settings, Arc::new(SystemClock)).await;
    let web = app
        .client("web")
        .grant("authorization_code")
        .grant("refresh_token")
        .redirect_uri("https://web.example/cb")
        .create()
        .await;
    // A refresh needs the database (the client itself is cached in memory).
    let db_request = || {
        app.token(
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", "no-such-token"),
            ],
            web.basic(),
        )
    };
    assert_eq!(app.readyz().await.status, 200);
    assert_eq!(
        db_request().await.body["error"],
        "invalid_grant",
        "the database answered"
    );

    proxy.set(false);
    let started = Stopwatch::start();
    assert_eq!(app.readyz().await.status, 503);
    let res = db_request().await;
    assert_eq!(res.status, 503, "{}", res.body);
    assert_eq!(res.body["error"], "temporarily_unavailable");
    started.assert_within(OUTAGE_ANSWERED_WITHIN, "answered without hanging");
    assert_eq!(
        app.healthz().await.status,
        200,
        "liveness does not depend on the database"
    );

    proxy.set(true);
    wait_until("the instance recovers", || async {
        app.readyz().await.status == 200
    })
    .await;
    assert_eq!(
        db_request().await.body["error"],
        "invalid_grant",
        "the database answers again"
    );
}
