//! A person who forgot their password gets back in, in a real browser (headless Chromium),
//! on branded pages, in English and in German (`ui_locales`): sign-in page → "Forgot your
//! password?" → the mailed link (a real SMTP server) → a new password → signed in on the
//! account page. Screenshots of the sign-in, reset and account pages at desktop and 320 px
//! wide, light and dark, go to `target/screenshots/`; at each, the page must not scroll
//! sideways and must use the dark palette when the system prefers it.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use portcullis::clock::SystemClock;
use portcullis::domain::secret::Secret;

use crate::helpers::smtp::{SmtpServer, link_in};
use crate::helpers::webdriver::{self, Driver};
use crate::helpers::{
    CallbackReceiver, TestApp, VERIFIER, authorize_path, challenge, spawn_app_at_own_address_with,
    wait_until,
};

const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" rx="8" fill="#c0392b"/></svg>"##;

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

async fn branded_app(smtp: &SmtpServer, dir: &Path, redirect: &str) -> TestApp {
    std::fs::write(dir.join("logo.svg"), LOGO).unwrap();
    std::fs::write(
        dir.join("brand.css"),
        "main { border-top: 6px solid #c0392b; }",
    )
    .unwrap();
    // Its own address as issuer: the browser follows the links the pages and mails name.
    let app = spawn_app_at_own_address_with("127.0.0.1", Arc::new(SystemClock), |s| {
        s.smtp.url = Some(Secret::new(smtp.url()));
        s.branding.product_name = "Acme ID".into();
        s.branding.logo = Some(dir.join("logo.svg").display().to_string());
        s.branding.primary_color = Some("#c0392b".into());
        s.branding.css = Some(dir.join("brand.css"));
    })
    .await;
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

async fn js(driver: &Driver, script: &str) -> serde_json::Value {
    driver.script(script).await
}

/// Waits until the page in the browser has loaded and speaks `lang`.
async fn speaks(driver: &Driver, lang: &str) {
    let script = "return document.readyState === 'complete' ? document.documentElement.lang : ''";
    wait_until(&format!("the page speaks {lang}"), || async {
        (js(driver, script).await == lang).then_some(())
    })
    .await;
}

/// The branding as the browser applied it: name, logo (loaded), colour, stylesheet.
async fn assert_branded(driver: &Driver) {
    assert_eq!(driver.text("#product-name").await, "Acme ID");
    let logo = "const i = document.querySelector('header.brand img'); return i && i.complete ? i.naturalWidth : -1";
    wait_until("the logo loads", || async {
        (js(driver, logo).await.as_i64().unwrap_or(-1) > 0).then_some(())
    })
    .await;
    let button = js(
        driver,
        "return getComputedStyle(document.querySelector('main button:not(.secondary):not([hidden])')).backgroundColor",
    )
    .await;
    assert_eq!(button, "rgb(192, 57, 43)", "the primary colour");
    let border = js(
        driver,
        "return getComputedStyle(document.querySelector('main')).borderTopWidth",
    )
    .await;
    assert_eq!(border, "6px", "the extra stylesheet applies");
}

/// Screenshots of the current page at desktop and phone widths, light and dark.
async fn shoot_all(driver: &Driver, name: &str) {
    for (width, label) in [(None, "desktop"), (Some(320u32), "320px")] {
        for dark in [false, true] {
            driver.emulate(width, dark).await;
            let bg = "return getComputedStyle(document.body).backgroundColor";
            let want = if dark {
                "rgb(18, 19, 22)"
            } else {
                "rgb(255, 255, 255)"
            };
            wait_until(&format!("{name} at {label}, dark={dark}"), || async {
                (js(driver, bg).await == want).then_some(())
            })
            .await;
            if let Some(w) = width {
                let scroll = js(driver, "return document.documentElement.scrollWidth").await;
                assert!(
                    scroll.as_i64().unwrap_or(i64::MAX) <= w as i64,
                    "{name} scrolls sideways at {w}px: {scroll}"
                );
            }
            let scheme = if dark { "dark" } else { "light" };
            driver
                .screenshot(&shots().join(format!("{name}-{label}-{scheme}.png")))
                .await;
        }
    }
    driver.emulate(None, false).await;
}

/// Forgot password → mail → new password → signed in, in `lang`.
async fn recover(driver: &Driver, app: &TestApp, smtp: &SmtpServer, client: &str, lang: &str) {
    let ch = challenge(VERIFIER);
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "gallery"),
        ("redirect_uri", client),
        ("scope", "openid"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    if lang != "en" {
        pairs.push(("ui_locales", lang));
    }
    driver.goto(&app.url(&authorize_path(&pairs))).await;
    driver.find("#username").await;
    speaks(driver, lang).await;
    assert_branded(driver).await;
    shoot_all(driver, &format!("self-service-signin-{lang}")).await;

    driver.click("#forgot-password").await;
    driver.find("#reset-request").await;
    speaks(driver, lang).await;
    driver.type_into("#email", "alice@example.com").await;
    driver.click("#reset-request").await;
    driver.find("#reset-sent").await;
    app.state.mail.wake();
    // The mail keeps the page's language, and so does its link.
    let mail = wait_until(&format!("a reset mail in {lang}"), || async {
        smtp.messages().into_iter().find(|m| {
            link_in(m, "/password/reset")
                .is_some_and(|l| l.ends_with(&format!("&ui_locales={lang}")))
        })
    })
    .await;
    let link = link_in(&mail, "/password/reset").unwrap();
    let subject = mail
        .lines()
        .find(|l| l.starts_with("Subject:"))
        .unwrap_or_default()
        .to_string();
    let expected = if lang == "de" { "Passwort" } else { "password" };
    assert!(subject.contains(expected), "{subject}");

    driver.goto(&app.url(&link)).await;
    driver.find("#reset-save").await;
    speaks(driver, lang).await;
    assert_branded(driver).await;
    shoot_all(driver, &format!("self-service-reset-{lang}")).await;
    let password = format!("the new password in {lang}");
    driver.type_into("#password", &password).await;
    driver.click("#reset-save").await;
    driver.find("#reset-done").await;

    driver.click("#reset-sign-in").await;
    driver.find("#username").await;
    speaks(driver, lang).await;
    driver.type_into("#username", "alice").await;
    driver.type_into("#password", &password).await;
    driver.click("button[type=submit]").await;
    driver.find("#sessions").await;
    speaks(driver, lang).await;
    assert!(driver.current_url().await.ends_with("/account"));
    assert_branded(driver).await;
    shoot_all(driver, &format!("self-service-account-{lang}")).await;
}

#[actix_web::test]
async fn a_person_recovers_their_password_in_a_real_browser_in_english_and_german() {
    let test = "self_service_browser::a_person_recovers_their_password_in_a_real_browser_in_english_and_german";
    let Some(smtp) = SmtpServer::start(test) else {
        return;
    };
    let Some(driver) = webdriver::start(test, None).await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let client = CallbackReceiver::start().await;
    let app = branded_app(&smtp, dir.path(), &client.url).await;

    recover(&driver, &app, &smtp, &client.url, "en").await;
    driver.delete_cookies().await;
    recover(&driver, &app, &smtp, &client.url, "de").await;
    driver.quit().await;
}
