//! Oversized bodies (hardening finding 8): the token endpoints answer RFC 6749-shaped JSON
//! with `no-store` and CORS, pages answer our HTML page, UserInfo a Bearer error — never
//! actix-web's plain text.

use crate::helpers::spawn_app;

fn big_form(bytes: usize) -> String {
    format!("grant_type=client_credentials&pad={}", "x".repeat(bytes))
}

#[actix_web::test]
async fn an_oversized_body_at_the_token_endpoints_gets_oauth_json_413() {
    let app = spawn_app().await;
    for path in ["/token", "/revoke", "/introspect"] {
        let res = app
            .post_raw(
                path,
                big_form(20 * 1024),
                None,
                "application/x-www-form-urlencoded",
            )
            .await;
        res.assert_oauth_error(413, "invalid_request");
        assert_eq!(
            res.header("access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
    }
}

#[actix_web::test]
async fn an_oversized_body_at_a_page_gets_the_html_error_page() {
    let app = spawn_app().await;
    for path in ["/authorize", "/logout"] {
        let res = app
            .post_raw(
                path,
                big_form(100 * 1024),
                None,
                "application/x-www-form-urlencoded",
            )
            .await;
        assert_eq!(res.status, 413, "{path}");
        assert!(
            res.header("content-type").unwrap().starts_with("text/html"),
            "{path}"
        );
        assert!(res.text().contains("Request too large"), "{path}");
    }
    let res = app
        .post_raw(
            "/userinfo",
            big_form(100 * 1024),
            None,
            "application/x-www-form-urlencoded",
        )
        .await;
    assert_eq!(res.status, 413);
    assert_eq!(res.body["error"], "invalid_request");
}

#[actix_web::test]
async fn a_body_just_under_the_limit_is_still_read() {
    let app = spawn_app().await;
    let res = app
        .post_raw(
            "/token",
            big_form(15 * 1024),
            None,
            "application/x-www-form-urlencoded",
        )
        .await;
    res.assert_oauth_error(401, "invalid_client");
}
