//! Liveness, readiness, request ids, security headers and the 404 page.

use crate::helpers::{TestDb, spawn_app, spawn_app_on};

#[actix_web::test]
async fn healthz_and_readyz_answer_200_on_sqlite() {
    let app = spawn_app().await;

    let res = app.healthz().await;
    assert_eq!(res.status, 200);
    assert!(res.text().contains("ok"));

    let res = app.readyz().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(res.text().contains("sqlite"));
}

#[actix_web::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let app = spawn_app().await;
    let res = app
        .get_with("/healthz", &[("X-Request-Id", "trace-abc.123")])
        .await;
    assert_eq!(res.header("x-request-id"), Some("trace-abc.123"));
    assert_eq!(res.header("x-frame-options"), Some("DENY"));
    assert_eq!(res.header("referrer-policy"), Some("no-referrer"));
    assert!(
        res.header("content-security-policy")
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
}

#[actix_web::test]
async fn a_hostile_request_id_is_replaced_not_echoed() {
    let app = spawn_app().await;
    let res = app
        .get_with("/healthz", &[("X-Request-Id", "bad id\"<script>")])
        .await;
    let id = res
        .header("x-request-id")
        .expect("missing header x-request-id");
    assert_ne!(id, "bad id\"<script>");
    assert!(!id.is_empty());
}

#[actix_web::test]
async fn an_unknown_path_gets_an_html_404_page() {
    let app = spawn_app().await;
    let res = app.get("/no/such/page").await;
    assert_eq!(res.status, 404);
    assert!(res.header("content-type").unwrap().starts_with("text/html"));
    assert!(res.text().contains("Page not found"));
}

#[actix_web::test]
async fn readyz_answers_503_when_postgres_goes_away() {
    let Some(db) = TestDb::postgres("readyz_answers_503_when_postgres_goes_away") else {
        return;
    };
    let app = spawn_app_on(db).await;
    let res = app.readyz().await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert!(res.text().contains("postgres"));

    // Take the database away under the running server.
    app.db.drop_now();

    assert_eq!(app.readyz().await.status, 503);
    assert_eq!(
        app.healthz().await.status,
        200,
        "liveness does not depend on the database"
    );
}

/// Hardening finding 11: a server writing into a deleted file is not ready.
#[actix_web::test]
async fn readyz_fails_once_the_sqlite_file_is_deleted_under_the_server() {
    let app = spawn_app().await;
    assert_eq!(app.readyz().await.status, 200);
    std::fs::remove_file(app.db.dir.path().join("portcullis.db")).unwrap();
    let res = app.readyz().await;
    assert_eq!(res.status, 503, "{}", res.text());
    assert_eq!(res.body["status"], "unavailable");
}

/// Hardening finding 13: browser apps can call UserInfo and read its errors.
#[actix_web::test]
async fn userinfo_answers_cors_preflight_and_its_errors_carry_cors() {
    let app = spawn_app().await;
    let pre = app.preflight("/userinfo", "GET").await;
    assert_eq!(pre.status, 204);
    assert_eq!(pre.header("access-control-allow-origin"), Some("*"));
    assert!(
        pre.header("access-control-allow-headers")
            .unwrap()
            .contains("Authorization")
    );
    let err = app.userinfo("not-a-token").await;
    assert_eq!(err.status, 401);
    assert_eq!(err.header("access-control-allow-origin"), Some("*"));
    assert_eq!(
        err.header("access-control-expose-headers"),
        Some("WWW-Authenticate")
    );
}
