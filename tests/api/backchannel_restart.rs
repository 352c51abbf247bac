//! A back-channel logout owed when a server crashes is delivered by the next one.

use portcullis::store::backchannel;

use crate::helpers::sessions::seed_session;
use crate::helpers::stubs::free_port;
use crate::helpers::{BackchannelReceiver, ServerProcess, TestDb, wait_until};

#[actix_web::test]
async fn pending_back_channel_deliveries_survive_a_crash() {
    let db = TestDb::sqlite();
    // The relying party's endpoint is down at first.
    let port = free_port();
    let bc_url = format!("http://127.0.0.1:{port}/backchannel");
    db.cli()
        .client("rp")
        .name("RP")
        .public()
        .grant("authorization_code")
        .redirect_uri("https://rp.example/cb")
        .backchannel_logout_uri(&bc_url)
        .create()
        .await;
    let carol = db.cli().user("carol").password("a long password").create();
    let mut conn = db.conn();
    seed_session(&mut conn, "sid-crash", &carol.id, "rp");

    let first = ServerProcess::start(db.cli(), &["serve"]);
    let out = db.cli().revoke_session("sid-crash").ok();
    assert!(
        out.stdout.contains("1 back-channel logout(s) queued"),
        "{}",
        out.stdout
    );
    // Let the first server try (and fail) at least once, then crash it.
    wait_until("the first server has tried the delivery", || async {
        let pending = backchannel::pending(&mut db.conn()).unwrap();
        pending.first().is_some_and(|d| d.attempts > 0)
    })
    .await;
    first.kill();
    let pending = backchannel::pending(&mut conn).unwrap();
    assert_eq!(pending.len(), 1, "the delivery is still owed");
    assert!(pending[0].attempts >= 1);

    // The endpoint comes back, and so does the server.
    let rp = BackchannelReceiver::on_port(port).await;
    let second = ServerProcess::start(db.cli(), &["serve"]);
    let body = rp.nth(0).await;
    assert!(body.starts_with("logout_token="));
    let stopped = second.stop();
    assert_eq!(stopped.status, 0);
    assert!(backchannel::pending(&mut conn).unwrap().is_empty());
}
