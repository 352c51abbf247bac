//! A real browser (Debian's headless Chromium through chromedriver) walks the flow:
//! sign-in page, consent page, back to the client's callback with a code that redeems.
//! Screenshots of the pages at desktop and phone widths go to `target/screenshots/`.

use std::path::PathBuf;

use crate::helpers::webdriver::{self, Driver};
use crate::helpers::{
    CallbackReceiver, PASSWORD, TestApp, VERIFIER, authorize_path, challenge, redeem, spawn_app,
    wait_until,
};

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

/// The gallery app (public, redirecting to `redirect`) and alice.
async fn gallery_app(redirect: &str) -> TestApp {
    let app = spawn_app().await;
    app.client("gallery")
        .name("Photo Gallery")
        .public()
        .grant("authorization_code")
        .redirect_uri(redirect)
        .create()
        .await;
    app.user("alice")
        .name("Alice")
        .email("alice@example.com")
        .create();
    app
}

fn authorize_url(app: &TestApp, redirect: &str) -> String {
    let ch = challenge(VERIFIER);
    app.url(&authorize_path(&[
        ("response_type", "code"),
        ("client_id", "gallery"),
        ("redirect_uri", redirect),
        ("scope", "openid profile email"),
        ("state", "browser-state"),
        ("code_challenge", &ch),
        ("code_challenge_method", "S256"),
        // Both browsers see the consent page, though the grant is remembered.
        ("prompt", "consent"),
    ]))
}

async fn no_horizontal_scroll(driver: &Driver, width: u32) {
    // Measured once the document has loaded (right after a click it may still be the
    // previous, or a blank, document).
    let script = "return document.readyState === 'complete' && document.querySelector('main') \
                  ? document.documentElement.scrollWidth : -1";
    let w = wait_until("the page has loaded", || async {
        let w = driver.script(script).await.as_i64().unwrap_or(-1);
        (w >= 0).then_some(w)
    })
    .await;
    let inner = driver.script("return window.innerWidth").await;
    assert!(
        (0..=width as i64).contains(&w),
        "page scrolls sideways at {width}px: {w} (innerWidth {inner}, {})",
        driver.current_url().await
    );
}

/// Signs in and consents in the browser; returns the callback's query string.
async fn walk(
    driver: &Driver,
    app: &TestApp,
    client: &CallbackReceiver,
    suffix: &str,
    width: Option<u32>,
) -> String {
    driver.goto(&authorize_url(app, &client.url)).await;
    driver.find("#username").await;
    if let Some(w) = width {
        no_horizontal_scroll(driver, w).await;
    }
    driver
        .screenshot(&shots().join(format!("login-{suffix}.png")))
        .await;
    driver.type_into("#username", "alice").await;
    driver.type_into("#password", PASSWORD).await;
    driver.click("button[type=submit]").await;
    driver.find("button[value=allow]").await;
    if let Some(w) = width {
        no_horizontal_scroll(driver, w).await;
    }
    driver
        .screenshot(&shots().join(format!("consent-{suffix}.png")))
        .await;
    driver.click("button[value=allow]").await;
    let q = wait_until("the browser reaches the callback", || async {
        client.take()
    })
    .await;
    assert!(driver.current_url().await.starts_with(&client.url));
    q
}

#[actix_web::test]
async fn a_real_browser_signs_in_consents_and_returns_with_a_code_that_redeems() {
    let Some(desktop) = webdriver::start(
        "a_real_browser_signs_in_consents_and_returns_with_a_code_that_redeems",
        None,
    )
    .await
    else {
        return;
    };
    let client = CallbackReceiver::start().await;
    let app = gallery_app(&client.url).await;

    let q = walk(&desktop, &app, &client, "desktop", None).await;
    let params: std::collections::HashMap<String, String> =
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect();
    assert_eq!(params["state"], "browser-state");
    let res = redeem(&app, "gallery", &client.url, &params["code"]).await;
    assert_eq!(res.status, 200, "{}", res.body);
    assert!(res.body["id_token"].is_string());

    // The error page for a redirect URI that is not registered.
    desktop
        .goto(&app.url(&authorize_path(&[
            ("response_type", "code"),
            ("client_id", "gallery"),
            ("redirect_uri", "https://evil.example/cb"),
            ("scope", "openid"),
        ])))
        .await;
    desktop.find("p.notice").await;
    desktop.screenshot(&shots().join("error-desktop.png")).await;
    desktop.quit().await;
}

#[actix_web::test]
async fn on_a_phone_sized_screen_the_pages_never_scroll_sideways() {
    let test = "on_a_phone_sized_screen_the_pages_never_scroll_sideways";
    let Some(phone) = webdriver::start(test, Some(320)).await else {
        return;
    };
    let client = CallbackReceiver::start().await;
    let app = gallery_app(&client.url).await;
    let q = walk(&phone, &app, &client, "phone", Some(320)).await;
    assert!(q.contains("code="));
    phone
        .goto(&app.url("/authorize?client_id=nobody&response_type=code&scope=openid"))
        .await;
    phone.find("p.notice").await;
    no_horizontal_scroll(&phone, 320).await;
    phone.screenshot(&shots().join("error-phone.png")).await;
    phone.quit().await;
}
