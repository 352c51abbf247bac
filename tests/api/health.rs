use crate::helpers::{TestDb, spawn_app, spawn_app_on};
use diesel::{Connection, RunQueryDsl, pg::PgConnection};

#[actix_web::test]
async fn healthz_and_readyz_answer_200_on_sqlite() {
    let app = spawn_app().await;

    let (status, body) = app.get("/healthz").await;
    assert_eq!(status, 200);
    assert!(body.contains("ok"));

    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("sqlite"));
}

#[actix_web::test]
async fn every_response_carries_a_request_id_and_security_headers() {
    let app = spawn_app().await;

    let res = app
        .http
        .get(app.url("/healthz"))
        .insert_header(("X-Request-Id", "trace-abc.123"))
        .send()
        .await
        .unwrap();
    assert_eq!(header(&res, "x-request-id"), "trace-abc.123");
    assert_eq!(header(&res, "x-frame-options"), "DENY");
    assert_eq!(header(&res, "referrer-policy"), "no-referrer");
    assert!(header(&res, "content-security-policy").contains("frame-ancestors 'none'"));

    // A hostile id is replaced, not echoed.
    let res = app
        .http
        .get(app.url("/healthz"))
        .insert_header(("X-Request-Id", "bad id\"<script>"))
        .send()
        .await
        .unwrap();
    let id = header(&res, "x-request-id");
    let id = id.as_str();
    assert_ne!(id, "bad id\"<script>");
    assert!(!id.is_empty());
}

#[actix_web::test]
async fn an_unknown_path_gets_an_html_404_page() {
    let app = spawn_app().await;
    let mut res = app.http.get(app.url("/no/such/page")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 404);
    assert!(header(&res, "content-type").starts_with("text/html"));
    let body = res.body().await.unwrap();
    assert!(String::from_utf8_lossy(&body).contains("Page not found"));
}

#[actix_web::test]
async fn readyz_answers_503_when_postgres_goes_away() {
    let Some(db) = TestDb::postgres("readyz_answers_503_when_postgres_goes_away") else {
        return;
    };
    let name = db.url.rsplit('/').next().unwrap().to_string();
    let app = spawn_app_on(db).await;
    let (status, body) = app.get("/readyz").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("postgres"));

    // Take the database away under the running server.
    let admin = "postgres://postgres@127.0.0.1:5432/postgres";
    let mut conn = PgConnection::establish(admin).unwrap();
    diesel::sql_query(format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut conn)
        .unwrap();

    let (status, _) = app.get("/readyz").await;
    assert_eq!(status, 503);
    let (status, _) = app.get("/healthz").await;
    assert_eq!(status, 200, "liveness does not depend on the database");
}

fn header<B>(res: &awc::ClientResponse<B>, name: &str) -> String {
    res.headers()
        .get(name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .unwrap()
        .to_string()
}
