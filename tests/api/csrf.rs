//! Hardening finding 12: the sign-in form's CSRF token is bound to the browser's
//! pre-session by an HMAC under a server key, and a form POSTed from another site is
//! refused whatever its token.

use crate::helpers::{PASSWORD, spa_request, spawn_flow_app};

/// The authorization request the sign-in form carries (the query of `/authorize?…`).
fn params() -> String {
    spa_request(&[])
        .split_once('?')
        .map(|(_, q)| q.to_string())
        .unwrap()
}

#[actix_web::test]
async fn a_planted_cookie_and_a_matching_field_are_not_a_valid_token() {
    let s = spawn_flow_app().await;
    let planted = "p".repeat(43);
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("params", params().as_str()),
            ("csrf", planted.as_str()),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .finish();
    let res = s
        .app
        .http
        .post(s.app.url("/login"))
        .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
        .insert_header(("Cookie", format!("portcullis_csrf={planted}")))
        .send_body(body)
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert!(
        res.headers().get("set-cookie").is_none(),
        "no session was started"
    );
}

#[actix_web::test]
async fn a_sign_in_posted_from_another_site_is_refused_even_with_a_valid_token() {
    let s = spawn_flow_app().await;
    let mut browser = s.app.browser();
    let page = browser.get(&spa_request(&[])).await;
    assert!(page.is_login());
    let csrf = page.field("csrf").unwrap();
    let cookie = browser
        .cookies
        .get("portcullis_csrf")
        .cloned()
        .expect("the sign-in page set a CSRF cookie");
    let body = url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("params", params().as_str()),
            ("csrf", csrf.as_str()),
            ("username", "alice"),
            ("password", PASSWORD),
        ])
        .finish();
    let post = |origin: &'static str| {
        s.app
            .http
            .post(s.app.url("/login"))
            .insert_header(("Content-Type", "application/x-www-form-urlencoded"))
            .insert_header(("Cookie", format!("portcullis_csrf={cookie}")))
            .insert_header(("Origin", origin))
            .send_body(body.clone())
    };
    let res = post("https://evil.example").await.unwrap();
    assert_eq!(res.status().as_u16(), 403);
    assert!(
        res.headers().get("set-cookie").is_none(),
        "no session was started"
    );
}
