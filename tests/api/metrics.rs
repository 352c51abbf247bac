//! Prometheus metrics (issue 13, first part): off by default; on their own listener when
//! `metrics.bind` is set; counters move by exactly what was done.

use std::sync::Arc;

use portcullis::clock::{Clock, ManualClock, SystemClock};
use portcullis::store::backchannel::{self, Delivery};

use crate::helpers::prometheus::Prometheus;
use crate::helpers::{
    BackchannelReceiver, PASSWORD, T0, TestApp, TestDb, spa_request, spawn_app, spawn_app_with,
    wait_until,
};

const CC: (&str, &str) = ("grant_type", "client_credentials");

/// A server with the metrics listener on, on `clock`.
async fn app_with_metrics_on(clock: Arc<dyn Clock>) -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.metrics.bind = Some("127.0.0.1:0".parse().unwrap());
    spawn_app_with(db, settings, clock).await
}

async fn app_with_metrics() -> TestApp {
    app_with_metrics_on(Arc::new(ManualClock::at(T0))).await
}

async fn scrape(app: &TestApp) -> String {
    let addr = app.metrics_address.expect("metrics listener");
    let mut res = app
        .http
        .get(format!("http://{addr}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.headers()
            .get("content-type")
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("application/openmetrics-text")
    );
    String::from_utf8(res.body().await.unwrap().to_vec()).unwrap()
}

/// The value of one sample line, `name{labels}` exactly as exposed; 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .find_map(|l| l.strip_prefix(series)?.trim().parse().ok())
        .unwrap_or(0.0)
}

#[actix_web::test]
async fn metrics_are_off_by_default_and_never_on_the_main_listener() {
    let app = spawn_app().await;
    assert!(app.metrics_address.is_none());
    assert_eq!(app.status_of("/metrics").await, 404);
    let with = app_with_metrics().await;
    assert_eq!(
        with.status_of("/metrics").await,
        404,
        "only on metrics.bind"
    );
}

