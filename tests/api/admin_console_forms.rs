//! The admin console's forms without a browser: CSRF, lost writes, validation shown on
//! the form, and `admin.require_mfa`.

use std::sync::Arc;

use diesel::prelude::*;
use portcullis::clock::SystemClock;
use portcullis::store::schema::sessions;

use crate::helpers::browser::Browser;
use crate::helpers::sessions::seed_session;
use crate::helpers::{TestApp, TestDb, spawn_app, spawn_app_with};

const ROOT_SESSION: &str = "root-session-cookie-value";

/// An admin `root` with a live session, and a browser carrying its cookie.
async fn admin_browser(app: &TestApp) -> Browser<'_> {
    let root = app.user("root").role("admin").create();
    app.first_party_spa().await;
    seed_session(&mut app.db.conn(), ROOT_SESSION, &root.id, "spa");
    let mut b = app.browser();
    b.cookies
        .insert("portcullis_session".into(), ROOT_SESSION.into());
    b
}

#[actix_web::test]
async fn a_console_form_without_its_csrf_token_changes_nothing() {
    let app = spawn_app().await;
    let mut b = admin_browser(&app).await;
    let page = b.get("/admin/clients").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let refused = b
        .post(
            "/admin/clients",
            &[
                ("name", "Sneaky"),
                ("id", "sneaky"),
                ("grant_type", "client_credentials"),
                ("audience", "https://api.example"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(b.get("/admin/clients/sneaky").await.status, 404);
}

#[actix_web::test]
async fn an_edit_made_on_a_stale_page_is_refused_and_the_newer_change_stays() {
    let app = spawn_app().await;
    let mut b = admin_browser(&app).await;
    let erin = app.user("erin").name("Erin").create();
    let path = format!("/admin/users/{}", erin.id);
    let first = b.get(&path).await;
    let second = b.get(&path).await;
    let save = |page: &crate::helpers::Page, name: &str| {
        vec![
            ("csrf".to_string(), page.field("csrf").unwrap()),
            ("etag".to_string(), page.field("etag").unwrap()),
            ("display_name".to_string(), name.to_string()),
            ("roles".to_string(), "staff".to_string()),
        ]
    };
    let pairs = save(&first, "Erin A.");
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(b.post(&path, &pairs).await.status, 303);
    let pairs = save(&second, "Erin B.");
    let pairs: Vec<(&str, &str)> = pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let stale = b.post(&path, &pairs).await;
    assert_eq!(stale.status, 422);
    assert!(
        stale.body.contains("changed since it was read"),
        "{}",
        stale.body
    );
    assert!(b.get(&path).await.body.contains("Erin A."));
}

#[actix_web::test]
async fn bad_client_values_are_shown_on_the_form_and_register_nothing() {
    let app = spawn_app().await;
    let mut b = admin_browser(&app).await;
    let page = b.get("/admin/clients").await;
    let csrf = page.field("csrf").unwrap();
    let refused = b
        .post(
            "/admin/clients",
            &[
                ("csrf", &csrf),
                ("name", "Web"),
                ("id", "web"),
                ("grant_type", "authorization_code"),
                ("redirect_uris", "http://app.example/cb"),
            ],
        )
        .await;
    assert_eq!(refused.status, 422);
    assert!(refused.body.contains("form-error"), "{}", refused.body);
    assert_eq!(b.get("/admin/clients/web").await.status, 404);
}

#[actix_web::test]
async fn with_admin_require_mfa_a_password_only_session_is_refused_until_a_second_factor_sign_in() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.admin.require_mfa = true;
    let app = spawn_app_with(db, settings, Arc::new(SystemClock)).await;
    let mut b = admin_browser(&app).await;
    let refused = b.get("/admin/clients").await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("second factor"), "{}", refused.body);
    diesel::update(sessions::table.filter(sessions::sid.eq(ROOT_SESSION)))
        .set(sessions::acr.eq(Some("2")))
        .execute(&mut app.db.conn())
        .unwrap();
    assert_eq!(b.get("/admin/clients").await.status, 200);
}

/// Hardening round 2, finding 12: an oversized console form gets our HTML page with 413,
/// not actix-web's plain text, and changes nothing.
#[actix_web::test]
async fn an_oversized_console_form_gets_our_page_with_413() {
    let app = spawn_app().await;
    let mut b = admin_browser(&app).await;
    let huge = "x".repeat(70 * 1024);
    let res = b
        .post("/admin/clients", &[("csrf", "c"), ("id", &huge)])
        .await;
    assert_eq!(res.status, 413, "{}", res.body);
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "{:?}",
        res.header("content-type")
    );
    assert!(res.body.contains("Request too large"), "{}", res.body);
}

/// Hardening round 2, finding 6 ("sudo mode"): a console write from an admin whose sign-in
/// is older than `session.reauthenticate_after_secs` is sent to sign in again, and
/// changes nothing.
#[actix_web::test]
async fn a_console_write_from_an_old_sign_in_asks_for_the_password_first() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.session.reauthenticate_after_secs = 60;
    let app = spawn_app_with(db, settings, Arc::new(SystemClock)).await;
    let mut b = admin_browser(&app).await;
    // The seeded session signed in long ago.
    diesel::update(sessions::table)
        .set(sessions::auth_time.eq(1_000_000_000i64))
        .execute(&mut app.db.conn())
        .unwrap();
    let page = b.get("/admin/clients").await;
    assert_eq!(page.status, 200, "reading stays open: {}", page.body);
    let csrf = page.field("csrf").unwrap();
    let res = b
        .post(
            "/admin/clients",
            &[
                ("csrf", &csrf),
                ("id", "late"),
                ("name", "Late"),
                ("grant_types", "client_credentials"),
            ],
        )
        .await;
    assert_eq!(res.status, 303, "{}", res.body);
    assert!(
        res.location().contains("prompt=login"),
        "{}",
        res.location()
    );
    app.state.clients.refresh().await.unwrap();
    assert!(app.state.clients.get("late").is_none());
}
