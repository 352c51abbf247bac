//! Passkeys in a real browser: headless Chromium with a WebAuthn virtual authenticator
//! (the WebDriver extension commands of Web Authentication §11) registers a passkey from
//! `/account`, signs out, and signs in to a client with only the passkey: the ID token
//! says `acr` 3 with `amr` `hwk`/`swk` and `user`. The same passkey then serves as the
//! second factor after a password. Screenshots of the account page and the second-factor
//! page at desktop and 320 px go to `target/screenshots/`.

use std::path::PathBuf;
use std::sync::Arc;

use portcullis::clock::SystemClock;

use crate::helpers::spawn_app_at_own_address;
use crate::helpers::webdriver::{self, Driver};
use crate::helpers::{
    CallbackReceiver, PASSWORD, TestApp, VERIFIER, authorize_path, challenge, decode, redeem,
    wait_until,
};

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

/// Portcullis under `http://localhost:<port>`: WebAuthn needs a domain as RP ID.
async fn app_on_localhost(callback: &str) -> TestApp {
    let app = spawn_app_at_own_address("localhost", Arc::new(SystemClock)).await;
    app.client("gallery")
        .name("Photo Gallery")
        .public()
        .grant("authorization_code")
        .redirect_uri(callback)
        .skip_consent()
        .create()
        .await;
    app.user("alice").name("Alice").create();
    app.user("bob").name("Bob").create();
    app.user("carol").name("Carol").create();
    app
}

fn page(app: &TestApp, path: &str) -> String {
    format!("{}{path}", app.state.settings.issuer)
}

fn authorize_url(app: &TestApp, callback: &str) -> String {
    let ch = challenge(VERIFIER);
    page(
        app,
        &authorize_path(&[
            ("response_type", "code"),
            ("client_id", "gallery"),
            ("redirect_uri", callback),
            ("scope", "openid"),
            ("state", "pk"),
            ("code_challenge", &ch),
            ("code_challenge_method", "S256"),
        ]),
    )
}

/// Drops the browser's cookies for Portcullis (WebDriver deletes the current page's).
async fn sign_out(driver: &Driver, app: &TestApp) {
    driver.goto(&page(app, "/healthz")).await;
    driver.delete_cookies().await;
}

async fn password_sign_in(driver: &Driver, username: &str) {
    driver.find("#username").await;
    driver.type_into("#username", username).await;
    driver.type_into("#password", PASSWORD).await;
    driver.click("button[type=submit]").await;
}