#[actix_web::test]
async fn counters_move_by_exactly_what_was_done() {
    let app = app_with_metrics().await;
    let svc = app
        .client("svc")
        .confidential()
        .grant("client_credentials")
        .audience("https://api.example")
        .create()
        .await;
    app.first_party_spa().await;
    app.user("alice").create();
    let before = scrape(&app).await;

    app.token(&[CC], svc.basic()).await.token();
    app.token(&[CC], svc.basic()).await.token();
    let res = app.token(&[CC], Some(("svc", "wrong"))).await;
    assert_eq!(res.status, 401);
    let mut b = app.browser();
    let page = b.get(&spa_request(&[])).await;
    b.login(&page, "alice", "not it").await;
    let signed_in = b.login(&page, "alice", PASSWORD).await;
    assert_eq!(signed_in.status, 303);

    let after = scrape(&app).await;
    let moved = |series: &str| sample(&after, series) - sample(&before, series);
    assert_eq!(
        moved(r#"portcullis_tokens_issued_total{grant_type="client_credentials"}"#),
        2.0
    );
    assert_eq!(
        moved(r#"portcullis_token_errors_total{error="invalid_client"}"#),
        1.0
    );
    assert_eq!(moved(r#"portcullis_logins_total{result="failed"}"#), 1.0);
    assert_eq!(moved(r#"portcullis_logins_total{result="succeeded"}"#), 1.0);
    assert_eq!(
        moved(r#"portcullis_http_requests_total{route="/token",method="POST",status="200"}"#),
        2.0
    );
    assert_eq!(
        moved(r#"portcullis_http_requests_total{route="/token",method="POST",status="401"}"#),
        1.0
    );
    assert!(after.contains(r#"portcullis_build_info{version=""#));
    assert_eq!(
        sample(&after, "portcullis_sessions_active"),
        1.0,
        "alice's session"
    );
    assert_eq!(
        sample(&after, "portcullis_backchannel_deliveries_pending"),
        0.0
    );
    assert_eq!(
        sample(&after, r#"portcullis_signing_keys{state="active"}"#),
        2.0,
        "one active key for each of RS256 and ES256"
    );
    assert!(after.contains(r#"portcullis_signing_key_age_seconds{alg="RS256"}"#));
    assert!(after.contains(r#"portcullis_signing_key_age_seconds{alg="ES256"}"#));
    assert_eq!(sample(&after, "portcullis_password_hashes_in_flight"), 0.0);
    assert!(after.contains(r#"portcullis_db_pool_connections{state="idle"}"#));
    for secret in [svc.secret(), "alice", "127.0.0.1", PASSWORD] {
        assert!(!after.contains(secret), "{secret} leaked into a label");
    }
}

#[actix_web::test]
async fn revocations_deliveries_and_cache_reloads_are_counted_where_they_happen() {
    let app = app_with_metrics_on(Arc::new(SystemClock)).await;
    let rp = BackchannelReceiver::answering(503).await;
    let before = scrape(&app).await;
    let moved = |after: &str, series: &str| sample(after, series) - sample(&before, series);

    // A client created after start-up: the client cache reloads once.
    let svc = app
        .client("svc")
        .confidential()
        .grant("client_credentials")
        .audience("https://api.example")
        .backchannel_logout_uri(&rp.url)
        .create()
        .await;
    let after = scrape(&app).await;
    assert_eq!(
        moved(&after, r#"portcullis_cache_reloads_total{cache="clients"}"#),
        1.0
    );

    // One access token revoked over /revoke, then every token of the client from the CLI.
    let token = app.token(&[CC], svc.basic()).await.token().to_string();
    app.revoke(&[("token", &token)], svc.basic()).await;
    app.rotate_client_secret_revoking_tokens("svc");
    let after = wait_until("the client's not-before reaches the list", || async {
        let after = scrape(&app).await;
        (moved(&after, r#"portcullis_revocations_total{kind="client"}"#) == 1.0).then_some(after)
    })
    .await;
    assert_eq!(
        moved(&after, r#"portcullis_revocations_total{kind="jti"}"#),
        1.0
    );
    assert_eq!(
        moved(&after, r#"portcullis_revocations_total{kind="sid"}"#),
        0.0
    );
    assert_eq!(
        moved(
            &after,
            r#"portcullis_cache_reloads_total{cache="revocations"}"#
        ),
        2.0
    );

    // A delivery that fails once, then succeeds.
    let now = app.state.clock.now();
    backchannel::enqueue(
        &mut app.db.conn(),
        &Delivery {
            id: "d1".into(),
            client_id: "svc".into(),
            user_id: "u1".into(),
            sid: "s1".into(),
            attempts: 0,
            next_attempt_at: now,
            last_error: None,
            created_at: now,
            trace_parent: None,
            trace_state: None,
        },
    )
    .unwrap();
    app.state.backchannel.wake();
    wait_until("the first attempt fails", || async {
        let after = scrape(&app).await;
        moved(
            &after,
            r#"portcullis_backchannel_deliveries_total{result="failed"}"#,
        ) == 1.0
    })
    .await;
    rp.set_status(200);
    rp.nth(0).await;
    let after = wait_until("the retry is counted", || async {
        let after = scrape(&app).await;
        (moved(
            &after,
            r#"portcullis_backchannel_deliveries_total{result="delivered"}"#,
        ) == 1.0)
            .then_some(after)
    })
    .await;
    assert_eq!(
        moved(
            &after,
            r#"portcullis_backchannel_deliveries_total{result="failed"}"#
        ),
        1.0
    );
    assert_eq!(moved(&after, "portcullis_db_errors_total"), 0.0);
    assert!(after.contains("# TYPE portcullis_db_errors counter"));
}

#[actix_web::test]
async fn a_real_prometheus_sees_each_counter_move_by_exactly_what_was_done() {
    let app = app_with_metrics_on(Arc::new(SystemClock)).await;
    let svc = app
        .client("svc")
        .confidential()
        .grant("client_credentials")
        .audience("https://api.example")
        .create()
        .await;
    app.first_party_spa().await;
    app.user("alice").create();
    let target = app.metrics_address.unwrap();
    let Some(prometheus) = Prometheus::scraping(
        "metrics::a_real_prometheus_sees_each_counter_move_by_exactly_what_was_done",
        target,
    )
    .await
    else {
        return;
    };
    const SERIES: [&str; 5] = [
        r#"portcullis_logins_total{result="succeeded"}"#,
        r#"portcullis_tokens_issued_total{grant_type="client_credentials"}"#,
        r#"portcullis_token_errors_total{error="invalid_client"}"#,
        r#"portcullis_revocations_total{kind="jti"}"#,
        r#"portcullis_http_requests_total{route="/revoke",method="POST",status="200"}"#,
    ];
    prometheus.next_scrape().await;
    let mut before = Vec::new();
    for s in SERIES {
        before.push(prometheus.value(s).await);
    }

    let mut b = app.browser();
    let page = b.get(&spa_request(&[])).await;
    assert_eq!(b.login(&page, "alice", PASSWORD).await.status, 303);
    let token = app.token(&[CC], svc.basic()).await.token().to_string();
    let res = app.token(&[CC], Some(("svc", "wrong"))).await;
    assert_eq!(res.status, 401);
    app.revoke(&[("token", &token)], svc.basic()).await;

    prometheus.next_scrape().await;
    for (series, was) in SERIES.iter().zip(before) {
        assert_eq!(
            prometheus.value(series).await - was,
            1.0,
            "{series} as Prometheus scraped it"
        );
    }
    assert_eq!(
        prometheus
            .value(r#"count(portcullis_build_info{job="portcullis"})"#)
            .await,
        1.0
    );
    // The alerting rules the README recommends load and evaluate against these series.
    let rules = wait_until("the alerting rules have been evaluated", || async {
        let rules = prometheus.rules().await;
        (rules.len() == 5 && rules.iter().all(|(_, h)| h == "ok")).then_some(rules)
    })
    .await;
    assert!(
        rules
            .iter()
            .any(|(name, _)| name == "PortcullisDatabasePoolExhausted")
    );
    assert_eq!(
        prometheus.query("ALERTS").await.len(),
        0,
        "nothing is wrong here"
    );
}

#[actix_web::test]
async fn forward_auth_decisions_are_counted_by_result() {
    let app = app_with_metrics_on(Arc::new(portcullis::clock::SystemClock)).await;
    let svc = app
        .client("svc")
        .confidential()
        .grant("client_credentials")
        .audience("https://api.example")
        .create()
        .await;
    let token = app
        .token(&[("grant_type", "client_credentials")], svc.basic())
        .await
        .token()
        .to_string();
    let auth = format!("Bearer {token}");
    let before = scrape(&app).await;
    for _ in 0..3 {
        app.send_with(
            "GET",
            "/forward-auth?audience=https%3A%2F%2Fapi.example",
            &[("Authorization", &auth)],
        )
        .await;
    }
    app.send_with("GET", "/forward-auth", &[]).await;
    app.send_with(
        "GET",
        "/forward-auth?audience=other",
        &[("Authorization", &auth)],
    )
    .await;
    app.send_with(
        "GET",
        "/forward-auth?policy=nope",
        &[("Authorization", &auth)],
    )
    .await;
    let after = scrape(&app).await;
    for (result, n) in [
        ("allowed", 3.0),
        ("no_credentials", 1.0),
        ("forbidden", 1.0),
        ("unknown_policy", 1.0),
    ] {
        let series = format!("portcullis_forward_auth_decisions_total{{result=\"{result}\"}}");
        assert_eq!(
            sample(&after, &series) - sample(&before, &series),
            n,
            "{series}"
        );
    }
}
