//! Our pages speak the person's language: `ui_locales` first (and remembered for the pages
//! after it), then `Accept-Language`, then `i18n.default_locale`; discovery lists them.

use std::sync::Arc;

use portcullis::clock::SystemClock;

use crate::helpers::{
    TestApp, TestDb, VERIFIER, authorize_path, challenge, spawn_app, spawn_app_with,
};

async fn app_with_client() -> TestApp {
    let app = spawn_app().await;
    app.client("spa")
        .name("Photo Gallery")
        .public()
        .grant("authorization_code")
        .redirect_uri("https://spa.example/cb")
        .create()
        .await;
    app
}

fn authorize(extra: &[(&str, &str)]) -> String {
    let ch = challenge(VERIFIER);
    let mut pairs = vec![
        ("response_type", "code"),
        ("client_id", "spa"),
        ("redirect_uri", "https://spa.example/cb"),
        ("scope", "openid"),
        ("code_challenge", ch.as_str()),
        ("code_challenge_method", "S256"),
    ];
    pairs.extend_from_slice(extra);
    authorize_path(&pairs)
}

#[actix_web::test]
async fn a_page_speaks_the_language_the_browser_prefers_and_english_otherwise() {
    let app = spawn_app().await;
    let fr = app
        .get_with(
            "/password/forgot",
            &[("Accept-Language", "es, fr-CA;q=0.9, en;q=0.5")],
        )
        .await;
    assert_eq!(fr.status, 200);
    let body = fr.text();
    assert!(body.contains(r#"<html lang="fr">"#), "{body}");
    assert!(body.contains("Mot de passe oubli"), "{body}");
    assert!(body.contains("Envoyer le lien"), "{body}");

    let en = app.get("/password/forgot").await.text();
    assert!(en.contains(r#"<html lang="en">"#) && en.contains("Send the link"));
    let unknown = app
        .get_with("/password/forgot", &[("Accept-Language", "ja, zh;q=0.8")])
        .await
        .text();
    assert!(unknown.contains("Send the link"), "no match: the default");
}

#[actix_web::test]
async fn the_default_language_is_the_operators_choice() {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.i18n.default_locale = "de".into();
    let app = spawn_app_with(db, settings, Arc::new(SystemClock)).await;
    let page = app.get("/password/forgot").await.text();
    assert!(page.contains(r#"<html lang="de">"#), "{page}");
    assert!(page.contains("Link senden"), "{page}");
    // The browser's preference still wins over the default.
    let en = app
        .get_with("/password/forgot", &[("Accept-Language", "en-GB")])
        .await
        .text();
    assert!(en.contains("Send the link"));
}

#[actix_web::test]
async fn ui_locales_chooses_the_sign_in_page_language_and_the_pages_after_keep_it() {
    let app = app_with_client().await;
    let mut b = app.browser();
    b.headers
        .push(("Accept-Language".into(), "fr-FR, fr;q=0.9".into()));
    // OIDC Core §3.1.2.1: space-separated, most preferred first; unknown tags skipped.
    let login = b.get(&authorize(&[("ui_locales", "tlh de-CH en")])).await;
    assert_eq!(login.status, 200);
    assert!(login.body.contains(r#"<html lang="de">"#), "{}", login.body);
    assert!(login.body.contains("Anmelden"), "{}", login.body);
    let remembered = login
        .headers
        .get_all("set-cookie")
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("portcullis_locale="))
        .expect("the choice is remembered");
    assert!(
        remembered.starts_with("portcullis_locale=de;"),
        "{remembered}"
    );
    assert!(remembered.contains("HttpOnly") && remembered.contains("SameSite=Lax"));

    // The wrong password: the form again, still in German.
    let again = b.login(&login, "nobody", "wrong password").await;
    assert!(
        again.body.contains("Benutzername oder das Passwort"),
        "{}",
        again.body
    );
    // A page reached from it, without ui_locales: German, not the browser's French.
    let forgot = b.get("/password/forgot").await;
    assert!(forgot.body.contains("Link senden"), "{}", forgot.body);
    // A request naming no language we ship leaves the choice as it was.
    let other = b.get(&authorize(&[("ui_locales", "ja")])).await;
    assert!(other.body.contains(r#"<html lang="de">"#));
}

#[actix_web::test]
async fn error_pages_are_translated_too() {
    let app = app_with_client().await;
    let page = app
        .get_with(
            "/authorize?client_id=nobody&response_type=code&scope=openid",
            &[("Accept-Language", "de")],
        )
        .await;
    assert_eq!(page.status, 400);
    assert!(
        page.text().contains("Unbekannte Anwendung"),
        "{}",
        page.text()
    );
    let missing = app
        .get_with("/no/such/page", &[("Accept-Language", "fr")])
        .await;
    assert_eq!(missing.status, 404);
    assert!(missing.text().contains(r#"lang="fr""#));
}

#[actix_web::test]
async fn discovery_lists_the_languages_of_our_pages() {
    let app = spawn_app().await;
    let doc = app.get("/.well-known/openid-configuration").await;
    assert_eq!(
        doc.body["ui_locales_supported"],
        serde_json::json!(["en", "de", "fr"])
    );
}

#[actix_web::test]
async fn a_query_that_does_not_parse_gets_our_page_not_plain_text() {
    let app = spawn_app().await;
    let res = app
        .get_with(
            "/password/reset?token=a&token=b",
            &[("Accept-Language", "de")],
        )
        .await;
    assert_eq!(res.status, 400);
    assert!(res.header("content-type").unwrap().starts_with("text/html"));
    assert!(res.text().contains(r#"lang="de""#), "{}", res.text());
}
