//! Sign-in throttling (hardening findings 1 and 2): attempts are counted before the
//! password is hashed, per (account, source), and no source can lock anyone else out.
//! The sources are told apart by `X-Forwarded-For` from a trusted proxy (loopback here),
//! and, through a real nginx, a client's own forwarding headers are never believed
//! (hardening round 2, finding 1).

use std::sync::Arc;

use portcullis::clock::ManualClock;
use portcullis::config::ClientIpHeader;

use crate::helpers::gateway::Gateway;
use crate::helpers::{PASSWORD, Page, T0, TestApp, TestDb, spa_request, spawn_app_with};

/// An app behind a "proxy" on loopback, with alice and bob.
async fn app_behind_proxy() -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.http.trusted_proxies = vec!["127.0.0.1".into()];
    settings.http.client_ip_header = Some(ClientIpHeader::XForwardedFor);
    let app = spawn_app_with(db, settings, Arc::new(ManualClock::at(T0))).await;
    app.first_party_spa().await;
    app.user("alice").create();
    app.user("bob").create();
    app
}

/// Two instances on one PostgreSQL database, sharing a key-encryption key (so a form from
/// one is valid at the other), behind a "proxy" on loopback.
async fn two_instances(test: &str) -> Option<(TestApp, TestApp)> {
    use crate::helpers::internals::{Secret, new_kek};
    let first = TestDb::postgres(test)?;
    let kek = new_kek();
    let mut apps = Vec::new();
    for db in [first.another_instance(), first] {
        let mut settings = db.settings();
        settings.keys.encryption_key = Some(Secret::new(kek.clone()));
        settings.http.trusted_proxies = vec!["127.0.0.1".into()];
        settings.http.client_ip_header = Some(ClientIpHeader::XForwardedFor);
        apps.push(spawn_app_with(db, settings, Arc::new(ManualClock::at(T0))).await);
    }
    let (b, a) = (apps.pop()?, apps.pop()?);
    a.first_party_spa().await;
    b.state.clients.refresh().await.unwrap();
    a.user("bob").create();
    Some((a, b))
}

/// A sign-in form: its fields and the CSRF cookie that goes with them.
struct Form {
    params: String,
    csrf: String,
    cookie: String,
}

async fn form(app: &TestApp) -> Form {
    let mut b = app.browser();
    let page: Page = b.get(&spa_request(&[])).await;
    Form {
        params: page.field("params").unwrap(),
        csrf: page.field("csrf").unwrap(),
        cookie: b.cookies.get("portcullis_csrf").unwrap().clone(),
    }
}

/// The sign-in POST from `source`, owning everything it needs (so it can be spawned);
/// resolves to the status.
fn sign_in_request(
    app: &TestApp,
    f: &Form,
    source: &str,
    user: &str,
    password: &str,
) -> impl std::future::Future<Output = u16> + use<> {
    sign_in_request_with(&client(), app, f, source, user, password)
}

/// Our own client: no redirect following (a success answers 303 to the application), and
/// room for the pause a slowed attempt waits.
fn client() -> awc::Client {
    awc::Client::builder()
        .disable_redirects()
        .timeout(std::time::Duration::from_secs(15))
        .finish()
}

