//! The device grant with a real browser (Debian Chromium through chromedriver) on the
//! person's side: the test polls the token endpoint like a device — `authorization_pending`,
//! `slow_down` — while the browser opens `verification_uri_complete`, signs in and allows;
//! then tokens. A second code is denied in the browser (`access_denied`), and an expired
//! one is refused on both sides. Screenshots of `/device` go to `target/screenshots/`.

use std::path::PathBuf;

use std::sync::Arc;

use portcullis::clock::ManualClock;

use crate::helpers::spawn_app_at_own_address;
use crate::helpers::webdriver::{self, Driver};
use crate::helpers::{PASSWORD, T0, TestApp, wait_until};

const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// The TV client and alice, under the server's own address (the browser follows
/// `verification_uri_complete`), on a manual clock.
async fn tv_app() -> (TestApp, ManualClock) {
    let clock = ManualClock::at(T0);
    let app = spawn_app_at_own_address("127.0.0.1", Arc::new(clock.clone())).await;
    app.client("tv")
        .name("Living-room TV")
        .public()
        .grant(GRANT)
        .create()
        .await;
    app.user("alice").create();
    (app, clock)
}

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

async fn start(app: &TestApp) -> serde_json::Value {
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

async fn poll(app: &TestApp, started: &serde_json::Value) -> crate::helpers::Response {
    app.token(
        &[
            ("grant_type", GRANT),
            ("device_code", started["device_code"].as_str().unwrap()),
            ("client_id", "tv"),
        ],
        None,
    )
    .await
}

/// Opens the code's page; signs in when asked; stops at the confirmation page.
async fn open_code(driver: &Driver, started: &serde_json::Value) {
    driver
        .goto(started["verification_uri_complete"].as_str().unwrap())
        .await;
    let signed_in = driver
        .script("return !!document.getElementById('device-allow')")
        .await
        .as_bool()
        .unwrap_or(false);
    if !signed_in {
        driver.find("#username").await;
        driver.type_into("#username", "alice").await;
        driver.type_into("#password", PASSWORD).await;
        driver.click("button[type=submit]").await;
    }
    driver.find("#device-allow").await;
}

async fn heading(driver: &Driver) -> String {
    wait_until("the result page", || async {
        driver
            .script("var h = document.getElementById('device-done'); return h ? h.innerText : null")
            .await
            .as_str()
            .map(str::to_string)
    })
    .await
}

#[actix_web::test]
async fn a_person_allows_a_device_in_a_real_browser_while_it_polls() {
    let test = "a_person_allows_a_device_in_a_real_browser_while_it_polls";
    let Some(driver) = webdriver::start(test, None).await else {
        return;
    };
    let (app, clock) = tv_app().await;

    let started = start(&app).await;
    poll(&app, &started)
        .await
        .assert_oauth_error(400, "authorization_pending");
    poll(&app, &started)
        .await
        .assert_oauth_error(400, "slow_down");
    open_code(&driver, &started).await;
    let code = driver
        .script("return document.getElementById('device-user-code').innerText")
        .await;
    assert_eq!(code, started["user_code"]);
    driver
        .screenshot(&shots().join("device-confirm-desktop.png"))
        .await;
    clock.advance(10);
    poll(&app, &started)
        .await
        .assert_oauth_error(400, "authorization_pending");
    driver.click("#device-allow").await;
    assert_eq!(heading(&driver).await, "Device connected");
    clock.advance(10);
    let tokens = poll(&app, &started).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert!(tokens.body["access_token"].is_string());

    // A second device: denied in the browser (already signed in).
    let denied = start(&app).await;
    open_code(&driver, &denied).await;
    driver.click("#device-deny").await;
    assert_eq!(heading(&driver).await, "Request denied");
    poll(&app, &denied)
        .await
        .assert_oauth_error(400, "access_denied");

    // An expired code: the device hears expired_token, the browser that it is not valid.
    let old = start(&app).await;
    clock.advance(601);
    poll(&app, &old)
        .await
        .assert_oauth_error(400, "expired_token");
    driver
        .goto(old["verification_uri_complete"].as_str().unwrap())
        .await;
    driver.find("#device-error").await;
    driver
        .screenshot(&shots().join("device-expired-desktop.png"))
        .await;
    driver.quit().await;
}
