//! Hardening finding 3: one relying party that never answers delays only its own
//! back-channel deliveries, and every logout token is signed when it is sent.

use std::time::Duration;

use portcullis::store::backchannel::{self, Delivery};

use crate::helpers::wait::wait_within;
use crate::helpers::{BackchannelReceiver, decode, spawn_app};

/// Other relying parties are served while one hangs (each attempt times out after 5 s).
const OTHERS_SERVED_WITHIN: Duration = Duration::from_secs(4);

#[actix_web::test]
async fn a_hanging_relying_party_does_not_delay_another_ones_logout_token() {
    let app = spawn_app().await;
    // Accepts connections (the kernel completes them) and never answers.
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_url = format!("http://{}/backchannel", black_hole.local_addr().unwrap());
    let fast = BackchannelReceiver::start().await;
    app.client("hangs")
        .public()
        .grant("authorization_code")
        .redirect_uri("https://hangs.example/cb")
        .backchannel_logout_uri(&hang_url)
        .create()
        .await;
    app.client("answers")
        .public()
        .grant("authorization_code")
        .redirect_uri("https://answers.example/cb")
        .backchannel_logout_uri(&fast.url)
        .create()
        .await;
    let now = app.state.clock.now();
    let mut conn = app.db.conn();
    let delivery = |id: String, client: &str, due: i64| Delivery {
        id,
        client_id: client.into(),
        user_id: "u1".into(),
        sid: "s1".into(),
        attempts: 0,
        next_attempt_at: due,
        last_error: None,
        created_at: now,
        trace_parent: None,
        trace_state: None,
    };
    // The hanging party's deliveries are older, so they come first in the queue.
    for i in 0..6 {
        backchannel::enqueue(&mut conn, &delivery(format!("h{i}"), "hangs", now - 10)).unwrap();
    }
    backchannel::enqueue(&mut conn, &delivery("a0".into(), "answers", now)).unwrap();
    app.state.backchannel.wake();

    let token = wait_within(
        "the answering party gets its logout token",
        OTHERS_SERVED_WITHIN,
        || async { fast.received.lock().unwrap().first().cloned() },
    )
    .await;
    let (_, claims) = decode(&app, &token).await;
    let arrived = app.state.clock.now();
    assert!(
        claims["exp"].as_i64().unwrap() > arrived,
        "the token is signed when sent, so it is live when it arrives"
    );
    assert!(claims["iat"].as_i64().unwrap() >= now);
    drop(black_hole);
}
