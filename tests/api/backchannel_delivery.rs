//! Hardening finding 3 (and round 2, finding 3): one relying party that never answers
//! delays only its own back-channel deliveries, however many it has queued; it is backed
//! off alone; and every logout token is signed when it is sent.

use std::time::Duration;

use portcullis::store::backchannel::{self, Delivery};

use crate::helpers::wait::wait_within;
use crate::helpers::{BackchannelReceiver, TestDb, decode, spawn_app, spawn_app_with};

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
    let delivery = |id: String, client: &str, due: i64| queued(id, client, due, now);
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

/// Hardening round 2, finding 3: a hanging receiver with 60 deliveries queued before
/// anyone else's (more than any batch) does not delay another receiver's logout token,
/// which arrives within 2 s; and the hanging receiver is backed off alone, so only a few
/// of its deliveries are even tried.
#[actix_web::test]
async fn a_hanging_receiver_with_a_long_backlog_neither_delays_others_nor_is_tried_without_pause() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.http.outbound_deadline_secs = 1;
    let app = spawn_app_with(
        db,
        settings,
        std::sync::Arc::new(portcullis::clock::SystemClock),
    )
    .await;
    let black_hole = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hang_url = format!("http://{}/backchannel", black_hole.local_addr().unwrap());
    let fast = BackchannelReceiver::start().await;
    for (id, uri) in [("hangs", hang_url.as_str()), ("answers", fast.url.as_str())] {
        app.client(id)
            .public()
            .grant("authorization_code")
            .redirect_uri(&format!("https://{id}.example/cb"))
            .backchannel_logout_uri(uri)
            .create()
            .await;
    }
    let now = app.state.clock.now();
    let mut conn = app.db.conn();
    let delivery = |id: String, client: &str, due: i64| queued(id, client, due, now);
    for i in 0..60 {
        backchannel::enqueue(
            &mut conn,
            &delivery(format!("h{i:02}"), "hangs", now - 60 + i),
        )
        .unwrap();
    }
    app.state.backchannel.wake();
    // Let the hanging receiver's lane fill and its first attempts hang.
    tokio::time::sleep(Duration::from_millis(300)).await;
    backchannel::enqueue(&mut conn, &delivery("a0".into(), "answers", now)).unwrap();
    app.state.backchannel.wake();
    wait_within(
        "the healthy receiver gets its logout token",
        Duration::from_secs(2),
        || async { fast.received.lock().unwrap().first().cloned() },
    )
    .await;
    // Past several deadlines: the hanging receiver was tried a few times, then left alone.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let tried = backchannel::due(&mut conn, i64::MAX, 1_000)
        .unwrap()
        .into_iter()
        .filter(|d| d.client_id == "hangs" && d.attempts > 0)
        .count();
    assert!(
        (1..=6).contains(&tried),
        "{tried} of its 60 deliveries were tried: the receiver is backed off after a few failures"
    );
    drop(black_hole);
}

/// A delivery for `client` (session `s-<client>`), due at `due`, as a logout queues it.
fn queued(id: String, client: &str, due: i64, now: i64) -> Delivery {
    Delivery {
        id,
        client_id: client.into(),
        user_id: "u1".into(),
        sid: format!("s-{client}"),
        attempts: 0,
        next_attempt_at: due,
        last_error: None,
        created_at: now,
        trace_parent: None,
        trace_state: None,
    }
}
