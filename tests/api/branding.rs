//! The organisation's look: product name, logo, primary colour and stylesheet on every
//! page (and served by us), and an operator's own page templates (`templates.directory`).

use std::sync::Arc;

use portcullis::clock::SystemClock;
use portcullis::config::Settings;

use crate::helpers::{PASSWORD, TestApp, TestDb, spawn_app, spawn_app_with};

const LOGO: &str = r##"<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#c0392b"/></svg>"##;
const CSS: &str = "main { border-top: 6px solid #c0392b; }\n";

fn branded(dir: &std::path::Path, settings: &mut Settings) {
    std::fs::write(dir.join("logo.svg"), LOGO).unwrap();
    std::fs::write(dir.join("brand.css"), CSS).unwrap();
    settings.branding.product_name = "Acme ID".into();
    settings.branding.logo = Some(dir.join("logo.svg").display().to_string());
    settings.branding.primary_color = Some("#c0392b".into());
    settings.branding.css = Some(dir.join("brand.css"));
}

async fn spawn(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    configure(&mut settings);
    spawn_app_with(db, settings, Arc::new(SystemClock)).await
}

#[actix_web::test]
async fn every_page_carries_the_product_name_logo_colour_and_stylesheet() {
    let dir = tempfile::tempdir().unwrap();
    let app = spawn(|s| branded(dir.path(), s)).await;
    let page = app.get("/password/forgot").await;
    let html = page.text();
    assert!(
        html.contains("<title>Forgot your password? · Acme ID</title>"),
        "{html}"
    );
    assert!(
        html.contains(r#"<img src="/branding/logo" alt="">"#),
        "{html}"
    );
    assert!(html.contains(r#"<span id="product-name">Acme ID</span>"#));
    assert!(html.contains("--primary: #c0392b;"), "{html}");
    assert!(html.contains(r#"<link rel="stylesheet" href="/branding/style.css">"#));
    assert!(
        html.contains("prefers-color-scheme: dark"),
        "a dark palette"
    );
    let csp = page.header("content-security-policy").unwrap().to_string();
    assert!(csp.contains("style-src 'self' 'unsafe-inline'"), "{csp}");

    let logo = app.get("/branding/logo").await;
    assert_eq!(logo.status, 200);
    assert_eq!(logo.header("content-type"), Some("image/svg+xml"));
    assert!(
        logo.header("content-security-policy")
            .unwrap()
            .contains("sandbox")
    );
    assert_eq!(logo.text(), LOGO);
    let css = app.get("/branding/style.css").await;
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(css.text(), CSS);

    // The sign-in page too.
    let signin = app.get("/signin").await.text();
    assert!(signin.contains("Sign in · Acme ID") && signin.contains("/branding/logo"));
}

#[actix_web::test]
async fn without_branding_the_files_are_not_served_and_the_name_is_ours() {
    let app = spawn_app().await;
    assert_eq!(app.get("/branding/logo").await.status, 404);
    assert_eq!(app.get("/branding/style.css").await.status, 404);
    let html = app.get("/password/forgot").await.text();
    assert!(html.contains("· Portcullis</title>") && !html.contains("<img"));
}

#[actix_web::test]
async fn a_logo_url_is_linked_and_allowed_by_the_pages_policy() {
    let app =
        spawn(|s| s.branding.logo = Some("https://cdn.example.com/acme/logo.png".into())).await;
    let page = app.get("/password/forgot").await;
    assert!(
        page.text()
            .contains(r#"<img src="https://cdn.example.com/acme/logo.png""#)
    );
    let csp = page.header("content-security-policy").unwrap();
    assert!(
        csp.contains("img-src 'self' https://cdn.example.com;"),
        "{csp}"
    );
    assert_eq!(app.get("/branding/logo").await.status, 404);
}

#[actix_web::test]
async fn an_operators_template_replaces_our_page_and_the_form_still_works() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("layout.html"),
        r#"<!doctype html><html lang="{{ ui.lang }}"><body class="acme">{% block body %}{% endblock %}</body></html>"#,
    )
    .unwrap();
    // The standalone sign-in page, with the same fields as ours, in Jinja2 syntax.
    std::fs::write(
        dir.path().join("login.html"),
        r#"{% extends "layout.html" %}{% block body %}
<h1 id="acme-login">{{ ui.product }} — {{ ui.t("sign-in-title") }} ({{ destination }})</h1>
{% if error %}<p id="acme-error">{{ error }}</p>{% endif %}
<form method="post" action="{{ action }}">
<input type="hidden" name="{{ carry_name }}" value="{{ carry_value }}">
<input type="hidden" name="csrf" value="{{ csrf }}">
<input name="username" value="{{ username }}"><input type="password" name="password">
</form>{% endblock %}"#,
    )
    .unwrap();
    let app = spawn(|s| {
        s.templates.directory = Some(dir.path().to_path_buf());
        s.branding.product_name = "Acme <ID>".into();
    })
    .await;
    app.user("alice").create();
    let mut b = app.browser();
    b.headers.push(("Accept-Language".into(), "de".into()));
    let page = b.get("/signin").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains(r#"<body class="acme">"#),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"<html lang="de">"#));
    assert!(
        page.body.contains("Acme &lt;ID&gt; — Anmelden"),
        "escaped and translated: {}",
        page.body
    );
    // Other pages are still ours.
    assert!(b.get("/password/forgot").await.body.contains("Link senden"));

    let (csrf, rd) = (page.field("csrf").unwrap(), page.field("rd").unwrap());
    let wrong = b
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("rd", &rd),
                ("username", "alice"),
                ("password", "nope"),
            ],
        )
        .await;
    assert!(
        wrong.body.contains(r#"<p id="acme-error">"#),
        "{}",
        wrong.body
    );
    let signed_in = b
        .post(
            "/signin",
            &[
                ("csrf", &csrf),
                ("rd", &rd),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
}
