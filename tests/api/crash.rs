//! SIGKILL one of three instances under load: nothing issued is lost, pending back-channel
//! deliveries are still made, and the survivors keep serving.

use std::time::Duration;

use portcullis::store::backchannel;

use crate::helpers::app::basic_auth;
use crate::helpers::internals::new_kek;
use crate::helpers::sessions::seed_session;
use crate::helpers::wait::Stopwatch;
use crate::helpers::{BackchannelReceiver, Cli, Client, ServerProcess, TestDb, wait_until};

const LOAD: Duration = Duration::from_secs(3);
const KILL_AT: Duration = Duration::from_millis(1500);

/// Client credentials against each of `urls` in turn for [`LOAD`], killing the second
/// server half-way. Returns the survivors and the tokens the victim issued.
async fn load_and_kill_one(
    servers: Vec<ServerProcess>,
    svc: &Client,
    http: &awc::Client,
) -> (Vec<ServerProcess>, Vec<String>) {
    let urls: Vec<String> = servers.iter().map(|s| s.url("/token")).collect();
    let mut issued_by_victim = Vec::new();
    let mut survivor_failures = 0;
    let mut alive = Some(servers);
    let mut survivors = Vec::new();
    let started = Stopwatch::start();
    while started.elapsed() < LOAD {
        if alive.is_some() && started.elapsed() > KILL_AT {
            let mut all = alive.take().unwrap();
            all.remove(1).kill();
            survivors = all;
        }
        let killed = alive.is_none();
        for (i, url) in urls.iter().enumerate() {
            if killed && i == 1 {
                continue;
            }
            let res = http
                .post(url)
                .insert_header(("Authorization", basic_auth(&svc.id, svc.secret())))
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
    assert!(alive.is_none(), "the victim was killed");
    assert_eq!(survivor_failures, 0, "the survivors kept serving");
    assert!(!issued_by_victim.is_empty());
    (survivors, issued_by_victim)
}

#[actix_web::test]
async fn killing_an_instance_under_load_loses_nothing() {
    let Some(db) = TestDb::postgres("killing_an_instance_under_load_loses_nothing") else {
        return;
    };
    let cli: Cli = db.cli().env("PORTCULLIS_KEYS__ENCRYPTION_KEY", &new_kek());
    // The relying party answers 503 for now.
    let rp = BackchannelReceiver::answering(503).await;
    let machine = |id: &str| {
        cli.client(id)
            .grant("client_credentials")
            .audience("https://api.example")
    };
    let svc = machine("svc").create().await;
    let rs = machine("rs").introspect().create().await;
    cli.client("rp")
        .public()
        .grant("authorization_code")
        .redirect_uri("https://rp.example/cb")
        .backchannel_logout_uri(&rp.url)
        .create()
        .await;
    let dave = cli.user("dave").password("a long password").create();

    let servers: Vec<ServerProcess> = (0..3)
        .map(|_| ServerProcess::start(cli.clone(), &["serve"]))
        .collect();
    let http = awc::Client::builder()
        .timeout(Duration::from_secs(5))
        .finish();

    // Sessions in the database, one of them ended (a back-channel delivery is owed).
    let mut conn = db.conn();
    seed_session(&mut conn, "sid-ended", &dave.id, "rp");
    seed_session(&mut conn, "sid-live", &dave.id, "rp");
    cli.revoke_session("sid-ended").ok();

    let (survivors, issued_by_victim) = load_and_kill_one(servers, &svc, &http).await;

    // Tokens the dead instance issued are still good at the survivors.
    let introspect_url = survivors[0].url("/introspect");
    for token in issued_by_victim.iter().take(5) {
        let mut r = http
            .post(&introspect_url)
            .insert_header(("Authorization", basic_auth(&rs.id, rs.secret())))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .send_body(format!("token={token}"))
            .await
            .unwrap();
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["active"], true);
    }
    // The live session is intact.
    let listed = cli.sessions_of("dave");
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert_eq!(listed[0]["sid"], "sid-live");

    // The owed delivery is made by a survivor once the relying party is back.
    assert_eq!(backchannel::pending(&mut conn).unwrap().len(), 1);
    rp.set_status(200);
    wait_until("a survivor delivers the owed logout", || async {
        rp.count() > 0
    })
    .await;
    for s in survivors {
        assert_eq!(s.stop().status, 0);
    }
}
