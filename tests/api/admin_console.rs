//! The admin console in a real browser (headless Chromium): an admin signs in through
//! Portcullis, registers a client and sees its secret once, uses it for client
//! credentials, disables a user and sees their session end; a non-admin gets 403; every
//! page fits a 320 px screen. Screenshots go to `target/screenshots/admin-*.png`.

use std::path::PathBuf;
use std::sync::Arc;

use portcullis::clock::SystemClock;

use crate::helpers::sessions::seed_session;
use crate::helpers::webdriver::{self, Driver};
use crate::helpers::{PASSWORD, TestApp, spawn_app_at_own_address, wait_until};

fn shots() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/screenshots")
}

/// The status of a GET with a session cookie, redirects not followed.
async fn status_with_session(app: &TestApp, path: &str, session: &str) -> (u16, String) {
    let res = app
        .send_with(
            "GET",
            path,
            &[("Cookie", &format!("portcullis_session={session}"))],
        )
        .await;
    (
        res.status,
        res.header("location").unwrap_or_default().to_string(),
    )
}

async fn sign_in(driver: &Driver, app: &TestApp, username: &str) {
    driver.goto(&app.url("/admin")).await;
    driver.find("#username").await;
    driver.type_into("#username", username).await;
    driver.type_into("#password", PASSWORD).await;
    driver.click("button[type=submit]").await;
    driver.find("nav.admin").await;
}

async fn page_loaded(driver: &Driver, marker: &str) {
    let script = format!(
        "return document.readyState === 'complete' && !!document.querySelector('{marker}')"
    );
    wait_until(&format!("{marker} is on the page"), || async {
        driver
            .script(&script)
            .await
            .as_bool()
            .unwrap_or(false)
            .then_some(())
    })
    .await;
}

#[actix_web::test]
async fn an_admin_registers_a_client_sees_its_secret_once_and_disables_a_user_whose_session_ends() {
    let Some(driver) = webdriver::start(
        "an_admin_registers_a_client_sees_its_secret_once_and_disables_a_user_whose_session_ends",
        None,
    )
    .await
    else {
        return;
    };
    let app = spawn_app_at_own_address("127.0.0.1", Arc::new(SystemClock)).await;
    let root = app.user("root").role("admin").create();
    let carol = app.user("carol").name("Carol").create();
    let dave = app.user("dave").create();
    app.first_party_spa().await;
    {
        let mut conn = app.db.conn();
        seed_session(&mut conn, "carol-session-cookie-value", &carol.id, "spa");
        seed_session(&mut conn, "dave-session-cookie-value", &dave.id, "spa");
    }

    // A person without the admin role is refused.
    let (status, _) =
        status_with_session(&app, "/admin/clients", "dave-session-cookie-value").await;
    assert_eq!(status, 403);
    // Nobody signed in is sent to sign in first, and back.
    let (status, location) = status_with_session(&app, "/admin/users", "nothing").await;
    assert_eq!(status, 303);
    assert!(location.starts_with("/signin?rd="), "{location}");

    sign_in(&driver, &app, "root").await;
    page_loaded(&driver, "#create-client").await;
    driver
        .screenshot(&shots().join("admin-clients-desktop.png"))
        .await;

    // Register a confidential machine client.
    driver.type_into("#new-name", "Reports job").await;
    driver.type_into("#new-id", "reports").await;
    driver
        .click("input[name=grant_type][value=client_credentials]")
        .await;
    driver.type_into("#new-scopes", "reports.read").await;
    driver
        .type_into("#new-audience", "https://reports.example")
        .await;
    driver.click("#create-client").await;
    let secret = driver.text("#client-secret").await;
    assert!(secret.len() >= 32, "{secret}");
    driver
        .screenshot(&shots().join("admin-secret-desktop.png"))
        .await;

    // It works at once, for client credentials.
    let token = app
        .token(
            &[("grant_type", "client_credentials")],
            Some(("reports", &secret)),
        )
        .await;
    assert_eq!(token.status, 200, "{}", token.body);

    // The secret is never shown again.
    driver.goto(&app.url("/admin/clients/reports")).await;
    page_loaded(&driver, "#save-client").await;
    let html = driver
        .script("return document.documentElement.outerHTML")
        .await;
    assert!(!html.as_str().unwrap().contains(&secret));
    driver
        .screenshot(&shots().join("admin-client-desktop.png"))
        .await;

    // Carol is signed in elsewhere; disabling her ends that session.
    assert_eq!(
        status_with_session(&app, "/account", "carol-session-cookie-value")
            .await
            .0,
        200
    );
    driver.goto(&app.url("/admin/users?q=car")).await;
    page_loaded(&driver, "#create-user").await;
    driver.click("table a").await;
    page_loaded(&driver, "#sessions").await;
    driver
        .screenshot(&shots().join("admin-user-desktop.png"))
        .await;
    driver.click("#disable-user").await;
    page_loaded(&driver, "#notice").await;
    assert_eq!(driver.text("#user-status").await, "disabled");
    assert!(
        driver
            .text("#no-sessions")
            .await
            .contains("No active sessions")
    );
    let (status, location) =
        status_with_session(&app, "/account", "carol-session-cookie-value").await;
    assert_eq!(status, 303, "her session has ended");
    assert!(location.starts_with("/signin"), "{location}");

    // The audit log names who did it.
    driver
        .goto(&app.url(&format!("/admin/audit?actor=user:{}", root.id)))
        .await;
    page_loaded(&driver, "#audit").await;
    let audit = driver.text("#audit").await;
    assert!(audit.contains("client.created"), "{audit}");
    assert!(audit.contains("user.disabled"), "{audit}");
    driver
        .screenshot(&shots().join("admin-audit-desktop.png"))
        .await;
    driver.goto(&app.url("/admin/keys")).await;
    page_loaded(&driver, "#keys").await;
    assert!(driver.text("#keys").await.contains("active"));
    driver
        .screenshot(&shots().join("admin-keys-desktop.png"))
        .await;
    driver.quit().await;
}

#[actix_web::test]
async fn every_console_page_fits_a_phone_sized_screen() {
    let Some(phone) =
        webdriver::start("every_console_page_fits_a_phone_sized_screen", Some(320)).await
    else {
        return;
    };
    let app = spawn_app_at_own_address("127.0.0.1", Arc::new(SystemClock)).await;
    app.user("root").role("admin").create();
    let erin = app.user("erin").create();
    app.client("reports")
        .confidential()
        .grant("client_credentials")
        .audience("https://reports.example")
        .create()
        .await;
    app.first_party_spa().await;
    seed_session(&mut app.db.conn(), "erin-session", &erin.id, "spa");
    sign_in(&phone, &app, "root").await;
    for (path, marker, name) in [
        ("/admin/clients", "#create-client", "clients"),
        ("/admin/clients/reports", "#save-client", "client"),
        ("/admin/users", "#create-user", "users"),
        (&format!("/admin/users/{}", erin.id), "#sessions", "user"),
        ("/admin/keys", "#keys", "keys"),
        ("/admin/audit", "#audit", "audit"),
    ] {
        phone.goto(&app.url(path)).await;
        page_loaded(&phone, marker).await;
        let width = phone
            .script("return document.documentElement.scrollWidth")
            .await
            .as_i64()
            .unwrap();
        assert!(width <= 320, "{path} scrolls sideways at 320 px: {width}");
        phone
            .screenshot(&shots().join(format!("admin-{name}-phone.png")))
            .await;
    }
    phone.quit().await;
}
