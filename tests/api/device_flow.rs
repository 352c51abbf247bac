//! The device authorization grant (RFC 8628) over HTTP: codes from
//! `/device_authorization`, `authorization_pending` and `slow_down` while polling, the
//! person approving on `/device` after signing in, tokens once; denial; expiry; and the
//! brake on guessing user codes.

use std::sync::Arc;

use portcullis::clock::ManualClock;
use serde_json::Value;

use crate::helpers::{Browser, PASSWORD, T0, TestApp, TestDb, decode, spawn_app_with};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

pub async fn tv_app() -> (TestApp, ManualClock) {
    let db = TestDb::sqlite();
    let settings = db.settings();
    let clock = ManualClock::at(T0);
    let app = spawn_app_with(db, settings, Arc::new(clock.clone())).await;
    app.client("tv")
        .name("Living-room TV")
        .public()
        .grant(GRANT)
        .grant("refresh_token")
        .create()
        .await;
    app.user("alice").create();
    (app, clock)
}

async fn start(app: &TestApp) -> Value {
    let res = app
        .post_form(
            "/device_authorization",
            &[("client_id", "tv"), ("scope", "openid profile")],
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    res.body
}

async fn poll(app: &TestApp, device_code: &str) -> crate::helpers::Response {
    app.token(
        &[
            ("grant_type", GRANT),
            ("device_code", device_code),
            ("client_id", "tv"),
        ],
        None,
    )
    .await
}

/// alice signs in on `/device` and answers for `user_code` (typed loosely).
pub async fn decide(app: &TestApp, user_code: &str, decision: &str) -> crate::helpers::Page {
    let (mut b, confirm) = confirm_page(app, user_code).await;
    assert!(confirm.body.contains("Living-room TV"), "{}", confirm.body);
    b.post(
        "/device/decision",
        &[
            ("csrf", &confirm.field("csrf").unwrap()),
            ("user_code", &confirm.field("user_code").unwrap()),
            ("decision", decision),
        ],
    )
    .await
}

/// alice signs in on `/device` for `user_code` (typed loosely): the confirmation page.
async fn confirm_page<'a>(
    app: &'a TestApp,
    user_code: &str,
) -> (Browser<'a>, crate::helpers::Page) {
    let mut b = Browser::new(app);
    let typed = user_code.replace('-', "").to_lowercase();
    let first = b.get(&format!("/device?user_code={typed}")).await;
    assert_eq!(first.status, 303, "sign in first: {}", first.body);
    let signin = b.get(first.location()).await;
    let back = b
        .post(
            "/signin",
            &[
                ("rd", &signin.field("rd").unwrap()),
                ("csrf", &signin.field("csrf").unwrap()),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(back.status, 303, "{}", back.body);
    let url = back.location().to_string();
    let path = url.split_once("://").map_or(url.as_str(), |(_, rest)| {
        rest.find('/').map_or("/", |i| &rest[i..])
    });
    let confirm = b.get(path).await;
    assert_eq!(confirm.status, 200, "{}", confirm.body);
    assert!(
        confirm.body.contains(user_code),
        "the code is shown to compare"
    );
    (b, confirm)
}

/// Hardening round 2, finding 9: the device page says when the app registered itself
/// (its name is its own word), and a first-party app's page says nothing of the kind.
#[actix_web::test]
async fn the_device_page_says_when_the_app_registered_itself() {
    let (app, _clock) = tv_app().await;
    let first_party = start(&app).await;
    let (_, page) = confirm_page(&app, first_party["user_code"].as_str().unwrap()).await;
    assert!(
        !page.body.contains("id=\"self-registered\""),
        "{}",
        page.body
    );

    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.features.registration = true;
    settings.registration.open = true;
    let app = spawn_app_with(db, settings, Arc::new(ManualClock::at(T0))).await;
    app.user("alice").create();
    let registered = app
        .register(
            &serde_json::json!({
                "client_name": "Living-room TV",
                "grant_types": [GRANT],
                "token_endpoint_auth_method": "none",
            }),
            None,
        )
        .await;
    assert_eq!(registered.status, 201, "{}", registered.body);
    let id = registered.str("client_id");
    let res = app
        .post_form(
            "/device_authorization",
            &[("client_id", id.as_str()), ("scope", "openid")],
            None,
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.body);
    let (_, page) = confirm_page(&app, res.body["user_code"].as_str().unwrap()).await;
    assert!(
        page.body.contains("id=\"self-registered\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("registered itself"), "{}", page.body);
}

#[actix_web::test]
async fn a_device_polls_while_the_person_approves_then_gets_tokens_once() {
    let (app, clock) = tv_app().await;
    let started = start(&app).await;
    let user_code = started["user_code"].as_str().unwrap().to_string();
    assert_eq!(user_code.len(), 9);
    assert_eq!(&user_code[4..5], "-");
    assert!(
        user_code
            .replace('-', "")
            .chars()
            .all(|c| "BCDFGHJKLMNPQRSTVWXZ".contains(c))
    );
    let issuer = app.state.settings.issuer.clone();
    assert_eq!(started["verification_uri"], format!("{issuer}/device"));
    assert!(
        started["verification_uri_complete"]
            .as_str()
            .unwrap()
            .contains("user_code=")
    );
    assert_eq!(started["expires_in"], 600);
    assert_eq!(started["interval"], 5);
    let device_code = started["device_code"].as_str().unwrap().to_string();

    poll(&app, &device_code)
        .await
        .assert_oauth_error(400, "authorization_pending");
    // Again at once: too fast; the interval grows to 10 s.
    poll(&app, &device_code)
        .await
        .assert_oauth_error(400, "slow_down");
    // 6 s later: still faster than 10 s; the interval grows to 15 s.
    clock.advance(6);
    poll(&app, &device_code)
        .await
        .assert_oauth_error(400, "slow_down");
    clock.advance(15);
    poll(&app, &device_code)
        .await
        .assert_oauth_error(400, "authorization_pending");

    let done = decide(&app, &user_code, "allow").await;
    assert!(done.body.contains("Device connected"), "{}", done.body);
    clock.advance(15);
    let tokens = poll(&app, &device_code).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert!(tokens.body["refresh_token"].is_string());
    let id = decode(&app, tokens.body["id_token"].as_str().unwrap())
        .await
        .1;
    assert_eq!(id["aud"], "tv");
    assert_eq!(id["acr"], "1");
    clock.advance(15);
    poll(&app, &device_code)
        .await
        .assert_oauth_error(400, "expired_token");
    let audit = app.cli().run(&["audit", "list", "--json"]).ok().stdout;
    assert!(audit.contains("device.approved"));
    assert!(
        !audit.contains(&user_code) && !audit.contains(&user_code.replace('-', "")),
        "no user code in the audit log"
    );
}

#[actix_web::test]
async fn a_denied_request_gets_access_denied_and_an_old_code_expired_token() {
    let (app, clock) = tv_app().await;
    let denied = start(&app).await;
    // Anything but allow or deny decides nothing.
    let unclear = decide(&app, denied["user_code"].as_str().unwrap(), "maybe").await;
    assert_eq!(unclear.status, 400, "{}", unclear.body);
    poll(&app, denied["device_code"].as_str().unwrap())
        .await
        .assert_oauth_error(400, "authorization_pending");
    clock.advance(5);
    let done = decide(&app, denied["user_code"].as_str().unwrap(), "deny").await;
    assert!(done.body.contains("Request denied"), "{}", done.body);
    poll(&app, denied["device_code"].as_str().unwrap())
        .await
        .assert_oauth_error(400, "access_denied");
    let old = start(&app).await;
    clock.advance(601);
    poll(&app, old["device_code"].as_str().unwrap())
        .await
        .assert_oauth_error(400, "expired_token");
}

#[actix_web::test]
async fn guessing_user_codes_is_throttled_and_audited() {
    let (app, _clock) = tv_app().await;
    let mut b = Browser::new(&app);
    let signin = b.get("/signin").await;
    let back = b
        .post(
            "/signin",
            &[
                ("rd", &signin.field("rd").unwrap()),
                ("csrf", &signin.field("csrf").unwrap()),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(back.status, 303);
    for _ in 0..5 {
        let page = b.get("/device?user_code=BCDF-GHJK").await;
        assert_eq!(page.status, 200);
        assert!(page.body.contains("not valid"), "{}", page.body);
    }
    let sixth = b.get("/device?user_code=BCDF-GHJL").await;
    assert_eq!(sixth.status, 429, "{}", sixth.body);
    let audit = app.cli().run(&["audit", "list", "--json"]).ok().stdout;
    assert!(audit.contains("device.code_failed"));
    // Device clients must be registered for the grant.
    app.client("web")
        .public()
        .grant("authorization_code")
        .redirect_uri("https://web.example/cb")
        .create()
        .await;
    app.post_form("/device_authorization", &[("client_id", "web")], None)
        .await
        .assert_oauth_error(400, "unauthorized_client");
    let doc = app.get("/.well-known/openid-configuration").await;
    assert_eq!(
        doc.body["device_authorization_endpoint"],
        format!("{}/device_authorization", app.state.settings.issuer)
    );
}
