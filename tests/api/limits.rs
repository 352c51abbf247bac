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

/// Hardening round 2, finding 8: a body sent a byte at a time no longer holds a connection
/// for ever: past `http.body_timeout_secs` the request is refused (the token endpoint's
/// JSON, 4xx) or the connection closed, at the token endpoint and the admin API alike.
#[actix_web::test]
async fn a_body_that_trickles_in_is_cut_off_at_the_deadline() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let db = crate::helpers::TestDb::sqlite();
    let mut settings = db.settings();
    settings.http.body_timeout_secs = 1;
    let app = crate::helpers::spawn_app_with(
        db,
        settings,
        std::sync::Arc::new(portcullis::clock::SystemClock),
    )
    .await;
    for (path, kind) in [
        ("/token", "application/x-www-form-urlencoded"),
        ("/admin/api/v1/clients", "application/json"),
    ] {
        let mut s = tokio::net::TcpStream::connect(app.address).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Type: {kind}\r\nContent-Length: 100\r\n\r\n",
            app.address
        );
        s.write_all(head.as_bytes()).await.unwrap();
        let started = std::time::Instant::now();
        let mut answer = Vec::new();
        let mut buf = [0u8; 1024];
        // One byte every 300 ms, far slower than the deadline allows; stop when the
        // server answers or closes, or after 8 s (the server kept the connection).
        loop {
            let _ = s.write_all(b"x").await;
            match tokio::time::timeout(std::time::Duration::from_millis(300), s.read(&mut buf))
                .await
            {
                Ok(Ok(0)) | Ok(Err(_)) => break,
                Ok(Ok(n)) => {
                    answer.extend_from_slice(&buf[..n]);
                    break;
                }
                Err(_) => {}
            }
            assert!(
                started.elapsed() < std::time::Duration::from_secs(8),
                "{path}: the server still waits for the body"
            );
        }
        let text = String::from_utf8_lossy(&answer);
        assert!(
            text.is_empty() || text.starts_with("HTTP/1.1 4"),
            "{path}: {text}"
        );
    }
}
