use std::sync::Arc;

use portcullis::clock::SystemClock;

use crate::helpers::{TestApp, TestDb, spawn_app, spawn_app_with};

const DOCUMENTS: [&str; 3] = [
    "/.well-known/jwks.json",
    "/.well-known/openid-configuration",
    "/.well-known/oauth-authorization-server",
];

async fn https_issuer_app() -> TestApp {
    let db = TestDb::sqlite();
    let mut settings = db.settings();
    settings.issuer = "https://id.example.test".into();
    spawn_app_with(db, settings, Arc::new(SystemClock)).await
}

fn header<B>(res: &awc::ClientResponse<B>, name: &str) -> Option<String> {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
}

#[actix_web::test]
async fn both_metadata_documents_describe_this_issuer_byte_for_byte() {
    let app = https_issuer_app().await;
    for path in &DOCUMENTS[1..] {
        let res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200);
        assert_eq!(header(&res, "content-type").unwrap(), "application/json");
        let doc = app.get_json(path).await;
        assert_eq!(doc["issuer"], "https://id.example.test");
        assert_eq!(
            doc["jwks_uri"],
            "https://id.example.test/.well-known/jwks.json"
        );
        let obj = doc.as_object().unwrap();
        // Checklist §2: every endpoint and URI is https under the issuer, and we serve it.
        for (name, value) in obj {
            if name.ends_with("_endpoint") || name.ends_with("_uri") {
                let url = value.as_str().unwrap();
                let path = url
                    .strip_prefix("https://id.example.test")
                    .unwrap_or_else(|| panic!("{name} = {url} is not under the https issuer"));
                let (status, _) = app.get(path).await;
                assert_ne!(status, 404, "{name} is advertised but not served");
            }
        }
        assert_eq!(doc["token_endpoint"], "https://id.example.test/token");
        assert_eq!(
            doc["grant_types_supported"],
            serde_json::json!(["client_credentials"])
        );
        let methods = doc["token_endpoint_auth_methods_supported"]
            .as_array()
            .unwrap();
        for m in [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ] {
            assert!(methods.iter().any(|v| v == m), "{m} advertised");
        }
        let algs = doc["token_endpoint_auth_signing_alg_values_supported"]
            .as_array()
            .unwrap();
        assert!(algs.iter().any(|a| a == "RS256"));
        assert!(!algs.iter().any(|a| a == "none" || a == "HS256"));
        // Never advertise what is not built.
        for absent in ["authorization_endpoint", "userinfo_endpoint"] {
            assert!(
                !obj.contains_key(absent),
                "{absent} advertised before it exists"
            );
        }
    }
}

#[actix_web::test]
async fn public_documents_are_cacheable_with_etags_and_cors() {
    let app = spawn_app().await;
    let max_age = app.state.settings.keys.jwks_max_age_secs;
    assert!(
        max_age + app.state.settings.keys.refresh_interval_secs as i64
            <= app.state.settings.keys.prepublish_secs,
        "a cached JWKS always holds the key that will sign next"
    );
    for path in DOCUMENTS {
        let mut res = app.http.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
        let body = res.body().await.unwrap();
        assert!(!body.is_empty());
        assert_eq!(
            header(&res, "cache-control").unwrap(),
            format!("public, max-age={max_age}")
        );
        assert_eq!(header(&res, "access-control-allow-origin").unwrap(), "*");
        let etag = header(&res, "etag").unwrap();
        assert!(
            etag.starts_with('"') && etag.ends_with('"'),
            "strong ETag: {etag}"
        );

        for matching in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
            "*".into(),
        ] {
            let mut res = app
                .http
                .get(app.url(path))
                .insert_header(("If-None-Match", matching.as_str()))
                .send()
                .await
                .unwrap();
            assert_eq!(
                res.status().as_u16(),
                304,
                "{path} If-None-Match: {matching}"
            );
            assert!(res.body().await.unwrap().is_empty());
            assert_eq!(header(&res, "etag").unwrap(), etag);
            assert!(header(&res, "cache-control").is_some());
        }
        let res = app
            .http
            .get(app.url(path))
            .insert_header(("If-None-Match", "\"stale\""))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 200);

        let mut res = app.http.head(app.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "HEAD {path}");
        assert!(res.body().await.unwrap().is_empty());

        let res = app
            .http
            .request(actix_web::http::Method::OPTIONS, app.url(path))
            .insert_header(("Origin", "https://spa.example"))
            .insert_header(("Access-Control-Request-Method", "GET"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 204);
        assert_eq!(header(&res, "access-control-allow-origin").unwrap(), "*");
    }
}

#[actix_web::test]
async fn the_jwks_etag_changes_when_the_keys_do() {
    let app = spawn_app().await;
    let etag = |res: &awc::ClientResponse<_>| header(res, "etag").unwrap();
    let first = etag(&app.http.get(app.url(DOCUMENTS[0])).send().await.unwrap());
    let again = etag(&app.http.get(app.url(DOCUMENTS[0])).send().await.unwrap());
    assert_eq!(first, again);

    app.db
        .cli()
        .env(
            "PORTCULLIS_KEYS__DIRECTORY",
            app.db.dir.path().join("keys").to_str().unwrap(),
        )
        .run(&["keys", "rotate"])
        .ok();
    app.state.keys.refresh().await.unwrap();
    let after = etag(&app.http.get(app.url(DOCUMENTS[0])).send().await.unwrap());
    assert_ne!(first, after);
}