/// The ID token's claims of the code the browser brought back.
async fn claims_of_callback(
    driver: &Driver,
    app: &TestApp,
    client: &CallbackReceiver,
) -> serde_json::Value {
    let q = wait_until("the browser reaches the callback", || async {
        client.take()
    })
    .await;
    assert!(driver.current_url().await.starts_with(&client.url));
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect();
    let res = redeem(app, "gallery", &client.url, &params["code"]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    decode(app, res.body["id_token"].as_str().unwrap()).await.1
}

fn amr(claims: &serde_json::Value) -> Vec<String> {
    claims["amr"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_passkey_registered_in_a_real_browser_signs_in_alone_at_the_phishing_resistant_level() {
    let test =
        "a_passkey_registered_in_a_real_browser_signs_in_alone_at_the_phishing_resistant_level";
    let Some(desktop) = webdriver::start(test, None).await else {
        return;
    };
    let platform = desktop.add_virtual_authenticator().await;
    let client = CallbackReceiver::start().await;
    let app = app_on_localhost(&client.url).await;

    // alice signs in with her password and adds a passkey on her account page.
    desktop.goto(&page(&app, "/account")).await;
    password_sign_in(&desktop, "alice").await;
    desktop.find("#passkey-add:not([hidden])").await;
    desktop
        .script("document.getElementById('passkey-name').value = 'Laptop'; return 1;")
        .await;
    desktop.click("#passkey-add").await;
    desktop.find("#account-notice").await;
    let body = desktop.script("return document.body.innerText").await;
    let text = body.as_str().unwrap_or_default();
    assert!(text.contains("Your passkey was added."), "{text}");
    assert!(
        desktop
            .script("return document.querySelector('ul.passkeys li input[name=name]').value")
            .await
            == "Laptop"
    );
    desktop
        .screenshot(&shots().join("account-desktop.png"))
        .await;
    // Renamed with a plain form.
    desktop
        .script("document.querySelector('ul.passkeys li input[name=name]').value = 'Work laptop'; return 1;")
        .await;
    desktop.click("ul.passkeys li button[type=submit]").await;
    wait_until("the passkey is renamed", || async {
        let v = desktop
            .script(
                "var n = document.getElementById('account-notice'); return n ? n.innerText : ''",
            )
            .await;
        v.as_str()
            .filter(|t| t.contains("renamed"))
            .map(str::to_string)
    })
    .await;
    let listed = app
        .cli()
        .run(&["user", "mfa", "list", "alice", "--json"])
        .ok()
        .json();
    assert_eq!(listed["passkeys"][0]["name"], "Work laptop");
    assert_eq!(listed["passkeys"][0]["user_verified"], true);

    // Signed out, she signs in to the gallery with the passkey alone: no username.
    sign_out(&desktop, &app).await;
    desktop.goto(&authorize_url(&app, &client.url)).await;
    desktop.click("#passkey-signin:not([hidden])").await;
    let claims = claims_of_callback(&desktop, &app, &client).await;
    assert_eq!(claims["acr"], "3");
    let methods = amr(&claims);
    assert!(
        methods.iter().any(|m| m == "hwk" || m == "swk"),
        "{methods:?}"
    );
    assert!(methods.contains(&"user".to_string()), "{methods:?}");
    assert!(!methods.contains(&"pwd".to_string()), "{methods:?}");

    // With her password, the passkey is the second factor.
    sign_out(&desktop, &app).await;
    desktop.goto(&authorize_url(&app, &client.url)).await;
    password_sign_in(&desktop, "alice").await;
    desktop.find("#passkey-factor:not([hidden])").await;
    desktop
        .screenshot(&shots().join("second-factor-desktop.png"))
        .await;
    desktop.click("#passkey-factor").await;
    let claims = claims_of_callback(&desktop, &app, &client).await;
    assert_eq!(claims["acr"], "3");
    let methods = amr(&claims);
    assert!(methods.contains(&"pwd".to_string()) && methods.contains(&"mfa".to_string()));

    // An authenticator without user verification (no PIN, no biometrics) registers too
    // (user verification is preferred, not required) and is a second factor: with bob's
    // password it makes level 2, `amr` without `user`.
    desktop.remove_authenticator(&platform).await;
    desktop.add_authenticator(false).await;
    sign_out(&desktop, &app).await;
    desktop.goto(&page(&app, "/account")).await;
    password_sign_in(&desktop, "bob").await;
    desktop.find("#passkey-add:not([hidden])").await;
    desktop.click("#passkey-add").await;
    desktop.find("#account-notice").await;
    let listed = app
        .cli()
        .run(&["user", "mfa", "list", "bob", "--json"])
        .ok()
        .json();
    assert_eq!(listed["passkeys"][0]["user_verified"], false, "{listed}");
    sign_out(&desktop, &app).await;
    desktop.goto(&authorize_url(&app, &client.url)).await;
    password_sign_in(&desktop, "bob").await;
    desktop.click("#passkey-factor:not([hidden])").await;
    let claims = claims_of_callback(&desktop, &app, &client).await;
    assert_eq!(claims["acr"], "2");
    let methods = amr(&claims);
    assert!(!methods.contains(&"user".to_string()), "{methods:?}");
    assert!(methods.contains(&"mfa".to_string()), "{methods:?}");
    desktop.quit().await;

    // The same pages on a 320 px screen: the second-factor page (alice) and the
    // account page (carol, no factor yet).
    let Some(phone) = webdriver::start(test, Some(320)).await else {
        return;
    };
    phone.goto(&authorize_url(&app, &client.url)).await;
    password_sign_in(&phone, "alice").await;
    phone.find("#passkey-factor-form").await;
    assert_no_sideways_scroll(&phone, 320).await;
    phone
        .screenshot(&shots().join("second-factor-phone.png"))
        .await;
    sign_out(&phone, &app).await;
    phone.goto(&page(&app, "/account")).await;
    password_sign_in(&phone, "carol").await;
    phone.find("#passkey-add-form").await;
    assert_no_sideways_scroll(&phone, 320).await;
    phone.screenshot(&shots().join("account-phone.png")).await;
    phone.quit().await;
}

async fn assert_no_sideways_scroll(driver: &Driver, width: i64) {
    let w = wait_until("the page has loaded", || async {
        let v = driver
            .script(
                "return document.readyState === 'complete' && document.querySelector('main') \
                 ? document.documentElement.scrollWidth : -1",
            )
            .await;
        v.as_i64().filter(|w| *w >= 0)
    })
    .await;
    assert!(w <= width, "the page scrolls sideways at {width}px: {w}");
}