/// [`sign_in_request`] through `client` (a flood shares one: building a client costs more
/// than a request).
fn sign_in_request_with(
    client: &awc::Client,
    app: &TestApp,
    f: &Form,
    source: &str,
    user: &str,
    password: &str,
) -> impl std::future::Future<Output = u16> + use<> {
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("params", f.params.as_str()),
            ("csrf", f.csrf.as_str()),
            ("username", user),
            ("password", password),
        ])
        .finish();
    let req = client
        .post(app.url("/login"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .insert_header(("Cookie", format!("portcullis_csrf={}", f.cookie)))
        .insert_header(("X-Forwarded-For", source.to_string()));
    async move { req.send_body(body).await.unwrap().status().as_u16() }
}

async fn sign_in(app: &TestApp, f: &Form, source: &str, user: &str, password: &str) -> u16 {
    sign_in_request(app, f, source, user, password).await
}

#[actix_web::test]
async fn parallel_guesses_are_refused_before_their_passwords_are_checked() {
    let app = app_behind_proxy().await;
    let f = form(&app).await;
    // All sent at once, as an attacker would.
    let guesses: Vec<_> = (0..40)
        .map(|_| actix_web::rt::spawn(sign_in_request(&app, &f, "198.51.100.1", "bob", "guess")))
        .collect();
    let mut refused = 0;
    for g in guesses {
        if g.await.unwrap() == 429 {
            refused += 1;
        }
    }
    assert!(
        refused >= 35,
        "only the free attempts are checked ({refused} refused)"
    );
    let checked = portcullis::store::audit::recent(&mut app.db.conn(), 200)
        .unwrap()
        .iter()
        .filter(|e| e.event == "login.failed")
        .count();
    assert!(checked <= 5, "{checked} passwords were checked");
}

#[actix_web::test]
async fn failures_from_one_source_never_refuse_the_right_password_from_another() {
    let app = app_behind_proxy().await;
    let f = form(&app).await;
    for _ in 0..60 {
        sign_in(&app, &f, "203.0.113.66", "bob", "guess").await;
    }
    assert_eq!(
        sign_in(&app, &f, "203.0.113.66", "bob", PASSWORD).await,
        429
    );
    let status = sign_in(&app, &f, "198.51.100.20", "bob", PASSWORD).await;
    assert_eq!(status, 303, "bob signs in from his own address");
}

#[actix_web::test]
async fn a_source_spraying_many_accounts_does_not_lock_out_another_user_of_that_proxy() {
    let app = app_behind_proxy().await;
    let f = form(&app).await;
    for n in 0..25 {
        sign_in(&app, &f, "203.0.113.66", &format!("user{n}"), "guess").await;
    }
    assert_eq!(
        sign_in(&app, &f, "198.51.100.21", "alice", PASSWORD).await,
        303
    );
}

#[actix_web::test]
async fn instances_share_the_counters_so_n_instances_do_not_multiply_the_allowance() {
    let Some((a, b)) = two_instances(
        "throttling::instances_share_the_counters_so_n_instances_do_not_multiply_the_allowance",
    )
    .await
    else {
        return;
    };
    let f = form(&a).await;
    let guesses: Vec<_> = (0..20)
        .map(|i| {
            let app = if i % 2 == 0 { &a } else { &b };
            actix_web::rt::spawn(sign_in_request(app, &f, "198.51.100.2", "bob", "guess"))
        })
        .collect();
    for g in guesses {
        g.await.unwrap();
    }
    let checked = portcullis::store::audit::recent(&mut a.db.conn(), 200)
        .unwrap()
        .iter()
        .filter(|e| e.event == "login.failed")
        .count();
    assert!(
        checked as i64 <= 5,
        "{checked} passwords were checked across both"
    );
}

/// Successes are not failures: a user who signs in many times is never slowed down (the
/// benchmark's login loop found this).
#[actix_web::test]
async fn successful_sign_ins_leave_no_failure_counted() {
    let app = app_behind_proxy().await;
    let f = form(&app).await;
    for _ in 0..60 {
        assert_eq!(
            sign_in(&app, &f, "198.51.100.30", "alice", PASSWORD).await,
            303
        );
    }
    let mut conn = app.db.conn();
    for key in portcullis::session::throttle::keys("alice", "198.51.100.30") {
        assert_eq!(
            portcullis::store::login_failures::failures(&mut conn, &key).unwrap(),
            0,
            "{key}"
        );
    }
}

/// Hardening round 2, finding 1: behind nginx with `$proxy_add_x_forwarded_for`, a client
/// that writes its own `Forwarded`, `X-Real-IP` and an `X-Forwarded-For` prefix still
/// counts as the address nginx saw (127.0.0.2 here, nginx itself at 127.0.0.1): its sixth
/// wrong password is refused, and the audit log records its real address.
#[actix_web::test]
async fn through_nginx_a_client_cannot_choose_its_own_address_with_forwarding_headers() {
    let test =
        "throttling::through_nginx_a_client_cannot_choose_its_own_address_with_forwarding_headers";
    let app = app_behind_proxy().await;
    let Some(nginx) = Gateway::nginx_in_front(test, &app.address.to_string()).await else {
        return;
    };
    let f = form(&app).await;
    let client = awc::Client::builder()
        .disable_redirects()
        .local_address("127.0.0.2".parse().unwrap())
        .timeout(std::time::Duration::from_secs(15))
        .finish();
    let mut statuses = Vec::new();
    for n in 1..=10 {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("params", f.params.as_str()),
                ("csrf", f.csrf.as_str()),
                ("username", "bob"),
                ("password", "guess"),
            ])
            .finish();
        let spoofed = format!("203.0.113.{n}");
        let res = client
            .post(format!("http://127.0.0.1:{}/login", nginx.port))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .insert_header(("Cookie", format!("portcullis_csrf={}", f.cookie)))
            .insert_header(("Forwarded", format!("for={spoofed}")))
            .insert_header(("X-Real-IP", spoofed.clone()))
            .insert_header(("X-Forwarded-For", spoofed.clone()))
            .send_body(body)
            .await
            .unwrap();
        statuses.push(res.status().as_u16());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        5,
        "after 5 failures the address nginx saw is refused: {statuses:?}"
    );
    let sources: Vec<_> = portcullis::store::audit::recent(&mut app.db.conn(), 200)
        .unwrap()
        .into_iter()
        .filter(|e| e.event == "login.failed")
        .map(|e| e.ip.unwrap_or_default())
        .collect();
    assert_eq!(
        sources,
        vec!["127.0.0.2"; 5],
        "the audit log has the real address"
    );
}

/// Hardening round 2, finding 4a: a flood of 10,000 sign-ins with 16 KB usernames is
/// refused at the edge (400, a clear message) and grows the audit log and the throttle
/// table by nothing at all (the bound: 0 rows); a username at the bound is an ordinary
/// failure.
#[actix_web::test]
async fn a_flood_of_oversized_usernames_writes_nothing() {
    let app = app_behind_proxy().await;
    let f = form(&app).await;
    // Sign-in failures in the audit log, and throttle counters (nothing else writes
    // either here; the start-up's own audit rows are not counted).
    let count = |app: &TestApp| {
        let mut c = app.db.conn();
        (
            portcullis::store::audit::recent(&mut c, 100_000)
                .unwrap()
                .iter()
                .filter(|e| e.event.starts_with("login."))
                .count(),
            portcullis::store::login_failures::count(&mut c).unwrap(),
        )
    };
    let before = count(&app);
    let huge = "u".repeat(16 * 1024);
    let client = client();
    for wave in 0..200 {
        let requests: Vec<_> = (0..50)
            .map(|i| {
                let source = format!("198.51.{}.{}", wave % 250, i);
                actix_web::rt::spawn(sign_in_request_with(
                    &client, &app, &f, &source, &huge, "guess",
                ))
            })
            .collect();
        for r in requests {
            assert_eq!(r.await.unwrap(), 400);
        }
    }
    assert_eq!(count(&app), before, "not one row for the whole flood");
    let at_bound = "u".repeat(255);
    assert_eq!(
        sign_in(&app, &f, "198.51.100.9", &at_bound, "guess").await,
        200
    );
    assert_eq!(
        count(&app).0,
        before.0 + 1,
        "an ordinary failure is audited"
    );
}
